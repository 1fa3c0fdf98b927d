"""forkscope's Python runtime: the binding to libforkscope.so, and what every
part of forkscope's Python side shares — the user's file, the line a process
is on, names, errors.

Every call of the library returns an int64; ERR means the op raised (the
library then says `Kind<TAB>message`, turned here into Python's exception),
NOTHING is None. See src/python/abi.rs for the functions; their signatures
and the named numbers they take are in `_abi` (generated from the Rust side).
Errors and bytes results are kept per thread by the library.
"""
import _thread
import builtins
import ctypes
import linecache
import re
import sys
import types

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
    # A signal ends a wait of the main thread, as in CPython: its handler
    # runs, and may raise (KeyboardInterrupt); if it does not, the call is
    # made again with what was left of its timeout, as CPython's waits go on.
    for name in _WAITS:
        setattr(lib, name, _retrying(getattr(library, name)))
    ok(fast.fs_waits_interruptible())


# The calls that wait, and so may return early for a signal (fs_interrupted).
_WAITS = (
    "fs_join", "fs_thread_join", "fs_acquire", "fs_acquire_timed", "fs_event_wait", "fs_cond_wait",
    "fs_barrier_wait", "fs_queue_put", "fs_queue_get", "fs_result_get", "fs_conn_recv", "fs_conn_wait",
    "fs_sock_accept", "fs_sock_connected", "fs_sock_send", "fs_sock_recv",
    # (a JoinableQueue's join; a pool's join, a step at a time; time.sleep;
    # input() and getpass() before any of the line came)
    "fs_queue_op", "fs_pool_join", "fs_sleep", "fs_input", "fs_input_secret",
)


def _retrying(f):
    # Where the call's timeout is (its one float argument, seconds; FOREVER
    # for none), if it has one.
    at = next((i for i, t in enumerate(f.argtypes) if t is ctypes.c_double), None)

    def call(*args):
        while True:
            r = f(*args)
            # The loop's jump back runs the signal's handler (its exception
            # leaves here); then the wait goes on, for the time it had left.
            if r != ERR or not fast.fs_interrupted():
                return r
            if at is not None and args[at] != FOREVER:
                left = fast.fs_interrupted_left()
                if left != NOTHING:
                    args = args[:at] + (left / 1e9,) + args[at + 1:]

    call.__name__ = f.__name__
    return call


def raise_unless_interrupted():
    """After a call through `fast` returned ERR: its exception, unless a
    signal ended its wait (the caller's loop then lets the handler run and
    calls again)."""
    if not fast.fs_interrupted():
        raise last_error()


def attach_controls():
    """The run's mode and step-granularity words, read in place (cheap)."""
    global _MODE, _GRAN, _CONTROLS
    mode = ok(lib.fs_run_number(_abi.NUMBER_MODE_WORD))
    gran = ok(lib.fs_run_number(_abi.NUMBER_GRANULARITY_WORD))
    _MODE = ctypes.c_uint32.from_address(mode)
    _GRAN = ctypes.c_uint32.from_address(gran)
    # Side by side (they are, in the control block), both words are read as
    # one: zero while the run goes by op and is not paused (MODE_RUNNING and
    # GRAN_OP are both 0), the case `caller_line` makes cheap.
    if gran == mode + 4 and _abi.MODE_RUNNING == 0 and _abi.GRAN_OP == 0:
        _CONTROLS = ctypes.c_uint64.from_address(mode)


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


# A wait without a time limit, as the library takes it.
FOREVER = -1.0


def seconds(timeout):
    """A timeout as the library takes it: None is FOREVER, a negative
    number 0 (as CPython's waits treat it)."""
    return FOREVER if timeout is None else max(float(timeout), 0.0)


def take(n):
    """The bytes result (of length `n`) of this thread's last call."""
    buf = ctypes.create_string_buffer(n)
    lib.fs_take_bytes(buf, n)
    return buf.raw


def info(which):
    """A fact about the run (`_abi.INFO_*`), as text."""
    return take(ok(lib.fs_run_text(which))).decode("utf-8")


