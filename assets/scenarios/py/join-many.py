# From course notes 003_2112f71c9677a4d1.txt — 4.4 多个进程同时运行 (tests/python/notes/38_many_children.py)
# Features: Process, 5 children started, no join, time.sleep
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
