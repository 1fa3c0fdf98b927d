# forkscope's boot: a run's Python process starts as
# `python3 -B -c <this file> SEGMENT LANE`.
#
# It loads forkscope's runtime (libforkscope.so, named by FORKSCOPE_LIB),
# makes forkscope's Python side importable from the library itself (nothing is
# written to disk, nothing installed), then runs the program (forkscope_rt.main).
#
# As `python3 -B -c <this file> --zygote` it stops there instead, ready, and
# serves (see `_zygote`): each request forks a process that goes on from this
# very point as a process started by the first form would.
import os
import sys

# Code objects of forkscope's Python files, by file name (see `compiled`).
_CODE = {}


def _zygote(lib):
    """A ready interpreter that forks the main process of a run on request
    (`explore` makes hundreds of runs; the interpreter and forkscope's Python
    side load once). Requests come on stdin, one a line,
    `SEGMENT<TAB>LANE<TAB>SESSION<TAB>CWD`; each is answered on stdout with
    the new process's pid, or a negative number if none was made. Ends at
    the end of stdin (its starter is gone).

    The new process is a child of its starter, as a process it started
    itself would be: made by one fork as the zygote's *sibling* (`clone`
    with `CLONE_PARENT`, see `_sibling_fork`), or where that cannot be
    done, by a double fork whose middle process ends at once (the starter
    is the child subreaper: it adopts the grandchild). It then takes what a fresh start
    would have had: its own process group (`SESSION` 1: its own session),
    stdin and stdout on /dev/null, the starter's working folder, the run's
    mark in the environment it was started with (written over this process's
    placeholder in place: `/proc/PID/environ` shows it), `sys.argv` (and
    `sys.orig_argv`) of `-c <boot> SEGMENT LANE`. PYTHONHASHSEED was the
    run's at the zygote's start (the starter keeps one zygote per seed).
    Nothing of the user's program has been imported: the child returns here
    and runs it, from its first line, as a fresh start does.

    The forks are made ahead: a *spare* waits for the next request (it reads
    the requests itself) while the run before it steps, so that a request
    costs a pipe hand-over, not two forks of this interpreter. The spare
    answers the request itself, once it has its group (the starter signals
    the group at once), and tells the zygote, which makes the next one. Each spare first says `spare PID` on stdout: one made but
    never used is the starter's child (adopted), for it to end and reap
    after the zygote.
    What the spare does before its request is what every run's main does
    first and the same for each (see `_ready`)."""
    import ctypes

    mark = "FORKSCOPE_RUN"
    placeholder = sys.argv[2].encode()
    # Where the run's name goes: over the placeholder this process was
    # started with, in its arguments and in its environment, in place —
    # what /proc/PID/cmdline and /proc/PID/environ show (fields 48-51 of
    # /proc/PID/stat say where those are).
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rpartition(b")")[2].split()
    arg_start, arg_end, env_start, env_end = (int(x) for x in fields[45:49])
    args = ctypes.string_at(arg_start, arg_end - arg_start)
    env = ctypes.string_at(env_start, env_end - env_start)
    at_arg = args.rfind(b"\0" + placeholder + b"\0")
    at_env = (b"\0" + env).find(b"\0" + mark.encode() + b"=" + placeholder + b"\0")
    where = None
    if at_arg >= 0 and at_env >= 0:
        where = (arg_start + at_arg + 1, env_start + at_env + len(mark) + 1)
    room = len(placeholder)
    # The real ones: `_ready` patches them for the runs (`forks`, `hooks`).
    fork, waitpid, _exit = os.fork, os.waitpid, os._exit
    requests, answers = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    _ready(lib)
    _learn_program(requests)

    sibling = _sibling_fork()

    def spare():
        """Forks the next spare (the starter's child: a sibling of the
        zygote, or a grandchild adopted by the starter once its parent
        ended), which reads the next request itself; returns the read end
        of a pipe on which it says `t` once it took one."""
        nonlocal sibling
        r, w = os.pipe()
        middle = -1 if sibling is None else sibling()
        direct = middle >= 0
        if not direct:
            # (Refused once: double forks from now on.)
            sibling = None
            middle = fork()
        if middle == 0:
            try:
                if direct or fork() == 0:
                    os.close(r)
                    os.write(answers, b"spare %d\n" % os.getpid())
                    if where is not None:
                        # What `ps` shows of it meanwhile: a spare, not a
                        # second zygote (whose placeholder is all dots).
                        ctypes.memmove(where[0], b"spare"[:room], min(room, 5))
                    # The starter writes a request only once the one before
                    # it was answered: what is read is one line.
                    line = b""
                    while not line.endswith(b"\n"):
                        got = os.read(requests, 4096)
                        if not got:
                            # The starter is gone.
                            _exit(0)
                        line += got
                    os.close(requests)
                    os.write(w, b"t")
                    os.close(w)
                    seg, lane, session, cwd = line[:-1].decode("utf-8", "surrogateescape").split("\t", 3)
                    encoded = seg.encode()
                    if where is None or len(encoded) > room:
                        os.write(answers, b"-22\n")
                        _exit(0)
                    if session == "1":
                        os.setsid()
                    else:
                        os.setpgid(0, 0)
                    os.chdir(cwd)
                    for at in where:
                        ctypes.memmove(at, encoded + b"\0", len(encoded) + 1)
                    os.environ[mark] = seg
                    sys.argv = [sys.argv[0], seg, lane]
                    if hasattr(sys, "orig_argv"):
                        sys.orig_argv = sys.orig_argv[:-2] + [seg, lane]
                    os.write(answers, str(os.getpid()).encode() + b"\n")
                    os.close(answers)
                    raise _Started
            except _Started:
                raise
            except BaseException:
                pass
            _exit(0)
        os.close(w)
        if not direct:
            waitpid(middle, 0)
        return r

    import select

    try:
        while True:
            taken = spare()
            got = os.read(taken, 1)
            os.close(taken)
            if not got:
                # The spare ended without a request: the starter is gone
                # (the end of the requests), or the spare was killed.
                p = select.poll()
                p.register(requests, select.POLLIN)
                if any(ev & (select.POLLHUP | select.POLLERR) for _, ev in p.poll(0)):
                    _exit(0)
    except _Started:
        return


