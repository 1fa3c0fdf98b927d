"""`os.fork()` and the waits for its children, under forkscope.

A child made by a bare `os.fork()` is a process of the run like a
`Process`: its own lane (reserved by the parent before the fork, attached to
by the child before `fork()` returns 0 in it), so its prints, ops, state and
end are its own and the gate steps it. Its lane is named after its parent's
and the number of the fork: `MainProcess/fork-1`, `MainProcess/fork-2`, a
fork of that one `MainProcess/fork-1/fork-1` (`multiprocessing.current_process()`
in it is still its parent's Process object, as in CPython).

`os.wait()` and `os.waitpid()` (also `WNOHANG`, and pid -1 or 0: any child)
on such children are ops (a `join` of the child): they wait at the gate and
return CPython's `(pid, status)` — `status` the wait status of the child's
exit code (`os.waitstatus_to_exitcode` gives it back; a core dump's flag is not
kept). Other pids go to the real call. A process's exit does not wait for its
forked children, as CPython's does not (an orphan is the run's until it ends).

What a forked child runs after it calls `os.exec*()` is not a Python process
of forkscope: before the exec its descriptors 1 and 2 go back to its parent's
capture, so the program's output shows as the parent's (as a `subprocess`'s
does), and the child's lane ends when that program does, with its exit code.
`os.forkpty()` and `subprocess` (their children exec at once) are left as
they are. A child forked by a thread other than main ends when that thread
does, as in CPython (its only thread).
"""
import os
import sys

import forkscope_rt as rt
from forkscope_rt import hooks, ok

_real = {}
# pid -> lane of this process's forked children not yet waited for.
_children = {}
# Bare forks this process made (its children's names count them).
_forks = 0
# In a forked child: fd 1 and 2 as they were at the fork (its parent's
# capture), restored for a program it execs.
_inherited = None


def real_fork():
    """The real `os.fork()`, made while the capture's reader thread is not
    inside the library (a child must not inherit it mid-call)."""
    cap = hooks._capture
    if cap is not None:
        cap.lock.acquire()
    try:
        return _real["fork"]()
    finally:
        if cap is not None:
            cap.lock.release()


def fork():
    """`os.fork()`: a child with a lane of its own (see the module's doc)."""
    global _forks, _children, _inherited
    line = rt.line()
    _forks += 1
    name, nn = rt.text("%s/fork-%d" % (rt.info(rt._abi.INFO_NAME), _forks))
    lane = ok(rt.lib.fs_fork_prepare(name, nn, line))
    threading = sys.modules.get("threading")
    thread = None
    if threading is not None and threading.current_thread() is not threading.main_thread():
        thread = threading.current_thread()
    try:
        pid = real_fork()
    except OSError as e:
        ok(rt.lib.fs_start_failed(lane, 0, e.errno or 0))
        raise
    if pid == 0:
        if rt.lib.fs_start_child(lane) == rt.ERR:
            os._exit(255)
        _forks = 0
        _children = {}
        # Its own capture of fd 1 and 2 (what it writes with os.write, its
        # subprocesses); its parent's, kept for a program it execs.
        _inherited = (os.dup(1), os.dup(2))
        hooks.capture_descriptors()
        hooks.seed_random(lane)
        if thread is not None and not isinstance(thread, threading._DummyThread):
            _end_with(thread)
        return 0
    ok(rt.lib.fs_fork_commit(lane, pid))
    _children[pid] = lane
    return pid


def _end_with(thread):
    """In a child forked by a thread other than main: that thread is its only
    one, and the child ends with it (exit status 0, as in CPython, even after
    an exception in the thread)."""
    # Python 3.9 and 3.10 call no `_delete` at a thread's end: a thread
    # with a lane ends the child at its end instead (`threads._end`).
    thread._fs_end_process = True
    delete = thread._delete

    def _delete():
        delete()
        hooks.flush_streams()
        rt.lib.fs_finish(0)

    thread._delete = _delete


def _status(code):
    """The wait status of a child that ended with exitcode `code` (negative:
    killed by that signal)."""
    return -code if code < 0 else (code & 0xFF) << 8


def _wait(pids, block):
    """Waits for the first of `pids` (forked children) to end: (pid, status),
    or (0, 0) if none has and not `block`."""
    import ctypes

    lanes = [_children[p] for p in pids]
    arr = (ctypes.c_uint32 * len(lanes))(*lanes)
    got = ok(rt.lib.fs_wait_any(arr, len(lanes), 1 if block else 0, rt.line()))
    if got == rt.NOTHING:
        return 0, 0
    pid = pids[lanes.index(got)]
    del _children[pid]
    return pid, _status(ok(rt.lib.fs_exitcode(got)))


def waitpid(pid, options):
    """`os.waitpid()`: an op for a forked child (pid, or -1 / 0 for any
    while this process has forked children), else the real call."""
    if not isinstance(pid, int) or not isinstance(options, int):
        return _real["waitpid"](pid, options)
    if pid in _children:
        pids = [pid]
    elif pid in (-1, 0) and _children:
        pids = list(_children)
    else:
        return _real["waitpid"](pid, options)
    return _wait(pids, not options & os.WNOHANG)


def wait():
    """`os.wait()`: an op while this process has forked children."""
    if _children:
        return _wait(list(_children), True)
    return _real["wait"]()


def _exec(name):
    real = _real[name]

    def exec_(*args, **kwargs):
        if _inherited is None:
            return real(*args, **kwargs)
        hooks.flush_streams()
        mine = (os.dup(1), os.dup(2))
        os.dup2(_inherited[0], 1)
        os.dup2(_inherited[1], 2)
        try:
            return real(*args, **kwargs)
        except BaseException:
            os.dup2(mine[0], 1)
            os.dup2(mine[1], 2)
            raise
        finally:
            os.close(mine[0])
            os.close(mine[1])

    exec_.__name__ = exec_.__qualname__ = name
    return exec_


def install():
    for name in ("fork", "waitpid", "wait", "execv", "execve"):
        _real[name] = getattr(os, name)
    os.fork = fork
    os.waitpid = waitpid
    os.wait = wait
    # The other exec functions of `os` call these two.
    os.execv = _exec("execv")
    os.execve = _exec("execve")


def forget():
    """In a `Process` child: no forked children, no forks made yet."""
    global _forks, _children, _inherited
    _forks = 0
    _children = {}
    _inherited = None


def become_child(lane):
    """In a child just forked by a start method's Popen: become `lane` (or
    end at once if the run refuses), with the parent's partial lines and its
    pipes for fd 1 and 2 left to the parent (the program's own replacements
    of sys.stdout and sys.stderr stay, as a fork leaves them), no forked
    children, no input, and its own random numbers."""
    if rt.lib.fs_start_child(lane) == rt.ERR:
        os._exit(255)
    for s in hooks._streams:
        s.discard()
    hooks.capture_descriptors()
    forget()
    hooks.stdin_closed = True
    hooks.seed_random(lane)
