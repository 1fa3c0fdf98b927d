"""What turns a Python program's own actions into ops: output (stdout and
stderr), `time.sleep` and the clocks, opening and reading and writing files,
`random`'s seed. Installed once in main; a forked child inherits them.

- Output: each complete line written to `sys.stdout` is one op (a print
  record); to `sys.stderr`, one op too (a stderr record). A traceback is one
  op. A partial line waits for its newline, or for `flush()`. The program may
  replace `sys.stdout` / `sys.stderr` (a tee class, a file):
  `sys.__stdout__` / `sys.__stderr__` are forkscope's streams, and a
  traceback goes where `sys.stderr` points, as in CPython.
- The real descriptors 1 and 2 are read too (`Capture`): what `os.write`,
  a subprocess or `os.system` writes there shows as the process's output,
  in order with its `print()`s.
- `time.sleep(s)` is an op of the runtime: while the run is stepped it takes
  no wall time (virtual time). The clocks a program reads (`time.time`,
  `monotonic`, `perf_counter` and their `_ns` forms) add the virtual seconds
  slept so far, less the time the run spent paused: they stand still while
  the run is paused (stepped runs read the same differences every time) and
  do not jump by the paused time when it is let go. A signal ends the main
  thread's sleep as in CPython: its handler runs, and if it returns the
  sleep goes on for what was left of it.
- `open()` called from the user's file: the open is an op (its gate), and
  what reaches the file is recorded — truncation at open, the bytes read, the
  file's content when written data is flushed or closed (as CPython's
  buffered files do) — so the Files pane shows what a process sees.
- `random` is seeded per process from the run's seed and the process's lane.
- `input()`: the prompt is output, then the process blocks on input until
  forkscope hands it a line; EOFError at the end of input, as in CPython.
  `getpass.getpass()` the same, the line not echoed.
- `socket.socket()`: the program's own CPython sockets, made resources of
  the run when they listen or connect (see forkscope_rt.sockets).
- `os.fork()`, `os.wait()`, `os.waitpid()`: a forked child is a process of
  the run with its own lane (see forkscope_rt.forks).
"""
import builtins
import ctypes
import io
import os
import random
import sys
import time

import forkscope_rt as rt
from forkscope_rt import ok


# ---- output --------------------------------------------------------------------


class LaneStream(io.TextIOBase):
    """`sys.stdout` / `sys.stderr` of a process (and `sys.__stdout__` /
    `sys.__stderr__`): lines become ops. `buffer` takes bytes (decoded in the
    stream's encoding), `fileno()` is the real descriptor (1 or 2: see
    `Capture`), `reconfigure()` takes what CPython's does."""

    def __init__(self, stream, name, emit=None):
        super().__init__()
        self._stream = stream
        self._name = name
        # The partial line, in pieces: joined once, when its newline comes
        # (joining at every write made many `end=" "` prints quadratic).
        self._parts = []
        # A flushed partial line is shown: the newline that ends it later
        # adds no empty line (as on a terminal: `input()`'s prompt, getpass).
        self._shown_partial = False
        self._emit = emit or _emit
        self._encoding = "utf-8"
        self._errors = "strict" if stream == rt._abi.STREAM_STDOUT else "backslashreplace"
        self._newline = None
        self.line_buffering = False
        self.write_through = False
        self.buffer = LaneBuffer(self)

    @property
    def name(self):
        return self._name

    @property
    def mode(self):
        return "w"

    @property
    def encoding(self):
        return self._encoding

    @property
    def errors(self):
        return self._errors

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._stream

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if self.closed or self.buffer.closed:
            raise ValueError("I/O operation on closed file.")
        if not s:
            return 0
        n = len(s)
        if self._encoding != "utf-8":
            # What the encoding cannot say fails or is replaced, as in CPython.
            s = s.encode(self._encoding, self._errors).decode(self._encoding, "replace")
        if self._shown_partial:
            self._shown_partial = False
            if s[0] == "\n" and not self._parts:
                # The newline that ends the shown partial line: no empty
                # line in the log, but the console's cursor goes down.
                self._emit(self._stream, None)
                s = s[1:]
                if not s:
                    return n
        if "\n" not in s:
            self._parts.append(s)
            return n
        lines = s.split("\n")
        if self._parts:
            self._parts.append(lines[0])
            lines[0] = "".join(self._parts)
            self._parts = []
        last = lines.pop()
        for text in lines:
            self._emit(self._stream, text)
        if last:
            self._parts.append(last)
        return n

    def flush(self):
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if self._parts:
            text = "".join(self._parts)
            self._parts = []
            self._emit(self._stream, text, part=True)
            self._shown_partial = True

    def discard(self):
        self._parts = []
        self._shown_partial = False

    def close(self):
        # As a TextIOWrapper: its buffer closes with it (and one closed
        # under it, by another wrapper, closes it too).
        if not self.closed:
            try:
                self.flush()
            finally:
                super().close()
                self.buffer.close()

    def reconfigure(self, *, encoding=None, errors=None, newline=None, line_buffering=None, write_through=None):
        import codecs

        if newline is not None and newline not in ("", "\n", "\r", "\r\n"):
            raise ValueError("illegal newline value: %r" % (newline,))
        for value, what in ((encoding, "encoding"), (errors, "errors")):
            if value is not None and not isinstance(value, str):
                raise TypeError("reconfigure() argument '%s' must be str or None, not %s" % (what, type(value).__name__))
        if encoding is not None:
            encoding = codecs.lookup(encoding).name
        self.flush()
        if encoding is not None:
            self._encoding = "utf-8" if encoding == "utf-8" else encoding
            self._errors = errors if errors is not None else "strict"
            self.buffer._decoder = None
        elif errors is not None:
            self._errors = errors
        if newline is not None:
            self._newline = newline
        if line_buffering is not None:
            self.line_buffering = bool(line_buffering)
        if write_through is not None:
            self.write_through = bool(write_through)

    def __repr__(self):
        return "<_io.TextIOWrapper name='%s' mode='w' encoding='%s'>" % (self._name, self._encoding)


