# From course notes 002_8ca1c13dd9dcc351.txt — 进程池中的Queue (tests/python/notes/33_manager_queue_pool.py)
# Features: Pool(), apply_async, close, join, Manager().Queue (qsize/put/get), os.getpid/os.getppid, time.sleep
# 修改import中的Queue为Manager
from multiprocessing import Queue,Pool  # forkscope-fix: the plain Queue the notes warn about (修改import中的Queue为Manager: this is the program before that change)
import os,time,random

def reader(q):
    print("reader启动(%s),父进程为(%s)" % (os.getpid(), os.getppid()))
    for i in range(q.qsize()):
        print("reader从Queue获取到消息:%s" % q.get(True))

def writer(q):
    print("writer启动(%s),父进程为(%s)" % (os.getpid(), os.getppid()))
    for i in "itcast":
        q.put(i)

if __name__=="__main__":
    print("(%s) start" % os.getpid())
    q = Queue()  # forkscope-fix: a plain multiprocessing.Queue instead of Manager().Queue()
    po = Pool()
    res = po.apply_async(writer, (q,))  # forkscope-fix: keep the result, to get() it below

    time.sleep(1)  # 先让上面的任务向Queue存入数据,然后再让下面的任务开始从中取数据

    po.apply_async(reader, (q,))
    po.close()
    po.join()
    print("(%s) End" % os.getpid())
    res.get()  # forkscope-fix: get() the writer's result: the error apply_async kept is raised here (RuntimeError: Queue objects should only be shared between processes through inheritance)
