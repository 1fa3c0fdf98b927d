"""The fork start method's `Popen`, as CPython's: a started child, made by
`os.fork()`, on its own lane of the run.

Starting passes the gate and reserves the child's lane in the runtime, then
forks; the child becomes its lane before it runs any of the user's code and
runs `process._bootstrap()`; the parent writes the start record and releases
it. wait, poll, terminate and kill are the runtime's ops on the child's lane.
"""
import os
import signal

import forkscope_rt as rt
from forkscope_rt import forks, hooks, ok

__all__ = ["Popen"]


def _target_name(process_obj):
    t = process_obj._target
    if t is None:
        return type(process_obj).__name__ + ".run"
    return getattr(t, "__qualname__", None) or getattr(t, "__name__", None) or repr(t)


# Between a target's name and its arguments' key (the conductor takes it off).
ARGS_KEY = "\x1f"


def _arg_key(a):
    if isinstance(a, str):
        return "s"  # a name (person0, person1): see _args_key
    if a is None or type(a) in (bool, int, float, bytes):
        return repr(a)
    return "%s@%x" % (type(a).__name__, id(a))


def _args_key(process_obj):
    """What makes two children interchangeable for explore's symmetry
    (docs/commands.md): the same target function with the same arguments,
    their strings aside (names); an object argument by its identity (the
    same Lock, the same list). Empty — interchangeable with none — for a
    Process subclass (its own attributes are not seen here)."""
    t = process_obj._target
    if t is None:
        return ""
    parts = [getattr(t, "__module__", "") or "", str(id(t))]
    parts += [_arg_key(a) for a in process_obj._args]
    parts += ["%s=%s" % (k, _arg_key(v)) for k, v in sorted(process_obj._kwargs.items())]
    return "%x" % (hash("\x1e".join(parts)) & 0xFFFFFFFFFFFF)


class Popen:
    method = "fork"

    def __init__(self, process_obj):
        self.returncode = None
        self.finalizer = None
        self.pid = None
        self.lane = None
        self._launch(process_obj)

    def _prepare(self, process_obj, inherit, data=None):
        """Passes the gate and reserves the child's lane: 1 for a fork (the
        child inherits this interpreter, and its target carries the key of
        its arguments), 0 and `data` for a new one."""
        name, nn = rt.text(process_obj._name)
        key = _args_key(process_obj) if inherit else ""
        target, tn = rt.text(_target_name(process_obj)[:50] + (ARGS_KEY + key if key else ""))
        self._daemon = 1 if process_obj.daemon else 0
        n = 0 if data is None else len(data)
        self.lane = ok(rt.lib.fs_start_prepare(name, nn, target, tn, self._daemon, inherit, data, n, rt.line()))

    def _launch(self, process_obj):
        self._prepare(process_obj, 1)
        # What was printed so far must not be printed again by the child.
        hooks.flush_streams()
        try:
            pid = forks.real_fork()
        except OSError as e:
            ok(rt.lib.fs_start_failed(self.lane, self._daemon, e.errno or 0))
            raise
        if pid == 0:
            code = 1
            try:
                forks.become_child(self.lane)
                code = process_obj._bootstrap()
            finally:
                hooks.flush_streams()
                rt.lib.fs_finish(code)
        ok(rt.lib.fs_start_commit(self.lane, self._daemon, pid))
        self.pid = pid

    def poll(self, flag=os.WNOHANG):
        if self.returncode is None:
            if flag & os.WNOHANG:
                r = ok(rt.lib.fs_exitcode(self.lane))
                if r != rt.NOTHING:
                    self.returncode = r
            else:
                self.wait()
        return self.returncode

    def wait(self, timeout=None):
        """Waits (an op: the caller shows blocked on the child) until the
        child ends or `timeout` seconds pass; its exit code, or None."""
        if self.returncode is None:
            t = rt.seconds(timeout)
            r = ok(rt.lib.fs_join(self.lane, t, rt.line()))
            if r != rt.NOTHING:
                self.returncode = r
        return self.returncode

    def _send_signal(self, sig):
        if self.returncode is None:
            ok(rt.lib.fs_signal(self.lane, int(sig), rt.line()))

    def terminate(self):
        self._send_signal(signal.SIGTERM)

    def kill(self):
        self._send_signal(signal.SIGKILL)

    def close(self):
        pass
