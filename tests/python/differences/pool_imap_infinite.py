# Pool.imap reads its input as the workers take its tasks (a task-handler
# thread, as CPython's): an endless input works, the loop stops when it
# likes; an imap not read before close() and join() is done by then.
import itertools
from multiprocessing import Pool

def sqr(x):
    return x * x

if __name__ == '__main__':
    with Pool(2) as p:
        squares = []
        for y in p.imap(sqr, itertools.count()):
            squares.append(y)
            if len(squares) == 10:
                break
        print("first squares", squares)
    p = Pool(2)
    it = p.imap(sqr, range(5))
    chunks = p.imap(sqr, (i for i in range(7)), chunksize=3)
    p.close()
    p.join()
    print("after join", list(it), list(chunks))
