"""forkscope's `multiprocessing.process`: `BaseProcess`, real child
processes each on its own lane of the run, with CPython's seams.

`start()` asks the start method's `Popen` (`self._Popen`, given by the
context's Process classes: popen_fork, popen_spawn_posix) to start the
child; the child runs `_bootstrap()`, which runs the process and ends it as
CPython's does. join, exitcode, terminate and kill go through the Popen (the
runtime's ops on the child's lane); names, identities, daemon flags, exit
codes and the messages of misuse are CPython's.
"""
import itertools
import os
import signal
import sys
from _weakrefset import WeakSet

import forkscope_rt as rt
from forkscope_rt import ok

from . import _common

__all__ = ["BaseProcess", "current_process", "active_children", "parent_process"]

_current_process = None
_parent_process = None
_children = set()
_process_counter = itertools.count(1)
# Every Process started here and not yet collected, as CPython keeps them
# (its test suite checks that none is left dangling).
_dangling = WeakSet()

_exitcode_to_name = {}
for _name, _signum in list(signal.__dict__.items()):
    if _name[:3] == "SIG" and "_" not in _name:
        _exitcode_to_name[-_signum] = "-" + _name
del _name, _signum


def current_process():
    """The Process object of the current process."""
    return _current_process


def active_children():
    """The children of the current process that are still alive."""
    _cleanup()
    return list(_children)


def parent_process():
    """The parent's Process object, or None in the main process."""
    return _parent_process


def _cleanup(wait=True):
    """Forgets the children that have ended. `wait` False (at each start):
    only those whose end the conductor has recorded, asking nothing of the
    OS, rather than waiting for the record of one that has just exited (a
    child's end is seen here at the next start or at `active_children()`)."""
    ended = rt.lib.fs_exitcode if wait else rt.lib.fs_ended
    for p in list(_children):
        if p._lane is not None and ended(p._lane) != rt.NOTHING:
            _children.discard(p)


