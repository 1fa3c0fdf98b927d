# From course notes 003_2112f71c9677a4d1.txt — 4.3 查看主进程和子进程的进程号 (tests/python/notes/37_pids.py)
# Features: Process, os.getpid/os.getppid (5 children, no join)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import os
from multiprocessing import Process
CHILDREN = 5  # forkscope-fix: lesson parameter (the notes start 5 children: range(5))
def f(x):
    print('子进程id :',os.getpid(),'父进程id :',os.getppid())  # forkscope-fix: the string '子进程id :' is broken across two lines in the notes; rejoined
    return x*x
if __name__ == '__main__':
    print('主进程id :', os.getpid())
    p_lst = []
    for i in range(CHILDREN):
        p = Process(target=f, args=(i,))
        p.start()
