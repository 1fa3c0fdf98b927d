# Pool.imap returns at once: the input's error and next(timeout)'s TimeoutError
# come at next(), as CPython's IMapIterator gives them.
import multiprocessing, time
from multiprocessing import Pool

def sqr(x, wait=0.0):
    time.sleep(wait)
    return x * x

def gen(total, when):
    for i in range(total):
        if i == when:
            raise ValueError("at %d" % i)
        yield i

def slow(x):
    time.sleep(1)
    return x

if __name__ == '__main__':
    with Pool(2) as p:
        it = p.imap(sqr, gen(10, 3))
        for _ in range(3):
            print(next(it))
        try:
            next(it)
        except ValueError as e:
            print("error", e)
        print(list(p.imap(sqr, range(10), 3)))
        print(sorted(p.imap_unordered(sqr, range(10))))
        it = p.imap(slow, [1])
        try:
            it.next(timeout=0.1)
        except multiprocessing.TimeoutError:
            print("timeout")
        print(it.next(timeout=5))
