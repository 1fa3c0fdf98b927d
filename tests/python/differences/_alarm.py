"""Shared by the signal programs of this folder (a module, not a program:
the side-by-side test skips files whose names start with `_`)."""
import os
import select
import signal
import time


def send_when_waiting(pid, after):
    """SIGALRM to `pid` `after` seconds on, once its main thread has slept
    (state S, in its wait) for a tenth of a second straight: so the signal
    comes inside the wait however loaded the machine is (one that comes just
    before the wait begins is handled only when it ends, in CPython as
    here). os.read and select() are not ops of the run: the Files pane
    and the log stay the program's."""
    time.sleep(after)
    since = None
    while True:
        fd = os.open('/proc/%d/task/%d/stat' % (pid, pid), os.O_RDONLY)
        state = os.read(fd, 4096).rsplit(b')', 1)[1].split()[0]
        os.close(fd)
        now = time.monotonic()
        if state != b'S':
            since = None
        elif since is None:
            since = now
        elif now - since >= 0.1:
            break
        select.select([], [], [], 0.01)
    os.kill(pid, signal.SIGALRM)
