# Parent and forked child both add to a shared counter without its lock:
# some interleavings lose an update.
import os
from multiprocessing import Value

counter = Value("i", 0)
pid = os.fork()
for _ in range(2):
    counter.value += 1
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("counter", counter.value)
assert counter.value == 4, "lost an update"