def text(s):
    """A text as the library takes it: (bytes, length)."""
    b = s.encode("utf-8", "surrogatepass")
    return b, len(b)


# ---- the program, made once in a zygote -----------------------------------------

# The program a zygote was told (forkscope_boot._learn_program): its file
# name, source, code and syntax tree, made once for the runs forked from
# it (explore's hundreds of runs of one program). None elsewhere.
_ready = None
_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST (importing `_ast` here would show in a run's sys.modules)


def ready_program(name, source):
    """Compiles and parses program `name` once (in the zygote); one that
    does not compile, or warns as it compiles (an invalid escape: a
    `SyntaxWarning` each run must show, as `python3` does), is left to
    each run."""
    global _ready
    import warnings

    if source.startswith("\ufeff"):
        source = source[1:]
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            code = compile(source, name, "exec", dont_inherit=True)
            tree = compile(source, name, "exec", _ONLY_AST, dont_inherit=True)
    except BaseException:
        return
    if not warned:
        _ready = (name, source, code, tree)


def program_code(name, source):
    """The code of program `name` of `source`: the zygote's if it made
    this very one, else compiled now (as `exec` would, raising what it
    raises)."""
    if _ready is not None and _ready[0] == name and _ready[1] == source:
        return _ready[2]
    return compile(source, name, "exec", dont_inherit=True)


def program_tree(name, source):
    """The zygote's syntax tree of program `name` if it parsed this very
    `source`, else None."""
    if _ready is not None and _ready[0] == name and _ready[1] == source:
        return _ready[3]
    return None


# ---- lines and statements ----------------------------------------------------

_tracing = False
_STATEMENT = _abi.GRAN_STATEMENT
# sys.monitoring (3.12+) traces every thread at once; sys.settrace only the
# thread that calls it, so there each thread asks whether it is traced.
# A free run (not stepped by statement) pays for neither: `_tracing` is
# the process's switch; while it is on, a thread whose own trace is not set
# sets it at its next op, and a thread still tracing after it went off
# drops its trace at its next line.
_MON = getattr(sys, "monitoring", None)


def line():
    """The line of the innermost frame in the user's file (0 if none), or
    the line a manager process is serving (see `serving`)."""
    if _GRAN is not None:
        want = _GRAN.value == _STATEMENT
        if want != _tracing or (want and _MON is None and sys.gettrace() is not _global_trace):
            _set_tracing(want)
    if _serving is not None:
        return _serving[1]
    return _user_line(sys._getframe(1))


def _user_line(f):
    """The line of the innermost frame of the user's file from `f` outwards
    (its locals sent while the run is paused), or 0."""
    uf = USER_FILE
    while f is not None:
        if f.f_code.co_filename == uf:
            if _MODE is not None and _MODE.value == _PAUSED:
                send_locals(f)
            return f.f_lineno
        f = f.f_back
    return 0


# The mode and granularity words read as one (see attach_controls); until
# then a word that is never zero, so that every op takes the long way.
_CONTROLS = ctypes.c_uint64(1)
# The line of a user frame's op, by the frame's instruction offset: f_lasti ->
# (code, line). `f.f_lineno` decodes the code's line table from its start at
# each read, the dearest part of an op such as `with lock:` in a long
# function; an op in a loop is at the same offset of the same code each time.
# One entry per offset (a clash of two codes is only a miss): bounded by the
# largest code object.
_LINE_AT = {}


def caller_line(f):
    """The line for an op called from frame `f`: its own when it is the
    user's (the usual case, and the cheapest), else the innermost user frame's."""
    if not _CONTROLS.value and not _tracing:
        # Running free by op, not tracing: nothing to send, nothing to switch.
        at = _LINE_AT.get(f.f_lasti)
        if at is not None and at[0] is f.f_code:
            return at[1]
    code = f.f_code
    if code.co_filename == USER_FILE:
        if _GRAN is not None:
            want = _GRAN.value == _STATEMENT
            if want != _tracing or (want and _MON is None and sys.gettrace() is not _global_trace):
                _set_tracing(want)
        if _MODE is not None and _MODE.value == _PAUSED:
            send_locals(f)
        n = f.f_lineno
        if not _tracing:
            _LINE_AT[f.f_lasti] = (code, n)
        return n
    return _user_line(f) or line()


# ---- variables ---------------------------------------------------------------

_PAUSED = _abi.MODE_PAUSED
# Bounds of what one step sends (the model bounds it again).
REPR_MAX = 60
VARS_MAX = 12
FRAMES_MAX = 4
# Threads computing their variables now: a repr that makes an op (a
# shared Value's) must not compute them again inside.
_in_locals = set()
# This process has read a clock (`time.time`, `monotonic`, …: hooks.py):
# what it read depends on how long it slept (virtually, while stepped), so
# explore keys sleeps' lengths (src/explore/state.rs). Sent with its
# variables (a `C` line).
clock_read = False
# This process has started a thread (threads.start): its variables sent at
# each gate carry digests of its memory too (`memory_text`).
threaded = False
# Types whose instances are the run's own objects (a Value, a Queue, a
# Process): their repr may be an op, or the state of another process, so
# they show by their type (and name) only.
_OWN_MODULES = ("multiprocessing", "forkscope_rt", "threading", "queue", "concurrent")
_reprs = None
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _own(obj):
    """The run's own objects by their type (and name), else None."""
    t = type(obj)
    try:
        kind = _own_kinds[t]
    except KeyError:
        kind = _own_kinds[t] = _own_kind(t)
    except TypeError:  # a type that cannot be a key (its metaclass's __eq__)
        kind = _own_kind(t)
    if kind is None:
        return None
    kind, proxy = kind
    if proxy:
        # A manager's proxy forwards an unknown attribute to the manager: a
        # request, an op inside the op being taken. Only its own __dict__.
        d = getattr(obj, "__dict__", None) or {}
        name = d.get("_name")
    else:
        name = getattr(obj, "_name", None) or getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return "<%s %s>" % (kind, name)
    return "<%s>" % kind


def _own_kind(t):
    """For `_own`: (kind, is a proxy) when `t`'s instances are the run's
    own objects, else None. Asked once a type (`_own_kinds`): a variable's
    repr is made at every op of a stepped process."""
    # A subclass of one (the program's own Process class) too: its repr
    # would show pids, which differ from run to run.
    if not any((getattr(k, "__module__", "") or "").startswith(_OWN_MODULES) for k in getattr(t, "__mro__", (t,))):
        return None
    if getattr(t, "_fs_repr_ok", False):
        return None
    return getattr(t, "_fs_kind", t.__name__), any("__getattr__" in vars(k) for k in t.__mro__[:-1])


_own_kinds = {}


def _reprs_with(**bounds):
    """A `reprlib.Repr` with `bounds` that shows forkscope's own objects
    by their names (`_own`)."""
    import reprlib

    class Reprs(reprlib.Repr):
        def repr_instance(self, x, level):
            own = _own(x)
            return own if own is not None else reprlib.Repr.repr_instance(self, x, level)

    reprs = Reprs()
    for bound, value in bounds.items():
        setattr(reprs, bound, value)
    return reprs


def _short(obj):
    t = type(obj)
    if t in _PLAIN and (obj.bit_length() <= 64 if t is int else t is bool or obj is None or len(obj) <= 256):
        # A number or a string shows the same wherever it is: made once
        # (a short one: the cache must not keep a program's large text alive).
        try:
            return _shorts[(t, obj)]
        except KeyError:
            pass
        r = _shorts[(t, obj)] = _short_made(obj)
        if len(_shorts) > 4096:
            _shorts.clear()
        return r
    return _short_made(obj)


# The types whose values `_short` keeps the text of (by type and value: 1
# and True are equal keys, not the same text; no float: 0.0 == -0.0;
# a str or bytes up to 256 long, an int of up to 64 bits).
_PLAIN = frozenset((str, int, bool, type(None), bytes))
_shorts = {}


def _short_made(obj):
    global _reprs
    if _reprs is None:
        _reprs = _reprs_with(maxstring=REPR_MAX, maxother=REPR_MAX, maxlevel=2)
    try:
        r = _own(obj) or _reprs.repr(obj)
    except Exception as e:  # a broken __repr__ must not break the program
        r = "<%s object (repr failed: %s)>" % (type(obj).__name__, type(e).__name__)
    # An address differs from run to run (and says nothing to a class):
    # `<Thing object>` rather than `<Thing object at 0x7f…>`.
    r = _ADDRESS.sub("", r.replace("\n", " ").replace("\t", " "))
    return r if len(r) <= REPR_MAX else r[: REPR_MAX - 1] + "…"


def _shown(name, value):
    """Whether a variable is one Python Tutor would show: not a module, a
    function or a class (the program's furniture), not a dunder name."""
    return _name_shown(name) and not isinstance(value, _FURNITURE)


def _name_shown(name):
    # `.0`, a comprehension's hidden iterator, is not the program's name.
    return not name.startswith("__") and name.isidentifier()


_FURNITURE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
# `_name_shown` of the names seen (`locals_text`).
_names_shown = {}


def locals_text(f):
    """The variables of frame `f` and its callers in the user's file,
    innermost first, as the `Locals` record carries them (see
    src/model/locals.rs): names and bounded reprs, a bounded number of each."""
    out = []
    frames = 0
    while f is not None and frames < FRAMES_MAX:
        if f.f_code.co_filename == USER_FILE:
            frames += 1
            out.append("F\t%s\t%d" % (f.f_code.co_name, f.f_lineno))
            shown = 0
            left = 0
            for name, value in list(f.f_locals.items()):
                # `_shown`, its test of the name made once a name.
                named = _names_shown.get(name)
                if named is None:
                    named = _names_shown[name] = _name_shown(name)
                if not named or isinstance(value, _FURNITURE):
                    continue
                if shown < VARS_MAX:
                    out.append("V\t%s\t%s" % (name, _short(value)))
                    shown += 1
                else:
                    left += 1
            if left:
                out.append("M\t%d" % left)
        f = f.f_back
    return "\n".join(out)


def _full_repr(obj):
    """`obj`'s repr for explore's key: as `_short` makes it, with bounds
    a hundred times as large; `None` when even those cut it (`...`)."""
    global _full_reprs
    if _full_reprs is None:
        many = dict.fromkeys(("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"), 1000)
        _full_reprs = _reprs_with(maxstring=6000, maxother=6000, maxlong=6000, maxlevel=8, **many)
    try:
        r = _own(obj) or _full_reprs.repr(obj)
    except Exception:
        return None
    return None if "..." in r else _ADDRESS.sub("", r)


_full_reprs = None


_blake2b = None


def _digest(text):
    """64 bits of BLAKE2b of `text`, as hex."""
    global _blake2b
    if _blake2b is None:
        try:
            from _blake2 import blake2b as _blake2b  # C, without hashlib's OpenSSL start
        except ImportError:
            from hashlib import blake2b as _blake2b
    return _blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _vars_digest(parts):
    """A digest of `parts` (name, value) by their full reprs, or `?` when
    one is not shown in full."""
    out = []
    for name, value in parts:
        if not _shown(name, value):
            continue
        r = _full_repr(value)
        if r is None:
            return "?"
        out.append("%s\t%s" % (name, r))
    return _digest("\n".join(out))


def memory_text(f):
    """What a process that has threads keys for explore (src/explore/
    state.rs): its threads share memory that no record shows. `KF`: a
    digest of this thread's frames in the user's file (function, line,
    every variable by its full repr); `KG`: of the module's globals. `?`
    when something is not shown in full (a repr too long, too many frames).
    model/locals.rs skips these lines."""
    frames = []
    g = f
    n = 0
    while g is not None:
        if g.f_code.co_filename == USER_FILE:
            n += 1
            if n > FRAMES_MAX:
                frames = None
                break
            d = _vars_digest(list(g.f_locals.items()))
            if d == "?":
                frames = None
                break
            frames.append("%s:%d:%s" % (g.f_code.co_name, g.f_lineno, d))
        g = g.f_back
    kf = "?" if frames is None else _digest("|".join(frames))
    return "\nKF\t%s\nKG\t%s" % (kf, _vars_digest(list(f.f_globals.items())))


def send_memory_at_end():
    """At a thread's end (its last gate, in no frame of the user's file),
    while stepped: the digests of `memory_text` with no frames, so that
    explore knows its process's globals there too."""
    if not threaded or _MODE is None or _MODE.value != _PAUSED:
        return
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) != USER_FILE:
        return
    try:
        b, n = text("KF\t0\nKG\t%s" % _vars_digest(list(vars(main).items())))
        lib.fs_text(_abi.TEXT_LOCALS, b, n, 0)
    except Exception:
        pass


