"""`socket.socket()` under forkscope: the program's own CPython sockets, made
resources of the run.

The class that replaces `socket.socket` is CPython's own, with the calls
that block or change what the dashboard shows going through the runtime (see
src/runtime/ipc/socket.rs): an IPv4 stream socket becomes a resource when it
listens (shown with its address) or connects; `accept`, `recv` (and
`recv_into`, which `makefile()` reads through) and a `connect` under way
block on it as any op blocks (woken by a process of the
run, or by polling for clients from outside); `send`/`sendall`, `close` and
`shutdown` are ops. Everything else — `bind`, `setsockopt`, `getsockname`,
`getpeername`, timeouts, addresses and their errors — is CPython's own, on the
same descriptor. Sockets of other families or types are CPython's, untouched.

With the fork start method a child holds every socket its parent holds, as a
forked process holds every descriptor: a connection given to a `Process`
works there. (A socket cannot be pickled, as in CPython without its
multiprocessing reducers: the spawn start method cannot take one.)
"""
import errno
import linecache
import operator
import re

import forkscope_rt as rt
from forkscope_rt import ok


def _data(data):
    """The bytes of a bytes-like object, with CPython's error for anything else."""
    if isinstance(data, bytes):
        return data
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError("a bytes-like object is required, not '%s'" % type(data).__name__) from None


_WITH = re.compile(r"^\s*with\s+[\w.]*\bsocket\s*\(.*\)\s+as\s+([A-Za-z_]\w*)\s*:")


def _with_name():
    """`srv` for `with socket.socket() as srv:` on the user's current line."""
    f = rt.user_frame()
    m = f is not None and _WITH.match(linecache.getline(rt.USER_FILE, f.f_lineno))
    return m.group(1) if m else ""


def _secs(t):
    return -1.0 if t is None else float(t)


def make_class(module):
    """forkscope's `socket.socket` for the `socket` module `module`."""
    base = module.socket
    raw = base.__mro__[1]  # _socket.socket
    AF_INET, SOCK_STREAM = module.AF_INET, module.SOCK_STREAM

    class socket(base):
        __slots__ = ("_fs_id", "_fs_name")

        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            base.__init__(self, family, type, proto, fileno)
            # The runtime's resource, once it listens or is connected.
            self._fs_id = None
            self._fs_name = (rt.created_name("socket") or _with_name()) if fileno is None else ""

        def _fs_shown(self):
            return self.family == AF_INET and self.type == SOCK_STREAM

        def listen(self, backlog=None):
            if self._fs_id is not None or not self._fs_shown():
                return base.listen(self) if backlog is None else base.listen(self, backlog)
            backlog = min(getattr(module, "SOMAXCONN", 128), 128) if backlog is None else max(operator.index(backlog), 0)
            name, n = rt.text(self._fs_name)
            self._fs_id = ok(rt.lib.fs_sock_listen(self.fileno(), min(backlog, 2**31 - 1), name, n, rt.line()))

        def accept(self):
            if self._fs_id is None:
                return base.accept(self)
            t = self.gettimeout()
            name, n = rt.text(rt.created_name("accept").split(",")[0].strip())
            try:
                r = ok(rt.lib.fs_sock_accept(self._fs_id, self.fileno(), _secs(t), name, n, rt.line()))
            except TimeoutError:
                if t == 0:
                    raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable") from None
                raise
            conn = type(self)(self.family, self.type, self.proto, fileno=r & 0xFFFFFFFF)
            conn._fs_id = r >> 32
            # As CPython: a connection of a listener with a timeout blocks.
            if module.getdefaulttimeout() is None and self.gettimeout():
                conn.setblocking(True)
            try:
                addr = conn.getpeername()
            except OSError:
                addr = ("0.0.0.0", 0)
            return conn, addr

        def connect(self, address):
            if self._fs_id is not None or not self._fs_shown():
                return base.connect(self, address)
            ok(rt.lib.fs_sock_enter(rt.line()))
            t = self.gettimeout()
            # CPython parses the address and starts the connection; the
            # runtime waits for it, blocked on the socket.
            raw.setblocking(self, False)
            try:
                err = raw.connect_ex(self, address)
            finally:
                raw.settimeout(self, t)
            port = address[1] if isinstance(address, tuple) and len(address) > 1 and isinstance(address[1], int) else 0
            name, n = rt.text(self._fs_name)
            self._fs_id = ok(rt.lib.fs_sock_connected(self.fileno(), port, err, _secs(t), name, n))

        def connect_ex(self, address):
            try:
                self.connect(address)
            except OSError as e:
                if e.errno is None:
                    raise
                return e.errno
            return 0

        def send(self, data, flags=0):
            if self._fs_id is None:
                return base.send(self, data, flags)
            data = _data(data)
            return ok(rt.lib.fs_sock_send(self._fs_id, self.fileno(), data, len(data), operator.index(flags), rt.line()))

        def sendall(self, data, flags=0):
            if self._fs_id is None:
                return base.sendall(self, data, flags)
            self.send(data, flags)

        def recv(self, bufsize, flags=0):
            if self._fs_id is None:
                return base.recv(self, bufsize, flags)
            bufsize, flags = operator.index(bufsize), operator.index(flags)
            t = self.gettimeout()
            try:
                n = ok(rt.lib.fs_sock_recv(self._fs_id, self.fileno(), bufsize, flags, _secs(t), rt.line()))
            except TimeoutError:
                if t == 0:
                    raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable") from None
                raise
            return rt.take(n)

        def recv_into(self, buffer, nbytes=0, flags=0):
            # What makefile() reads through: the same recv, shown the same way.
            if self._fs_id is None:
                return base.recv_into(self, buffer, nbytes, flags)
            view = memoryview(buffer).cast("B")
            nbytes = operator.index(nbytes)
            if nbytes < 0:
                raise ValueError("negative buffersize in recv_into")
            if nbytes > len(view):
                raise ValueError("buffer too small for requested bytes")
            data = self.recv(nbytes or len(view), flags)
            view[: len(data)] = data
            return len(data)

        def shutdown(self, how):
            if self._fs_id is None:
                return base.shutdown(self, how)
            ok(rt.lib.fs_sock_shutdown(self._fs_id, self.fileno(), operator.index(how), rt.line()))

        def _fs_let_go(self, gc):
            """The runtime closes the descriptor (Python lets go of it)."""
            sid, self._fs_id = self._fs_id, None
            fd = raw.detach(self)
            if fd >= 0:
                ok(rt.lib.fs_sock_close(sid, fd, gc, 0 if gc else rt.line()))

        def _real_close(self, _ss=raw):
            if self._fs_id is not None:
                self._fs_let_go(0)
            else:
                _ss.close(self)

        def __del__(self):
            # Replaces CPython's finaliser (which closes the descriptor).
            try:
                if getattr(self, "_fs_id", None) is not None:
                    self._fs_let_go(1)
                elif raw.fileno(self) >= 0:
                    raw.close(self)
            except Exception:
                pass

    socket.__module__ = "socket"
    socket.__qualname__ = "socket"
    return socket


def install(module):
    """Makes `module.socket` forkscope's (`from socket import *` included)."""
    if getattr(module.socket, "_fs_shown", None) is None:
        module.socket = make_class(module)
