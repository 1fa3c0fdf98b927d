"""forkscope's `Manager()` / `SyncManager`: a real manager process
(`SyncManager-N`, a child of the process that starts it, on its own lane)
and proxies that may be pickled anywhere in the run (Process and Pool
arguments, a spawned child, a message on a queue).

How it is built (CPython's protocol, forkscope's channels):

- **Requests.** The manager serves one request queue (a run's queue, made by
  the starting process and named `SyncManager-N requests`); each process (each
  thread) that talks to it has its own reply queue (`SyncManager-N replies to
  Process-2`), made on its first request. A request is a put, its answer a
  get: both are ops the dashboard shows, stepping stays deterministic, and
  the manager's lane idles blocked on its request queue. A request carries
  the requester's line and lane: the manager's ops show the line they
  serve.
- **Objects in the manager.** `dict`, `list`, `Namespace`, `Value`, `Array`
  and types given to `register` live in the manager process; a proxy's method
  is a request and a reply, as in CPython (values cross pickled; exceptions
  such as KeyError are raised again in the caller). The SyncManager's data
  objects (`dict`, `list`, `Namespace`, `Value`, `Array`) are on record:
  the manager writes each read or change it serves, with its value, for the
  process that asked (`Process-2 read account['balance'] = 1000`), so a
  lost update through a proxy reads down the log as a shared Value's does.
- **Primitives.** `Queue`, `JoinableQueue`, `Lock`, `RLock`, `Semaphore`,
  `BoundedSemaphore`, `Event`, `Condition` and `Barrier` are the runtime's own
  primitives, made by the manager process (so its lane is their creator) and
  named after the variable of the creating line (`q = m.Queue()` → `q`).
  Their proxies call the runtime directly, so a process waiting on a managed
  queue or lock is blocked on that resource like any other; the errors of
  misuse are those of the `threading`/`queue` objects a CPython manager holds.
  Only their `str()` goes to the manager, which reads their state there.
- **Ends.** `shutdown()`, leaving `with`, the manager's garbage collection,
  or the end of the process that started it (before its children are
  joined, as in CPython) stop the manager: it answers what is still queued
  with EOFError and exits 0. A request to a stopped manager raises
  BrokenPipeError (FileNotFoundError from a process that never talked to it).

Not as CPython: the manager serves one request at a time (CPython serves each
connection in a thread), so a method of a registered type that blocks holds
up every other request; objects live until the manager stops (no reference
counting); managers are in the run only: `address` is the run's (a
manager's name, lane and request queue), `connect()` reaches a manager or a
`get_server()` Server of the run by it, not one elsewhere.
"""
import array
import os
import pickle
import signal
import sys
import threading
import traceback
import types
import weakref

import forkscope_rt as rt

from . import _common, process, queues, synchronize
from ._common import ProcessError

__all__ = ["BaseManager", "SyncManager", "BaseProxy", "Token", "Namespace", "Value", "Array", "RemoteError", "MakeProxyType", "AutoProxy", "SharedMemoryManager"]


class RemoteError(Exception):
    def __str__(self):
        return "\n" + "-" * 75 + "\n" + str(self.args[0]) + "-" * 75


class State:
    __slots__ = ["value"]
    INITIAL = 0
    STARTED = 1
    SHUTDOWN = 2


class Token:
    """Names a shared object: its typeid, its manager's address, its id there.
    The address is (manager's name, its lane, its request queue)."""

    __slots__ = ("typeid", "address", "id")

    def __init__(self, typeid, address, id):
        (self.typeid, self.address, self.id) = (typeid, address, id)

    def __getstate__(self):
        return (self.typeid, self.address, self.id)

    def __setstate__(self, state):
        (self.typeid, self.address, self.id) = state

    def __repr__(self):
        return "%s(typeid=%r, address=%r, id=%r)" % (type(self).__name__, self.typeid, self.address, self.id)


# ---- the channel: a request queue per manager, a reply queue per caller -----

# (address, pid, thread) -> the reply queue of this thread for that manager.
_replies = {}


def _named(name, make):
    """`make()` creates a resource called `name` (on the current line)."""
    saved = rt._serving
    rt.serving(name, rt.line() if saved is None else saved[1])
    try:
        return make()
    finally:
        rt._serving = saved


# In a manager process: (its request queue's id, its server).
_self_server = None


def _ask(address, request, shown):
    """Sends `request` to the manager at `address` and waits for its answer,
    (kind, value)."""
    name, lane, requests = address
    if _self_server is not None and _self_server[0] == requests and request[0] == "call":
        # The manager calling an object of its own (a callback of a Pool it
        # holds): answered here, as CPython's server (a thread per client)
        # would; this one has one thread, which is busy with the caller.
        _self_server[1].asker = _my_lane()
        kind, value = _self_server[1].answer(request)
        if kind in ("#RETURN", "#ERROR"):
            value = pickle.loads(pickle.dumps(value))
        return kind, value
    key = (address, os.getpid(), threading.get_ident())
    reply = _replies.get(key)
    if rt.lib.fs_exitcode(lane) != rt.NOTHING:
        # CPython: the connection was closed / the socket file is gone.
        if reply is not None:
            raise BrokenPipeError(32, "Broken pipe")
        raise FileNotFoundError(2, "No such file or directory")
    if reply is None:
        me = process.current_process()
        reply = _named("%s replies to %s" % (name, me.name), queues.Queue)
        _replies[key] = reply
    queues.Queue._of(requests)._put((reply._id, rt.line(), _my_lane()) + request, True, None, 0, shown)
    return reply._get(True, None, 0)


