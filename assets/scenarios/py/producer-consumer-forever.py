# From course notes 001_8c62dec115c42d1d.txt — 基于队列实现生产者消费者模型 (tests/python/notes/29_producer_consumer_forever.py)
# Features: Process, Queue, os.getpid, time.sleep, random (consumer loops forever on q.get(): the program never ends by design)
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Process, Queue
import time, random, os
ITEMS = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def consumer(q):
    while True:
        res = q.get()
        time.sleep(random.randint(1, 3))
        print('\033[45m%s 吃 %s\033[0m' % (os.getpid(), res))
def producer(q):
    for i in range(ITEMS):
        time.sleep(random.randint(1, 3))
        res = '包子%s' % i
        q.put(res)
        print('\033[44m%s 生产了 %s\033[0m' % (os.getpid(), res))
if __name__ == '__main__':
    q = Queue()
    # 生产者们:即厨师们
    p1 = Process(target=producer, args=(q,))
    # 消费者们:即吃货们
    c1 = Process(target=consumer, args=(q,))
    # 开始
    p1.start()
    c1.start()
    print('主')
