# A process waits on a managed queue, then on a managed lock: the dashboard
# shows it blocked on each, like any other resource.
import time
from multiprocessing import Manager, Process


def consumer(q, lock):
    print("got", q.get())
    with lock:
        print("consumer has the lock")


if __name__ == '__main__':
    m = Manager()
    q = m.Queue()
    lock = m.Lock()
    lock.acquire()
    c = Process(target=consumer, args=(q, lock))
    c.start()
    time.sleep(0.5)
    q.put("item")
    time.sleep(0.5)
    lock.release()
    c.join()
    m.shutdown()
