"""forkscope's `multiprocessing`: the standard API, backed by forkscope's
runtime. Every process is a real CPython process; every lock, semaphore,
event, queue and pipe a real primitive in the run's shared memory, shown
live by forkscope's dashboard. Installed in place of the standard library's
package for the programs forkscope runs (see forkscope_boot.py)."""
# What each public name comes from: loaded on first use (PEP 562), so a
# program pays for compiling only the parts it uses (forkscope's Python side
# is compiled from source at each run's start).
_WHERE = {
    "Process": "context", "current_process": "process", "active_children": "process", "parent_process": "process",
    "Pipe": "connection",
    "Queue": "queues", "JoinableQueue": "queues", "SimpleQueue": "queues",
    "Array": "sharedctypes", "RawArray": "sharedctypes", "RawValue": "sharedctypes", "Value": "sharedctypes",
    "Barrier": "synchronize", "BoundedSemaphore": "synchronize", "Condition": "synchronize", "Event": "synchronize",
    "Lock": "synchronize", "RLock": "synchronize", "Semaphore": "synchronize",
}

_SUBMODULES = ("util", "connection", "queues", "process", "synchronize", "sharedctypes", "managers", "pool")

from . import context as _context
from .context import AuthenticationError, BufferTooShort, ProcessError, TimeoutError, get_all_start_methods, get_context, get_start_method, set_start_method

__all__ = [
    "Array", "AuthenticationError", "Barrier", "BoundedSemaphore", "BufferTooShort", "Condition", "Event",
    "JoinableQueue", "Lock", "Manager", "Pipe", "Pool", "Process", "ProcessError", "Queue", "RLock", "RawArray",
    "RawValue", "Semaphore", "SimpleQueue", "TimeoutError", "Value", "active_children", "allow_connection_pickling",
    "cpu_count", "current_process", "freeze_support", "get_all_start_methods", "get_context", "get_logger",
    "get_start_method", "log_to_stderr", "parent_process", "reducer", "set_executable", "set_forkserver_preload",
    "set_start_method",
]

SUBDEBUG = 5
SUBWARNING = 25

_ctx = _context._default_context
cpu_count = _ctx.cpu_count
freeze_support = _ctx.freeze_support
get_logger = _ctx.get_logger
log_to_stderr = _ctx.log_to_stderr
allow_connection_pickling = _ctx.allow_connection_pickling
set_executable = _ctx.set_executable
set_forkserver_preload = _ctx.set_forkserver_preload


def __getattr__(name):
    if name == "reducer":
        return _ctx.reducer
    if name in _SUBMODULES:
        # As in CPython, where its own modules import them (an executor
        # reaches `multiprocessing.util` without importing it).
        import importlib

        return importlib.import_module("." + name, __name__)
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError("module 'multiprocessing' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module("." + where, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


def Manager():
    """A started SyncManager: a manager process serving shared objects (see
    multiprocessing.managers)."""
    return _ctx.Manager()


def Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None):
    """A pool of worker processes (see multiprocessing.pool)."""
    from .pool import Pool

    return Pool(processes, initializer, initargs, maxtasksperchild)
