# From course notes 001_8c62dec115c42d1d.txt — 信号量 —— multiprocess.Semaphore(了解) / 模拟ktv的房间数 (tests/python/notes/21_ktv_semaphore.py)
# Features: Process, Semaphore(4) (5 groups, 4 rooms), time.sleep, random
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time
import random
from multiprocessing import Process, Semaphore
def ktv(i,sem):
    sem.acquire()  # 锁住进程
    print('person {} 进来唱歌了'.format(i))
    time.sleep(random.randint(1, 5))  # 模拟唱歌时间
    print('person {} 从ktv出去了'.format(i))
    sem.release()  # 解锁进程
if __name__ == '__main__':
    sem = Semaphore(4)  # 模拟只有4个房间
    for i in range(5):  # 模拟5批人需要唱歌
        Process(target=ktv, args=(i, sem)).start()
