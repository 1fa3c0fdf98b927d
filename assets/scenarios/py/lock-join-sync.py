# From course notes 000_a5d265e6fdb2efb6.txt — 加锁的作用 / 同步控制 (tests/python/notes/08_lock_sync.py)
# Features: Process, Lock (the locked part runs one at a time, 0.5 s apart), time.sleep
import time
from multiprocessing import Process,Lock
def func(num,lock):
    time.sleep(1)
    print("异步执行",num)
    lock.acquire()
    time.sleep(0.5)
    print("同步执行",num)
    lock.release()      #同步执行是依次执行,间隔0.5秒
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    lock = Lock()
    for i in range(10):
        p = Process(target=func,args=(i,lock))
        p.start()  # forkscope-fix: split off glued prose "信号量 机制:计数器+锁实现的 Semaphore"
