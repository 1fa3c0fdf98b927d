"""Holds values in the run's data area until it is killed: a 5 MiB item
(spilled into an object of its own) and 20,000 small ones (past the
segment's own blocks, into an arena)."""
import time
from multiprocessing import Queue

if __name__ == "__main__":
    big, small = Queue(), Queue()
    big.put(b"x" * (5 * 1024 * 1024))
    for i in range(20_000):
        small.put(i)
    print("held", flush=True)
    time.sleep(120)
