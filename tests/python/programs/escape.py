# A program that makes processes outside multiprocessing (subprocess, os.fork):
# they must end with the run all the same.
import subprocess, os, time
p = subprocess.Popen(["sleep", "37"])
if os.fork() == 0:
    time.sleep(38)
    os._exit(0)
print("started", p.pid)
