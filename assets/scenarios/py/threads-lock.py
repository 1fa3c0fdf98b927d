# 互斥锁 threading.Lock — the fix: the read and the write are one step for the other threads.
# Not a program of the notes: forkscope's own lesson for the course's next chapter (线程), in the notes' style.
# Features: threading.Thread, threading.Lock (with), a shared global, join
import time
from threading import Thread, Lock
THREADS = 10  # lesson parameter: threads each taking one from n
def func():
    global n
    with lock:             # 加锁: 同一时间只有一个线程能读、改、写 n
        tmp = n
        time.sleep(0.1)
        n = tmp - 1
if __name__ == '__main__':
    n = THREADS
    lock = Lock()
    t_l = [Thread(target=func) for _ in range(THREADS)]
    for t in t_l:
        t.start()
    for t in t_l:
        t.join()
    print('应该是 0, 实际是 %s' % n)
    if n != 0:
        print('丢失了 %s 次更新' % n)
