# multiprocessing.connection as CPython runs it: a 20 MB message through a
# Pipe, end of file once the last writer closed, wait() over connections and
# process sentinels, a Listener/Client pair with an authkey, fileno,
# recv_bytes_into and poll; a duplex Pipe whose child closes its copy of
# the parent's end while the parent waits there.
from multiprocessing import Pipe, Process
from multiprocessing.connection import Client, Listener, wait

BIG = 20 * 1024 * 1024


def big_sender(conn):
    conn.send_bytes(b"x" * BIG)
    conn.close()


def talker(address):
    with Client(address, authkey=b"secret") as c:
        c.send(["hello", 42])
        print("client got", c.recv())


def upper(parent_end, child_end):
    # Closing its copy of the parent's end wakes the parent waiting there,
    # which must wait on (it is not its end of file).
    parent_end.close()
    for s in iter(child_end.recv, None):
        child_end.send(s.upper())


def child(conn, n):
    conn.send(n * 10)
    conn.close()


if __name__ == "__main__":
    r, w = Pipe(duplex=False)
    p = Process(target=big_sender, args=(w,))
    p.start()
    w.close()
    data = r.recv_bytes()
    print("big message", len(data), data[:3])
    try:
        r.recv()
    except EOFError:
        print("EOFError once the last writer closed")
    p.join()

    readers, procs, got = [], [], []
    for i in range(3):
        a, b = Pipe(duplex=False)
        q = Process(target=child, args=(b, i))
        q.start()
        b.close()
        readers.append(a)
        procs.append(q)
    while readers:
        for c in wait(readers):
            try:
                got.append(c.recv())
            except EOFError:
                readers.remove(c)
    print("wait got", sorted(got))
    for q in procs:
        q.join()
    print("sentinels ready", len(wait([q.sentinel for q in procs], 5)))

    with Listener(("127.0.0.1", 0), authkey=b"secret") as listener:
        t = Process(target=talker, args=(listener.address,))
        t.start()
        with listener.accept() as conn:
            print("server got", conn.recv())
            conn.send("welcome")
        t.join()

    mine, theirs = Pipe()
    u = Process(target=upper, args=(mine, theirs))
    u.start()
    for word in ("hello", "world"):
        mine.send(word)
        print("upper", mine.recv())
    mine.send(None)
    u.join()

    print("fileno is an int", isinstance(r.fileno(), int))
    a, b = Pipe()
    buf = bytearray(8)
    b.send_bytes(b"abc")
    print("recv_bytes_into", a.recv_bytes_into(buf, 2), bytes(buf))
    print("poll", a.poll(0), b.poll(0.1))
    a.send("back")
    print("poll", b.poll(None), b.recv())
