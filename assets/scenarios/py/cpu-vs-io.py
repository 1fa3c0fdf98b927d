# 计算密集型 vs IO密集型 — when do more processes stop helping? From course notes 000 (prose, no program):
#   开启过多的进程并不能提高你的效率,反而会降低效率
#   计算密集型 充分占用CPU 多进程可以充分利用多核 适合开启多进程,但是不适合开启很多多进程
#   IO密集型 大部分时间都在阻塞队列,而不是在运行状态 根本不太适合开启多进程
# The same work, TASKS tasks of MS milliseconds, split over 1, 2, 4 and 8 processes: computing
# (CPU-bound) and waiting (I/O-bound), each case timed.
# Features: Process, join, os.times, os.cpu_count, time
import os
import time
from multiprocessing import Process
WORK = 'both'  # lesson parameter: 'both', 'cpu' or 'io'
TASKS = 8  # lesson parameter: tasks in each case
MS = 200  # lesson parameter: milliseconds of work (or waiting) per task
def worker(kind, count, ms):
    for i in range(count):
        if kind == 'cpu':
            end = time.process_time() + ms / 1000   # 计算密集型:一直占着 CPU
            x = 0
            while time.process_time() < end:
                x += 1
        else:
            time.sleep(ms / 1000)                   # IO密集型:大部分时间在等待
def run_case(kind, procs):
    before = os.times()
    t0 = time.time()
    ps = []
    for i in range(procs):
        count = TASKS // procs + (1 if i < TASKS % procs else 0)
        p = Process(target=worker, args=(kind, count, MS))
        p.start()
        ps.append(p)
    for p in ps:
        p.join()
    # forkscope-fix: stepped (or replayed), time moves only by what is slept, so computing takes no time at all
    elapsed = max(time.time() - t0, 0.001)
    after = os.times()
    # each difference first: equal sums subtracted in another order can print -0.00
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return elapsed, cpu
if __name__ == '__main__':
    print('本机有 %s 个 CPU 核; %s 个任务, 每个 %s 毫秒' % (os.cpu_count(), TASKS, MS))
    kinds = ['cpu', 'io'] if WORK == 'both' else [WORK]
    for kind in kinds:
        first = None
        for procs in [1, 2, 4, 8]:
            t, cpu = run_case(kind, procs)
            first = first or t
            print('%s: %s 个进程 用时 %.2f 秒 (快了 %.1f 倍), 平均 %.2f 个核在忙' % (kind, procs, t, first / t, cpu / t))
