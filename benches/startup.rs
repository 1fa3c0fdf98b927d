//! Starting 100 processes of a lesson until all of them have reported,
//! against Python's multiprocessing doing the same (fork and spawn start
//! methods), measured side by side in the same run.
//!
//! - `startup/forkscope_100`: `Run::start` of a lesson whose `main` starts 100
//!   children that each `report(...)`; timed until the conductor has drained
//!   all 100 reports, with the fork server (the default): each process a fork
//!   of the run's template, which compiled the lesson once. This is what a
//!   class waits for.
//! - `startup/forkscope_100_exec`: the same with `--no-fork-server`: every
//!   process an exec of the binary that builds its engine and compiles.
//! - `startup/python_fork_100`: `multiprocessing` with the fork start method:
//!   100 `Process(target=child, args=(q, i))` that each `q.put(i)`; timed by
//!   Python itself from the first `Process` to the 100th `q.get()`.
//! - spawn (much slower: seconds) is timed once, outside criterion.
//! - the end of a run of 1,000 busy processes (`tests/lessons/thousand_busy.rhai`),
//!   timed once each outside criterion (starting them takes a while): from
//!   SIGTERM of the conductor (its shutdown) and from its SIGKILL (the
//!   guard's) until none of them runs any more, against the kernel ending
//!   1,000 busy forks of one Python process by a single `killpg` (baseline,
//!   same run). Goal: 1 s.
//! - `q` in the dashboard amid the same 1,000 busy processes (a real pty,
//!   120×36, the terminal's session as a user's): from the key until none of
//!   them runs. The conductor's UI thread must get the CPU to read the key;
//!   the run's processes are in a session of their own, which the scheduler
//!   weighs as one against the conductor's where it groups by session
//!   (autogroup). Against the same kernel baseline; with
//!   `FORKSCOPE_BEFORE=/path/to/an/older/forkscope` also under that binary,
//!   in the same run.
//!
//! Run: `cargo bench --bench startup`.

mod common;

use std::time::{Duration, Instant};

use criterion::SamplingMode;

use common::{Row, median_ns, python_figure, report};
use forkscope::conductor::{Run, RunOptions};
use forkscope::model::RecordKind;
use forkscope::vocab::Lane;

const LESSON: &str = r#"
fn child(i) { report(`child_${i}`, i); }
fn main() {
    for i in 0..100 { Process("child", [i]).start(); }
}
"#;

const PY: &str = r#"
import multiprocessing as mp, sys, time
def child(q, i):
    q.put(i)
if __name__ == '__main__':
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    t = time.perf_counter()
    ps = [ctx.Process(target=child, args=(q, i)) for i in range(100)]
    for p in ps: p.start()
    for _ in range(100): q.get()
    dt = time.perf_counter() - t
    for p in ps: p.join()
    print(dt * 1e9)
"#;

/// One run of the lesson: nanoseconds from start until 100 reports arrived.
/// `fork_server`: processes are forks of the run's template (the default),
/// else each is an exec of the binary (`--no-fork-server`).
fn forkscope_once(fork_server: bool) -> Duration {
    let mut opts = RunOptions::of_script("startup", "bench", LESSON);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    opts.fork_server = fork_server;
    let t = Instant::now();
    let mut run = Run::start(opts).expect("start");
    let mut recs = Vec::new();
    let mut reports = 0;
    while reports < 100 {
        run.drain(&mut recs, false);
        reports += recs.drain(..).filter(|r| r.lane >= Lane(2) && matches!(r.kind, RecordKind::Report { .. })).count();
        assert!(t.elapsed() < Duration::from_secs(60), "only {reports} reports after a minute");
        std::thread::sleep(Duration::from_micros(200));
    }
    let dt = t.elapsed();
    drop(run);
    dt
}

