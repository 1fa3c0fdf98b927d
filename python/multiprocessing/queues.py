"""forkscope's `Queue`, `JoinableQueue` and `SimpleQueue`.

`Queue` is the run's queue (a resource: the dashboard shows its depth, its
items as the `repr` the sender computed, who waits to put or get, a
JoinableQueue's unfinished tasks), with CPython's feeder thread: as in
CPython, what a process has put sits in a pipe of 64 KiB
(`runtime::ipc::queue::PIPE_BYTES` of pickled items) until a reader takes
it; what does not fit waits in the process's buffer, written by a
`QueueFeederThread` of that process (a thread, so a lane) that blocks on
the queue until a get makes room. A process joins its feeder thread at its
end (a finalizer, as CPython's), so the docs' "joining processes that use
queues" deadlock — a child puts 1 MB, its parent joins it before `get` —
happens here too, and the run names it: main in join, the child in join of
its feeder, the feeder in put. An object that cannot be pickled is given
to the feeder thread, which prints the error (`_on_queue_feeder_error`, a
subclass may override it, as `concurrent.futures` does) and drops it.
Items pickled small enough to fit go in at once (no thread is started), so
a program whose queues are read as they fill has no feeder lane, as the
course's programs have none to show.

A manager's queues and its request queues (`_of`, `_direct`) have no feeder:
CPython's manager holds a `queue.Queue`, whose put is the call itself.

`SimpleQueue` is CPython's: a one-way `Pipe()` on real descriptors (see
connection.py), whose messages the dashboard shows on that pipe.
"""
import os
import pickle
import queue as _queue
import threading
import weakref
from collections import deque

import forkscope_rt as rt
from forkscope_rt import _abi, ok

__all__ = ["Queue", "SimpleQueue", "JoinableQueue"]

Empty = _queue.Empty
Full = _queue.Full

# runtime::ipc::queue::PIPE_BYTES: what a queue's pipe holds.
_PIPE_BYTES = 65536




def _finalize_join(state):
    """At the process's end (or when the queue is collected): waits for its
    feeder thread, unless `cancel_join_thread()` was called."""
    thread = state.thread
    if thread is not None and not state.cancelled and thread is not threading.current_thread():
        thread.join()


class _Feeding:
    """A queue's feeder side in one process: its buffer (items that did not
    fit the pipe, or could not be pickled), its lock, its thread."""

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.buffer = deque()
        self.thread = None
        self.cancelled = False
        self.finalizer = None


class _Reader:
    def close(self):
        pass


