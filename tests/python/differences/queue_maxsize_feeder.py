# Queue(maxsize) counts what its feeder thread still holds, as CPython's
# semaphore (taken at put) does: big items that wait in the feeder make the
# queue full, and a put that must not wait raises queue.Full.
import multiprocessing
import queue

if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    q = multiprocessing.Queue(maxsize=2)
    big = b'x' * 200000
    q.put(big)
    q.put(big)
    print('full after two big puts:', q.full())
    for how in ('put_nowait', 'block=False'):
        try:
            if how == 'put_nowait':
                q.put_nowait(big)
            else:
                q.put(big, block=False)
            print(how, 'put')
        except queue.Full:
            print(how, 'raised queue.Full')
    print(len(q.get()), len(q.get()))
    print('empty:', q.empty(), 'full:', q.full())
    q.put(b'small')
    q.put(big)
    try:
        q.put_nowait(b'small')
        print('third put')
    except queue.Full:
        print('third put raised queue.Full')
    a, b = q.get(), q.get()
    print(a, len(b))
