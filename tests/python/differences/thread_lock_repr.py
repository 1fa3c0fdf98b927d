# threading.Lock and RLock print, name their type and refuse pickling as
# CPython's do (`<unlocked _thread.lock object at 0x…>`, `_thread.RLock`,
# "cannot pickle '_thread.lock' object"), locked() included.
import pickle
import re
import threading


def shape(text):
    return re.sub(r"0x[0-9a-f]+", "0x...", text)


lock = threading.Lock()
print(shape(repr(lock)), lock.locked())
lock.acquire()
print(shape(repr(lock)), lock.locked())
lock.release()
print(type(lock).__module__, type(lock).__name__)
rlock = threading.RLock()
print(shape(repr(rlock)))
with rlock:
    with rlock:
        mine = "owner=%d " % threading.get_ident()
        print(shape(repr(rlock)).replace(mine, "owner=ME "))
print(type(rlock).__module__, type(rlock).__name__)
for obj in (lock, rlock):
    try:
        pickle.dumps(obj)
    except TypeError as e:
        print("TypeError:", e)