const BUSY_PY: &str = r#"
import ctypes, os, signal, sys, time
n = int(sys.argv[1])
os.setpgid(0, 0)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.alarm(100)
libc = ctypes.CDLL(None)
go, ready = os.pipe()
kids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the baseline
        if os.getppid() == 1:
            os._exit(1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(ready)
        os.read(go, 1)
        while True:
            pass
    kids.append(pid)
os.close(ready)
time.sleep(0.3)
t = time.perf_counter()
os.killpg(0, signal.SIGTERM)
for pid in kids:
    os.waitpid(pid, 0)
print((time.perf_counter() - t) * 1e9)
"#;

fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => t.rsplit(')').next().and_then(|r| r.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

/// A run of `n` + 1 busy processes, ended by `signal` to the conductor once
/// all spin: the time until none of them runs (a zombie runs nothing).
fn busy_run_end(n: u32, signal: i32) -> Option<Duration> {
    use std::io::BufRead;
    let lesson = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lessons/thousand_busy.rhai");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["run", lesson, "--param", &format!("n={n}"), "--headless", "--json", "--timeout", "600"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut lines = std::io::BufReader::new(child.stdout.take()?).lines();
    let mut pids = Vec::new();
    for l in lines.by_ref() {
        let v: serde_json::Value = serde_json::from_str(&l.ok()?).ok()?;
        if v["type"] == "spawn" {
            pids.push(v["pid"].as_i64()? as i32);
        }
        if v["type"] == "report" && v["key"] == "started" {
            break;
        }
    }
    let drain = std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: a plain kill of our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let t = Instant::now();
    while pids.iter().any(|&p| alive(p)) && t.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let dt = t.elapsed();
    let _ = child.wait();
    let _ = drain.join();
    Some(dt)
}

/// The live processes below `root` (following parent links).
fn descendants(root: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let parents: std::collections::HashMap<i32, i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let ppid = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some((p, ppid))
        })
        .collect();
    parents
        .keys()
        .copied()
        .filter(|&p| {
            let mut cur = p;
            for _ in 0..64 {
                match parents.get(&cur) {
                    Some(&pp) if pp == root => return alive(p),
                    Some(&pp) => cur = pp,
                    None => return false,
                }
            }
            false
        })
        .collect()
}

/// `exe`'s dashboard in a pty (its own session, as a terminal's shell
/// starts it) running `n` + 1 busy processes; once all spin, `q`: the time
/// until none of them runs (`None` if they never all started).
fn dashboard_quit_amid(exe: &std::path::Path, n: u32) -> Option<Duration> {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    let lesson = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lessons/thousand_busy.rhai");
    let ws = nix::pty::Winsize { ws_row: 36, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
    let pty = nix::pty::openpty(Some(&ws), None).ok()?;
    let slave = pty.slave;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["run", lesson, "--param", &format!("n={n}")]).env("TERM", "xterm-256color");
    cmd.stdin(std::process::Stdio::from(slave.try_clone().ok()?)).stdout(std::process::Stdio::from(slave.try_clone().ok()?)).stderr(std::process::Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec: the child
    // leads a new session with the slave (its stdin) as controlling terminal.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().ok()?;
    drop(cmd);
    let master = std::fs::File::from(pty.master);
    let mut reader = master.try_clone().ok()?;
    // The screen is read and dropped (a terminal that never reads would
    // block the dashboard's writes); it ends at EIO once the terminal closes.
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while matches!(reader.read(&mut buf), Ok(k) if k > 0) {}
    });
    let root = child.id() as i32;
    let mut w = &master;
    // The dashboard opens paused: space lets the run go.
    std::thread::sleep(Duration::from_millis(1500));
    let _ = w.write_all(b" ");
    let t0 = Instant::now();
    let mut pids = descendants(root);
    while pids.len() < n as usize + 1 && t0.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_millis(200));
        pids = descendants(root);
    }
    let started = pids.len() > n as usize;
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let _ = w.write_all(b"q");
    while (child.try_wait().ok()?.is_none() || pids.iter().any(|&p| alive(p))) && t.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let dt = t.elapsed();
    if child.try_wait().ok()?.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(master);
    let _ = drain.join();
    started.then_some(dt)
}

fn python_once(method: &str) -> Option<Duration> {
    python_figure(PY, &[method], &format!("Python multiprocessing ({method})")).map(|ns| Duration::from_nanos(ns as u64))
}

