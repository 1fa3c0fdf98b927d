"""What turns a Python program's own actions into ops: output (stdout and
stderr), `time.sleep` and the clocks, opening and reading and writing files,
`random`'s seed. Installed once in main; a forked child inherits them.

- Output: each complete line written to `sys.stdout` is one op (a print
  record); to `sys.stderr`, one op too (a stderr record). A traceback is one
  op. A partial line waits for its newline, or for `flush()`.
- `time.sleep(s)` is an op of the runtime: while the run is stepped it takes
  no wall time (virtual time). The clocks a program reads (`time.time`,
  `monotonic`, `perf_counter` and their `_ns` forms) add the virtual seconds
  slept so far, and stand still while the run is paused: stepped runs read
  the same differences every time.
- `open()` called from the user's file: the open is an op (its gate), and
  what reaches the file is recorded — truncation at open, the bytes read, the
  file's content when written data is flushed or closed (as CPython's
  buffered files do) — so the Files pane shows what a process sees.
- `random` is seeded per process from the run's seed and the process's lane.
- `input()`: the prompt is output, then the process blocks on input until
  forkscope hands it a line; EOFError at the end of input, as in CPython.
- `socket.socket()`: the program's own CPython sockets, made resources of
  the run when they listen or connect (see forkscope_rt.sockets).
"""
import builtins
import io
import os
import random
import sys
import time

import forkscope_rt as rt
from forkscope_rt import ok


# ---- output --------------------------------------------------------------------


class LaneStream(io.TextIOBase):
    """`sys.stdout` / `sys.stderr` of a process: lines become ops."""

    def __init__(self, stream, name, emit=None):
        super().__init__()
        self._stream = stream
        self._name = name
        self._buf = ""
        self._emit = emit or _emit

    @property
    def name(self):
        return self._name

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "strict"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if not s:
            return 0
        buf = self._buf + s
        if "\n" in buf:
            *lines, self._buf = buf.split("\n")
            for text in lines:
                self._emit(self._stream, text)
        else:
            self._buf = buf
        return len(s)

    def flush(self):
        if self._buf:
            text, self._buf = self._buf, ""
            self._emit(self._stream, text)

    def discard(self):
        self._buf = ""


def _emit(stream, text, line=None):
    b, n = rt.text(text)
    ok(rt.lib.fs_print(stream, b, n, rt.line() if line is None else line))


def write_block(stream, text, line=None):
    """A whole block (a traceback) as one op."""
    _emit(stream, text.rstrip("\n"), line)


def flush_streams():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass


# ---- time ------------------------------------------------------------------------

_real = {}
# Seconds slept virtually by this process (a forked child inherits its parent's).
_virtual = 0.0
# Real clock readings frozen while the run is paused.
_frozen = {}


def sleep(secs):
    global _virtual
    if not isinstance(secs, (int, float)) or isinstance(secs, bool):
        try:
            secs = secs.__float__()
        except AttributeError:
            raise TypeError("'%s' object cannot be interpreted as an integer" % type(secs).__name__) from None
    secs = float(secs)
    if secs != secs:
        raise ValueError("Invalid value NaN (not a number)")
    # The part of the sleep that was virtual (a step, or what was left of it
    # when the run was paused during it): the clocks move on by that much.
    _virtual += ok(rt.lib.fs_sleep(secs, rt.line())) / 1e9


def _clock(name, scale):
    real = _real[name]

    def now():
        if rt.paused():
            base = _frozen.get(name)
            if base is None:
                base = _frozen[name] = real()
        else:
            if _frozen:
                _frozen.clear()
            base = real()
        return base + type(base)(_virtual * scale)

    now.__name__ = name
    now.__qualname__ = name
    return now


def _install_time():
    for name, scale in (("time", 1), ("monotonic", 1), ("perf_counter", 1), ("time_ns", 1e9), ("monotonic_ns", 1e9), ("perf_counter_ns", 1e9)):
        _real[name] = getattr(time, name)
        setattr(time, name, _clock(name, scale))
    _real["sleep"] = time.sleep
    time.sleep = sleep


# ---- files ------------------------------------------------------------------------

READ, WRITE, APPEND = rt._abi.FILE_READ, rt._abi.FILE_WRITE, rt._abi.FILE_APPEND
_real_open = builtins.open
PREVIEW = 200


def _preview(data):
    if isinstance(data, bytes):
        return repr(data[:PREVIEW])
    return data[:PREVIEW]


