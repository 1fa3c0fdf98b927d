//! Python programs, end to end: real CPython processes on forkscope's runtime.
//!
//! - Every program of the course notes that uses what this version runs
//!   (`tests/python/notes`, catalogue.json: tier 1) runs twice, side by side
//!   with the others — `python3 FILE` (on a pseudo-terminal, as a student
//!   runs it) and `forkscope run FILE --headless --json` — and the two must
//!   print the same lines (numbers normalised; lines that two processes print
//!   at the same instant may interleave in CPython's output) and end with the
//!   same exit code; where CPython hangs for ever (an Event never set, a
//!   queue never fed), forkscope must find the deadlock.
//! - The ticket race: oversold under a fixed schedule, the same schedule and
//!   seed give the same records, `explore` finds the oversell and nothing
//!   with the lock.
//! - CPython's semantics (daemons, isolation, exceptions, exit codes, names).
//! - Bad input, and cleanup: nothing outlives a run, not even what a program
//!   makes with `os.fork` or `subprocess`, not even after SIGKILL of forkscope.
//! - The Python side's own unit tests (stdlib unittest).
//! - Sockets: the notes' servers with their clients, beside the same pair
//!   under CPython; a client from outside the run talks to a server.
//!
//! python3 must be on PATH (it is on every machine the tests run on); if it
//! is not, these tests fail saying so.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

fn compare_notes_program(entry: &Value) -> Verdict {
    let file = repo("tests/python/notes").join(entry["file"].as_str().unwrap());
    let stem = entry["file"].as_str().unwrap().trim_end_matches(".py");
    let features: Vec<&str> = entry["features"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let dir = tempdir(stem);
    let limit = Duration::from_secs(entry["timeout"].as_u64().unwrap_or(20).min(60) + 5);
    let verdict = if entry["expect"] == "hangs" {
        // CPython: still running after 3 s. forkscope: the deadlock when every
        // process waits for what no one will do; a program that loops for
        // ever (sleeping) runs until its time limit.
        let py = cpython(&file, &dir, Duration::from_secs(3));
        let looping = matches!(stem, "26_traffic_light_forever" | "31_pid_forever");
        let (s, _, _) = if looping { forkscope(&file, &["--timeout", "3"], Duration::from_secs(30)) } else { forkscope(&file, &["--timeout", "20", "--speed", "20"], Duration::from_secs(45)) };
        let want = if looping { "timeout" } else { "deadlock" };
        compare_hang(py.map(|(code, _)| code), &s, want)
    } else {
        let py = cpython(&file, &dir, limit);
        let (s, fs_lines, _) = forkscope(&file, &["--timeout", &limit.as_secs().to_string()], limit + Duration::from_secs(10));
        compare_completed(py, &s, &fs_lines, &features)
    };
    let _ = std::fs::remove_dir_all(&dir);
    verdict
}

#[test]
fn the_course_notes_programs_print_what_cpython_prints() {
    let _share = crate::common::share();
    python3();
    let catalogue: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(repo("tests/python/notes/catalogue.json")).unwrap()).unwrap();
    // What this version runs: tier 1, and the Pool, Manager and files programs of tier 2 (the socket pairs have their own test below).
    let tier2 = ["13_pool_apply.py", "14_pool_apply_async.py", "32_pool_worker.py", "33_manager_queue_pool.py", "51_write_files.py"];
    let todo: Vec<&Value> = catalogue.iter().filter(|e| e["tier"] == 1 || tier2.contains(&e["file"].as_str().unwrap_or(""))).collect();
    assert!(todo.len() >= 40, "the catalogue lists the notes' programs");
    compare_side_by_side("programs", &todo, |e| e["file"].as_str().unwrap().to_string(), |e| compare_notes_program(e));
}