def _my_lane():
    """The lane of the calling thread (who asks the manager)."""
    return rt.lib.fs_run_number(rt._abi.NUMBER_LANE)


def _answer(kind, result):
    if kind == "#RETURN":
        return result
    if kind == "#ERROR":
        raise result
    if kind == "#TRACEBACK":
        raise RemoteError(result)
    raise ValueError("Unrecognized message type %r" % kind)


def _args_shown(args, kwds):
    parts = [rt.short_repr(a, 60) for a in args] + ["%s=%s" % (k, rt.short_repr(v, 60)) for k, v in kwds.items()]
    return ", ".join(parts)


# ---- the manager process -------------------------------------------------------


def _public_methods(obj):
    return tuple(name for name in dir(obj) if name[0] != "_" and callable(getattr(obj, name, None)))


def _local(arg):
    """In the manager: a primitive's proxy given as an argument (a
    Condition's lock) stands for the primitive itself."""
    return arg._obj if isinstance(arg, _PrimitiveProxy) else arg


def _shared(obj):
    """A runtime primitive, pickled to be handed to other processes (its
    runtime id; allowed here as while spawning, see _common.assert_spawning)."""
    saved, _common.spawning = _common.spawning, []
    try:
        return pickle.dumps(obj)
    finally:
        _common.spawning = saved


class _Server:
    """The manager process's state: the objects it holds, by id."""

    def __init__(self, registry):
        self.registry = registry
        # id -> (object, typeid, exposed, method_to_typeid, creation args)
        self.objects = {}
        # id -> the run's resource of a data object (see _DATA)
        self.on_record = {}
        # The lane of the request being served.
        self.asker = 0

    def serve(self, requests):
        while True:
            msg = requests._get(True, None, 0)
            reply, line, self.asker, what = msg[:4]
            rt.serving("", line)
            answer = self.answer(msg[3:])
            # The list names objects by their addresses, which differ from
            # run to run; records must not.
            self.send(reply, answer, "%d objects" % len(self.objects) if what == "debug_info" else None)
            if what == "shutdown":
                break
        # What the manager's objects hold outside the run goes with it
        # (a SharedMemoryManager's segments).
        for obj, *_ in list(self.objects.values()):
            end = getattr(type(obj), "_at_server_end", None)
            if end is not None:
                end(obj)
        # Whoever is still waiting hears that the manager is gone.
        import queue

        while True:
            try:
                msg = requests._get(False, None, 1)
            except queue.Empty:
                break
            self.send(msg[0], ("#ERROR", EOFError()))

    def answer(self, request):
        """The answer to `request` (what, args…): (kind, value)."""
        what = request[0]
        try:
            if what in ("shutdown", "ready"):
                return ("#RETURN", None)
            if what == "number_of_objects":
                return ("#RETURN", len(self.objects))
            if what == "debug_info":
                return ("#RETURN", self.debug_info())
            if what == "create":
                # As CPython's server: a failed creation is its traceback.
                try:
                    return self.create(*request[1:])
                except Exception:
                    return ("#TRACEBACK", traceback.format_exc())
            return self.call(*request[1:])
        except BaseException as e:
            return ("#ERROR", e)

    def debug_info(self):
        """The objects held, one entry each, in the order they were made
        (as CPython's server lists them, but with no reference count: this
        server keeps every object until it shuts down; and by typeid, not
        by `str()`, which for a primitive would be an op of its own)."""
        return "\n".join("  %s:       kept\n    %s" % (oid, entry[1]) for oid, entry in self.objects.items())

    def send(self, reply, answer, shown=None):
        kind, value = answer
        q = queues.Queue._of(reply)
        if shown is not None:
            pass
        elif kind in ("#ERROR", "#RETURN"):
            shown = rt.short_repr(value)
        elif kind == "#TRACEBACK":
            shown = "RemoteError"
        else:
            # A new shared object: its typeid (its id is an address, which
            # differs from run to run; records must not).
            shown = "new %s" % self.objects[value[0] if kind != "#PROXY" else value[1]][1]
        try:
            q._put(answer, True, None, 0, shown)
        except Exception:
            q._put(("#TRACEBACK", traceback.format_exc()), True, None, 0, "RemoteError")

    def keep(self, obj, typeid, exposed, m2t, made=()):
        oid = "%x" % id(obj)
        if exposed is None:
            exposed = _public_methods(obj)
        self.objects[oid] = (obj, typeid, tuple(exposed), m2t, made)
        return oid, tuple(exposed)

    def create(self, typeid, args, kwds, name):
        made, exposed, m2t, proxytype = self.registry[typeid]
        args = tuple(_local(a) for a in args)
        kwds = {k: _local(v) for k, v in kwds.items()}
        if made is None:
            if len(args) != 1 or kwds:
                raise TypeError("a typeid registered without a callable is created from one object")
            obj = args[0]
        else:
            saved = rt._serving
            rt.serving(name, saved[1])
            try:
                obj = made(*args, **kwds)
            finally:
                rt._serving = saved
        oid, exposed = self.keep(obj, typeid, exposed, m2t, (args, kwds))
        if typeid in _DATA and self.registry.get(typeid) is SyncManager._registry.get(typeid):
            kb, kn = rt.text(typeid)
            vb, vn = rt.text(_now(obj))
            b, n = rt.text(name)
            self.on_record[oid] = rt.ok(rt.lib.fs_managed_new(kb, kn, vb, vn, b, n, rt.line()))
        if getattr(proxytype, "_direct", False) or typeid in _PRIMITIVES:
            return ("#PRIM", (oid, exposed, _shared(obj)))
        return ("#OBJ", (oid, exposed))

    def call(self, oid, method, args, kwds):
        # As CPython's server: an unknown object or a method that is not
        # exposed is the server's own error, sent back as its traceback
        # (RemoteError), not as the caller's exception.
        try:
            try:
                obj, typeid, exposed, m2t, made = self.objects[oid]
            except KeyError:
                raise KeyError(oid) from None
            if method not in exposed and method not in ("#GETVALUE", "__repr__", "__str__"):
                raise AttributeError("method %r of %r object is not in exposed=%r" % (method, type(obj), exposed))
        except (KeyError, AttributeError):
            return ("#TRACEBACK", traceback.format_exc())
        if method == "#GETVALUE":
            if oid in self.on_record:
                _on_record(self.on_record[oid], self.asker, typeid, obj, method, args, obj, None)
            return ("#RETURN", obj)
        if method == "__repr__" and typeid in _PRIMITIVES:
            return ("#RETURN", _PRIMITIVES[typeid](obj, oid, made))
        if method in ("__repr__", "__str__") and method not in exposed:
            if oid in self.on_record:
                _on_record(self.on_record[oid], self.asker, typeid, obj, method, args, obj, None)
            return ("#RETURN", repr(obj) if method == "__repr__" else str(obj))
        res = self.on_record.get(oid)
        if res is None:
            result = getattr(obj, method)(*args, **kwds)
        else:
            try:
                result = getattr(obj, method)(*args, **kwds)
            except BaseException as e:
                _on_record(res, self.asker, typeid, obj, method, args, e, None, raised=True)
                raise
            _on_record(res, self.asker, typeid, obj, method, args, result, m2t and m2t.get(method))
        typeid = m2t and m2t.get(method)
        if typeid:
            _, rexposed, rm2t, proxytype = self.registry[typeid]
            roid, rexposed = self.keep(result, typeid, rexposed, rm2t)
            return ("#PROXY", (typeid, roid, rexposed, proxytype))
        return ("#RETURN", result)