fn main() {
    let mut c = common::criterion();
    let python = python_once("fork").is_some();
    {
        let mut g = c.benchmark_group("startup");
        g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(2));
        g.bench_function("forkscope_100", |b| b.iter_custom(|n| (0..n).map(|_| forkscope_once(true)).sum()));
        g.bench_function("forkscope_100_exec", |b| b.iter_custom(|n| (0..n).map(|_| forkscope_once(false)).sum()));
        if python {
            g.bench_function("python_fork_100", |b| b.iter_custom(|n| (0..n).map(|_| python_once("fork").expect("python fork")).sum()));
        }
        g.finish();
    }
    c.final_summary();
    let spawn: Vec<Duration> = if python { (0..1).filter_map(|_| python_once("spawn")).collect() } else { Vec::new() };
    let spawn_median = {
        let mut s = spawn.clone();
        s.sort();
        s.get(s.len() / 2).copied()
    };
    let term = busy_run_end(999, libc::SIGTERM);
    let kill = busy_run_end(999, libc::SIGKILL);
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_forkscope"));
    let quit = dashboard_quit_amid(&exe, 999);
    let before = std::env::var_os("FORKSCOPE_BEFORE").map(std::path::PathBuf::from).filter(|p| p.is_file());
    let quit_before = before.as_deref().and_then(|b| dashboard_quit_amid(b, 999));
    let kernel = python_figure(BUSY_PY, &["1000"], "1,000 busy forks ended by one killpg");
    let ours = median_ns("startup", "forkscope_100");
    let exec = median_ns("startup", "forkscope_100_exec");
    let fork = if python { median_ns("startup", "python_fork_100") } else { None };
    let ms = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{:.0} ms", v / 1e6));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", a / b),
        _ => "not measured".into(),
    };
    let rows = vec![
        Row::new("100 processes started until all reported (forkscope, fork server)", ms(ours), "(see the ratios)", None),
        Row::new("  fork server ÷ Python multiprocessing fork", ratio(ours, fork), "≤ 0.5×", match (ours, fork) {
            (Some(o), Some(f)) => Some(o <= 0.5 * f),
            _ => None,
        }),
        Row::new("  fork server ÷ exec per process (--no-fork-server)", ratio(ours, exec), "< 1×", match (ours, exec) {
            (Some(o), Some(e)) => Some(o < e),
            _ => None,
        }),
        Row::new("  exec per process (--no-fork-server)", ms(exec), "(baseline)", None),
        Row::new("  Python multiprocessing, fork", ms(fork), "(baseline)", None),
        Row::new("  Python multiprocessing, spawn (one run)", ms(spawn_median.map(|d| d.as_nanos() as f64)), "(baseline)", None),
    ];
    let secs = |d: Option<Duration>| d.map(|d| d.as_nanos() as f64);
    let s = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{:.2} s", v / 1e9));
    let mut rows = rows;
    rows.extend([
        Row::new("1,000 busy processes ended after SIGTERM of the conductor", s(secs(term)), "≤ 1 s", secs(term).map(|t| t <= 1e9)),
        Row::new("  after SIGKILL of the conductor (the guard)", s(secs(kill)), "≤ 1 s", secs(kill).map(|t| t <= 1e9)),
        Row::new("  SIGTERM ÷ the kernel ending 1,000 busy forks (one killpg)", ratio(secs(term), kernel), "(see above)", None),
        Row::new("  SIGKILL ÷ the kernel ending 1,000 busy forks (one killpg)", ratio(secs(kill), kernel), "(see above)", None),
        Row::new("`q` in the dashboard amid 1,000 busy processes, until none runs", s(secs(quit)), "≤ 1 s", secs(quit).map(|t| t <= 1e9)),
        Row::new("  `q` ÷ the kernel ending 1,000 busy forks (one killpg)", ratio(secs(quit), kernel), "(see above)", None),
        Row::new("  `q` under FORKSCOPE_BEFORE (the older build, same run)", s(secs(quit_before)), "(before)", None),
        Row::new("  the kernel ending 1,000 busy forks of python3 (one killpg)", s(kernel), "(baseline)", None),
    ]);
    report("start-up (cargo bench --bench startup)", &rows);
}
