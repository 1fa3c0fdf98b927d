"""forkscope's locks, semaphores, events, conditions and barriers: each is a
real cross-process primitive in the run's shared memory (the runtime's), with
FIFO hand-off, so that the same schedule always gives the same owner. Named
after the variable the creating line assigns (`lock = Lock()` → `lock`).
Like CPython's, they are shared by inheritance (as arguments of a Process,
or inherited memory), never by pickling.
"""
import sys
import threading

import forkscope_rt as rt
from forkscope_rt import ERR, _abi, ok

__all__ = ["Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier"]



def _name(constructor):
    return rt.text(rt.created_name(constructor))


class _Shared:
    def __getstate__(self):
        # Only while a spawned child's Process is pickled, as in CPython.
        from ._common import assert_spawning

        assert_spawning(self)
        return dict(self.__dict__)


class _Acquirable(_Shared):
    """acquire, release and `with` of a Lock (kind 0), RLock (1) or
    Semaphore (2): the same calls of the library, by kind."""

    _kind = _abi.KIND_LOCK

    def acquire(self, block=True, timeout=None):
        line = rt.caller_line(sys._getframe(1))
        if block and timeout is None:
            while rt.fast.fs_acquire(self._kind, self._id, line) == ERR:
                rt.raise_unless_interrupted()
            return True
        return bool(ok(rt.lib.fs_acquire_timed(self._kind, self._id, 1 if block else 0, rt.seconds(timeout), line)))

    def release(self):
        if rt.fast.fs_release(self._kind, self._id, rt.caller_line(sys._getframe(1))) == ERR:
            raise rt.last_error()

    # `with lock:` — straight to the library, the hottest path of all.
    def __enter__(self):
        if rt.fast.fs_acquire(self._kind, self._id, rt.caller_line(sys._getframe(1))) == ERR:
            # (A signal that ended the wait: its handler runs, then again.)
            while True:
                rt.raise_unless_interrupted()
                if rt.fast.fs_acquire(self._kind, self._id, rt.caller_line(sys._getframe(1))) != ERR:
                    break
        return True

    def __exit__(self, exc_type, exc, tb):
        if rt.fast.fs_release(self._kind, self._id, rt.caller_line(sys._getframe(1))) == ERR:
            raise rt.last_error()

    def __repr__(self):
        return "<%s(id=%d)>" % (type(self).__name__, self._id)


class Lock(_Acquirable):
    """A non-recursive lock: any process may release it."""

    _kind = _abi.KIND_LOCK

    def __init__(self, *, ctx=None, _id=None):
        if _id is not None:
            self._id = _id
        else:
            # (threading's twins are named `lock` as CPython's type is; the
            # program calls them Lock.)
            b, n = _name(getattr(type(self), "_fs_called", type(self).__name__))
            self._id = ok(rt.lib.fs_lock_new(self._kind, b, n, rt.line()))


class RLock(Lock):
    """A recursive lock: its owner may take it again, and must release it as often."""

    _kind = _abi.KIND_RLOCK


class Semaphore(_Acquirable):
    _kind = _abi.KIND_SEMAPHORE
    _bounded = 0

    def __init__(self, value=1, *, ctx=None):
        # A negative value is the runtime's OSError [Errno 22], as CPython's.
        b, n = _name(type(self).__name__)
        self._id = ok(rt.lib.fs_sem_new(int(value), self._bounded, b, n, rt.line()))

    def get_value(self):
        return ok(rt.lib.fs_sem_value(self._id, rt.line()))

    def __repr__(self):
        return "<%s(value=%s)>" % (type(self).__name__, self.get_value())


class BoundedSemaphore(Semaphore):
    _bounded = 1

    def __init__(self, value=1, *, ctx=None):
        Semaphore.__init__(self, value)
        self._maxvalue = value

    def __repr__(self):
        return "<%s(value=%s, maxvalue=%s)>" % (type(self).__name__, self.get_value(), self._maxvalue)


