# From course notes 001_8c62dec115c42d1d.txt — 锁的概念 / join的效果 (tests/python/notes/19_print_join.py)
# Features: Process, join inside the start loop (strictly one child after another), os.getpid, time.sleep, random
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
        p = Process(target=work, args=(i,))
        p.start()
        p.join()
