//! `concurrent.futures.ProcessPoolExecutor` and `multiprocessing.connection`
//! as CPython runs them, under forkscope: connections on real descriptors
//! (a `Pipe`'s ends, a `SimpleQueue`'s, a `Listener`'s), `wait()` over them
//! and over process sentinels, a 20 MB message. Each program runs under
//! plain CPython and under `forkscope run … --headless` and must print the
//! same lines and exit the same way — on the default `python3` and on every
//! other CPython 3.9–3.13 this machine has (pyenv's); stepped, a small
//! executor program gives the same records twice. `shared_memory` and a
//! Listener/Client pair run the same way.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

const LIMIT: Duration = Duration::from_secs(60);

/// `py FILE` in `dir`: (exit code, lines), or None if it did not end.
fn cpython_with(py: &Path, file: &Path, dir: &Path) -> Option<(i32, Vec<String>)> {
    let mut cmd = Command::new(py);
    cmd.arg("-u").arg(file).current_dir(dir);
    run_bounded(cmd, LIMIT).map(|(c, out)| (c, out.lines().map(str::to_string).collect()))
}

/// The same program under `py` and under forkscope with `py`: the same
/// lines, the same exit code. Returns forkscope's summary and records.
fn same_as_cpython(py: &Path, file: &Path) -> (Value, Vec<Value>) {
    let dir = tempdir(&format!("executor-{}", file.file_stem().unwrap().to_string_lossy()));
    let want = cpython_with(py, file, &dir).unwrap_or_else(|| panic!("{} did not end under {}", file.display(), py.display()));
    let (s, lines, records) = forkscope(file, &["--python", py.to_str().unwrap(), "--timeout", "50"], Duration::from_secs(90));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(lines, want.1, "{} on {}: what it prints ({s})", file.display(), py.display());
    assert_eq!(main_exitcode(&s), Some(want.0 as i64), "{} on {}: the exit code ({s})", file.display(), py.display());
    (s, records)
}

fn versions() -> Vec<std::path::PathBuf> {
    let v = supported_cpythons();
    assert!(!v.is_empty(), "no CPython 3.9–3.13 found");
    eprintln!("CPython versions tested: {:?}", v.keys().map(|m| format!("3.{m}")).collect::<Vec<_>>());
    v.into_values().collect()
}

/// submit, map with a chunksize, as_completed, an initializer, a worker's
/// exception with its remote traceback (printed as CPython prints it, "The
/// above exception was the direct cause…", exit code 1), shutdown — and
/// each worker is a lane of its own.
#[test]
fn a_process_pool_executor_program_runs_as_under_cpython() {
    let _share = share();
    python3();
    let file = repo("tests/python/programs/executor.py");
    for py in versions() {
        let (s, records) = same_as_cpython(&py, &file);
        assert_eq!(s["outcome"], "error", "the uncaught exception at the end ({}): {s}", py.display());
        let procs = s["processes"].as_array().unwrap();
        let workers = procs.iter().filter(|p| p["name"].as_str().is_some_and(|n| n.starts_with("ForkProcess-"))).count();
        assert_eq!(workers, 3, "two workers, then one, each a lane ({}): {s}", py.display());
        assert!(procs.iter().any(|p| p["name"].as_str().is_some_and(|n| n.starts_with("MainProcess/Thread-"))), "the executor's manager thread is a lane ({}): {s}", py.display());
        let errors: Vec<&str> = records.iter().filter(|r| r["type"] == "error").filter_map(|r| r["message"].as_str()).collect();
        assert!(errors.iter().any(|e| e.contains("ValueError: bad value 5")), "the worker's exception is main's error: {errors:?}");
        // Results come back through the executor's SimpleQueue, a pipe: sends
        // and receives are ops on it, shown with what was sent.
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "send" && r["detail"].as_str().is_some_and(|d| d.contains("_ResultItem"))), "a result's send is an op with its repr");
        assert!(s["processes"].as_array().unwrap().iter().all(|p| !p["killed_at_end"].as_bool().unwrap_or(false)), "nothing was left for forkscope to kill: {s}");
    }
}

/// A worker killed (SIGKILL) while it runs a task breaks the pool: the
/// task's future raises `BrokenProcessPool`, and so does a later `submit`,
/// as in CPython (its manager thread closes the call queue's reader, or
/// calls `_terminate_broken()` on 3.12+, which forkscope's Queue has).
#[test]
fn a_killed_worker_breaks_the_executor_as_in_cpython() {
    let _share = share();
    python3();
    let file = repo("tests/python/programs/executor_broken.py");
    for py in versions() {
        let (s, records) = same_as_cpython(&py, &file);
        assert_eq!(s["outcome"], "completed", "{}: {s}", py.display());
        let errors: Vec<&str> = records.iter().filter(|r| r["type"] == "error").filter_map(|r| r["message"].as_str()).collect();
        assert!(errors.is_empty(), "no thread failed ({}): {errors:?}", py.display());
    }
}

