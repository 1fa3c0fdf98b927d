# A worker killed under a ProcessPoolExecutor breaks it, as in CPython: its
# future and every later submit raise BrokenProcessPool.
import os, signal, time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

def die(x):
    os.kill(os.getpid(), signal.SIGKILL)

def ok(x):
    return x + 1

if __name__ == '__main__':
    ex = ProcessPoolExecutor(2)
    print(ex.submit(ok, 1).result())
    f = ex.submit(die, 0)
    try:
        f.result(timeout=30)
    except BrokenProcessPool as e:
        print(type(e).__name__, e)
    try:
        ex.submit(ok, 2)
    except BrokenProcessPool as e:
        print("submit:", type(e).__name__, e)
    ex.shutdown()
    print("done")
