//! Small differences a class sees between forkscope and plain CPython, each
//! a program of tests/python/differences that prints what it checks, run
//! under `python3` and under `forkscope run … --headless` side by side and
//! compared line by line (tests/common/cpython.rs): a forked child's working
//! directory after the parent's `os.chdir`, a pool worker's exception as it
//! was raised, `Value(…, lock=False)` without `get_lock`, what `print()`
//! shows for an Event or a semaphore, a spawned child's start method and
//! folder, a manager's RemoteError for a method it does not expose, and
//! `Pool.imap`'s iterator (the input's error and `next(timeout)` at `next()`;
//! an endless input, read as the workers take its tasks), and what a
//! `threading.Lock` or `RLock` prints, its type's name and its pickling error,
//! a pool whose workers end after `maxtasksperchild` tasks, the threads a
//! process that writes only through `print()` runs (one, as in CPython),
//! `Queue(maxsize)` full with what its feeder thread still holds (and a put
//! behind it waiting for room),
//! `imap_unordered` in the order the workers finish, a `Connection` sent
//! in a message, and a signal's handler interrupting a wait (a sleep, a
//! pool's and a JoinableQueue's join among them; one that returns lets the
//! wait go on for the rest of its timeout, not the whole of it again).

use std::time::Duration;

use crate::common::*;

fn compare(file: &str) -> Verdict {
    let path = repo("tests/python/differences").join(file);
    let dir = tempdir(file.trim_end_matches(".py"));
    let py = cpython(&path, &dir, Duration::from_secs(30));
    let (s, lines, _) = forkscope(&path, &["--timeout", "30"], Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&dir);
    compare_completed(py, &s, &lines, &[])
}

#[test]
fn small_differences_print_what_cpython_prints() {
    let _share = share();
    python3();
    let mut files: Vec<String> = std::fs::read_dir(repo("tests/python/differences")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".py") && !n.starts_with('_')).collect();
    files.sort();
    for want in ["cwd_after_chdir.py", "pool_worker_exception.py", "value_without_lock.py", "primitive_reprs.py", "spawned_start_method.py", "manager_unexposed_method.py", "pool_imap_lazy.py", "pool_imap_infinite.py", "thread_lock_repr.py", "pool_maxtasksperchild.py", "no_hidden_threads.py", "queue_maxsize_feeder.py", "pool_imap_unordered.py", "connection_in_message.py", "signal_interrupts_wait.py", "signal_ends_sleep_and_joins.py", "signal_rest_of_timeout.py", "queue_put_waits_behind_feeder.py", "barrier_action_before_release.py", "shared_memory_manager.py", "array_of_structures.py", "synchronized_wrappers.py"] {
        assert!(files.iter().any(|f| f == want), "tests/python/differences/{want} is missing");
    }
    compare_side_by_side("programs of tests/python/differences", &files, |f| f.clone(), |f| compare(f));
}

/// A pool's results come back through `Semaphore(0)` signals (each result
/// released by the pool's thread, taken by `imap`'s `next()`): taking a
/// signal is holding nothing, so a program that reads an `imap_unordered`
/// to its end and ends has no "ended while holding" finding (CPython has no
/// such thing to say either).
#[test]
fn a_pool_s_signals_are_not_units_its_reader_holds() {
    let _share = share();
    python3();
    let (summary, lines, _) = forkscope(&repo("tests/python/differences/pool_imap_unordered.py"), &["--timeout", "30"], Duration::from_secs(60));
    assert!(!lines.is_empty(), "{summary}");
    let findings: Vec<&serde_json::Value> = summary["findings"].as_array().expect("findings").iter().filter(|f| f["kind"] == "ended_holding").collect();
    assert!(findings.is_empty(), "{findings:?}");
}

/// An API forkscope cannot run says so by name and ends the run with that
/// error at once — never a hang or a spin — on every CPython 3.9–3.13 this
/// machine has. A `multiprocessing` submodule forkscope has no file of its
/// own for is CPython's own (`multiprocessing.dummy`,
/// `multiprocessing.util`), and one CPython lacks too is CPython's
/// ModuleNotFoundError. (ProcessPoolExecutor and `connection.wait`, refused
/// once, run: tests/python_executor.rs.)
#[test]
fn an_api_forkscope_cannot_run_says_so_and_ends_the_run() {
    let _share = share();
    python3();
    let dir = tempdir("unsupported-apis");
    let cases: [(&str, &str, &str); 1] = [
        ("missing_submodule.py", "import multiprocessing.no_such_module\n", "ModuleNotFoundError: No module named 'multiprocessing.no_such_module'"),
    ];
    let versions = supported_cpythons();
    assert!(!versions.is_empty(), "no CPython 3.9–3.13 found");
    eprintln!("CPython versions tested: {:?}", versions.keys().map(|m| format!("3.{m}")).collect::<Vec<_>>());
    for (file, src, want) in cases {
        let f = dir.join(file);
        std::fs::write(&f, src).unwrap();
        for py in versions.values() {
            let t0 = std::time::Instant::now();
            let out = run_limited(&["--python", py.to_str().unwrap(), "run", f.to_str().unwrap(), "--headless", "--json", "--timeout", "60"], Duration::from_secs(90));
            let s = out.summary();
            let errors: Vec<String> = out.records().iter().filter(|r| r["type"] == "error").map(|r| r["message"].as_str().unwrap_or("").to_string()).collect();
            assert_eq!((s["outcome"].as_str(), main_exitcode(&s)), (Some("error"), Some(1)), "{file} on {}: {s}", py.display());
            assert!(errors.iter().any(|e| e.starts_with(want)), "{file} on {}: want {want:?}, errors {errors:?}", py.display());
            // Ended by the error, not by the time limit.
            assert!(t0.elapsed() < Duration::from_secs(45), "{file} on {}: took {:?}", py.display(), t0.elapsed());
            assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
        }
    }
    // What forkscope has no file of its own for is CPython's own module.
    let f = dir.join("cpython_own.py");
    std::fs::write(
        &f,
        "import multiprocessing.dummy as d, multiprocessing.util as u\nfrom multiprocessing.pool import ThreadPool\n\
         print(d.__file__.endswith('multiprocessing/dummy/__init__.py'), u.__file__.endswith('multiprocessing/util.py'), u.get_logger().name)\n\
         with ThreadPool(2) as tp:\n    print(tp.map(abs, [-1, -2, 3]))\n",
    )
    .unwrap();
    for py in versions.values() {
        let out = run_limited(&["--python", py.to_str().unwrap(), "run", f.to_str().unwrap(), "--headless", "--json", "--timeout", "60"], Duration::from_secs(90));
        let s = out.summary();
        let lines: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap_or("").to_string()).collect();
        assert_eq!(lines, ["True True multiprocessing", "[1, 2, 3]"], "on {}: {s}", py.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
