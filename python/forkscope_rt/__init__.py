"""forkscope's Python runtime: the binding to libforkscope.so, and what every
part of forkscope's Python side shares — the user's file, the line a process
is on, names, errors.

Every call of the library returns an int64; ERR means the op raised (the
library then says `Kind<TAB>message`, turned here into Python's exception),
NOTHING is None. See src/python/abi.rs for the functions; their signatures
and the named numbers they take are in `_abi` (generated from the Rust side).
Errors and bytes results are kept per thread by the library.
"""
import builtins
import ctypes
import linecache
import re
import sys

from forkscope_rt import _abi
from forkscope_rt._abi import RESULT_ERR as ERR, RESULT_NOTHING as NOTHING

lib = None
# The user's program, as its code objects name it (co_filename).
USER_FILE = None
_MODE = None
_GRAN = None

# The library again, for calls without ctypes' argument conversion (a Python
# int goes as a C int; conversion is most of a call's cost): only functions
# whose arguments are all narrow integers (_abi.NARROW) may be called through
# it. `with lock:` does (fs_acquire, fs_release).
fast = None


def bind(library):
    """Declares every function's types on `library` (from _abi, generated
    from the Rust side) and makes it ours."""
    global lib, fast
    for name, (args, restype) in _abi.SIGNATURES.items():
        f = getattr(library, name)
        f.argtypes = list(args)
        f.restype = restype
    lib = library
    fast = ctypes.CDLL(library._name)
    for name in _abi.NARROW:
        getattr(fast, name).restype = _abi.SIGNATURES[name][1]


def attach_controls():
    """The run's mode and step-granularity words, read in place (cheap)."""
    global _MODE, _GRAN
    _MODE = ctypes.c_uint32.from_address(ok(lib.fs_number(_abi.NUMBER_MODE_WORD)))
    _GRAN = ctypes.c_uint32.from_address(ok(lib.fs_number(_abi.NUMBER_GRANULARITY_WORD)))


def paused():
    return _MODE is not None and _MODE.value == _abi.MODE_PAUSED


def statement_steps():
    return _GRAN is not None and _GRAN.value == _abi.GRAN_STATEMENT


# ---- errors ------------------------------------------------------------------

_ERRNO = re.compile(r"\[Errno (\d+)\] (.*)", re.S)


