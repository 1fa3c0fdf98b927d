# 哲学家就餐问题 — five philosophers, five forks (five Locks). Not a program of the notes: the classic
# deadlock problem, in the notes' style.
# Features: Process (named), Lock, Semaphore, join, time.sleep
import time
from multiprocessing import Process, Lock, Semaphore
FIX = 'none'  # lesson parameter: 'none'; 'ordered': pick up the lower-numbered fork first; 'seats': a Semaphore(4)
MEALS = 2  # lesson parameter: meals each philosopher eats
THINK = 0.3  # lesson parameter: seconds between picking up the two forks, and eating
def philosopher(i, name, forks, seats):
    left, right = i, (i + 1) % len(forks)
    first, second = left, right
    if FIX == 'ordered' and right < left:
        first, second = right, left         # 先拿编号小的叉子
    for meal in range(MEALS):
        print('%s在思考' % name)
        if FIX == 'seats':
            seats.acquire()                 # 坐下
        forks[first].acquire()
        print('%s拿起了叉子%s' % (name, first + 1))
        time.sleep(THINK)
        forks[second].acquire()
        print('%s拿起了叉子%s,开始吃饭' % (name, second + 1))
        time.sleep(THINK)
        forks[second].release()
        forks[first].release()
        if FIX == 'seats':
            seats.release()                 # 离开
if __name__ == '__main__':
    names = ['苏格拉底', '柏拉图', '亚里士多德', '孔子', '老子']
    forks = [Lock() for i in range(5)]
    seats = Semaphore(4)
    ps = []
    for i in range(5):
        p = Process(target=philosopher, args=(i, names[i], forks, seats), name=names[i])
        p.start()
        ps.append(p)
    for p in ps:
        p.join()
    print('每个哲学家都吃完了')
