# Two threads change one global, each holding a lock: one doubles n, the
# other adds one. Which takes the lock first decides n (1 -> 3, or 1 -> 4);
# main's assert fails on 3. Each thread's history (acquire, release, exit)
# is the same in both orders: only the globals tell the two ends apart, so
# explore keys a threaded process's memory (its module's globals, each
# thread's variables) by a digest of their reprs. A third thread takes the
# lock too: after the first two, in either order, the state would be one
# state were n not in it, and the second order's end never reached.
import threading

n = 1
lock = threading.Lock()


def double():
    global n
    with lock:
        n = n * 2


def add_one():
    global n
    with lock:
        n = n + 1


def look():
    with lock:
        pass


def main():
    # In a function: main's own variables do not show n either.
    ts = [threading.Thread(target=f) for f in (double, add_one, look)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("n =", n)
    assert n != 3, "double went first: n = %s" % n


if __name__ == '__main__':
    main()
