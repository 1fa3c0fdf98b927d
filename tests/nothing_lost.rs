//! Nothing a program says is lost: output far faster than the conductor
//! drains fills the lanes' rings, and the writers wait for room (the
//! collector empties the rings when they ring) instead of dropping what they
//! printed. Long lines arrive whole, and a run that lost any record says so.

use std::time::Duration;

use crate::common::*;

#[test]
fn a_python_program_printing_faster_than_any_drain_loses_no_line() {
    let _share = share();
    python3();
    let file = repo("tests/python/programs/chatty.py");
    let dir = tempdir("chatty");
    let (code, py) = cpython(&file, &dir, Duration::from_secs(60)).expect("CPython ends");
    assert_eq!(code, 0);
    let (s, lines, records) = forkscope(&file, &[], Duration::from_secs(120));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(s["dropped"], 0, "no record dropped: {s}");
    assert!(s["findings"].as_array().unwrap().is_empty(), "{s}");
    let checkpoints: Vec<&String> = lines.iter().filter(|l| l.starts_with("checkpoint")).collect();
    let py_checkpoints: Vec<&String> = py.iter().filter(|l| l.starts_with("checkpoint")).collect();
    assert_eq!(checkpoints.len(), 10, "every checkpoint, as python3 prints: {checkpoints:?}");
    assert_eq!(checkpoints, py_checkpoints);
    for n in 0..3 {
        let mine: Vec<&String> = lines.iter().filter(|l| l.starts_with(&format!("child {n} "))).collect();
        assert_eq!(mine.len(), 3000, "child {n} printed 3000 lines");
        assert!(mine.iter().enumerate().all(|(i, l)| **l == format!("child {n} line {i}")), "in its own order");
    }
    let long = lines.iter().find(|l| l.ends_with("END")).expect("the long line");
    assert_eq!(long.len(), 100_003, "the 100 KB line whole");
    let err = records.iter().filter(|r| r["type"] == "stderr").filter_map(|r| r["text"].as_str()).find(|t| t.ends_with("ERR")).expect("the long stderr line");
    assert_eq!(err.len(), 50_003);
    assert_eq!(lines.last().map(String::as_str), Some("done"));
    assert_eq!(lines.len(), py.len(), "as many lines as python3 printed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rhai_lesson_printing_faster_than_any_drain_loses_no_line() {
    let _share = share();
    let dir = std::env::temp_dir().join(format!("fs-chatty-rhai-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lesson = dir.join("chatty.rhai");
    std::fs::write(
        &lesson,
        r#"fn talk(n) { for i in 0..5000 { print(`child ${n} line ${i}`); } }
fn main() {
    let ps = [];
    for n in 0..3 { let p = Process("talk", [n]); p.start(); ps.push(p); }
    for p in ps { p.join(); }
    print("done");
}
"#,
    )
    .unwrap();
    let out = run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(120));
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(s["dropped"], 0, "{s}");
    let prints: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
    assert_eq!(prints.len(), 15_001, "every line");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}
