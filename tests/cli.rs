//! The command line as a user meets it: lists, checks, bad input, no terminal,
//! and the guarantees about cleanup (conductor killed, stale segments, the
//! internal worker subcommand).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn list_shows_the_built_in_lessons() {
    let out = run(&["list"]);
    assert_eq!(out.status, 0);
    for name in ["hello", "join", "ticket-race"] {
        assert!(out.stdout.lines().any(|l| l.starts_with(name)), "{name} missing from:\n{}", out.stdout);
    }
    let zh = run(&["list", "--lang", "zh"]);
    assert!(zh.stdout.contains("模拟抢票"), "{}", zh.stdout);
}

#[test]
fn check_accepts_every_built_in_lesson() {
    let list = run(&["list"]);
    for line in list.stdout.lines() {
        let name = line.split_whitespace().next().unwrap();
        let out = run(&["check", name]);
        assert_eq!(out.status, 0, "{name}: {}", out.stderr);
    }
}

/// Each invalid lesson and the exact message it gets (file:line:column).
const INVALID: &[(&str, &str)] = &[
    ("bad_syntax.rhai", "tests/invalid/bad_syntax.rhai:2:13: Unexpected ';'"),
    ("no_main.rhai", "tests/invalid/no_main.rhai:1:1: the lesson has no `fn main()` (the main process runs it)"),
    ("unknown_target.rhai", "tests/invalid/unknown_target.rhai:2:21: unknown function 'nobody' used as a target of Process"),
    ("wrong_arity.rhai", "tests/invalid/wrong_arity.rhai:3:13: work() takes 1 argument but Process gives it 2"),
    ("unknown_param.rhai", "tests/invalid/unknown_param.rhai:2:17: unknown parameter 'tickets' (it declares none)"),
    ("out_of_range.rhai", "tests/invalid/out_of_range.toml:5:1: default of parameter tickets: 500 is out of range 0..=100"),
    ("unknown_key.rhai", "tests/invalid/unknown_key.toml:2:1: unknown field `colour`, expected one of `order`, `title`, `story`, `notes`, `params`, `bad`, `goals`"),
];

#[test]
fn invalid_lessons_get_their_exact_message() {
    let dir = format!("{}/tests/invalid", env!("CARGO_MANIFEST_DIR"));
    let mut seen: Vec<String> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".rhai")).collect();
    seen.sort();
    let mut want: Vec<String> = INVALID.iter().map(|(f, _)| f.to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every fixture has an expected message");
    for (file, msg) in INVALID {
        let out = Command::new(bin()).args(["check", &format!("tests/invalid/{file}")]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), *msg, "{file}");
        // `run` refuses the same way before starting anything.
        let out = Command::new(bin()).args(["run", &format!("tests/invalid/{file}"), "--headless"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), *msg, "run {file}");
    }
}

#[test]
fn bad_parameters_and_options_are_refused_clearly() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "ticket-race", "--headless", "--param", "tickets=1000"], "forkscope: --param tickets=1000: parameter tickets: 1000 is out of range 0..=100"),
        (&["run", "ticket-race", "--headless", "--param", "nope=1"], "forkscope: --param nope=1: lesson ticket-race has no parameter 'nope' (it has: lock, tickets, buyers)"),
        (&["run", "ticket-race", "--headless", "--param", "lock=maybe"], "forkscope: --param lock=maybe: lock must be true or false"),
        (&["run", "ticket-race", "--headless", "--param", "lock"], "forkscope: --param lock: expected NAME=VALUE"),
        (&["run", "no-such-lesson", "--headless"], "forkscope: no lesson named 'no-such-lesson' and no such file"),
        (&["run", "hello", "--headless", "--timeout", "-1"], "forkscope: --timeout -1: must be a positive number of seconds"),
        (&["run", "hello", "--headless", "--speed", "0"], "forkscope: --speed 0: must be a number in (0, 1000]"),
        (&["run", "hello", "--headless", "--schedule", "x,y"], "forkscope: --schedule x,y: expected rr, random, pct, or a comma list of process lanes (1 = main)"),
    ];
    for (args, msg) in cases {
        let out = run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.trim().starts_with(msg), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn without_a_terminal_it_says_use_headless() {
    for args in [&[][..], &["run", "hello"]] {
        let out = run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.contains("use") && out.stderr.contains("--headless"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn the_worker_subcommand_refuses_without_a_live_conductor() {
    let out = run(&["worker", "--segment", "forkscope-1-1-00", "--lane", "1"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("forkscope worker:"), "{}", out.stderr);
    assert!(out.stderr.contains("internal"), "{}", out.stderr);
    let out = run(&["worker", "--segment", "/etc/passwd", "--lane", "1"]);
    assert_eq!(out.status, 2);
}

#[test]
fn stale_segments_of_a_dead_run_are_swept_at_the_next_start() {
    // A leftover named after a conductor that no longer exists (pid 1 never
    // has this start time).
    let stale = format!("/dev/shm/forkscope-1-1-{:032x}", std::process::id());
    std::fs::write(&stale, b"leftover").unwrap();
    let out = run_json("hello", &["--param", "children=1"]);
    assert_eq!(out.summary()["outcome"], "completed");
    assert!(!std::path::Path::new(&stale).exists(), "the stale segment is gone");
}

#[test]
fn killing_the_conductor_leaves_no_process_and_no_segment() {
    for delay_records in [3usize, 25] {
        let mut child = Command::new(bin())
            .args(["run", "ticket-race", "--headless", "--json", "--param", "lock=true"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let conductor = child.id() as i32;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut pids = Vec::new();
        let mut n = 0;
        let t0 = Instant::now();
        // Read until the run is well under way (buyers started, some records).
        while let Some(Ok(l)) = lines.next() {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            if v["type"] == "spawn" {
                pids.push(v["pid"].as_i64().unwrap() as i32);
            }
            n += 1;
            if pids.len() >= 5 && n >= delay_records {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "the run did not get going");
        }
        assert!(pids.len() >= 5);
        // SAFETY-free: plain kill of our own child.
        let _ = Command::new("kill").args(["-9", &conductor.to_string()]).status();
        let _ = child.wait();
        assert_left_nothing(conductor, &pids, Duration::from_secs(2));
    }
}
