# From course notes 001_8c62dec115c42d1d.txt — 改良版--生产者消费模型 (tests/python/notes/30_producer_consumer_none.py)
# Features: Process, Queue with a None end signal, os.getpid, time.sleep, random
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Process, Queue
import time, random, os
ITEMS = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def consumer(q):
    while True:
        res = q.get()
        if res is None: break  # 收到结束信号则结束
        time.sleep(random.randint(1, 3))
        print('\033[1;32m%s 吃 %s\033[0m' % (os.getpid(), res))
def producer(q):
    for i in range(ITEMS):
        time.sleep(random.randint(1, 3))
        res = '包子%s' % i
        q.put(res)
        print('\033[1;31m%s 生产了 %s\033[0m' % (os.getpid(), res))
    q.put(None)  # 发送结束信号
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