# ---- a data object's reads and writes, on record -------------------------------

# The SyncManager's data types: each one's calls are on record (the manager
# writes each read or change with its value, for the process that asked;
# see runtime::sync::managed). Primitives are the runtime's own resources;
# a registered type of the program's own has methods whose effect is unknown.
_DATA = ("dict", "list", "Value", "Array", "Namespace")

# Calls that only read their object.
_READS = frozenset((
    "__getitem__", "get", "__contains__", "__len__", "keys", "values", "items", "copy", "count", "index",
    "__iter__", "__add__", "__mul__", "__rmul__", "__reversed__", "#GETVALUE", "__repr__", "__str__",
    "__getattribute__",
))


def _now(obj):
    """The object as its repr shows it, without addresses."""
    return rt._ADDRESS.sub("", rt.short_repr(obj))


def _key(k):
    """An index as the program wrote it: `'balance'`, `0`, `1:3`."""
    if isinstance(k, slice):
        return ":".join("" if x is None else repr(x) for x in (k.start, k.stop)) + (":%r" % k.step if k.step is not None else "")
    return rt._short(k)


def _on_record(res, asker, typeid, obj, method, args, result, made, raised=False):
    """Puts a served call of a data object on record: a read of an item or
    attribute, its change, or another method, with the value read or
    written (a change: also the object after it); `made`: the typeid of the
    proxy the call returns; `raised`: `result` is the exception it raised."""
    import json

    write = method not in _READS
    read = "raised " + rt._short(result) if raised else "new %s" % made if made else rt._short(result)
    if method in ("__getitem__", "get") and args:
        d = {"at": "[%s]" % _key(args[0]), "value": read}
    elif method == "__setitem__" and len(args) == 2:
        d = {"at": "[%s]" % _key(args[0]), "value": rt._short(args[1])}
    elif typeid == "Value" and method in ("get", "set"):
        d = {"at": ".value", "value": read if method == "get" else rt._short(args[0] if args else None)}
    elif method == "__getattribute__" and args:
        d = {"at": "." + str(args[0]), "value": read}
    elif method == "__setattr__" and len(args) == 2:
        d = {"at": "." + str(args[0]), "value": rt._short(args[1])}
    elif method in ("#GETVALUE", "__repr__", "__str__"):
        d = {"at": "", "value": _now(obj)}
    else:
        call = ".%s(%s)" % (method, ", ".join(_key(a) for a in args))
        d = {"call": call, "value": _now(obj) if write and not raised else read}
    if write:
        d["now"] = _now(obj)
    text = json.dumps(d)
    b, n = rt.text(text)
    rt.ok(rt.lib.fs_managed_access(res, 1 if write else 0, asker, b, n, rt.line()))


def _run_server(registry, requests, initializer=None, initargs=()):
    """The manager process's target: serves until shut down."""
    # As CPython's: Ctrl-C in the terminal is for the program, not its manager.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rt.serving("", rt.line())
    if initializer is not None:
        initializer(*initargs)
    global _self_server
    server = _Server(registry)
    _self_server = (requests._id, server)
    server.serve(requests)


