# A signal interrupts a wait, as in CPython: a SIGALRM handler that raises
# ends a Queue.get, a Lock.acquire, a Condition.wait and a join; one that
# does not raise lets the wait go on; SIGINT's KeyboardInterrupt ends a
# Condition.wait (CPython's test_wait_result). The signals come from other
# processes, as a Ctrl-C or a kill does.
import multiprocessing
import os
import signal

from _alarm import send_when_waiting


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
    send_when_waiting(pid, 0.3)


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
