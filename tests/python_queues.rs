//! A Python `Queue` has CPython's feeder thread: the programs of
//! tests/python/queues run under `python3` and under `forkscope run …
//! --headless` side by side. The docs' "joining processes that use queues"
//! pitfall hangs under CPython and is a deadlock here, named as it happens
//! (main in join, the child in join of its feeder, the feeder in put); its
//! fix prints what CPython prints with data no run-wide cap stops (200,000
//! ints, a 50 MB item, a JoinableQueue's big items); an item that cannot be
//! pickled is CPython's error, printed by the feeder thread, and dropped.

use std::time::Duration;

use crate::common::*;

fn program(file: &str) -> std::path::PathBuf {
    repo("tests/python/queues").join(file)
}

#[test]
fn joining_a_child_before_getting_its_big_item_deadlocks_in_the_feeder() {
    let _share = share();
    python3();
    let path = program("join_before_get.py");
    let dir = tempdir("join-before-get");
    // CPython hangs: 5 s is plenty to see it never ends.
    let py = cpython(&path, &dir, Duration::from_secs(5)).map(|(c, _)| c);
    let (s, lines, _) = forkscope(&path, &["--timeout", "30"], Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(compare_hang(py, &s, "deadlock"), Verdict::Same, "{s}");
    assert!(lines.is_empty(), "{lines:?}");
    let finding = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "deadlock").expect("a deadlock finding").to_string();
    for want in ["MainProcess in join(Process-1)", "Process-1 in join(Process-1/QueueFeederThread)", "Process-1/QueueFeederThread in put on queue"] {
        assert!(finding.contains(want), "{want:?} not in {finding}");
    }
}

#[test]
fn getting_before_joining_moves_data_without_a_cap_as_cpython_does() {
    let _share = share();
    python3();
    let path = program("get_before_join.py");
    let dir = tempdir("get-before-join");
    let py = cpython(&path, &dir, Duration::from_secs(60));
    let (s, lines, _) = forkscope(&path, &["--timeout", "90"], Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(compare_completed(py, &s, &lines, &[]), Verdict::Same);
}

#[test]
fn an_item_that_cannot_be_pickled_is_reported_by_the_feeder_thread() {
    let _share = share();
    python3();
    let path = program("unpicklable_item.py");
    let dir = tempdir("unpicklable-item");
    let py = cpython(&path, &dir, Duration::from_secs(30));
    let (s, lines, records) = forkscope(&path, &["--timeout", "30"], Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(compare_completed(py, &s, &lines, &[]), Verdict::Same);
    let feeder = s["processes"].as_array().unwrap().iter().find(|p| p["name"] == "MainProcess/QueueFeederThread").expect("the feeder's lane")["lane"].clone();
    let err: Vec<&str> = records.iter().filter(|r| r["type"] == "stderr" && r["lane"] == feeder).filter_map(|r| r["text"].as_str()).collect();
    assert_eq!(err.first(), Some(&"Traceback (most recent call last):"), "{err:?}");
    assert_eq!(err.last(), Some(&"TypeError: cannot pickle 'generator' object"), "{err:?}");
}
