"""Holds values in the run's data area until it is killed: a 5 MiB item
(spilled into an object of its own), held by its queue's feeder thread,
which waits for a reader, and 20,000 pool tasks queued behind a long one
(past the segment's own blocks, into an arena)."""
import time
from multiprocessing import Pool, Queue

if __name__ == "__main__":
    big = Queue()
    big.put(b"x" * (5 * 1024 * 1024))
    with Pool(1) as pool:
        pool.map_async(time.sleep, [120] + [0] * 20_000, chunksize=1)
        print("held", flush=True)
        time.sleep(120)
