# A program that makes processes outside multiprocessing (a subprocess, and
# one of a child made by os.fork that ends without waiting for it): they must
# end with the run all the same.
import subprocess, os
p = subprocess.Popen(["sleep", "37"])
if os.fork() == 0:
    q = subprocess.Popen(["sleep", "38"])
    print("child started", q.pid)
    os._exit(0)
print("started", p.pid)
