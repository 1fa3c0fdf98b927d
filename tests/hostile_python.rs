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
/// `subprocess` in a session of its own, a double fork whose child calls
/// `setsid()` and whose grandchild starts a subprocess there and ends (a
/// fork child is a process of the run, which lasts while one lives), and a `Process` that moves to a group of its own and starts a
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
            note(subprocess.Popen(["sleep", "979"]).pid)
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

/// The library's C ABI is reachable from the program (ctypes): it can name
/// any pid as the child it started. forkscope must neither wait on it nor
/// signal it — not at the end of the run, not after — and say so.
#[test]
fn a_bystander_named_as_a_child_through_the_library_is_not_killed() {
    let _share = common::share();
    let d = dir("bystander");
    let mut bystander = Command::new("sleep").arg("976").spawn().unwrap();
    let src = format!(
        r#"import ctypes
lib = next(l.split()[-1] for l in open("/proc/self/maps") if l.rstrip().endswith("libforkscope.so"))
lib = ctypes.CDLL(lib)
lib.fs_start_prepare.restype = ctypes.c_int64
lane = lib.fs_start_prepare(b"victim", 6, b"t", 1, 0, 1, None, 0, 0)
lib.fs_start_commit(ctypes.c_uint32(lane), 0, ctypes.c_int32({pid}))
print("named")
"#,
        pid = bystander.id()
    );
    let file = d.join("bystander.py");
    std::fs::write(&file, src).unwrap();
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    let s = out.summary();
    let findings = s["findings"].to_string();
    assert!(findings.contains(&format!("pid {} was given as this process, but it is not a process of this run", bystander.id())), "{findings}");
    std::thread::sleep(Duration::from_millis(300));
    let alive = bystander.try_wait().unwrap().is_none();
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(alive, "forkscope killed a bystander named through the library");
    assert_left_nothing(out.pid, &[], Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&d);
}

