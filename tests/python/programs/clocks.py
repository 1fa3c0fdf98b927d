# Time and chance: while the run is stepped, sleep takes no wall time and the
# clocks a program reads move by what it slept; random is seeded by the run.
import random
import time

t0, m0, p0 = time.time(), time.monotonic(), time.perf_counter()
time.sleep(1.5)
print("slept %.3f %.3f %.3f" % (time.time() - t0, time.monotonic() - m0, time.perf_counter() - p0))
print("random", random.random(), random.randint(1, 100))
