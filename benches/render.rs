//! Rendering one dashboard frame (TestBackend, 200×60) with 200 and 1,000
//! lanes, against their targets (≤ 2 ms and ≤ 8 ms), how many
//! explore runs of ticket-race a class waits for per second, and
//! the real dashboard in a terminal: how often it redraws a run that streams
//! prints, and how little CPU it uses paused.
//!
//! The frame is fed from records built like a real run's: main starts N
//! processes, half of them block on a lock held by one of them, the others
//! print and sleep, every process has a timeline of state changes.
//!
//! The terminal figures come from one session of the real binary on a
//! pseudo-terminal (120×40) of our own, timed once outside criterion (a
//! session takes about 6 s): `tests/lessons/stream.rhai` (a print, then a
//! 1 ms sleep, over and over) runs for 2.5 s, then space pauses it for 3 s,
//! then `q`. The redraw counts are the dashboard's own
//! (`FORKSCOPE_UI_STATS`), the CPU is the conductor's (all its threads, from
//! /proc's schedstat), running and paused in the same session. A filter
//! that does not match `dashboard_terminal` leaves it out.
//!
//! `b` on a Python run: a program of about 100 ops runs to its end in the real
//! dashboard (`--run`), then `b` five times; the time of each, from the key
//! to the step it went back to, is the dashboard's own
//! (`FORKSCOPE_UI_STATS`' `rewind_secs`). Filter: `rewind_python`.
//!
//! `cargo bench --bench render`

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Row, criterion, median_ns, report};
use forkscope::codec::Value;
use forkscope::model::{Record, RecordKind};
use forkscope::scenario;
use forkscope::shm::record::{Op, ResKind};
use forkscope::ui::state::{Dashboard, Mode, RunStatus};
use forkscope::ui::text::Lang;
use forkscope::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use forkscope::vocab::{Lane, ResId};

fn dashboard(lanes: u32) -> Dashboard {
    let lesson = scenario::load("ticket-race").expect("built-in lesson");
    let params: BTreeMap<String, Value> = lesson.resolve_params(&[]).expect("defaults");
    let mut d = Dashboard::new(lesson, &params, 0, Lang::En, Theme::colored());
    let mut seq = 0u64;
    let mut push = |d: &mut Dashboard, lane: u32, line: u32, kind: RecordKind| {
        seq += 1;
        d.apply(&Record { seq, t_ns: seq * 2_000_000, lane: Lane(lane), line, gates: 1, kind });
    };
    push(&mut d, 0, 0, RecordKind::Spawn { child: Lane(1), pid: 1000, ppid: 999, daemon: false, name: "MainProcess".into(), target: "main".into() });
    push(&mut d, 1, 54, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "Lock-1".into(), capacity: 1 });
    for i in 0..lanes - 1 {
        let child = i + 2;
        push(&mut d, 1, 58, RecordKind::Spawn { child: Lane(child), pid: 2000 + child as i32, ppid: 1000, daemon: false, name: format!("Process-{}", i + 1), target: "ticket".into() });
    }
    push(&mut d, 2, 46, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 0, detail: None });
    for round in 0..6 {
        for child in 3..lanes + 1 {
            if child % 2 == 0 {
                push(&mut d, child, 27, RecordKind::Print { text: format!("person{child}查询余票 3 (round {round})"), part: false });
                push(&mut d, child, 26, RecordKind::Block { op: Op::Sleep, res: None, other: None, holder: None, timed: true });
            } else if round == 0 {
                push(&mut d, child, 46, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: false });
            }
        }
    }
    d.status = RunStatus { mode: Mode::Running, elapsed: Duration::from_secs(30), clock_ns: seq * 2_000_000, received: seq, ..RunStatus::default() };
    d
}

fn bench_frames(c: &mut criterion::Criterion) {
    let mut g = c.benchmark_group("render");
    for lanes in [200u32, 1000] {
        let d = dashboard(lanes);
        let mut t = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        g.bench_function(format!("frame_200x60_{lanes}_lanes"), |b| {
            b.iter(|| {
                t.draw(|f| f.render_widget(&d, f.area())).expect("draw");
            })
        });
    }
    g.finish();
}

/// `explore`'s options for the benches: `runs` runs from `seed`, quiet.
fn explore_options(lesson: &forkscope::scenario::Lesson, params: &std::collections::BTreeMap<String, forkscope::codec::Value>, seed: u64, runs: u32) -> forkscope::explore::ExploreOptions {
    forkscope::explore::ExploreOptions {
        spec: forkscope::conductor::RunSpec { params: params.clone(), seed, ..forkscope::conductor::RunSpec::of(lesson.clone()) },
        bad: None,
        runs,
        out: None,
        run_timeout: Duration::from_secs(30),
        exe: env!("CARGO_BIN_EXE_forkscope").into(),
        preemptions: None,
        budget: None,
        progress: false,
        progress_json: false,
        first: false,
        reduce: true,
        workers: forkscope::explore::workers(),
    }
}

