"""What the package's modules share, below all of them (CPython keeps these
in `context`, which re-exports them from here): the errors, the spawning
state (while a spawned child's Process is pickled, the run's primitives may
be pickled too), the start method a child was made with, the bootstrapping
error, and CPython's own modules loaded beside forkscope's."""
import os

__all__ = ["ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError"]


class ProcessError(Exception):
    pass


class BufferTooShort(ProcessError):
    pass


class TimeoutError(ProcessError):
    pass


class AuthenticationError(ProcessError):
    pass


def not_yet(what):
    raise NotImplementedError("forkscope does not run %s yet; this version runs Process, the locks, Event, Condition, Barrier, Value, Array, the queues, Pipe, Pool, Manager and sockets" % what)


# Set (to a list) while a process object is pickled for a spawned child: the
# run's primitives may be pickled then (they name shared resources), as
# CPython's may be while spawning, and the descriptors of the connections
# among them are collected here; at any other time they refuse, as CPython's do.
spawning = None


def assert_spawning(obj):
    if spawning is None:
        raise RuntimeError("%s objects should only be shared between processes through inheritance" % type(obj).__name__)


def get_spawning_popen():
    """What CPython's reduction asks while a spawned child's Process is
    pickled; forkscope's spawn pickles before its Popen exists, so: None."""
    return None


def set_spawning_popen(popen):
    pass


# The module's own context (context.py sets it): for what is made without
# one (a SyncManager made directly).
default_context = None


# A child of a context's Process (fork, spawn, forkserver) uses that start
# method from then on, as CPython's `_bootstrap` forces it: set by the
# child's bootstrap, taken by the default context on its next use.
forced_start_method = None


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
