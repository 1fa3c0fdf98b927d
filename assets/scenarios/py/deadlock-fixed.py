# 死锁 — 科学家吃面, fixed: both take the locks in the same order. The course's deadlock story (told with
# threads in the course), here with processes; not one of the programs in the notes files.
# Features: Process (named), two Locks taken in one order, time.sleep
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
    noodle_lock.acquire()       # 和 eat1 一样:先拿面条,再拿叉子
    print('%s拿到面条啦' % name)
    time.sleep(THINK)
    fork_lock.acquire()
    print('%s拿到叉子了' % name)
    print('%s吃面' % name)
    fork_lock.release()
    noodle_lock.release()
if __name__ == '__main__':
    noodle_lock = Lock()        # 面条
    fork_lock = Lock()          # 叉子
    Process(target=eat1, args=('alex', noodle_lock, fork_lock), name='alex').start()
    Process(target=eat2, args=('egon', noodle_lock, fork_lock), name='egon').start()
