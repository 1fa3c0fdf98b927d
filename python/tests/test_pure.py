"""Unit tests of forkscope's Python side that need no run: names, errors,
output lines, exit codes, shared-number encoding. The end-to-end behaviour
(real processes on the runtime) is tested from Rust, in tests/python.rs.

Run: python3 -m unittest discover -s python/tests -t python
"""
import io
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import forkscope_rt as rt  # noqa: E402
from forkscope_rt import ending, hooks  # noqa: E402


class Names(unittest.TestCase):
    def test_a_resource_is_named_after_its_variable(self):
        self.assertEqual(rt.assigned_name("    lock = Lock()\n", "Lock"), "lock")
        self.assertEqual(rt.assigned_name("self.q = multiprocessing.Queue(3)", "Queue"), "self.q")
        self.assertEqual(rt.assigned_name("conn1, conn2 = Pipe()", "Pipe"), "conn1, conn2")
        self.assertEqual(rt.assigned_name("num = Value('i', 0)  # 共享", "Value"), "num")
        self.assertEqual(rt.assigned_name("q = Manager().Queue()  # 使用Manager中的Queue", "Queue"), "q")
        self.assertEqual(rt.assigned_name("d = mp.get_context().Manager().dict()", "dict"), "d")

    def test_objects_made_side_by_side_get_their_own_names(self):
        line = "tasks, results = Queue(), Queue()\n"
        self.assertEqual(rt.assigned_name(line, "Queue", nth=0), "tasks")
        self.assertEqual(rt.assigned_name(line, "Queue", nth=1), "results")
        self.assertEqual(rt.assigned_name(line, "Queue", column=line.index("Queue")), "tasks")
        self.assertEqual(rt.assigned_name(line, "Queue", column=line.rindex("Queue")), "results")
        self.assertEqual(rt.assigned_name("a, b = mp.Lock(), f(1, 2)", "Lock", nth=0), "a")
        self.assertEqual(rt.assigned_name("a, b = mp.Lock(), f(1, 2)", "Lock", nth=1), "")
        self.assertEqual(rt.assigned_name("q1, 名 = Queue('名,b'), Queue()", "Queue", column=len("q1, 名 = Queue('名,b'), ".encode())), "名")

    def test_otherwise_the_default(self):
        self.assertEqual(rt.assigned_name("p = Process(target=f, args=(Lock(),))", "Lock"), "")
        self.assertEqual(rt.assigned_name("if x == Lock():", "Lock"), "")
        self.assertEqual(rt.assigned_name("locks.append(Lock())", "Lock"), "")
        self.assertEqual(rt.assigned_name("lock = RLock()", "Lock"), "")


class Errors(unittest.TestCase):
    def test_runtime_kinds_become_pythons_exceptions(self):
        import queue
        import threading

        e = rt.exception("ValueError", "semaphore or lock released too many times")
        self.assertIs(type(e), ValueError)
        self.assertEqual(str(e), "semaphore or lock released too many times")
        self.assertIs(type(rt.exception("queue.Empty", "")), queue.Empty)
        self.assertIs(type(rt.exception("BrokenBarrierError", "")), threading.BrokenBarrierError)
        self.assertIs(type(rt.exception("EOFError", "")), EOFError)
        e = rt.exception("BrokenPipeError", "[Errno 32] Broken pipe")
        self.assertIsInstance(e, BrokenPipeError)
        self.assertEqual((e.errno, str(e)), (32, "[Errno 32] Broken pipe"))

    def test_an_unknown_kind_is_a_runtime_error_that_names_it(self):
        e = rt.exception("Nonsense", "x")
        self.assertIs(type(e), RuntimeError)
        self.assertEqual(str(e), "Nonsense: x")


