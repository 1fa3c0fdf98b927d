//! A Python program's streams, attacked: `sys.stdout` and `sys.stderr`
//! replaced (a tee class, a file, `sys.__stdout__`), output that bypasses
//! `print()` (the real descriptors 1 and 2: `os.write`, a subprocess,
//! `os.system`; `sys.stdout.buffer`), standard input that never ends or
//! comes in one huge line, `getpass`, very many partial lines, a deep
//! traceback, a source in Latin-1. Each beside plain `python3` where python3
//! is the reference.

use crate::common;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use common::*;

fn lane_of(s: &Value, name: &str) -> Value {
    s["processes"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name}: {s}"))["lane"].clone()
}

fn exitcodes(s: &Value) -> Vec<(String, i64)> {
    s["processes"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap().to_string(), p["exitcode"].as_i64().unwrap_or(-999))).collect()
}

#[test]
fn replacing_sys_stdout_or_stderr_keeps_children_running_as_in_cpython() {
    let _share = common::share();
    python3();
    let dir = tempdir("replaced-streams");
    let file = repo("tests/python/programs/replaced_streams.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
    let (s, fs_lines, _) = forkscope(&file, &[], Duration::from_secs(30));
    assert_eq!(fs_lines, py_lines, "the same lines in the same order");
    assert!(py_lines.iter().any(|l| l == "tee [0, 0, 0]"), "{py_lines:?}");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    let codes = exitcodes(&s);
    assert_eq!(codes.iter().filter(|(_, c)| *c == 0).count(), 10, "main and nine children exit 0: {codes:?}");
    assert_eq!(codes.iter().filter(|(_, c)| *c == 1).count(), 3, "the three that raise exit 1: {codes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_that_bypasses_print_reaches_the_log_in_order() {
    let _share = common::share();
    python3();
    let dir = tempdir("raw-output");
    let file = repo("tests/python/programs/raw_output.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
    let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(30));
    assert_eq!(fs_lines, py_lines, "os.write, subprocesses, os.system, sys.stdout.buffer: the same lines in the same order");
    assert!(py_lines.iter().any(|l| l == "from os.system"), "{py_lines:?}");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    // Each process's descriptors are its own: the child's os.write is on its lane.
    let child = records.iter().find(|r| r["type"] == "print" && r["text"] == "the child's os.write").expect("the child's raw output");
    assert_eq!(child["lane"], lane_of(&s, "Process-1"));
    // fd 2 is standard error; a line longer than a pipe holds did not stop the subprocess.
    let stderr: Vec<&str> = records.iter().filter(|r| r["type"] == "stderr").filter_map(|r| r["text"].as_str()).collect();
    assert!(stderr.contains(&"os.write to fd 2"), "{stderr:?}");
    assert!(stderr.iter().any(|t| t.starts_with("xxxxxxxx")), "the long line: {:?}", stderr.iter().map(|t| &t[..t.len().min(40)]).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `forkscope run FILE --headless --json` with `input` on its stdin (fed by a
/// thread, as a pipe from another program would be).
fn forkscope_fed(file: &Path, input: impl FnOnce(&mut dyn std::io::Write) + Send + 'static, limit: Duration) -> Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless", "--json"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || input(&mut stdin));
    let pid = child.id() as i32;
    let out = wait_limited(&mut child, limit);
    let _ = feeder.join();
    Output { pid, ..out }
}

#[test]
fn an_endless_stdin_is_not_read_by_a_program_that_never_calls_input() {
    let _share = common::share();
    python3();
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // What `yes |` does: write for as long as anyone reads.
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let file = repo("tests/python/programs/no_input.py");
    let out = forkscope_fed(
        &file,
        move |stdin| {
            let chunk = b"y\n".repeat(2048);
            while stdin.write_all(&chunk).is_ok() {
                w.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        },
        Duration::from_secs(30),
    );
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{s}");
    assert!(out.records().iter().any(|r| r["type"] == "print" && r["text"] == "done without input"));
    let n = written.load(Ordering::SeqCst);
    assert!(n <= 1 << 20, "forkscope read {n} bytes of a stdin no one asked for (a pipe holds 64 KiB)");
}

/// A signal whose handler raises ends `input()` while it waits, as in
/// CPython (before: the handler ran only once a line came, seconds later),
/// and the line that comes later is the next `input()`'s. The line comes 8 s
/// in, long after the alarm (sent once main has waited 0.1 s); python3 runs
/// the program the same way, beside it.
#[test]
fn a_signal_ends_input_and_the_next_input_gets_the_line() {
    let _share = common::share();
    python3();
    use std::process::{Command, Stdio};
    let file = repo("tests/python/programs/input_interrupted.py");
    let late = |stdin: &mut dyn std::io::Write| {
        std::thread::sleep(Duration::from_secs(8));
        let _ = stdin.write_all(b"late line\n");
    };
    let want = ["input() interrupted by the alarm at once", "then read: late line"];
    let dir = tempdir("input_interrupted");
    let mut py = Command::new("python3").arg(&file).current_dir(&dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut py_in = py.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || late(&mut py_in));
    let out = forkscope_fed(&file, late, Duration::from_secs(40));
    let py = wait_limited(&mut py, Duration::from_secs(40));
    let _ = feeder.join();
    let _ = std::fs::remove_dir_all(&dir);
    let py_lines: Vec<&str> = py.stdout.lines().collect();
    assert_eq!(py_lines, want, "python3 itself: {}", py.stderr);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{s}");
    let records = out.records();
    let printed: Vec<&str> = records.iter().filter(|r| r["type"] == "print").filter_map(|r| r["text"].as_str()).collect();
    assert_eq!(printed, want, "{s}");
}

#[test]
fn an_input_line_of_megabytes_arrives_whole_and_the_stream_stays_unread() {
    let _share = common::share();
    python3();
    let file = repo("tests/python/programs/long_line.py");
    let mut input = vec![b'a'; 10 << 20];
    input.extend_from_slice(b"bc\n\nsecond\n");
    // CPython, as the reference.
    let py = {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut c = Command::new(python3()).arg(&file).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut stdin = c.stdin.take().unwrap();
        let data = input.clone();
        let t = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = c.wait_with_output().unwrap();
        t.join().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(py, [format!("{} aaa abc '' second", (10 << 20) + 2), "EOFError: EOF when reading a line".to_string()]);
    let out = forkscope_fed(
        &file,
        move |stdin| {
            let _ = stdin.write_all(&input);
        },
        Duration::from_secs(60),
    );
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{s}");
    let printed: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").filter_map(|r| r["text"].as_str().map(str::to_string)).collect();
    assert_eq!(printed, py, "the long line whole, then the next, then EOF, as CPython reads them");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
}

#[test]
fn getpass_reads_a_line_of_input_and_shows_it_nowhere() {
    let _share = common::share();
    python3();
    let file = repo("tests/python/programs/getpass_prompt.py");
    let (s, lines, records) = forkscope(&file, &["--input", "hunter2", "--input", "hunter2"], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["got 7 characters", "the same"]);
    let all = records.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    assert!(!all.contains("hunter2"), "the password is in the records: {all}");
    let stderr: Vec<&str> = records.iter().filter(|r| r["type"] == "stderr").filter_map(|r| r["text"].as_str()).collect();
    assert_eq!(stderr, ["Password: ", "Again: "], "the prompts, each line ended as the terminal ends it");
    let inputs: Vec<&Value> = records.iter().filter(|r| r["type"] == "op" && r["op"] == "input").collect();
    assert_eq!(inputs.len(), 2, "two reads of the run's input: {inputs:?}");
}

#[test]
fn objects_made_side_by_side_on_one_line_get_their_own_names() {
    let _share = common::share();
    python3();
    let file = repo("tests/python/programs/side_by_side_names.py");
    let (s, lines, records) = forkscope(&file, &[], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["made"]);
    let names: Vec<(&str, &str)> = records.iter().filter(|r| r["type"] == "resource").map(|r| (r["name"].as_str().unwrap(), r["kind"].as_str().unwrap())).collect();
    for want in [("tasks", "queue"), ("results", "queue"), ("lock", "lock"), ("jobs", "queue"), ("left, right", "pipe")] {
        assert!(names.contains(&want), "{want:?} in {names:?}");
    }
}

#[test]
fn a_deep_recursions_traceback_is_printed_as_cpython_prints_it() {
    let _share = common::share();
    python3();
    let dir = tempdir("deep-recursion");
    let file = repo("tests/python/programs/deep_recursion.py");
    let py = std::process::Command::new(python3()).arg(&file).current_dir(&dir).output().unwrap();
    let py_err = String::from_utf8_lossy(&py.stderr).trim_end().to_string();
    assert!(py_err.contains("more times]\nRecursionError: maximum recursion depth exceeded"), "{}", &py_err[py_err.len().saturating_sub(300)..]);
    let (s, _, records) = forkscope(&file, &[], Duration::from_secs(60));
    assert_eq!(s["outcome"], "error", "{s}");
    let tb = records.iter().filter(|r| r["type"] == "stderr").filter_map(|r| r["text"].as_str()).next_back().expect("the traceback");
    assert_eq!(tb, py_err, "the innermost thousand entries, as CPython prints them");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_source_that_declares_its_encoding_is_read_as_python_reads_it() {
    let _share = common::share();
    python3();
    let dir = tempdir("encodings");
    // Latin-1 (é is 0xe9; 0xc3 0xa9 is "Ã©", though it would be UTF-8 for é)
    // and cp1252 (0x80 is €), each declared on its first or second line.
    let cases: [(&str, &[u8]); 2] = [
        ("latin1.py", b"# -*- coding: latin-1 -*-\nprint('caf\xe9', '\xc3\xa9', len('\xe9'))\n"),
        ("cp1252.py", b"#!/usr/bin/env python3\n# vim: set fileencoding=cp1252 :\nprint('\x80 5', 'na\xefve')\n"),
    ];
    for (name, bytes) in cases {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
        assert_eq!(code, 0, "{name}");
        let (s, lines, _) = forkscope(&file, &[], Duration::from_secs(30));
        assert_eq!(s["outcome"], "completed", "{name}: {s}");
        assert_eq!(lines, py_lines, "{name}");
    }
    // An encoding Python does not know is Python's error, at the file.
    let file = dir.join("unknown.py");
    std::fs::write(&file, b"# coding: no-such-codec\nprint(1)\n").unwrap();
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless"], Duration::from_secs(30));
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("unknown.py:1:1: SyntaxError: encoding problem: no-such-codec"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process waits on its capture's pipes with the thread that watches the
/// conductor: one thread of forkscope's in a process that writes nothing to
/// its descriptors (there were two, and a child's start paid for both), and
/// what it does write still reaches its lane (the reader starts then).
#[test]
fn one_thread_watches_the_conductor_and_the_capture_until_output_arrives() {
    let _share = common::share();
    python3();
    let dir = tempdir("one-watcher");
    let file = dir.join("one_watcher.py");
    std::fs::write(
        &file,
        r#"import multiprocessing, os

def threads():
    return len(os.listdir("/proc/self/task"))

def child():
    print("child threads", threads())
    os.write(1, b"the child's os.write\n")

if __name__ == "__main__":
    print("main threads", threads())
    p = multiprocessing.Process(target=child)
    p.start()
    p.join()
    pid = os.fork()
    if pid == 0:
        print("fork threads", threads())
        os.write(1, b"the fork's os.write\n")
        os._exit(0)
    os.waitpid(pid, 0)
    os.write(1, b"main's os.write\n")
"#,
    )
    .unwrap();
    let (s, lines, records) = forkscope(&file, &[], Duration::from_secs(30));
    assert_eq!(s["outcome"], "completed", "{s}");
    // Python's own thread and forkscope's watcher, in each process.
    for who in ["main", "child", "fork"] {
        assert!(lines.contains(&format!("{who} threads 2")), "{who}: {lines:?}");
    }
    for (text, name) in [("the child's os.write", "Process-1"), ("the fork's os.write", "MainProcess/fork-1"), ("main's os.write", "MainProcess")] {
        let r = records.iter().find(|r| r["type"] == "print" && r["text"] == text).unwrap_or_else(|| panic!("{text}: {lines:?}"));
        assert_eq!(r["lane"], lane_of(&s, name), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
