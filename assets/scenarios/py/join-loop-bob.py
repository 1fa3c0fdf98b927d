# From course notes 003_2112f71c9677a4d1.txt — 4.5 多个进程同时运行,再谈join方法(1) (tests/python/notes/39_join_in_loop.py)
# Features: Process, join inside the start loop (children one after another), time.sleep
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time
from multiprocessing import Process
def f(name):
    print('hello', name)
    time.sleep(1)
if __name__ == '__main__':
    p_lst = []
    for i in range(5):
        p = Process(target=f, args=('bob',))
        p.start()
        p_lst.append(p)
        p.join()
    # [p.join() for p in p_lst]
    print('父进程在执行')
