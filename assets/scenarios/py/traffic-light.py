# From course notes 000_a5d265e6fdb2efb6.txt — 事件 Event (#模拟红绿灯,只有全部车通过后才停止) (tests/python/notes/10_traffic_light_daemon.py)
# Features: Process, daemon (the light), Event (set/clear/is_set/wait), join, time.sleep, random
#模拟红绿灯,只有全部车通过后才停止
import time
import random
from multiprocessing import Process,Event
CARS = 10  # forkscope-fix: lesson parameter (the notes' range(10))
def traffic_light(e):
    print("红灯亮")
    while True:
        if e.is_set():
            time.sleep(2)
            print("红灯亮")
            e.clear()
        else:
            time.sleep(2)
            print("绿灯亮")
            e.set()
def car(e,i):
    if not e.is_set():
        print("car%s在等待"%i)
        e.wait()
    print("car%s通过了"%i)
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    e = Event()
    p = Process(target=traffic_light,args=(e,))
    p.daemon =True    #变成守护进程
    p.start()
    p_list = []
    for i in range(CARS):
        time.sleep(random.randrange(0,3,2))
        p = Process(target=car,args=(e,i))
        p.start()
        p_list.append(p)
    for p in p_list:p.join()  # forkscope-fix: split off glued prose "多个进程之间有一些固定的通信内容"
