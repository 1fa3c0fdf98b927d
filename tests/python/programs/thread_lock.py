# threading's own Lock, Event and Condition, made by the program: resources
# of the run named after their variables, waited on by threads; queue.Queue
# (whose locks the standard library makes) is CPython's own.
import queue
import threading

lock = threading.Lock()
ready = threading.Event()
cond = threading.Condition()
box = queue.Queue()
counter = 0


def worker(i):
    global counter
    ready.wait()
    for _ in range(2):
        with lock:
            x = counter
            counter = x + 1
    with cond:
        cond.notify()
    box.put(i)


threads = [threading.Thread(target=worker, args=(i,), name="w%d" % i) for i in range(2)]
for t in threads:
    t.start()
ready.set()
for t in threads:
    t.join()
print("counter", counter)
print("box", sorted([box.get(), box.get()]))
try:
    lock.release()
except RuntimeError as e:
    print("RuntimeError:", e)
print("acquire without blocking:", lock.acquire(False), lock.acquire(False))
