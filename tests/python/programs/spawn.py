# The spawn start method: each child is a new interpreter that imports the
# main module again as __mp_main__ (the top level runs again there), then runs
# its Process, given its Lock, Queue, Value and Pipe end as arguments.
import multiprocessing as mp
import os
from multiprocessing import Process, Lock, Queue, Value, Pipe, current_process

print("top level in", __name__, current_process().name)

def f(name, lock, q, v, conn):
    with lock:
        v.value += 1
    q.put("hi from %s" % name)
    conn.send([1, 2, 3])
    conn.close()
    print("child", name, current_process().name, __name__)

class P(Process):
    def __init__(self, x):
        super().__init__()
        self.x = x
    def run(self):
        print("subclass run", self.x)

if __name__ == '__main__':
    mp.set_start_method('spawn')
    lock = Lock(); q = Queue(); v = Value('i', 0); a, b = Pipe()
    p = Process(target=f, args=("a", lock, q, v, b))
    p.start()
    print(q.get(), a.recv())
    p.join()
    print("value", v.value, "exit", p.exitcode)
    s = P(42); s.start(); s.join()
    try:
        mp.set_start_method('fork')
    except RuntimeError as e:
        print("RuntimeError:", e)
    print(mp.get_start_method())
