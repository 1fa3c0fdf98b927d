# Each process of a run is watched through one pidfd of the conductor: a
# forked child's watcher takes the one its parent's watcher held (a fork
# copies every descriptor) rather than opening another. Each process
# prints how many pidfds it holds; plain python3 holds none.
import os
from multiprocessing import Process


def pidfds():
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + fd) == "anon_inode:[pidfd]":
                n += 1
        except OSError:
            pass
    return n


def grandchild():
    print("grandchild holds", pidfds())


def child():
    print("child holds", pidfds())
    p = Process(target=grandchild)
    p.start()
    p.join()


if __name__ == "__main__":
    print("main holds", pidfds())
    p = Process(target=child)
    p.start()
    p.join()
