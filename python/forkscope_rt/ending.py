"""How a Python process ends, the Python way: an uncaught exception prints
its traceback (one op on the process's stderr) and gives exit status 1,
`sys.exit(n)` gives n; the managers a process started are shut down before
it ends. Used by the program's main, a child's bootstrap and threads."""
import sys
import traceback

import forkscope_rt as rt
from forkscope_rt import hooks

# Tags of the library's text records.
_ERROR, _ASSERT = rt._abi.TEXT_ERROR, rt._abi.TEXT_ASSERT


def exit_code(e):
    """The exit status `SystemExit(e.code)` gives, printing a message code."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        sys.stderr.write(str(code) + "\n")
        sys.stderr.flush()
    except Exception:
        pass
    return 1


def run_as_python(body, prefix=""):
    """Runs `body()` and gives the exit status Python would: 0, what
    `sys.exit` said, or 1 after an uncaught exception's traceback (headed by
    `prefix`, as a child process's is)."""
    try:
        body()
        return 0
    except SystemExit as e:
        return exit_code(e)
    except BaseException:
        report_exception(prefix)
        return 1


def report_exception(prefix=""):
    """Prints the current exception's traceback as one op on stderr, and
    records it: a failed `assert` of the user's code as an assertion, any
    other exception as an error."""
    etype, value, tb = sys.exc_info()
    hooks.flush_streams()
    # As CPython prints an uncaught exception: the innermost
    # `sys.tracebacklimit` entries (1000 unless set). The traceback module
    # looks at every entry it is given, even to keep the last few (a
    # million-deep recursion took half a minute); CPython skips to them.
    limit = getattr(sys, "tracebacklimit", None)
    limit = max(1000 if not isinstance(limit, int) else limit, 0)
    depth, shown = 0, tb
    t = tb
    while t is not None:
        depth += 1
        t = t.tb_next
    for _ in range(depth - limit):
        shown = shown.tb_next
    te = traceback.TracebackException(etype, value, shown, limit=limit)
    drop_our_frames(te)
    text = prefix + "".join(te.format())
    # The line of the error: the innermost frame of the user's file.
    line = 0
    innermost = None
    while tb is not None:
        innermost = tb.tb_frame
        if innermost.f_code.co_filename == rt.USER_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    try:
        if isinstance(sys.stderr, hooks.LaneStream):
            hooks.write_block(rt._abi.STREAM_STDERR, text, line or None)
        else:
            # The program replaced sys.stderr (a file, a tee): the
            # traceback goes there, as CPython writes it.
            sys.stderr.write(text)
            sys.stderr.flush()
    except Exception:
        pass
    # `Kind: first line of the message` (a message may span lines).
    message = next((l.strip() for l in str(value).splitlines() if l.strip()), "")
    last = "%s: %s" % (etype.__name__, message) if message else etype.__name__
    user_assert = issubclass(etype, AssertionError) and innermost is not None and innermost.f_code.co_filename == rt.USER_FILE
    b, n = rt.text(last)
    rt.lib.fs_text(_ASSERT if user_assert else _ERROR, b, n, line)


def drop_our_frames(te, seen=None):
    """Frames of forkscope's runtime binding (running the program, raising a
    runtime error) are not the user's business; CPython's own
    multiprocessing frames stay, as CPython shows them."""
    seen = seen if seen is not None else set()
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if not f.filename.startswith("<forkscope>/forkscope_rt/")])
    for nested in (te.__cause__, te.__context__):
        if nested is not None:
            drop_our_frames(nested, seen)


def end_managers():
    """Shuts down the managers this process started, as CPython's exit does
    before it joins the children (their proxies fail from then on)."""
    managers = sys.modules.get("multiprocessing.managers")
    if managers is not None:
        try:
            managers._shutdown_all()
        except BaseException:
            report_exception()
