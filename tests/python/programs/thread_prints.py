# Two threads print three lines each: stepped, each line is an op on its
# thread's lane, and one thread waiting at the gate in a print never
# holds back the other's print.
import threading
def w(i):
    for k in range(3):
        print("thread", i, "line", k)
ts = [threading.Thread(target=w, args=(i,)) for i in range(2)]
for t in ts: t.start()
for t in ts: t.join()
print("done")
