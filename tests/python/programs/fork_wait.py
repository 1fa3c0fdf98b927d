# Bare os.fork(): each child prints and ends its own way; the parent reaps
# it with os.waitpid / os.wait (also WNOHANG) and prints the exit status.
import os
import signal
import sys

print("parent starts")
for how in ["os._exit(3)", "raise", "sys.exit(5)", "SIGKILL", "falls off the end"]:
    pid = os.fork()
    if pid == 0:
        print("child runs:", how)
        if how == "os._exit(3)":
            os._exit(3)
        if how == "raise":
            raise ValueError("boom")
        if how == "sys.exit(5)":
            sys.exit(5)
        if how == "SIGKILL":
            os.kill(os.getpid(), signal.SIGKILL)
        break
    wpid, status = os.waitpid(pid, 0)
    print(how, "-> reaped its child:", wpid == pid, "status", status, "exit code", os.waitstatus_to_exitcode(status))
else:
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    while True:
        got = os.waitpid(pid, os.WNOHANG)
        if got != (0, 0):
            break
    print("WNOHANG -> reaped its child:", got[0] == pid, "exit code", os.waitstatus_to_exitcode(got[1]))
    pid = os.fork()
    if pid == 0:
        print("last child runs")
        sys.exit(9)
    wpid, status = os.wait()
    print("os.wait -> reaped its child:", wpid == pid, "exit code", os.waitstatus_to_exitcode(status))
    try:
        os.waitpid(pid, 0)
    except ChildProcessError as e:
        print("waitpid again:", e)
    print("parent ends")