def exception(kind, message):
    """Python's exception for the runtime's `Kind` and message."""
    import queue
    import threading

    special = {
        "queue.Empty": queue.Empty,
        "queue.Full": queue.Full,
        "BrokenBarrierError": threading.BrokenBarrierError,
        "JSONDecodeError": ValueError,
    }
    cls = special.get(kind) or getattr(builtins, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return RuntimeError("%s: %s" % (kind, message))
    if not message:
        return cls()
    if issubclass(cls, OSError):
        m = _ERRNO.match(message)
        if m:
            return cls(int(m.group(1)), m.group(2))
    return cls(message)


def last_error():
    """The exception of this thread's last failed call, whatever its size."""
    n = lib.fs_error(None, 0)
    buf = ctypes.create_string_buffer(n)
    lib.fs_error(buf, n)
    kind, _, message = buf.raw.decode("utf-8", "replace").partition("\t")
    if not kind:
        return SystemError("forkscope: a call failed and left no error (a bug in forkscope)")
    return exception(kind, message)


def ok(r):
    """The result of a library call, or its exception raised."""
    if r == ERR:
        raise last_error()
    return r


def take(n):
    """The bytes result (of length `n`) of this thread's last call."""
    buf = ctypes.create_string_buffer(n)
    lib.fs_take(buf, n)
    return buf.raw


def info(which):
    """A fact about the run (`_abi.INFO_*`), as text."""
    return take(ok(lib.fs_info(which))).decode("utf-8")


def text(s):
    """A text as the library takes it: (bytes, length)."""
    b = s.encode("utf-8", "surrogatepass")
    return b, len(b)


# ---- lines and statements ----------------------------------------------------

_tracing = False
_STATEMENT = _abi.GRAN_STATEMENT


def line():
    """The line of the innermost frame in the user's file (0 if none), or
    the line a manager process is serving (see `serving`)."""
    if _GRAN is not None and (_GRAN.value == _STATEMENT) != _tracing:
        _set_tracing(not _tracing)
    if _serving is not None:
        return _serving[1]
    f = sys._getframe(1)
    uf = USER_FILE
    while f is not None:
        if f.f_code.co_filename == uf:
            return f.f_lineno
        f = f.f_back
    return 0


def caller_line(f):
    """The line for an op called from frame `f`: its own when it is the
    user's (the usual case, and the cheapest), else the innermost user frame's."""
    if f.f_code.co_filename == USER_FILE:
        if _GRAN is not None and (_GRAN.value == _STATEMENT) != _tracing:
            _set_tracing(not _tracing)
        return f.f_lineno
    while f is not None:
        if f.f_code.co_filename == USER_FILE:
            return f.f_lineno
        f = f.f_back
    return line()


def user_frame():
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename != USER_FILE:
        f = f.f_back
    return f


def _set_tracing(on):
    """Statement steps follow Python's line events, only while asked for."""
    global _tracing
    _tracing = on
    mon = getattr(sys, "monitoring", None)
    if mon is not None:
        _monitoring(mon, on)
    else:
        _settrace(on)


_TOOL = None


def _monitoring(mon, on):
    global _TOOL
    if _TOOL is None:
        for tool in (mon.DEBUGGER_ID, 3, 4):
            try:
                mon.use_tool_id(tool, "forkscope")
                _TOOL = tool
                break
            except ValueError:
                continue
        if _TOOL is None:
            return

        def on_line(code, lineno):
            if code.co_filename != USER_FILE:
                return mon.DISABLE
            lib.fs_statement(lineno)

        mon.register_callback(_TOOL, mon.events.LINE, on_line)
    mon.set_events(_TOOL, mon.events.LINE if on else 0)
    if on:
        mon.restart_events()


def _local_trace(frame, event, arg):
    if event == "line":
        lib.fs_statement(frame.f_lineno)
    return _local_trace


def _global_trace(frame, event, arg):
    if frame.f_code.co_filename != USER_FILE:
        return None
    return _local_trace


def _settrace(on):
    sys.settrace(_global_trace if on else None)
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename == USER_FILE:
            f.f_trace = _local_trace if on else None
        f = f.f_back


# ---- names -------------------------------------------------------------------

# Set in a manager process while it serves a request: the name the requester
# gave the object (its variable) and the requester's line, which the
# manager's ops carry instead of its own (it runs none of the user's lines).
_serving = None


def serving(name, line_no):
    """Makes this process's next creations and ops those of a request: the
    object is called `name` ('' for the runtime's default), at `line_no`."""
    global _serving
    _serving = (name, line_no)


_ASSIGN = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=(?!=)\s*(.*)$")


def assigned_name(source_line, constructor):
    """`lock` for `lock = Lock()`, `self.q` for `self.q = mp.Queue(3)`,
    `a, b` for `a, b = Pipe()`; '' when the line does not create the object
    straight into a variable."""
    m = _ASSIGN.match(source_line)
    if not m:
        return ""
    # `Queue(`, `mp.Queue(`, and through a call: `Manager().Queue(`.
    if not re.match(r"(?:[\w.]|\(\))*\b%s\s*\(" % re.escape(constructor), m.group(2)):
        return ""
    return ", ".join(p.strip() for p in m.group(1).split(","))


def created_name(constructor):
    """The name of the resource being created on the user's current line."""
    if _serving is not None:
        return _serving[0]
    f = user_frame()
    if f is None:
        return ""
    return assigned_name(linecache.getline(USER_FILE, f.f_lineno), constructor)


def short_repr(obj, limit=200):
    try:
        r = repr(obj)
    except Exception as e:  # a broken __repr__ must not break a put
        r = "<%s object (repr failed: %s)>" % (type(obj).__name__, type(e).__name__)
    return r if len(r) <= limit else r[: limit - 1] + "…"
