//! Values of any size cross processes, bounded by memory as in CPython, not
//! by the segment's data area: many small queue items, megabytes through a
//! Queue, a Pipe, a Pool and a Manager, in Python (compared with python3)
//! and in Rhai. Whatever a run spilled or grew is gone after it, also after
//! SIGKILL of the conductor (its guard, or the next run's sweep).

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Files in /dev/shm of conductor `pid`'s run: its segment and companions.
fn shm_of(pid: i32) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("forkscope-{pid}-")))
        .collect();
    v.sort();
    v
}

#[test]
fn python_values_of_any_size_cross_processes_as_in_cpython() {
    let _share = common::share();
    python3();
    let dir = tempdir("large-data");
    let file = repo("tests/python/programs/large_data.py");
    let (code, py_lines) = cpython(&file, &dir, Duration::from_secs(60)).expect("CPython ends");
    assert_eq!(code, 0, "{py_lines:?}");
    let (s, fs_lines, records) = forkscope(&file, &[], Duration::from_secs(90));
    assert_eq!(fs_lines, py_lines, "the same lines in the same order: {s}");
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(main_exitcode(&s), Some(0));
    assert!(s["findings"].as_array().unwrap().is_empty(), "{s}");
    // The dashboard still shows a queue's depth and its items' reprs.
    let puts: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "op" && r["op"] == "put").collect();
    assert!(puts.iter().any(|r| r["a"] == 1 && r["detail"] == "0"), "the first int put, depth 1");
    assert!(puts.iter().any(|r| r["detail"].as_str().is_some_and(|d| d.starts_with("b'xxxx") && d.ends_with('…'))), "the 5 MiB item's repr, cut");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rhai_values_of_any_size_cross_processes() {
    let _share = common::share();
    let out = run_limited(&["run", &lesson_fixture("large_data.rhai"), "--headless", "--json"], Duration::from_secs(90));
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{s}");
    // The lesson asserts every value itself: main ends 0 only if all arrived whole.
    assert_eq!(main_exitcode(&s), Some(0), "{s}");
    let got = reported(&s, "got");
    assert_eq!(got["ints"], 199_990_000, "20,000 ints through one queue: {s}");
    assert_eq!(got["queue_item"], serde_json::json!([1_000_000, 5_999_989]), "{s}");
    assert_eq!(got["pipe_message"], serde_json::json!([1_000_000, 6_999_987]), "{s}");
    assert_eq!(got["pool_results"], serde_json::json!([500_001, 999_999, 500_002, 1_500_001]), "{s}");
    assert_eq!(got["sum"], 4_999_984, "four chunks of 500,000 summed by the pool: {s}");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
}

/// Starts `large_data_held.py` and waits until it holds a spill and an arena.
fn start_holding() -> (std::process::Child, i32) {
    let file = repo("tests/python/programs/large_data_held.py");
    let child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let conductor = child.id() as i32;
    let t0 = Instant::now();
    loop {
        let files = shm_of(conductor);
        if files.iter().any(|f| f.contains(".s")) && files.iter().any(|f| f.contains(".a")) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "no spill and arena after 30 s: {files:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, conductor)
}

#[test]
fn spilled_values_and_arenas_are_gone_after_sigkill_of_the_conductor() {
    // Alone: any run another test starts meanwhile sweeps a dead run's
    // files, and this test looks at them before the sweep it makes itself.
    let _alone = common::heavy();
    python3();
    // The guard cleans up after its conductor.
    let (mut child, conductor) = start_holding();
    let pids = processes_of_run(conductor, "");
    child.kill().unwrap();
    let _ = child.wait();
    assert_left_nothing(conductor, &pids, Duration::from_secs(5));
    // Without a guard (killed first), the next run's sweep removes them.
    let (mut child, conductor) = start_holding();
    let pids = processes_of_run(conductor, "");
    let guard = processes_of_run(conductor, "guard");
    assert_eq!(guard.len(), 1, "{guard:?}");
    // SAFETY: plain kill of the run's guard, a process we found by its command line.
    unsafe { libc::kill(guard[0], libc::SIGKILL) };
    child.kill().unwrap();
    let _ = child.wait();
    let t0 = Instant::now();
    while pids.iter().any(|&p| alive(p)) {
        assert!(t0.elapsed() < Duration::from_secs(5), "the run's processes outlived their conductor");
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = shm_of(conductor);
    assert!(left.iter().any(|f| f.contains(".s")) && left.iter().any(|f| f.contains(".a")), "with no one to clean up, the files stay until a sweep: {left:?}");
    let next = run_json("hello", &["--param", "children=1"]);
    assert_eq!(next.summary()["outcome"], "completed");
    assert_eq!(shm_of(conductor), Vec::<String>::new(), "the next start swept {left:?}");
}
