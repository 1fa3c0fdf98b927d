# From course notes 000_a5d265e6fdb2efb6.txt — 提交任务: 同步提交 apply (tests/python/notes/13_pool_apply.py)
# Features: Pool(4), apply (synchronous submit, return value), os.getpid, time.sleep
# forkscope-fix: this program is commented out in the notes (the apply variant before apply_async); uncommented here
import os
import time
from multiprocessing import Process,Pool
TASKS = 20  # forkscope-fix: lesson parameter (the notes' range(20))
WORKERS = 4  # forkscope-fix: lesson parameter (the notes' Pool(4))
def task(num):
    time.sleep(0.5)
    print("%s: %s"%(num,os.getpid()))
    return num ** 2
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p = Pool(WORKERS)
    for i in range(TASKS):
        res = p.apply(task,args=(i,)) #apply   提交任务方法,同步提交
        print("--->",res)
#四个任务依次执行,轮换
# forkscope-fix: the comment above is cut where the notes glue on the next heading "异步提交 apply_async"
