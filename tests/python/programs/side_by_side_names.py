# Objects made side by side on one line, each into its own variable.
from multiprocessing import Lock, Pipe, Queue

tasks, results = Queue(), Queue()
lock, jobs = Lock(), Queue(2)
left, right = Pipe()
print("made")
