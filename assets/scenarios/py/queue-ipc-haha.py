# From course notes 001_8c62dec115c42d1d.txt — 进程间的通信 / 示例代码 (Queue) (tests/python/notes/27_queue_haha.py)
# Features: Process, Queue (main puts, child gets)
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Queue, Process
# 能维护一个先进先出的次序,也能进行IPC
def haha(q):
    # 返回q中的一个项目。如果q为空,此方法将阻塞,直到队列中有项目可用为止
    print(q.get())
if __name__ == '__main__':
    q = Queue()
    p = Process(target=haha, args=(q, ))
    p.start()
    # 将[1, 2, 3]放入队列。如果队列已满,此方法将阻塞至有空间可用为止
    q.put([1, 2, 3])
