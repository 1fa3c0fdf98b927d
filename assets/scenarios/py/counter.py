# 共享内存 Value — a shared counter, without its lock (the race). Not a program of the notes: forkscope's
# own lesson on what the notes say about shared data (进程之间数据不安全), in the notes' style.
# Features: Process, Value (shared memory), join
from multiprocessing import Process, Value
PROCESSES = 4  # lesson parameter: processes adding to the counter
TIMES = 100  # lesson parameter: increments per process
def work(v, times):
    for _ in range(times):
        v.value += 1        # 读、加一、写回:不是一步完成的
if __name__ == '__main__':
    v = Value('i', 0)
    ps = [Process(target=work, args=(v, TIMES)) for _ in range(PROCESSES)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    expected = PROCESSES * TIMES
    print('应该是 %s, 实际是 %s' % (expected, v.value))
    if v.value != expected:
        print('丢失了 %s 次更新' % (expected - v.value))
