"""`threading`'s Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition
and Barrier, made by the program's own code, as resources of the run.

`threading.Lock()` called from the user's file gives the runtime's lock (the
one `multiprocessing.Lock` is), with `threading`'s interface: its arguments
(`acquire(blocking=True, timeout=-1)`), its errors (`RuntimeError: release
unlocked lock`), `Semaphore.release(n)`. So a thread waiting on one is
blocked on that resource — in the Resources pane (named after its variable,
`lock = threading.Lock()` → `lock`), in the wait-for graph and deadlock
findings, stepped by the gate — as a process waiting on a `multiprocessing`
one is. What the standard library makes for itself (`queue.Queue`'s, a
`Thread`'s own, `threading`'s internals) stays CPython's: only a call from
the user's file gets a twin. Unlike CPython's, these are in shared memory: a
forked child shares them with its parent (CPython's child has a copy).
"""
import sys

import forkscope_rt as rt


def _user_call(f):
    return f is not None and f.f_code.co_filename == rt.USER_FILE


def _timeout(blocking, timeout):
    if timeout is None:
        timeout = -1
    if not blocking and timeout != -1:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")
    return None if timeout == -1 else timeout


def _twins():
    from multiprocessing import synchronize as mps

    def threading_lock(base, unlocked, extra=None):
        """threading's twin of `base` (a Lock or RLock of the run): its
        acquire takes threading's arguments, releasing it unheld raises
        threading's RuntimeError `unlocked`."""

        class Twin(base):
            def acquire(self, blocking=True, timeout=-1):
                return base.acquire(self, blocking, _timeout(blocking, timeout))

            def release(self):
                try:
                    base.release(self)
                except (ValueError, AssertionError):
                    raise RuntimeError(unlocked) from None

            def __exit__(self, *args):
                self.release()

            def _holder(self):
                """(owner lane, depth), or None while free."""
                got = rt.lib.fs_lock_holder(self._kind, self._id)
                if got == rt.ERR:
                    raise rt.last_error()
                return None if got == rt.NOTHING else (got & 0xFFFFFFFF, got >> 32)

            def locked(self):
                return self._holder() is not None

            def __repr__(self):
                # CPython's: `<unlocked _thread.lock object at 0x…>`, an
                # RLock's with its owner's ident and its depth.
                held = self._holder()
                state = "locked" if held else "unlocked"
                if base is mps.Lock:
                    return "<%s _thread.lock object at %#x>" % (state, id(self))
                return "<%s _thread.RLock object owner=%d count=%d at %#x>" % (state, _ident(held[0]) if held else 0, held[1] if held else 0, id(self))

            def __reduce_ex__(self, protocol):
                raise TypeError("cannot pickle '_thread.%s' object" % Twin.__name__)

        # CPython's types: `_thread.lock`, `_thread.RLock`.
        Twin.__name__ = Twin.__qualname__ = "lock" if base is mps.Lock else "RLock"
        Twin._fs_called = base.__name__
        return Twin

    def _ident(lane):
        """The ident of this process's thread on `lane` (the lane's number for
        a thread of another process, which has no ident here)."""
        import threading

        if lane == rt.lib.fs_run_number(rt._abi.NUMBER_LANE):
            return threading.get_ident()
        for t in threading.enumerate():
            if getattr(t, "_fs_lane", None) == lane:
                return t.ident
        return lane

    Lock = threading_lock(mps.Lock, "release unlocked lock")
    Lock.acquire_lock = Lock.acquire
    Lock.release_lock = Lock.release
    Lock.locked_lock = Lock.locked
    RLock = threading_lock(mps.RLock, "cannot release un-acquired lock")

    class Semaphore(mps.Semaphore):
        def __init__(self, value=1):
            if value < 0:
                raise ValueError("semaphore initial value must be >= 0")
            mps.Semaphore.__init__(self, value)

        def acquire(self, blocking=True, timeout=None):
            if not blocking and timeout is not None:
                raise ValueError("can't specify timeout for non-blocking acquire")
            return mps.Semaphore.acquire(self, blocking, timeout)

        def release(self, n=1):
            if n < 1:
                raise ValueError("n must be one or more")
            for _ in range(n):
                try:
                    mps.Semaphore.release(self)
                except (ValueError, AssertionError):
                    raise ValueError("Semaphore released too many times") from None

        def __exit__(self, *args):
            self.release()

        def __repr__(self):
            return "<forkscope threading.%s object at %#x: value=%d>" % (type(self).__name__, id(self), self.get_value())

    class BoundedSemaphore(Semaphore):
        _bounded = 1

    class Event(mps.Event):
        def __init__(self):
            mps.Event.__init__(self)

        isSet = mps.Event.is_set

        def __repr__(self):
            return "<forkscope threading.Event object at %#x: %s>" % (id(self), "set" if self.is_set() else "unset")

    class Condition(mps.Condition):
        def __init__(self, lock=None):
            mps.Condition.__init__(self, lock)

        notifyAll = mps.Condition.notify_all

    class Barrier(mps.Barrier):
        def __init__(self, parties, action=None, timeout=None):
            mps.Barrier.__init__(self, parties, action, timeout)

    for cls in (Semaphore, BoundedSemaphore, Event, Condition, Barrier):
        cls.__module__ = "threading"
        cls.__qualname__ = cls.__name__
    Lock.__module__ = RLock.__module__ = "_thread"
    made = {c.__name__: c for c in (Semaphore, BoundedSemaphore, Event, Condition, Barrier)}
    made.update(Lock=Lock, RLock=RLock)
    return made


def _factory(threading, name, twins):
    real = getattr(threading, name)
    # (3.13's `Lock` is the type `_thread.lock`, which takes no subclass:
    # a factory, as `Lock` was before.)
    if isinstance(real, type) and real.__flags__ & (1 << 10):  # Py_TPFLAGS_BASETYPE
        # A class (Semaphore, Event, Condition, Barrier…): stays one, so the
        # standard library can subclass it (`multiprocessing.synchronize`'s
        # `class Barrier(threading.Barrier)`); only the user's own call of
        # it gets the twin.
        class Made(real):
            def __new__(cls, *args, **kwargs):
                if cls is Made and _user_call(sys._getframe(1)):
                    return twins()[name](*args, **kwargs)
                return super().__new__(cls)

        Made.__name__ = Made.__qualname__ = name
        Made.__module__ = real.__module__
        Made.__doc__ = real.__doc__
        return Made

    def make(*args, **kwargs):
        if _user_call(sys._getframe(1)):
            return twins()[name](*args, **kwargs)
        return real(*args, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = real.__doc__
    return make


def install(threading):
    cache = {}

    def twins():
        if not cache:
            cache.update(_twins())
        return cache

    for name in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event", "Condition", "Barrier"):
        setattr(threading, name, _factory(threading, name, twins))
