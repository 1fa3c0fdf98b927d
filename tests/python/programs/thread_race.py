# Two threads of one process add to a global without a lock: they share it
# (threads share their process's globals), and some interleavings of their
# statements lose an update.
import threading

counter = 0


def add():
    global counter
    for _ in range(3):
        x = counter
        counter = x + 1


threads = [threading.Thread(target=add) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter", counter)
assert counter == 6, "lost an update"
