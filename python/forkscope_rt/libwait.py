"""The waits of `concurrent.futures` on its own `threading` objects, made
visible to the gate while stepping (see src/runtime/ipc/libwait.rs).

`concurrent.futures` makes a Condition for every Future, Events for
`as_completed`/`wait`, and a Lock for its executor's shutdown, and a thread
of the program waits on them for the executor's manager thread (both lanes).
Running free these are CPython's, untouched in what they do. While the run
is paused, a wait on one that would block shows the lane blocked (the step
is over: the gate steps the others), and whoever wakes it waits, once it
has let go of the lock, until the woken lane has parked as ready — so the
same schedule gives the same records. Only `concurrent.futures`' modules
get these (a module's own `threading` name is replaced by a view of
`threading` with them).
"""
import _thread
import threading

import forkscope_rt as rt
from forkscope_rt import _abi


def _begin():
    """This lane's park count if the wait must be shown (paused), else None."""
    if rt.lib is None:
        return None
    p = rt.lib.fs_lib_wait_begin(rt.line())
    if p in (rt.NOTHING, rt.ERR):
        return None
    return (rt.lib.fs_run_number(_abi.NUMBER_LANE), p)


def _settle(woken):
    for lane, parks in woken:
        rt.lib.fs_lib_settle(lane, parks)


def _waiting(waiters, wait):
    """`wait()`, this lane noted among `waiters` meanwhile (while stepping,
    shown blocked until a waker settles it; see `_begin`)."""
    me = _begin()
    if me is None:
        return wait()
    waiters.append(me)
    try:
        return wait()
    finally:
        if me in waiters:
            waiters.remove(me)
        rt.lib.fs_lib_wait_end()


class Condition(threading.Condition):
    def __init__(self, lock=None):
        threading.Condition.__init__(self, lock)
        self._fs_waiting = []
        self._fs_woken = []

    def wait(self, timeout=None):
        return _waiting(self._fs_waiting, lambda: threading.Condition.wait(self, timeout))

    def notify(self, n=1):
        woken = self._fs_waiting[:n]
        del self._fs_waiting[:n]
        self._fs_woken.extend(woken)
        threading.Condition.notify(self, n)

    def notify_all(self):
        self.notify(len(self._waiters))

    notifyAll = notify_all

    def __exit__(self, *args):
        r = threading.Condition.__exit__(self, *args)
        woken, self._fs_woken = self._fs_woken, []
        _settle(woken)
        return r


class Event(threading.Event):
    def __init__(self):
        threading.Event.__init__(self)
        self._cond = Condition(threading.Lock())


class Lock:
    """`threading.Lock()`, its contended waits shown while stepping."""

    def __init__(self):
        self._lock = _thread.allocate_lock()
        self._fs_waiting = []

    def acquire(self, blocking=True, timeout=-1):
        if self._lock.acquire(False):
            return True
        if not blocking:
            return False
        return _waiting(self._fs_waiting, lambda: self._lock.acquire(True, timeout))

    def release(self):
        self._lock.release()
        # One waiter gets it (the first, when one waits, as it mostly is).
        woken = self._fs_waiting[:1]
        del self._fs_waiting[:1]
        _settle(woken)

    def locked(self):
        return self._lock.locked()

    __enter__ = acquire

    def __exit__(self, *args):
        self.release()

    def _at_fork_reinit(self):
        self._lock = _thread.allocate_lock()
        self._fs_waiting = []


class _Threading:
    """`threading`, with the classes above."""

    Condition = Condition
    Event = Event
    Lock = Lock

    def __getattr__(self, name):
        return getattr(threading, name)


def patch(module):
    """Gives `module` (one of concurrent.futures') the view of `threading` above."""
    if getattr(module, "threading", None) is threading:
        module.threading = _Threading()
