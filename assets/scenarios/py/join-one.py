# From course notes 004_7d4f5e917ef1d325.txt — 2，join()方法 (tests/python/notes/50_join.py)
# Features: Process, join (parent waits for the child), time.sleep
# join()
import time
from multiprocessing import Process

def func(arg1,arg2):
    print('*'*arg1)
    time.sleep(5)
    print('*'*arg2)

if __name__ == '__main__':
    p = Process(target=func,args=(10,20))
    p.start()
    print('hahahaha')
    p.join()     # 是感知一个子进程的结束,将异步的程序改为同步
    print('====== : 运行完了')
