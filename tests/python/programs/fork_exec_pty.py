# What forks without a lane of forkscope keeps working beside bare forks:
# fork then exec by hand, subprocess, os.forkpty, os.write in a forked child,
# and a bare fork inside a multiprocessing Process.
import os
import subprocess
from multiprocessing import Process

# fork + exec by hand
pid = os.fork()
if pid == 0:
    os.execvp("echo", ["echo", "from the exec'd echo"])
_, st = os.waitpid(pid, 0)
print("exec'd child exit code", os.waitstatus_to_exitcode(st))

# subprocess
print(subprocess.run(["echo", "sub"], capture_output=True, text=True).stdout.strip())

print("subprocess rc", subprocess.run(["sh", "-c", "exit 4"]).returncode)

# forkpty
pid, fd = os.forkpty()
if pid == 0:
    os.execvp("echo", ["echo", "in a pty"])
out = b""
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
_, st = os.waitpid(pid, 0)
print("forkpty:", out.decode().strip(), os.waitstatus_to_exitcode(st))

# os.write in a fork child
pid = os.fork()
if pid == 0:
    os.write(1, b"child os.write\n")
    os._exit(0)
os.waitpid(pid, 0)

def work():
    pid = os.fork()
    if pid == 0:
        print("grandchild of a Process")
        os._exit(6)
    _, st = os.waitpid(pid, 0)
    print("Process reaped its fork:", os.waitstatus_to_exitcode(st))

p = Process(target=work)
p.start()
p.join()
print("Process exitcode", p.exitcode)
