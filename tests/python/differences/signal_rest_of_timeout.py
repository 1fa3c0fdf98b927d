# A signal handler that returns lets the wait go on for the REST of its
# timeout, as CPython's waits do (PEP 475), not for the whole timeout again:
# a Queue.get, a Lock.acquire, an Event.wait and a time.sleep of 2 seconds,
# each interrupted by a SIGALRM after about 1.2 s whose handler only prints
# (during the wait, not after it), end about 2 s after they began (3.2 s or
# more if they started over).
import multiprocessing
import os
import queue
import signal
import time

from _alarm import send_when_waiting



began = 0.0


def handler(signum, frame):
    # During the wait (about 1.2 s in), not once it is over (2 s).
    print('the handler ran', 'during the wait' if time.monotonic() - began < 1.9 else 'after the wait')


def timed(name, wait):
    global began
    sender = multiprocessing.Process(target=send_when_waiting, args=(os.getpid(), 1.2))
    t = began = time.monotonic()
    sender.start()
    try:
        wait()
        outcome = 'returned'
    except queue.Empty:
        outcome = 'timed out (queue.Empty)'
    took = time.monotonic() - t
    print(name, outcome, 'in the time it was given' if took < 2.8 else 'after %.1f s: its timeout started over' % took)
    sender.join()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    signal.signal(signal.SIGALRM, handler)
    q = multiprocessing.Queue()
    timed('Queue.get(timeout=2)', lambda: q.get(timeout=2))
    lock = multiprocessing.Lock()
    lock.acquire()
    timed('Lock.acquire(timeout=2)', lambda: print('acquired:', lock.acquire(timeout=2)))
    ev = multiprocessing.Event()
    timed('Event.wait(2)', lambda: print('set:', ev.wait(2)))
    timed('time.sleep(2)', lambda: time.sleep(2))