class BaseProcess:
    """Process objects represent activity run in a separate process."""

    # None: the module's start method (set_start_method, else fork).
    _start_method = None
    # The start method's handle on the started child (None before start()
    # and in the child itself).
    _popen = None

    def __init__(self, group=None, target=None, name=None, args=(), kwargs={}, *, daemon=None):
        assert group is None, "group argument must be None for now"
        count = next(_process_counter)
        self._identity = _current_process._identity + (count,)
        self._config = _current_process._config.copy()
        self._parent_pid = os.getpid()
        self._parent_name = _current_process.name
        self._lane = None
        self._pid = None
        self._popen = None
        self._closed = False
        self._target = target
        self._args = tuple(args)
        self._kwargs = dict(kwargs)
        self._name = name or type(self).__name__ + "-" + ":".join(str(i) for i in self._identity)
        if daemon is not None:
            self.daemon = daemon

    def _check_closed(self):
        if self._closed:
            raise ValueError("process object is closed")

    def run(self):
        """Method to be run in the child process."""
        if self._target:
            self._target(*self._args, **self._kwargs)

    @staticmethod
    def _Popen(process_obj):
        raise NotImplementedError

    def start(self):
        """Start the child process."""
        self._check_closed()
        assert self._popen is None, "cannot start a process twice"
        assert self._parent_pid == os.getpid(), "can only start a process object created by current process"
        _cleanup(wait=False)
        self._popen = self._Popen(self)
        self._lane = self._popen.lane
        self._pid = self._popen.pid
        _children.add(self)
        _dangling.add(self)
        # As CPython: once started, the parent keeps no reference to the
        # target and its arguments (the child has its own copy).
        self._target = None
        self._args = ()
        self._kwargs = {}

    def terminate(self):
        """Terminate the process; sends SIGTERM signal."""
        self._check_closed()
        self._signal(signal.SIGTERM)

    def kill(self):
        """Terminate the process; sends SIGKILL signal."""
        self._check_closed()
        self._signal(signal.SIGKILL)

    def _signal(self, sig):
        if self._popen is None:
            # CPython: the process was never started, so it has no Popen.
            raise AttributeError("'NoneType' object has no attribute '%s'" % ("terminate" if sig == signal.SIGTERM else "kill"))
        self._popen._send_signal(sig)

    def join(self, timeout=None):
        """Wait until child process terminates."""
        self._check_closed()
        assert self._parent_pid == os.getpid(), "can only join a child process"
        assert self._popen is not None, "can only join a started process"
        if self._popen.wait(timeout) is not None:
            _children.discard(self)

    def is_alive(self):
        """Return whether process is alive."""
        self._check_closed()
        if self is _current_process:
            return True
        assert self._parent_pid == os.getpid(), "can only test a child process"
        if self._lane is None:
            return False
        alive = bool(ok(rt.lib.fs_is_alive(self._lane, rt.line())))
        if not alive:
            _children.discard(self)
        return alive

    def close(self):
        """Close the Process object (it must have ended)."""
        if self._lane is not None and rt.lib.fs_exitcode(self._lane) == rt.NOTHING:
            raise ValueError("Cannot close a process while it is still running. You should first call join() or terminate().")
        _children.discard(self)
        fd = self.__dict__.pop("_fs_sentinel", None)
        if fd is not None:
            from .connection import _sentinels

            _sentinels.discard(fd)
            os.close(fd)
        self._closed = True

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name):
        assert isinstance(name, str), "name must be a string"
        self._name = name

    @property
    def daemon(self):
        """Return whether process is a daemon."""
        return self._config.get("daemon", False)

    @daemon.setter
    def daemon(self, daemonic):
        assert self._lane is None, "process has already started"
        self._config["daemon"] = daemonic

    @property
    def authkey(self):
        return self._config["authkey"]

    @authkey.setter
    def authkey(self, authkey):
        self._config["authkey"] = bytes(authkey)

    @property
    def exitcode(self):
        """Return exit code of process or `None` if it has yet to stop."""
        self._check_closed()
        if self._popen is None:
            return None
        return self._popen.poll()

    @property
    def ident(self):
        """Return identifier (PID) of process or `None` if it has yet to start."""
        self._check_closed()
        if self is _current_process:
            return os.getpid()
        return self._pid

    pid = ident

    @property
    def sentinel(self):
        """A descriptor that becomes readable when the process ends (a
        pidfd of it; CPython's is a pipe only the child writes to)."""
        self._check_closed()
        if self._lane is None or self is _current_process or self._parent_pid != os.getpid():
            raise ValueError("process not started") from None
        fd = self.__dict__.get("_fs_sentinel")
        if fd is None:
            try:
                fd = os.pidfd_open(self._pid)
            except (AttributeError, OSError):
                # Already reaped (or no pidfd): a descriptor readable now.
                fd, w = os.pipe()
                os.close(w)
            from .connection import _sentinels

            _sentinels.add(fd)
            self._fs_sentinel = fd
        return fd

    def __repr__(self):
        exitcode = None
        if self is _current_process:
            status = "started"
        elif self._closed:
            status = "closed"
        elif self._parent_pid != os.getpid():
            status = "unknown"
        elif self._lane is None:
            status = "initial"
        else:
            r = rt.lib.fs_exitcode(self._lane)
            exitcode = None if r == rt.NOTHING else r
            status = "started" if exitcode is None else "stopped"
        info = [type(self).__name__, "name=%r" % self._name]
        if self._lane is not None and self is not _current_process:
            info.append("pid=%s" % self._pid)
        info.append("parent=%s" % self._parent_pid)
        info.append(status)
        if exitcode is not None:
            info.append("exitcode=%s" % _exitcode_to_name.get(exitcode, exitcode))
        if self.daemon:
            info.append("daemon")
        return "<%s>" % " ".join(info)

    def _bootstrap(self):
        """In the child, once it is its lane: become this process, run it,
        and end as CPython's `_bootstrap` ends a child (util's finalizers,
        its children, its threads); returns the exit code."""
        from forkscope_rt import ending, threads

        _init_child(self)
        code = ending.run_as_python(self.run, "Process %s:\n" % self.name)
        # Its threads that are not daemons, each wait an op (CPython joins
        # them in _exit_child's threading._shutdown, after util's
        # finalizers: by then there are none left to join).
        threads.wait_for_threads()
        ending.run_as_python(lambda: _exit_child(code))
        ending.end_managers()
        return code

    def __reduce__(self):
        raise TypeError("Pickling a Process object is not supported: pass it to a child at its start (inheritance)")


