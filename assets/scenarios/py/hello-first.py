# From course notes 003_2112f71c9677a4d1.txt — 4.1 在Python中启动的第一个子进程 (tests/python/notes/35_first_child.py)
# Features: Process, start, time.sleep
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time
from multiprocessing import Process
def f(name):
    print('hello', name)
    print('我是子进程')
if __name__ == '__main__':
    p = Process(target=f, args=('bob',))
    p.start()
    time.sleep(1)
    print('执行主进程的内容了')
