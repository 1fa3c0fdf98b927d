//! Variables, as Python Tutor shows them, and shared values step by step: a
//! stepped shared-`Value` race (two processes doing `old = balance.value;
//! balance.value = old - 100`) loses an update under a fixed schedule; its
//! records show each read and write with its value, each process's locals
//! show `old`, the same schedule gives the same variables, a free run writes
//! none, and `snapshot --variables` draws the pane. python3 must be on PATH.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use common::*;

const RACE: &str = r#"from multiprocessing import Process, Value


def withdraw(balance):
    old = balance.value
    balance.value = old - 100


if __name__ == "__main__":
    balance = Value("i", 1000)
    ps = [Process(target=withdraw, args=(balance,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("balance", balance.value)
"#;

/// Main creates the Value and starts both; then each reads before either writes.
const LOST_UPDATE: &str = "1,1,1,2,3,2,3";

fn race(tag: &str) -> (PathBuf, PathBuf) {
    python3();
    let dir = tempdir(tag);
    let file = dir.join("bank.py");
    std::fs::write(&file, RACE).unwrap();
    (dir, file)
}

fn lane_of(summary: &Value, name: &str) -> u64 {
    // Lanes are given in start order: MainProcess 1, Process-1 2, Process-2 3.
    let names: Vec<&str> = summary["processes"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no {name} in {names:?}")) as u64 + 1
}

#[test]
fn a_stepped_shared_value_race_shows_each_read_and_write_and_the_locals() {
    let _share = common::share();
    let (dir, file) = race("vars-race");
    let (s, lines, records) = forkscope(&file, &["--schedule", LOST_UPDATE], Duration::from_secs(60));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, ["balance 900"], "the lost update: two withdrawals, 100 gone");
    let balance = records.iter().find(|r| r["type"] == "resource" && r["name"] == "balance").expect("the Value is called balance")["res"].clone();
    let (p1, p2) = (lane_of(&s, "Process-1"), lane_of(&s, "Process-2"));
    // Each read and write of balance.value, in order, with its value.
    let accesses: Vec<(u64, String, i64)> = records
        .iter()
        .filter(|r| r["type"] == "op" && r["res"] == balance && (r["op"] == "load" || r["op"] == "store") && r["detail"].is_null())
        .map(|r| (r["lane"].as_u64().unwrap(), r["op"].as_str().unwrap().to_string(), r["a"].as_i64().unwrap()))
        .collect();
    let want = [(p1, "load", 1000), (p2, "load", 1000), (p1, "store", 900), (p2, "store", 900), (1, "load", 900)].map(|(l, o, v)| (l, o.to_string(), v));
    assert_eq!(accesses, want, "{records:#?}");
    // Each process's variables at its write: `old` read as 1000, marked as
    // a new variable since its read.
    for lane in [p1, p2] {
        let at_write = records.iter().filter(|r| r["type"] == "locals" && r["lane"] == lane && r["line"] == 6).map(|r| r["text"].as_str().unwrap()).next();
        let text = at_write.unwrap_or_else(|| panic!("lane {lane} has its variables at line 6: {records:#?}"));
        assert!(text.starts_with("F\twithdraw\t6\n"), "{text:?}");
        assert!(text.contains("V\told\t1000") && text.contains("V\tbalance\t<Value balance>"), "{text:?}");
        let at_read = records.iter().find(|r| r["type"] == "locals" && r["lane"] == lane && r["line"] == 5).map(|r| r["text"].as_str().unwrap()).unwrap();
        assert!(!at_read.contains("\told\t"), "before its read, `old` does not exist yet: {at_read:?}");
    }
    // The headless log says it in words.
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--schedule", LOST_UPDATE], Duration::from_secs(60));
    for said in ["Process-1 read balance.value = 1000", "Process-2 read balance.value = 1000", "Process-1 wrote balance.value = 900", "Process-2 wrote balance.value = 900"] {
        assert!(out.stdout.contains(said), "{said:?} in\n{}", out.stdout);
    }
    assert_left_nothing(out.pid, &[], Duration::from_secs(5));
    // Same schedule, same variables.
    let (_, _, again) = forkscope(&file, &["--schedule", LOST_UPDATE], Duration::from_secs(60));
    let vars = |rs: &[Value]| rs.iter().filter(|r| r["type"] == "locals").map(|r| (r["lane"].clone(), r["line"].clone(), r["text"].clone())).collect::<Vec<_>>();
    assert_eq!(vars(&records), vars(&again));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A free run pays nothing for variables: it writes none.
#[test]
fn a_free_run_writes_no_variables() {
    let _share = common::share();
    let (dir, file) = race("vars-free");
    let (s, lines, records) = forkscope(&file, &[], Duration::from_secs(60));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines.len(), 1);
    assert!(!records.iter().any(|r| r["type"] == "locals"), "{records:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `snapshot --variables PROCESS`: the figure has the variables pane of
/// that process, with what changed at its last step marked; the Resources
/// pane keeps who wrote what.
#[test]
fn a_figure_shows_the_variables_pane() {
    let _share = common::share();
    let (dir, file) = race("vars-figure");
    let txt = dir.join("race.txt");
    let out = run_limited(&["snapshot", file.to_str().unwrap(), "--steps", "6", "--variables", "Process-2", "--size", "100x30", "--out", txt.to_str().unwrap()], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("Variables · Process-2"), "{text}");
    assert!(text.contains("withdraw · line 6"), "{text}");
    assert!(text.contains("* old = 900"), "{text}");
    assert!(text.contains("  Process-2 read 900 @") && text.contains("  Process-1 wrote 900 @"), "who read and wrote what, one a line:\n{text}");
    insta::assert_snapshot!(text);
    let bad = run_limited(&["snapshot", file.to_str().unwrap(), "--steps", "2", "--variables", "Process-9", "--out", txt.to_str().unwrap()], Duration::from_secs(60));
    assert_ne!(bad.status, 0);
    assert!(bad.stderr.contains("--variables Process-9: no process of that name"), "{}", bad.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
