# A worker's exception comes back with the worker's traceback as its cause
# (multiprocessing.pool.RemoteTraceback), as CPython prints it.
import traceback
from multiprocessing import Pool


def f(x):
    raise ValueError("bad %d" % x)


if __name__ == "__main__":
    with Pool(1) as p:
        try:
            p.apply(f, (3,))
        except ValueError as e:
            cause = e.__cause__
            print(type(cause).__module__, type(cause).__name__)
            print([line for line in str(cause).splitlines() if line and not line.startswith(" ")])
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            print("The above exception was the direct cause of the following exception:" in text)