/// A `Pipe` carries a 20 MB message (no cap but memory) and gives end of
/// file once the last writer closed; `wait()` over connections and over
/// process sentinels; a `Listener`/`Client` pair with an authkey;
/// `fileno()`, `recv_bytes_into`, `poll`.
#[test]
fn connections_on_descriptors_work_as_under_cpython() {
    let _share = share();
    python3();
    let file = repo("tests/python/programs/connections.py");
    for py in versions() {
        let (s, records) = same_as_cpython(&py, &file);
        assert_eq!(s["outcome"], "completed", "{}: {s}", py.display());
        // The main process waited in `wait()` and in `recv` on the pipes, as ops.
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "poll"), "wait() is an op");
        assert!(records.iter().any(|r| r["type"] == "op" && r["op"] == "recv"), "recv is an op");
    }
}

/// `multiprocessing.shared_memory` (a child writes a block the parent reads,
/// a ShareableList) and a Listener/Client pair over TCP with an authkey, on
/// every CPython here: the same lines and exit code as under CPython, and no
/// /dev/shm block left behind.
#[test]
fn shared_memory_and_a_listener_client_pair_run_as_under_cpython() {
    let _share = share();
    python3();
    let blocks = || -> Vec<String> {
        std::fs::read_dir("/dev/shm").map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("psm_")).collect()).unwrap_or_default()
    };
    let before = blocks();
    for py in versions() {
        for file in ["shared_memory.py", "listener_client.py"] {
            let (s, _) = same_as_cpython(&py, &repo("tests/python/programs").join(file));
            assert_eq!(s["outcome"], "completed", "{file} on {}: {s}", py.display());
        }
    }
    let left: Vec<String> = blocks().into_iter().filter(|b| !before.contains(b)).collect();
    assert!(left.is_empty(), "shared memory blocks left in /dev/shm: {left:?}");
}

/// What was refused before (NotImplementedError naming it) runs now: the
/// executor and `wait()`, on every CPython this machine has.
#[test]
fn the_executor_and_wait_are_no_longer_refused() {
    let _share = share();
    python3();
    let dir = tempdir("executor-refused-before");
    let cases: [(&str, &str, &[&str]); 2] = [
        (
            "executor_map.py",
            "from concurrent.futures import ProcessPoolExecutor\n\ndef sq(x):\n    return x * x\n\nif __name__ == '__main__':\n    with ProcessPoolExecutor(max_workers=2) as ex:\n        print(list(ex.map(sq, range(5))))\n    print(ProcessPoolExecutor().submit(sq, 3).result())\n",
            &["[0, 1, 4, 9, 16]", "9"],
        ),
        ("wait.py", "from multiprocessing import Pipe\nfrom multiprocessing.connection import wait\na, b = Pipe()\nprint(wait([a], 0.1))\nb.send(1)\nprint(wait([a], 1) == [a], a.recv())\n", &["[]", "True 1"]),
    ];
    for (file, src, want) in cases {
        let f = dir.join(file);
        std::fs::write(&f, src).unwrap();
        for py in versions() {
            let (s, lines, _) = forkscope(&f, &["--python", py.to_str().unwrap(), "--timeout", "50"], Duration::from_secs(90));
            assert_eq!((s["outcome"].as_str(), main_exitcode(&s)), (Some("completed"), Some(0)), "{file} on {}: {s}", py.display());
            assert_eq!(lines, want, "{file} on {}", py.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stepped by op and by statement (round robin), a small executor program
/// prints what CPython prints and gives the same records twice: the waits
/// `concurrent.futures` makes on its own `threading` objects (a Future's
/// result, the shutdown lock) show the thread blocked while stepping, and
/// whoever wakes it waits until it has parked.
#[test]
fn a_small_executor_program_stepped_gives_the_same_records_twice() {
    let _share = share();
    python3();
    let file = repo("tests/python/programs/executor_small.py");
    let dir = tempdir("executor-stepped");
    let (code, want) = cpython(&file, &dir, LIMIT).expect("CPython ends");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0);
    for extra in [&["--schedule", "rr"][..], &["--schedule", "rr", "--statements"][..]] {
        let mut shapes = Vec::new();
        for _ in 0..2 {
            let mut args = extra.to_vec();
            args.extend(["--timeout", "100"]);
            let (s, lines, records) = forkscope(&file, &args, Duration::from_secs(150));
            assert_eq!((s["outcome"].as_str(), main_exitcode(&s)), (Some("completed"), Some(0)), "{extra:?}: {s}");
            assert_eq!(lines, want, "{extra:?}");
            assert_no_record_lost(&s);
            assert!(records.iter().any(|r| r["type"] == "grant"), "it was stepped ({extra:?})");
            shapes.push(shape(&records));
        }
        assert_eq!(shapes[0], shapes[1], "the same schedule gives the same records ({extra:?})");
    }
}
