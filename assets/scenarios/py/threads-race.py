# 多个线程同时修改共享的全局变量 — without a lock, updates are lost.
# Not a program of the notes: forkscope's own lesson for the course's next chapter (线程), in the notes' style.
# Features: threading.Thread, a shared global, time.sleep between the read and the write, join
import time
from threading import Thread
THREADS = 10  # lesson parameter: threads each taking one from n
def func():
    global n
    tmp = n            # 读出 n
    time.sleep(0.1)    # 模拟网络延迟: 读和写之间, 别的线程也读到了同一个 n
    n = tmp - 1        # 写回去
if __name__ == '__main__':
    n = THREADS
    t_l = [Thread(target=func) for _ in range(THREADS)]
    for t in t_l:
        t.start()
    for t in t_l:
        t.join()
    print('应该是 0, 实际是 %s' % n)
    if n != 0:
        print('丢失了 %s 次更新' % n)
