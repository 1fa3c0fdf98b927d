"""The fork start method's `Popen`, as CPython's: a started child, made by
`os.fork()`, on its own lane of the run.

Starting passes the gate and reserves the child's lane in the runtime, then
forks; the child becomes its lane before it runs any of the user's code and
runs `process._bootstrap()`; the parent writes the start record and releases
it. wait, poll, terminate and kill are the runtime's ops on the child's lane.
"""
import os
import signal

import forkscope_rt as rt
from forkscope_rt import forks, hooks, ok

__all__ = ["Popen"]


def _target_name(process_obj):
    t = process_obj._target
    if t is None:
        return type(process_obj).__name__ + ".run"
    return getattr(t, "__qualname__", None) or getattr(t, "__name__", None) or repr(t)


# Between a target's name and its arguments' key (the conductor takes it off).
ARGS_KEY = "\x1f"


def _arg_key(a, label=False):
    if label and type(a) in (str, int, float):
        return "s"  # a name (person0, person1, buyer 3): see _args_key
    if a is None or type(a) in (bool, int, float, bytes):
        return repr(a)
    return "%s@%x" % (type(a).__name__, id(a))


# Where a printed value may sit inside print(...): formatting only.
_FORMATTING = ("JoinedStr", "FormattedValue", "BinOp", "Tuple", "List")
_labels = {}
# A source file's syntax tree, by file name (parsed once a process).
_trees = {}


def _children(node):
    import _ast

    for field in node._fields:
        v = getattr(node, field, None)
        if isinstance(v, _ast.AST):
            yield v
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, _ast.AST):
                    yield x


