//! Threads of a Python process are lanes: each `threading.Thread` has its
//! own lane under its process (`MainProcess/Thread-1 (worker)`), its own
//! ops, state and waits, stepped by the gate; a thread blocked in an op
//! holds back no other thread of its process; `join` is an op; a thread's
//! end (an exception, `sys.exit`) ends its lane and not its process; the
//! process's end ends its daemon threads' lanes. Beside plain `python3`, and
//! stepped: a race between threads on a global (by statement) and on a
//! shared Value (found by `explore --all`), both replayed; a deadlock
//! between two threads names them.

use crate::common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

/// name -> (lane, exitcode, parent lane) of every lane of the run.
fn lanes(s: &Value) -> BTreeMap<String, (i64, i64, i64)> {
    s["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), (p["lane"].as_i64().unwrap(), p["exitcode"].as_i64().unwrap_or(-999), p["parent"].as_i64().unwrap_or(-1))))
        .collect()
}


#[test]
fn a_thread_waits_on_an_event_a_child_sets_while_main_waits_on_another_as_under_cpython() {
    let _share = common::share();
    python3();
    let dir = tempdir("thread-event");
    let file = repo("tests/python/programs/thread_event.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    assert_eq!((code, &py_lines[..]), (0, &["thread saw a".to_string(), "main saw b".to_string()][..]));
    let mut shapes = Vec::new();
    for extra in [&[][..], &["--schedule", "rr"][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, records) = forkscope(&file, extra, LIMIT);
        assert_eq!(fs_lines, py_lines, "the same lines in the same order ({extra:?})");
        assert_eq!(s["outcome"], "completed", "no deadlock: main and its thread each wait on their own ({extra:?}): {s}");
        assert_eq!(main_exitcode(&s), Some(0));
        assert_eq!(s["findings"], Value::Array(vec![]), "{s}");
        assert_no_record_lost(&s);
        let l = lanes(&s);
        let (thread, code, parent) = l["MainProcess/Thread-1 (<lambda>)"];
        assert_eq!((code, parent), (0, l["MainProcess"].0), "the thread's lane is under its process: {s}");
        // The thread waits, prints and wakes main on its own lane.
        let said = records.iter().find(|r| r["type"] == "print" && r["text"] == "thread saw a").expect("the thread's print");
        assert_eq!(said["lane"], thread, "{said}");
        if !extra.is_empty() {
            // Stepped (free, the child may set `a` before the thread waits).
            assert!(records.iter().any(|r| r["type"] == "block" && r["lane"] == thread && r["op"] == "wait"), "the thread blocks on its own lane ({extra:?})");
            assert!(records.iter().any(|r| r["type"] == "block" && r["lane"] == l["MainProcess"].0 && r["op"] == "wait"), "main blocks on its own lane ({extra:?})");
        }
        // `t.join()` is an op on the thread's lane.
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "join" && r["other"] == thread), "{extra:?}");
        if !extra.is_empty() {
            shapes.push(shape(&records));
        }
    }
    assert_eq!(shapes[0], shapes[1], "the same schedule gives the same records, threads and all");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn threads_ending_every_way_end_their_lanes_and_leave_the_process_exit_code_alone() {
    let _share = common::share();
    python3();
    let dir = tempdir("thread-end");
    let file = repo("tests/python/programs/thread_end.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    let py_err = Command::new(python3()).arg(&file).current_dir(&dir).stdin(Stdio::null()).output().expect("python3 runs");
    let py_err = String::from_utf8_lossy(&py_err.stderr).into_owned();
    assert!(py_err.starts_with("Exception in thread boomer:\n"), "{py_err}");
    let (s, fs_lines, records) = forkscope(&file, &[], LIMIT);
    assert_eq!(fs_lines, py_lines, "the same lines in the same order");
    assert_eq!(main_exitcode(&s), Some(code as i64), "an exception in a thread leaves the exit code alone: {s}");
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_no_record_lost(&s);
    let l = lanes(&s);
    for name in ["MainProcess/boomer", "MainProcess/Thread-1 (quits)", "MainProcess/Thread-2 (waiter)", "MainProcess/Thread-3 (late)"] {
        assert_eq!(l[name].1, 0, "{name}: {s}");
    }
    // The exception is printed as CPython's threading.excepthook prints it,
    // as one op on the thread's own lane, and is the thread's error.
    let err = records.iter().find(|r| r["type"] == "stderr").expect("the thread's traceback");
    assert_eq!(err["lane"], l["MainProcess/boomer"].0, "{err}");
    assert_eq!(err["text"].as_str().unwrap(), py_err.trim_end(), "as CPython prints it");
    let errors: Vec<&str> = s["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str()).collect();
    assert_eq!(errors, ["MainProcess/boomer: ValueError: boom in a thread"], "{s}");
    // The daemon thread, still waiting, ends with its process (after main).
    let ended: Vec<i64> = records.iter().filter(|r| r["type"] == "ended").map(|r| r["process"].as_i64().unwrap()).collect();
    assert_eq!(ended.last(), Some(&l["MainProcess/Thread-2 (waiter)"].0), "{ended:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_deadlock_between_two_threads_names_the_threads() {
    let _share = common::share();
    let file = repo("tests/python/programs/thread_deadlock.py");
    let (s, fs_lines, _) = forkscope(&file, &["--timeout", "30"], LIMIT);
    assert!(fs_lines.is_empty(), "{fs_lines:?}");
    assert_eq!(s["outcome"], "deadlock", "{s}");
    let found = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "deadlock").expect("a deadlock finding");
    let message = found["message"].as_str().unwrap();
    assert!(message.contains("MainProcess/left waits for second") && message.contains("MainProcess/right waits for first"), "{message}");
    assert!(!message.contains("MainProcess waits"), "main only joins: it is not in the cycle: {message}");
}

#[test]
fn a_race_between_threads_on_a_global_stepped_by_statement_loses_an_update_the_same_way_and_replays() {
    let _share = common::share();
    python3();
    let dir = tempdir("thread-race");
    let file = repo("tests/python/programs/thread_race.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    assert_eq!((code, &py_lines[..]), (0, &["counter 6".to_string()][..]), "free-running, CPython's threads keep every update");
    let file = file.to_str().unwrap();
    let saved = dir.join("race.fsrec");
    let runs: Vec<Vec<String>> = (0..2)
        .map(|i| {
            let mut args = vec!["run", file, "--headless", "--json", "--schedule", "rr", "--statements"];
            if i == 0 {
                args.extend(["--record", saved.to_str().unwrap()]);
            }
            let out = run_limited(&args, LIMIT);
            let s = out.summary();
            assert_eq!(s["outcome"], "assertion", "the threads' statements interleave and an update is lost: {s}\n{}", out.stderr);
            assert_no_record_lost(&s);
            assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
            let records = out.records();
            // Each thread's statements are its own steps.
            for name in ["MainProcess/Thread-1 (add)", "MainProcess/Thread-2 (add)"] {
                let lane = lanes(&s)[name].0;
                assert!(records.iter().filter(|r| r["type"] == "park" && r["lane"] == lane).count() >= 6, "{name} is stepped statement by statement");
            }
            shape(&records)
        })
        .collect();
    assert_eq!(runs[0], runs[1], "round robin by statement is deterministic with threads");
    let rep = run_limited(&["replay", saved.to_str().unwrap(), "--headless"], LIMIT);
    assert!(rep.stdout.contains("replay matched the recording"), "{}\n{}", rep.stdout, rep.stderr);
    assert!(rep.stdout.contains("AssertionError: lost an update"), "{}", rep.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explore_finds_the_lost_update_of_two_threads_on_a_shared_value_and_it_replays() {
    let _share = common::share();
    let file = repo("tests/python/programs/thread_value_race.py");
    let dir = tempdir("thread-value-race");
    let saved = dir.join("found.fsrec");
    let out = run_limited(&["explore", file.to_str().unwrap(), "--all", "--json", "--out", saved.to_str().unwrap()], Duration::from_secs(240));
    let v: Value = serde_json::from_str(out.stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    assert_eq!(out.status, 1, "{v}");
    assert_eq!(v["result"], "counterexample", "{v}");
    assert_eq!(v["counterexample"]["message"], "MainProcess: AssertionError: lost an update", "{v}");
    assert!(v["interleavings"].as_i64().unwrap() > v["counterexample"]["bad_interleavings"].as_i64().unwrap(), "some interleavings keep both updates: {v}");
    let rep = run_limited(&["replay", saved.to_str().unwrap(), "--headless"], LIMIT);
    assert!(rep.stdout.contains("replay matched the recording"), "{}\n{}", rep.stdout, rep.stderr);
    assert!(rep.stdout.contains("AssertionError: lost an update"), "{}", rep.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn threads_printing_while_stepped_each_print_on_their_own_lane_and_never_hold_each_other() {
    let _share = common::share();
    python3();
    let dir = tempdir("thread-prints");
    let file = repo("tests/python/programs/thread_prints.py");
    let (_, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, records) = forkscope(&file, extra, LIMIT);
        assert_eq!(s["outcome"], "completed", "every step ends ({extra:?}): {s}");
        // Free, two threads may mix a line with the other's (`print` writes
        // the text, then the newline), as CPython's may: the same characters.
        assert!(same_characters(&fs_lines, &py_lines), "{fs_lines:?} / {py_lines:?}");
        if !extra.is_empty() {
            let l = lanes(&s);
            for (name, i) in [("MainProcess/Thread-1 (w)", 0), ("MainProcess/Thread-2 (w)", 1)] {
                let mine = records.iter().filter(|r| r["type"] == "print" && r["lane"] == l[name].0).count();
                let said = fs_lines.iter().filter(|t| t.starts_with(&format!("thread {i} "))).count();
                assert_eq!((mine, said), (3, 3), "{name}: its three lines on its own lane ({extra:?})");
            }
            // Round robin interleaves the two threads' prints.
            let at = |t: &str| fs_lines.iter().position(|l| l == t).unwrap();
            assert!(at("thread 1 line 0") < at("thread 0 line 2"), "{fs_lines:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn threadings_own_locks_events_and_conditions_are_resources_named_after_their_variables() {
    let _share = common::share();
    python3();
    let dir = tempdir("thread-lock");
    let file = repo("tests/python/programs/thread_lock.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, records) = forkscope(&file, extra, LIMIT);
        assert_eq!(fs_lines, py_lines, "the same lines, threading's errors and all ({extra:?})");
        assert_eq!(main_exitcode(&s), Some(code as i64));
        assert_no_record_lost(&s);
        let made: Vec<(&str, &str)> = records.iter().filter(|r| r["type"] == "resource").map(|r| (r["name"].as_str().unwrap(), r["kind"].as_str().unwrap())).collect();
        for want in [("lock", "lock"), ("ready", "event"), ("cond", "condition")] {
            assert!(made.contains(&want), "{want:?} in {made:?} ({extra:?})");
        }
        if !extra.is_empty() {
            // Stepped, the threads wait on them as on multiprocessing's.
            let l = lanes(&s);
            let w0 = l["MainProcess/w0"].0;
            let ready = records.iter().find(|r| r["type"] == "resource" && r["name"] == "ready").unwrap()["res"].clone();
            let lock = records.iter().find(|r| r["type"] == "resource" && r["name"] == "lock").unwrap()["res"].clone();
            assert!(records.iter().any(|r| r["type"] == "block" && r["lane"] == w0 && r["res"] == ready), "w0 waits on ready");
            assert!(records.iter().any(|r| r["type"] == "block" && r["op"] == "acquire" && r["res"] == lock), "a thread waits for lock");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_threads_lesson_shares_main_s_global_loses_updates_without_its_lock_and_explore_says_so() {
    let _share = common::share();
    python3();
    let dir = tempdir("threads-lesson");
    let src = repo("assets/scenarios/py");
    for (variant, file, want) in [("share", "threads.py", None), ("race", "threads-race.py", Some("应该是 0, 实际是 9")), ("lock", "threads-lock.py", Some("应该是 0, 实际是 0"))] {
        let (_, py_lines) = cpython(&src.join(file), &dir, LIMIT).expect("CPython ends");
        let out = run_limited(&["run", "threads.py", "--headless", "--json", "--param", &format!("variant={variant}")], LIMIT);
        let s = out.summary();
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
        let fs_lines: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
        let norm = |v: &[String]| v.iter().map(|l| normalise(l)).collect::<Vec<_>>();
        assert_eq!(norm(&fs_lines), norm(&py_lines), "{variant}");
        if let Some(w) = want {
            assert_eq!(fs_lines[0], w, "{variant}");
        } else {
            // The thread changed main's n, in the same process.
            let pid = s["processes"][0]["pid"].as_i64().unwrap();
            assert_eq!(fs_lines, [format!("pid : {pid} 0"), format!("{pid} 0")], "{s}");
        }
    }
    let explore = |variant: &str| {
        let saved = dir.join(format!("{variant}.fsrec"));
        let out = run_limited(&["explore", "threads.py", "--all", "--json", "--param", &format!("variant={variant}"), "--param", "threads=2", "--out", saved.to_str().unwrap()], Duration::from_secs(240));
        let v: Value = serde_json::from_str(out.stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
        (out.status, v)
    };
    let (status, v) = explore("race");
    assert_eq!((status, v["result"].as_str()), (1, Some("counterexample")), "{v}");
    assert!(v["counterexample"]["message"].as_str().unwrap().contains("lost updates"), "{v}");
    let (status, v) = explore("lock");
    assert_eq!((status, v["result"].as_str()), (0, Some("verified")), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// CPython 3.9 and 3.13 (pyenv's or `python3.X` on PATH), where this machine
/// has them: 3.9 and 3.10 end a thread without `Thread._delete`, 3.13 joins
/// through a thread handle.
#[test]
fn threads_are_lanes_on_the_oldest_and_newest_cpython_found_here() {
    let _share = common::share();
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let root = std::env::var_os("PYENV_ROOT").map(std::path::PathBuf::from).unwrap_or_else(|| home.join(".pyenv"));
    // One that answers with that version (a pyenv shim of a version not
    // selected does not).
    let find = |minor: u32| -> Option<std::path::PathBuf> {
        let mut found: Vec<std::path::PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join(format!("python3.{minor}"))).filter(|p| p.is_file()).collect()).unwrap_or_default();
        if let Ok(rd) = std::fs::read_dir(root.join("versions")) {
            found.extend(rd.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&format!("3.{minor}."))).map(|e| e.path().join("bin/python3")).filter(|p| p.is_file()));
        }
        found.into_iter().find(|py| {
            let out = Command::new(py).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stderr(Stdio::null()).output();
            out.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == format!("3.{minor}"))
        })
    };
    let mut tested = 0;
    for minor in [9, 13] {
        let Some(py) = find(minor) else {
            eprintln!("note: no CPython 3.{minor} here: not tested");
            continue;
        };
        tested += 1;
        let py = py.to_str().unwrap();
        let run = |prog: &str, extra: &[&str]| {
            let file = repo(&format!("tests/python/programs/{prog}"));
            let mut args = vec!["--python", py, "run", file.to_str().unwrap(), "--headless", "--json"];
            args.extend_from_slice(extra);
            let out = run_limited(&args, LIMIT);
            let s = out.summary();
            assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
            let lines: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
            (s, lines)
        };
        let (s, lines) = run("thread_event.py", &[]);
        assert_eq!((s["outcome"].as_str(), &lines[..]), (Some("completed"), &["thread saw a".to_string(), "main saw b".to_string()][..]), "3.{minor}: {s}");
        let (s, lines) = run("thread_end.py", &[]);
        assert_eq!(s["outcome"], "completed", "3.{minor}: {s}");
        assert_eq!(lines.last().map(String::as_str), Some("late thread done"), "3.{minor}");
        let errors: Vec<&str> = s["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str()).collect();
        assert_eq!(errors, ["MainProcess/boomer: ValueError: boom in a thread"], "3.{minor}: {s}");
        let (s, _) = run("thread_race.py", &["--schedule", "rr", "--statements"]);
        assert_eq!(s["outcome"], "assertion", "3.{minor}: {s}");
        let (s, _) = run("fork_in_thread.py", &[]);
        assert_eq!(s["outcome"], "completed", "3.{minor}: the forked child ends with its thread: {s}");
    }
    eprintln!("CPython versions tested for threads: {tested}");
}
