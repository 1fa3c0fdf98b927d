"""`threading.Thread` under forkscope: every thread is a lane.

A thread the program starts (its own `threading.Thread`, a `Timer`, one a
library of the standard library starts) gets a lane of its own under its
process, named after it (`MainProcess/Thread-1 (worker)`): its ops are
recorded there, it has its own line and state, it waits on its own, and the
gate steps it like a process. `start()` reserves the lane before the OS
thread is made and releases it after, so the new thread's first op is the
new lane's; `join()` is an op that waits for the thread's lane to end (as a
process's `join`), then the real join. The thread's lane ends when its code
has: an uncaught exception is printed first, as `threading.excepthook`
prints it (one op on the thread's stderr, recorded as the thread's error),
and changes nothing about its process's exit code. The process's end ends
every lane its threads still have; before it, main waits for the non-daemon
threads (as CPython's `threading._shutdown` does), each wait an op.

Threads that forkscope's own Python package starts have no lane (the
capture's reader is a bare `_thread`, invisible here), except those that
stand for CPython's own (a `Queue`'s feeder thread), marked `_fs_laned`.
"""
import sys

import forkscope_rt as rt
from forkscope_rt import ok

_real = {}
# `thread` -> the separator and the key of its function and arguments
# (`multiprocessing.popen_fork`'s, a layer above: set by `install`).
args_key = None


def _from_forkscope(f):
    return f is not None and f.f_code.co_filename.startswith("<forkscope>/")


def start(self):
    """`Thread.start()`: the thread with a lane of its own."""
    if rt.lib is None or not getattr(self, "_initialized", False) or self._started.is_set() or (_from_forkscope(sys._getframe(1)) and not getattr(self, "_fs_laned", False)):
        return _real["start"](self)
    line = rt.line()
    b, n = rt.text(self.name)
    daemon = 1 if self.daemon else 0
    # Its target carries the key of its function and arguments, as a
    # forked child's does (explore's symmetry: threads of one function on
    # the same arguments are interchangeable).
    tb, tn = rt.text("threading.Thread" + (args_key(self) if args_key is not None else ""))
    lane = ok(rt.lib.fs_thread_prepare(b, n, tb, tn, daemon, line))
    rt.threaded = True
    self._fs_lane = lane
    self.run = _laned_run(self, self.run, lane)
    invoke = self.__dict__.get("_invoke_excepthook")
    if invoke is not None:
        self._invoke_excepthook = _excepthook(invoke)
        self._fs_hooked = True
    try:
        _real["start"](self)
    except BaseException:
        for name in ("run", "_fs_lane", "_fs_hooked"):
            self.__dict__.pop(name, None)
        if invoke is not None:
            self._invoke_excepthook = invoke
        rt.lib.fs_thread_failed(lane)
        raise
    ok(rt.lib.fs_thread_commit(lane, daemon))


def _laned_run(thread, run, lane):
    def laned():
        thread.__dict__.pop("run", None)
        if rt.lib.fs_thread_attach(lane) == rt.ERR:
            thread.__dict__.pop("_fs_lane", None)
            return run()
        # Stepped by statement: trace this thread's lines from its first.
        rt.line()
        try:
            run()
        except BaseException:
            # `threading` prints it (see _excepthook), then the lane ends.
            if not thread.__dict__.get("_fs_hooked"):
                _end(thread)
            raise
        _end(thread)

    return laned


def _end(thread):
    """The thread's lane ends; in a child this thread forked, the child
    does (see `forks._end_with`)."""
    rt.send_memory_at_end()
    rt.lib.fs_thread_end()
    if thread.__dict__.get("_fs_end_process"):
        from forkscope_rt import hooks

        hooks.flush_streams()
        rt.lib.fs_finish(0)


def _excepthook(invoke):
    """The thread's uncaught exception, printed as `threading.excepthook`
    prints it (when it is the default one), as one op, and recorded as the
    thread's error."""

    def invoke_excepthook(thread):
        try:
            _print_uncaught(invoke, thread)
        finally:
            if "_fs_lane" in thread.__dict__:
                _end(thread)

    return invoke_excepthook


def _print_uncaught(invoke, thread):
    import threading

    from forkscope_rt import hooks

    etype, value, tb = sys.exc_info()
    if etype is None or issubclass(etype, SystemExit) or threading.excepthook is not _real.get("excepthook") or not isinstance(sys.stderr, hooks.LaneStream):
        return invoke(thread)
    try:
        import traceback

        from forkscope_rt import ending

        te = traceback.TracebackException(etype, value, tb)
        ending.drop_our_frames(te)
        text = "Exception in thread %s:\n%s" % (thread.name, "".join(te.format()))
        line = 0
        t = tb
        while t is not None:
            if t.tb_frame.f_code.co_filename == rt.USER_FILE:
                line = t.tb_lineno
            t = t.tb_next
        hooks.flush_streams()
        hooks.write_block(rt._abi.STREAM_STDERR, text, line or None)
        message = next((l.strip() for l in str(value).splitlines() if l.strip()), "")
        b, n = rt.text("%s: %s" % (etype.__name__, message) if message else etype.__name__)
        rt.lib.fs_text(rt._abi.TEXT_ERROR, b, n, line)
    finally:
        del etype, value, tb


def join(self, timeout=None):
    """`Thread.join(timeout)`: an op on the thread's lane, then the real join."""
    lane = self.__dict__.get("_fs_lane")
    if lane is not None and rt.lib is not None and self._started.is_set():
        import threading

        if self is threading.current_thread():
            raise RuntimeError("cannot join current thread")
        secs = rt.seconds(timeout)
        if not ok(rt.lib.fs_thread_join(lane, secs, rt.line())):
            return None
    return _real["join"](self, timeout)


def wait_for_threads():
    """Before the process's end: waits for its non-daemon threads, those
    with a lane first (each an op, in the order they were started), then
    as CPython's `threading._shutdown` does."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    me = threading.current_thread()
    # As `threading._shutdown`: the threading atexit calls first (an
    # executor's tells its manager thread to finish), once.
    calls = getattr(threading, "_threading_atexits", None)
    if calls:
        threading._threading_atexits = []
        if hasattr(threading, "_SHUTTING_DOWN"):
            threading._SHUTTING_DOWN = True
        for call in reversed(calls):
            try:
                call()
            except BaseException:
                pass
    laned = [t for t in threading.enumerate() if t is not me and not t.daemon and "_fs_lane" in t.__dict__]
    for t in sorted(laned, key=lambda t: t.__dict__["_fs_lane"]):
        try:
            t.join()
        except BaseException:
            pass
    try:
        threading._shutdown()
    except BaseException:
        pass


def install():
    import threading

    _real["excepthook"] = threading.excepthook
    _real["start"] = threading.Thread.start
    _real["join"] = threading.Thread.join
    threading.Thread.start = start
    threading.Thread.join = join
