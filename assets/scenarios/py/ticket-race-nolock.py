# From course notes 000_a5d265e6fdb2efb6.txt — 锁 / 例题 模拟抢票 (tests/python/notes/07_ticket_lock.py)
# forkscope-fix: the race: the same program with the lock taken out (lock.acquire()/release() commented), so that buyers read the same count
# Features: Process, Lock (acquire/release), file I/O + json (shared file "ticket"), time.sleep
import time
import json
from multiprocessing import Process,Lock
TICKETS = 4  # forkscope-fix: lesson parameter (the notes' ticket file holds {"count":4})
BUYERS = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def search(person):         #查票
    with open("ticket") as f:   #文件中保存着一个字典{"count":4}
        dic = json.load(f)   #读出文件中的字典
    time.sleep(0.2)
    print("%s查询余票"%person,dic["count"])
def get_ticket(person):         #抢票
    with open("ticket") as f:
        dic = json.load(f)
    time.sleep(0.2)             #模拟延迟
    if dic["count"] >0:
        print("%s买到票了"%person)
        dic["count"] -= 1
        time.sleep(0.2)
        with open("ticket","w") as f:
            json.dump(dic,f)    #写回文件
    else:
        print("%s没买到票"%person)
def ticket(person,lock):
    search(person)
    # lock.acquire()      #开门,一次只能进一个  # forkscope-fix: commented out: no lock
    get_ticket(person)
    # lock.release()      #关门  # forkscope-fix: commented out: no lock
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    # forkscope-fix: the notes say the file "ticket" must already hold {"count":4}; create it so the program runs from an empty directory
    with open("ticket","w") as f: json.dump({"count":TICKETS},f)  # forkscope-fix: inserted (see line above)
    lock = Lock()
    for i in range(BUYERS):
        p = Process(target=ticket,args=("person%s"%i,lock))
        p.start()  # forkscope-fix: split off glued prose "为了保证数据的安全,..."
