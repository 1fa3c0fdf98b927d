# A Barrier's action runs in the last party to arrive before any party goes
# on, as CPython's does: every party sees what the action did. If the
# action raises, that party gets its exception and the others
# BrokenBarrierError. The action sleeps, so a release before it would show.
import multiprocessing
import threading
import time


class Count:
    def __init__(self, v):
        self.v = v

    def __call__(self):
        time.sleep(0.3)
        with self.v.get_lock():
            self.v.value += 1


def party(b, v, q):
    b.wait()
    q.put(v.value)


def fail():
    time.sleep(0.2)
    raise ValueError('the action failed')


def party2(b, q):
    try:
        b.wait()
        q.put('passed')
    except threading.BrokenBarrierError:
        q.put('BrokenBarrierError')
    except ValueError as e:
        q.put('ValueError: %s' % e)


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    v = multiprocessing.Value('i', 0)
    b = multiprocessing.Barrier(3, action=Count(v))
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=party, args=(b, v, q)) for _ in range(3)]
    for p in ps:
        p.start()
    print('each party saw the action done:', sorted(q.get() for _ in ps))
    for p in ps:
        p.join()
    b2 = multiprocessing.Barrier(3, action=fail)
    ps = [multiprocessing.Process(target=party2, args=(b2, q)) for _ in range(3)]
    for p in ps:
        p.start()
    print('with a failing action:', sorted(q.get() for _ in ps))
    for p in ps:
        p.join()
    print('broken:', b2.broken)
