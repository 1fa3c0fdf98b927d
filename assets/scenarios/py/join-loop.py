# From course notes 000_a5d265e6fdb2efb6.txt — join控制子进程 (#子进程同步,执行完毕后才执行主程序后面的程序) (tests/python/notes/04_join_in_loop.py)
# Features: Process, join inside the start loop (children run one after another), time.sleep
# forkscope-fix: this variant is commented out in the notes (alternative to 05_join_after_all.py); uncommented here
#子进程同步,执行完毕后才执行主程序后面的程序
import time
from multiprocessing import Process
def f(name):
    print("hello",name)
    time.sleep(1)
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p_list = []
    for i in range(5):
        p = Process(target=f,args=(i,))
        p.start()
        p_list.append(p)
        p.join()      #阻塞,
    print("主进程执行")
