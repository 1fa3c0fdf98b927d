# multiprocessing.shared_memory (CPython's own module: real POSIX shared
# memory, not a resource of the run): a child attaches by name and writes,
# the parent reads after join; a ShareableList; both unlinked at the end.
from multiprocessing import Process, shared_memory


def child(name):
    shm = shared_memory.SharedMemory(name=name)
    shm.buf[0] = 42
    shm.buf[1:6] = b"hello"
    shm.close()


if __name__ == "__main__":
    shm = shared_memory.SharedMemory(create=True, size=16)
    p = Process(target=child, args=(shm.name,))
    p.start()
    p.join()
    print(shm.buf[0], bytes(shm.buf[1:6]))
    sl = shared_memory.ShareableList([1, 2.5, "x"])
    print(list(sl))
    sl.shm.close()
    sl.shm.unlink()
    shm.close()
    shm.unlink()
