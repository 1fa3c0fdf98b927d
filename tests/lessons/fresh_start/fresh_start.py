# What a run's main process finds when it starts, written beside this file
# (facts-PID.json) for a test to compare: a process forked from explore's
# ready interpreter must find what a fresh start of the interpreter finds.
import json
import os
import sys

MODULES_AT_START = sorted(sys.modules)
HELPER_BEFORE = "fresh_helper" in sys.modules

import fresh_helper
from multiprocessing import Lock, Process


def fds():
    """Each open descriptor's kind (not its inode or name)."""
    kinds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        kinds[int(fd)] = "facts" if "facts-" in target else target.split(":")[0].split("/forkscope-")[0]
    return sorted(kinds.items())


def facts(role):
    seg = os.environ.get("FORKSCOPE_RUN", "")
    with open("/proc/self/environ", "rb") as f:
        environ = f.read().split(b"\0")
    with open("/proc/self/cmdline", "rb") as f:
        cmdline = f.read().split(b"\0")
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
        parent = f.read().split(b"\0")
    return {
        "role": role,
        "argv": sys.argv == [__file__],
        "orig_argv": getattr(sys, "orig_argv", ["", seg, "1"])[-2:] == [seg, "1"],
        "path0": sys.path[0] == os.path.dirname(__file__),
        "cwd_is_scratch": os.path.basename(os.getcwd()).startswith("forkscope-run-"),
        "mark_in_environ": ("FORKSCOPE_RUN=" + seg).encode() in environ,
        "mark_in_cmdline": seg.encode() in cmdline,
        "parent": os.path.basename(parent[0].decode()) + " " + parent[1].decode(),
        "own_group": os.getpgrp() == (os.getpid() if role == "main" else os.getppid()),
        "hashseed": os.environ.get("PYTHONHASHSEED"),
        "hash": hash("forkscope"),
        "fds": fds(),
        "helper_before": HELPER_BEFORE,
        "helper_runs": fresh_helper.RUNS,
        "modules_at_start": MODULES_AT_START,
        # After Lock() and a start (what forkscope's multiprocessing
        # imported for them, served ready from the zygote or imported).
        "modules_now": sorted(sys.modules),
        # Forked from explore's ready interpreter (its arguments were the
        # zygote's, the run's name written over a placeholder).
        "from_zygote": b"--zygote" in cmdline,
        "zygote_env": [k for k in os.environ if k.startswith("FORKSCOPE_") and k != "FORKSCOPE_RUN"],
    }


def write(role, lock):
    with lock:
        with open(os.path.join(os.path.dirname(__file__), "facts-%d.json" % os.getpid()), "w") as f:
            json.dump(facts(role), f)


if __name__ == "__main__":
    lock = Lock()
    child = Process(target=write, args=("child", lock))
    child.start()
    write("main", lock)
    child.join()