def _walk(node):
    """`node` and every node below it (`ast.walk`, on `_ast` alone: the
    `ast` module costs a run a tenth of a second's import at its first
    start of a process, `_ast` nothing)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        todo.extend(_children(n))


def _printed_only(fn, name, tree=None, depth=0):
    """Whether the function `fn` (a syntax-tree node) uses its parameter
    `name` only as something to print: every use inside a print(...)'s
    positional arguments, through formatting alone (f-strings, % and +,
    tuples, str.format, str()), or passed alone as a positional argument
    to a function of the module (`tree`) that only prints that parameter
    (`search(person)`); never assigned, never global, no eval, exec,
    locals() or vars() in the function."""
    import _ast

    def passed_on(call, child):
        # `f(..., name, ...)`: f a plain def of the module, called with
        # positional arguments alone, whose parameter there is printed only.
        if tree is None or depth >= 3 or not isinstance(call.func, _ast.Name) or call.keywords:
            return False
        if any(type(a).__name__ == "Starred" for a in call.args):
            return False
        defs = [n for n in tree.body if isinstance(n, _ast.FunctionDef) and n.name == call.func.id]
        if len(defs) != 1 or defs[0] is fn:
            return False
        params = defs[0].args.posonlyargs + defs[0].args.args
        i = call.args.index(child)
        return i < len(params) and _printed_only(defs[0], params[i].arg, tree, depth + 1)

    parents = {}
    for node in _walk(fn):
        for child in _children(node):
            parents[child] = node
    for node in _walk(fn):
        if isinstance(node, (_ast.Global, _ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, _ast.Call) and isinstance(node.func, _ast.Name) and node.func.id in ("eval", "exec", "locals", "vars", "globals"):
            return False
        if isinstance(node, _ast.arg) and node.arg == name and parents.get(node) is not fn.args:
            return False  # a lambda or inner function's own parameter of that name
        if not (isinstance(node, _ast.Name) and node.id == name):
            continue
        if not isinstance(node.ctx, _ast.Load):
            return False
        child, up = node, parents.get(node)
        while True:
            if up is None:
                return False
            if isinstance(up, _ast.Call):
                f = up.func
                if isinstance(f, _ast.Name) and f.id == "print" and child in up.args:
                    break
                if child is node and child in up.args and passed_on(up, child):
                    break
                if isinstance(f, _ast.Name) and f.id in ("str", "repr") and child in up.args:
                    child, up = up, parents.get(up)
                    continue
                if isinstance(f, _ast.Attribute) and f.attr == "format" and isinstance(f.value, _ast.Constant) and isinstance(f.value.value, str) and child is not f:
                    child, up = up, parents.get(up)
                    continue
                return False
            if type(up).__name__ in _FORMATTING:
                child, up = up, parents.get(up)
                continue
            return False
    return True


def _function_node(code):
    """The `def` of `code` in its source file (its syntax tree), or None."""
    import _ast
    import linecache

    tree = _trees.get(code.co_filename)
    if tree is None:
        source = "".join(linecache.getlines(code.co_filename))
        # The zygote's parse of this very program (explore's runs), else now.
        tree = rt.program_tree(code.co_filename, source)
        if tree is None:
            tree = compile(source, code.co_filename, "exec", _ast.PyCF_ONLY_AST) if source else False
        _trees[code.co_filename] = tree
    if not tree:
        return None
    for node in _walk(tree):
        # The code's first line is its def's, or its first decorator's.
        if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)) and node.name == code.co_name and code.co_firstlineno in [node.lineno] + [d.lineno for d in node.decorator_list]:
            return node
    return None


def _label_params(t):
    """The positions and names of `t`'s parameters it only prints (see
    `_printed_only`): their values are labels, as a name is."""
    code = getattr(t, "__code__", None) or getattr(getattr(t, "__func__", None), "__code__", None)
    if code is None:
        return frozenset()
    bound = getattr(t, "__self__", None) is not None and getattr(t, "__func__", None) is not None
    cached = (code, bound)
    if cached in _labels:
        return _labels[cached]
    found = frozenset()
    try:
        fn = _function_node(code)
        if fn is not None:
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
            if bound:
                params = params[1:]  # `self` is bound: the arguments start after it
            tree = _trees.get(code.co_filename) or None
            printed = [a for a in params if _printed_only(fn, a, tree)]
            found = frozenset([i for i, a in enumerate(params) if a in printed] + printed)
    except Exception:
        found = frozenset()
    _labels[cached] = found
    return found


def _args_key(process_obj):
    """What makes two children interchangeable for explore's symmetry
    (docs/commands.md): the same target function with the same arguments,
    a string or number the function only prints aside (a name or label:
    `print("car", i)`, see `_printed_only`; a string it puts in a queue,
    writes to a file or compares is data, not a name); an object
    argument by its identity (the same Lock, the same list). Empty —
    interchangeable with none — for a Process subclass (its own attributes
    are not seen here)."""
    t = process_obj._target
    if t is None:
        return ""
    labels = _label_params(t)
    parts = [getattr(t, "__module__", "") or "", str(id(t))]
    parts += [_arg_key(a, i in labels) for i, a in enumerate(process_obj._args)]
    parts += ["%s=%s" % (k, _arg_key(v, k in labels)) for k, v in sorted(process_obj._kwargs.items())]
    return "%x" % (hash("\x1e".join(parts)) & 0xFFFFFFFFFFFF)


class Popen:
    method = "fork"

    def __init__(self, process_obj):
        self.returncode = None
        self.finalizer = None
        self.pid = None
        self.lane = None
        self._launch(process_obj)

    def _prepare(self, process_obj, inherit, data=None):
        """Passes the gate and reserves the child's lane: 1 for a fork (the
        child inherits this interpreter, and its target carries the key of
        its arguments), 0 and `data` for a new one."""
        name, nn = rt.text(process_obj._name)
        key = _args_key(process_obj) if inherit else ""
        target, tn = rt.text(_target_name(process_obj)[:50] + (ARGS_KEY + key if key else ""))
        self._daemon = 1 if process_obj.daemon else 0
        n = 0 if data is None else len(data)
        self.lane = ok(rt.lib.fs_start_prepare(name, nn, target, tn, self._daemon, inherit, data, n, rt.line()))

    def _launch(self, process_obj):
        self._prepare(process_obj, 1)
        # What was printed so far must not be printed again by the child.
        hooks.flush_streams()
        try:
            pid = forks.real_fork()
        except OSError as e:
            ok(rt.lib.fs_start_failed(self.lane, self._daemon, e.errno or 0))
            raise
        if pid == 0:
            code = 1
            try:
                forks.become_child(self.lane)
                code = process_obj._bootstrap()
            finally:
                hooks.flush_streams()
                rt.lib.fs_finish(code)
        ok(rt.lib.fs_start_commit(self.lane, self._daemon, pid))
        self.pid = pid

    def poll(self, flag=os.WNOHANG):
        if self.returncode is None:
            if flag & os.WNOHANG:
                r = ok(rt.lib.fs_exitcode(self.lane))
                if r != rt.NOTHING:
                    self.returncode = r
            else:
                self.wait()
        return self.returncode

    def wait(self, timeout=None):
        """Waits (an op: the caller shows blocked on the child) until the
        child ends or `timeout` seconds pass; its exit code, or None."""
        if self.returncode is None:
            t = rt.seconds(timeout)
            r = ok(rt.lib.fs_join(self.lane, t, rt.line()))
            if r != rt.NOTHING:
                self.returncode = r
        return self.returncode

    def _send_signal(self, sig):
        if self.returncode is None:
            ok(rt.lib.fs_signal(self.lane, int(sig), rt.line()))

    def terminate(self):
        self._send_signal(signal.SIGTERM)

    def kill(self):
        self._send_signal(signal.SIGKILL)

    def close(self):
        pass
