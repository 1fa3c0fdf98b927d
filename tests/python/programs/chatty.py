# Prints faster than any drain: nothing it says may be lost.
import sys
from multiprocessing import Lock, Process


def talk(n):
    for i in range(3000):
        print("child", n, "line", i)


if __name__ == "__main__":
    lock = Lock()
    for i in range(300_000):
        with lock:
            pass
        if i % 30_000 == 0:
            print("checkpoint", i)
    children = [Process(target=talk, args=(n,)) for n in range(3)]
    for p in children:
        p.start()
    for p in children:
        p.join()
    print("x" * 100_000 + "END")
    print("e" * 50_000 + "ERR", file=sys.stderr)
    print("done")
