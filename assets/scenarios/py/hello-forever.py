# From course notes 002_8ca1c13dd9dcc351.txt — 进程pid (tests/python/notes/31_pid_forever.py)
# Features: Process (via multiprocessing.Process), os.getpid/os.getppid, time.sleep (the child loops forever: the program never ends by design)
import multiprocessing
import os
import time


def run_proc():
    # os.getpid() 取得当前进程的id
    # os.getppid() :取得当前进程的父进程的id
    while True:
        time.sleep(1)
        print("--run_proc--子进程的父进程的id=%d   子进程的id= %d" % (os.getppid(), os.getpid()))


if __name__ == '__main__':
    print("--main--主进程的父进程id=%d   主进程的id= %d" % (os.getppid(), os.getpid()))

    # 在主进程中创建一个子进程p1   ,p1的父进程就是主进程
    p1 = multiprocessing.Process(target=run_proc)
    p1.start()
