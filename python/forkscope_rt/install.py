"""Installs forkscope's Python side into the interpreter, before the
program runs: the lane streams and hooks (`hooks`), `os.fork` (`forks`),
threads as lanes (`threads`) with threading's primitives as the run's
resources (`thread_sync`, built on multiprocessing's), and the modules
patched when (if ever) the program imports them: `socket`, `getpass`,
`concurrent.futures`.
"""
import sys

import forkscope_rt as rt
from forkscope_rt import forks, hooks, thread_sync, threads


# Whether `prepare` was done in this interpreter (by explore's ready
# interpreter before its forks, or by `install`).
_prepared = False


def install():
    """Everything, in a process attached to its lane: what `prepare` does
    (unless done before the fork that made this process), then what is
    the process's own: its capture of descriptors 1 and 2."""
    if not _prepared:
        prepare()
    hooks.capture_descriptors()


def prepare():
    """What does not depend on the run or the process: the patches of
    `print`'s streams, clocks, sleeps, files, `os.fork`, threads and
    threading's primitives, and of the modules patched when imported. A
    zygote (`forkscope_boot._ready`) does it once before its forks, so
    that a run's main does not, at each run (its work and the pages it
    writes, which a fork makes copies of). Nothing here touches the lane,
    opens a descriptor or starts a thread."""
    global _prepared
    import threading

    _prepared = True
    hooks.install()
    _chain_signals()
    forks.install()
    thread_sync.install(threading)
    threads.install()
    threads.args_key = _thread_args_key
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
        else:
            sys.meta_path.insert(0, _PatchFinder(name, patch))


def _thread_args_key(thread):
    """What a thread's lane's target carries after `threading.Thread`: the
    key of its function and arguments, as a forked child's (explore's
    symmetry, docs/commands.md)."""
    from multiprocessing import popen_fork

    return popen_fork.ARGS_KEY + popen_fork._args_key(thread)


def _chain_signals():
    """forkscope's handler goes in front of each handler the program sets
    (`signal.signal`), and of Python's own SIGINT handler: a signal then
    ends the main thread's wait whichever thread the kernel gives it to
    (see the library's `runtime::signals`). `signal.signal` stays what it
    was for the program: same name, same results."""
    import functools
    import signal

    chain = rt.fast.fs_signal_chain
    real = signal.signal

    @functools.wraps(real)
    def signal_(signalnum, handler):
        old = real(signalnum, handler)
        if callable(handler):
            chain(int(signalnum))
        return old

    signal.signal = signal_
    # (`_signal`'s own functions: the same answers as ints, without making
    # an enum member of each of the 60-odd signals at every start.)
    import _signal

    for sig in _signal.valid_signals():
        if sig < 65 and callable(_signal.getsignal(sig)):
            chain(int(sig))


def _patch_socket(socket):
    # Imported when needed: forkscope's Python side is compiled at each start.
    from forkscope_rt import sockets

    sockets.install(socket)


def _patch_getpass(module):
    module.getpass = hooks.getpass


# Modules patched when (if ever) they are imported.
def _patch_futures(module):
    from forkscope_rt import libwait

    libwait.patch(module)


_PATCHES = {"socket": _patch_socket, "getpass": _patch_getpass, "concurrent.futures._base": _patch_futures, "concurrent.futures.process": _patch_futures}


class _PatchFinder:
    """Patches a module when (if ever) it is imported: most programs never
    import `socket` or `getpass`, and importing them costs a few
    milliseconds of every start."""

    def __init__(self, name, patch):
        self._name = name
        self._patch = patch

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module
        patch = self._patch

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        class _Loader:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                exec_and_patch(module)

        spec.loader = _Loader()
        return spec
