# A small ProcessPoolExecutor program: submit, map with chunksize, a
# worker's exception with its remote traceback, shutdown.
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def fail(x):
    raise KeyError(x)


if __name__ == "__main__":
    ex = ProcessPoolExecutor(max_workers=2)
    print("submit", ex.submit(square, 3).result())
    print("map", list(ex.map(square, range(6), chunksize=2)))
    try:
        ex.submit(fail, 7).result()
    except KeyError as e:
        print("raised", repr(e), type(e.__cause__).__name__)
    ex.shutdown()
    print("shut down")
