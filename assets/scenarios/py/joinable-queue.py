# From course notes 000_a5d265e6fdb2efb6.txt — 相同的原理 JoinableQueue (tests/python/notes/12_joinable_queue_buns.py)
# Features: Process, daemon consumer, JoinableQueue (put/get/task_done/join), join, time.sleep, random
import time
import random
from multiprocessing import Process,JoinableQueue
ITEMS = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def consumer(q,name):
    while True:
        food = q.get()
        time.sleep(random.uniform(0.3,0.8))
        print("%s吃了一个%s"%(name,food))
        q.task_done()
def producer(q,name,food):
    for i in range(ITEMS):
        time.sleep(random.uniform(0.3,0.8))
        print("%s生产了%s%s"%(name,food,i))
        q.put(food+str(i))
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    jq = JoinableQueue()
    c1 = Process(target=consumer,args=(jq,"alex"))
    c1.daemon = True
    p1 = Process(target=producer,args=(jq,"libai","包子"))
    c1.start()
    p1.start()
    p1.join()
    jq.join()  # forkscope-fix: split off glued prose "管道 进程之间数据不安全 且存取数据复杂"
