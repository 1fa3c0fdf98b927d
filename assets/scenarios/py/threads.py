# 线程之间数据共享 — the twin of 进程之间数据隔离 (isolation.py): a thread changes main's global.
# Not a program of the notes: forkscope's own lesson for the course's next chapter (线程), in the notes' style.
# Features: threading.Thread, join, global variable changed by the thread, os.getpid
# 同一个进程里的线程之间数据是共享的
import os
from threading import Thread

def func():
    global n   # 声明了一个全局变量
    n = 0       # 改的是主线程的那个n: 线程之间共享全局变量
    print('pid : %s'%os.getpid(),n)

if __name__ == '__main__':
    n = 100
    t = Thread(target=func)
    t.start()
    t.join()
    print(os.getpid(),n)
