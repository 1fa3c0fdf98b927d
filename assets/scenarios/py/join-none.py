# From course notes 003_2112f71c9677a4d1.txt — 4.6 多个进程同时运行,再谈join方法(2) (tests/python/notes/40_join_list_commented_out.py)
# Features: Process, no join ([p.join() for p in p_lst] is commented out in the notes), time.sleep
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
    # [p.join() for p in p_lst]
    print('父进程在执行')
