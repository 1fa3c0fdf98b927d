"""Contexts and start methods, as CPython has them: fork (the default on
Linux before Python 3.14), spawn and forkserver, chosen by
`set_start_method` or `get_context(method)`. With spawn (and forkserver,
which forkscope runs the same way) a child is a new interpreter that imports
the main module again as `__mp_main__` and runs the Process pickled by its
parent (see process.py). `get_context()` returns an object with the same API
as the module."""
import os

from . import process

__all__ = ["BaseContext", "get_context", "set_start_method", "get_start_method", "get_all_start_methods"]



class ProcessError(Exception):
    pass


class BufferTooShort(ProcessError):
    pass


class TimeoutError(ProcessError):
    pass


class AuthenticationError(ProcessError):
    pass


def _not_yet(what):
    raise NotImplementedError("forkscope does not run %s yet; this version runs Process, the locks, Event, Condition, Barrier, Value, Array, the queues, Pipe, Pool, Manager and sockets" % what)


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


class ForkProcess(process.BaseProcess):
    _start_method = "fork"


class SpawnProcess(process.BaseProcess):
    _start_method = "spawn"


class ForkServerProcess(process.BaseProcess):
    _start_method = "forkserver"


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

    Process = process.Process

    def __init__(self, default):
        self._default_context = default
        self._actual_context = None

    def get_context(self, method=None):
        if method is None:
            if self._actual_context is None:
                self._actual_context = self._default_context
            return self._actual_context
        if method not in _concrete:
            raise ValueError("cannot find context for %r" % method)
        return _concrete[method]

    def set_start_method(self, method, force=False):
        if self._actual_context is not None and not force:
            raise RuntimeError("context has already been set")
        if method is None and force:
            self._actual_context = None
            return
        self._actual_context = self.get_context(method)

    def get_start_method(self, allow_none=False):
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


def get_context(method=None):
    return _default_context.get_context(method)


def set_start_method(method, force=False):
    return _default_context.set_start_method(method, force)


def get_start_method(allow_none=False):
    return _default_context.get_start_method(allow_none)


def get_all_start_methods():
    return _default_context.get_all_start_methods()


# Set while a process object is pickled for a spawned child: the run's
# primitives may be pickled then (they name shared resources), as CPython's
# may be while spawning; at any other time they refuse, as CPython's do.
_spawning = None


_CPYTHON_OWN = "_forkscope_cpython_multiprocessing"


def cpython_own(submodule):
    """A module of CPython's own `multiprocessing` package, loaded beside
    forkscope's under a private name: its primitives are CPython's (real
    semaphores and pipes), which work within one process (a ThreadPool's
    queues) but are not the run's resources."""
    import importlib
    import importlib.util
    import sys

    if _CPYTHON_OWN not in sys.modules:
        where = os.path.join(os.path.dirname(os.__file__), "multiprocessing")
        spec = importlib.util.spec_from_file_location(_CPYTHON_OWN, os.path.join(where, "__init__.py"), submodule_search_locations=[where])
        module = importlib.util.module_from_spec(spec)
        sys.modules[_CPYTHON_OWN] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_CPYTHON_OWN]
            raise
        # Its errors are this package's (`except multiprocessing.TimeoutError`).
        for name in ("ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError"):
            setattr(module, name, globals()[name])
            setattr(module.context, name, globals()[name])
    return importlib.import_module(_CPYTHON_OWN + "." + submodule)


def get_spawning_popen():
    """What CPython's reduction asks while a spawned child's Process is
    pickled; forkscope's spawn has no Popen object, so: None."""
    return None


def set_spawning_popen(popen):
    pass


def __getattr__(name):
    # CPython's own `reduction` module, on first use (most programs never
    # need it, and it imports `socket`).
    if name == "reduction":
        import importlib

        value = importlib.import_module(__name__.rpartition(".")[0] + ".reduction")
        globals()[name] = value
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def assert_spawning(obj):
    if _spawning is None:
        raise RuntimeError("%s objects should only be shared between processes through inheritance" % type(obj).__name__)


BOOTSTRAP_ERROR = """
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        This probably means that you are not using fork to start your
        child processes and you have forgotten to use the proper idiom
        in the main module:

            if __name__ == '__main__':
                freeze_support()
                ...

        The "freeze_support()" line can be omitted if the program
        is not going to be frozen to produce an executable.

        To fix this issue, refer to the "Safe importing of main module"
        section in https://docs.python.org/3/library/multiprocessing.html
        """
