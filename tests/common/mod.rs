//! Helpers for end-to-end tests: run the real `forkscope` binary with a hard
//! time limit, parse its NDJSON, and check that a run left nothing behind.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod cpython;
#[allow(unused_imports)]
pub use cpython::*;

/// The suite is one test binary, its tests on cargo's threads side by side.
/// A test that starts hundreds of processes, fills a resource or times how
/// fast a run ends takes `heavy()` and runs alone; every other test takes
/// `share()` first. (Two heavy tests side by side made one time the other's
/// load: the busy-processes test (memory::a_thousand_busy_processes_end_at_once) measured 5.06 s in CI while the thousand-process test was
/// starting its workers beside it.)
static TURNS: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Run alone: no other test of the suite runs until this guard is dropped.
pub fn heavy() -> Turn<std::sync::RwLockWriteGuard<'static, ()>> {
    Turn::new(TURNS.write().unwrap_or_else(|e| e.into_inner()))
}

/// Run beside other light tests, never beside a heavy one.
pub fn share() -> Turn<std::sync::RwLockReadGuard<'static, ()>> {
    Turn::new(TURNS.read().unwrap_or_else(|e| e.into_inner()))
}

/// A test's turn: the guard, and when `FORKSCOPE_TEST_TIMES` names a file,
/// the test's name and how long it held its turn appended to it when the
/// turn ends (to see where the suite's time goes: `cargo test` on stable
/// cannot report it).
pub struct Turn<G> {
    _guard: G,
    since: Instant,
}

impl<G> Turn<G> {
    fn new(guard: G) -> Self {
        Turn { _guard: guard, since: Instant::now() }
    }
}

impl<G> Drop for Turn<G> {
    fn drop(&mut self) {
        let Some(path) = std::env::var_os("FORKSCOPE_TEST_TIMES") else { return };
        let name = std::thread::current().name().unwrap_or("?").to_string();
        let line = format!("{:8.2} {}\n", self.since.elapsed().as_secs_f64(), name);
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// `f` on every case, `threads` of them side by side (the course's programs
/// mostly sleep); the results in the order of the cases.
pub fn side_by_side<T: Sync, R: Send>(threads: usize, cases: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(c) = cases.get(i) else { break };
                    let r = f(c);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_forkscope")
}

pub fn lesson_fixture(name: &str) -> String {
    format!("{}/tests/lessons/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Output of one run of the binary.
#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The conductor's pid.
    pub pid: i32,
}

impl Output {
    /// NDJSON lines (records, then the summary).
    pub fn json(&self) -> Vec<Value> {
        self.stdout.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"))).collect()
    }
    pub fn summary(&self) -> Value {
        let all = self.json();
        let s = all.last().cloned().unwrap_or_else(|| panic!("no output; stderr: {}", self.stderr));
        assert_eq!(s["type"], "summary", "last line is not the summary: {s}");
        s
    }
    pub fn records(&self) -> Vec<Value> {
        let mut v = self.json();
        v.pop();
        v
    }
}

/// Runs `forkscope ARGS`, killing it if it takes longer than `limit`.
pub fn run_limited(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(bin()).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start forkscope");
    let pid = child.id() as i32;
    let out = wait_limited(&mut child, limit);
    Output { pid, ..out }
}

/// [`run_limited`] in folder `dir`: what the command writes beside it (a
/// recording `explore` saves by default) goes there, not into the crate.
pub fn run_limited_in(dir: &std::path::Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(bin()).args(args).current_dir(dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start forkscope");
    let pid = child.id() as i32;
    let out = wait_limited(&mut child, limit);
    Output { pid, ..out }
}

pub fn wait_limited(child: &mut Child, limit: Duration) -> Output {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("forkscope took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output { status, stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap(), pid: child.id() as i32 }
}

pub fn run(args: &[&str]) -> Output {
    run_limited(args, Duration::from_secs(60))
}

/// Runs a lesson headless with `--json` and the given extra arguments.
pub fn run_json(lesson: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", lesson, "--headless", "--json"];
    args.extend_from_slice(extra);
    run(&args)
}

pub fn reported(s: &Value, key: &str) -> Value {
    s["reported"][key].clone()
}

pub fn alive(pid: i32) -> bool {
    // A zombie counts as gone: it runs nothing.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => t.rsplit(')').next().and_then(|r| r.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

/// No segment of conductor `pid` in /dev/shm, no scratch folder, and none of
/// the run's processes alive (checked for up to `grace`).
pub fn assert_left_nothing(conductor: i32, pids: &[i32], grace: Duration) {
    let t0 = Instant::now();
    loop {
        let segs: Vec<String> = std::fs::read_dir("/dev/shm")
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("forkscope-{conductor}-")))
            .collect();
        let dirs: Vec<String> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("forkscope-run-{conductor}-")))
            .collect();
        let live: Vec<i32> = pids.iter().copied().filter(|&p| p > 0 && alive(p)).collect();
        if segs.is_empty() && dirs.is_empty() && live.is_empty() {
            return;
        }
        if t0.elapsed() > grace {
            panic!("left behind: segments {segs:?}, folders {dirs:?}, live processes {live:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Live (non-zombie) processes whose command line names a segment of
/// conductor `conductor` (`forkscope-PID-…`: its workers, Python processes
/// and guard) and contains `also` ("" for any).
pub fn processes_of_run(conductor: i32, also: &str) -> Vec<i32> {
    let needle = format!("forkscope-{conductor}-");
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle) && String::from_utf8_lossy(&c).contains(also)))
        .filter(|&pid| alive(pid))
        .collect()
}

/// The pids of the processes in a summary.
pub fn pids(s: &Value) -> Vec<i32> {
    s["processes"].as_array().unwrap().iter().map(|p| p["pid"].as_i64().unwrap() as i32).collect()
}

/// A run's records reduced to what must not depend on timing or pids: kind,
/// writer lane, op, resource, other lane, values that are not pids.
pub fn shape(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            let t = r["type"].as_str().unwrap_or("?");
            let mut s = format!("{t} lane={} line={}", r["lane"], r["line"]);
            for k in ["op", "res", "other", "woken", "holder", "child", "process", "exitcode", "text", "key", "value", "message", "name", "a"] {
                // Ports of listen/connect are whatever the kernel gave.
                let port = k == "a" && (r["op"] == "listen" || r["op"] == "connect");
                if !(r[k].is_null() || port || t == "spawn" && k == "a") {
                    if t == "print" || t == "report" || t == "locals" {
                        // Printed pids differ from run to run (and a
                        // variable may hold one).
                        if k == "text" || k == "value" {
                            continue;
                        }
                    }
                    s.push_str(&format!(" {k}={}", r[k]));
                }
            }
            s
        })
        .collect()
}

/// A run's summary (`--json`) says no record was dropped or damaged: nothing
/// one process (or thread) wrote went into another lane's ring, or was lost.
pub fn assert_no_record_lost(s: &serde_json::Value) {
    assert_eq!(s["dropped"], 0, "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}