/// One explore run of ticket-race (real processes, stepped to the end with a
/// seeded random or PCT schedule), as criterion samples it.
fn bench_explore(c: &mut criterion::Criterion) {
    let lesson = scenario::load("ticket-race").expect("built-in lesson");
    let params = lesson.resolve_params(&["lock=true".into()]).expect("params");
    let mut seed = 0u64;
    let mut g = c.benchmark_group("explore");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("ticket_race_run", |b| {
        b.iter(|| {
            seed += 1;
            let opts = explore_options(&lesson, &params, seed, 1);
            let r = forkscope::explore::explore(&opts, &mut std::io::sink()).expect("explore");
            assert!(matches!(r, forkscope::explore::Explored::Clean { .. }), "the locked version has no bug to find");
        })
    });
    // The whole `explore --all` of ticket-race with 3 buyers, 2 tickets and
    // the lock: 84 runs, 36 interleavings, verified.
    let small = lesson.resolve_params(&["lock=true".into(), "buyers=3".into(), "tickets=2".into()]).expect("params");
    let small_lesson = lesson.for_run(&small).expect("the program");
    g.bench_function("ticket_race_all_3_buyers", |b| {
        b.iter(|| {
            let opts = explore_options(&small_lesson, &small, 0, 0);
            let r = forkscope::explore::explore_all(&opts, &mut std::io::sink()).expect("explore --all");
            assert_eq!((r.result(), r.runs, r.interleavings), ("verified", ALL_RUNS, 36));
        })
    });
    g.finish();
}

/// What one session of the dashboard in a terminal measured.
#[derive(Debug)]
struct TerminalFigures {
    /// Frames drawn a second (the dashboard's own count), running and paused.
    redraws_running: f64,
    redraws_paused: f64,
    /// The conductor's CPU, as a share of one CPU, running and paused.
    cpu_running: f64,
    cpu_paused: f64,
    /// Time spent drawing a frame in the terminal (ms), averaged.
    draw_ms: f64,
}

/// CPU time of every thread of `pid`, in seconds (schedstat: nanoseconds,
/// where utime + stime count 10 ms ticks: too coarse for an idle second).
fn cpu_secs(pid: i32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0.0 };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e9
}

/// Waits (at most `limit`) until `flag` is set.
fn wait_flag(flag: &AtomicBool, limit: Duration) -> bool {
    let t0 = Instant::now();
    while !flag.load(Ordering::Relaxed) {
        if t0.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// The real dashboard on a pseudo-terminal (120×40) of our own, `args`
/// after `forkscope`, its figures written to `stats` at its end; each of
/// `words` sets its flag once the dashboard wrote it (the header's words).
struct PtyDashboard {
    child: std::process::Child,
    keys: std::fs::File,
    reader: std::thread::JoinHandle<()>,
    seen: Vec<Arc<AtomicBool>>,
}

impl PtyDashboard {
    fn start(args: &[&str], stats: &std::path::Path, words: &'static [&'static str]) -> Result<PtyDashboard, String> {
        use std::os::unix::process::CommandExt;
        let size = nix::pty::Winsize { ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = nix::pty::openpty(&size, None).map_err(|e| format!("openpty: {e}"))?;
        let slave = |what: &str| pty.slave.try_clone().map_err(|e| format!("{what}: {e}"));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_forkscope"));
        cmd.args(args).env("FORKSCOPE_UI_STATS", stats).env("TERM", "xterm-256color").env_remove("NO_COLOR");
        cmd.stdin(slave("stdin")?).stdout(slave("stdout")?).stderr(slave("stderr")?);
        // SAFETY: only async-signal-safe calls between fork and exec: a session
        // of its own, whose controlling terminal is the pty (its stdin).
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| format!("start forkscope: {e}"))?;
        // Only the child holds the terminal's end: once it exits, reads of ours end.
        drop(cmd);
        drop(pty.slave);
        let seen: Vec<Arc<AtomicBool>> = words.iter().map(|_| Arc::new(AtomicBool::new(false))).collect();
        // Everything the dashboard writes is read (a full pty would stall it).
        let mut master_in = std::fs::File::from(pty.master.try_clone().map_err(|e| format!("pty: {e}"))?);
        let reader = {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let (mut buf, mut tail) = (vec![0u8; 1 << 16], Vec::new());
                while let Ok(n) = master_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buf[..n]);
                    for (w, flag) in words.iter().zip(&seen) {
                        if tail.windows(w.len()).any(|x| x == w.as_bytes()) {
                            flag.store(true, Ordering::Relaxed);
                        }
                    }
                    let keep = tail.len().saturating_sub(8);
                    tail.drain(..keep);
                }
            })
        };
        Ok(PtyDashboard { child, keys: std::fs::File::from(pty.master), reader, seen })
    }

    /// Waits until the `i`th word was written; false after `limit`.
    fn saw(&self, i: usize, limit: Duration) -> bool {
        wait_flag(&self.seen[i], limit)
    }

    fn key(&mut self, k: &[u8]) -> Result<(), String> {
        self.keys.write_all(k).map_err(|e| format!("key {:?}: {e}", String::from_utf8_lossy(k)))
    }

    /// `q`, then the dashboard's end (killed after 15 s, an error).
    fn quit(mut self) -> Result<(), String> {
        let _ = self.keys.write_all(b"q");
        let t0 = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if t0.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err("forkscope did not quit on q within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(self.keys);
        let _ = self.reader.join();
        Ok(())
    }
}

