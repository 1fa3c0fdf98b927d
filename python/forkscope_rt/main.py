"""Running the user's program: main runs the file as `__main__`; a forked
child runs its Process's `run()`. Both end the Python way — an uncaught
exception prints its traceback (one op on the process's stderr) and exits 1,
`sys.exit(n)` exits n — and then through the runtime's exit handling
(daemonic children terminated, the others joined), which never returns.
"""
import atexit
import builtins
import linecache
import os
import sys
import traceback
import types

import forkscope_rt as rt
from forkscope_rt import forks, hooks, threads

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
    _drop_our_frames(te)
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


def _drop_our_frames(te, seen=None):
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
            _drop_our_frames(nested, seen)


def end_managers():
    """Shuts down the managers this process started, as CPython's exit does
    before it joins the children (their proxies fail from then on)."""
    managers = sys.modules.get("multiprocessing.managers")
    if managers is not None:
        try:
            managers._shutdown_all()
        except BaseException:
            report_exception()


def run_main(lib):
    seg = sys.argv[1] if len(sys.argv) > 1 else ""
    lane = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 0
    rt.bind(lib)
    b, n = rt.text(seg)
    if lib.fs_attach(b, n, lane) == rt.ERR:
        sys.stderr.write("forkscope: %s\n" % rt.last_error())
        os._exit(2)
    rt.attach_controls()
    spawned = rt.take(lib.fs_spawned())
    source = rt.info(rt._abi.INFO_SCRIPT)
    if source.startswith("\ufeff"):
        source = source[1:]
    path = rt.info(rt._abi.INFO_SOURCE_PATH)
    workdir = rt.info(rt._abi.INFO_WORKDIR)
    if not path:
        # A built-in lesson: its file is not on disk; name it as the lesson.
        path = rt.info(rt._abi.INFO_LESSON) + ".py"
    rt.USER_FILE = path
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    # Stepped by statement from the start: trace lines from the first one.
    rt.line()
    hooks.install()
    hooks.seed_random(lane)
    if spawned:
        run_spawned(lib, lane, spawned, source)
    import multiprocessing.process as mpp

    mpp._init_main()
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path) if os.path.isabs(path) else workdir
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    main.__spec__ = None
    main.__loader__ = None
    main.__cached__ = None
    sys.modules["__main__"] = main
    code = run_as_python(lambda: exec(compile(source, path, "exec", dont_inherit=True), main.__dict__))
    threads.wait_for_threads()
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    end_managers()
    hooks.flush_streams()
    lib.fs_finish(code)


def run_spawned(lib, lane, data, source):
    """A child started with the spawn start method: import the main module
    again as `__mp_main__` (its top-level code runs again here, as on
    Windows), then run the Process its parent pickled. Never returns."""
    import pickle

    code = 1
    hooks.stdin_closed = True
    try:
        prep = pickle.loads(data)
        sys.path[:] = prep["sys_path"]
        import multiprocessing.process as mpp

        mpp._init_spawned(prep)
        path = prep["main"]
        sys.argv = [path]
        main = types.ModuleType("__mp_main__")
        main.__file__ = path
        main.__builtins__ = builtins
        main.__spec__ = None
        sys.modules["__main__"] = sys.modules["__mp_main__"] = main
        made = []

        def bootstrap():
            exec(compile(source, path, "exec", dont_inherit=True), main.__dict__)
            state = pickle.loads(prep["process"])
            process = state["cls"].__new__(state["cls"])
            process.__dict__.update(state["state"])
            made.append(process)

        code = run_as_python(bootstrap)
        if made:
            mpp._init_child(made[0])
            code = run_as_python(made[0].run, "Process %s:\n" % made[0].name)
        threads.wait_for_threads()
        end_managers()
    finally:
        hooks.flush_streams()
        lib.fs_finish(code)


def run_child(process, lane):
    """In a child made by `os.fork()`: become `lane`, run the process, end.
    Never returns."""
    lib = rt.lib
    if lib.fs_start_child(lane) == rt.ERR:
        os._exit(255)
    code = 1
    try:
        # The parent's partial lines are the parent's to print; its pipes
        # for fd 1 and 2 too (the program's own replacements of
        # sys.stdout, sys.stderr are left as they are, as a fork leaves them).
        for s in hooks._streams:
            s.discard()
        hooks.capture_descriptors()
        forks.forget()
        hooks.stdin_closed = True
        hooks.seed_random(lane)
        import multiprocessing.process as mpp

        mpp._init_child(process)
        code = run_as_python(process.run, "Process %s:\n" % process.name)
        # Its threads that are not daemons, each wait an op (CPython joins
        # them in _exit_child's threading._shutdown, after util's
        # finalizers: by then there are none left to join).
        threads.wait_for_threads()
        run_as_python(lambda: mpp._exit_child(code))
        end_managers()
        hooks.flush_streams()
    finally:
        lib.fs_finish(code)