def _sibling_fork():
    """A fork whose child is the caller's *sibling*: a child of the
    caller's parent (`clone(CLONE_PARENT)`), made by the one fork, where
    the double fork made two and the middle process's end (its page
    tables copied, its pages faulted in, its memory torn down, its
    reaping: about a millisecond of CPU a run). The rest is what
    `os.fork()` does: CPython's before/after-fork handling (its locks, its
    `os.register_at_fork` handlers) around the call, and what glibc's
    fork does that the bare system call does not: the child's thread id
    written where glibc keeps it (`CLONE_CHILD_SETTID` at the address the
    kernel has for the thread, `PR_GET_TID_ADDRESS`) and its robust-mutex
    list registered again. Only in a process with one thread (the zygote),
    as a fork of the whole process is then what glibc's fork gives.

    Returns a function that forks and gives the child's pid (0 in the
    child; -1, having made none, if the kernel refused), or None where
    this cannot be done (another architecture, a kernel without
    `PR_GET_TID_ADDRESS`, more than one thread): the caller double forks."""
    import ctypes

    numbers = {"x86_64": (56, 273, 274), "aarch64": (220, 99, 100)}.get(os.uname().machine)
    if numbers is None or len(os.listdir("/proc/self/task")) != 1:
        return None
    sys_clone, sys_set_robust, sys_get_robust = numbers
    # PyDLL: the GIL stays held through each call, as through os.fork().
    libc = ctypes.PyDLL(None, use_errno=True)
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    syscall.argtypes = [ctypes.c_long] * 6
    prctl = libc.prctl
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    tid_at = ctypes.c_void_p()
    head, size = ctypes.c_void_p(), ctypes.c_size_t()
    PR_GET_TID_ADDRESS = 40
    if prctl(PR_GET_TID_ADDRESS, ctypes.addressof(tid_at), 0, 0, 0) != 0 or not tid_at.value:
        return None
    if ctypes.c_int.from_address(tid_at.value).value != os.getpid():
        return None
    if syscall(sys_get_robust, 0, ctypes.addressof(head), ctypes.addressof(size), 0, 0, 0) != 0:
        return None
    CLONE_PARENT, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID = 0x8000, 0x1000000, 0x200000
    # What glibc's fork asks (the thread id written into the child, and
    # cleared at its end), and the parent's parent. The signal at the
    # child's end is the zygote's own (SIGCHLD), as for any CLONE_PARENT.
    flags = CLONE_PARENT | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID
    api = ctypes.pythonapi
    before, after_parent, after_child = api.PyOS_BeforeFork, api.PyOS_AfterFork_Parent, api.PyOS_AfterFork_Child
    for f in (before, after_parent, after_child):
        f.restype = None
        f.argtypes = []
    # x86_64: clone(flags, stack, parent_tid, child_tid, tls); aarch64:
    # clone(flags, stack, parent_tid, tls, child_tid).
    where = (tid_at.value, 0) if sys_clone == 56 else (0, tid_at.value)

    def fork():
        before()
        pid = syscall(sys_clone, flags, 0, 0, where[0], where[1], 0)
        if pid == 0:
            syscall(sys_set_robust, head.value, size.value, 0, 0, 0, 0)
            after_child()
        else:
            after_parent()
        return pid

    return fork


