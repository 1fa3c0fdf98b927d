//! Conductor memory with 1,000 live processes: main holds a Lock and starts
//! 999 children that all block on it. Once every child has reported its
//! block, the conductor's resident set (VmRSS, from /proc) must be at most
//! 64 MiB. Then SIGTERM ends the run, which must leave nothing behind.
//!
//! Debug builds skip it (1,000 debug workers take minutes to start on two
//! cores); `cargo test --release`, CI's command, runs it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn status_kib(pid: i32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
#[cfg_attr(debug_assertions, ignore = "1,000 debug-build workers take minutes to start; run with --release")]
fn conductor_stays_under_64_mib_with_1000_live_processes() {
    let mut child = Command::new(bin())
        .args(["run", &lesson_fixture("thousand.rhai"), "--headless", "--json", "--timeout", "300"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let conductor = child.id() as i32;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut pids, mut blocked) = (Vec::new(), 0);
    let t0 = Instant::now();
    while blocked < 999 {
        let Some(Ok(l)) = lines.next() else { panic!("the run ended early ({} processes, {blocked} blocked)", pids.len()) };
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        if v["type"] == "spawn" {
            pids.push(v["pid"].as_i64().unwrap() as i32);
        }
        if v["type"] == "block" && v["op"] == "acquire" {
            blocked += 1;
        }
        assert!(t0.elapsed() < Duration::from_secs(240), "1,000 processes did not start in time");
    }
    let started = t0.elapsed();
    // Everyone is blocked: read the conductor now (and after a moment of
    // drain cycles over 1,000 lanes).
    let live = pids.iter().filter(|&&p| std::path::Path::new(&format!("/proc/{p}")).exists()).count();
    assert_eq!(live, 1000, "1,000 live processes");
    std::thread::sleep(Duration::from_millis(500));
    let rss = status_kib(conductor, "VmRSS:").expect("VmRSS");
    let hwm = status_kib(conductor, "VmHWM:").unwrap_or(0);
    println!("conductor with 1,000 live processes: VmRSS {:.1} MiB (peak {:.1} MiB); all started and blocked in {:.1}s", rss as f64 / 1024.0, hwm as f64 / 1024.0, started.as_secs_f64());
    // SAFETY: plain kill of our own child: SIGTERM ends the run cleanly.
    unsafe { libc::kill(conductor, libc::SIGTERM) };
    let drain = std::thread::spawn(move || for _ in lines.by_ref() {});
    let t1 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t1.elapsed() < Duration::from_secs(30), "the conductor did not end after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = drain.join();
    assert!(status.code().is_some(), "ended by itself, not by a signal: {status:?}");
    assert_left_nothing(conductor, &pids, Duration::from_secs(5));
    assert!(rss <= 64 * 1024, "conductor VmRSS {rss} KiB > 64 MiB");
}
