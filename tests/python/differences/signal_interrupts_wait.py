# A signal interrupts a wait, as in CPython: a SIGALRM handler that raises
# ends a Queue.get, a Lock.acquire, a Condition.wait and a join; one that
# does not raise lets the wait go on; SIGINT's KeyboardInterrupt ends a
# Condition.wait (CPython's test_wait_result). The signals come from other
# processes, as a Ctrl-C or a kill does.
import multiprocessing
import os
import select
import signal
import time


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()


def wait_for(ev):
    ev.wait()


def put_after(ev, q):
    ev.wait()
    q.put('late item')


def interrupt(pid, c):
    with c:
        pass
    os.kill(pid, signal.SIGINT)


def send_alarm(pid):
    """SIGALRM to `pid` once its main thread has slept (state S, in its
    wait) for a tenth of a second straight, so the signal comes inside the
    wait however loaded the machine is (one that comes as the wait begins is
    handled only when it ends, in CPython as here). os.read and select()
    are not ops of the run."""
    time.sleep(0.3)
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
    sender = multiprocessing.Process(target=send_alarm, args=(os.getpid(),))
    try:
        sender.start()
        wait()
        print(name, 'returned')
    except Alarm:
        print(name, 'interrupted by the alarm')
    sender.join()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    signal.signal(signal.SIGALRM, raise_alarm)
    q = multiprocessing.Queue()
    alarm_during('Queue.get', q.get)
    lock = multiprocessing.Lock()
    lock.acquire()
    alarm_during('Lock.acquire', lock.acquire)
    lock.release()
    c = multiprocessing.Condition()
    with c:
        alarm_during('Condition.wait', c.wait)
    ev = multiprocessing.Event()
    p = multiprocessing.Process(target=wait_for, args=(ev,))
    p.start()
    alarm_during('join', p.join)
    ev.set()
    p.join()

    ticked = multiprocessing.Event()

    def tick(signum, frame):
        print('tick')
        ticked.set()

    signal.signal(signal.SIGALRM, tick)
    p = multiprocessing.Process(target=put_after, args=(ticked, q))
    p.start()
    alarm_during('Queue.get', lambda: print('got', q.get()))
    p.join()

    with c:
        p = multiprocessing.Process(target=interrupt, args=(os.getpid(), c))
        p.start()
        try:
            c.wait(30)
            print('not interrupted')
        except KeyboardInterrupt:
            print('KeyboardInterrupt in Condition.wait')
    p.join()
    print('exitcode', p.exitcode)