def send_memory_at_take(fresh_random, done):
    """A pool worker about to take its next task, while stepped: between
    tasks it is in no frame of the user's file, and what it carries from
    the tasks it ran is its memory, not its history. `KW`: a digest of the
    module's globals (full reprs), of `random`'s state (`-` while it is
    `fresh_random`, as seeded), of `done` (tasks taken, when the pool limits
    them, else None) and whether it has read a clock; then the seconds it
    slept (virtually), which the clocks it reads add. Explore keys the
    worker by these from here on (src/explore/state.rs). Nothing is sent
    when the globals are not shown in full, or the process has threads."""
    if threaded or _MODE is None or _MODE.value != _PAUSED:
        return
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) != USER_FILE:
        return
    try:
        g = _vars_digest(list(vars(main).items()))
        if g == "?":
            return
        import random

        state = random.getstate()
        r = "-" if state == fresh_random else _digest(repr(state))
        hooks = sys.modules.get("forkscope_rt.hooks")
        slept = repr(getattr(hooks, "_virtual", 0.0))
        b, n = text("KW\t%s\t%s" % (_digest("%s|%s|%r|%r" % (g, r, done, clock_read)), slept))
        lib.fs_text(_abi.TEXT_LOCALS, b, n, 0)
    except Exception:
        pass


