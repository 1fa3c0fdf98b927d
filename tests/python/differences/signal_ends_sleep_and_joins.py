# A signal for the main thread ends what it waits in, as in CPython: a
# SIGALRM handler that raises ends a time.sleep, a JoinableQueue.join, an
# AsyncResult.get and a Pool.join at once (not when the sleep is over, the
# tasks marked done, the task finished). The alarm comes from another
# process, half a second in, once main is in its wait; each wait would take
# 4 seconds or forever. (The pool's waits missed the alarm now and then
# under load: it came while main was between two of its futex waits, or to
# a thread of forkscope's.)
import multiprocessing
import os
import signal
import time

from _alarm import send_when_waiting


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm()



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
    pool = multiprocessing.Pool(1)
    result = pool.apply_async(time.sleep, (4,))
    alarm_during('AsyncResult.get', result.get)
    pool.close()
    alarm_during('Pool.join', pool.join)
    print('pool joined')
