"""Run with a /dev/shm of 40 MiB: a value that does not fit is a MemoryError
where it is sent, once, and the run goes on. A Queue's item is sent by the
queue's feeder thread (as in CPython, `put` returns at once): the feeder
reports the error on its lane and drops the item. (A Pipe's message is not
among them: connections are real descriptors, bounded by memory as in
CPython, where a 40 MiB send with no reader blocks.)"""
from multiprocessing import Pool, Queue

BIG = 40 * 1024 * 1024


def too_big(_):
    return b"y" * BIG


if __name__ == "__main__":
    q = Queue()
    q.put(b"x" * BIG)
    q.put("small")
    print("then:", q.get(), q.empty())

    with Pool(1) as pool:
        r = pool.apply_async(too_big, (0,))
        try:
            r.get(timeout=60)
        except MemoryError as e:
            print("result:", type(e).__name__)
