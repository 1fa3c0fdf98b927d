# A recursion two hundred thousand calls deep, uncaught: its traceback, as CPython
# prints it (the innermost thousand entries).
import sys

sys.setrecursionlimit(200_000)


def down(n):
    return down(n + 1)


down(0)
