# A thread other than main forks: the child's only thread is that one, and
# the child ends when it does (exit status 0, even after an exception).
import os
import threading


def work(fail):
    pid = os.fork()
    if pid == 0:
        print("child of a thread, fail =", fail)
        if fail:
            raise ValueError("in the thread")
        return
    _, status = os.waitpid(pid, 0)
    print("the thread reaped its child:", os.waitstatus_to_exitcode(status))


for fail in (False, True):
    t = threading.Thread(target=work, args=(fail,))
    t.start()
    t.join()
print("main done")