fn ticket_race(lock: bool, dir: &Path) -> PathBuf {
    let src = std::fs::read_to_string(repo("tests/python/programs/ticket_race.py")).unwrap();
    let src = if lock { src.replace("USE_LOCK = False", "USE_LOCK = True") } else { src };
    let p = dir.join(if lock { "ticket_lock.py" } else { "ticket_race.py" });
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn the_python_ticket_race_oversells_under_a_schedule_and_repeats_exactly() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("race");
    let file = ticket_race(false, &dir);
    let (s, lines, records) = forkscope(&file, &["--schedule", "rr"], Duration::from_secs(60));
    assert_eq!(s["outcome"], "assertion", "{s}");
    assert!(s["findings"].to_string().contains("oversold: 3 > 1"), "{s}");
    assert_eq!(lines.iter().filter(|l| l.contains("买到票了")).count(), 3, "{lines:?}");
    // Python's names on screen: the lock after its variable, processes as Python names them.
    assert!(records.iter().any(|r| r["type"] == "resource" && r["name"] == "lock"), "the Lock is called `lock`");
    let names: Vec<&str> = s["processes"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["MainProcess", "Process-1", "Process-2", "Process-3"]);
    // Ops carry the line of the user's file: the first read of `ticket` is in search().
    let src = std::fs::read_to_string(&file).unwrap();
    let read_line = src.lines().position(|l| l.trim() == "dic = json.load(f)").unwrap() + 1;
    assert!(records.iter().any(|r| r["op"] == "read_text" && r["line"] == read_line), "file reads are ops on their Python line ({read_line})");

    // Same schedule, same seed: the same records, twice.
    let (_, _, a) = forkscope(&file, &["--schedule", "random", "--seed", "7"], Duration::from_secs(60));
    let (_, _, b) = forkscope(&file, &["--schedule", "random", "--seed", "7"], Duration::from_secs(60));
    assert_eq!(shape(&a), shape(&b), "same schedule and seed, same records");
    assert!(a.len() > 40);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explore_finds_the_python_oversell_and_nothing_with_the_lock() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("explore");
    let race = ticket_race(false, &dir);
    let saved = dir.join("found.fsrec");
    let out = run_limited(&["explore", race.to_str().unwrap(), "--runs", "30", "--out", saved.to_str().unwrap()], Duration::from_secs(120));
    assert_eq!(out.status, 1, "explore found something: {}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("found an assertion") && out.stdout.contains("oversold"), "{}", out.stdout);
    let replay = run_limited(&["replay", saved.to_str().unwrap(), "--headless"], Duration::from_secs(60));
    assert!(replay.stdout.contains("replay matched the recording"), "{}", replay.stdout);
    assert!(replay.stdout.contains("oversold"), "{}", replay.stdout);

    let locked = ticket_race(true, &dir);
    let out = run_limited(&["explore", locked.to_str().unwrap(), "--runs", "12", "--out", dir.join("none.fsrec").to_str().unwrap()], Duration::from_secs(120));
    assert_eq!(out.status, 0, "nothing to find with the lock: {}", out.stdout);
    assert!(out.stdout.contains("nothing went wrong in 12 runs"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn processes_behave_as_in_cpython() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("semantics");
    let file = repo("tests/python/programs/semantics.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
    let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(30));
    let norm = |v: &[String]| v.iter().map(|l| normalise(l)).collect::<Vec<_>>();
    assert_eq!(norm(&fs_lines), norm(&py_lines), "the same lines in the same order");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    let exit = |name: &str| s["processes"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["exitcode"].clone();
    assert_eq!(exit("Process-1"), -15, "the daemon is terminated (SIGTERM)");
    assert_eq!(exit("Process-3"), 1, "an uncaught exception exits 1");
    assert_eq!(exit("Process-4"), 3, "sys.exit(3)");
    assert_eq!(exit("MyProcess-5"), 0, "a subclass is named after its class, the name set before super().__init__() lost");
    let stderr: Vec<&str> = records.iter().filter(|r| r["type"] == "stderr").filter_map(|r| r["text"].as_str()).collect();
    assert!(stderr.iter().any(|t| t.starts_with("Process Process-3:\nTraceback (most recent call last):") && t.ends_with("ValueError: boom")), "the traceback, as CPython prints it: {stderr:?}");
    assert!(stderr.iter().any(|t| t.ends_with("AssertionError: daemonic processes are not allowed to have children")), "{stderr:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pools_behave_as_in_cpython() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("pool");
    for prog in ["pool.py", "pool_plain_queue.py"] {
        let file = repo("tests/python/programs").join(prog);
        let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
        let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(30));
        assert_eq!(fs_lines, py_lines, "{prog}: the same lines in the same order");
        assert_eq!(main_exitcode(&s), Some(code as i64), "{prog}");
        if prog == "pool.py" {
            let workers = s["processes"].as_array().unwrap().iter().filter(|p| p["name"].as_str().unwrap().starts_with("ForkPoolWorker-")).count();
            assert_eq!(workers, 5, "3 + 2 workers, real processes named as CPython names them");
            assert!(records.iter().any(|r| r["type"] == "resource" && r["kind"] == "pool"), "the pool is a resource of the run");
        }
    }
    // Stepped, the same schedule gives the same records.
    let file = repo("tests/python/programs/pool.py");
    let (_, a_lines, a) = forkscope(&file, &["--schedule", "random", "--seed", "2"], Duration::from_secs(60));
    let (_, _, b) = forkscope(&file, &["--schedule", "random", "--seed", "2"], Duration::from_secs(60));
    assert_eq!(shape(&a), shape(&b));
    assert_eq!(a_lines.len(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn managers_behave_as_in_cpython() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("manager");
    let file = repo("tests/python/programs/manager.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(60)).expect("CPython ends");
    let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(60));
    assert_eq!(fs_lines, py_lines, "the same lines in the same order");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    // The managers are real processes, children of main, named as CPython names them.
    let procs = s["processes"].as_array().unwrap();
    let main = procs.iter().find(|p| p["name"] == "MainProcess").unwrap();
    for name in ["SyncManager-1", "SyncManager-13", "SyncManager-14"] {
        let m = procs.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name}: {s}"));
        assert_eq!(m["ppid"], main["pid"], "{name} is a child of main");
        assert_eq!(m["parent"], main["lane"]);
        assert_eq!(m["exitcode"], 0, "{name} ends when shut down");
    }
    // The managed primitives are the run's, made by the manager, after their variables.
    let manager_lane = procs.iter().find(|p| p["name"] == "SyncManager-1").unwrap()["lane"].clone();
    for (name, kind) in [("lock", "lock"), ("q", "joinable_queue"), ("b", "barrier"), ("cond", "condition"), ("ev", "event")] {
        assert!(records.iter().any(|r| r["type"] == "resource" && r["name"] == name && r["kind"] == kind && r["lane"] == manager_lane), "{name} ({kind}) made by SyncManager-1");
    }
    // Stepped, proxies work the same, and the same schedule gives the same records.
    let (s, a_lines, a) = forkscope(&file, &["--schedule", "random", "--seed", "4"], Duration::from_secs(90));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(a_lines, py_lines);
    let (_, _, b) = forkscope(&file, &["--schedule", "random", "--seed", "4"], Duration::from_secs(90));
    assert_eq!(shape(&a), shape(&b), "same schedule and seed, same records");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_process_waiting_on_a_managed_queue_or_lock_is_blocked_on_it() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("manager-blocked");
    let file = repo("tests/python/programs/manager_blocked.py");
    let (s, lines, records) = forkscope(&file, &["--schedule", "rr"], Duration::from_secs(60));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["got item", "consumer has the lock"]);
    let procs = s["processes"].as_array().unwrap();
    let lane_of = |name: &str| procs.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name}: {s}"))["lane"].clone();
    let main = procs.iter().find(|p| p["name"] == "MainProcess").unwrap();
    let manager = procs.iter().find(|p| p["name"] == "SyncManager-1").expect("the manager's lane is named as CPython names its process");
    assert_eq!(manager["ppid"], main["pid"], "the manager is a child of the process that made it");
    let res = |name: &str| records.iter().find(|r| r["type"] == "resource" && r["name"] == name).unwrap_or_else(|| panic!("resource {name}"))["res"].clone();
    let consumer = lane_of("Process-2");
    assert!(records.iter().any(|r| r["type"] == "block" && r["lane"] == consumer && r["op"] == "get" && r["res"] == res("q")), "Process-2 blocked in get on the managed queue q");
    assert!(records.iter().any(|r| r["type"] == "block" && r["lane"] == manager["lane"] && r["op"] == "get" && r["res"] == res("SyncManager-1 requests")), "the manager idles on its requests");
    // Stepped by statement too: the manager's first wait (in no line of the
    // user's) ends the step that started it (it once held the run for 10 s).
    let (s, lines, _) = forkscope(&file, &["--schedule", "rr", "--statements", "--timeout", "8"], Duration::from_secs(60));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["got item", "consumer has the lock"]);

    // Never fed, never released: the finding names the managed queue, then the managed lock.
    let src = std::fs::read_to_string(&file).unwrap();
    for (tag, edited, want) in [
        ("queue", src.replace("    q.put(\"item\")", "    pass"), "Process-2 in get on q"),
        ("lock", src.replace("    lock.release()", "    pass"), "Process-2 waits for lock"),
    ] {
        let f = dir.join(format!("blocked_{tag}.py"));
        std::fs::write(&f, edited).unwrap();
        let (s, _, _) = forkscope(&f, &["--schedule", "rr"], Duration::from_secs(60));
        assert_eq!(s["outcome"], "deadlock", "{tag}: {s}");
        assert!(s["findings"].to_string().contains(want), "{tag}: {want}: {}", s["findings"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_spawn_start_method_imports_main_again_as_cpython_does() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("spawn");
    for prog in ["spawn.py", "spawn_without_guard.py"] {
        let file = repo("tests/python/programs").join(prog);
        let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
        let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(30));
        let (d, n) = difference(&py_lines, &fs_lines);
        assert!(n == 0 || same_characters(&py_lines, &fs_lines), "{prog}: {d:?}\nCPython {py_lines:?}\nforkscope {fs_lines:?}");
        assert_eq!(main_exitcode(&s), Some(code as i64), "{prog}");
        if prog == "spawn_without_guard.py" {
            let child = s["processes"].as_array().unwrap().iter().find(|p| p["name"] == "Process-1").unwrap()["exitcode"].clone();
            assert_eq!(child, 1, "the child fails while bootstrapping");
            assert!(records.iter().any(|r| r["type"] == "error" && r["message"].as_str().unwrap_or("").starts_with("RuntimeError: An attempt has been made to start a new process before the")), "CPython's bootstrapping error");
        } else {
            assert!(fs_lines.iter().any(|l| l == "top level in __mp_main__ Process-1"), "the child ran the top level again: {fs_lines:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn input_reads_the_runs_standard_input_as_cpython_reads_stdin() {
    let _share = crate::common::share();
    python3();
    let file = repo("tests/python/programs/input.py");
    // CPython, fed two lines on stdin.
    let out = Command::new(python3()).arg(&file).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().and_then(|mut c| {
        use std::io::Write;
        c.stdin.take().unwrap().write_all(b"carol\ndave\n")?;
        c.wait_with_output()
    });
    let py = String::from_utf8_lossy(&out.unwrap().stdout).into_owned();
    // forkscope, fed the same on its stdin, then with --input.
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless", "--json"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"carol\ndave\n").unwrap();
    }
    let out = wait_limited(&mut child, Duration::from_secs(30));
    let printed: String = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    // The prompts are output without a newline: compare the text itself.
    assert_eq!(printed.replace('\n', ""), py.replace('\n', ""), "the same output as CPython's");
    assert!(printed.contains("hello carol") && printed.contains("child EOFError: EOF when reading a line") && printed.contains("EOFError: EOF when reading a line"));
    let rec = out.records();
    assert!(rec.iter().any(|r| r["type"] == "block" && r["op"] == "input"), "main blocked on input");
    let (s, lines, _) = forkscope(&file, &["--input", "alice"], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed");
    assert!(lines.iter().any(|l| l == "hello alice"), "{lines:?}");
    // Stepped, a process waiting for input is not a stall.
    let (s, lines, _) = forkscope(&file, &["--input", "eve", "--schedule", "rr"], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert!(lines.iter().any(|l| l == "hello eve"));
}

#[test]
fn statement_steps_follow_python_lines() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("statements");
    let file = dir.join("count.py");
    std::fs::write(&file, "total = 0\nfor i in range(3):\n    total += i\nprint(total)\n").unwrap();
    let (s, lines, records) = forkscope(&file, &["--schedule", "rr", "--statements"], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed");
    assert_eq!(lines, ["3"]);
    let steps = s["steps"].as_u64().or_else(|| records.iter().filter(|r| r["type"] == "grant").count().try_into().ok()).unwrap();
    let (_, _, op_records) = forkscope(&file, &["--schedule", "rr"], Duration::from_secs(30));
    let op_steps = op_records.iter().filter(|r| r["type"] == "grant").count() as u64;
    assert!(steps > op_steps + 5, "a step per Python line ({steps}) is more than a step per op ({op_steps})");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_python_input_is_a_clear_message_and_leaves_nothing() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("bad");
    let syntax = dir.join("syntax.py");
    std::fs::write(&syntax, "import os\ndef f(:\n    pass\n").unwrap();
    for args in [vec!["run", syntax.to_str().unwrap(), "--headless"], vec!["check", syntax.to_str().unwrap()]] {
        let out = run(&args);
        assert_eq!(out.status, 1);
        assert_eq!(out.stderr.trim(), format!("{}:2:7: SyntaxError: invalid syntax", syntax.display()));
    }
    let out = run(&["run", dir.join("missing.py").to_str().unwrap(), "--headless"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("missing.py") && out.stderr.contains("No such file"), "{}", out.stderr);
    let sub = dir.join("sub.py");
    std::fs::create_dir_all(&sub).unwrap();
    let out = run(&["run", sub.to_str().unwrap(), "--headless"]);
    assert_eq!((out.status, out.stderr.trim().ends_with("is a directory, not a lesson file")), (2, true), "{}", out.stderr);
    let latin = dir.join("latin.py");
    std::fs::write(&latin, b"print('caf\xe9')\n").unwrap();
    let out = run(&["run", latin.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status, 1);
    assert_eq!(out.stderr.trim(), format!("{}:1:11: not UTF-8 text (byte 0xe9)", latin.display()));

    // No python3: one line, exit 2.
    let ok = dir.join("ok.py");
    std::fs::write(&ok, "print('hi')\n").unwrap();
    let out = Command::new(bin()).args(["run", ok.to_str().unwrap(), "--headless"]).env("PATH", "/nonexistent").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("forkscope: python3 was not found on PATH"), "{err}");
    let out = run(&["--python", "/nonexistent/python3", "run", ok.to_str().unwrap(), "--headless"]);
    assert_eq!((out.status, out.stderr.trim()), (2, "forkscope: --python /nonexistent/python3: no such executable file"));

    // What this version does not run yet: a clear NotImplementedError on the
    // process's lane, exit 1, no crash or hang.
    // A manager in another program (CPython's remote managers): only the run's own run here.
    let (what, src) = ("connect()", "from multiprocessing.managers import BaseManager\nBaseManager(address=('127.0.0.1', 50000), authkey=b'k').connect()\n");
    let f = dir.join("unsupported.py");
    std::fs::write(&f, src).unwrap();
    let (s, _, records) = forkscope(&f, &["--timeout", "20"], Duration::from_secs(30));
    assert_eq!(main_exitcode(&s), Some(1), "{what}: {s}");
    let errors: Vec<String> = records.iter().filter(|r| r["type"] == "error").map(|r| r["message"].to_string()).collect();
    assert!(errors.iter().any(|e| e.contains("NotImplementedError") && e.contains(what)), "{what}: {errors:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn processes_made_outside_multiprocessing_end_with_the_run() {
    let _share = crate::common::share();
    python3();
    let file = repo("tests/python/programs/escape.py");
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    let s = out.summary();
    let text = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let sleeper: i32 = text.iter().find_map(|l| l.strip_prefix("started ")).expect("the program printed its subprocess's pid").parse().unwrap();
    let child_sleeper: i32 = text.iter().find_map(|l| l.strip_prefix("child started ")).expect("the forked child printed its subprocess's pid").parse().unwrap();
    let mut all = pids(&s);
    all.extend([sleeper, child_sleeper]);
    assert_left_nothing(out.pid, &all, Duration::from_secs(5));
    // No process carries the run's segment on its command line any more
    // (the os.fork child of main does).
    let live = processes_of_run(out.pid, "");
    assert!(live.is_empty(), "still alive: {live:?}");
}

#[test]
fn sigkill_of_forkscope_ends_every_python_process() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("sigkill");
    let file = ticket_race(true, &dir);
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless", "--json"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let conductor = child.id() as i32;
    // Wait until the buyers run (their command lines name the run's segment).
    let of_run = || processes_of_run(conductor, "python");
    let t0 = Instant::now();
    while of_run().len() < 4 {
        assert!(t0.elapsed() < Duration::from_secs(20), "the Python processes did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pids = of_run();
    child.kill().unwrap();
    let _ = child.wait();
    assert_left_nothing(conductor, &pids, Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_python_side_passes_its_own_unit_tests() {
    let _share = crate::common::share();
    let out = Command::new(python3()).args(["-m", "unittest", "discover", "-s", "python/tests", "-t", "python"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python/tests failed:\n{err}");
    assert!(err.contains("OK"), "{err}");
}

#[test]
fn explore_finds_the_python_deadlock_and_saves_it() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("deadlock");
    let file = repo("tests/python/programs/deadlock.py");
    let saved = dir.join("dl.fsrec");
    let out = run_limited(&["explore", file.to_str().unwrap(), "--runs", "30", "--out", saved.to_str().unwrap()], Duration::from_secs(120));
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Process-1 waits for fork, Process-2 waits for noodles") || out.stdout.contains("Process-1 waits for noodles, Process-2 waits for fork") || out.stdout.contains("waits for"), "{}", out.stdout);
    let replay = run_limited(&["replay", saved.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    assert_eq!(replay.summary()["outcome"], "deadlock");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stepped_time_is_virtual_and_random_follows_the_seed() {
    let _share = crate::common::share();
    python3();
    let file = repo("tests/python/programs/clocks.py");
    let t0 = Instant::now();
    let (_, a, _) = forkscope(&file, &["--schedule", "rr", "--seed", "3"], Duration::from_secs(30));
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(a[0], "slept 1.500 1.500 1.500", "the clocks moved by the virtual sleep exactly");
    let (_, b, _) = forkscope(&file, &["--schedule", "rr", "--seed", "3"], Duration::from_secs(30));
    let (_, c, _) = forkscope(&file, &["--schedule", "rr", "--seed", "4"], Duration::from_secs(30));
    assert_eq!(a[1], b[1], "the same seed, the same random numbers");
    assert_ne!(a[1], c[1], "another seed, other numbers");
    // Running freely, time is real.
    let (_, d, _) = forkscope(&file, &[], Duration::from_secs(30));
    let slept: f64 = d[0].split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((1.49..3.0).contains(&slept), "{d:?}");
}

/// Every CPython 3.9–3.13 this machine has (`python3` and `python3.X` on
/// PATH, and pyenv's versions under `$PYENV_ROOT` or `~/.pyenv`) runs the
/// ticket race, stepped by op and by statement. Where pyenv is set up it
/// must find at least two versions (one would only test the interpreter
/// every other test uses); a fresh machine with its one `python3` and no
/// pyenv tests that one and says that no other version was there to test.
#[test]
fn every_supported_cpython_found_here_runs_it() {
    let _share = crate::common::share();
    python3();
    let mut found: Vec<PathBuf> = Vec::new();
    let on_path = |name: &str| std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()));
    found.extend(on_path("python3"));
    for minor in 9..=13 {
        found.extend(on_path(&format!("python3.{minor}")));
    }
    let pyenv = std::env::var_os("PYENV_ROOT").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(root) = &pyenv
        && let Ok(rd) = std::fs::read_dir(root.join("versions"))
    {
        for e in rd.flatten() {
            let v = e.file_name().to_string_lossy().into_owned();
            let minor = v.strip_prefix("3.").and_then(|r| r.split('.').next()).and_then(|m| m.parse::<u32>().ok());
            if minor.is_some_and(|m| (9..=13).contains(&m)) && e.path().join("bin/python3").is_file() {
                found.push(e.path().join("bin/python3"));
            }
        }
    }
    // Only those that answer (a pyenv shim of a version not selected does
    // not) with a supported version, one per version.
    let mut versions = std::collections::BTreeMap::new();
    let mut others = Vec::new();
    for py in found {
        let out = Command::new(&py).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stderr(Stdio::null()).output();
        let v = out.ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        match v.as_deref().and_then(|v| v.strip_prefix("3.")).and_then(|m| m.parse::<u32>().ok()) {
            Some(minor) if (9..=13).contains(&minor) => {
                versions.entry(minor).or_insert(py);
            }
            _ => others.push(format!("{} ({})", py.display(), v.unwrap_or_else(|| "does not run".into()))),
        }
    }
    let list = versions.iter().map(|(m, p)| format!("3.{m} at {}", p.display())).collect::<Vec<_>>().join(", ");
    eprintln!("CPython interpreters found: {list}");
    let pyenv_set_up = pyenv.as_deref().is_some_and(|p| p.join("versions").is_dir());
    if versions.len() == 1 && !pyenv_set_up {
        eprintln!("note: only one CPython here ({list}) and no pyenv: the other versions are not tested on this machine (`pyenv install 3.9 3.13` adds them)");
    }
    assert!(
        versions.len() >= 2 || (versions.len() == 1 && !pyenv_set_up),
        "at least two of CPython 3.9–3.13 are needed to test more than one version; found {}{}. \
         Looked for python3 and python3.9 … python3.13 on PATH and in {}/versions. \
         Get more with pyenv (`pyenv install 3.9 3.13`) or your system's python3.X packages",
        if list.is_empty() { "none".to_string() } else { list },
        if others.is_empty() { String::new() } else { format!(" (unsupported or not running: {})", others.join(", ")) },
        pyenv.as_deref().map_or("~/.pyenv".into(), |p| p.display().to_string()),
    );
    let found: Vec<PathBuf> = versions.into_values().collect();
    let dir = tempdir("versions");
    let file = ticket_race(false, &dir);
    for py in &found {
        for extra in [&["--schedule", "rr"][..], &["--schedule", "rr", "--statements"][..]] {
            let mut args = vec!["--python", py.to_str().unwrap(), "run", file.to_str().unwrap(), "--headless", "--json"];
            args.extend_from_slice(extra);
            let out = run_limited(&args, Duration::from_secs(60));
            let s = out.summary();
            assert_eq!(s["outcome"], "assertion", "{} {extra:?}: {s}", py.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- sockets ------------------------------------------------------------------------

/// A port no one listens on now (the kernel's choice).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether a socket listens on `port` (the kernel's table: no probe
/// connection, which a server would accept as a client).
fn listening(port: u16) -> bool {
    let want = format!(":{port:04X} ");
    std::fs::read_to_string("/proc/net/tcp").unwrap_or_default().lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && format!("{} ", f[1]).ends_with(&want) && f[3] == "0A"
    })
}

/// A forkscope run with `--json` whose records are read as they come.
struct LiveRun {
    child: std::process::Child,
    lines: std::sync::Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl LiveRun {
    fn start(args: &[&str], env: &[(&str, String)]) -> LiveRun {
        use std::io::BufRead;
        let mut cmd = Command::new(bin());
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start forkscope");
        let out = child.stdout.take().unwrap();
        let lines = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(l);
            }
        });
        LiveRun { child, lines, reader: Some(reader) }
    }

    fn records(&self) -> Vec<Value> {
        self.lines.lock().unwrap().iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Waits (bounded) until a record satisfies `pred`; returns it.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_nth(what, 1, pred)
    }

    /// Waits (bounded) until `n` records satisfy `pred`; returns the `n`th.
    fn wait_for_nth(&mut self, what: &str, n: usize, pred: impl Fn(&Value) -> bool) -> Value {
        let t0 = Instant::now();
        loop {
            if let Some(r) = self.records().into_iter().filter(|r| pred(r)).nth(n - 1) {
                return r;
            }
            let ended = self.child.try_wait().unwrap().is_some();
            assert!(!ended && t0.elapsed() < Duration::from_secs(20), "no record of {what}: {:?}", self.records());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (bounded) for the end: the records and the summary; checks
    /// that the run left nothing behind.
    fn finish(mut self, limit: Duration) -> (Vec<Value>, Value) {
        let t0 = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if t0.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("forkscope took longer than {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.reader.take().unwrap().join().unwrap();
        let mut records = self.records();
        let summary = records.pop().expect("a summary");
        assert_eq!(summary["type"], "summary");
        assert_left_nothing(self.child.id() as i32, &pids(&summary), Duration::from_secs(5));
        (records, summary)
    }
}

/// What one side of a socket pair did: printed lines, the main process's
/// exit code.
type Side = (Vec<String>, Option<i64>);

/// A notes server and its client under CPython (`python3 -u`, the client
/// started once the server listens, its input() fed on stdin).
fn socket_pair_cpython(server: &Path, client: &Path, stdin: &str, dir: &Path) -> (Side, Side) {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    let port = free_port().to_string();
    let start = |file: &Path, piped_in: bool| {
        Command::new(python3())
            .arg("-u")
            .arg(file)
            .current_dir(dir)
            .env("FORKSCOPE_PORT", &port)
            .env("FORKSCOPE_CONNS", "1")
            .stdin(if piped_in { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let finish = |mut c: std::process::Child| -> Side {
        let t0 = Instant::now();
        let code = loop {
            if let Some(st) = c.try_wait().unwrap() {
                break st.code().map(i64::from);
            }
            if t0.elapsed() > Duration::from_secs(20) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // SAFETY: plain syscall; the group is the one the child made.
        unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
        let _ = c.wait();
        let mut s = String::new();
        let _ = c.stdout.take().unwrap().read_to_string(&mut s);
        (s.lines().map(str::to_string).collect(), code)
    };
    let srv = start(server, false);
    let t0 = Instant::now();
    while !listening(port.parse().unwrap()) {
        assert!(t0.elapsed() < Duration::from_secs(10), "CPython's {server:?} does not listen");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut cli = start(client, true);
    cli.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let client_side = finish(cli);
    (finish(srv), client_side)
}

/// The same pair under forkscope, each in its own run: the client started
/// once the server is blocked in accept, its input() fed with `--input`.
fn socket_pair_forkscope(server: &Path, client: &Path, stdin: &str) -> (Side, Side) {
    let port = free_port().to_string();
    let env = [("FORKSCOPE_PORT", port.clone()), ("FORKSCOPE_CONNS", "1".to_string())];
    let mut srv = LiveRun::start(&["run", server.to_str().unwrap(), "--headless", "--json", "--timeout", "20"], &env);
    srv.wait_for("the server blocked in accept", |r| r["type"] == "block" && r["op"] == "accept");
    let mut args = vec!["run", client.to_str().unwrap(), "--headless", "--json", "--timeout", "20"];
    for l in stdin.lines() {
        args.extend(["--input", l]);
    }
    let side = |(records, summary): (Vec<Value>, Value)| -> Side {
        (records.iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap_or("").to_string()).collect(), main_exitcode(&summary))
    };
    let cli = side(LiveRun::start(&args, &env).finish(Duration::from_secs(30)));
    (side(srv.finish(Duration::from_secs(30))), cli)
}

#[test]
fn the_notes_socket_servers_and_clients_talk_as_in_cpython() {
    let _share = crate::common::share();
    python3();
    let catalogue: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(repo("tests/python/notes/catalogue.json")).unwrap()).unwrap();
    let servers: Vec<&Value> = catalogue.iter().filter(|e| e["socket"]["role"] == "server").collect();
    assert_eq!(servers.len(), 4, "the notes have four socket servers");
    // They mostly wait: all pairs side by side.
    let verdicts: Vec<(String, Result<(), String>)> = std::thread::scope(|s| {
        let runs: Vec<_> = servers
            .iter()
            .map(|e| {
                s.spawn(move || {
                    let notes = repo("tests/python/notes");
                    let server = notes.join(e["file"].as_str().unwrap());
                    let client_name = e["socket"]["partner"].as_str().unwrap();
                    let client = notes.join(client_name);
                    let stdin = catalogue_entry(client_name)["socket"]["stdin"].as_str().unwrap_or("").to_string();
                    let dir = tempdir(&format!("sock-{client_name}"));
                    let compare = || -> Result<(), String> {
                        let ((py_srv, py_srv_code), (py_cli, py_cli_code)) = socket_pair_cpython(&server, &client, &stdin, &dir);
                        let ((fs_srv, fs_srv_code), (fs_cli, fs_cli_code)) = socket_pair_forkscope(&server, &client, &stdin);
                        // The prompts of input() end no line: the client's text, without line breaks.
                        let flat = |v: &[String]| v.concat();
                        // What a server prints once its client has gone (the
                        // empty message: `b''`, or an empty line) races with
                        // its next send, in CPython too: recv gives the end,
                        // or ConnectionResetError before it (the notes say so).
                        let talk = |v: &[String]| v.iter().filter(|l| !matches!(l.as_str(), "" | "b''")).cloned().collect::<Vec<_>>();
                        let (py_srv, fs_srv) = (talk(&py_srv), talk(&fs_srv));
                        if (py_srv_code, py_cli_code) != (fs_srv_code, fs_cli_code) {
                            Err(format!("exit codes (server, client): CPython {:?}, forkscope {:?}", (py_srv_code, py_cli_code), (fs_srv_code, fs_cli_code)))
                        } else if difference(&py_srv, &fs_srv).1 != 0 {
                            Err(format!("the server printed: CPython {py_srv:?}, forkscope {fs_srv:?}"))
                        } else if flat(&py_cli) != flat(&fs_cli) {
                            Err(format!("the client printed: CPython {py_cli:?}, forkscope {fs_cli:?}"))
                        } else {
                            Ok(())
                        }
                    };
                    // The end of a connection races with the server's last
                    // send (BrokenPipeError or ConnectionResetError, in
                    // CPython too): a difference must show twice.
                    let v = compare().or_else(|_| compare());
                    let _ = std::fs::remove_dir_all(&dir);
                    (e["file"].as_str().unwrap().to_string(), v)
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let bad: Vec<String> = verdicts.iter().filter_map(|(f, v)| v.as_ref().err().map(|e| format!("{f}: {e}"))).collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn catalogue_entry(file: &str) -> Value {
    let catalogue: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(repo("tests/python/notes/catalogue.json")).unwrap()).unwrap();
    catalogue.into_iter().find(|e| e["file"] == file).unwrap_or_else(|| panic!("{file} is not in the catalogue"))
}

#[test]
fn sockets_behave_as_in_cpython() {
    let _share = crate::common::share();
    python3();
    let dir = tempdir("sockets");
    let file = repo("tests/python/programs/sockets.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
    let norm = |v: &[String]| v.iter().map(|l| normalise(l)).collect::<Vec<_>>();
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, records) = forkscope(&file, extra, Duration::from_secs(30));
        assert_eq!(norm(&fs_lines), norm(&py_lines), "{extra:?}: the same lines in the same order");
        assert_eq!(main_exitcode(&s), Some(code as i64));
        assert_eq!(s["outcome"], "completed", "{extra:?}");
        // The sockets are resources named after their variables (who
        // waits for whom depends on how the processes run: the other test
        // shows the waits, with a client from outside).
        let named = |n: &str| records.iter().find(|r| r["type"] == "resource" && r["kind"] == "socket" && r["name"] == n).map(|r| r["res"].clone());
        let (srv, conn) = (named("srv").expect("srv"), named("conn").expect("conn"));
        assert!(named("c").is_some(), "the client's socket, from `with ... as c`");
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "listen" && r["res"] == srv && r["detail"].as_str().is_some_and(|d| d.starts_with("127.0.0.1:"))), "srv listens, shown with its address");
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "accept" && r["res"] == srv && r["b"] == conn), "conn is what srv accepted");
        let closes: Vec<i64> = records.iter().filter(|r| r["type"] == "op" && r["op"] == "sock_close" && r["res"] == conn).filter_map(|r| r["a"].as_i64()).collect();
        assert_eq!(closes.len(), 2, "main and the child it gave conn to each closed it");
        assert!(closes.contains(&0) && closes.contains(&1), "the last holder's close ends it: {closes:?}");
        assert!(records.iter().any(|r| r["type"] == "timeout" && r["op"] == "accept" && r["res"] == srv), "accept with a timeout timed out");
        let late = named("late").expect("late");
        assert!(records.iter().any(|r| r["type"] == "block" && r["op"] == "connect" && r["res"] == late), "late blocked in connect on its socket");
        assert!(records.iter().any(|r| r["type"] == "timeout" && r["op"] == "connect" && r["res"] == late), "and timed out");
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "sock_recv" && r["detail"].as_str().is_some_and(|d| d.starts_with("line one"))), "makefile() reads through the runtime's recv");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_client_from_outside_talks_to_a_python_server_shown_blocked_on_its_socket() {
    let _share = crate::common::share();
    use std::io::{Read, Write};
    python3();
    let port = free_port();
    let file = repo("tests/python/programs/socket_server.py");
    let mut run = LiveRun::start(&["run", file.to_str().unwrap(), "--headless", "--json", "--timeout", "30"], &[("FORKSCOPE_PORT", port.to_string())]);
    let srv = run.wait_for("srv", |r| r["type"] == "resource" && r["name"] == "srv")["res"].clone();
    let listen = run.wait_for("listen", |r| r["type"] == "op" && r["op"] == "listen");
    assert_eq!((listen["res"].clone(), listen["detail"].as_str()), (srv.clone(), Some(format!("127.0.0.1:{port}").as_str())), "srv shown with its address");
    run.wait_for("main blocked in accept on srv", |r| r["type"] == "block" && r["op"] == "accept" && r["res"] == srv && r["lane"] == 1);
    // A client from outside the run (as `nc 127.0.0.1 PORT` would be).
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the server listens");
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let me = tcp.local_addr().unwrap().port();
    let accept = run.wait_for("the accept", |r| r["type"] == "op" && r["op"] == "accept");
    assert_eq!(accept["detail"].as_str(), Some(format!("127.0.0.1:{me}").as_str()), "the accept names the client's address");
    let conn = accept["b"].clone();
    let mut buf = [0u8; 64];
    for (i, word) in ["hello\n", "你好 bye\n"].into_iter().enumerate() {
        // Sent only once the child waits in recv on its connection: it is
        // woken by polling (no process of the run sends to it).
        run.wait_for_nth("the child blocked in recv on conn", i + 1, |r| r["type"] == "block" && r["op"] == "sock_recv" && r["res"] == conn && r["lane"] != 1);
        tcp.write_all(word.as_bytes()).unwrap();
        let n = tcp.read(&mut buf).unwrap();
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), word.to_uppercase());
    }
    drop(tcp);
    let (records, s) = run.finish(Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(main_exitcode(&s), Some(0));
    let printed: Vec<&str> = records.iter().filter(|r| r["type"] == "print").filter_map(|r| r["text"].as_str()).collect();
    assert_eq!(printed, ["served 127.0.0.1"]);
    assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "sock_recv" && r["res"] == conn && r["detail"] == "hello "), "the child's recv shows what came: {records:?}");
}

/// `python3` on PATH is often a version manager's shim (pyenv's: a shell
/// script that takes a quarter of a second to choose an interpreter). It is
/// asked once, with the syntax of the lesson and all its variants; the run
/// and every later start go to the interpreter it chose. (It was started
/// once for the probe and once for each program of the lesson, and the
/// run's main went through it too: two seconds before each run here.)
#[test]
fn a_python3_shim_on_path_is_asked_once() {
    let _share = common::share();
    let dir = tempdir("shim");
    let log = dir.join("asked");
    let shim = dir.join("python3");
    let real = Command::new(python3()).args(["-c", "import sys; print(sys.executable)"]).output().expect("python3 answers").stdout;
    let real = String::from_utf8_lossy(&real).trim().to_string();
    std::fs::write(&shim, format!("#!/bin/sh\necho asked >> '{}'\nexec '{real}' \"$@\"\n", log.display())).unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(bin());
    cmd.args(["run", "ticket-race.py", "--param", "variant=race", "--param", "buyers=2", "--headless", "--json", "--timeout", "60"]).env("PATH", &path).current_dir(&dir);
    let (code, out) = run_bounded(cmd, Duration::from_secs(90)).expect("the run ends");
    assert_eq!(code, 0, "{out}");
    let asked = std::fs::read_to_string(&log).unwrap_or_default().lines().count();
    assert_eq!(asked, 1, "the shim is asked once (the lesson has six programs): {asked} times");
    let _ = std::fs::remove_dir_all(&dir);
}
