# From course notes 004_7d4f5e917ef1d325.txt — 5，进程直接数据隔离 (tests/python/notes/53_data_isolation_join.py)
# Features: Process, join, global variable changed only in the child, os.getpid
# 进程 与 进程之间数据是隔离的
import os
from multiprocessing import Process

def func():
    global n   # 声明了一个全局变量
    n = 0       # 重新定义了一个n
    print('pid : %s'%os.getpid(),n)

if __name__ == '__main__':
    n = 100
    p = Process(target=func)
    p.start()
    p.join()
    print(os.getpid(),n)