# ---- managers ----------------------------------------------------------------

# (pid, finalizer) of every manager started here: the end of the process
# that started one shuts it down (see forkscope_rt.ending).
_started = []


def _shutdown_all():
    """Shuts down the managers this process started and has not shut down."""
    for pid, stop in list(_started):
        if pid == os.getpid():
            stop()


def _finalize_manager(process_, address, state, pid):
    if os.getpid() != pid:
        return  # a forked child's copy of the manager object
    if process_.is_alive():
        try:
            _ask(address, ("shutdown",), "shutdown")
        except Exception:
            pass
        process_.join()
    state.value = State.SHUTDOWN


def _not_here(what):
    raise NotImplementedError("forkscope's managers run in the run only: %s is not available (start one with Manager() or manager.start())" % what)


class Server:
    """CPython's manager Server: `serve_forever()` serves the registry's
    objects in the process that calls it, on a request queue of the run
    (made here; `address` names it, for a manager's connect()). `listener`
    stands for CPython's connection.Listener: closing it means no serving."""

    def __init__(self, registry, name):
        self.registry = registry
        self._requests = _named(name + " requests", queues.Queue)
        self.address = (name, rt.lib.fs_run_number(rt._abi.NUMBER_LANE), self._requests._id)
        self.listener = _ServerListener(self.address)

    def serve_forever(self):
        if self.listener._closed:
            raise OSError("handle is closed")
        global _self_server
        server = _Server(self.registry)
        _self_server = (self._requests._id, server)
        try:
            server.serve(self._requests)
        finally:
            _self_server = None
        sys.exit(0)


class _ServerListener:
    """A Server's listener: its address, and close()."""

    def __init__(self, address):
        self.address = address
        self._closed = False

    def close(self):
        self._closed = True


class BaseManager:
    """Base class for managers."""

    _registry = {}

    def __init__(self, address=None, authkey=None, serializer="pickle", ctx=None, *, shutdown_timeout=1.0):
        if authkey is None:
            authkey = process.current_process().authkey
        self._address = address
        self._authkey = bytes(authkey)
        self._state = State()
        self._state.value = State.INITIAL
        self._serializer = serializer
        self._ctx = ctx or _common.default_context.get_context()
        self._shutdown_timeout = shutdown_timeout
        self._process = None

    def _check_initial(self):
        if self._state.value != State.INITIAL:
            if self._state.value == State.STARTED:
                raise ProcessError("Already started server")
            if self._state.value == State.SHUTDOWN:
                raise ProcessError("Manager has shut down")
            raise ProcessError("Unknown state {!r}".format(self._state.value))

    def get_server(self):
        """A server for this manager's registry, served by the process that
        calls its serve_forever() (CPython's Server; its address is the
        run's, for connect() from any process of the run)."""
        self._check_initial()
        return Server(self._registry, type(self).__name__ + "-server")

    def connect(self):
        """Connects to the manager (or server) at this manager's address: one
        of the run's (`manager.address`, `server.address`)."""
        address = self._address
        if not (isinstance(address, tuple) and len(address) == 3 and isinstance(address[0], str) and isinstance(address[1], int) and isinstance(address[2], int)):
            _not_here("connect() to %r (a manager outside the run)" % (address,))
        # As CPython's connect(), which talks to the server at once.
        _ask(address, ("ready",), "connect")
        self._state.value = State.STARTED

    def start(self, initializer=None, initargs=()):
        """Starts the manager process."""
        self._check_initial()
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._process = self._ctx.Process(target=_run_server)
        ident = ":".join(str(i) for i in self._process._identity)
        name = type(self).__name__ + "-" + ident
        self._process.name = name
        requests = _named(name + " requests", queues.Queue)
        self._process._args = (self._registry, requests, initializer, tuple(initargs))
        self._process.start()
        self._address = (name, self._process._lane, requests._id)
        self._state.value = State.STARTED
        self.shutdown = weakref.finalize(self, _finalize_manager, self._process, self._address, self._state, os.getpid())
        _started.append((os.getpid(), self.shutdown))
        if initializer is not None:
            # As CPython's start(), which returns once the server is up: what
            # the initializer did is done (the server answers after it).
            _ask(self._address, ("ready",), "ready")

    def _create(self, typeid, /, *args, **kwds):
        """Creates a shared object in the manager: (token, exposed, shared
        primitive or None)."""
        assert self._state.value == State.STARTED, "server not yet started"
        name = kwds.pop("_forkscope_name", "")
        kind, value = _ask(self._address, ("create", typeid, args, kwds, name), "create %s(%s)" % (typeid, _args_shown(args, kwds)))
        if kind == "#PRIM":
            oid, exposed, state = value
            return Token(typeid, self._address, oid), exposed, state
        if kind == "#OBJ":
            oid, exposed = value
            return Token(typeid, self._address, oid), exposed, None
        _answer(kind, value)

    def _number_of_objects(self):
        """How many shared objects the manager holds: every one made since
        it started (it counts no references and drops none before it shuts
        down; CPython's drops an object when its last proxy goes)."""
        return _answer(*_ask(self._address, ("number_of_objects",), "number_of_objects"))

    def _debug_info(self):
        """The shared objects the manager holds, one entry each."""
        return _answer(*_ask(self._address, ("debug_info",), "debug_info"))

    def join(self, timeout=None):
        """Joins the manager process (if it has been started)."""
        if self._process is not None:
            self._process.join(timeout)
            if not self._process.is_alive():
                self._process = None

    def __enter__(self):
        if self._state.value == State.INITIAL:
            self.start()
        if self._state.value != State.STARTED:
            if self._state.value == State.SHUTDOWN:
                raise ProcessError("Manager has shut down")
            raise ProcessError("Unknown state {!r}".format(self._state.value))
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.shutdown()

    @property
    def address(self):
        return self._address

    @classmethod
    def register(cls, typeid, callable=None, proxytype=None, exposed=None, method_to_typeid=None, create_method=True):
        """Registers a type (or callable) with the manager class."""
        if "_registry" not in cls.__dict__:
            cls._registry = cls._registry.copy()
        if proxytype is None:
            proxytype = AutoProxy
        exposed = exposed or getattr(proxytype, "_exposed_", None)
        method_to_typeid = method_to_typeid or getattr(proxytype, "_method_to_typeid_", None)
        if method_to_typeid:
            for key, value in list(method_to_typeid.items()):
                assert type(key) is str, "%r is not a string" % key
                assert type(value) is str, "%r is not a string" % value
        cls._registry[typeid] = (callable, exposed, method_to_typeid, proxytype)
        if create_method:

            def temp(self, /, *args, **kwds):
                name = rt.created_name(typeid)
                token, exp, state = self._create(typeid, *args, _forkscope_name=name, **kwds)
                extra = {"state": state} if state is not None else {}
                proxy = proxytype(token, self._serializer, manager=self, authkey=self._authkey, exposed=exp, **extra)
                object.__setattr__(proxy, "_shown", name)
                return proxy

            temp.__name__ = typeid
            setattr(cls, typeid, temp)


