"""Contexts and start methods, as CPython has them: fork (the default on
Linux before Python 3.14), spawn and forkserver, chosen by
`set_start_method` or `get_context(method)`. With spawn (and forkserver,
which forkscope runs the same way) a child is a new interpreter that imports
the main module again as `__mp_main__` and runs the Process pickled by its
parent (see process.py). `get_context()` returns an object with the same API
as the module."""
import os

from . import _common, process
from ._common import (  # noqa: F401  (CPython's context has them)
    BOOTSTRAP_ERROR,
    AuthenticationError,
    BufferTooShort,
    ProcessError,
    TimeoutError,
    assert_spawning,
    cpython_own,
    get_spawning_popen,
    set_spawning_popen,
)

__all__ = ["BaseContext", "get_context", "set_start_method", "get_start_method", "get_all_start_methods"]



class BaseContext:
    ProcessError = ProcessError
    BufferTooShort = BufferTooShort
    TimeoutError = TimeoutError
    AuthenticationError = AuthenticationError

    current_process = staticmethod(process.current_process)
    parent_process = staticmethod(process.parent_process)
    active_children = staticmethod(process.active_children)

    def cpu_count(self):
        n = os.cpu_count()
        if n is None:
            raise NotImplementedError("cannot determine number of cpus")
        return n

    def Manager(self):
        """A started SyncManager (see multiprocessing.managers)."""
        from .managers import SyncManager

        m = SyncManager(ctx=self.get_context())
        m.start()
        return m

    def Pipe(self, duplex=True):
        from .connection import Pipe

        return Pipe(duplex)

    def Lock(self):
        from .synchronize import Lock

        return Lock()

    def RLock(self):
        from .synchronize import RLock

        return RLock()

    def Condition(self, lock=None):
        from .synchronize import Condition

        return Condition(lock)

    def Semaphore(self, value=1):
        from .synchronize import Semaphore

        return Semaphore(value)

    def BoundedSemaphore(self, value=1):
        from .synchronize import BoundedSemaphore

        return BoundedSemaphore(value)

    def Event(self):
        from .synchronize import Event

        return Event()

    def Barrier(self, parties, action=None, timeout=None):
        from .synchronize import Barrier

        return Barrier(parties, action, timeout)

    def Queue(self, maxsize=0):
        from .queues import Queue

        return Queue(maxsize)

    def JoinableQueue(self, maxsize=0):
        from .queues import JoinableQueue

        return JoinableQueue(maxsize)

    def SimpleQueue(self):
        from .queues import SimpleQueue

        return SimpleQueue()

    def Pool(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None):
        from .pool import Pool

        return Pool(processes, initializer, initargs, maxtasksperchild)

    def RawValue(self, typecode_or_type, *args):
        from .sharedctypes import RawValue

        return RawValue(typecode_or_type, *args)

    def RawArray(self, typecode_or_type, size_or_initializer):
        from .sharedctypes import RawArray

        return RawArray(typecode_or_type, size_or_initializer)

    def Value(self, typecode_or_type, *args, lock=True):
        from .sharedctypes import Value

        return Value(typecode_or_type, *args, lock=lock)

    def Array(self, typecode_or_type, size_or_initializer, *, lock=True):
        from .sharedctypes import Array

        return Array(typecode_or_type, size_or_initializer, lock=lock)

    def freeze_support(self):
        pass

    def get_logger(self):
        """CPython's `multiprocessing.util.get_logger`."""
        from .util import get_logger

        return get_logger()

    def log_to_stderr(self, level=None):
        """CPython's `multiprocessing.util.log_to_stderr`."""
        from .util import log_to_stderr

        return log_to_stderr(level)

    def allow_connection_pickling(self):
        pass

    def set_executable(self, executable):
        pass

    def set_forkserver_preload(self, module_names):
        if not all(type(mod) is str for mod in module_names):
            raise TypeError("module_names must be a list of strings")

    @property
    def reducer(self):
        """CPython's `multiprocessing.reduction` (ForkingPickler, register,
        DupFd): how objects are pickled for other processes."""
        return globals().get("reduction") or __getattr__("reduction")

    @reducer.setter
    def reducer(self, reduction):
        globals()["reduction"] = reduction

    def _check_available(self):
        pass


