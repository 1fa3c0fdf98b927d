# From course notes 000_a5d265e6fdb2efb6.txt — join控制子进程 (#子程序异步执行,执行完了阻塞结束) (tests/python/notes/05_join_after_all.py)
# Features: Process, join after starting all children, time.sleep
#子程序异步执行,执行完了阻塞结束
import time
from multiprocessing import Process
def f(name):
    print("hello",name)
    time.sleep(1)
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p_list = []
    for i in range(10):
        p = Process(target=f,args=(i,))
        p.start()
        p_list.append(p)
    for i in p_list:
        i.join()
    print("主进程执行完毕")  # forkscope-fix: split off glued prose "守护进程 daemon"
