"""Contexts and start methods. forkscope runs the fork start method (the
default on Linux before Python 3.14); `spawn` and `forkserver` are not there
yet and say so. `get_context()` returns an object with the same API as the
module."""
import os

from . import process

__all__ = ["BaseContext", "get_context", "set_start_method", "get_start_method", "get_all_start_methods"]

_NOT_YET = "forkscope does not run the %r start method yet (only 'fork'; spawn and forkserver come with Manager)"


class ProcessError(Exception):
    pass


class BufferTooShort(ProcessError):
    pass


class TimeoutError(ProcessError):
    pass


class AuthenticationError(ProcessError):
    pass


def _not_yet(what):
    raise NotImplementedError("forkscope does not run %s yet (it comes next, with Manager, sockets, input() and the spawn start method); this version runs Process, the locks, Event, Condition, Barrier, Value, Array, the queues, Pipe and Pool" % what)


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
        _not_yet("multiprocessing.Manager")

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
        import logging

        return logging.getLogger("multiprocessing")

    def log_to_stderr(self, level=None):
        import logging
        import sys

        logger = self.get_logger()
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(levelname)s/%(processName)s] %(message)s"))
        logger.addHandler(handler)
        if level:
            logger.setLevel(level)
        return logger

    def allow_connection_pickling(self):
        pass

    def set_executable(self, executable):
        pass

    def set_forkserver_preload(self, module_names):
        pass

    def get_context(self, method=None):
        if method is None or method == "fork":
            return _fork_context
        if method in ("spawn", "forkserver"):
            raise NotImplementedError(_NOT_YET % method)
        raise ValueError("cannot find context for %r" % method)

    def get_start_method(self, allow_none=False):
        return "fork"

    def set_start_method(self, method, force=False):
        if method in (None, "fork"):
            return
        if method in ("spawn", "forkserver"):
            raise NotImplementedError(_NOT_YET % method)
        raise ValueError("cannot find context for %r" % method)

    def get_all_start_methods(self):
        return ["fork", "spawn", "forkserver"]

    @property
    def reducer(self):
        import pickle

        return pickle


class ForkProcess(process.BaseProcess):
    _start_method = "fork"


class ForkContext(BaseContext):
    _name = "fork"
    Process = process.Process


_fork_context = ForkContext()
_default_context = _fork_context


def get_context(method=None):
    return _default_context.get_context(method)


def set_start_method(method, force=False):
    return _default_context.set_start_method(method, force)


def get_start_method(allow_none=False):
    return "fork"


def get_all_start_methods():
    return _default_context.get_all_start_methods()


def assert_spawning(obj):
    raise RuntimeError("%s objects should only be shared between processes through inheritance" % type(obj).__name__)
