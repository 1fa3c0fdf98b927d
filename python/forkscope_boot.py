# forkscope's boot: a run's Python process starts as
# `python3 -B -c <this file> SEGMENT LANE`.
#
# It loads forkscope's runtime (libforkscope.so, named by FORKSCOPE_LIB),
# makes forkscope's Python side importable from the library itself (nothing is
# written to disk, nothing installed), then runs the program (forkscope_rt.main).
import os
import sys


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
            # Tracebacks show our lines too, as they would for the stdlib.
            linecache.cache[self.filename] = (len(self.text), None, self.text.splitlines(True), self.filename)
            exec(compile(self.text, self.filename, "exec"), module.__dict__)

        def get_source(self, name):
            return self.text

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

    forkscope_rt.main.run_main(lib)


_boot()
