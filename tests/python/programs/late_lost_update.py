# Two children run the same code: first steps of their own (a sleep, a
# print of their number: a label), then an unlocked read-modify-write of a
# shared file. Two that read before either writes lose an update, and main's
# assert fails. The steps before the read touch nothing shared: explore's
# reductions may leave some of their orders untried, never the lost update.
import json
import time
from multiprocessing import Process


def add(i):
    time.sleep(0.1)
    print("child", i, "starts")
    with open("count") as f:
        n = json.load(f)["n"]
    with open("count", "w") as f:
        json.dump({"n": n + 1}, f)


if __name__ == '__main__':
    with open("count", "w") as f:
        json.dump({"n": 0}, f)
    ps = [Process(target=add, args=(i,)) for i in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    with open("count") as f:
        n = json.load(f)["n"]
    print("count", n)
    assert n == 2, "lost an update: %s" % n