# ---- proxies -----------------------------------------------------------------


class BaseProxy:
    """A base for proxies of shared objects."""

    _shown = ""

    def __init__(self, token, serializer="pickle", manager=None, authkey=None, exposed=None, incref=True, manager_owned=False):
        self._token = token
        self._id = token.id
        self._manager = manager
        self._serializer = serializer
        self._owned_by_manager = manager_owned
        if authkey is not None:
            self._authkey = bytes(authkey)
        elif manager is not None:
            self._authkey = manager._authkey
        else:
            # A spawned child unpickles its Process's proxies while it is
            # still bootstrapping (no authkey yet).
            self._authkey = getattr(process.current_process(), "authkey", None)

    def _callmethod(self, methodname, args=(), kwds={}):
        """Calls a method of the referent in the manager; a copy of its result."""
        shown = "%s.%s(%s)" % (self._shown or self._token.typeid, methodname, _args_shown(args, kwds))
        kind, result = _ask(self._token.address, ("call", self._id, methodname, tuple(args), dict(kwds)), shown)
        if kind == "#PROXY":
            typeid, oid, exposed, proxytype = result
            return proxytype(Token(typeid, self._token.address, oid), self._serializer, manager=self._manager, authkey=self._authkey, exposed=exposed)
        return _answer(kind, result)

    def _getvalue(self):
        """A copy of the referent's value."""
        return self._callmethod("#GETVALUE")

    def _rebuild_args(self):
        kwds = {"shown": self._shown}
        if getattr(self, "_isauto", False):
            kwds["exposed"] = self._exposed_
            return AutoProxy, kwds
        return type(self), kwds

    def __reduce__(self):
        func, kwds = self._rebuild_args()
        return (RebuildProxy, (func, self._token, self._serializer, kwds))

    def __deepcopy__(self, memo):
        return self._getvalue()

    def __repr__(self):
        return "<%s object, typeid %r at %#x>" % (type(self).__name__, self._token.typeid, id(self))

    def __str__(self):
        """The referent's representation (or a fall-back if that fails)."""
        try:
            return self._callmethod("__repr__")
        except Exception:
            return repr(self)[:-1] + "; '__str__()' failed>"


def RebuildProxy(func, token, serializer, kwds):
    """Unpickles a proxy."""
    kwds = dict(kwds)
    shown = kwds.pop("shown", "")
    proxy = func(token, serializer, incref=False, **kwds)
    object.__setattr__(proxy, "_shown", shown)
    return proxy


def _remote(name):
    def method(self, /, *args, **kwds):
        return self._callmethod(name, args, kwds)

    method.__name__ = method.__qualname__ = name
    return method


def MakeProxyType(name, exposed, _cache={}):
    """A proxy type whose methods are the names in `exposed`."""
    exposed = tuple(exposed)
    try:
        return _cache[(name, exposed)]
    except KeyError:
        pass
    ProxyType = type(name, (BaseProxy,), {meth: _remote(meth) for meth in exposed})
    ProxyType._exposed_ = exposed
    _cache[(name, exposed)] = ProxyType
    return ProxyType


def AutoProxy(token, serializer, manager=None, authkey=None, exposed=None, incref=True, manager_owned=False, state=None):
    """A proxy for `token` with the methods the manager exposes."""
    if exposed is None:
        raise ValueError("forkscope's AutoProxy needs the exposed methods (the manager gives them at creation)")
    if state is not None:
        ProxyType = _direct_type("AutoProxy[%s]" % token.typeid, _QueueProxy, exposed)
        proxy = ProxyType(token, serializer, manager=manager, authkey=authkey, state=state)
    else:
        ProxyType = MakeProxyType("AutoProxy[%s]" % token.typeid, exposed)
        proxy = ProxyType(token, serializer, manager=manager, authkey=authkey, manager_owned=manager_owned)
    proxy._isauto = True
    return proxy


