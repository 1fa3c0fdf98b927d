//! Bare `os.fork()` in a Python program: each child is a process of the run
//! with a lane of its own (`PARENT/fork-N`), its own prints, ops and exit
//! code, stepped by the gate; `os.wait` / `os.waitpid` give CPython's
//! statuses. Beside plain `python3`: children ending every way, a Lock the
//! parent holds, a fork bomb, a race stepped and explored, forks made by a
//! Pool worker, a daemonic process and a thread; and what forks without a
//! lane (exec, subprocess, forkpty) still works.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

/// name -> (lane, exitcode) of every process of the run.
fn processes(s: &Value) -> BTreeMap<String, (i64, i64)> {
    s["processes"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap().to_string(), (p["lane"].as_i64().unwrap(), p["exitcode"].as_i64().unwrap_or(-999)))).collect()
}


#[test]
fn a_forked_child_prints_on_its_own_lane_and_waitpid_gives_cpythons_status() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-wait");
    let file = repo("tests/python/programs/fork_wait.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    let (s, fs_lines, records) = forkscope(&file, &[], LIMIT);
    assert_eq!(fs_lines, py_lines, "the same lines in the same order (statuses of os._exit, raise, sys.exit, SIGKILL, WNOHANG, os.wait)");
    assert!(py_lines.iter().any(|l| l == "SIGKILL -> reaped its child: True status 9 exit code -9"), "{py_lines:?}");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_no_record_lost(&s);
    let procs = processes(&s);
    let codes: Vec<(&str, i64)> = procs.iter().map(|(n, (_, c))| (n.as_str(), *c)).collect();
    assert_eq!(
        codes,
        [("MainProcess", 0), ("MainProcess/fork-1", 3), ("MainProcess/fork-2", 1), ("MainProcess/fork-3", 5), ("MainProcess/fork-4", -9), ("MainProcess/fork-5", 0), ("MainProcess/fork-6", 7), ("MainProcess/fork-7", 9)]
    );
    // Each child's print is on its own lane, never on its parent's.
    for (n, text) in [(1, "child runs: os._exit(3)"), (2, "child runs: raise"), (5, "child runs: falls off the end"), (7, "last child runs")] {
        let r = records.iter().find(|r| r["type"] == "print" && r["text"] == text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(r["lane"], procs[&format!("MainProcess/fork-{n}")].0, "{r}");
    }
    // The child that raised reports its own error, on its own lane.
    let errors: Vec<&str> = s["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str()).collect();
    assert_eq!(errors, ["MainProcess/fork-2: ValueError: boom"], "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forked_child_waits_for_a_lock_its_parent_holds_not_for_itself() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-lock");
    let file = repo("tests/python/programs/fork_lock.py");
    let (_, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, records) = forkscope(&file, extra, LIMIT);
        assert_eq!(fs_lines, py_lines, "{extra:?}");
        assert_eq!(s["outcome"], "completed", "{extra:?}: {s}");
        assert_eq!(s["findings"], Value::Array(vec![]), "no deadlock, no error ({extra:?})");
        assert_no_record_lost(&s);
        let procs = processes(&s);
        assert_eq!(procs["MainProcess/fork-1"].1, 0, "{s}");
        // Stepped, the child is seen blocked on the lock main holds.
        if !extra.is_empty() {
            let child = procs["MainProcess/fork-1"].0;
            let block = records.iter().find(|r| r["type"] == "block" && r["lane"] == child).unwrap_or_else(|| panic!("the child blocks: {records:?}"));
            assert_eq!(block["holder"], procs["MainProcess"].0, "{block}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fork_bomb_of_depth_three_gives_eight_lanes_each_reaping_its_own() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-bomb");
    let file = repo("tests/python/programs/fork_bomb.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    assert_eq!(code, 3);
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, _) = forkscope(&file, extra, LIMIT);
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        assert_eq!(sorted(&fs_lines), sorted(&py_lines), "the same lines, in some order ({extra:?})");
        assert_eq!(main_exitcode(&s), Some(3), "{s}");
        assert_no_record_lost(&s);
        let procs = processes(&s);
        let want = [
            ("MainProcess", 3),
            ("MainProcess/fork-1", 2),
            ("MainProcess/fork-1/fork-1", 1),
            ("MainProcess/fork-1/fork-1/fork-1", 0),
            ("MainProcess/fork-1/fork-2", 0),
            ("MainProcess/fork-2", 1),
            ("MainProcess/fork-2/fork-1", 0),
            ("MainProcess/fork-3", 0),
        ];
        assert_eq!(procs.iter().map(|(n, (_, c))| (n.as_str(), *c)).collect::<Vec<_>>(), want, "{extra:?}");
        // Main's own exit code is the only thing said: no process is
        // blamed for another's end.
        let findings: Vec<(&str, &str)> = s["findings"].as_array().unwrap().iter().map(|f| (f["kind"].as_str().unwrap(), f["message"].as_str().unwrap())).collect();
        assert_eq!(findings, [("error", "MainProcess exited with code 3")], "{s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_os_fork_race_steps_round_robin_the_same_way_and_explore_finds_the_lost_update_that_replays() {
    let _share = common::share();
    let file = repo("tests/python/programs/fork_race.py");
    let file = file.to_str().unwrap();
    // Round robin: every step ends (no "did not finish in time"), and twice gives the same records.
    let runs: Vec<Vec<String>> = (0..2)
        .map(|_| {
            let out = run_limited(&["run", file, "--headless", "--json", "--schedule", "rr"], LIMIT);
            let s = out.summary();
            assert_eq!(s["outcome"], "assertion", "{s}\n{}", out.stderr);
            assert_no_record_lost(&s);
            assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
            shape(&out.records())
        })
        .collect();
    assert_eq!(runs[0], runs[1], "round robin is deterministic");
    let saved = tempdir("fork-race").join("found.fsrec");
    let out = run_limited(&["explore", file, "--all", "--json", "--out", saved.to_str().unwrap()], Duration::from_secs(240));
    let v: Value = serde_json::from_str(out.stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    assert_eq!(out.status, 1, "{v}");
    assert_eq!(v["result"], "counterexample", "{v}");
    assert_eq!(v["counterexample"]["message"], "MainProcess: AssertionError: lost an update", "{v}");
    assert!(v["interleavings"].as_i64().unwrap() > v["counterexample"]["bad_interleavings"].as_i64().unwrap(), "some interleavings keep both updates: {v}");
    let rep = run_limited(&["replay", saved.to_str().unwrap(), "--headless"], LIMIT);
    assert!(rep.stdout.contains("replay matched the recording"), "{}\n{}", rep.stdout, rep.stderr);
    assert!(rep.stdout.contains("AssertionError: lost an update"), "{}", rep.stdout);
    let _ = std::fs::remove_dir_all(saved.parent().unwrap());
}

#[test]
fn exec_subprocess_forkpty_and_a_fork_inside_a_process_still_work_beside_bare_forks() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-exec");
    let file = repo("tests/python/programs/fork_exec_pty.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    let (s, fs_lines, records) = forkscope(&file, &[], LIMIT);
    assert_eq!(fs_lines, py_lines, "the same lines in the same order");
    assert_eq!(py_lines.len(), 9, "{py_lines:?}");
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_no_record_lost(&s);
    let procs = processes(&s);
    assert_eq!(procs["Process-1/fork-1"].1, 6, "{s}");
    // The forked child's os.write (then os._exit) is its own output.
    let raw = records.iter().find(|r| r["type"] == "print" && r["text"] == "child os.write").expect("the child's os.write");
    assert_eq!(raw["lane"], procs["MainProcess/fork-2"].0, "{raw}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_pool_worker_and_a_daemonic_process_may_fork_as_in_cpython() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-daemon");
    let file = repo("tests/python/programs/fork_in_daemon.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    let (s, fs_lines, _) = forkscope(&file, &[], LIMIT);
    assert_eq!(fs_lines, py_lines, "the same lines in the same order");
    assert_eq!(py_lines, ["[1, 2, 3]", "fork of a daemon", "daemon exit 0"]);
    assert_eq!(main_exitcode(&s), Some(code as i64));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_no_record_lost(&s);
    let forks: Vec<String> = processes(&s).into_keys().filter(|n| n.contains("/fork-")).collect();
    assert_eq!(forks.len(), 4, "three tasks' forks and the daemon's: {forks:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_child_forked_by_a_thread_ends_when_that_thread_does() {
    let _share = common::share();
    python3();
    let dir = tempdir("fork-thread");
    let file = repo("tests/python/programs/fork_in_thread.py");
    let (code, py_lines) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    for extra in [&[][..], &["--schedule", "rr"][..]] {
        let (s, fs_lines, _) = forkscope(&file, extra, LIMIT);
        assert_eq!(fs_lines, py_lines, "the same lines in the same order ({extra:?})");
        assert_eq!(main_exitcode(&s), Some(code as i64));
        assert_eq!(s["outcome"], "completed", "not a timeout: the children end ({extra:?}): {s}");
        assert_no_record_lost(&s);
        let procs = processes(&s);
        assert_eq!((procs["MainProcess/fork-1"].1, procs["MainProcess/fork-2"].1), (0, 0), "{s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A started child's watcher waits on the conductor's pidfd its parent's
/// watcher held (the fork copied it) instead of opening one more at each
/// start: main, a child and a grandchild each hold one pidfd. (The figure
/// is forkscope's own: python3 holds none.)
#[test]
fn a_started_child_is_watched_through_the_pidfd_it_inherited() {
    let _share = common::share();
    python3();
    let file = repo("tests/python/programs/watched_once.py");
    let (s, lines, _) = forkscope(&file, &[], LIMIT);
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["main holds 1", "child holds 1", "grandchild holds 1"], "{s}");
}
