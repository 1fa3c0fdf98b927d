"""forkscope's `Pipe()`: two connections over the run's shared memory.
Messages are pickled by `send` (raw bytes by `send_bytes`), and `recv` blocks
the process until one arrives. End of file is as with descriptors: `recv` on
an empty pipe raises EOFError once no live process holds the other end (a
forked child holds every end its parent held at `start()`, until it closes
it or ends).
"""
import pickle

import forkscope_rt as rt
from forkscope_rt import ok

__all__ = ["Client", "Listener", "Pipe", "wait"]


class Connection:
    def __init__(self, id, end, readable, writable):
        self._id = id
        self._end = end
        self._readable = readable
        self._writable = writable
        self._closed = False

    def __getstate__(self):
        from . import context

        if context._spawning is None:
            raise RuntimeError("forkscope: a Connection is shared by inheritance (give it to a Process at its start), not sent in a message")
        if not self._closed:
            context._spawning.append((self._id, self._end))
        return dict(self.__dict__)

    @property
    def closed(self):
        return self._closed

    @property
    def readable(self):
        return self._readable

    @property
    def writable(self):
        return self._writable

    def _check(self, reading):
        if self._closed:
            raise OSError("handle is closed")
        if reading and not self._readable:
            raise OSError("connection is write-only")
        if not reading and not self._writable:
            raise OSError("connection is read-only")

    def _send(self, data, shown):
        r, rn = rt.text(shown)
        ok(rt.lib.fs_pipe_send(self._id, self._end, r, rn, data, len(data), rt.line()))

    def send(self, obj):
        self._check(False)
        self._send(pickle.dumps(obj), rt.short_repr(obj))

    def send_bytes(self, buf, offset=0, size=None):
        self._check(False)
        m = memoryview(buf).cast("B")
        if offset < 0:
            raise ValueError("offset is negative")
        if offset > len(m):
            raise ValueError("buffer length < offset")
        if size is None:
            size = len(m) - offset
        elif size < 0:
            raise ValueError("size is negative")
        elif offset + size > len(m):
            raise ValueError("buffer length < offset + size")
        data = bytes(m[offset : offset + size])
        self._send(data, rt.short_repr(data))

    def _recv(self):
        n = ok(rt.lib.fs_pipe_recv(self._id, self._end, rt.line()))
        return rt.take(n)

    def recv(self):
        self._check(True)
        return pickle.loads(self._recv())

    def recv_bytes(self, maxlength=None):
        self._check(True)
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        data = self._recv()
        if maxlength is not None and len(data) > maxlength:
            self.close()
            raise OSError("bad message length")
        return data

    def poll(self, timeout=0.0):
        self._check(True)
        t = -1.0 if timeout is None else max(float(timeout), 0.0)
        return bool(ok(rt.lib.fs_pipe_poll(self._id, self._end, t, rt.line())))

    def close(self):
        if not self._closed:
            self._closed = True
            ok(rt.lib.fs_pipe_close(self._id, self._end, rt.line()))

    def fileno(self):
        raise NotImplementedError("forkscope's connections have no file descriptor")

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def __repr__(self):
        return "<multiprocessing.connection.Connection object at %#x>" % id(self)


def Pipe(duplex=True):
    """Returns a pair (conn1, conn2) of Connection objects; with
    duplex=False conn1 only receives and conn2 only sends."""
    b, n = rt.text(rt.created_name("Pipe"))
    pid = ok(rt.lib.fs_pipe_new(1 if duplex else 0, b, n, rt.line()))
    if duplex:
        return Connection(pid, 0, True, True), Connection(pid, 1, True, True)
    return Connection(pid, 0, True, False), Connection(pid, 1, False, True)


def _not_yet(what):
    raise NotImplementedError("forkscope does not run multiprocessing.connection.%s yet (its connections are Pipe() ends in shared memory, with no file descriptor)" % what)


def wait(object_list, timeout=None):
    """CPython's: wait until an object of `object_list` is ready."""
    _not_yet("wait()")


class Listener:
    """CPython's: a socket or named-pipe listener for Client connections."""

    def __init__(self, *args, **kwargs):
        _not_yet("Listener")


def Client(*args, **kwargs):
    """CPython's: a connection to a Listener."""
    _not_yet("Client()")


def deliver_challenge(connection, authkey, *args, **kwargs):
    _not_yet("deliver_challenge()")


def answer_challenge(connection, authkey, *args, **kwargs):
    _not_yet("answer_challenge()")