def _learn_program(requests):
    """Reads what the starter says first, `program LEN` and LEN bytes (the
    file name Python gives the program, a NUL, its source), and compiles
    and parses that program once for the runs (`forkscope_rt.ready_program`).
    Read exactly: the requests follow on the same pipe, for the spares."""
    import forkscope_rt as rt

    line = b""
    while not line.endswith(b"\n"):
        got = os.read(requests, 1)
        if not got:
            return
        line += got
    word, _, size = line.decode("ascii", "replace").partition(" ")
    if word != "program" or not size.strip().isdigit():
        return
    left = int(size)
    told = []
    while left > 0:
        got = os.read(requests, left)
        if not got:
            return
        told.append(got)
        left -= len(got)
    name, _, source = b"".join(told).decode("utf-8", "surrogateescape").partition("\0")
    if name:
        rt.ready_program(name, source)


class _Started(BaseException):
    """Leaves the zygote's loop in a spare that got its request: it goes on
    as the run's main process."""


def _ready(lib):
    """What every run's main does first and the same for each, done once in
    the zygote before its forks: the library's functions declared, the
    modules the program's start imports (forkscope's `multiprocessing`, and
    what the lane streams and signal handling import) loaded, forkscope's
    patches made (`install.prepare`) and the patterns that name a
    program's locks and queues compiled. None of it touches the run
    (nothing is attached yet)."""
    import forkscope_rt as rt

    rt.bind(lib)
    import select  # noqa: F401
    import signal  # noqa: F401

    import multiprocessing.process  # noqa: F401

    _Stash().preload(_PRELOAD)
    # After the preload, as a run's `install` comes after its imports.
    from forkscope_rt import install

    install.prepare()
    rt.warm_names()


# What the stash (see `_Stash`) holds ready: the modules the lessons import
# that a fresh start has not loaded (json), and those forkscope's
# `multiprocessing` imports at a program's first Process, Lock, Queue, Value
# or Pool. None patched by forkscope's install (socket, getpass,
# concurrent.futures: `_Stash.preload` leaves out a module whose import
# brings one in).
_PRELOAD = (
    "json",
    # What forkscope's own side imports at a run's first file op (a digest
    # of what was read or written) and first start (the target's syntax
    # tree): an extension module's load, and a built-in's types, each run.
    "_blake2",
    "_ast",
    "pickle",
    "queue",
    "multiprocessing.popen_fork",
    "multiprocessing.synchronize",
    "multiprocessing.queues",
    "multiprocessing.sharedctypes",
    "multiprocessing.pool",
)
# Imported patched (forkscope_rt.install._PATCHES): never served ready.
_PATCHED = ("socket", "getpass", "concurrent")


class _Stash:
    """Modules imported once in the zygote and kept out of `sys.modules`,
    served when (if ever) a run's process imports them: their bodies ran in
    the zygote, so the import costs a few dictionary entries instead of
    running them again in every run (json alone is 1-4 ms of a run's main).

    What a process sees is what a fresh import gives: nothing of them is in
    `sys.modules` (nor an attribute of its package) until the program
    imports one; then that module and every module its import brought in
    (`json` with `json.decoder`, `json.scanner`, `json.encoder`, `_json`)
    enter `sys.modules` together, with their own specs and loaders, each
    the same object wherever it is served from. A module is served only
    while the import would find the same files (a program's own `json.py`
    beside it, or earlier on `sys.path`, is imported instead, as CPython
    does) and none of them was imported otherwise already; else it is
    imported as usual. A meta path finder: the first one, ahead of
    forkscope's own (its `multiprocessing` modules are served too)."""

    def __init__(self):
        # name -> {module name: module} of what importing it brought in
        # (itself included), in import order.
        self.groups = {}
        sys.meta_path.insert(0, self)

    def preload(self, names):
        import importlib

        for name in names:
            before = set(sys.modules)
            try:
                importlib.import_module(name)
            except Exception:
                ok = False
            else:
                ok = True
            new = [m for m in list(sys.modules) if m not in before]
            if ok and not any(m.partition(".")[0] in _PATCHED for m in new):
                self.groups[name] = {m: sys.modules[m] for m in new}
            for m in new:
                self._forget(m)

    @staticmethod
    def _forget(name):
        module = sys.modules.pop(name, None)
        parent, _, child = name.rpartition(".")
        if parent and parent in sys.modules and getattr(sys.modules[parent], child, None) is module:
            delattr(sys.modules[parent], child)

    def _fits(self, group):
        """Whether serving `group` gives what importing it now would."""
        import importlib.machinery

        for m, module in group.items():
            if m in sys.modules:
                if sys.modules[m] is not module:
                    return False
                continue
            spec = getattr(module, "__spec__", None)
            if "." in m or spec is None or not isinstance(spec.origin, str) or not os.path.isabs(spec.origin):
                # In a package (found on its package's path), built in, or
                # forkscope's own (`<forkscope>/…`, which nothing shadows).
                continue
            found = importlib.machinery.PathFinder.find_spec(m, sys.path)
            if found is None or found.origin != spec.origin:
                return False
        return True

    def find_spec(self, fullname, path=None, target=None):
        group = self.groups.pop(fullname, None)
        if group is None:
            return None
        if not self._fits(group):
            return None
        module = group[fullname]
        orig = module.__spec__
        import importlib.machinery

        return importlib.machinery.ModuleSpec(fullname, _Served(group, orig), origin=orig.origin, is_package=orig.submodule_search_locations is not None)


