"""forkscope's `multiprocessing`: the standard API, backed by forkscope's
runtime. Every process is a real CPython process; every lock, semaphore,
event, queue and pipe a real primitive in the run's shared memory, shown
live by forkscope's dashboard. Installed in place of the standard library's
package for the programs forkscope runs (see forkscope_boot.py)."""
import sys as _sys

from . import context as _context
from .context import AuthenticationError, BufferTooShort, ProcessError, TimeoutError, get_all_start_methods, get_context, get_start_method, set_start_method
from .process import Process, active_children, current_process, parent_process
from .connection import Pipe
from .queues import JoinableQueue, Queue, SimpleQueue
from .sharedctypes import Array, RawArray, RawValue, Value
from .synchronize import Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore

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
reducer = _ctx.reducer


def Manager():
    """Not yet: forkscope runs Manager in its next version."""
    _context._not_yet("multiprocessing.Manager")


def Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None):
    """A pool of worker processes (see multiprocessing.pool)."""
    from .pool import Pool

    return Pool(processes, initializer, initargs, maxtasksperchild)
