# An Array of ctypes Structures, as in the docs' "Shared ctypes Objects"
# example: a child changes every field of every element; elements set from
# tuples and Structures; RawArray, copy and synchronized of one.
import multiprocessing as mp, ctypes, time
from multiprocessing import sharedctypes

class Point(ctypes.Structure):
    _fields_ = [('x', ctypes.c_double), ('y', ctypes.c_double)]

def modify(n, x, s, A):
    n.value **= 2
    x.value **= 2
    s.value = s.value.upper()
    for a in A:
        a.x **= 2
        a.y **= 2


class P(ctypes.Structure):
    _fields_ = [('x', ctypes.c_int), ('y', ctypes.c_double)]


if __name__ == '__main__':
    lock = mp.Lock()
    n = mp.Value('i', 7)
    x = mp.Value(ctypes.c_double, 1.0/3.0, lock=False)
    s = mp.Array('c', b'hello world', lock=lock)
    A = mp.Array(Point, [(1.875,-6.25), (-5.75,2.0), (2.375,9.5)], lock=lock)
    p = mp.Process(target=modify, args=(n, x, s, A))
    p.start(); p.join()
    print(n.value)
    print(x.value)
    print(s.value)
    print([(a.x, a.y) for a in A])
    A = mp.Array(P, 3)
    print(len(A), [(a.x, a.y) for a in A])
    A[1] = (5, 2.5)
    A[2] = P(7, 1.5)
    print([(a.x, a.y) for a in A[:]])
    B = sharedctypes.RawArray(P, [(1, 1.0)])
    C = sharedctypes.copy(B)
    C[0].x = 9
    print(B[0].x, C[0].x)
    S = sharedctypes.synchronized(B)
    with S.get_lock():
        S[0].y += 1
    print(B[0].y, type(S.get_obj()).__name__ == type(B).__name__)
    try:
        A[3]
    except IndexError as e:
        print('IndexError', e)
    try:
        A[0].z = 1
    except AttributeError as e:
        print('AttributeError')
    print(repr(A).split(' object')[0])
