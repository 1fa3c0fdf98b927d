# A Connection sent in a message, as CPython sends one under fork (its
# descriptor passed by the sender's resource sharer): through a Queue to a
# child started before the pipe was made, and through a Pipe back.
import multiprocessing


def child(q):
    conn = q.get()
    print('child got a', type(conn).__name__)
    print('child received:', conn.recv())
    conn.send('hello from the child')
    other = conn.recv()
    other.send(['through', 'a', 'pipe'])
    other.close()
    conn.close()


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=child, args=(q,))
    p.start()
    mine, theirs = multiprocessing.Pipe()
    q.put(theirs)
    mine.send({'greeting': 'hello'})
    print('main received:', mine.recv())
    r, w = multiprocessing.Pipe(duplex=False)
    mine.send(w)
    print('main received:', r.recv())
    p.join()
    print('exitcode', p.exitcode)