class Queue:
    _joinable = 0
    _direct = False

    def __init__(self, maxsize=0, *, ctx=None):
        if maxsize <= 0:
            maxsize = 0
        self._maxsize = maxsize
        b, n = rt.text(rt.created_name(type(self).__name__))
        self._id = ok(rt.lib.fs_queue_new(self._joinable, int(maxsize), b, n, rt.line()))
        self._closed = False
        self._feeding = None

    @classmethod
    def _of(cls, id, maxsize=0):
        """This process's handle on the run's queue `id` (made elsewhere)."""
        q = cls.__new__(cls)
        q._id, q._maxsize, q._closed, q._direct, q._feeding = id, maxsize, False, True, None
        return q

    def __getstate__(self):
        from ._common import assert_spawning

        assert_spawning(self)
        return {"_id": self._id, "_maxsize": self._maxsize, "_direct": self._direct}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._closed = False
        self._feeding = None

    def _feeder_side(self):
        f = self._feeding
        if f is None or f.pid != os.getpid():
            if f is not None:
                # A forked child: an empty buffer, no thread, open (CPython's _after_fork).
                self._closed = False
            f = self._feeding = _Feeding()
        return f

    def _check_closed(self):
        if self._closed:
            raise ValueError("Queue %r is closed" % self)

    def put(self, obj, block=True, timeout=None):
        self._check_closed()
        self._put_fed(obj, block, timeout, 0)

    def put_nowait(self, obj):
        self._check_closed()
        self._put_fed(obj, False, None, 1)

    def _put_fed(self, obj, block, timeout, nowait):
        if self._direct:
            return self._put(obj, block, timeout, nowait)
        f = self._feeder_side()
        shown = rt.short_repr(obj)
        r, rn = rt.text(shown)
        with f.lock:
            busy = bool(f.buffer)
        try:
            data = pickle.dumps(obj)
        except Exception:
            data = None
        if data is None or busy or len(data) > _PIPE_BYTES:
            # For the feeder to pickle again and print the error, as
            # CPython's does, or behind what it still has to write, or too
            # big for the pipe (the feeder stores it: a MemoryError is
            # its): the put is an op, its task counted (a JoinableQueue).
            feed = _abi.FEED_COUNT if data is None else _abi.FEED_BEHIND
            ok(rt.lib.fs_queue_put(self._id, r, rn, b"", 0, 1 if block else 0, rt.seconds(timeout), nowait, feed, rt.line()))
            return self._to_feeder(f, (obj if data is None else None, data, shown))
        put = ok(rt.lib.fs_queue_put(self._id, r, rn, data, len(data), 1 if block else 0, rt.seconds(timeout), nowait, _abi.FEED_TRY, rt.line()))
        if put == rt.NOTHING:
            self._to_feeder(f, (None, data, shown))

    def _to_feeder(self, f, item):
        start = None
        with f.lock:
            f.buffer.append(item)
            if f.thread is None:
                start = f.thread = threading.Thread(target=Queue._feed, args=(self, f), name="QueueFeederThread", daemon=True)
                # CPython's thread: a lane of the run, as the program's own are.
                start._fs_laned = True
        if start is not None:
            if f.finalizer is None:
                from . import util

                f.finalizer = util.Finalize(self, _finalize_join, [f], exitpriority=-5)
            start.start()

    def _feed(self, f):
        """The feeder thread: writes the buffer's items in order (each
        counted by its put already), then ends (the next item that does not
        fit starts another)."""
        while True:
            with f.lock:
                if not f.buffer:
                    f.thread = None
                    return
                obj, data, shown = f.buffer[0]
            try:
                if data is None:
                    data = pickle.dumps(obj)
            except Exception as e:
                with f.lock:
                    f.buffer.popleft()
                self._on_queue_feeder_error(e, obj)
                continue
            r, rn = rt.text(shown)
            try:
                ok(rt.lib.fs_queue_put(self._id, r, rn, data, len(data), 1, -1.0, 0, _abi.FEED_FEEDER, rt.line()))
            except Exception as e:
                # As CPython's feeder when its write fails (a MemoryError:
                # no room for the item in /dev/shm): reported, dropped.
                with f.lock:
                    f.buffer.popleft()
                self._on_queue_feeder_error(e, obj if obj is not None else data)
                continue
            with f.lock:
                f.buffer.popleft()

    @staticmethod
    def _on_queue_feeder_error(e, obj):
        """Private API hook called when feeding data in the background thread
        raises an exception. For overriding by concurrent.futures."""
        import traceback

        traceback.print_exc()

    def _put(self, obj, block, timeout, nowait, shown=None):
        """A put without the feeder (a manager's queues). `shown`: what the
        dashboard shows of the item (its repr if None)."""
        data = pickle.dumps(obj)
        r, rn = rt.text(rt.short_repr(obj) if shown is None else shown)
        ok(rt.lib.fs_queue_put(self._id, r, rn, data, len(data), 1 if block else 0, rt.seconds(timeout), nowait, _abi.FEED_DIRECT, rt.line()))

    def get(self, block=True, timeout=None):
        self._check_closed()
        return self._get(block, timeout, 0)

    def get_nowait(self):
        self._check_closed()
        return self._get(False, None, 1)

    def _get(self, block, timeout, nowait):
        n = ok(rt.lib.fs_queue_get(self._id, 1 if block else 0, rt.seconds(timeout), nowait, rt.line()))
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
        f = self._feeding
        if f is not None and f.pid == os.getpid():
            _finalize_join(f)

    def cancel_join_thread(self):
        self._feeder_side().cancelled = True

    @property
    def _reader(self):
        """Stands for CPython's reader end, which `concurrent.futures` closes
        when its pool is broken (its workers are gone: nothing reads)."""
        return _Reader()

    def _terminate_broken(self):
        """CPython 3.12+'s: the queue closed on error. Its feeder is not
        waited for (no one reads what it holds)."""
        self.close()
        self.cancel_join_thread()


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
