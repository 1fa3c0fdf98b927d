"""Running the user's program (the entry, above everything else of the
Python side): main runs the file as `__main__`; a spawned child imports it
again as `__mp_main__` and runs its Process's `_bootstrap()` (a forked child
runs it from its start method's Popen). Each ends the Python way (see
`ending`) and then through the runtime's exit handling (daemonic children
terminated, the others joined), which never returns.
"""
import atexit
import builtins
import linecache
import os
import sys
import types

import forkscope_rt as rt
from forkscope_rt import hooks, install, threads
from forkscope_rt.ending import end_managers, run_as_python


def run_main(lib):
    seg = sys.argv[1] if len(sys.argv) > 1 else ""
    lane = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 0
    if rt.lib is not lib:
        # (A zygote's child has it bound already: see forkscope_boot.)
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
    install.install()
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
    code = run_as_python(lambda: exec(rt.program_code(source=source, name=path), main.__dict__))
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
            code = made[0]._bootstrap()
        else:
            threads.wait_for_threads()
            end_managers()
    finally:
        hooks.flush_streams()
        lib.fs_finish(code)