/// The figures the dashboard wrote to `stats` at its end (then removed).
fn read_stats(stats: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(stats).map_err(|e| format!("the stats file {}: {e}", stats.display()))?;
    let _ = std::fs::remove_file(stats);
    serde_json::from_str(&text).map_err(|e| format!("the stats file: {e}"))
}

/// One session of the real dashboard on a pseudo-terminal of our own: the
/// stream lesson running, then paused, then `q`. `Err` says what went wrong.
fn dashboard_in_a_terminal() -> Result<TerminalFigures, String> {
    let stats = common::out_dir().join(format!("forkscope-ui-stats-{}.json", std::process::id()));
    let _ = std::fs::create_dir_all(common::out_dir());
    let _ = std::fs::remove_file(&stats);
    let lesson = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lessons/stream.rhai");
    let mut d = PtyDashboard::start(&["run", lesson, "--run"], &stats, &["RUNNING", "PAUSED"])?;
    let pid = d.child.id() as i32;
    let result = (|| {
        if !d.saw(0, Duration::from_secs(20)) {
            return Err("the dashboard never showed RUNNING".to_string());
        }
        std::thread::sleep(Duration::from_millis(500));
        let (c0, t0) = (cpu_secs(pid), Instant::now());
        std::thread::sleep(Duration::from_secs(2));
        let cpu_running = (cpu_secs(pid) - c0) / t0.elapsed().as_secs_f64();
        d.key(b" ")?;
        if !d.saw(1, Duration::from_secs(10)) {
            return Err("the dashboard never showed PAUSED".to_string());
        }
        std::thread::sleep(Duration::from_millis(300));
        let (c0, t0) = (cpu_secs(pid), Instant::now());
        std::thread::sleep(Duration::from_secs(3));
        let cpu_paused = (cpu_secs(pid) - c0) / t0.elapsed().as_secs_f64();
        Ok((cpu_running, cpu_paused))
    })();
    d.quit()?;
    let (cpu_running, cpu_paused) = result?;
    let st = read_stats(&stats)?;
    let f = |k: &str| st[k].as_f64().unwrap_or(0.0);
    let frames = f("frames_running") + f("frames_paused");
    Ok(TerminalFigures {
        redraws_running: f("frames_running") / f("secs_running").max(1e-9),
        redraws_paused: f("frames_paused") / f("secs_paused").max(1e-9),
        cpu_running,
        cpu_paused,
        draw_ms: f("secs_drawing") * 1e3 / frames.max(1.0),
    })
}

/// A Python program of about 100 ops: two processes take a lock and add
/// to a shared `Value` 12 times each (start, acquire, read, write, release…).
const HUNDRED_OPS: &str = "from multiprocessing import Process, Lock, Value

def work(lock, v):
    for _ in range(12):
        with lock:
            v.value += 1

if __name__ == '__main__':
    lock, v = Lock(), Value('i', 0)
    ps = [Process(target=work, args=(lock, v)) for _ in range(2)]
    for p in ps: p.start()
    for p in ps: p.join()
    print(v.value)
";

