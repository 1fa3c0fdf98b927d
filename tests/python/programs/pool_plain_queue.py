# A plain Queue given to a pool task fails as in CPython (course notes 002).
from multiprocessing import Pool, Queue
def f(q):
    q.put(1)
if __name__ == '__main__':
    q = Queue()
    p = Pool(2)
    r = p.apply_async(f, (q,))
    try:
        r.get()
    except RuntimeError as e:
        print("RuntimeError:", e)
    p.close(); p.join()
