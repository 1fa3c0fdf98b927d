# From course notes 000_a5d265e6fdb2efb6.txt — 信号量 机制:计数器+锁实现的 Semaphore (tests/python/notes/09_ktv_semaphore.py)
# Features: Process, Semaphore(4) (at most 4 people in the KTV), time.sleep, random
import time
import random
from multiprocessing import Process,Semaphore
ROOMS = 4  # forkscope-fix: lesson parameter (the notes' Semaphore(4))
PEOPLE = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def ktv(person,sem):
    sem.acquire()       #进
    print("%s走进KTV"%person)
    time.sleep(random.randint(1,3))     #随机延迟一到三秒
    print("%s走出ktv"%person)
    sem.release()       #出
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    sem = Semaphore(ROOMS)      #信号量为4,默认为1
    for i in range(PEOPLE):
        Process(target=ktv,args=(i,sem)).start()  # forkscope-fix: split off glued prose "事件 Event"
