# Pool(maxtasksperchild=n): a worker ends after n tasks and the pool starts
# another, so 100 tasks on 3 workers of 10 tasks each all complete, on new
# processes; closed with tasks left, the pool still finishes them.
import multiprocessing as mp
import os


def sqr(x):
    return x * x


def pid(_):
    return os.getpid()


if __name__ == "__main__":
    p = mp.Pool(3, maxtasksperchild=10)
    first = sorted(w.pid for w in p._pool)
    results = [p.apply_async(sqr, (i,)) for i in range(100)]
    print(sum(r.get() for r in results))
    print("workers used:", len(set(p.map(pid, range(60), chunksize=1))) > 3)
    p._repopulate_pool()
    print(len(p._pool) >= 3, sorted(w.pid for w in p._pool) != first)
    p.close()
    p.join()
    with mp.Pool(2, maxtasksperchild=1) as q:
        rs = [q.apply_async(sqr, (i,)) for i in range(6)]
        q.close()
        q.join()
        print([r.get() for r in rs])
