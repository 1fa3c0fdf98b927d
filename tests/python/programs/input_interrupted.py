# A signal whose handler raises ends input() while it waits for a line, as
# in CPython: the alarm comes from another process once main has waited a
# tenth of a second; the line that comes later is read by the next input(),
# not lost.
import multiprocessing
import os
import select
import signal
import time


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()


def send_when_waiting(pid):
    # SIGALRM once main's thread has slept (in its read) for 0.1 s straight.
    since = None
    while True:
        with open('/proc/%d/task/%d/stat' % (pid, pid), 'rb') as f:
            state = f.read().rsplit(b')', 1)[1].split()[0]
        now = time.monotonic()
        if state != b'S':
            since = None
        elif since is None:
            since = now
        elif now - since >= 0.1:
            break
        select.select([], [], [], 0.01)
    os.kill(pid, signal.SIGALRM)


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    signal.signal(signal.SIGALRM, raise_alarm)
    sender = multiprocessing.Process(target=send_when_waiting, args=(os.getpid(),))
    t = time.monotonic()
    try:
        sender.start()
        print('read:', input())
    except Alarm:
        print('input() interrupted by the alarm', 'at once' if time.monotonic() - t < 5 else 'late')
    sender.join()
    print('then read:', input())