# ---- proxies of the runtime's primitives --------------------------------------


class _PrimitiveProxy(BaseProxy):
    """A proxy of a primitive the manager made in the run's shared memory:
    its calls go straight to the runtime (only str() asks the manager)."""

    _direct = True

    def __init__(self, token, serializer="pickle", manager=None, authkey=None, exposed=None, incref=True, manager_owned=False, state=None):
        super().__init__(token, serializer, manager, authkey, exposed, incref, manager_owned)
        self._state = state
        self._obj = pickle.loads(state)

    def _rebuild_args(self):
        func, kwds = super()._rebuild_args()
        kwds["state"] = self._state
        return func, kwds

    # What `threading`'s objects (those a CPython manager holds) say where
    # forkscope's multiprocessing ones say otherwise: (type, message) -> exception.
    _threading_errors = {}

    def _do(self, method, *args):
        try:
            return getattr(self._obj, method)(*args)
        except (AssertionError, ValueError) as e:
            make = self._threading_errors.get((self._token.typeid, method, type(e), str(e)))
            if make is None:
                raise
            raise make() from None


_RELEASE_ERROR = "semaphore or lock released too many times"
_RLOCK_ERROR = "attempt to release recursive lock not owned by thread"


class AcquirerProxy(_PrimitiveProxy):
    _exposed_ = ("acquire", "release")
    _threading_errors = {
        ("Lock", "release", ValueError, _RELEASE_ERROR): lambda: RuntimeError("release unlocked lock"),
        ("RLock", "release", AssertionError, _RLOCK_ERROR): lambda: RuntimeError("cannot release un-acquired lock"),
        ("BoundedSemaphore", "release", ValueError, _RELEASE_ERROR): lambda: ValueError("Semaphore released too many times"),
        ("Condition", "release", ValueError, _RELEASE_ERROR): lambda: RuntimeError("release unlocked lock"),
        ("Condition", "release", AssertionError, _RLOCK_ERROR): lambda: RuntimeError("cannot release un-acquired lock"),
        ("Condition", "wait", AssertionError, "lock is not owned"): lambda: RuntimeError("cannot wait on un-acquired lock"),
        ("Condition", "notify", AssertionError, "lock is not owned"): lambda: RuntimeError("cannot notify on un-acquired lock"),
        ("Condition", "notify_all", AssertionError, "lock is not owned"): lambda: RuntimeError("cannot notify on un-acquired lock"),
    }

    def acquire(self, blocking=True, timeout=None):
        # threading's checks: a Lock's (_thread) or a Semaphore's (Python).
        semaphore = self._token.typeid in ("Semaphore", "BoundedSemaphore")
        if not blocking and timeout is not None and (semaphore or timeout != -1):
            raise ValueError("can't specify timeout for non-blocking acquire" if semaphore else "can't specify a timeout for a non-blocking call")
        if not semaphore and timeout is not None and timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be positive")
        return self._do("acquire", blocking, None if timeout == -1 else timeout)

    def release(self):
        return self._do("release")

    def __enter__(self):
        return self._do("acquire")

    def __exit__(self, exc_type, exc_val, exc_tb):
        return self._do("release")


class ConditionProxy(AcquirerProxy):
    _exposed_ = ("acquire", "release", "wait", "notify", "notify_all")

    def wait(self, timeout=None):
        return self._do("wait", timeout)

    def notify(self, n=1):
        return self._do("notify", n)

    def notify_all(self):
        return self._do("notify_all")

    def wait_for(self, predicate, timeout=None):
        return self._obj.wait_for(predicate, timeout)


class EventProxy(_PrimitiveProxy):
    _exposed_ = ("is_set", "set", "clear", "wait")

    def is_set(self):
        return self._obj.is_set()

    def set(self):
        return self._obj.set()

    def clear(self):
        return self._obj.clear()

    def wait(self, timeout=None):
        return self._obj.wait(timeout)


class BarrierProxy(_PrimitiveProxy):
    _exposed_ = ("__getattribute__", "wait", "abort", "reset")

    def wait(self, timeout=None):
        return self._obj.wait(timeout)

    def abort(self):
        return self._obj.abort()

    def reset(self):
        return self._obj.reset()

    @property
    def parties(self):
        return self._obj.parties

    @property
    def n_waiting(self):
        return self._obj.n_waiting

    @property
    def broken(self):
        return self._obj.broken


class _QueueProxy(_PrimitiveProxy):
    """A managed Queue: CPython's manager holds a `queue.Queue` (so it has
    task_done and join too); here the run's joinable queue."""

    def put(self, obj, block=True, timeout=None):
        return self._obj.put(obj, block, timeout)

    def put_nowait(self, obj):
        return self._obj.put_nowait(obj)

    def get(self, block=True, timeout=None):
        return self._obj.get(block, timeout)

    def get_nowait(self):
        return self._obj.get_nowait()

    def qsize(self):
        return self._obj.qsize()

    def empty(self):
        return self._obj.empty()

    def full(self):
        return self._obj.full()

    def task_done(self):
        return self._obj.task_done()

    def join(self):
        return self._obj.join()


def _direct_type(name, base, exposed, _cache={}):
    """`base` named as an AutoProxy is (`AutoProxy[Queue]`)."""
    exposed = tuple(exposed)
    try:
        return _cache[(name, exposed)]
    except KeyError:
        pass
    ProxyType = _cache[(name, exposed)] = type(name, (base,), {"_exposed_": exposed})
    return ProxyType


