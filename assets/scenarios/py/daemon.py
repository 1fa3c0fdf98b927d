# From course notes 000_a5d265e6fdb2efb6.txt — 守护进程 daemon (tests/python/notes/06_daemon_stars.py)
# Features: Process, daemon (killed when the main code ends), non-daemon child outlives main code, time.sleep
import time
from multiprocessing import Process
def func1():
    count = 1
    while True:
        time.sleep(0.5)
        print(count*"*")
        count += 1
def func2():
    print("func strat")
    time.sleep(5)
    print("func2 end")
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    p1 = Process(target=func1)
    p1.daemon = True      #定义为守护进程
    p1.start()          #执行
    Process(target=func2).start()
    time.sleep(3)
    print("主进程")
#输出
# func strat
# *
# **
# ***
# ****
# *****
# 主进程
# func2 end
# forkscope-fix: split off glued prose "如果主进程执行完毕那么守护进程也会结束,但是其他子进程如果没执行完还会继续执行" from the line above
