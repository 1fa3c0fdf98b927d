"""Run with a small private /dev/shm: once the run has started, another file
takes every free byte of it. The run's own memory was reserved at its
start, so new processes, their lines and small queue items still work;
a value that needs more room is a MemoryError where it is sent (a queue's
item: by the queue's feeder thread)."""
import os
from multiprocessing import Process, Queue


def child(q, i):
    for k in range(50):
        print("child", i, "line", k)
    q.put(i)


if __name__ == "__main__":
    with open("/dev/shm/filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError as e:
            print("filled:", e.errno == 28)
    q = Queue()
    ps = [Process(target=child, args=(q, i)) for i in range(40)]
    for p in ps:
        p.start()
    got = sorted(q.get() for _ in ps)
    for p in ps:
        p.join()
    print("back:", got == list(range(40)), [p.exitcode for p in ps] == [0] * 40)
    # Sent by the queue's feeder thread (put returns at once, as in
    # CPython): the MemoryError is its, said on its lane.
    q.put(b"x" * (1 << 20))
    q.close()
    q.join_thread()
    print("big: sent")
    os.remove("/dev/shm/filler")