def send_locals(f):
    """Gives the runtime this thread's variables at the op it is about to
    take (frame `f`, the innermost in the user's file). Called only while
    the run is paused (stepped): the runtime records them if the op parks
    at the gate, once per step."""
    me = _thread.get_ident()
    if me in _in_locals:
        return
    _in_locals.add(me)
    try:
        t = locals_text(f)
        if threaded:
            t += memory_text(f)
        if clock_read:
            # A line model/locals.rs skips: for explore's keying alone.
            t += "\nC\tclock"
        b, n = text(t)
        lib.fs_text(_abi.TEXT_LOCALS, b, n, 0)
    except Exception:
        pass
    finally:
        _in_locals.discard(me)


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
            if _MODE is not None and _MODE.value == _PAUSED:
                send_locals(sys._getframe(1))
            lib.fs_statement(lineno)

        mon.register_callback(_TOOL, mon.events.LINE, on_line)
    mon.set_events(_TOOL, mon.events.LINE if on else 0)
    if on:
        mon.restart_events()


def _local_trace(frame, event, arg):
    if event == "line":
        if not _tracing:
            sys.settrace(None)
            frame.f_trace = None
            return None
        if _MODE is not None and _MODE.value == _PAUSED:
            send_locals(frame)
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


_ASSIGN = re.compile(r"^\s*([^\W\d][\w.]*(?:\s*,\s*[^\W\d][\w.]*)*)\s*=(?!=)\s*(.*)$")


