# Two threads of one process add to a shared Value without its lock: some
# interleavings of their reads and writes lose an update.
import threading
from multiprocessing import Value

counter = Value("i", 0)


def add():
    x = counter.value
    counter.value = x + 1


threads = [threading.Thread(target=add) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter", counter.value)
assert counter.value == 2, "lost an update"
