# From course notes 003_2112f71c9677a4d1.txt — 4.2 join方法 (tests/python/notes/36_join_commented_out.py)
# Features: Process, start (p.join() is commented out in the notes, so the parent prints first), time.sleep
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time
from multiprocessing import Process
def f(name):
    print('hello', name)
    time.sleep(1)
    print('我是子进程')
if __name__ == '__main__':
    p = Process(target=f, args=('bob',))
    p.start()
    # p.join()
    print('我是父进程')
