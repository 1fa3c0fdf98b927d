//! A counterexample says why it went wrong: the conflicting operations
//! (process, op, resource or file, line) whose order made it bad, in the order
//! they ran, and the order they were in on a run that went well — in the
//! headless report (English and Chinese) and in `--json`, the same on every
//! search. Real runs of the Python ticket race and of Rhai lessons.

use crate::common;

use std::time::Duration;

use common::{run_limited_in, tempdir};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(240);

/// `forkscope explore ARGS --all` in a folder of its own: (stdout, the JSON summary when `--json`).
fn explore(tag: &str, args: &[&str]) -> (String, Option<Value>) {
    let cwd = tempdir(&format!("explore-why-{tag}"));
    let mut all = vec!["explore"];
    all.extend_from_slice(args);
    all.push("--all");
    let out = run_limited_in(&cwd, &all, LIMIT);
    let _ = std::fs::remove_dir_all(&cwd);
    assert_eq!(out.status, 1, "a counterexample: {}\n{}", out.stdout, out.stderr);
    let v = out.stdout.lines().last().and_then(|l| serde_json::from_str::<Value>(l).ok());
    (out.stdout, v)
}

/// The conflicting ops as (process, op, resource, line).
fn ops(list: &Value) -> Vec<(String, String, String, u64)> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list of ops: {list}"))
        .iter()
        .map(|a| (a["process"].as_str().unwrap().to_string(), a["op"].as_str().unwrap().to_string(), a["resource"].as_str().unwrap().to_string(), a["line"].as_u64().unwrap()))
        .collect()
}

fn op(process: &str, op: &str, resource: &str, line: u64) -> (String, String, String, u64) {
    (process.into(), op.into(), resource.into(), line)
}

const ORDER: &[&str] = &["ticket-race.py", "--param", "variant=race", "--param", "buyers=2", "--param", "tickets=1", "--bad", "oversold", "--json"];

/// The oversell: one buyer read the ticket file (line 16, `json.load`)
/// before the other emptied it (`open("ticket", "w")`, line 22) and wrote it
/// back — on a run that went well, the write came first.
#[test]
fn the_python_oversell_names_the_read_before_the_other_buyers_write() {
    let _share = crate::common::share();
    let (_, v) = explore("py", ORDER);
    let c = &v.expect("JSON")["counterexample"];
    assert!(c["message"].as_str().unwrap().starts_with("oversold"), "{c}");
    let bad = op("Process-1", "read_text", "ticket", 16);
    let emptied = op("Process-2", "truncate", "ticket", 22);
    let wrote = op("Process-2", "write_text", "ticket", 22);
    assert_eq!(ops(&c["conflicts"]), [bad.clone(), emptied.clone(), wrote.clone()], "{c}");
    assert_eq!(ops(&c["good_order"]), [emptied, wrote, bad], "{c}");
    let step = c["completing_step"].as_u64().unwrap();
    assert_eq!(Some(step), c["conflicts"].as_array().unwrap().iter().filter_map(|a| a["step"].as_u64()).max(), "{c}");
    assert_eq!(c["why"]["en"][0], "Process-1 read ticket (line 16) before Process-2 emptied it (line 22, open 'w') and wrote it (line 22)", "{c}");
    assert!(c["why"]["en"][1].as_str().unwrap().starts_with("on a run that went well: Process-2 emptied ticket"), "{c}");
    assert!(c["why"]["zh"][0].as_str().unwrap().contains("之前读取了 ticket(第 16 行)"), "{c}");
}

#[test]
fn the_conflicts_are_the_same_on_a_second_search() {
    let _share = crate::common::share();
    let (_, first) = explore("again1", ORDER);
    let (_, second) = explore("again2", ORDER);
    let (a, b) = (&first.unwrap()["counterexample"], &second.unwrap()["counterexample"]);
    assert!(!ops(&a["conflicts"]).is_empty(), "{a}");
    for k in ["conflicts", "good_order", "completing_step", "why"] {
        assert_eq!(a[k], b[k], "{k}");
    }
}

