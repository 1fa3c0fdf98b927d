# A ProcessPoolExecutor program: submit, map with a chunksize, as_completed,
# an initializer, a worker's exception with its remote traceback, shutdown;
# at the end an uncaught one (exit code 1, the remote traceback printed).
import concurrent.futures as cf
import os


def square(x):
    return x * x


def boom(x):
    raise ValueError("bad value %d" % x)


def init(tag):
    global TAG
    TAG = tag


def tagged(x):
    return "%s-%d" % (TAG, x)


if __name__ == "__main__":
    with cf.ProcessPoolExecutor(max_workers=2, initializer=init, initargs=("w",)) as ex:
        f = ex.submit(square, 7)
        print("submit:", f.result())
        print("map:", list(ex.map(square, range(10), chunksize=3)))
        fs = [ex.submit(tagged, i) for i in range(4)]
        print("as_completed:", sorted(f.result() for f in cf.as_completed(fs)))
        e = ex.submit(boom, 3).exception()
        print("exception:", type(e).__name__, e)
        print("cause:", type(e.__cause__).__name__, "bad value 3" in str(e.__cause__))
    print("done")
    ex2 = cf.ProcessPoolExecutor(max_workers=1)
    ex2.submit(boom, 5).result()
