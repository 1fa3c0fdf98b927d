"""The spawn start method's `Popen` (forkserver's too: forkscope starts its
children the same way), as CPython's: the child is a new interpreter that
imports the main module again as `__mp_main__`, then runs this Process,
pickled by its parent."""
import os
import pickle
import sys

import forkscope_rt as rt
from forkscope_rt import ok

from . import _common, popen_fork

__all__ = ["Popen"]


class Popen(popen_fork.Popen):
    method = "spawn"

    def __init__(self, process_obj, start_method="fork"):
        self._start_method = start_method
        super().__init__(process_obj)

    def _launch(self, process_obj):
        from . import process

        if getattr(process.current_process(), "_inheriting", False):
            raise RuntimeError(_common.BOOTSTRAP_ERROR)
        _common.spawning = []
        try:
            state = dict(process_obj.__dict__)
            pickled = pickle.dumps({"cls": type(process_obj), "state": state})
        finally:
            ends, _common.spawning = _common.spawning, None
        try:
            cwd = os.getcwd()
        except OSError:
            cwd = None
        # As CPython's preparation data: the child starts in this process's
        # folder, with its start method.
        data = pickle.dumps({"main": rt.USER_FILE, "sys_path": list(sys.path), "process": pickled, "cwd": cwd, "start_method": self._start_method})
        self._prepare(process_obj, 0, data)
        # The connections among its arguments: their descriptors are
        # inherited (under the same numbers) by this child only.
        fds = sorted(set(ends))
        for fd in fds:
            os.set_inheritable(fd, True)
        py, pn = rt.text(sys.executable)
        lib, ln = rt.text(rt.lib._name)
        try:
            self.pid = ok(rt.lib.fs_start_spawn(self.lane, self._daemon, py, pn, lib, ln))
        finally:
            for fd in fds:
                try:
                    os.set_inheritable(fd, False)
                except OSError:
                    pass
