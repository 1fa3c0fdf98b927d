# From course notes 002_8ca1c13dd9dcc351.txt — 进程锁Lock / 使用进程锁购查票 (tests/python/notes/34_ticket_show_buy.py)
# Features: Process, Lock, file I/O + json (shared file "ticket"), time.sleep
import json
import time
from multiprocessing import Process, Lock


# 查票
def show(i):
    with open('ticket')as f:
        dic = json.load(f)
    print('余票:%s' % dic['ticket'])


def buy_titck(i, lock):
    lock.acquire()  # 拿到钥匙
    with open('ticket')as f:
        dic = json.load(f)
        # 网络延迟
        time.sleep(0.1)
    if dic['ticket'] > 0:
        dic['ticket'] -= 1
        print('33[32m%s买到票了33[0m' % i)
    else:
        print('33[31m%s没买到票33[0m' % i)

    time.sleep(0.1)
    with open('ticket', 'w')as f:
        json.dump(dic, f)
    lock.release()  # 还钥匙


if __name__ == '__main__':
    # forkscope-fix: the program needs a file "ticket"; these notes do not give its content, so use {"ticket": 1} as in the same lesson in 004_7d4f5e917ef1d325.txt
    with open('ticket', 'w')as f: json.dump({"ticket": 1}, f)  # forkscope-fix: inserted (see line above)
    # 多进程,开10个进程
    # 查票
    for i in range(10):
        p = Process(target=show, args=(i,))
        p.start()
    # 进程锁
    lock = Lock()

    # 买票
    for i in range(10):
        p = Process(target=buy_titck, args=(i, lock))
        p.start()