class _Served:
    """The loader of a module served by `_Stash`: gives the module made in
    the zygote, its own spec back, and the rest of its group."""

    def __init__(self, group, spec):
        self.group = group
        self.spec = spec

    def create_module(self, spec):
        return self.group[spec.name]

    def exec_module(self, module):
        module.__spec__ = self.spec
        for m, mod in self.group.items():
            if m == self.spec.name or m in sys.modules:
                continue
            sys.modules[m] = mod
            parent, _, child = m.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, mod)


def _boot():
    import ctypes
    import importlib.abc
    import importlib.machinery
    import importlib.util
    import linecache

    lib = ctypes.CDLL(os.environ.pop("FORKSCOPE_LIB"))
    lib.fs_py_source.restype = ctypes.c_void_p
    lib.fs_py_source.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]

    def source(path):
        b = path.encode()
        n = ctypes.c_size_t()
        p = lib.fs_py_source(b, len(b), ctypes.byref(n))
        return None if not p else ctypes.string_at(p, n.value).decode("utf-8")

    class Loader(importlib.abc.Loader):
        def __init__(self, filename, text):
            self.filename = filename
            self.text = text

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            if module.__name__ == "multiprocessing":
                # The package's folder is CPython's: the package has the
                # modules of that folder (forkscope's own, or CPython's own
                # served on it, see Finder), so what lists them there finds
                # what imports here.
                module.__file__ = os.path.join(os.path.dirname(os.__file__), "multiprocessing", "__init__.py")
            # Tracebacks show our lines too, as they would for the stdlib.
            linecache.cache[self.filename] = (len(self.text), None, self.text.splitlines(True), self.filename)
            exec(compiled(self.filename, self.text), module.__dict__)

        def get_source(self, name):
            return self.text

    def compiled(filename, text):
        # A zygote compiled our files once (see _zygote): the same code
        # objects, run afresh in each module that imports them.
        code = _CODE.get(filename)
        if code is None or code[0] != text:
            code = _CODE[filename] = (text, compile(text, filename, "exec"))
        return code[1]

    def precompile():
        # forkscope's multiprocessing has the names of CPython's; our own
        # modules that load on first use. A file not named here still
        # compiles when imported.
        names = ["multiprocessing/" + n for n in sorted(os.listdir(os.path.join(os.path.dirname(os.__file__), "multiprocessing")))]
        names += ["forkscope_rt/%s.py" % n for n in ("sockets", "thread_sync", "libwait")]
        for name in names:
            text = source(name)
            if text is not None:
                compiled("<forkscope>/" + name, text)

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            top = fullname.partition(".")[0]
            if top not in ("multiprocessing", "forkscope_rt"):
                return None
            rel = fullname.replace(".", "/")
            for cand, package in ((rel + "/__init__.py", True), (rel + ".py", False)):
                text = source(cand)
                if text is not None:
                    filename = "<forkscope>/" + cand
                    spec = importlib.util.spec_from_loader(fullname, Loader(filename, text), origin=filename, is_package=package)
                    spec.has_location = False
                    return spec
            if top == "multiprocessing":
                # A submodule forkscope has no file of its own for
                # (`dummy`, `util`, `shared_memory`, ...): CPython's own,
                # from the interpreter's standard library, running on
                # forkscope's package; a name CPython lacks too is
                # CPython's ModuleNotFoundError.
                where = os.path.join(os.path.dirname(os.__file__), *fullname.split(".")[:-1])
                return importlib.machinery.PathFinder.find_spec(fullname, [where])
            return None

    sys.meta_path.insert(0, Finder())
    for name in [m for m in sys.modules if m == "multiprocessing" or m.startswith("multiprocessing.")]:
        del sys.modules[name]
    import forkscope_rt.main

    if sys.argv[1:2] == ["--zygote"]:
        precompile()
        _zygote(lib)
    forkscope_rt.main.run_main(lib)


_boot()
