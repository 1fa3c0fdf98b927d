# Two children run the same code and each puts its own name into one Queue;
# main joins both, then gets the two names in the order they were put. One
# order of the puts, a then b, fails main's assert. The names are data here
# (put into a queue), not labels: the children are not interchangeable for
# explore's symmetry, and a queue's items are keyed in their order.
from multiprocessing import Process, Queue


def put(q, name):
    q.put(name)


if __name__ == '__main__':
    q = Queue()
    ps = [Process(target=put, args=(q, n)) for n in ("a", "b")]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    got = [q.get() for _ in ps]
    print("got", got)
    assert got != ["a", "b"], "got them in order: %s" % got