/// The Rhai lost update: `v.value += 1` is a load and a store; one process
/// loaded the counter before the other stored it.
#[test]
fn the_rhai_lost_update_names_the_load_before_the_other_store() {
    let _share = crate::common::share();
    let (_, v) = explore("counter", &["counter", "--param", "processes=2", "--param", "times=1", "--json"]);
    let c = &v.expect("JSON")["counterexample"];
    assert_eq!(ops(&c["conflicts"]), [op("Process-1", "load", "counter", 29), op("Process-2", "store", "counter", 29)], "{c}");
    assert_eq!(ops(&c["good_order"]), [op("Process-2", "store", "counter", 29), op("Process-1", "load", "counter", 29)], "{c}");
}

/// The Rhai ticket race, in the report a person reads, in both languages.
#[test]
fn the_rhai_ticket_race_says_why_in_english_and_chinese() {
    let _share = crate::common::share();
    let args = ["ticket-race", "--param", "buyers=2", "--param", "tickets=1", "--param", "lock=false"];
    let (text, _) = explore("rhai-en", &args);
    let why: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("why: ")).collect();
    assert!(why.iter().any(|w| w.contains(" read ticket (line 31) before Process-") && w.contains(" wrote it (line 37)")), "{text}");
    assert!(why.iter().any(|w| w.starts_with("on a run that went well: ")), "{text}");
    let mut zh = args.to_vec();
    zh.extend(["--lang", "zh"]);
    let (text, _) = explore("rhai-zh", &zh);
    assert!(text.lines().any(|l| l.trim().starts_with("原因:") && l.contains("之前读取了 ticket(第 31 行)")), "{text}");
    assert!(text.contains("在一次正常的运行中:"), "{text}");
}

/// The notes' program (the lock around buying only): 查票 read the file
/// (line 10) after a buyer emptied it to rewrite it (`open("ticket", "w")`,
/// line 21) and before the buyer's write reached it — JSONDecodeError.
#[test]
fn the_python_decode_error_names_the_read_between_the_emptying_and_the_write() {
    let _share = crate::common::share();
    let (_, v) = explore("pyerr", &["ticket-race.py", "--param", "variant=lock", "--param", "buyers=2", "--param", "tickets=1", "--bad", "error", "--json"]);
    let c = &v.expect("JSON")["counterexample"];
    assert!(c["message"].as_str().unwrap().contains("JSONDecodeError"), "{c}");
    assert_eq!(
        ops(&c["conflicts"]),
        [op("Process-2", "truncate", "ticket", 21), op("Process-1", "read_text", "ticket", 10), op("Process-2", "write_text", "ticket", 21)],
        "{c}"
    );
    assert_eq!(c["why"]["en"][0], "Process-1 read ticket (line 10) after Process-2 emptied it (line 21, open 'w') and before Process-2 wrote it (line 21)", "{c}");
}

/// The same lesson as it opens (ten buyers), `x` with any bad outcome (the
/// first one met): the buyers inside the lock also bought in another order
/// than in the run that went well, but what failed is 查票's read, so that
/// read is what the reasons name (they once named two buyers' reads on
/// line 15, inside the lock).
#[test]
fn the_failed_process_read_is_named_not_the_buyers_turns_at_the_lock() {
    let _share = crate::common::share();
    let (_, v) = explore("pyerr10", &["ticket-race.py", "--first", "--json"]);
    let c = &v.expect("JSON")["counterexample"];
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("JSONDecodeError"), "{c}");
    let failed = message.split(':').next().unwrap();
    let why: Vec<&Value> = c["why"]["en"].as_array().unwrap().iter().filter(|w| !w.as_str().unwrap().starts_with("on a run that went well")).collect();
    assert!(!why.is_empty(), "{c}");
    for w in why {
        assert!(w.as_str().unwrap().starts_with(&format!("{failed} read ticket (line 10) after ")), "{c}");
    }
}
