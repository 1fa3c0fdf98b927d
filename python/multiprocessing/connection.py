"""`multiprocessing.connection` under forkscope: CPython's own module
(`Listener`, `Client`, the authentication challenge, `Connection`'s checks,
`send`/`recv` pickling and `recv_bytes_into`), with its connections on real
file descriptors as in CPython — a socket pair for `Pipe()`, `os.pipe()` for
`Pipe(duplex=False)`, a socket for a `Listener`'s or `Client`'s — so
`fileno()`, `wait()`, a process's `sentinel` and messages of any size work.

Underneath, the reads and writes are the runtime's (src/runtime/ipc/conn.rs):
each connection is a Pipe resource of the run; `send` is an op showing the
`repr` its sender computed, a `recv`, `poll` or `wait()` that would block is
the process (or thread) blocked on the pipe, woken through the gate by the
sender, so a schedule fixes who reads what.

A connection is shared by inheritance (a forked child holds every
descriptor; a spawned child inherits the ends given to its `Process`), or
sent in a message (through a Queue, a Pipe, a pool's task) as CPython sends
it: its descriptor goes by CPython's `reduction.DupFd` (the sender's
resource sharer thread passes a duplicate over a Unix socket), its pipe of
the run by its id, so the receiver's reads and writes are the same pipe's.
"""
import ctypes
import io
import os
import socket

import forkscope_rt as rt
from forkscope_rt import ok

from . import _common

_cp = _common.cpython_own("connection")

__all__ = ["Client", "Listener", "Pipe", "wait"]

_NONE = 0xFFFFFFFF
# The descriptors that are process sentinels (a process's end wakes every
# waiting lane: no need to poll them).
_sentinels = set()


def _shown_bytes(buf):
    n = len(buf)
    return rt.short_repr(bytes(buf)) if n <= 200 else rt.short_repr(bytes(buf[:200]))


class Connection(_cp.Connection):
    """CPython's connection on a descriptor; its reads and writes are ops of the run."""

    _id = None
    _end = 0
    _shown = None

    def __init__(self, handle, readable=True, writable=True, _id=None, _end=0):
        super().__init__(handle, readable, writable)
        if _id is None:
            b, n = rt.text(rt.created_name("Client") or rt.created_name("accept"))
            _id = ok(rt.lib.fs_conn_new(2, b, n, rt.line()))
        self._id = _id
        self._end = _end

    def __getstate__(self):
        if self._handle is not None and _common.spawning is not None:
            _common.spawning.append(self._handle)
        return dict(self.__dict__)

    def __reduce__(self):
        import copyreg

        if _common.spawning is not None or self._handle is None:
            # A spawned child inherits the descriptor itself.
            return (copyreg.__newobj__, (type(self),), self.__getstate__())
        # In a message, as CPython's reduce_connection.
        from . import reduction

        df = reduction.DupFd(self.fileno())
        return (_rebuild_sent, (df, self._id, self._end, self.readable, self.writable))

    def __setstate__(self, state):
        self.__dict__.update(state)

    def send(self, obj):
        self._check_closed()
        self._check_writable()
        self._shown = rt.short_repr(obj)
        try:
            super().send(obj)
        finally:
            self._shown = None

    def _send_bytes(self, buf):
        shown = self._shown if self._shown is not None else _shown_bytes(buf)
        r, rn = rt.text(shown)
        data = buf if isinstance(buf, bytes) else bytes(buf)
        ok(rt.lib.fs_conn_send(self._id, self._end, self._handle, r, rn, data, len(data), rt.line()))

    def _recv_bytes(self, maxsize=None):
        n = ok(rt.lib.fs_conn_recv(self._id, self._end, self._handle, -1 if maxsize is None else maxsize, rt.line()))
        if n == rt.NOTHING:
            return None
        buf = io.BytesIO(rt.take(n))
        # As CPython's: positioned after the message (recv_bytes_into reads its size there).
        buf.seek(0, io.SEEK_END)
        return buf

    def _poll(self, timeout):
        return bool(_wait([self], timeout))

    def _close(self, _close=None):
        ok(rt.lib.fs_conn_close(self._id, self._end, self._handle, 0, rt.line()))

    def __del__(self):
        if self._handle is not None:
            h, self._handle = self._handle, None
            try:
                rt.lib.fs_conn_close(self._id, self._end, h, 1, 0)
            except Exception:
                pass

    def __repr__(self):
        return "<multiprocessing.connection.Connection object at %#x>" % id(self)


def _rebuild_sent(df, id, end, readable, writable):
    """A Connection received in a message: a duplicate of the sender's
    descriptor, on the same pipe of the run."""
    return Connection(df.detach(), readable, writable, _id=id, _end=end)


Connection.__module__ = "multiprocessing.connection"
Connection.__qualname__ = "Connection"
# CPython's Listener, Client and rebuild functions make this class.
_cp.Connection = Connection


def Pipe(duplex=True):
    """Returns a pair (conn1, conn2) of Connection objects; with
    duplex=False conn1 only receives and conn2 only sends."""
    b, n = rt.text(rt.created_name("Pipe") or rt.created_name("SimpleQueue"))
    pid = ok(rt.lib.fs_conn_new(1 if duplex else 0, b, n, rt.line()))
    if duplex:
        s1, s2 = socket.socketpair()
        s1.setblocking(True)
        s2.setblocking(True)
        return Connection(s1.detach(), _id=pid, _end=0), Connection(s2.detach(), _id=pid, _end=1)
    fd1, fd2 = os.pipe()
    return Connection(fd1, writable=False, _id=pid, _end=0), Connection(fd2, readable=False, _id=pid, _end=1)


def _wait(objects, timeout):
    pairs = []
    polled = 0
    for o in objects:
        if isinstance(o, Connection) and o._handle is not None:
            pairs += [o._handle, o._id | (o._end << 32)]
            continue
        fd = o if isinstance(o, int) else o.fileno()
        pairs += [fd, _NONE]
        if fd not in _sentinels:
            polled = 1
    n = len(objects)
    on = (ctypes.c_int64 * max(len(pairs), 1))(*pairs)
    out = (ctypes.c_int64 * max(n, 1))()
    secs = rt.seconds(timeout)
    ok(rt.lib.fs_conn_wait(on, n, out, secs, polled, rt.line()))
    return [o for i, o in enumerate(objects) if out[i]]


def wait(object_list, timeout=None):
    """Wait till an object in object_list is ready/readable. Returns list of
    those objects in object_list which are ready/readable."""
    return _wait(list(object_list), timeout)


_cp.wait = wait

Listener = _cp.Listener
Client = _cp.Client
deliver_challenge = _cp.deliver_challenge
answer_challenge = _cp.answer_challenge
address_type = _cp.address_type
arbitrary_address = _cp.arbitrary_address
rebuild_connection = getattr(_cp, "rebuild_connection", None)
reduce_connection = getattr(_cp, "reduce_connection", None)
BUFSIZE = _cp.BUFSIZE
CONNECTION_TIMEOUT = _cp.CONNECTION_TIMEOUT
families = _cp.families
default_family = _cp.default_family


def __getattr__(name):
    # The rest is CPython's (`_CHALLENGE`, `SocketListener`, …).
    return getattr(_cp, name)
