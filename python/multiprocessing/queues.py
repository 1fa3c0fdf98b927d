"""forkscope's `Queue`, `JoinableQueue` and `SimpleQueue`: items travel in
the run's shared memory as the sender pickled them (the dashboard shows the
`repr` the sender computed). put and get are ops; a full or empty queue
blocks the process, which the dashboard shows blocked on it, and hands items
to waiting getters in FIFO order.

`SimpleQueue` is CPython's: a one-way `Pipe()` on real descriptors (see
connection.py), whose messages the dashboard shows on that pipe.

Unlike CPython, `Queue` has no feeder thread: `put` pickles at once, so an
object that cannot be pickled raises in `put` (CPython prints the error from
its feeder thread instead).
"""
import pickle
import queue as _queue

import forkscope_rt as rt
from forkscope_rt import _abi, ok

__all__ = ["Queue", "SimpleQueue", "JoinableQueue"]

Empty = _queue.Empty
Full = _queue.Full


def _timeout(timeout):
    return -1.0 if timeout is None else max(float(timeout), 0.0)


class Queue:
    _joinable = 0

    def __init__(self, maxsize=0, *, ctx=None):
        if maxsize <= 0:
            maxsize = 0
        self._maxsize = maxsize
        b, n = rt.text(rt.created_name(type(self).__name__))
        self._id = ok(rt.lib.fs_queue_new(self._joinable, int(maxsize), b, n, rt.line()))
        self._closed = False

    @classmethod
    def _of(cls, id, maxsize=0):
        """This process's handle on the run's queue `id` (made elsewhere)."""
        q = cls.__new__(cls)
        q._id, q._maxsize, q._closed = id, maxsize, False
        return q

    def __getstate__(self):
        from ._common import assert_spawning

        assert_spawning(self)
        return dict(self.__dict__)

    def _check_closed(self):
        if self._closed:
            raise ValueError("Queue %r is closed" % self)

    def put(self, obj, block=True, timeout=None):
        self._check_closed()
        self._put(obj, block, timeout, 0)

    def put_nowait(self, obj):
        self._check_closed()
        self._put(obj, False, None, 1)

    def _put(self, obj, block, timeout, nowait, shown=None):
        """`shown`: what the dashboard shows of the item (its repr if None)."""
        data = pickle.dumps(obj)
        r, rn = rt.text(rt.short_repr(obj) if shown is None else shown)
        ok(rt.lib.fs_queue_put(self._id, r, rn, data, len(data), 1 if block else 0, _timeout(timeout), nowait, rt.line()))

    def get(self, block=True, timeout=None):
        self._check_closed()
        return self._get(block, timeout, 0)

    def get_nowait(self):
        self._check_closed()
        return self._get(False, None, 1)

    def _get(self, block, timeout, nowait):
        n = ok(rt.lib.fs_queue_get(self._id, 1 if block else 0, _timeout(timeout), nowait, rt.line()))
        return pickle.loads(rt.take(n))

    def qsize(self):
        return ok(rt.lib.fs_queue_op(self._id, _abi.QUEUE_QSIZE, rt.line()))

    def empty(self):
        return bool(ok(rt.lib.fs_queue_op(self._id, _abi.QUEUE_EMPTY, rt.line())))

    def full(self):
        return bool(ok(rt.lib.fs_queue_op(self._id, _abi.QUEUE_FULL, rt.line())))

    def close(self):
        self._closed = True

    def join_thread(self):
        assert self._closed, "Queue {0!r} not closed".format(self)

    def cancel_join_thread(self):
        pass

    def __repr__(self):
        return "<%s object at %#x>" % (type(self).__name__, id(self))


class JoinableQueue(Queue):
    _joinable = 1

    def task_done(self):
        ok(rt.lib.fs_queue_op(self._id, _abi.QUEUE_TASK_DONE, rt.line()))

    def join(self):
        ok(rt.lib.fs_queue_op(self._id, _abi.QUEUE_JOIN, rt.line()))


class SimpleQueue:
    """CPython's SimpleQueue: a one-way Pipe (real descriptors: its
    `_reader` can be waited on, as ProcessPoolExecutor does) and a lock for
    its readers; a put is one message (the pipe lets one writer at a time)."""

    def __init__(self, *, ctx=None):
        from .connection import Pipe
        from .synchronize import Lock

        self._reader, self._writer = Pipe(duplex=False)
        self._rlock = Lock()
        self._poll = self._reader.poll

    def close(self):
        self._reader.close()
        self._writer.close()

    def empty(self):
        return not self._poll()

    def __getstate__(self):
        from ._common import assert_spawning

        assert_spawning(self)
        return dict(self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._poll = self._reader.poll

    def get(self):
        with self._rlock:
            res = self._reader.recv_bytes()
        return pickle.loads(res)

    def put(self, obj):
        self._writer.send(obj)

    def __repr__(self):
        return "<%s object at %#x>" % (type(self).__name__, id(self))
