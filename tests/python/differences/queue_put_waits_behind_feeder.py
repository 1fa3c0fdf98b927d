# A put behind what its own feeder thread still holds waits for room, as
# CPython's put waits on the queue's semaphore: with a timeout it raises
# queue.Full, without one it returns once another process's get made room.
import multiprocessing
import queue
import time


def reader(q, ev):
    time.sleep(0.5)
    ev.set()
    q.get()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    q = multiprocessing.Queue(maxsize=2)
    big = b'x' * 200000
    q.put(big)
    q.put(b'small')
    print('full:', q.full(), 'qsize:', q.qsize())
    t = time.monotonic()
    try:
        q.put(b'late', timeout=0.3)
        print('put with a timeout returned')
    except queue.Full:
        print('put with a timeout raised queue.Full, waited:', time.monotonic() - t >= 0.25)
    ev = multiprocessing.Event()
    p = multiprocessing.Process(target=reader, args=(q, ev))
    p.start()
    q.put(b'third')
    print('the put waited for the get:', ev.is_set())
    p.join()
    print(q.get(), q.get())
