//! Hostile Python programs: what a program can do to get out of the run, to
//! starve it, or to turn the conductor against others. Each test names what
//! it attacks; each run must end with a clear message and leave nothing
//! behind (no process, no segment, no folder).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn dir(tag: &str) -> PathBuf {
    common::tempdir(&format!("hostile-{tag}"))
}

/// The pids a program wrote, one per line, into `file`, once there are `n`
/// (waiting at most 30 s).
fn pids_written(file: &Path, n: usize) -> Vec<i32> {
    let t0 = Instant::now();
    loop {
        let pids: Vec<i32> = std::fs::read_to_string(file).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect();
        if pids.len() >= n {
            return pids;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the program wrote {} of {n} pids", pids.len());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits up to `grace` until none of `pids` is alive; panics naming those
/// that are (and kills them, so that a failure leaves nothing either).
fn assert_all_gone(pids: &[i32], grace: Duration, what: &str) {
    let t0 = Instant::now();
    loop {
        let live: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if live.is_empty() {
            return;
        }
        if t0.elapsed() > grace {
            for &p in &live {
                // SAFETY: plain kill of a process this test's program started.
                unsafe { libc::kill(p, libc::SIGKILL) };
            }
            panic!("{what}: still running {grace:?} after the run: {live:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A program whose processes leave the run every way Python offers: a
/// `subprocess` in a session of its own, a double fork whose grandchild calls
/// `setsid()`, and a `Process` that moves to a group of its own and starts a
/// subprocess there. Each writes its pid to `pids.txt`; then main `waits`
/// (sleeps) or ends.
fn escaping_program(d: &Path, then_sleep: bool) -> PathBuf {
    let pids = d.join("pids.txt");
    let src = format!(
        r#"import os, subprocess, sys, time
from multiprocessing import Process

PIDS = {pids:?}

def note(pid):
    with open(PIDS, "a") as f:
        f.write("%d\n" % pid)

def own_group():
    os.setpgid(0, 0)
    p = subprocess.Popen(["sleep", "977"])
    note(p.pid)

if __name__ == "__main__":
    p = subprocess.Popen(["sleep", "978"], start_new_session=True)
    note(p.pid)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            note(os.getpid())
            time.sleep(979)
        os._exit(0)
    os.waitpid(pid, 0)
    q = Process(target=own_group)
    q.start()
    q.join()
    print("all out")
    if {then_sleep}:
        time.sleep(600)
"#,
        pids = pids.to_string_lossy(),
        then_sleep = if then_sleep { "True" } else { "False" },
    );
    let file = d.join("escape.py");
    std::fs::write(&file, src).unwrap();
    file
}

#[test]
fn processes_that_leave_the_group_and_their_parent_end_with_the_run() {
    let _share = common::share();
    let d = dir("escape-end");
    let file = escaping_program(&d, false);
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "{}", out.stderr);
    let pids = pids_written(&d.join("pids.txt"), 3);
    assert_all_gone(&pids, Duration::from_secs(1), "escaped processes");
    assert_left_nothing(out.pid, &[], Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn processes_that_leave_the_group_and_their_parent_end_with_a_killed_conductor() {
    let _share = common::share();
    let d = dir("escape-kill");
    let file = escaping_program(&d, true);
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let conductor = child.id() as i32;
    let pids = pids_written(&d.join("pids.txt"), 3);
    // SAFETY: plain kill of our own child.
    unsafe { libc::kill(conductor, libc::SIGKILL) };
    let _ = child.wait();
    assert_all_gone(&pids, Duration::from_secs(1), "escaped processes after SIGKILL of forkscope");
    assert_left_nothing(conductor, &[], Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&d);
}
