# multiprocessing.Manager with every type it manages: a dict and a list
# shared by Processes and Pool tasks, a managed Lock held while another
# process waits for it, Namespace attributes, Value and Array, the queues,
# Event, Condition, Barrier and the semaphores, `with Manager()`, proxies in
# a spawned child, the errors CPython raises, and a manager that is shut down.
import multiprocessing as mp
import queue
import time
from multiprocessing import Manager, Pool, Process, current_process
from multiprocessing.managers import SyncManager


def count(d, l, lock, n):
    for _ in range(n):
        with lock:
            d["hits"] = d["hits"] + 1
    l.append(current_process().name)


def square_into(d, x):
    d[x] = x * x
    return current_process().name.startswith("ForkPoolWorker")


def holder(lock, held, out):
    with lock:
        held.set()
        time.sleep(0.3)
        out.append("holder releases")


def waiter(lock, out):
    with lock:
        out.append("waiter got the lock")


def consumer(q, results):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            break
        results.append(item * 10)
        q.task_done()


def at_barrier(b, c, ns):
    b.wait()
    with c:
        ns.arrived = ns.arrived + 1
        c.notify_all()


def in_spawned(d, q):
    d["spawned"] = current_process().name
    q.put("from a spawned child")


if __name__ == '__main__':
    m = Manager()
    print(mp.active_children()[0].name, mp.active_children()[0].daemon)

    # dict, list and Lock shared by processes.
    d = m.dict(hits=0)
    l = m.list()
    lock = m.Lock()
    ps = [Process(target=count, args=(d, l, lock, 5)) for _ in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("hits", d["hits"], sorted(l))

    # Pool tasks write into the same dict.
    with Pool(2) as pool:
        print(pool.starmap(square_into, [(d, x) for x in range(4)]))
    print(sorted(d.items(), key=str), len(d), 3 in d, d.get(9, "none"))
    print(sorted(d.keys(), key=str), d.pop("hits"), d.copy() == {0: 0, 1: 1, 2: 4, 3: 9})
    try:
        d["missing"]
    except KeyError as e:
        print("KeyError", repr(e))
    print("iterated", sorted(k for k in d))

    # A managed Lock held while another process waits for it.
    held = m.Event()
    out = m.list()
    h = Process(target=holder, args=(lock, held, out))
    h.start()
    held.wait()
    w = Process(target=waiter, args=(lock, out))
    w.start()
    h.join()
    w.join()
    print(list(out))
    print(lock.acquire(False), lock.acquire(False))
    lock.release()
    try:
        lock.release()
    except RuntimeError as e:
        print("RuntimeError", e)

    # list operations.
    l2 = m.list([3, 1, 2])
    l2.append(4)
    l2 += [5]
    l2.sort()
    print(l2, l2[0], l2[-1], l2[1:3], len(l2), l2.index(3), l2.count(9), 2 in l2, list(l2))
    del l2[0]
    l2[0] = 20
    print(l2.pop(), str(l2))
    try:
        l2[10]
    except IndexError as e:
        print("IndexError", e)

    # Namespace, Value, Array.
    ns = m.Namespace(a=1)
    ns.b = "two"
    print(ns, ns.a, ns.b)
    del ns.a
    try:
        ns.a
    except AttributeError as e:
        print("AttributeError", e)
    v = m.Value("i", 7)
    v.value += 1
    print(v, v.value, v.get())
    a = m.Array("i", [1, 2, 3])
    a[0] = 10
    print(a, len(a), a[0], list(a))

    # Queue and JoinableQueue across a process; queue.Empty as CPython's.
    q = m.Queue()
    try:
        q.get(timeout=0.05)
    except queue.Empty:
        print("Empty from an empty managed queue")
    jq = m.JoinableQueue()
    results = m.list()
    c = Process(target=consumer, args=(jq, results))
    c.start()
    for i in range(3):
        jq.put(i)
    jq.put(None)
    jq.join()
    c.join()
    print("consumed", list(results), jq.qsize(), jq.empty())

    # Barrier, Condition and semaphores.
    b = m.Barrier(3)
    cond = m.Condition()
    ns.arrived = 0
    ps = [Process(target=at_barrier, args=(b, cond, ns)) for _ in range(2)]
    for p in ps:
        p.start()
    print("barrier index in", b.wait() in (0, 1, 2), b.parties)
    with cond:
        print("arrived", cond.wait_for(lambda: ns.arrived == 2, timeout=5))
    for p in ps:
        p.join()
    sem = m.Semaphore(2)
    print(sem.acquire(), sem.acquire(), sem.acquire(False), sem.acquire(timeout=0.01))
    sem.release()
    sem.release()
    bs = m.BoundedSemaphore(1)
    bs.acquire()
    bs.release()
    try:
        bs.release()
    except ValueError as e:
        print("ValueError", e)
    rl = m.RLock()
    with rl:
        with rl:
            print("RLock taken twice")
    ev = m.Event()
    print(ev.is_set(), ev.wait(0.01))
    ev.set()
    print(ev.is_set(), ev.wait())
    try:
        with cond:
            pass
        cond.notify()
    except RuntimeError as e:
        print("RuntimeError", e)

    # Proxies pickled into a spawned child.
    sp = mp.get_context("spawn").Process(target=in_spawned, args=(d, q))
    sp.start()
    print(q.get(), "/", end=" ")
    sp.join()
    print(d["spawned"])

    # Reprs: the proxy's own and the referent's.
    print(repr(d).split(" at ")[0], repr(q).split(" at ")[0], str(lock).split(" at ")[0])

    # `with Manager()`, start(), shutdown.
    with Manager() as m2:
        x = m2.dict(k=1)
        print(sorted(p.name for p in mp.active_children() if p.name.startswith("SyncManager")), x)
    try:
        x["k"]
    except BrokenPipeError as e:
        print("after the with:", type(e).__name__, e)
    m3 = SyncManager()
    try:
        m3.dict()
    except AssertionError as e:
        print("AssertionError", e)
    m3.start()
    print(m3.list([1]), m3._process.name)
    m3.shutdown()
    try:
        m3.start()
    except mp.ProcessError as e:
        print("ProcessError", e)
    # The manager's own accounting (what CPython's test suite asks at the
    # end of each manager class).
    print(type(m._number_of_objects()).__name__, type(m._debug_info()).__name__)
    m.shutdown()
    print("manager exitcode", m._process.exitcode)
