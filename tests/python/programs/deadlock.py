# Two processes take two locks in opposite orders: the classic deadlock, with
# the locks named after their variables (noodles, fork).
import time
from multiprocessing import Process, Lock

def worker(a, b):
    with a:
        time.sleep(0.01)
        with b:
            print("got both")

if __name__ == '__main__':
    noodles = Lock()
    fork = Lock()
    p1 = Process(target=worker, args=(noodles, fork))
    p2 = Process(target=worker, args=(fork, noodles))
    p1.start(); p2.start()
    p1.join(); p2.join()
