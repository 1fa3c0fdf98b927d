//! A manager's objects as shared values: reads and writes through a
//! `Manager().dict()` (and its list, Value, Namespace) proxy are ops with
//! their values, given to the process that asked — in the records, the
//! headless log, the Resources pane's history and explore's why — and a
//! program using them prints what python3 prints. python3 must be on PATH.

use crate::common;

use std::time::Duration;

use serde_json::Value;

use common::*;

/// docs/bank-race-manager.py: two withdrawals through a Manager's dict.
fn bank() -> std::path::PathBuf {
    python3();
    repo("docs/bank-race-manager.py")
}

fn lane_of(summary: &Value, name: &str) -> u64 {
    summary["processes"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no {name}: {summary}"))["lane"].as_u64().unwrap()
}

/// The accesses of the manager's object called `name`: (asker, op, detail).
fn accesses(records: &[Value], name: &str) -> Vec<(u64, String, Value)> {
    let res = records.iter().find(|r| r["type"] == "resource" && r["name"] == name && r["kind"] == "managed").unwrap_or_else(|| panic!("no managed {name}: {records:#?}"))["res"].clone();
    records
        .iter()
        .filter(|r| r["type"] == "op" && r["res"] == res && !r["other"].is_null())
        .map(|r| (r["other"].as_u64().unwrap(), r["op"].as_str().unwrap().to_string(), serde_json::from_str(r["detail"].as_str().unwrap()).unwrap()))
        .collect()
}

/// Round robin: both withdrawals read the balance before either writes it.
#[test]
fn a_stepped_manager_dict_race_shows_each_read_and_write_for_whoever_asked() {
    let _share = common::share();
    let file = bank();
    let (s, lines, records) = forkscope(&file, &["--schedule", "rr"], Duration::from_secs(60));
    assert_eq!(lines, ["balance 900"], "the lost update: {s}");
    assert_eq!(s["outcome"], "assertion", "{s}");
    let (p2, p3) = (lane_of(&s, "Process-2"), lane_of(&s, "Process-3"));
    let got: Vec<(u64, String, String, String)> = accesses(&records, "account").into_iter().map(|(l, op, d)| (l, op, d["at"].as_str().unwrap().to_string(), d["value"].as_str().unwrap().to_string())).collect();
    let want = [(p2, "load", "1000"), (p3, "load", "1000"), (p2, "store", "900"), (p3, "store", "900"), (1, "load", "900"), (1, "load", "900")].map(|(l, o, v)| (l, o.to_string(), "['balance']".to_string(), v.to_string()));
    assert_eq!(got, want, "{records:#?}");
    // Written by the manager, on the asker's line.
    let manager = lane_of(&s, "SyncManager-1");
    let lines_of: Vec<(u64, String, u64)> = records.iter().filter(|r| r["type"] == "op" && !r["other"].is_null() && r["detail"].as_str().is_some_and(|d| d.starts_with("{\"at\""))).map(|r| (r["lane"].as_u64().unwrap(), r["op"].as_str().unwrap().to_string(), r["line"].as_u64().unwrap())).collect();
    let want = [("load", 10), ("load", 10), ("store", 11), ("store", 11), ("load", 22), ("load", 23)].map(|(o, l)| (manager, o.to_string(), l));
    assert_eq!(lines_of, want);
    // The headless log says it in words, each the asker's.
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--schedule", "rr"], Duration::from_secs(60));
    for said in ["Process-2(", "L10: · Process-2 read account['balance'] = 1000", "L10: · Process-3 read account['balance'] = 1000", "L11: · Process-2 wrote account['balance'] = 900", "L11: · Process-3 wrote account['balance'] = 900"] {
        assert!(out.stdout.contains(said), "{said:?} in\n{}", out.stdout);
    }
    assert_left_nothing(out.pid, &[], Duration::from_secs(5));
    // Same schedule, same accesses.
    let (_, _, again) = forkscope(&file, &["--schedule", "rr"], Duration::from_secs(60));
    assert_eq!(accesses(&records, "account"), accesses(&again, "account"));
}

/// The Resources pane shows the dict by its type and value, and who read
/// and wrote what at which step.
#[test]
fn a_figure_keeps_the_manager_dicts_history() {
    let _share = common::share();
    let file = bank();
    let dir = tempdir("managed-figure");
    let txt = dir.join("bank.txt");
    let out = run_limited(&["snapshot", file.to_str().unwrap(), "--steps", "44", "--size", "140x30", "--out", txt.to_str().unwrap()], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("account dict  = {'balance': 900}"), "{text}");
    assert!(text.contains("  Process-3 wrote ['balance']=900 @") && text.contains("  Process-2 wrote ['balance']=900 @"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// explore --all finds the lost update and says it in the dict's terms,
/// not the manager's request queue's.
#[test]
fn explore_explains_a_lost_update_on_a_manager_dict() {
    let _share = common::share();
    let file = bank();
    let dir = tempdir("managed-explore");
    let out = run_limited_in(&dir, &["explore", file.to_str().unwrap(), "--all", "--bad", "assertion"], Duration::from_secs(240));
    assert!(out.stdout.contains("counterexample: assertion"), "{}{}", out.stdout, out.stderr);
    let why: Vec<&str> = out.stdout.lines().filter(|l| l.trim_start().starts_with("why:")).collect();
    assert!(why.iter().any(|l| l.contains("read account['balance']") && l.contains("wrote it")), "{}", out.stdout);
    assert!(!why.iter().any(|l| l.contains("requests")), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

const KINDS: &str = r#"from multiprocessing import Manager, Process


def work(d, l, v, ns):
    d["x"] = d.get("x", 0) + 1
    l.append(len(l))
    l[0] = 7
    v.value += 5
    ns.count = ns.count + 1
    try:
        d["missing"]
    except KeyError:
        pass


if __name__ == "__main__":
    with Manager() as m:
        d = m.dict()
        l = m.list([1, 2])
        v = m.Value("i", 10)
        ns = m.Namespace(count=0)
        p = Process(target=work, args=(d, l, v, ns))
        p.start()
        p.join()
        print(dict(d), list(l), v.value, ns.count, len(l), 7 in l, l[0:2])
        l.pop()
        del d["x"]
        print(d, l, ns)
"#;

/// A dict, a list, a Value and a Namespace of a manager: the program prints
/// what python3 prints, and each access reads in the log.
#[test]
fn every_kind_of_manager_object_is_on_record_and_prints_as_in_cpython() {
    let _share = common::share();
    python3();
    let dir = tempdir("managed-kinds");
    let file = dir.join("kinds.py");
    std::fs::write(&file, KINDS).unwrap();
    let (code, py) = cpython(&file, &dir, Duration::from_secs(60)).expect("python3 ran it");
    assert_eq!(code, 0);
    let (s, lines, _) = forkscope(&file, &[], Duration::from_secs(60));
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_eq!(lines, py);
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless"], Duration::from_secs(60));
    for said in [
        "Process-2 read d['x'] = 0",
        "Process-2 wrote d['x'] = 1",
        "Process-2 called l.append(2): l is now [1, 2, 2]",
        "Process-2 wrote l[0] = 7",
        "Process-2 read v.value = 10",
        "Process-2 wrote v.value = 15",
        "Process-2 read ns.count = 0",
        "Process-2 wrote ns.count = 1",
        "Process-2 read d['missing'] = raised KeyError('missing')",
        "MainProcess read l[0:2] = [7, 2]",
        "MainProcess called d.__delitem__('x'): d is now {}",
        "MainProcess read ns = Namespace(count=1)",
    ] {
        assert!(out.stdout.contains(said), "{said:?} in\n{}", out.stdout);
    }
    assert_left_nothing(out.pid, &[], Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}
