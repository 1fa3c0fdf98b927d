# Two buyers of one ticket, started with their numbers: the number decides
# (buyer 1 must not be the one left without), so the buyers are not
# interchangeable for explore's symmetry, though they run the same code.
import json
from multiprocessing import Process, Lock


def buy(n, lock):
    with lock:
        with open("ticket") as f:
            left = json.load(f)["count"]
        if left > 0:
            with open("ticket", "w") as f:
                json.dump({"count": left - 1}, f)
            print("buyer", n, "bought")
        else:
            print("buyer", n, "found none")
            assert n != 1, "buyer 1 found none"


if __name__ == '__main__':
    with open("ticket", "w") as f:
        json.dump({"count": 1}, f)
    lock = Lock()
    ps = [Process(target=buy, args=(i, lock)) for i in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
