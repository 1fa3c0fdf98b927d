# Threads ending every way: an uncaught exception (printed as CPython's
# threading.excepthook prints it; the process still exits 0), sys.exit in a
# thread (silent), a thread main never joins (main's end waits for it), a
# daemon thread blocked forever (ended with its process), join with a timeout.
import sys
import threading
import time
from multiprocessing import Event

never = Event()


def boom():
    raise ValueError("boom in a thread")


def quits():
    sys.exit(3)


def late():
    time.sleep(0.2)
    print("late thread done")


def waiter():
    never.wait()


t = threading.Thread(target=boom, name="boomer")
t.start()
t.join()
print("after boom, alive:", t.is_alive())
q = threading.Thread(target=quits)
q.start()
q.join()
print("after sys.exit in a thread")
d = threading.Thread(target=waiter, daemon=True)
d.start()
d.join(0.1)
print("daemon still waiting:", d.is_alive())
threading.Thread(target=late).start()
print("main done")
