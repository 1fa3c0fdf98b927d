# What the course teaches about processes, each as CPython does it: a daemon
# terminated at the end (-15), data isolation, an uncaught exception (exit 1,
# traceback), sys.exit(3), the name set before super().__init__() lost, a
# daemon that may not have children, reprs.
import time, sys, os
from multiprocessing import Process, Event, Queue, Value, Pipe, current_process

n = 100
def daemon_f():
    while True:
        time.sleep(0.1)

def child_f():
    global n
    n = 0
    print("child n", n, current_process().name)

def boom():
    raise ValueError("boom")

def exiter():
    sys.exit(3)

class MyProcess(Process):
    def __init__(self, name):
        self.name = name
        super().__init__()
    def run(self):
        print("I am", self.name)

def daemon_parent():
    p = Process(target=child_f)
    p.start()

if __name__ == '__main__':
    d = Process(target=daemon_f, daemon=True)
    d.start()
    c = Process(target=child_f); c.start(); c.join()
    print("parent n", n)
    b = Process(target=boom); b.start(); b.join(); print("boom exit", b.exitcode)
    e = Process(target=exiter); e.start(); e.join(); print("exiter exit", e.exitcode)
    m = MyProcess("alex"); m.start(); m.join(); print(m.name)
    dp = Process(target=daemon_parent, daemon=True); dp.start(); dp.join(); print("dp", dp.exitcode)
    v = Value('i', 0)
    a, bb = Pipe()
    print(repr(v), d.is_alive())
    time.sleep(0.2); print("alive later", d.is_alive(), d.exitcode)
    print(d)
