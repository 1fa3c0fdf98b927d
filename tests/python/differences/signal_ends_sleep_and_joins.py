# A signal for the main thread ends what it waits in, as in CPython: a
# SIGALRM handler that raises ends a time.sleep and a JoinableQueue.join at
# once (not when the sleep is over, the tasks marked done). The alarm comes
# from another process, half a second in, once main is in its wait; each
# wait would take 4 seconds or forever. (A Pool.join and an AsyncResult.get
# are interrupted too, but not yet every time while the pool's threads run:
# docs/python.md, "Not done yet".)
import multiprocessing
import os
import select
import signal
import time


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()


def send_when_waiting(pid, after):
    """SIGALRM to `pid` `after` seconds on, once its main thread has slept
    (state S, in its wait) for a tenth of a second straight: so the signal
    comes inside the wait however loaded the machine is (one that comes just
    before the wait begins is handled only when it ends, in CPython as
    here). os.read and select() are not ops of the run: the Files pane
    and the log stay the program's."""
    time.sleep(after)
    since = None
    while True:
        fd = os.open('/proc/%d/task/%d/stat' % (pid, pid), os.O_RDONLY)
        state = os.read(fd, 4096).rsplit(b')', 1)[1].split()[0]
        os.close(fd)
        now = time.monotonic()
        if state != b'S':
            since = None
        elif since is None:
            since = now
        elif now - since >= 0.1:
            break
        select.select([], [], [], 0.01)
    os.kill(pid, signal.SIGALRM)


def alarm_during(name, wait):
    sender = multiprocessing.Process(target=send_when_waiting, args=(os.getpid(), 0.5))
    t = time.monotonic()
    try:
        # (Inside the try: on a loaded machine the alarm may come before
        # the wait begins, and the output is the same.)
        sender.start()
        wait()
        print(name, 'returned')
    except Alarm:
        took = time.monotonic() - t
        print(name, 'interrupted by the alarm', 'at once' if took < 3 else 'only after %.1f s' % took)
    sender.join()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    signal.signal(signal.SIGALRM, raise_alarm)
    alarm_during('time.sleep', lambda: time.sleep(4))
    jq = multiprocessing.JoinableQueue()
    jq.put(1)
    alarm_during('JoinableQueue.join', jq.join)
    print(jq.get())
    jq.task_done()
    jq.join()
    print('joined')
