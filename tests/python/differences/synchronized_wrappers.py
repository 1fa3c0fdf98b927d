# The synchronized wrappers are named and shown as CPython's: Synchronized,
# SynchronizedArray, SynchronizedString ('c'), Synchronized<Structure>, all
# SynchronizedBase, importable from multiprocessing.sharedctypes.
import ctypes
import re
from multiprocessing import Array, Process, Value
from multiprocessing.sharedctypes import RawArray, RawValue, Synchronized, SynchronizedArray, SynchronizedBase, SynchronizedString, synchronized


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


def show(o):
    print(type(o).__name__, re.sub(r"0x[0-9a-f]+", "ADDR", repr(o)), isinstance(o, SynchronizedBase))


def child(p, s):
    show(p)
    p.x = 2.5
    s.value = b"yo"


if __name__ == "__main__":
    v, a, p, s = Value("i", 5), Array("i", [1, 2, 3]), Value(Point, 1.0, 2.0), Array("c", b"hi")
    for o in (v, a, p, s):
        show(o)
    print(isinstance(v, Synchronized), isinstance(a, SynchronizedArray), isinstance(s, SynchronizedArray), isinstance(s, SynchronizedString))
    q = Process(target=child, args=(p, s))
    q.start()
    q.join()
    print(p.x, p.y, s.value, s.raw)
    for raw in (RawValue("d", 1.5), RawArray("c", b"ab"), RawValue(Point, 3, 4)):
        show(synchronized(raw))