class Process(process.BaseProcess):
    """A process of the module's own start method (fork unless set)."""

    _start_method = None

    @staticmethod
    def _Popen(process_obj):
        return _default_context.get_context().Process._Popen(process_obj)


class ForkProcess(process.BaseProcess):
    _start_method = "fork"

    @staticmethod
    def _Popen(process_obj):
        from .popen_fork import Popen

        return Popen(process_obj)


class SpawnProcess(process.BaseProcess):
    _start_method = "spawn"

    @staticmethod
    def _Popen(process_obj):
        from .popen_spawn_posix import Popen

        return Popen(process_obj, _default_context.get_start_method())


class ForkServerProcess(process.BaseProcess):
    """forkscope starts it as it starts a spawned one: a new interpreter."""

    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj):
        from .popen_spawn_posix import Popen

        popen = Popen(process_obj, _default_context.get_start_method())
        popen.method = "forkserver"
        return popen


class ForkContext(BaseContext):
    _name = "fork"
    Process = ForkProcess


class SpawnContext(BaseContext):
    _name = "spawn"
    Process = SpawnProcess


class ForkServerContext(BaseContext):
    _name = "forkserver"
    Process = ForkServerProcess


_concrete = {"fork": ForkContext(), "spawn": SpawnContext(), "forkserver": ForkServerContext()}


class DefaultContext(BaseContext):
    """The module's own context: the start method is chosen once (by
    set_start_method, or on first use), as in CPython."""

    Process = Process

    def __init__(self, default):
        self._default_context = default
        self._actual_context = None

    def _inherit(self):
        # A child made by a context's Process keeps its start method.
        if _common.forced_start_method is not None:
            self._actual_context = _concrete[_common.forced_start_method]
            _common.forced_start_method = None

    def get_context(self, method=None):
        self._inherit()
        if method is None:
            if self._actual_context is None:
                self._actual_context = self._default_context
            return self._actual_context
        if method not in _concrete:
            raise ValueError("cannot find context for %r" % method)
        return _concrete[method]

    def set_start_method(self, method, force=False):
        self._inherit()
        if self._actual_context is not None and not force:
            raise RuntimeError("context has already been set")
        if method is None and force:
            self._actual_context = None
            return
        self._actual_context = self.get_context(method)

    def get_start_method(self, allow_none=False):
        self._inherit()
        if self._actual_context is None:
            if allow_none:
                return None
            self._actual_context = self._default_context
        return self._actual_context._name

    def get_all_start_methods(self):
        return ["fork", "spawn", "forkserver"]


for _c in _concrete.values():
    _c.get_context = lambda method=None, _c=_c: _c if method is None else _default_context.get_context(method)
    _c.get_start_method = lambda allow_none=False, _c=_c: _c._name
    _c.set_start_method = lambda method, force=False: (_ for _ in ()).throw(ValueError("cannot set start method of concrete context"))

# Linux's default before Python 3.14 (forkscope runs 3.9-3.13).
_default_context = DefaultContext(_concrete["fork"])
_common.default_context = _default_context


def get_context(method=None):
    return _default_context.get_context(method)


def set_start_method(method, force=False):
    return _default_context.set_start_method(method, force)


def get_start_method(allow_none=False):
    return _default_context.get_start_method(allow_none)


def get_all_start_methods():
    return _default_context.get_all_start_methods()


def __getattr__(name):
    # CPython's own `reduction` module, on first use (most programs never
    # need it, and it imports `socket`).
    if name == "reduction":
        import importlib

        value = importlib.import_module(__name__.rpartition(".")[0] + ".reduction")
        globals()[name] = value
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
