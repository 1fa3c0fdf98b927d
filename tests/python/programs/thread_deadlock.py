# Two threads of main take two locks in opposite orders: each holds one and
# waits for the other, and main waits to join the first.
import threading
from multiprocessing import Event, Lock

first, second = Lock(), Lock()
took_first, took_second = Event(), Event()


def left():
    with first:
        took_first.set()
        took_second.wait()
        with second:
            print("left has both")


def right():
    with second:
        took_second.set()
        took_first.wait()
        with first:
            print("right has both")


a = threading.Thread(target=left, name="left")
b = threading.Thread(target=right, name="right")
a.start()
b.start()
a.join()
b.join()