/// The same, but forkscope is killed (SIGKILL) while the program runs: its
/// guard ends the run's processes, and only those.
#[test]
fn a_bystander_named_through_the_library_outlives_a_killed_conductor() {
    let _share = common::share();
    let d = dir("bystander-kill");
    let mut bystander = Command::new("sleep").arg("975").spawn().unwrap();
    let ready = d.join("named");
    let src = format!(
        r#"import ctypes, time
lib = next(l.split()[-1] for l in open("/proc/self/maps") if l.rstrip().endswith("libforkscope.so"))
lib = ctypes.CDLL(lib)
lib.fs_start_prepare.restype = ctypes.c_int64
lane = lib.fs_start_prepare(b"victim", 6, b"t", 1, 0, 1, None, 0, 0)
lib.fs_start_commit(ctypes.c_uint32(lane), 0, ctypes.c_int32({pid}))
time.sleep(1)
open({ready:?}, "w").close()
time.sleep(600)
"#,
        pid = bystander.id(),
        ready = ready.to_string_lossy(),
    );
    let file = d.join("bystander.py");
    std::fs::write(&file, src).unwrap();
    let mut child = Command::new(bin()).args(["run", file.to_str().unwrap(), "--headless"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let conductor = child.id() as i32;
    let t0 = Instant::now();
    while !ready.exists() {
        assert!(t0.elapsed() < Duration::from_secs(60), "the program never named the bystander");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: plain kill of our own child.
    unsafe { libc::kill(conductor, libc::SIGKILL) };
    let _ = child.wait();
    // The guard's sweep is over when the run's processes are gone.
    assert_left_nothing(conductor, &[], Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));
    let alive = bystander.try_wait().unwrap().is_none();
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(alive, "the guard of a killed forkscope killed a bystander named through the library");
    let _ = std::fs::remove_dir_all(&d);
}

/// A forkscope started with another run's mark in its environment (from
/// inside that run) gives its own run's processes its own mark, never the
/// outer one, and starts its guard with none; its own run ends as usual,
/// and the processes it kills are its own (a bystander with the outer mark
/// lives on).
#[test]
fn a_forkscope_started_inside_a_run_passes_on_only_its_own_mark() {
    let _share = common::share();
    let d = dir("nested-mark");
    let outer = format!("forkscope-outer-{}", std::process::id());
    let mut bystander = Command::new("sleep").arg("974").env("FORKSCOPE_RUN", &outer).spawn().unwrap();
    let (noted, go) = (d.join("noted"), d.join("go"));
    let file = d.join("marks.py");
    std::fs::write(
        &file,
        format!(
            "import os, subprocess, time\nfrom multiprocessing import Process\ndef child():\n    print('child', os.environ.get('FORKSCOPE_RUN'))\nif __name__ == '__main__':\n    print('main', os.environ.get('FORKSCOPE_RUN'))\n    p = Process(target=child)\n    p.start()\n    p.join()\n    subprocess.run(['sh', '-c', 'echo sub $FORKSCOPE_RUN'])\n    open({noted:?}, 'w').close()\n    t = time.time()\n    while not os.path.exists({go:?}) and time.time() - t < 60:\n        time.sleep(0.05)\n",
            noted = noted.to_string_lossy(),
            go = go.to_string_lossy()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["run", file.to_str().unwrap(), "--headless"]).env("FORKSCOPE_RUN", &outer).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    let t0 = Instant::now();
    while !noted.exists() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let guards = processes_of_run(pid, "guard");
    let guard_envs: Vec<String> = guards.iter().map(|g| String::from_utf8_lossy(&std::fs::read(format!("/proc/{g}/environ")).unwrap_or_default()).into_owned()).collect();
    std::fs::write(&go, "").unwrap();
    let out = wait_limited(&mut child, Duration::from_secs(60));
    assert_eq!(guards.len(), 1, "the run's guard: {guards:?}");
    assert!(!guard_envs[0].contains("FORKSCOPE_RUN="), "the guard carries a run's mark");
    let marks: Vec<&str> = out.stdout.lines().filter_map(|l| ["main ", "child ", "sub "].iter().find_map(|p| l.split_once(p)).map(|(_, m)| m.trim())).collect();
    assert_eq!(marks.len(), 3, "{}\n{}", out.stdout, out.stderr);
    assert!(marks.iter().all(|m| *m == marks[0] && *m != outer && m.starts_with(&format!("forkscope-{pid}-"))), "{marks:?}");
    std::thread::sleep(Duration::from_millis(300));
    let alive = bystander.try_wait().unwrap().is_none();
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(alive, "a process with the outer run's mark was killed by the inner run");
    assert_left_nothing(pid, &[], Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&d);
}

/// `explore` must not call a program clean when its runs fail: a process
/// that spins without reaching an op (no step ever finishes) fails the run,
/// and explore stops there and says why. A main that exits with an error
/// code is a bad outcome the program itself declared (every error outcome
/// has a finding saying why): a counterexample, saved and replayable.
#[test]
fn explore_does_not_call_a_program_clean_when_its_runs_fail() {
    let _share = common::share();
    let d = dir("explore-failed");
    let exits = d.join("exits.py");
    std::fs::write(&exits, "import sys\nsys.exit(3)\n").unwrap();
    for mode in [&["--runs", "5"][..], &["--all"][..]] {
        let mut args = vec!["explore", exits.to_str().unwrap(), "--json"];
        args.extend(mode);
        // In the test's folder: a run judged bad is saved beside the command.
        let out = run_limited_in(&d, &args, Duration::from_secs(60));
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
        assert_eq!(v["result"], "counterexample", "{mode:?}: {v}");
        assert_eq!(v["counterexample"]["kind"], "error", "{v}");
        assert_eq!(v["counterexample"]["message"], "MainProcess exited with code 3", "{v}");
        let saved = d.join(v["counterexample"]["saved"].as_str().expect("saved"));
        assert!(saved.is_file(), "{v}");
        std::fs::remove_file(&saved).unwrap();
    }
    // The case found: a child that never reaches an op again.
    let spin = d.join("spin.py");
    std::fs::write(&spin, "from multiprocessing import Process\ndef f():\n    while True:\n        pass\nif __name__ == \"__main__\":\n    p = Process(target=f)\n    p.start()\n    p.join()\n").unwrap();
    let out = run_limited_in(&d, &["explore", spin.to_str().unwrap(), "--runs", "5"], Duration::from_secs(90));
    assert!(!out.stdout.contains("nothing went wrong"), "{}", out.stdout);
    assert!(out.stdout.contains("explore stopped: run 1 (seed 0, random schedule) ended in error"), "{}", out.stdout);
    assert!(out.stdout.contains("a step did not finish in time"), "{}", out.stdout);
    assert_eq!(out.status, 2);
    assert_left_nothing(out.pid, &[], Duration::from_secs(2));
    let out = run_limited_in(&d, &["explore", spin.to_str().unwrap(), "--runs", "5", "--json"], Duration::from_secs(90));
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!((v["result"].as_str(), v["runs"].as_u64(), out.status), (Some("failed"), Some(1), 2), "{v}");
    // Run alone under the round-robin schedule it makes no progress either,
    // and says so (not "completed").
    let out = run_limited_in(&d, &["run", spin.to_str().unwrap(), "--headless", "--json", "--schedule", "rr"], Duration::from_secs(90));
    assert_ne!(out.summary()["outcome"], "completed", "{}", out.stdout);
    assert_ne!(out.status, 0);
    let saved: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).filter(|n| n.to_string_lossy().ends_with(".fsrec")).collect();
    assert!(saved.is_empty(), "explore saved a run it could not judge: {saved:?}");
    let _ = std::fs::remove_dir_all(&d);
}
