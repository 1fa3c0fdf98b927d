# From course notes 000_a5d265e6fdb2efb6.txt — 异步提交 apply_async / map()方法 (tests/python/notes/14_pool_apply_async.py)
# Features: Pool(4), apply_async (results never fetched), close, join, os.getpid, time.sleep
import os
import time
from multiprocessing import Pool
TASKS = 20  # forkscope-fix: lesson parameter (the notes' range(20))
WORKERS = 4  # forkscope-fix: lesson parameter (the notes' Pool(4))
def task(num):
    time.sleep(1)
    print("%s: %s"%(num,os.getpid()))
    return num **2
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p = Pool(WORKERS)
    for i in range(TASKS):
        res = p.apply_async(task,args=(i,))     #apply_async   异步提交
    p.close()
    p.join()
#输出结果同时四个认识执行
# forkscope-fix: split off glued source link "原文:https://www.cnblogs.com/yuncong/p/9683881.html" from the comment above