class Output(unittest.TestCase):
    def stream(self):
        got = []
        def emit(s, t, part=False):
            got.append((s, t, "part") if part else (s, t))

        return hooks.LaneStream(1, "<stdout>", emit=emit), got

    def test_each_complete_line_is_one_output(self):
        s, got = self.stream()
        print("hello", 3, file=s)
        print("a\nb", file=s)
        self.assertEqual(got, [(1, "hello 3"), (1, "a"), (1, "b")])

    def test_a_partial_line_waits_for_its_newline_or_a_flush(self):
        s, got = self.stream()
        print("x", end="", file=s)
        self.assertEqual(got, [])
        print("y", file=s)
        print("z", end="", file=s)
        s.flush()
        self.assertEqual(got, [(1, "xy"), (1, "z", "part")])

    def test_the_newline_after_a_shown_prompt_adds_no_empty_line(self):
        s, got = self.stream()
        print("Password: ", end="", file=s, flush=True)
        print(file=s)
        print("next", file=s)
        # (None: the newline that ends the shown line, for the console.)
        self.assertEqual(got, [(1, "Password: ", "part"), (1, None), (1, "next")])

    def test_many_partial_lines_make_one_line(self):
        # (Their cost, linear in the count: `cargo bench --bench python`.)
        s, got = self.stream()
        for i in range(1000):
            print(i, end=" ", file=s)
        self.assertEqual(got, [])
        print(file=s)
        self.assertEqual(got, [(1, " ".join(map(str, range(1000))) + " ")])

    def test_sys_stdout_buffer_takes_bytes_and_reconfigure_works(self):
        s, got = self.stream()
        s.buffer.write("caf".encode())
        s.buffer.write("é\n".encode()[:1])
        s.buffer.write("é\n".encode()[1:])
        with self.assertRaises(TypeError):
            s.buffer.write("text")
        s.reconfigure(encoding="ascii", errors="replace", line_buffering=True)
        print("é", file=s)
        self.assertEqual((s.encoding, s.errors, s.line_buffering), ("ascii", "replace", True))
        with self.assertRaises(LookupError):
            s.reconfigure(encoding="no-such-codec")
        with self.assertRaises(ValueError):
            s.reconfigure(newline="x")
        self.assertEqual(got, [(1, "café"), (1, "?")])
        self.assertEqual((s.fileno(), s.buffer.fileno()), (1, 1))

    def test_bytes_are_refused_as_python_does(self):
        s, _ = self.stream()
        with self.assertRaises(TypeError) as c:
            s.write(b"x")
        self.assertEqual(str(c.exception), "write() argument must be str, not bytes")


class ExitCodes(unittest.TestCase):
    def test_sys_exit_codes(self):
        self.assertEqual(ending.exit_code(SystemExit()), 0)
        self.assertEqual(ending.exit_code(SystemExit(3)), 3)
        old = sys.stderr
        sys.stderr = io.StringIO()
        try:
            self.assertEqual(ending.exit_code(SystemExit("bye")), 1)
            self.assertEqual(sys.stderr.getvalue(), "bye\n")
        finally:
            sys.stderr = old


class SharedNumbers(unittest.TestCase):
    def test_numbers_wrap_as_c_does_and_floats_round_trip(self):
        import ctypes

        from multiprocessing import sharedctypes as sc

        self.assertEqual(sc._bits(ctypes.c_int, 2**31), (-(2**31), 0))
        bits, fl = sc._bits(ctypes.c_double, 0.1)
        self.assertEqual((sc._value(ctypes.c_double, bits), fl), (0.1, 1))
        self.assertEqual(sc._value(ctypes.c_char, sc._bits(ctypes.c_char, b"a")[0]), b"a")
        self.assertIs(sc._value(ctypes.c_bool, 1), True)

    def test_exit_codes_name_their_signal_in_reprs(self):
        from multiprocessing import process

        self.assertEqual(process._exitcode_to_name[-signal.SIGTERM], "-SIGTERM")


class ManagedObjects(unittest.TestCase):
    """What a manager holds and how its proxies travel (the manager process
    itself is tested end to end, tests/python.rs)."""

    def test_the_objects_print_as_cpythons(self):
        from multiprocessing import managers

        self.assertEqual(repr(managers.Namespace(b=2, a="x", _hidden=1)), "Namespace(a='x', b=2)")
        self.assertEqual(repr(managers.Value("i", 3)), "Value('i', 3)")
        self.assertEqual(repr(managers.Array("i", [1, 2])), "array('i', [1, 2])")
        self.assertEqual(repr(managers.Token("dict", ("SyncManager-1", 2, 0), "7f")), "Token(typeid='dict', address=('SyncManager-1', 2, 0), id='7f')")
        d = managers._DictWithLists(a=1)
        self.assertEqual((d.keys(), d.values(), d.items()), (["a"], [1], [("a", 1)]))

    def test_a_proxy_pickles_as_its_token_and_name(self):
        import pickle

        from multiprocessing import managers

        token = managers.Token("dict", ("SyncManager-1", 2, 0), "7f")
        proxy = managers.DictProxy(token, "pickle")
        proxy._shown = "d"
        again = pickle.loads(pickle.dumps(proxy))
        self.assertIs(type(again), managers.DictProxy)
        self.assertEqual((again._token.typeid, again._token.address, again._id, again._shown), ("dict", ("SyncManager-1", 2, 0), "7f", "d"))
        self.assertTrue(repr(again).startswith("<DictProxy object, typeid 'dict' at 0x"))
        auto = managers.AutoProxy(managers.Token("Counter", ("M-1", 2, 0), "7e"), "pickle", exposed=("inc",))
        again = pickle.loads(pickle.dumps(auto))
        self.assertEqual((type(again).__name__, again._exposed_), ("AutoProxy[Counter]", ("inc",)))


