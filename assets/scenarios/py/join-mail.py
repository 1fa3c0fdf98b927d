# From course notes 000_a5d265e6fdb2efb6.txt — 第二种开启子进程的方式 (tests/python/notes/03_send_mail.py)
# Features: Process, start, join (after starting all), time.sleep, random
import time  # forkscope-fix: missing import (the notes omit the imports)
import random  # forkscope-fix: missing import
from multiprocessing import Process  # forkscope-fix: missing import
def func(index):
    time.sleep(random.random())
    print('第%s个邮件已经发送完毕'%index)  # forkscope-fix: typographic quotes -> ASCII
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p_lst = []
    for i in range(10):
        p = Process(target=func,args=(i,))
        p.start()
        p_lst.append(p)
    for p in p_lst:
        p.join()
    print('全部发送完毕')  # forkscope-fix: typographic quotes -> ASCII; split off glued prose "join控制子进程"