class Event(_Shared):
    def __init__(self, *, ctx=None):
        b, n = _name("Event")
        self._id = ok(rt.lib.fs_event_new(b, n, rt.line()))

    def is_set(self):
        return bool(ok(rt.lib.fs_event_op(self._id, _abi.EVENT_IS_SET, rt.line())))

    def set(self):
        ok(rt.lib.fs_event_op(self._id, _abi.EVENT_SET, rt.line()))

    def clear(self):
        ok(rt.lib.fs_event_op(self._id, _abi.EVENT_CLEAR, rt.line()))

    def wait(self, timeout=None):
        return bool(ok(rt.lib.fs_event_wait(self._id, rt.seconds(timeout), rt.line())))

    def __repr__(self):
        # CPython's: its state since 3.11, object's default before.
        if sys.version_info < (3, 11):
            return "<multiprocessing.synchronize.Event object at %#x>" % id(self)
        return "<%s at %#x %s>" % (type(self).__qualname__, id(self), "set" if self.is_set() else "unset")


class Condition(_Shared):
    def __init__(self, lock=None, *, ctx=None):
        if lock is not None and not isinstance(lock, Lock):
            raise TypeError("forkscope's Condition takes a multiprocessing Lock or RLock")
        b, n = _name("Condition")
        if lock is None:
            self._id = ok(rt.lib.fs_cond_new(_abi.KIND_RLOCK, _abi.COND_NEW_RLOCK, b, n, rt.line()))
            packed = ok(rt.lib.fs_cond_lock(self._id))
            lock = (RLock if packed >> 32 == _abi.KIND_RLOCK else Lock)(_id=packed & 0xFFFFFFFF)
        else:
            self._id = ok(rt.lib.fs_cond_new(lock._kind, lock._id, b, n, rt.line()))
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)

    def wait(self, timeout=None):
        return bool(ok(rt.lib.fs_cond_wait(self._id, rt.seconds(timeout), rt.line())))

    def notify(self, n=1):
        ok(rt.lib.fs_cond_notify(self._id, max(int(n), 0), rt.line()))

    def notify_all(self):
        ok(rt.lib.fs_cond_notify(self._id, -1, rt.line()))

    def wait_for(self, predicate, timeout=None):
        result = predicate()
        if result:
            return result
        import time

        endtime = None if timeout is None else time.monotonic() + timeout
        waittime = timeout
        while not result:
            if endtime is not None:
                waittime = endtime - time.monotonic()
                if waittime <= 0:
                    break
            self.wait(waittime)
            result = predicate()
        return result

    def __repr__(self):
        return "<Condition(%r)>" % (self._lock,)

    # CPython's Condition is built on three semaphores whose values its own
    # tests read; here they are the runtime's counts of this condition.
    @property
    def _sleeping_count(self):
        return _ConditionCount(self._id, _abi.COND_COUNT_SLEEPING)

    @property
    def _woken_count(self):
        return _ConditionCount(self._id, _abi.COND_COUNT_WOKEN)

    @property
    def _wait_semaphore(self):
        return _ConditionCount(self._id, _abi.COND_COUNT_NOTIFIED)


class _ConditionCount:
    """One count of a Condition, read as a semaphore's value: the waits
    begun (sleeping), the waits ended (woken), the waiters notified and not
    yet back with the lock (CPython's wait semaphore)."""

    def __init__(self, cond, what):
        self._cond = cond
        self._what = what

    def get_value(self):
        return ok(rt.lib.fs_cond_count(self._cond, self._what))


class Barrier(_Shared):
    def __init__(self, parties, action=None, timeout=None, *, ctx=None):
        if parties < 1:
            raise ValueError("parties must be > 0")
        b, n = _name("Barrier")
        self._id = ok(rt.lib.fs_barrier_new(int(parties), b, n, rt.line()))
        self._action = action
        self._timeout = timeout

    def wait(self, timeout=None):
        if timeout is None:
            timeout = self._timeout
        hold = self._action is not None
        index = ok(rt.lib.fs_barrier_wait(self._id, rt.seconds(timeout), int(hold), rt.line()))
        if hold and index == self.parties - 1:
            # The last party runs the action before the others go, as
            # Python's does; if it raises, the barrier breaks under them.
            try:
                self._action()
            except BaseException:
                ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_ABORT, rt.line()))
                raise
            ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_RELEASE, 0))
        return index

    def reset(self):
        ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_RESET, rt.line()))

    def abort(self):
        ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_ABORT, rt.line()))

    @property
    def parties(self):
        return ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_PARTIES, 0))

    @property
    def n_waiting(self):
        return ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_N_WAITING, rt.line()))

    @property
    def broken(self):
        return bool(ok(rt.lib.fs_barrier_op(self._id, _abi.BARRIER_BROKEN, 0)))


BrokenBarrierError = threading.BrokenBarrierError
