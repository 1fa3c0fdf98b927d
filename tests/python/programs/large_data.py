"""Values of any size cross processes, bounded by memory as in CPython:
many small queue items, megabytes through a Queue, a Pipe, a Pool and a
Manager. Every line printed is the same under python3."""
import time
from multiprocessing import Manager, Pipe, Pool, Process, Queue


def put_big(q):
    q.put(b"x" * (5 * 1024 * 1024))


def send_big(conn):
    conn.send(list(range(700_000)))  # about 5 MB pickled
    conn.close()


def two_mib(i):
    return bytes([i]) * (2 * 1024 * 1024)


def chunk_sum(xs):
    return sum(xs)


def store(d, key):
    d[key] = key * (3 * 1024 * 1024)


if __name__ == "__main__":
    q = Queue()
    for i in range(20_000):
        q.put(i)
    total = sum(q.get() for _ in range(20_000))
    time.sleep(0.5)  # forkscope's conductor drains the records of 40,000 ops meanwhile
    print("20,000 ints:", total, q.empty())

    q = Queue()
    p = Process(target=put_big, args=(q,))
    p.start()
    item = q.get()
    p.join()
    print("a 5 MiB queue item:", len(item), item[:4], p.exitcode)

    a, b = Pipe()
    p = Process(target=send_big, args=(b,))
    p.start()
    m = a.recv()
    p.join()
    print("a 5 MB pipe message:", len(m), sum(m), p.exitcode)

    with Pool(2) as pool:
        rs = pool.map(two_mib, [1, 2])
        print("two 2 MiB results:", [len(r) for r in rs], [r[-1] for r in rs])
        n = 2_000_000
        numbers = list(range(n))
        chunks = [numbers[i * n // 4:(i + 1) * n // 4] for i in range(4)]
        print("2 M numbers in 4 chunks:", sum(pool.map(chunk_sum, chunks)), n * (n - 1) // 2)

    with Manager() as manager:
        d = manager.dict()
        p = Process(target=store, args=(d, "k"))
        p.start()
        p.join()
        print("a 3 MiB manager value:", len(d["k"]), d["k"][-1])
