# From course notes 000_a5d265e6fdb2efb6.txt — 队列 + 锁 简便的IPC机制 使得进程之间的数据安全 (tests/python/notes/11_queue_son_foo.py)
# Features: Process, Queue (put/get both ways), join
from multiprocessing import Process,Queue  # forkscope-fix: missing import (the notes omit the imports)
def consume(q):
    print('son-->',q.get())  # forkscope-fix: typographic quotes -> ASCII
    q.put('abc')  # forkscope-fix: typographic quotes -> ASCII
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    q = Queue()
    p = Process(target=consume,args=(q,))
    p.start()
    q.put({'123':123})  # forkscope-fix: typographic quotes -> ASCII
    p.join()
    print('Foo-->',q.get())  # forkscope-fix: typographic quotes -> ASCII; split off glued prose "简单的生产消费模型"
