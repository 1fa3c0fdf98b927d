# What print() shows for Event and the semaphores.
import re
from multiprocessing import BoundedSemaphore, Event, Semaphore


def show(x):
    print(re.sub(r"0x[0-9a-f]+", "ADDRESS", repr(x)))


e = Event()
show(e)
e.set()
show(e)
show(Semaphore(2))
show(BoundedSemaphore(3))
