# A fork bomb of depth 3: every process forks at every level left, so 8
# processes; each reaps its own children and exits with their number.
import os
import sys

children = []
for level in range(3):
    pid = os.fork()
    if pid == 0:
        children = []
    else:
        children.append(pid)
codes = []
for pid in children:
    _, status = os.waitpid(pid, 0)
    codes.append(os.waitstatus_to_exitcode(status))
# One write per line: the eight processes print at once.
sys.stdout.write("a process with %d children, their exit codes %s\n" % (len(children), codes))
sys.exit(len(children))