class LaneBuffer(io.BufferedIOBase):
    """`sys.stdout.buffer`: bytes written here are the text stream's, decoded
    in its encoding (a character cut between two writes waits for its end)."""

    def __init__(self, text):
        super().__init__()
        self._text = text
        self._decoder = None

    @property
    def name(self):
        return self._text.name

    @property
    def mode(self):
        return "wb"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._text.fileno()

    def write(self, b):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if isinstance(b, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        data = bytes(memoryview(b))
        if self._decoder is None:
            import codecs

            self._decoder = codecs.getincrementaldecoder(self._text.encoding)("replace")
        self._text.write(self._decoder.decode(data))
        return len(data)

    def flush(self):
        self._text.flush()


def _emit(stream, text, line=None, part=False):
    """One line of `stream` (an op); `part`: a partial line flushed, which
    the stream's next text continues; `text` None: the newline that ends a
    partial line shown before (not an op: the console's cursor moves on)."""
    if text is None:
        ok(rt.lib.fs_text(rt._abi.TEXT_LINE_END, b"", 0, 0))
        return
    if part:
        stream = rt._abi.STREAM_STDOUT_PART if stream == rt._abi.STREAM_STDOUT else rt._abi.STREAM_STDERR_PART
    b, n = rt.text(text)
    cap = _capture
    if cap is None:
        ok(rt.lib.fs_print(stream, b, n, rt.line() if line is None else line))
        return
    line = rt.line() if line is None else line
    # What reached the real descriptors before this line comes before it.
    # The line itself is printed outside the lock: its op may wait at the
    # gate, and another thread (a lane of its own) must still print then.
    with cap.lock:
        cap.drain()
    ok(rt.lib.fs_print(stream, b, n, line))


def write_block(stream, text, line=None):
    """A whole block (a traceback) as one op."""
    _emit(stream, text.rstrip("\n"), line)


# This process's own `sys.stdout` and `sys.stderr` (the program may replace
# `sys.stdout`; these still end the process's partial lines).
_streams = ()


def flush_streams():
    """Flushes what the program's streams hold (its own `sys.stdout`, a tee
    class, and forkscope's underneath), then what reached the descriptors.
    (Called at every start, just before the fork: the usual case — the
    program's streams are forkscope's own, holding nothing — touches as
    little as it can, as every page written after a fork is copied then.)"""
    own = _streams
    out, err = sys.stdout, sys.stderr
    if own and (out is own[0] or out is own[1]) and (err is own[0] or err is own[1]):
        for s in own:
            if s._parts:
                try:
                    s.flush()
                except Exception:
                    pass
    else:
        seen = []
        for s in (out, err) + tuple(own):
            if s is None or any(s is x for x in seen):
                continue
            seen.append(s)
            try:
                s.flush()
            except Exception:
                pass
    _drain_capture()


def _drain_capture():
    """Shows what already reached fd 1 and 2 (the capture pipes' reader)."""
    cap = _capture
    if cap is not None:
        try:
            with cap.lock:
                cap.drain(final=True)
        except Exception:
            pass


# ---- the real descriptors 1 and 2 ----------------------------------------------


class Capture:
    """What a process writes to its real file descriptors 1 and 2, under
    `sys.stdout`: `os.write(1, …)`, a subprocess (`subprocess.run`,
    `os.system`), C code. Each is a pipe whose read end only this process
    holds: a subprocess inherits the write end, as it would a terminal. What
    arrives is read as lines, each one output op of this process (standard
    output or standard error), by

    - this process itself, before each line it writes through `sys.stdout` /
      `sys.stderr` (and when it ends): whatever was written to the
      descriptors before a `print()` is shown before it, as a terminal
      shows it;
    - a reader thread (invisible to `threading`), for what arrives while
      the program prints nothing — so a subprocess that writes more than a
      pipe holds does not wait for the program (except while the program is
      blocked inside an op: the runtime's ops of one process take turns,
      and the reader's lines are ops too). It starts when something first
      arrives: until then a thread of the library waits on the pipes
      without the GIL (`fs_capture_watch`), so a process that writes only
      through `sys.stdout` runs no second Python thread.

    One lock orders the two. A partial line waits for its newline, for the
    process's next line of its own, or for its end. Standard output and
    standard error are two pipes: the order between them within one read is
    approximate (output first).
    """

    def __init__(self):
        import _thread
        # Imported at the start as before (the poll objects are made later):
        # a process's modules at its start are the same, from explore's
        # ready interpreter or not.
        import select  # noqa: F401

        self.lock = _thread.allocate_lock()
        # The thread that runs the program (the reader thread is not it).
        self.main = _thread.get_ident()
        self.pipes = {}
        # The reader thread's (blocking) and the check before each line (one
        # poll object cannot be polled by two threads at once): each made
        # when first used, as a pipe's decoder is when something first
        # arrives. Every object a forked child makes at its start is a page
        # copied (copy-on-write), and most children never write to fd 1 or 2.
        self.poll = None
        self.check = None
        for target in (1, 2):
            r, w = os.pipe()
            os.dup2(w, target)
            os.close(w)
            os.set_blocking(r, False)
            # [descriptor it stands for, decoder, partial line]
            self.pipes[r] = [target, None, ""]
        out, err = list(self.pipes)
        global _watched
        _watched = self
        if rt.lib.fs_capture_watch(out, err, _serve_address) == rt.ERR:
            _thread.start_new_thread(self._serve, ())

    def _polled(self):
        """A poll object on the pipes still open."""
        import select

        p = select.poll()
        for r in self.pipes:
            p.register(r, select.POLLIN)
        return p

    def _serve(self):
        with self.lock:
            if self.poll is None:
                self.poll = self._polled()
        while self.pipes:
            try:
                self.poll.poll()
            except Exception:
                return
            try:
                with self.lock:
                    self.drain()
            except Exception:
                # The run is over (or this process is ending): stop reading.
                return

    def drain(self, final=False):
        """Emits what arrived (call with `lock` held)."""
        # One poll when nothing came (the usual case, before every print).
        if self.check is None:
            self.check = self._polled()
        if not self.check.poll(0):
            if not final:
                return
            for p in self.pipes.values():
                if p[2]:
                    break
            else:
                return
        for r, pipe in list(self.pipes.items()):
            target, decoder, partial = pipe
            if decoder is None:
                import codecs

                decoder = pipe[1] = codecs.getincrementaldecoder("utf-8")("replace")
            chunks = []
            ended = False
            while True:
                try:
                    data = os.read(r, 1 << 16)
                except BlockingIOError:
                    break
                except OSError:
                    ended = True
                    break
                if not data:
                    ended = True
                    break
                chunks.append(decoder.decode(data))
            if ended:
                # Every write end is closed (the program closed or replaced
                # its descriptor): nothing more will come.
                for p in (self.poll, self.check):
                    if p is not None:
                        p.unregister(r)
                del self.pipes[r]
                os.close(r)
                chunks.append(decoder.decode(b"", True))
            text = partial + "".join(chunks)
            lines = text.split("\n")
            partial = lines.pop()
            if (final or ended) and partial:
                lines.append(partial)
                partial = ""
            pipe[2] = partial
            if lines:
                at = _main_thread_line()
            stream = rt._abi.STREAM_STDOUT if target == 1 else rt._abi.STREAM_STDERR
            for line in lines:
                b, n = rt.text(line)
                ok(rt.lib.fs_print(stream, b, n, at))

    def abandon(self):
        """In a forked child: these pipes are the parent's (and its reader
        thread is not here); close this process's copies of their read ends."""
        for r in list(self.pipes):
            try:
                os.close(r)
            except OSError:
                pass
        self.pipes = {}


def _main_thread_line():
    """The line the process's main thread is on in the user's file (0: keep
    the lane's): raw output belongs to the line that caused it, not to the
    reader thread that found it."""
    if _capture is None:
        return 0
    f = sys._current_frames().get(_capture.main)
    while f is not None:
        if f.f_code.co_filename == rt.USER_FILE:
            return f.f_lineno
        f = f.f_back
    return 0


_capture = None
# The capture whose pipes the library's thread watches (see Capture), and
# the callback that thread calls: made once, when this module is imported
# (in explore's zygote, before its forks), and inherited by every forked
# child, rather than a ctypes closure (a libffi trampoline) made again for
# each process.
_watched = None


def _serve_watched():
    cap = _watched
    if cap is not None:
        cap._serve()


_serve_callback = ctypes.CFUNCTYPE(None)(_serve_watched)
# Its address, taken once too (a cast at each start cost a child 40 µs).
_serve_address = ctypes.cast(_serve_callback, ctypes.c_void_p).value
# In a forked child, until it calls `capture_descriptors`: its parent's
# capture (whose reader thread did not come along, whose lock may have been
# held at the fork).
_parents = None


def capture_descriptors():
    """Makes fd 1 and 2 of this process its own pipes, read into its lane.
    A child made by `os.fork()` writes into its parent's pipes (a
    subprocess forked to exec must keep them) until it calls this: then it
    has its own, and stops holding its parent's read ends."""
    global _capture, _parents
    for old in (_capture, _parents):
        if old is not None:
            old.abandon()
    _parents = None
    _capture = Capture()


_real_exit = os._exit


def _exit(status):
    """`os._exit(status)`: what already reached fd 1 and 2 is shown first (on
    a terminal it would be there already), then the real one. (Partial lines
    of `sys.stdout` are lost, as CPython loses its buffer.)"""
    _drain_capture()
    _real_exit(status)


def _after_fork_in_child():
    global _capture, _parents
    if _capture is not None:
        _parents, _capture = _capture, None


os.register_at_fork(after_in_child=_after_fork_in_child)


# ---- time ------------------------------------------------------------------------

_real = {}
# Seconds slept virtually by this process (a forked child inherits its parent's).
_virtual = 0.0


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
    # A signal that ends the main thread's sleep runs its handler, which may
    # raise (KeyboardInterrupt); if it returns, the sleep goes on for what was
    # left of it (`fs_sleep` is one of the interruptible waits: rt._WAITS).
    _virtual += ok(rt.lib.fs_sleep(secs, rt.line())) / 1e9


def _clock(name, scale):
    real = _real[name]
    paused_ns = rt._abi.NUMBER_PAUSED_NS

    def now():
        # The time the run spent paused is left out: the clock stands still
        # while paused (and stepped), and does not jump by that time when
        # the run is let go.
        # Explore keys the lengths of this run's sleeps once a clock is read
        # (it is sent with the variables at the next gate).
        rt.clock_read = True
        base = real()
        paused = rt.lib.fs_run_number(paused_ns)
        if paused > 0:
            base -= type(base)(paused if scale != 1 else paused / 1e9)
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
    """The file's text for its preview, and the digest of all of it."""
    try:
        with _real_open(path, "rb") as f:
            whole = os.fstat(f.fileno()).st_size <= _DIGEST_MOST
            data = f.read() if whole else f.read(PREVIEW * 4)
        return data[:PREVIEW * 4].decode("utf-8", "replace"), _digest(data) if whole else 0
    except OSError:
        return "", 0


# A file bigger than this after a write gets no digest (not known).
_DIGEST_MOST = 1 << 20
_blake2b = None


def _digest(data):
    """63 bits of BLAKE2b of exactly what was read or is in the file (never
    0, which means not known): the preview is cut and flattened, the digest
    tells two contents apart (explore's seen states, docs/commands.md)."""
    global _blake2b
    if _blake2b is None:
        try:
            from _blake2 import blake2b as _blake2b  # C, without hashlib's OpenSSL start
        except ImportError:
            from hashlib import blake2b as _blake2b
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return (int.from_bytes(_blake2b(data, digest_size=8).digest(), "little") >> 1) or 1


def _done(code, path, preview, nbytes, digest=0):
    p, pn = rt.text(path)
    d, dn = rt.text(preview)
    ok(rt.lib.fs_file_done(code, p, pn, d, dn, nbytes, digest, rt.line()))


class TrackedFile:
    """A file opened by the user's code: CPython's own file object, with the
    moments data moves recorded."""

    # Its repr is CPython's file's (no op, the same every run): the
    # variables pane shows it as `python3` would, not by this class's name.
    _fs_repr_ok = True

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
        _done(READ, self._path, _preview(data), len(data), _digest(data))
        return data

    def __enter__(self):
        self._f.__enter__()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def read(self, *args):
        data = self._f.read(*args)
        _done(READ, self._path, _preview(data), len(data), _digest(data))
        return data

    def readline(self, *args):
        data = self._f.readline(*args)
        _done(READ, self._path, _preview(data), len(data), _digest(data))
        return data

    def readlines(self, *args):
        data = self._f.readlines(*args)
        whole = "".join(data) if data and isinstance(data[0], str) else b"".join(data)
        _done(READ, self._path, _preview(whole), sum(map(len, data)), _digest(whole))
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
            preview, digest = _file_content(self._path)
            _done(self._code, self._path, preview, n, digest)

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
        _done(WRITE, path, "", 0, _digest(b""))
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
    return _read(rt.lib.fs_input, line)


def _read(op, line):
    if stdin_closed:
        raise EOFError("EOF when reading a line")
    n = ok(op(line))
    if n == rt.NOTHING:
        raise EOFError("EOF when reading a line")
    return rt.take(n).decode("utf-8", "replace")


def getpass(prompt="Password: ", stream=None):
    """`getpass.getpass()`: a line of the run's input, as `input()` reads
    it, but not echoed — the log shows the prompt and the end of the line,
    as a terminal shows them, and the input op says "(not echoed)". (CPython's
    own would open the controlling terminal, which belongs to forkscope.)"""
    line = rt.line()
    out = stream if stream is not None else sys.stderr
    out.write(prompt)
    out.flush()
    try:
        return _read(rt.lib.fs_input_secret, line)
    finally:
        out.write("\n")
        out.flush()


def install():
    """Lane streams for stdout and stderr, the run's clocks and sleeps,
    `open`, `input` and `os._exit` (see `install.install` for the rest;
    the capture of descriptors 1 and 2 is the process's own, made once it
    is attached: `capture_descriptors`)."""
    global _streams
    _streams = (LaneStream(rt._abi.STREAM_STDOUT, "<stdout>"), LaneStream(rt._abi.STREAM_STDERR, "<stderr>"))
    sys.stdout = sys.__stdout__ = _streams[0]
    sys.stderr = sys.__stderr__ = _streams[1]
    _install_time()
    builtins.open = tracked_open
    builtins.input = read_line
    os._exit = _exit


def seed_random(lane):
    seed = ok(rt.lib.fs_run_number(rt._abi.NUMBER_SEED)) & 0xFFFFFFFFFFFFFFFF
    random.seed((seed * 1_000_003 + lane) & 0xFFFFFFFFFFFFFFFF)