def assigned_name(source_line, constructor, column=None, nth=None):
    """`lock` for `lock = Lock()`, `self.q` for `self.q = mp.Queue(3)`,
    `a, b` for `a, b = Pipe()`; '' when the line does not create the object
    straight into a variable. With as many targets as expressions
    (`tasks, results = Queue(), Queue()`), each object gets its own: the one
    whose expression holds byte `column` of the line (where the call being
    made starts), or else the `nth` created on the line."""
    m = _ASSIGN.match(source_line)
    if not m:
        return ""
    targets = [p.strip() for p in m.group(1).split(",")]
    if len(targets) > 1:
        parts = _top_level_parts(source_line, m.start(2))
        if len(parts) == len(targets):
            raw = source_line.encode("utf-8")
            if column is not None:
                index = next((i for i, (a, b) in enumerate(parts) if a <= column < b), None)
            else:
                index = nth
            if index is None or index >= len(parts):
                return ""
            a, b = parts[index]
            return targets[index] if _calls(raw[a:b].decode("utf-8", "replace"), constructor) else ""
    if not _calls(m.group(2), constructor):
        return ""
    return ", ".join(targets)


def _calls(expression, constructor):
    # `Queue(`, `mp.Queue(`, and through a call: `Manager().Queue(`.
    return re.match(r"\s*(?:[\w.]|\(\))*\b%s\s*\(" % re.escape(constructor), expression) is not None


