# Never calls input(): forkscope must not read its stdin.
import time

time.sleep(0.5)
print("done without input")