class Sockets(unittest.TestCase):
    def test_a_socket_made_in_a_with_is_named_after_its_target(self):
        from forkscope_rt import sockets

        m = sockets._WITH.match("    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:\n")
        self.assertEqual(m.group(1), "srv")
        self.assertIsNone(sockets._WITH.match("with open('f') as srv:"))

    def test_data_must_be_bytes_like_as_cpython_says(self):
        from forkscope_rt import sockets

        self.assertEqual(sockets._data(bytearray(b"ab")), b"ab")
        self.assertEqual(sockets._data(memoryview(b"cd")), b"cd")
        with self.assertRaises(TypeError) as e:
            sockets._data("text")
        self.assertEqual(str(e.exception), "a bytes-like object is required, not 'str'")

    def test_the_class_reads_as_cpythons(self):
        import socket

        from forkscope_rt import sockets

        cls = sockets.make_class(socket)
        self.assertTrue(issubclass(cls, socket.socket))
        self.assertEqual((cls.__module__, cls.__qualname__, cls.__name__), ("socket", "socket", "socket"))



class Variables(unittest.TestCase):
    """What the variables pane gets of a frame (src/model/locals.rs reads it)."""

    def setUp(self):
        self._user = rt.USER_FILE
        rt.USER_FILE = __file__

    def tearDown(self):
        rt.USER_FILE = self._user

    def test_names_and_bounded_reprs_innermost_frame_first(self):
        def withdraw(balance):
            old = 1000
            text = "x" * 500
            return sys._getframe(0)

        frame = withdraw(7)
        lines = rt.locals_text(frame).split("\n")
        self.assertEqual(lines[0], "F\twithdraw\t%d" % (frame.f_lineno,))
        self.assertIn("V\tbalance\t7", lines)
        self.assertIn("V\told\t1000", lines)
        text = next(l for l in lines if l.startswith("V\ttext\t"))
        self.assertLessEqual(len(text.split("\t", 2)[2]), rt.REPR_MAX)
        # Its caller (this test, in the same file) follows.
        self.assertTrue(any(l.startswith("F\ttest_names_and_bounded_reprs") for l in lines[1:]), lines)

    def test_modules_functions_classes_and_dunders_are_left_out_and_the_count_is_bounded(self):
        n = rt.VARS_MAX + 3
        body = ["import json", "def helper(): pass", "class Thing: pass", "__hidden = 1"]
        body += ["v%02d = %d" % (i, i) for i in range(n)]
        body.append("import sys; frame = sys._getframe(0)")
        ns = {}
        exec(compile("\n".join(body), __file__, "exec"), ns)
        lines = rt.locals_text(ns["frame"]).split("\n")
        self.assertEqual(lines[0], "F\t<module>\t%d" % len(body))
        lines = lines[: next(i for i, l in enumerate(lines) if i and l.startswith("F\t"))]
        names = [l.split("\t")[1] for l in lines if l.startswith("V\t")]
        self.assertEqual(names, ["v%02d" % i for i in range(rt.VARS_MAX)])
        self.assertIn("M\t%d" % (n + 1 - rt.VARS_MAX), lines, "the rest counted (the frame itself is one)")

    def test_the_runs_own_objects_show_by_kind_and_name_without_an_op(self):
        class Value:
            _fs_kind = "Value"
            __module__ = "multiprocessing.sharedctypes"

            def __init__(self):
                self._name = "balance"

            def __repr__(self):
                raise AssertionError("reading a shared Value is an op: its repr must not be called")

        self.assertEqual(rt._short(Value()), "<Value balance>")
        self.assertEqual(rt._short([Value()]), "[<Value balance>]")
        self.assertEqual(rt._short("a\nb"), "'a\\nb'")
        self.assertEqual(rt._short(object()), "<object object>", "no address: it differs from run to run")

    def test_a_plain_values_text_is_made_once_and_equal_values_of_other_types_stay_apart(self):
        # locals_text runs at every op of a stepped process: a number's or a
        # string's text is kept, by type and value (1 == True == 1.0).
        self.assertEqual([rt._short(v) for v in (1, True, 0, False, "1", b"1", None)], ["1", "True", "0", "False", "'1'", "b'1'", "None"])
        self.assertIn((int, 1), rt._shorts)
        self.assertIn((bool, True), rt._shorts)
        self.assertEqual((rt._short(0.0), rt._short(-0.0)), ("0.0", "-0.0"), "no float kept: 0.0 == -0.0")
        self.assertNotIn((float, 0.0), rt._shorts)
        self.assertEqual(rt._short("x" * 500), rt._short("x" * 500))
        self.assertNotIn((str, "x" * 500), rt._shorts, "a long text is not kept alive")
        self.assertLessEqual(len(rt._short("x" * 500)), rt.REPR_MAX)

    def test_a_program_made_once_in_the_zygote_serves_only_that_very_program(self):
        saved = rt._ready
        try:
            source = "\ufeffdef ticket(person):\n    print(person)\n"
            rt.ready_program("race.py", source)
            code = rt.program_code("race.py", source[1:])
            self.assertIs(rt.program_code("race.py", source[1:]), code, "compiled once, in the zygote")
            self.assertEqual(code.co_filename, "race.py")
            self.assertIs(rt.program_tree("race.py", source[1:]), rt._ready[3])
            self.assertEqual(type(rt._ready[3]).__name__, "Module")
            # Another program, or the same under another name: its own.
            self.assertIsNot(rt.program_code("race.py", "x = 1\n"), code)
            self.assertIsNone(rt.program_tree("other.py", source[1:]))
            self.assertEqual(rt.program_code("other.py", source[1:]).co_filename, "other.py")
            # One that does not compile is left to the run, which raises.
            rt.ready_program("bad.py", "def (:\n")
            self.assertIsNone(rt.program_tree("bad.py", "def (:\n"))
            with self.assertRaises(SyntaxError):
                rt.program_code("bad.py", "def (:\n")
            # One that warns as it compiles is left to the run, which warns.
            rt._ready = None
            rt.ready_program("warns.py", "s = '\\d'\n")
            self.assertIsNone(rt._ready)
        finally:
            rt._ready = saved

    def test_an_own_objects_kind_is_asked_once_a_type_and_its_name_each_time(self):
        class Queue:
            __module__ = "multiprocessing.queues"

            def __init__(self, name):
                self._name = name

        q = Queue("tasks")
        self.assertEqual(rt._short(q), "<Queue tasks>")
        self.assertEqual(rt._own_kinds[Queue], ("Queue", False))
        q._name = "results"
        self.assertEqual(rt._short(q), "<Queue results>")
        self.assertIsNone(rt._own(object()))
        self.assertIsNone(rt._own_kinds[object])

    def test_a_managers_proxy_shows_by_kind_without_a_request(self):
        # A proxy forwards an unknown attribute (`name`) to its manager: a
        # request made inside the op being taken broke a stepped manager run.
        class NamespaceProxy:
            __module__ = "multiprocessing.managers"

            def __getattr__(self, key):
                raise AssertionError("a request to the manager for %r" % key)

        self.assertEqual(rt._short(NamespaceProxy()), "<NamespaceProxy>")
        self.assertEqual(rt._short({"ns": NamespaceProxy()}), "{'ns': <NamespaceProxy>}")

    def test_a_file_the_program_opened_shows_as_cpython_shows_it(self):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ticket")
            with open(path, "w") as raw:
                f = hooks.TrackedFile(raw, path, 0)
                self.assertEqual(rt._short(f), rt._short(raw))
                self.assertTrue(rt._short(f).startswith("<_io.TextIOWrapper name="), rt._short(f))


if __name__ == "__main__":
    unittest.main()
