"""forkscope's `multiprocessing.Pool`: the runtime's pool (the same as the
Rhai lessons'), with workers that are real forked CPython processes
(`ForkPoolWorker-N`, daemonic children of the pool's creator, each on its own
lane) running the tasks the pool hands them.

A task is the pickled call `(function, args, kwargs)`; a map is cut into
chunks as CPython cuts it (`chunksize`), one task per chunk. Results are
pickled by the worker; an exception travels pickled too and `get()` raises
it again. Callbacks (and error callbacks) run in the process that submitted
the task, as CPython's result-handler thread does there: whenever that
process touches the pool or a result, and while it waits in `join()`.
"""
import itertools
import pickle

import forkscope_rt as rt
from forkscope_rt import NOTHING, ok

from . import _common, process

__all__ = ["Pool", "ThreadPool", "AsyncResult", "MapResult", "RemoteTraceback", "MaybeEncodingError"]

# CPython's states (its ThreadPool, the tests, read them).
INIT, RUN, CLOSE, TERMINATE = "INIT", "RUN", "CLOSE", "TERMINATE"


def _lanes(lanes):
    import ctypes

    return (ctypes.c_uint32 * max(len(lanes), 1))(*lanes), len(lanes)


def _unpack(n):
    """A result's bytes: one value, or a map's list of chunk values."""
    data = rt.take(n)
    if data[:1] == b"\x00":
        return pickle.loads(data[1:])
    out, i = [], 1
    while i < len(data):
        size = int.from_bytes(data[i : i + 8], "little")
        out.append(pickle.loads(data[i + 8 : i + 8 + size]))
        i += 8 + size
    return out


def _raise_from_worker(e):
    """The runtime raised a worker's error: raise the worker's own exception.
    (Its message is `shown NUL hex-pickle`; `str()` of a KeyError quotes and
    escapes its message, so read the argument itself.)"""
    text = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
    if "\x00" in text:
        try:
            exc = pickle.loads(bytes.fromhex(text.split("\x00", 1)[1]))
        except Exception:
            exc = None
        if isinstance(exc, BaseException):
            # Its cause is the worker's traceback (RemoteTraceback), as CPython shows it.
            raise exc from exc.__cause__
    raise e


class RemoteTraceback(Exception):
    """A worker's traceback, as text: the cause of the exception `get()`
    raises again ("The above exception was the direct cause …")."""

    def __init__(self, tb):
        self.tb = tb

    def __str__(self):
        return self.tb


class ExceptionWithTraceback:
    """A worker's exception with its traceback, pickled together."""

    def __init__(self, exc, tb):
        import traceback

        tb = "".join(traceback.format_exception(type(exc), exc, tb))
        self.exc = exc
        self.tb = '\n"""\n%s"""' % tb

    def __reduce__(self):
        return rebuild_exc, (self.exc, self.tb)


def rebuild_exc(exc, tb):
    exc.__cause__ = RemoteTraceback(tb)
    return exc


class MaybeEncodingError(Exception):
    """Wraps possible unpickleable errors, so they can be safely sent
    through the socket."""

    def __init__(self, exc, value):
        self.exc = repr(exc)
        self.value = repr(value)
        super(MaybeEncodingError, self).__init__(self.exc, self.value)

    def __str__(self):
        return "Error sending result: '%s'. Reason: '%s'" % (self.value, self.exc)

    def __repr__(self):
        return "<%s: %s>" % (self.__class__.__name__, self)


def _worker_loop(pool_id, initializer, initargs, maxtasks=None):
    import random

    # `random` as seeded for this process (by its lane: a name, as its pid).
    fresh = random.getstate()
    if initializer is not None:
        initializer(*initargs)
    lib = rt.lib
    done = 0
    # With maxtasksperchild, the worker ends after that many tasks (the
    # pool's worker handler starts another), as CPython's.
    while maxtasks is None or done < maxtasks:
        # Explore keys a worker between tasks by its memory (not how it
        # got there): what it sends here.
        rt.send_memory_at_take(fresh, None if maxtasks is None else done)
        done += 1
        n = ok(lib.fs_pool_take(pool_id))
        if n == NOTHING:
            break
        call = pickle.loads(rt.take(n))
        func, args, kwargs, chunk = call[:4]
        try:
            if chunk:
                value = [func(*a) for a in args]
            else:
                value = func(*args, **kwargs)
        except Exception as exc:
            good = 0
            shown = "%s: %s" % (type(exc).__name__, exc)
            try:
                data = pickle.dumps(ExceptionWithTraceback(exc, exc.__traceback__))
            except Exception:
                data = pickle.dumps(RuntimeError(shown))
        else:
            try:
                data, good = pickle.dumps(value), 1
                shown = rt.short_repr(value)
            except Exception as exc:
                # As CPython's worker: a result that cannot be pickled.
                err = MaybeEncodingError(exc, value)
                good, shown, data = 0, "%s: %s" % (type(err).__name__, err), pickle.dumps(err)
        r, rn = rt.text(shown)
        ok(lib.fs_pool_finish(pool_id, good, r, rn, data, len(data)))
        if len(call) > 4:
            # An imap_unordered task: its iterator learns that one more
            # result is ready (the semaphore's kind and id).
            ok(lib.fs_release(call[4][0], call[4][1], rt.line()))


