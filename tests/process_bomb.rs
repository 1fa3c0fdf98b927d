//! A `Process` bomb: every process starts processes as fast as it can and
//! ignores the error once the run's lane table is full, so about a
//! thousand processes stay busy. The conductor must still end the run: at
//! its time limit and on SIGTERM, leaving no process and nothing in
//! /dev/shm. The bounds are generous (a loaded 2-core machine): the check is
//! that it ends; how fast is a figure for the README, not an assertion.
//! Each test runs alone (`common::heavy`): a bomb beside other tests would
//! starve them.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BOMB: &str = "from multiprocessing import Process\n\ndef bomb():\n    while True:\n        try:\n            Process(target=bomb).start()\n        except OSError:\n            pass\n\nif __name__ == '__main__':\n    bomb()\n";

fn program(tag: &str, text: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("fs-bomb-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("bomb.py");
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn a_process_bomb_ends_at_the_time_limit() {
    let _alone = common::heavy();
    let file = program("timeout", BOMB);
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json", "--timeout", "5"], Duration::from_secs(90));
    let s = out.summary();
    assert_eq!(s["outcome"], "timeout", "{s}");
    assert_eq!(out.status, 5, "{}", out.stderr);
    assert!(s["processes"].as_array().unwrap().len() > 100, "the bomb went off: {} processes", s["processes"].as_array().unwrap().len());
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn a_spawn_bomb_ends_at_the_time_limit() {
    let _alone = common::heavy();
    let file = program("spawn", &BOMB.replace("if __name__ == '__main__':\n", "if __name__ == '__main__':\n    import multiprocessing\n    multiprocessing.set_start_method('spawn')\n"));
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json", "--timeout", "5"], Duration::from_secs(90));
    let s = out.summary();
    assert_eq!(s["outcome"], "timeout", "{s}");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

/// SIGTERM freezes the run's group in the signal handler itself, so the
/// conductor's end does not queue behind a thousand busy processes.
#[test]
fn a_process_bomb_ends_on_sigterm() {
    let _alone = common::heavy();
    let file = program("term", BOMB);
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let pid = child.id() as i32;
    // Once 300 processes have started (the log says so), the bomb is on.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut started = 0;
    while started < 300 {
        match lines.next() {
            Some(Ok(l)) => started += l.contains(" started Process") as usize,
            _ => panic!("forkscope ended before the bomb went off"),
        }
    }
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    // SAFETY: pid is our child's.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("forkscope did not end within 60 s of SIGTERM amid a Process bomb");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = rest.join().unwrap().join("\n");
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("stopped by SIGTERM"), "{log}");
    assert_left_nothing(pid, &[], Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
