# A signal whose handler raises ends input() while it waits for a line, as
# in CPython: the alarm comes from another process once main has waited a
# tenth of a second; the line that comes later is read by the next input(),
# not lost.
import multiprocessing
import os
import signal
import sys
import time

# The alarm's sender, shared with the signal programs of differences/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'differences'))
from _alarm import send_when_waiting  # noqa: E402


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    signal.signal(signal.SIGALRM, raise_alarm)
    sender = multiprocessing.Process(target=send_when_waiting, args=(os.getpid(), 0))
    t = time.monotonic()
    try:
        sender.start()
        print('read:', input())
    except Alarm:
        print('input() interrupted by the alarm', 'at once' if time.monotonic() - t < 5 else 'late')
    sender.join()
    print('then read:', input())
