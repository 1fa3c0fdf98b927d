//! End-to-end tests of the core: real processes, shared memory, the gate,
//! headless output, and cleanup.

use crate::common;

use std::time::Duration;

use common::*;

#[test]
fn hello_children_report_main_as_their_parent() {
    let _share = crate::common::share();
    let out = run_json("hello", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed");
    let procs = s["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 6);
    let main_pid = procs[0]["pid"].as_i64().unwrap();
    assert_eq!(procs[0]["name"], "MainProcess");
    assert_eq!(procs[0]["ppid"].as_i64().unwrap(), out.pid as i64, "main is the conductor's child");
    for p in &procs[1..] {
        assert_eq!(p["ppid"].as_i64().unwrap(), main_pid, "{p}");
        assert_eq!(p["exitcode"], 0);
    }
    for i in 0..5 {
        assert_eq!(reported(&s, &format!("ppid_of_child_{i}")).as_i64().unwrap(), main_pid, "child {i} printed its real ppid");
    }
    assert_eq!(reported(&s, "main_pid").as_i64().unwrap(), main_pid);
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn ticket_race_without_lock_oversells_under_a_fixed_schedule() {
    let _share = crate::common::share();
    for sched in ["rr", "1,1,1,1,2,3,4,2,3,4"] {
        let out = run_json("ticket-race", &["--param", "lock=false", "--schedule", sched]);
        let s = out.summary();
        assert_eq!(s["outcome"], "completed", "{}", out.stderr);
        let sold = reported(&s, "sold").as_i64().unwrap();
        assert!(sold > 3, "schedule {sched}: sold {sold} of 3 tickets");
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

#[test]
fn ticket_race_with_lock_sells_exactly_the_tickets() {
    let _share = crate::common::share();
    for extra in [&["--schedule", "rr"][..], &["--schedule", "random", "--seed", "5"], &["--speed", "20", "--param", "buyers=6"]] {
        let mut args = vec!["--param", "lock=true"];
        args.extend_from_slice(extra);
        let out = run_json("ticket-race", &args);
        let s = out.summary();
        assert_eq!(s["outcome"], "completed");
        assert_eq!(reported(&s, "sold"), 3, "{extra:?}");
        assert_eq!(reported(&s, "left"), 0, "{extra:?}");
    }
}

#[test]
fn ticket_race_cli_contract_from_the_issue() {
    let _share = crate::common::share();
    // `forkscope run ticket-race --headless --json --param lock=false --seed 1`
    let out = run_json("ticket-race", &["--param", "lock=false", "--seed", "1", "--speed", "5"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed");
    assert!(reported(&s, "sold").as_i64().unwrap() > 3, "free running, every buyer reads before anyone writes");
    for p in s["processes"].as_array().unwrap() {
        for key in ["name", "pid", "ppid", "exitcode"] {
            assert!(!p[key].is_null(), "process entry lacks {key}: {p}");
        }
    }
    assert!(s["findings"].is_array());
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn same_schedule_and_seed_give_the_same_record_sequence() {
    let _share = crate::common::share();
    let a = run_json("ticket-race", &["--param", "lock=true", "--param", "buyers=4", "--schedule", "random", "--seed", "7"]);
    let b = run_json("ticket-race", &["--param", "lock=true", "--param", "buyers=4", "--schedule", "random", "--seed", "7"]);
    let (sa, sb) = (shape(&a.records()), shape(&b.records()));
    assert!(sa.len() > 50, "a real run: {} records", sa.len());
    assert_eq!(sa, sb);
    let c = run_json("ticket-race", &["--param", "lock=true", "--param", "buyers=4", "--schedule", "random", "--seed", "8"]);
    assert_ne!(sa, shape(&c.records()), "another seed, another interleaving");
}

#[test]
fn daemon_ends_with_mains_code_while_a_normal_child_runs_on() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("daemon.rhai"), &["--speed", "10"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed");
    let procs = s["processes"].as_array().unwrap();
    let daemon = procs.iter().find(|p| p["daemon"] == true).unwrap();
    assert_eq!(daemon["exitcode"], -15, "terminated when main's code ended");
    let normal = procs.iter().find(|p| p["name"] == "Process-2").unwrap();
    assert_eq!(normal["exitcode"], 0);
    let prints: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
    assert!(prints.contains(&"end456".to_string()), "{prints:?}");
    assert!(!prints.contains(&"end123".to_string()), "{prints:?}");
    let main_end = prints.iter().position(|p| p == "main-------").unwrap();
    let end456 = prints.iter().position(|p| p == "end456").unwrap();
    assert!(main_end < end456, "the normal child outlives main's code");
}

#[test]
fn a_daemon_cannot_start_a_child_same_text_as_python() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("daemon_child.rhai"), &[]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "main itself is fine");
    assert_eq!(reported(&s, "exitcode"), 1);
    let err = out.records().into_iter().find(|r| r["type"] == "error").expect("an error record");
    assert!(err["message"].as_str().unwrap().starts_with("AssertionError: daemonic processes are not allowed to have children"), "{err}");
    assert_eq!(err["line"], 5, "the line of p.start()");
    assert!(s["findings"].as_array().unwrap().iter().any(|f| f["kind"] == "error"));
}

#[test]
fn a_child_blocked_on_the_lock_is_reported_with_the_holder() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("lock_block.rhai"), &["--schedule", "rr"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed");
    let recs = out.records();
    let holder_lane = recs.iter().find(|r| r["type"] == "spawn" && r["name"] == "Process-1").unwrap()["child"].clone();
    let waiter_lane = recs.iter().find(|r| r["type"] == "spawn" && r["name"] == "Process-2").unwrap()["child"].clone();
    let block = recs.iter().find(|r| r["type"] == "block" && r["op"] == "acquire").expect("a block record");
    assert_eq!(block["lane"], waiter_lane);
    assert_eq!(block["holder"], holder_lane);
    let wake = recs.iter().find(|r| r["type"] == "wake").expect("a wake record");
    assert_eq!(wake["lane"], holder_lane, "the release woke it");
    assert_eq!(wake["woken"], waiter_lane);
}

#[test]
fn killing_the_holder_of_a_lock_is_reported_and_the_run_goes_on() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("kill_holder.rhai"), &["--speed", "4"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{}", out.stdout);
    assert_eq!(reported(&s, "holder_exitcode"), -9);
    assert_eq!(reported(&s, "waiter_got"), false, "the lock is never released");
    let f = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "ended_holding").expect("finding");
    assert!(f["message"].as_str().unwrap().contains("Process-1 was killed by SIGKILL while holding Lock-1"), "{f}");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn timeout_ends_every_process_and_exits_non_zero() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("forever.rhai"), &["--timeout", "1"]);
    assert_eq!(out.status, 5);
    let s = out.summary();
    assert_eq!(s["outcome"], "timeout");
    for p in s["processes"].as_array().unwrap() {
        assert_eq!(p["exitcode"], -9, "ended by forkscope: {p}");
    }
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn stepping_by_statement_takes_more_steps_than_by_op() {
    let _share = crate::common::share();
    let ops = run_json("hello", &["--schedule", "rr"]).summary();
    let stmts = run_json("hello", &["--schedule", "rr", "--statements"]).summary();
    assert_eq!(ops["outcome"], "completed");
    assert_eq!(stmts["outcome"], "completed");
    assert!(stmts["steps"].as_u64().unwrap() > ops["steps"].as_u64().unwrap(), "{} vs {}", stmts["steps"], ops["steps"]);
}

#[test]
fn a_normal_run_decodes_every_record() {
    let _share = crate::common::share();
    // Prints and reports travel as text groups; none may be counted as corrupt.
    let out = run_json("hello", &["--schedule", "rr"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{}", out.stderr);
    assert_eq!(s["corrupt"], 0, "{s}");
    assert_eq!(s["dropped"], 0, "{s}");
}

/// The join lesson: joined inside the start loop the children run one after
/// another (each starts after the previous one ended); started first and joined
/// after, they overlap (all start before any ends).
#[test]
fn join_lesson_two_ways() {
    let _share = crate::common::share();
    let order = |mode: &str, extra: &[&str]| -> Vec<(String, u64)> {
        let mut args = ["--param", &format!("mode={mode}")[..]].iter().map(|s| s.to_string()).collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_json("join", &args);
        assert_eq!(out.summary()["outcome"], "completed", "{}", out.stderr);
        out.records()
            .iter()
            .filter_map(|r| match r["type"].as_str() {
                Some("spawn") if r["lane"] == 1 => Some(("start".to_string(), r["child"].as_u64().unwrap())),
                Some("ended") if r["process"] != 1 => Some(("end".to_string(), r["process"].as_u64().unwrap())),
                _ => None,
            })
            .collect()
    };
    for extra in [&["--schedule", "rr"][..], &["--speed", "20"]] {
        let serial = order("loop", extra);
        let want: Vec<(String, u64)> = (2..7).flat_map(|l| [("start".to_string(), l), ("end".to_string(), l)]).collect();
        assert_eq!(serial, want, "mode=loop {extra:?}: one after another");
        let overlap = order("after", extra);
        let mut alive = 0i32;
        let most_alive = overlap.iter().map(|(k, _)| {
            alive += if k == "start" { 1 } else { -1 };
            alive
        }).max().unwrap();
        // Free running, all five sleep at once; stepping (virtual time) a child
        // may finish before main starts the last ones, but they still overlap.
        let want = if extra[0] == "--speed" { 5 } else { 2 };
        assert!(most_alive >= want, "mode=after {extra:?}: {most_alive} alive at once: {overlap:?}");
    }
}

/// The fork server: every process of a Rhai run is a fork of the
/// run's template (`forkscope template --segment …`, the conductor's child
/// and the run's group leader), not an exec of its own; `--no-fork-server`
/// keeps the exec path, where each process is its starter's OS child. Either
/// way `getppid()` names the process that started it (multiprocessing's
/// `parent_process().pid`), and nothing is left behind.
#[test]
fn fork_server_starts_every_process_as_a_fork_of_the_run_template() {
    let _share = crate::common::share();
    use std::io::BufRead;
    let ppid = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|t| t.rsplit(')').next()?.split_whitespace().nth(1)?.parse::<i32>().ok());
    let cmdline = |pid: i32| std::fs::read(format!("/proc/{pid}/cmdline")).map(|c| String::from_utf8_lossy(&c).replace('\0', " ")).unwrap_or_default();
    let check = move |fork_server: bool| {
        let mut args = vec!["run".to_string(), lesson_fixture("fork_server.rhai"), "--headless".into(), "--json".into(), "--timeout".into(), "60".into()];
        if !fork_server {
            args.insert(0, "--no-fork-server".into());
        }
        let mut child = std::process::Command::new(bin()).args(&args).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
        let conductor = child.id() as i32;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut pids = Vec::new();
        while pids.len() < 3 {
            let l = lines.next().expect("the run ended before its three processes started").unwrap();
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            if v["type"] == "spawn" {
                pids.push(v["pid"].as_i64().unwrap() as i32);
            }
        }
        // All three wait for the file `go`: alive while we look.
        let (main, kids) = (pids[0], &pids[1..]);
        if fork_server {
            let template = ppid(main).unwrap();
            assert!(cmdline(template).contains("template --segment forkscope-"), "main's OS parent is the template: {}", cmdline(template));
            assert_eq!(ppid(template), Some(conductor), "the template is the conductor's child");
            for &k in kids {
                assert_eq!(ppid(k), Some(template), "a child is a fork of the template");
                assert!(cmdline(k).contains("template --segment"), "{}", cmdline(k));
            }
            // Only a lane's starter gets a process from the template: not us,
            // for a lane that runs already or one never reserved.
            let seg = cmdline(template).split_whitespace().last().unwrap().to_string();
            for lane in [2, 3, 60] {
                let asked = forkscope::runtime::forkserver::request(&seg, lane);
                assert!(asked.is_err(), "the template forked lane {lane} for a stranger: {asked:?}");
            }
        } else {
            assert_eq!(ppid(main), Some(conductor));
            for &k in kids {
                assert_eq!(ppid(k), Some(main), "exec'd: the starter is the OS parent");
                assert!(cmdline(k).contains("worker --segment"), "{}", cmdline(k));
            }
        }
        std::fs::write(format!("/proc/{main}/cwd/go"), "").unwrap();
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert_eq!(child.wait().unwrap().code(), Some(0));
        let s: serde_json::Value = serde_json::from_str(rest.last().expect("a summary")).unwrap();
        assert_eq!(s["outcome"], "completed", "{s}");
        assert_eq!(reported(&s, "main_pid").as_i64(), Some(main as i64));
        assert_eq!(reported(&s, "ppid_of_main").as_i64(), Some(conductor as i64));
        for i in 0..2 {
            assert_eq!(reported(&s, &format!("ppid_of_child_{i}")).as_i64(), Some(main as i64), "getppid() names the starter");
        }
        assert_left_nothing(conductor, &pids, Duration::from_secs(5));
    };
    std::thread::scope(|sc| {
        let with = sc.spawn(|| check(true));
        check(false);
        with.join().unwrap();
    });
}
