# 死锁 — 科学家吃面: two locks taken in opposite order. The course's deadlock story (told with threads in
# the course), here with processes; not one of the programs in the notes files.
# Features: Process (named), two Locks, time.sleep
import time
from multiprocessing import Process, Lock
THINK = 1  # lesson parameter: seconds each one thinks between taking the two locks
def eat1(name, noodle_lock, fork_lock):
    noodle_lock.acquire()
    print('%s拿到面条啦' % name)
    time.sleep(THINK)
    fork_lock.acquire()
    print('%s拿到叉子了' % name)
    print('%s吃面' % name)
    fork_lock.release()
    noodle_lock.release()
def eat2(name, noodle_lock, fork_lock):
    fork_lock.acquire()         # 先拿叉子:和 eat1 的顺序相反
    print('%s拿到叉子了' % name)
    time.sleep(THINK)
    noodle_lock.acquire()
    print('%s拿到面条啦' % name)
    print('%s吃面' % name)
    noodle_lock.release()
    fork_lock.release()
if __name__ == '__main__':
    noodle_lock = Lock()        # 面条
    fork_lock = Lock()          # 叉子
    Process(target=eat1, args=('alex', noodle_lock, fork_lock), name='alex').start()
    Process(target=eat2, args=('egon', noodle_lock, fork_lock), name='egon').start()