class _PoolWorker(process.BaseProcess):
    """A worker, started by the module's own start method (CPython's pool
    starts `ctx.Process`)."""

    @staticmethod
    def _Popen(process_obj):
        return _common.default_context.get_context().Process._Popen(process_obj)


class ApplyResult:
    def __init__(self, pool, rid, callback, error_callback, chunks=None):
        self._pool = pool
        self._id = rid
        self._callback = callback
        self._error_callback = error_callback
        self._chunks = chunks
        self._value = None
        self._done = False

    def _convert(self, v):
        if self._chunks is None:
            return v
        return list(itertools.chain.from_iterable(v))

    def ready(self):
        self._pool._run_callbacks()
        return bool(ok(rt.lib.fs_result_ready(self._id, rt.line())))

    def successful(self):
        if not self.ready():
            raise ValueError("{0!r} not ready".format(self))
        try:
            self.get(0)
            return True
        except Exception:
            return False

    def wait(self, timeout=None):
        try:
            self.get(timeout)
        except Exception:
            pass

    def get(self, timeout=None):
        self._pool._run_callbacks()
        t = rt.seconds(timeout)
        try:
            n = ok(rt.lib.fs_result_get(self._id, t, rt.line()))
        except TimeoutError:
            raise _common.TimeoutError from None
        except Exception as e:
            # As CPython's result handler: the callbacks of what is ready
            # have run before get() returns.
            self._pool._run_callbacks()
            _raise_from_worker(e)
        value = self._convert(_unpack(n))
        self._pool._run_callbacks()
        return value

    def _try_callback(self):
        """Runs this result's callback if it is ready; True if it was."""
        n = rt.lib.fs_result_if_ready(self._id)
        if n == NOTHING:
            return False
        if n == rt.ERR:
            err = rt.last_error()
            try:
                _raise_from_worker(err)
            except Exception as exc:
                if self._error_callback is not None:
                    self._error_callback(exc)
            return True
        if self._callback is not None:
            self._callback(self._convert(_unpack(n)))
        return True


AsyncResult = ApplyResult


class _Failed:
    """The result of a task that could not be sent to a worker."""

    def __init__(self, exc):
        self._exc = exc

    def ready(self):
        return True

    def successful(self):
        return False

    def wait(self, timeout=None):
        pass

    def get(self, timeout=None):
        raise self._exc


class MapResult(ApplyResult):
    pass


