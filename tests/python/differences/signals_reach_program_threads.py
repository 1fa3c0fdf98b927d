# A signal sent to the process goes to a thread of the program, as in
# CPython: every thread the process runs that the program did not start
# (forkscope's watcher of its conductor, its output capture) blocks every
# signal, so the kernel never gives the program's signal to one of them
# (whose handler would run there and leave main's wait alone). The
# program's own threads (threading.enumerate()) block none.
import multiprocessing
import os
import threading

SIGNALS = {2: 'SIGINT', 10: 'SIGUSR1', 14: 'SIGALRM', 15: 'SIGTERM'}


def report(where):
    seen = {t.native_id for t in threading.enumerate()}
    for tid in sorted(int(t) for t in os.listdir('/proc/self/task')):
        with open('/proc/self/task/%d/status' % tid) as f:
            blocked = int(dict(l.split(':\t', 1) for l in f.read().splitlines() if ':\t' in l)['SigBlk'], 16)
        taken = sorted(name for num, name in SIGNALS.items() if not blocked & (1 << (num - 1)))
        if tid in seen:
            print(where, 'a thread of the program takes', taken)
        elif taken:
            print(where, 'a thread the program did not start takes', taken)


def child():
    print('child speaks')
    os.write(1, b'child writes to its descriptor\n')
    report('child:')


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    os.write(1, b'main writes to its descriptor\n')
    report('main:')
    p = multiprocessing.Process(target=child)
    p.start()
    p.join()
    print('exitcode', p.exitcode)
