"""CPython's own multiprocessing test suite, fork flavour, unmodified: the
module CPython's `test_multiprocessing_fork` runs, with its classes
installed by `install_tests_in_module_dict(globals(), 'fork')`, for the
comparison of tests/cpython_suite.rs (the same file under plain python3 and
under forkscope).

FS_SUITE_TESTS names what to run, space-separated: a class
(`WithProcessesTestLock`) or one test (`WithProcessesTestLock.test_lock`).
Without it, the program lists every test id, one `@@test ID` line each.
Before each test a line `@@start ID`; each test has FS_SUITE_LIMIT seconds
(default 20): then SIGALRM, left at its default action, ends the process (a
test that hangs ends the run; the caller runs the rest again). Every test's
outcome is printed on a line of its own as soon as it is known:
`@@suite ID OUTCOME REASON` (OUTCOME: pass, fail, error, skip, xfail,
upass; REASON: the exception's last line, or the skip's reason)."""
import os
import signal
import sys
import unittest



def _install_futures(names):
    """CPython's `test_concurrent_futures` classes of the process pool with
    the fork start method (`ProcessPoolFork…`), into `names`: the one module
    of 3.9–3.11, or every `test_*` module of the package of 3.12 and later.
    The classes keep their modules (and so those modules' fixtures)."""
    import importlib
    import pkgutil

    import test.test_concurrent_futures as pkg

    modules = [pkg]
    if hasattr(pkg, "__path__"):
        modules = [importlib.import_module(pkg.__name__ + "." + m.name) for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("test_")]
    for m in modules:
        for name, obj in vars(m).items():
            if name.startswith("ProcessPoolFork") and not name.startswith("ProcessPoolForkserver") and isinstance(obj, type) and issubclass(obj, unittest.TestCase):
                names[name] = obj


if os.environ.get("FS_SUITE") == "futures":
    _install_futures(globals())
else:
    import test._test_multiprocessing as _mp_tests

    _mp_tests.install_tests_in_module_dict(globals(), "fork")


def _say(test_id, outcome, why=""):
    why = " ".join(str(why).split())[:300]
    # On a line of its own: a test may have printed part of one (CPython's
    # test_concurrent_futures prints each test's time, `0.05s `, unended).
    if outcome == "start":
        sys.stdout.write("\n@@start %s\n" % test_id)
    else:
        sys.stdout.write("\n@@suite %s %s %s\n" % (test_id, outcome, why))
    sys.stdout.flush()


def _last_line(err):
    import traceback

    lines = traceback.format_exception_only(err[0], err[1])
    return lines[-1].strip() if lines else repr(err[1])


class _Result(unittest.TextTestResult):
    def _id(self, test):
        # Class.test (the class is in this module's names).
        return ".".join(test.id().split(".")[-2:])

    def startTest(self, test):
        _say(self._id(test), "start")
        super().startTest(test)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(_LIMIT)

    def stopTest(self, test):
        signal.alarm(0)
        super().stopTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        _say(self._id(test), "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        _say(self._id(test), "fail", _last_line(err))

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.suite._ErrorHolder):
            # setUpClass or a module fixture: `setUpClass (__main__.Cls)`.
            where, _, cls = test.description.partition(" (")
            cls = cls.rstrip(")").split(".")[-1]
            _say(where if cls == "__main__" else "%s.%s" % (cls, where), "error", _last_line(err))
        else:
            _say(self._id(test), "error", _last_line(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        _say(self._id(test), "skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        _say(self._id(test), "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        _say(self._id(test), "upass")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "fail" if issubclass(err[0], test.failureException) else "error"
            _say(self._id(test), kind, _last_line(err))


_LIMIT = int(os.environ.get("FS_SUITE_LIMIT", "20"))


def _main():
    loader = unittest.TestLoader()
    wanted = os.environ.get("FS_SUITE_TESTS", "").split()
    if not wanted:
        for test in loader.loadTestsFromModule(sys.modules[__name__]):
            for t in test:
                sys.stdout.write("@@test %s\n" % ".".join(t.id().split(".")[-2:]))
        return
    suite = loader.loadTestsFromNames(wanted, sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"), resultclass=_Result, verbosity=0)
    runner.run(suite)
    sys.stdout.write("\n@@done\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _main()