_QUEUE_METHODS = ("empty", "full", "get", "get_nowait", "join", "put", "put_nowait", "qsize", "task_done")


def _queue(maxsize=0):
    q = queues.JoinableQueue(maxsize)
    # CPython's manager holds a queue.Queue: a put is the call itself, no feeder.
    q._direct = True
    return q


def _lock_state(lock):
    """A lock's state, read by trying it (the manager never holds one)."""
    free = lock.acquire(False)
    if free:
        lock.release()
    return "unlocked" if free else "locked"


def _repr_lock(obj, oid, made):
    return "<%s _thread.lock object at 0x%s>" % (_lock_state(obj), oid)


def _repr_rlock(obj, oid, made):
    state = _lock_state(obj)
    return "<unlocked _thread.RLock object owner=0 count=0 at 0x%s>" % oid if state == "unlocked" else "<locked _thread.RLock object at 0x%s>" % oid


def _repr_semaphore(obj, oid, made):
    return "<threading.Semaphore at 0x%s: value=%d>" % (oid, obj.get_value())


def _repr_bounded(obj, oid, made):
    args, kwds = made
    initial = args[0] if args else kwds.get("value", 1)
    return "<threading.BoundedSemaphore at 0x%s: value=%d/%d>" % (oid, obj.get_value(), initial)


def _repr_event(obj, oid, made):
    return "<threading.Event at 0x%s: %s>" % (oid, "set" if obj.is_set() else "unset")


def _repr_condition(obj, oid, made):
    lock = obj._lock
    shown = _repr_rlock if isinstance(lock, synchronize.RLock) else _repr_lock
    return "<Condition(%s)>" % shown(lock, "%x" % id(lock), made)


def _repr_barrier(obj, oid, made):
    if obj.broken:
        return "<threading.Barrier at 0x%s: broken>" % oid
    return "<threading.Barrier at 0x%s: waiters=%d/%d>" % (oid, obj.n_waiting, obj.parties)


def _repr_queue(obj, oid, made):
    return "<queue.Queue object at 0x%s>" % oid


# typeid -> its str() as the manager's threading/queue object gives it.
_PRIMITIVES = {
    "Queue": _repr_queue,
    "JoinableQueue": _repr_queue,
    "Lock": _repr_lock,
    "RLock": _repr_rlock,
    "Semaphore": _repr_semaphore,
    "BoundedSemaphore": _repr_bounded,
    "Event": _repr_event,
    "Condition": _repr_condition,
    "Barrier": _repr_barrier,
}


# ---- the objects a SyncManager holds in its process ----------------------------


class Namespace:
    def __init__(self, /, **kwds):
        self.__dict__.update(kwds)

    def __repr__(self):
        shown = sorted("%s=%r" % (k, v) for k, v in self.__dict__.items() if not k.startswith("_"))
        return "%s(%s)" % (type(self).__name__, ", ".join(shown))


class Value:
    def __init__(self, typecode, value, lock=True):
        self._typecode = typecode
        self._value = value

    def get(self):
        return self._value

    def set(self, value):
        self._value = value

    def __repr__(self):
        return "%s(%r, %r)" % (type(self).__name__, self._typecode, self._value)

    value = property(get, set)


def Array(typecode, sequence, lock=True):
    return array.array(typecode, sequence)


class IteratorProxy(BaseProxy):
    _exposed_ = ("__next__", "send", "throw", "close")

    def __iter__(self):
        return self

    def __next__(self, *args):
        return self._callmethod("__next__", args)

    def send(self, *args):
        return self._callmethod("send", args)

    def throw(self, *args):
        return self._callmethod("throw", args)

    def close(self, *args):
        return self._callmethod("close", args)


class NamespaceProxy(BaseProxy):
    _exposed_ = ("__getattribute__", "__setattr__", "__delattr__")

    def __getattr__(self, key):
        if key[0] == "_":
            return object.__getattribute__(self, key)
        return object.__getattribute__(self, "_callmethod")("__getattribute__", (key,))

    def __setattr__(self, key, value):
        if key[0] == "_":
            return object.__setattr__(self, key, value)
        return object.__getattribute__(self, "_callmethod")("__setattr__", (key, value))

    def __delattr__(self, key):
        if key[0] == "_":
            return object.__delattr__(self, key)
        return object.__getattribute__(self, "_callmethod")("__delattr__", (key,))


class ValueProxy(BaseProxy):
    _exposed_ = ("get", "set")

    def get(self):
        return self._callmethod("get")

    def set(self, value):
        return self._callmethod("set", (value,))

    value = property(get, set)

    __class_getitem__ = classmethod(types.GenericAlias)


BaseListProxy = MakeProxyType("BaseListProxy", (
    "__add__", "__contains__", "__delitem__", "__getitem__", "__len__", "__mul__", "__reversed__", "__rmul__",
    "__setitem__", "append", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort", "__imul__",
))


class ListProxy(BaseListProxy):
    def __iadd__(self, value):
        self._callmethod("extend", (value,))
        return self

    def __imul__(self, value):
        self._callmethod("__imul__", (value,))
        return self


DictProxy = MakeProxyType("DictProxy", (
    "__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear", "copy", "get",
    "items", "keys", "pop", "popitem", "setdefault", "update", "values",
))
DictProxy._method_to_typeid_ = {"__iter__": "Iterator"}

