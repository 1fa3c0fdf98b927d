# From course notes 001_8c62dec115c42d1d.txt — 锁 —— multiprocess.Lock / 由并发变成了串行 (tests/python/notes/18_print_lock.py)
# Features: Process, Lock around the whole task (each running/done pair stays together), os.getpid, time.sleep, random
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import os
import time
import random
from multiprocessing import Process
from multiprocessing import Lock
def work(n, lock):
    lock.acquire() #给进程上锁
    print('{} : {} is running'.format(n, os.getpid()))
    time.sleep(random.random())
    print('{} : {} is done'.format(n, os.getpid()))
    lock.release() #给进程下锁
if __name__ == '__main__':
    lock = Lock()
    for i in range(3):
        p = Process(target=work, args=(i, lock))
        p.start()
