# What print() shows for Event, the semaphores and the queues.
import re
from multiprocessing import BoundedSemaphore, Event, JoinableQueue, Queue, Semaphore, SimpleQueue


def show(x):
    print(re.sub(r"0x[0-9a-f]+", "ADDRESS", repr(x)))


e = Event()
show(e)
e.set()
show(e)
show(Semaphore(2))
show(BoundedSemaphore(3))
show(Queue())
show(JoinableQueue())
show(SimpleQueue())