ArrayProxy = MakeProxyType("ArrayProxy", ("__len__", "__getitem__", "__setitem__"))


class _DictWithLists(dict):
    """A CPython manager's dict answers keys/values/items with lists."""

    def keys(self):
        return list(super().keys())

    def values(self):
        return list(super().values())

    def items(self):
        return list(super().items())

    def __reduce__(self):
        return (dict, (dict(self),))


def _pool(*args, **kwds):
    """A Pool in the manager process (its workers are the manager's children)."""
    from .pool import Pool

    return Pool(*args, **kwds)


BasePoolProxy = MakeProxyType("PoolProxy", (
    "apply", "apply_async", "close", "imap", "imap_unordered", "join", "map", "map_async", "starmap", "starmap_async",
    "terminate",
))
BasePoolProxy._method_to_typeid_ = {
    "apply_async": "AsyncResult", "map_async": "AsyncResult", "starmap_async": "AsyncResult",
    "imap": "Iterator", "imap_unordered": "Iterator",
}


class PoolProxy(BasePoolProxy):
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.terminate()


class SyncManager(BaseManager):
    """A manager of the synchronisation primitives, queues, `dict`, `list`,
    `Namespace`, `Value` and `Array`. `multiprocessing.Manager()` gives a
    started one."""


SyncManager.register("Queue", _queue, AutoProxy, exposed=_QUEUE_METHODS)
SyncManager.register("JoinableQueue", _queue, AutoProxy, exposed=_QUEUE_METHODS)
SyncManager.register("Event", synchronize.Event, EventProxy)
SyncManager.register("Lock", synchronize.Lock, AcquirerProxy)
SyncManager.register("RLock", synchronize.RLock, AcquirerProxy)
SyncManager.register("Semaphore", synchronize.Semaphore, AcquirerProxy)
SyncManager.register("BoundedSemaphore", synchronize.BoundedSemaphore, AcquirerProxy)
SyncManager.register("Condition", synchronize.Condition, ConditionProxy)
SyncManager.register("Barrier", synchronize.Barrier, BarrierProxy)
SyncManager.register("Pool", _pool, PoolProxy)
SyncManager.register("list", list, ListProxy)
SyncManager.register("dict", _DictWithLists, DictProxy)
SyncManager.register("Value", Value, ValueProxy)
SyncManager.register("Array", Array, ArrayProxy)
SyncManager.register("Namespace", Namespace, NamespaceProxy)
SyncManager.register("Iterator", proxytype=IteratorProxy, create_method=False)
SyncManager.register("AsyncResult", create_method=False)


# ---- SharedMemoryManager ------------------------------------------------------


def _destroy_segment(name):
    from . import shared_memory

    try:
        segment = shared_memory.SharedMemory(name, create=False)
    except FileNotFoundError:
        return
    segment.close()
    segment.unlink()


class _SegmentTracker:
    """A SharedMemoryManager's object in its process: the names of the
    shared memory segments made through the manager, each unlinked when the
    manager stops (or when released)."""

    def __init__(self):
        self.segment_names = []

    def track_segment(self, segment_name):
        self.segment_names.append(segment_name)

    def release_segment(self, segment_name):
        self.segment_names.remove(segment_name)
        _destroy_segment(segment_name)

    def list_segments(self):
        return list(self.segment_names)

    def _at_server_end(self):
        for name in reversed(self.segment_names):
            _destroy_segment(name)
        self.segment_names.clear()


class SharedMemoryManager(BaseManager):
    """A manager of shared memory blocks (`multiprocessing.shared_memory`'s
    `SharedMemory` and `ShareableList`, real POSIX shared memory): each made
    by the calling process, its name kept in the manager process, which
    unlinks every one of them when it stops (`shutdown()`, the end of
    `with`)."""

    def __init__(self, *args, **kwargs):
        BaseManager.__init__(self, *args, **kwargs)
        self._tracker = None

    def _check_started(self):
        if self._state.value != State.STARTED:
            # CPython's: its client finds no address to connect to.
            raise ValueError("address type of %r unrecognized" % (self._address,))

    def _track(self, name):
        if self._tracker is None:
            token, exposed, _ = self._create("_SegmentTracker")
            self._tracker = AutoProxy(token, self._serializer, manager=self, authkey=self._authkey, exposed=exposed)
        self._tracker._callmethod("track_segment", (name,))

    def SharedMemory(self, size):
        """A new `SharedMemory` of `size` bytes, unlinked when the manager stops."""
        from . import shared_memory

        self._check_started()
        sms = shared_memory.SharedMemory(None, create=True, size=size)
        try:
            self._track(sms.name)
        except BaseException:
            sms.unlink()
            raise
        return sms

    def ShareableList(self, sequence):
        """A new `ShareableList` of `sequence`, unlinked when the manager stops."""
        from . import shared_memory

        self._check_started()
        sl = shared_memory.ShareableList(sequence)
        try:
            self._track(sl.shm.name)
        except BaseException:
            sl.shm.unlink()
            raise
        return sl


SharedMemoryManager.register("_SegmentTracker", _SegmentTracker, create_method=False)


def __getattr__(name):
    if name == "SharedMemoryServer":
        from ._common import not_yet as _not_yet

        _not_yet("multiprocessing.managers.%s" % name)
    raise AttributeError("module 'multiprocessing.managers' has no attribute %r" % name)
