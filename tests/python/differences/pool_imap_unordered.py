# Pool.imap_unordered gives the results as the workers finish them: the
# task for 0 waits until main has had the result for 1 (an Event the
# workers inherit), which an iterator in input order would never give.
import multiprocessing

ev = None


def f(x):
    if x == 0:
        ev.wait()
    return x


def square(x):
    return x * x


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    ev = multiprocessing.Event()
    with multiprocessing.Pool(2) as pool:
        it = pool.imap_unordered(f, [0, 1])
        print('first:', next(it))
        ev.set()
        print('second:', next(it))
        print(sorted(pool.imap_unordered(square, range(10))))
        print(sorted(pool.imap_unordered(square, range(10), chunksize=3)))
