# The docs' "joining processes that use queues" pitfall: the child's 1 MB
# item waits in its queue's pipe, the child's end waits for its feeder
# thread to write it, and main joins the child before it gets: CPython hangs.
from multiprocessing import Process, Queue


def f(q):
    q.put('X' * 1000000)


if __name__ == '__main__':
    queue = Queue()
    p = Process(target=f, args=(queue,))
    p.start()
    p.join()                    # this deadlocks
    obj = queue.get()
    print(len(obj))
