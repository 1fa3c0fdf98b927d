# An item that cannot be pickled: put returns, the feeder thread prints the
# error and drops it, and what follows arrives.
import queue
from multiprocessing import Queue

if __name__ == '__main__':
    q = Queue()
    q.put(x for x in "ab")
    q.put("after")
    print(q.get())
    try:
        q.get(timeout=0.5)
    except queue.Empty:
        print("Empty")
