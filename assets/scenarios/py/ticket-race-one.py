# From course notes 004_7d4f5e917ef1d325.txt — 7，加锁 (tests/python/notes/55_ticket_lock.py)
# Features: Process, Lock, file I/O + json (shared file "ticket"), time.sleep
# 锁

# 火车票
import json
import time
from multiprocessing import Process
from multiprocessing import Lock

# def show(i):
#     with open('ticket') as f:
#         dic = json.load(f)
#     print('余票: %s'%dic['ticket'])

def buy_ticket(i,lock):
    lock.acquire() #拿钥匙进门
    with open('ticket') as f:
        dic = json.load(f)
        time.sleep(0.1)
    if dic['ticket'] > 0 :
        dic['ticket'] -= 1
        print('\033[32m%s买到票了\033[0m'%i)
    else:
        print('\033[31m%s没买到票\033[0m'%i)
    time.sleep(0.1)
    with open('ticket','w') as f:
        json.dump(dic,f)
    lock.release()      # 还钥匙

if __name__ == '__main__':
    # forkscope-fix: the notes say the file "ticket" holds {"ticket": 1}; create it so the program runs from an empty directory
    with open('ticket','w') as f: json.dump({"ticket": 1},f)  # forkscope-fix: inserted (see line above)
    # for i in range(10):
    #     p = Process(target=show,args=(i,))
    #     p.start()
    lock = Lock()
    for i in range(10):
        p = Process(target=buy_ticket, args=(i,lock))
        p.start()