def _exit_child(exitcode):
    """The end of a child's run, as CPython's `_bootstrap` ends it: the
    finalizers CPython's `multiprocessing.util` keeps (if a program used
    it), its daemonic children terminated, the others joined, then its
    threads that are not daemons joined."""
    util = sys.modules.get(__name__.rpartition(".")[0] + ".util")
    threading = sys.modules.get("threading")
    try:
        if util is not None:
            util._exit_function()
    finally:
        # Its threads that are not daemons end first, as in CPython.
        if threading is not None:
            threading._shutdown()
        if util is not None:
            util.info("process exiting with exitcode %d" % exitcode)


class _MainProcess(BaseProcess):
    def __init__(self):
        self._identity = ()
        self._name = "MainProcess"
        self._parent_pid = None
        self._lane = 1
        self._pid = None
        self._closed = False
        self._target = None
        self._args = ()
        self._kwargs = {}
        self._config = {"authkey": bytes(os.urandom(32)), "semprefix": "/mp"}

    def close(self):
        pass


class _ParentProcess(BaseProcess):
    def __init__(self, name, pid, lane):
        self._identity = ()
        self._name = name
        self._pid = pid
        self._parent_pid = None
        self._lane = lane
        self._closed = False
        self._config = {}
        self._target = None

    def is_alive(self):
        # As CPython's sentinel: a parent that has ended (a zombie not yet
        # reaped too) is not alive; its pidfd is readable then.
        import select

        try:
            fd = os.pidfd_open(self._pid)
        except ProcessLookupError:
            return False
        except (AttributeError, OSError):
            try:
                os.kill(self._pid, 0)
            except OSError:
                return False
            return True
        try:
            return not select.select([fd], [], [], 0)[0]
        finally:
            os.close(fd)

    @property
    def ident(self):
        return self._pid

    pid = ident

    def join(self, timeout=None):
        """Wait until the parent process ends (CPython waits on its
        sentinel; here, on a pidfd of it)."""
        import select

        try:
            fd = os.pidfd_open(self._pid)
        except (AttributeError, OSError):
            return
        try:
            select.select([fd], [], [], timeout)
        finally:
            os.close(fd)


def _init_main():
    global _current_process
    _current_process = _MainProcess()


class _Bootstrapping:
    """The current process of a spawned child while it imports the main
    module again: starting a process then is CPython's bootstrapping error."""

    _inheriting = True
    _identity = ()
    _config = {}
    name = "MainProcess"


def _init_spawned(prep=None):
    """A spawned child, before it imports the main module again: its
    parent's folder and start method (CPython's `spawn.prepare`)."""
    global _current_process
    _current_process = _Bootstrapping()
    _current_process.name = rt.info(rt._abi.INFO_NAME)
    if prep is None:
        return
    if prep.get("cwd"):
        try:
            os.chdir(prep["cwd"])
        except OSError:
            pass
    if prep.get("start_method"):
        _common.forced_start_method = prep["start_method"]


def _init_child(process):
    """In a freshly forked child: it is `process` now, with no children yet."""
    global _current_process, _parent_process, _children, _process_counter
    _parent_process = _ParentProcess(process._parent_name, process._parent_pid, ok(rt.lib.fs_run_number(rt._abi.NUMBER_PARENT)))
    _current_process = process
    _children = set()
    _process_counter = itertools.count(1)
    # As CPython's `_bootstrap`: the child's main thread has its own native id
    # (threading's after-fork hook keeps the parent's).
    threading = sys.modules.get("threading")
    if threading is not None and getattr(threading, "_HAVE_THREAD_NATIVE_ID", False):
        threading.main_thread()._set_native_id()
    if process._start_method is not None:
        # As CPython's `_bootstrap`: a child of a context's Process (fork,
        # spawn, forkserver) uses that start method from then on.
        _common.forced_start_method = process._start_method
    # As CPython's `_bootstrap`: the parent's finalizers are not the
    # child's, and what registered for after a fork runs now.
    util = sys.modules.get(__name__.rpartition(".")[0] + ".util")
    if util is not None:
        util._finalizer_registry.clear()
        util._run_after_forkers()
        util.info("child process calling self.run()")
