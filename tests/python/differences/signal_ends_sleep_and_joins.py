# A signal for the main thread ends what it waits in, as in CPython: a
# SIGALRM handler that raises ends a time.sleep, an AsyncResult.get, a
# Pool.join and a JoinableQueue.join at once (not when the sleep is over, the
# task done, the workers gone). The alarm comes from another process, half a
# second in; each wait would take 4 seconds or forever.
import multiprocessing
import os
import signal
import time


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()


def send_alarm(pid):
    time.sleep(0.5)
    os.kill(pid, signal.SIGALRM)


def slow(x):
    time.sleep(4)
    return x


def alarm_during(name, wait):
    sender = multiprocessing.Process(target=send_alarm, args=(os.getpid(),))
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
    with multiprocessing.Pool(1) as pool:
        r = pool.apply_async(slow, (1,))
        alarm_during('AsyncResult.get', r.get)
    pool = multiprocessing.Pool(1)
    pool.apply_async(slow, (2,))
    pool.close()
    alarm_during('Pool.join', pool.join)
    pool.terminate()
    pool.join()
    jq = multiprocessing.JoinableQueue()
    jq.put(1)
    alarm_during('JoinableQueue.join', jq.join)
    print(jq.get())
    jq.task_done()
    jq.join()
    print('joined')
