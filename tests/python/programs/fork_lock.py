# A child made by os.fork() takes a multiprocessing.Lock its parent holds:
# it waits for the parent (another process), not for itself.
import os
from multiprocessing import Lock

lock = Lock()
lock.acquire()
pid = os.fork()
if pid == 0:
    with lock:
        print("child has the lock")
    os._exit(0)
print("parent releases the lock")
lock.release()
_, status = os.waitpid(pid, 0)
print("child exit code", os.waitstatus_to_exitcode(status))