/// `b` on a Python run of over 100 steps, in the real dashboard: the program
/// runs to its end (`--run`), then `b` five times, each waited for (the
/// dashboard's own figure: from the key to the step it went back to,
/// which replays every step before it in a new run). The rewinds' times
/// and the run's steps.
fn rewind_in_a_terminal() -> Result<(Vec<f64>, u64), String> {
    let dir = common::out_dir();
    let _ = std::fs::create_dir_all(&dir);
    let program = dir.join("hundred-ops.py");
    std::fs::write(&program, HUNDRED_OPS).map_err(|e| format!("{}: {e}", program.display()))?;
    let stats = dir.join(format!("forkscope-rewind-stats-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&stats);
    let program = program.to_string_lossy().into_owned();
    let mut d = PtyDashboard::start(&["run", &program, "--run"], &stats, &["ENDED"])?;
    let result = (|| {
        if !d.saw(0, Duration::from_secs(30)) {
            return Err("the program never ENDED on the dashboard".to_string());
        }
        for _ in 0..5 {
            d.key(b"b")?;
            std::thread::sleep(Duration::from_secs(3));
        }
        Ok(())
    })();
    d.quit()?;
    result?;
    let st = read_stats(&stats)?;
    let secs: Vec<f64> = st["rewind_secs"].as_array().map(|a| a.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
    if secs.len() < 5 {
        return Err(format!("{} of 5 rewinds arrived", secs.len()));
    }
    Ok((secs, st["steps"].as_u64().unwrap_or(0)))
}

/// Runs of `explore --all` of ticket-race, 3 buyers, 2 tickets, lock.
const ALL_RUNS: u32 = 84;

/// Whether the command line's filter (criterion's positional argument), if
/// any, selects `id`.
fn selected(id: &str) -> bool {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()))
}

fn main() {
    let mut c = criterion();
    bench_frames(&mut c);
    bench_explore(&mut c);
    c.final_summary();
    let terminal = if selected("dashboard_terminal") {
        dashboard_in_a_terminal().map_err(|e| println!("note: the dashboard in a terminal was not measured: {e}")).ok()
    } else {
        None
    };
    let f200 = median_ns("render", "frame_200x60_200_lanes");
    let f1000 = median_ns("render", "frame_200x60_1000_lanes");
    let ms = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{:.2} ms", v / 1e6));
    let run = median_ns("explore", "ticket_race_run");
    let rate = run.map_or("not measured".into(), |ns| format!("{:.1} runs/s ({:.0} ms a run)", 1e9 / ns, ns / 1e6));
    let all = median_ns("explore", "ticket_race_all_3_buyers");
    let all_rate = all.map_or("not measured".into(), |ns| format!("{:.1} runs/s ({:.2} s for the {ALL_RUNS} runs)", ALL_RUNS as f64 * 1e9 / ns, ns / 1e9));
    let rewind = if selected("rewind_python") {
        rewind_in_a_terminal().map_err(|e| println!("note: b on a Python run was not measured: {e}")).ok()
    } else {
        None
    };
    let back = rewind.as_ref().map(|(secs, steps)| {
        let mut s = secs.clone();
        s.sort_by(f64::total_cmp);
        (s[s.len() / 2], *steps)
    });
    let t = terminal.as_ref();
    let fig = |f: &dyn Fn(&TerminalFigures) -> String| t.map_or("not measured".into(), f);
    report(
        "dashboard frames and explore (cargo bench --bench render)",
        &[
            Row::new("one frame, TestBackend 200×60, 200 lanes", ms(f200), "≤ 2 ms", f200.map(|v| v <= 2e6)),
            Row::new("one frame, TestBackend 200×60, 1,000 lanes", ms(f1000), "≤ 8 ms", f1000.map(|v| v <= 8e6)),
            Row::new("explore ticket-race (lock=true, 11 processes, stepped to the end)", rate, "a class can wait for it", None),
            Row::new("explore --all ticket-race (3 buyers, 2 tickets, lock: 84 runs)", all_rate, "≥ 50 runs/s", all.map(|ns| ALL_RUNS as f64 * 1e9 / ns >= 50.0)),
            Row::new("dashboard in a 120×40 terminal, a run printing a line every ms: redraws a second", fig(&|t| format!("{:.1}/s", t.redraws_running)), "≥ 30/s", t.map(|t| t.redraws_running >= 30.0)),
            Row::new("  the same run paused: redraws a second", fig(&|t| format!("{:.2}/s", t.redraws_paused)), "≤ 5/s", t.map(|t| t.redraws_paused <= 5.0)),
            Row::new("  conductor CPU running (draining, drawing)", fig(&|t| format!("{:.1} % of a CPU", t.cpu_running * 100.0)), "(baseline)", None),
            Row::new("  conductor CPU paused", fig(&|t| format!("{:.2} % of a CPU", t.cpu_paused * 100.0)), "< 3 % of a CPU", t.map(|t| t.cpu_paused < 0.03)),
            Row::new("  paused ÷ running CPU (same session)", fig(&|t| format!("{:.3}×", t.cpu_paused / t.cpu_running.max(1e-9))), "—", None),
            Row::new("  one frame drawn to the terminal (average)", fig(&|t| format!("{:.2} ms", t.draw_ms)), "(see TestBackend above)", None),
            Row::new(
                "b on a Python run of about 100 steps, real dashboard (median of 5: key → the step before)",
                back.map_or("not measured".into(), |(s, steps)| format!("{:.3} s (a run of {} ops)", s, steps + 5)),
                "< 0.2 s",
                back.map(|(s, _)| s < 0.2),
            ),
        ],
    );
}