class IMapIterator:
    """What `imap` returns, filled by the pool's task handler as it goes
    through the input: `next(timeout)` waits up to `timeout` for the next
    result (`multiprocessing.TimeoutError` if it is not there), raises a
    worker's exception or the input's at its place, then goes on.

    `imap_unordered`'s (`unordered`) gives the results as the workers
    finish them, as CPython's: each of its tasks releases a semaphore of
    the pool (`p finished`) once its result is ready, and `next()` waits on
    that and takes the first ready result."""

    def __init__(self, pool, single, unordered=False):
        import collections
        import threading

        self._pool = pool
        self._single = single
        # Only held for a moment (never waited on long): the results so far.
        self._lock = threading.Lock()
        # A unit per result submitted, and one at the end: the wait of
        # next() is the runtime's (shown, stepped, timed as any acquire).
        self._ready = _signal("%s results" % pool._shown)
        self._results = collections.deque()
        self._error = None
        self._done = False
        # A unit per result ready (imap_unordered).
        self._finished = _signal("%s finished" % pool._shown) if unordered else None

    def _feed(self, func, iterable, chunksize):
        """In the task handler: submits the input's chunks one by one, at
        most _AHEAD per worker not yet done (as CPython's handler is held
        back by its full pipe), until the input ends or the pool is
        terminated."""
        import collections

        pool = self._pool
        unfinished = collections.deque()
        try:
            it = iter(iterable)
            while pool._state != TERMINATE:
                part = tuple(itertools.islice(it, chunksize))
                if not part:
                    break
                call = (func, [(a,) for a in part], {}, True)
                if self._finished is not None:
                    call += ((self._finished._kind, self._finished._id),)
                r = pool._submit(rt._abi.SUBMIT_MAP, func, [call], None, None, chunks=True, handler=True)
                if self._finished is not None and not isinstance(r, ApplyResult):
                    # It failed at once: it is ready now.
                    self._finished.release()
                with self._lock:
                    self._results.append(r)
                self._ready.release()
                if isinstance(r, ApplyResult):
                    unfinished.append(r._id)
                    if len(unfinished) >= _AHEAD * len(pool._pool):
                        _await_done(unfinished.popleft())
        except Exception as e:
            with self._lock:
                self._error = e
        with self._lock:
            self._done = True
        self._ready.release()

    def __iter__(self):
        return self

    def next(self, timeout=None):
        import time

        end = None if timeout is None else time.monotonic() + max(timeout, 0)
        if not self._ready.acquire(True, timeout):
            raise _common.TimeoutError
        with self._lock:
            if not self._results:
                # The end: it stays for the next call.
                self._ready.release()
                if self._error is not None:
                    e, self._error = self._error, None
                    raise e
                raise StopIteration
            first = self._results[0]
        left = None if end is None else max(end - time.monotonic(), 0)
        if self._finished is not None:
            if not self._finished.acquire(True, left):
                self._ready.release()
                raise _common.TimeoutError
            with self._lock:
                first = next(r for r in self._results if _is_ready(r))
                self._results.remove(first)
            value = first.get()
            return value[0] if self._single else value
        try:
            value = first.get(left)
        except _common.TimeoutError:
            # Not there yet: the next call waits for the same one.
            self._ready.release()
            raise
        except BaseException:
            self._results.popleft()
            raise
        self._results.popleft()
        return value[0] if self._single else value

    __next__ = next


def _is_ready(r):
    """Whether an imap task's result is ready (a query, no op)."""
    if not isinstance(r, ApplyResult):
        return True
    n = rt.lib.fs_result_if_ready(r._id)
    if n == rt.ERR:
        rt.last_error()
        return True
    if n == NOTHING:
        return False
    if n > 0:
        rt.take(n)
    return True


# Tasks per worker the task handler may submit ahead of those done.
_AHEAD = 4


def _await_done(rid):
    """Waits (an op) until result `rid` is done, its value left to its reader."""
    n = rt.lib.fs_result_get(rid, rt.FOREVER, rt.line())
    if n == rt.ERR:
        rt.last_error()
    elif n > 0:
        rt.take(n)


def _handle_workers(pool):
    """The pool's worker handler (a thread, as CPython's; with
    maxtasksperchild only): waits for a worker to end, and starts another
    while the pool runs, or is closed with tasks left; ends once every
    worker has."""
    import ctypes

    while True:
        live = [w for w in pool._pool if w.exitcode is None]
        if not live:
            break
        lanes = [w._lane for w in live]
        arr = (ctypes.c_uint32 * len(lanes))(*lanes)
        ok(rt.lib.fs_wait_any(arr, len(lanes), 1, rt.line()))
        pool._join_exited_workers()
        if pool._state == RUN or (pool._state == CLOSE and ok(rt.lib.fs_pool_op(pool._id, rt._abi.POOL_WORK, None, 0, rt.line())) > 0):
            pool._repopulate_pool()


class _Jobs:
    """The task handler's queue of imap inputs; its wait is the runtime's."""

    def __init__(self, pool):
        import collections

        self._items = collections.deque()
        self._count = _signal("%s tasks" % pool._shown)

    def put(self, item):
        self._items.append(item)
        self._count.release()

    def get(self):
        self._count.acquire()
        return self._items.popleft()


def _signal(name):
    """A Semaphore(0) of the runtime called `name` (the pool's own)."""
    from . import synchronize

    saved = rt._serving
    rt.serving(name, rt.line() if saved is None else saved[1])
    try:
        return synchronize.Semaphore(0)
    finally:
        rt._serving = saved


def _handle_tasks(pool, tasks):
    """The pool's task handler (a thread, as CPython's): feeds each imap's
    input to the pool; at None, the pool is closed (or terminated)."""
    while True:
        job = tasks.get()
        if job is None:
            break
        job[0]._feed(*job[1:])
    if pool._state == CLOSE:
        ok(rt.lib.fs_pool_op(pool._id, rt._abi.POOL_CLOSE, None, 0, rt.line()))


