# multiprocessing.Pool as the course uses it and a little more: map (chunked),
# starmap, imap, apply, apply_async with callback and error_callback,
# exceptions raised again in get(), `with Pool(n)`, close and join.
import os, time
from multiprocessing import Pool, current_process

def sq(x):
    return x * x

def add(a, b):
    return a + b

def boom(x):
    raise ValueError("bad %s" % x)

class MyErr(Exception):
    pass

def myboom():
    raise MyErr("custom")

if __name__ == '__main__':
    got = []
    with Pool(3) as p:
        print(p.map(sq, range(10)))
        print(p.map(sq, range(7), chunksize=3))
        print(p.starmap(add, [(1, 2), (3, 4)]))
        print(list(p.imap(sq, [4, 5])))
        print(p.apply(add, (5, 6)))
        r = p.apply_async(sq, (7,), callback=got.append)
        print(r.get(), r.ready(), r.successful())
        e = p.apply_async(boom, (1,), error_callback=lambda exc: got.append(repr(exc)))
        try:
            e.get()
        except ValueError as x:
            print("raised", repr(x))
        try:
            p.apply(myboom)
        except MyErr as x:
            print("custom raised", repr(x))
    print("callbacks", got)
    p2 = Pool(2)
    rs = [p2.apply_async(sq, (i,), callback=got.append) for i in range(4)]
    p2.close(); p2.join()
    print("after join", sorted(got[2:]))
