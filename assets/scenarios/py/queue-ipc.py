# From course notes 001_8c62dec115c42d1d.txt — 双向通信 (tests/python/notes/28_queue_two_way.py)
# Features: Process, Queue (both directions), time.sleep
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time
from multiprocessing import Queue, Process
# 能维护一个先进先出的次序,也能进行IPC
def haha(q):
    # 返回q中的一个项目。如果q为空,此方法将阻塞,直到队列中有项目可用为止
    print(q.get())
    # 将'你好'放入队列。如果队列已满,此方法将阻塞至有空间可用为止
    q.put('你好')
if __name__ == '__main__':
    q = Queue()
    p = Process(target=haha, args=(q, ))
    p.start()
    # 将'hi'放入队列。如果队列已满,此方法将阻塞至有空间可用为止
    q.put('hi')
    time.sleep(0.5)
    # 返回q中的一个项目。如果q为空,此方法将阻塞,直到队列中有项目可用为止
    print(q.get())
