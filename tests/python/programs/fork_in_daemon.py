# A Pool worker and a daemonic Process are not allowed children by
# Process.start(), but a bare os.fork() is, as in CPython.
import os
from multiprocessing import Pool, Process

def task(x):
    pid = os.fork()
    if pid == 0:
        os._exit(x)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)

def daemon_fork():
    pid = os.fork()
    if pid == 0:
        print("fork of a daemon")
        os._exit(0)
    os.waitpid(pid, 0)

if __name__ == "__main__":
    with Pool(2) as p:
        print(p.map(task, [1, 2, 3]))
    d = Process(target=daemon_fork, daemon=True)
    d.start()
    d.join()
    print("daemon exit", d.exitcode)