def _file_content(path):
    try:
        with _real_open(path, "rb") as f:
            data = f.read(PREVIEW * 4)
        return data.decode("utf-8", "replace")
    except OSError:
        return ""


def _done(code, path, preview, nbytes):
    p, pn = rt.text(path)
    d, dn = rt.text(preview)
    ok(rt.lib.fs_file_done(code, p, pn, d, dn, nbytes, rt.line()))


class TrackedFile:
    """A file opened by the user's code: CPython's own file object, with the
    moments data moves recorded."""

    def __init__(self, f, path, code):
        self._f = f
        self._path = path
        self._code = code
        self._dirty = 0

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __iter__(self):
        return self

    def __next__(self):
        data = next(self._f)
        _done(READ, self._path, _preview(data), len(data))
        return data

    def __enter__(self):
        self._f.__enter__()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def read(self, *args):
        data = self._f.read(*args)
        _done(READ, self._path, _preview(data), len(data))
        return data

    def readline(self, *args):
        data = self._f.readline(*args)
        _done(READ, self._path, _preview(data), len(data))
        return data

    def readlines(self, *args):
        data = self._f.readlines(*args)
        _done(READ, self._path, _preview("".join(data) if data and isinstance(data[0], str) else b"".join(data)), sum(map(len, data)))
        return data

    def write(self, data):
        n = self._f.write(data)
        self._dirty += len(data)
        return n

    def writelines(self, lines):
        for x in lines:
            self.write(x)

    def _publish(self):
        if self._dirty:
            ok(rt.lib.fs_file_enter(self._code, rt.line()))
            n, self._dirty = self._dirty, 0
            self._f.flush()
            _done(self._code, self._path, _file_content(self._path), n)

    def flush(self):
        if self._dirty and not self._f.closed:
            self._publish()
        else:
            self._f.flush()

    def close(self):
        if not self._f.closed:
            self._publish()
        self._f.close()

    def __repr__(self):
        return repr(self._f)


def tracked_open(file, mode="r", *args, **kwargs):
    caller = sys._getframe(1)
    if caller.f_code.co_filename != rt.USER_FILE or isinstance(file, int):
        return _real_open(file, mode, *args, **kwargs)
    path = os.fspath(file)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    code = APPEND if "a" in mode else WRITE if any(c in mode for c in "wx+") else READ
    ok(rt.lib.fs_file_enter(code, caller.f_lineno))
    f = _real_open(file, mode, *args, **kwargs)
    if "w" in mode:
        _done(WRITE, path, "", 0)
    return TrackedFile(f, path, code)


# ---- input ------------------------------------------------------------------------


# A child process's stdin is closed, as CPython's multiprocessing does it
# (its `input()` raises EOFError at once): only main reads the run's input.
stdin_closed = False


def read_line(prompt=""):
    """`input()`: the prompt is output (as CPython writes it to stdout), then
    the process waits, blocked on input, for the line forkscope hands it
    (typed in the dashboard, `--input`, or forkscope's own stdin)."""
    line = rt.line()
    if prompt != "":
        sys.stdout.write(str(prompt))
        sys.stdout.flush()
    if stdin_closed:
        raise EOFError("EOF when reading a line")
    n = ok(rt.lib.fs_input(line))
    if n == rt.NOTHING:
        raise EOFError("EOF when reading a line")
    return rt.take(n).decode("utf-8", "replace")


def seed_random(lane):
    seed = ok(rt.lib.fs_number(rt._abi.NUMBER_SEED)) & 0xFFFFFFFFFFFFFFFF
    random.seed((seed * 1_000_003 + lane) & 0xFFFFFFFFFFFFFFFF)


def install():
    sys.stdout = LaneStream(rt._abi.STREAM_STDOUT, "<stdout>")
    sys.stderr = LaneStream(rt._abi.STREAM_STDERR, "<stderr>")
    _install_time()
    builtins.open = tracked_open
    builtins.input = read_line
    if "socket" in sys.modules:
        _patch_socket(sys.modules["socket"])
    else:
        sys.meta_path.insert(0, _SocketFinder())


def _patch_socket(socket):
    from forkscope_rt import sockets

    sockets.install(socket)


class _SocketFinder:
    """Patches `socket` when (if ever) it is imported: most programs never
    do, and importing it costs a few milliseconds of every start."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "socket":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec("socket")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch_socket(module)

        class _Loader:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                exec_and_patch(module)

        spec.loader = _Loader()
        return spec