# What `created_name` is asked for by forkscope's own side: the
# constructors of multiprocessing, threading and a manager's types.
_CONSTRUCTORS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event", "Condition", "Barrier", "Queue", "JoinableQueue", "SimpleQueue", "Pipe", "Value", "RawValue", "Array", "RawArray", "Pool", "Client", "accept", "socket", "list", "dict", "Namespace")


def warm_names():
    """Compiles the pattern `_calls` uses for each constructor (`re` keeps
    them): done by explore's ready interpreter before its forks, where
    each run's process compiled the one of its first Lock or Queue."""
    for constructor in _CONSTRUCTORS:
        _calls("", constructor)


def _top_level_parts(line, start):
    """The byte spans of the comma-separated expressions of `line` from
    character `start` on (commas inside brackets or strings do not count)."""
    raw = line.encode("utf-8")
    at = len(line[:start].encode("utf-8"))
    parts, depth, quote, begin = [], 0, None, at
    i = at
    while i < len(raw):
        c = raw[i : i + 1]
        if quote:
            if c == b"\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in (b"'", b'"'):
            quote = c
        elif c in (b"(", b"[", b"{"):
            depth += 1
        elif c in (b")", b"]", b"}"):
            depth -= 1
        elif c == b"#" and depth == 0:
            break
        elif c == b"," and depth == 0:
            parts.append((begin, i))
            begin = i + 1
        i += 1
    parts.append((begin, i))
    return [(a, b) for a, b in parts if raw[a:b].strip()] if len(parts) > 1 else parts


# Code object -> its instructions' source positions (3.11+).
_POSITIONS = {}
# (frame id, line) -> the instruction offsets of the creating calls seen on
# that line in its current execution (before 3.11, which has no columns).
_CALLS_SEEN = {}


def _call_place(f):
    """(byte column, None) where the call frame `f` is making starts, or
    (None, n): it is the n-th creating call on its line."""
    positions = getattr(f.f_code, "co_positions", None)
    if positions is not None:
        cached = _POSITIONS.get(f.f_code)
        if cached is None:
            if len(_POSITIONS) > 1000:
                _POSITIONS.clear()
            cached = _POSITIONS[f.f_code] = list(positions())
        i = f.f_lasti // 2
        if 0 <= i < len(cached) and cached[i][2] is not None:
            return cached[i][2], None
    key = (id(f), f.f_lineno)
    seen = _CALLS_SEEN.get(key)
    if seen is None or f.f_lasti < seen[-1]:
        if len(_CALLS_SEEN) > 1000:
            _CALLS_SEEN.clear()
        seen = _CALLS_SEEN[key] = [f.f_lasti]
    elif f.f_lasti not in seen:
        seen.append(f.f_lasti)
    return None, seen.index(f.f_lasti)


def created_name(constructor):
    """The name of the resource being created on the user's current line."""
    if _serving is not None:
        return _serving[0]
    f = user_frame()
    if f is None:
        return ""
    column, nth = _call_place(f)
    return assigned_name(linecache.getline(USER_FILE, f.f_lineno), constructor, column, nth)


def short_repr(obj, limit=200):
    try:
        r = repr(obj)
    except Exception as e:  # a broken __repr__ must not break a put
        r = "<%s object (repr failed: %s)>" % (type(obj).__name__, type(e).__name__)
    return r if len(r) <= limit else r[: limit - 1] + "…"