IMapUnorderedIterator = IMapIterator


class Pool:
    """A pool of worker processes (forked, as with the fork start method)."""

    _wrap_exception = True

    def __init__(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None, context=None):
        import os

        if processes is None:
            processes = os.cpu_count() or 1
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0):
            raise ValueError("maxtasksperchild must be a positive int or None")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._processes = processes
        self._state = INIT
        self._callbacks = []
        self._task_handler = None
        self._shown = rt.created_name("Pool")
        b, n = rt.text(self._shown)
        self._id = ok(rt.lib.fs_pool_new(processes, b, n, rt.line()))
        if not self._shown:
            self._shown = "Pool-%d" % (self._id + 1)
        self._pool = []
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._maxtasksperchild = maxtasksperchild
        self._worker_handler = None
        for _ in range(processes):
            self._pool.append(self._new_worker())
        lanes, k = _lanes([w._lane for w in self._pool])
        ok(rt.lib.fs_pool_started(self._id, lanes, k))
        self._state = RUN
        if maxtasksperchild is not None:
            # CPython's worker handler (a thread): replaces the workers
            # that ended after their tasks.
            import threading

            self._worker_handler = threading.Thread(target=_handle_workers, args=(self,), daemon=True)
            # CPython's thread: a lane of the run, as the program's own are.
            self._worker_handler._fs_laned = True
            self._worker_handler.start()

    def _new_worker(self):
        w = _PoolWorker(target=_worker_loop, args=(self._id, self._initializer, self._initargs, self._maxtasksperchild))
        w.name = w.name.replace("_PoolWorker", "ForkPoolWorker")
        w.daemon = True
        w.start()
        return w

    def _join_exited_workers(self):
        """Takes the workers that have ended out of the pool (joined);
        whether there were any."""
        exited = [w for w in self._pool if w.exitcode is not None]
        for w in exited:
            w.join()
            self._pool.remove(w)
        return bool(exited)

    def _repopulate_pool(self):
        """Starts workers for those that ended, up to the pool's size."""
        self._join_exited_workers()
        while len(self._pool) < self._processes:
            self._pool.append(self._new_worker())

    def __reduce__(self):
        raise NotImplementedError("pool objects cannot be passed between processes or pickled")

    def __repr__(self):
        return "<multiprocessing.pool.Pool state=%s pool_size=%d>" % (self._state, len(self._pool))

    def __del__(self, _warn=None, RUN=RUN):
        # As CPython: a pool left running when it is collected says so.
        if getattr(self, "_state", None) == RUN:
            import warnings

            warnings.warn("unclosed running multiprocessing pool %r" % (self,), ResourceWarning, source=self)

    def _check_running(self):
        if self._state != RUN:
            raise ValueError("Pool not running")

    def _run_callbacks(self):
        """Runs the ready callbacks, in submission order."""
        while True:
            for i, r in enumerate(self._callbacks):
                if r._try_callback():
                    del self._callbacks[i]
                    break
            else:
                return

    def _submit(self, op, func, calls, callback, error_callback, chunks=None, handler=False):
        # The task handler's submissions: neither callbacks (the pool's
        # process runs them) nor the state (it finishes what close() left).
        if not handler:
            self._run_callbacks()
            self._check_running()
        try:
            pickled = [pickle.dumps(call) for call in calls]
        except Exception as exc:
            # As CPython: a task that cannot be pickled (a plain Queue among
            # its arguments) fails in its result, not in the submission.
            if error_callback is not None:
                error_callback(exc)
            return _Failed(exc)
        for call, data in zip(calls, pickled):
            shown = "%s%s" % (getattr(func, "__name__", "f"), rt.short_repr(tuple(call[1]) if not call[3] else call[1], 60))
            r, rn = rt.text(shown)
            ok(rt.lib.fs_pool_arg(r, rn, data, len(data)))
        name, nn = rt.text(getattr(func, "__qualname__", getattr(func, "__name__", repr(func))))
        has_cb = callback is not None or error_callback is not None
        rid = ok(rt.lib.fs_pool_submit(self._id, op, name, nn, 1 if has_cb else 0, rt.line()))
        result = (MapResult if chunks is not None else ApplyResult)(self, rid, callback, error_callback, chunks)
        if has_cb:
            self._callbacks.append(result)
        return result

    def apply(self, func, args=(), kwds={}):
        """Calls func(*args, **kwds) in a worker and waits for its result."""
        self._check_running()
        return self._submit(rt._abi.SUBMIT_APPLY, func, [(func, tuple(args), dict(kwds), False)], None, None).get()

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        """Calls func(*args, **kwds) in a worker; returns an AsyncResult."""
        return self._submit(rt._abi.SUBMIT_APPLY_ASYNC, func, [(func, tuple(args), dict(kwds), False)], callback, error_callback)

    def _chunks(self, func, iterable, chunksize, star):
        items = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), len(self._pool) * 4)
            if extra:
                chunksize += 1
        if chunksize < 1 and items:
            raise ValueError("Chunksize must be 1+, not {0:n}".format(chunksize))
        chunksize = max(chunksize, 1)
        calls = []
        for i in range(0, len(items), chunksize):
            part = items[i : i + chunksize]
            calls.append((func, [tuple(a) for a in part] if star else [(a,) for a in part], {}, True))
        return calls

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return self._submit(rt._abi.SUBMIT_MAP, func, self._chunks(func, iterable, chunksize, False), callback, error_callback, chunks=True)

    def map(self, func, iterable, chunksize=None):
        """Applies func to every item, in the workers; the list of results in order."""
        return self.map_async(func, iterable, chunksize).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return self._submit(rt._abi.SUBMIT_MAP, func, self._chunks(func, iterable, chunksize, True), callback, error_callback, chunks=True)

    def starmap(self, func, iterable, chunksize=None):
        return self.starmap_async(func, iterable, chunksize).get()

    def _imap(self, func, iterable, chunksize, unordered=False):
        """An IMapIterator the task handler fills (started on the first
        imap: a thread, as CPython's); a generator over its chunks when
        chunksize is not 1, as CPython's."""
        self._check_running()
        if chunksize < 1:
            raise ValueError("Chunksize must be 1+, not {0:n}".format(chunksize))
        if self._task_handler is None:
            import threading

            self._taskqueue = _Jobs(self)
            self._task_handler = threading.Thread(target=_handle_tasks, args=(self, self._taskqueue), daemon=True)
            # CPython's thread: a lane of the run, as the program's own are.
            self._task_handler._fs_laned = True
            self._task_handler.start()
        itr = IMapIterator(self, chunksize == 1, unordered)
        self._taskqueue.put((itr, func, iterable, chunksize))
        if chunksize == 1:
            return itr
        # As CPython: a generator over the chunks (no next(timeout)).
        return (item for chunk in itr for item in chunk)

    def imap(self, func, iterable, chunksize=1):
        """Like map, as an iterator (the results in order): an
        IMapIterator (`next(timeout)`) when chunksize is 1. The input is
        read by the task handler as the workers take its tasks."""
        return self._imap(func, iterable, chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        """Like imap, the results in the order the workers finish them."""
        return self._imap(func, iterable, chunksize, True)

    def close(self):
        self._run_callbacks()
        if self._state == RUN:
            self._state = CLOSE
            if self._task_handler is not None:
                # The task handler closes the pool once it has fed the
                # inputs before.
                self._taskqueue.put(None)
            else:
                ok(rt.lib.fs_pool_op(self._id, rt._abi.POOL_CLOSE, None, 0, rt.line()))

    def terminate(self):
        if self._task_handler is not None and self._state == RUN:
            self._taskqueue.put(None)
        self._state = TERMINATE
        lanes, k = _lanes([w._lane for w in self._pool])
        ok(rt.lib.fs_pool_op(self._id, rt._abi.POOL_TERMINATE, lanes, k, rt.line()))

    def join(self):
        if self._state == RUN:
            raise ValueError("Pool is still running")
        if self._task_handler is not None and self._state == CLOSE:
            # (After terminate() it may wait for a task that was dropped.)
            self._task_handler.join()
        if self._worker_handler is not None:
            self._worker_handler.join()
        lanes, k = _lanes([w._lane for w in self._pool])
        while True:
            self._run_callbacks()
            waiting, m = _lanes([r._id for r in self._callbacks])
            if ok(rt.lib.fs_pool_join(self._id, lanes, k, waiting, m, rt.line())) == 0:
                break
        self._run_callbacks()
        for w in self._pool:
            process._children.discard(w)

    def __enter__(self):
        self._check_running()
        return self

    def __exit__(self, *exc):
        self.terminate()


def __getattr__(name):
    # A pool of threads in this one process: CPython's own ThreadPool (and
    # the queues, pipe and wait it runs on), private to this process; its
    # threads run the tasks here, as in CPython.
    if name == "ThreadPool":

        value = _common.cpython_own("pool").ThreadPool
        globals()[name] = value
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
