# From course notes 001_8c62dec115c42d1d.txt — 锁 —— multiprocess.Lock / 多进程抢占输出资源 (tests/python/notes/17_print_race.py)
# Features: Process, os.getpid, time.sleep, random (no lock: output order is random)
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import os
import time
import random
from multiprocessing import Process
def work(n):
    print('{} : {} is running'.format(n, os.getpid()))
    time.sleep(random.random())
    print('{} : {} is done'.format(n, os.getpid()))
if __name__ == '__main__':
    for i in range(3):
        p = Process(target=work, args=(i, ))
        p.start()
