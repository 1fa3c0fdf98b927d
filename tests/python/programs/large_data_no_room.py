"""Run with a /dev/shm of 40 MiB: values that do not fit raise MemoryError
where they are sent, once, and the run goes on. (A Pipe's message is not
among them: connections are real descriptors, bounded by memory as in
CPython, where a 40 MiB send with no reader blocks.)"""
import time
from multiprocessing import Pool, Queue

BIG = 40 * 1024 * 1024


def too_big(_):
    return b"y" * BIG


if __name__ == "__main__":
    q = Queue()
    try:
        q.put(b"x" * BIG)
    except MemoryError as e:
        print("put:", type(e).__name__, e)
    q.put("small")
    print("then:", q.get(), q.empty())

    n = 0
    try:
        while True:
            q.put(n)
            n += 1
    except MemoryError as e:
        print("a queue of", "over 20,000" if n > 20_000 else n, "ints, then:", type(e).__name__)
    back = sum(q.get() for _ in range(n)) == n * (n - 1) // 2
    time.sleep(0.5)  # the conductor drains the records of the ops above meanwhile
    print("back:", back, q.empty())

    with Pool(1) as pool:
        r = pool.apply_async(too_big, (0,))
        try:
            r.get(timeout=60)
        except MemoryError as e:
            print("result:", type(e).__name__)
