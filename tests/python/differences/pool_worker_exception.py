# A worker's exception comes back to the caller as it was raised: a
# KeyError's argument is the key, not a message.
from multiprocessing import Pool


def lookup(k):
    return {}[k]


def fail(x):
    raise ValueError("bad value %r" % (x,))


if __name__ == "__main__":
    with Pool(2) as pool:
        for call in (lambda: pool.apply(lookup, (7,)), lambda: pool.map(lookup, ["seven"]), lambda: pool.apply_async(fail, (3,)).get()):
            try:
                call()
            except Exception as e:
                print(type(e).__name__, repr(e), e.args)
