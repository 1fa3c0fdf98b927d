//! Python programs under forkscope against the same programs under plain
//! CPython, measured side by side in the same run. Every figure is the wall
//! time of a whole process (`python3 PROG.py` or `forkscope run PROG.py
//! --headless`, stdout discarded), so what is compared is what a student
//! waits for; the closing lines give the ratios (forkscope ÷ CPython).
//!
//! - `python_lock`: N iterations of `with lock: pass` on one
//!   `multiprocessing.Lock` in main alone (no children). Each runner also
//!   runs the same program with N = 0, and the figure is
//!   (time(N) − time(0)) ÷ N: the cost of one iteration, start-up excluded.
//! - `python_procs`: main starts 100 `multiprocessing.Process(target=f)`
//!   (`f` does nothing; start method fork, which is all forkscope runs) and
//!   joins them; again minus the program that starts none, per process.
//! - `python_print`: main prints N short lines (`print('line', i)`),
//!   running free; minus the program that prints none, per line. Every line
//!   reaches forkscope's log (a full ring makes the writer wait for the
//!   collector), so this is the price of output that is never dropped.
//! - `python_sleep`: a course-style program running free: 10 processes each
//!   `time.sleep(0.5)` then print, main joins them. The figure is the whole
//!   wall time, start-up included (sleep-bound: forkscope should add little).
//! - `python_partial`: `print(i, end=" ")` 100,000 times, one line in the
//!   end: the whole wall time. Each write adds to a partial line, which must
//!   cost the same however long the line already is (it once took 16 s).
//!
//! - `python_executor`: `concurrent.futures.ProcessPoolExecutor(4).map` of
//!   1,000 small tasks (`x + 1`), summed: the whole wall time, start-up
//!   included. Every task and result crosses a pipe or a queue of the run
//!   (an op each), so this is the price of showing them.
//!
//! With `FORKSCOPE_BEFORE=/path/to/an/older/forkscope` (a binary with its
//! `libforkscope.so` beside it), the lock and print cases are also timed
//! under that binary in the same run, and the closing lines compare this
//! build with it: how much a change costs, measured on the same machine in
//! the same minutes.
//!
//! The programs are written into a fresh folder under the temp dir, removed
//! at the end. The interpreter is python3 from PATH, resolved once to the
//! real executable (`sys.executable`: a pyenv shim alone adds ~50 ms to every
//! start) and given to both runners (forkscope with `--python`); without
//! python3 nothing is measured. Run: `cargo bench --bench python`.

mod common;

use std::cell::Cell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};

use common::{Row, median_ns, report};

/// Iterations of `with lock: pass`: enough that CPython's share (about
/// 0.2 µs each) stands well above the noise of a ~30 ms start-up.
const LOCK_N: u64 = 200_000;
/// Lines printed by `python_print`.
const PRINT_N: u64 = 50_000;
/// Processes started and joined.
const PROCS_N: u64 = 100;
/// Longest a single run may take before it is killed and counted a failure.
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn lock_program(n: u64) -> String {
    format!(
        r#"import multiprocessing

if __name__ == '__main__':
    lock = multiprocessing.Lock()
    for _ in range({n}):
        with lock:
            pass
    print('done')
"#
    )
}

/// `set_start_method('fork')` is guarded: CPython refuses a second call, and
/// whatever else a runtime might say, fork is what every runtime here has.
fn procs_program(n: u64) -> String {
    format!(
        r#"import multiprocessing

def f():
    pass

if __name__ == '__main__':
    try:
        multiprocessing.set_start_method('fork')
    except (RuntimeError, ValueError):
        pass
    ps = [multiprocessing.Process(target=f) for _ in range({n})]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print('done')
"#
    )
}

fn print_program(n: u64) -> String {
    format!(
        r#"if __name__ == '__main__':
    for i in range({n}):
        print('line', i)
    print('done')
"#
    )
}

/// `print(i, end=" ")` this many times: one long partial line.
const PARTIAL_N: u64 = 100_000;

fn partial_program(n: u64) -> String {
    format!("for i in range({n}):\n    print(i, end=' ')\nprint()\n")
}

const SLEEP_PROGRAM: &str = r#"import multiprocessing
import time

def worker(i):
    time.sleep(0.5)
    print('worker', i, 'woke up')

if __name__ == '__main__':
    try:
        multiprocessing.set_start_method('fork')
    except (RuntimeError, ValueError):
        pass
    ps = [multiprocessing.Process(target=worker, args=(i,)) for i in range(10)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print('all done')
"#;

/// `ProcessPoolExecutor.map` of 1,000 small tasks (CPython's executor,
/// forkscope's connections and queues underneath).
const EXECUTOR_PROGRAM: &str = r#"from concurrent.futures import ProcessPoolExecutor

def f(x):
    return x + 1

if __name__ == '__main__':
    with ProcessPoolExecutor(max_workers=4) as ex:
        print(sum(ex.map(f, range(1000))))
"#;

/// A folder under the temp dir that is removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let d = std::env::temp_dir().join(format!("forkscope-bench-python-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d)?;
        Ok(TempDir(d))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Who runs a program.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runner {
    CPython,
    Forkscope,
    /// The binary named by `FORKSCOPE_BEFORE`.
    Before,
}

impl Runner {
    fn id(self) -> &'static str {
        match self {
            Runner::CPython => "cpython",
            Runner::Forkscope => "forkscope",
            Runner::Before => "before",
        }
    }
}

/// How to run programs: the interpreter, the forkscope binary, and a folder
/// for programs and for the stderr of each run.
struct Env {
    python: PathBuf,
    exe: PathBuf,
    before: Option<PathBuf>,
    dir: PathBuf,
}

impl Env {
    fn write(&self, name: &str, code: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, code).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
        p
    }

    fn command(&self, runner: Runner, prog: &Path) -> Command {
        let mut cmd = match runner {
            Runner::CPython => Command::new(&self.python),
            Runner::Forkscope | Runner::Before => {
                let exe = if runner == Runner::Before { self.before.as_ref().unwrap_or(&self.exe) } else { &self.exe };
                let mut c = Command::new(exe);
                c.arg("run");
                c
            }
        };
        cmd.arg(prog);
        if runner != Runner::CPython {
            cmd.arg("--headless").arg("--python").arg(&self.python);
        }
        cmd.current_dir(&self.dir);
        cmd
    }

    /// One run, timed from spawn to exit. `Err` holds what went wrong: the
    /// exit status and the run's stderr, or the time limit.
    fn run(&self, runner: Runner, prog: &Path) -> Result<Duration, String> {
        let err_path = self.dir.join(format!("stderr-{}.txt", runner.id()));
        let err_file = std::fs::File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
        let mut cmd = self.command(runner, prog);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::from(err_file));
        let t = Instant::now();
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        // A watchdog kills the run if it overstays (nix's safe kill: no
        // `kill` program, which procps brings and a slim Debian lacks).
        let (done, wait_done) = mpsc::channel::<()>();
        let pid = child.id();
        let watchdog = std::thread::spawn(move || {
            if wait_done.recv_timeout(RUN_LIMIT).is_err() {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL);
                true
            } else {
                false
            }
        });
        let status = child.wait();
        let dt = t.elapsed();
        let _ = done.send(());
        let killed = watchdog.join().unwrap_or(false);
        let status = status.map_err(|e| format!("waiting for the run: {e}"))?;
        if killed {
            return Err(format!("still running after {} s: killed", RUN_LIMIT.as_secs()));
        }
        if !status.success() {
            let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
            return Err(format!("{status}; stderr:\n{}", stderr.trim_end()));
        }
        Ok(dt)
    }

    fn shown(&self, runner: Runner, prog: &Path) -> String {
        let cmd = self.command(runner, prog);
        let mut parts: Vec<OsString> = vec![cmd.get_program().to_owned()];
        parts.extend(cmd.get_args().map(|a| a.to_owned()));
        parts.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    }
}

/// The forkscope binary: the one cargo built for this bench, else
/// target/release/forkscope.
fn forkscope_exe() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_forkscope"));
    if built.exists() { built } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/forkscope") }
}

/// python3 on PATH: its real executable (or `python3` itself if it does not
/// say) and its version. `None` if it is missing or does not run.
fn python3() -> Option<(PathBuf, String)> {
    let out = Command::new("python3").args(["-c", "import sys; print(sys.version.split()[0]); print(sys.executable)"]).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let version = lines.next()?.trim().to_string();
    let exe = lines.next().map(str::trim).filter(|p| !p.is_empty() && Path::new(p).is_file()).map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    Some((exe, version))
}

/// One program to time under each runner that ran it cleanly once.
struct Case {
    id: &'static str,
    prog: PathBuf,
    runners: Vec<Runner>,
}

/// Runs every case once per runner, untimed (this also warms the page cache);
/// a runner that fails a case is left out of that case and its error shown.
/// Returns whether everything passed.
fn preflight(env: &Env, cases: &mut [Case]) -> bool {
    let mut ok = true;
    for case in cases.iter_mut() {
        case.runners.retain(|&r| match env.run(r, &case.prog) {
            Ok(_) => true,
            Err(e) => {
                println!("note: `{}` failed, so {}/{} is not measured: {e}", env.shown(r, &case.prog), r.id(), case.id);
                ok = false;
                false
            }
        });
    }
    ok
}

/// Times each case in a criterion group; returns the cases' medians (ns per
/// whole run), `None` for those not measured in this run (a failed runner, or
/// a bench filtered out on the command line).
fn measure(c: &mut Criterion, env: &Env, group: &str, measurement: Duration, cases: &[Case]) -> Vec<[Option<f64>; 3]> {
    let ran: Vec<[Cell<bool>; 3]> = cases.iter().map(|_| [Cell::new(false), Cell::new(false), Cell::new(false)]).collect();
    {
        let mut g = c.benchmark_group(group);
        g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(measurement);
        for (case, flags) in cases.iter().zip(&ran) {
            for &r in &case.runners {
                let flag = &flags[r as usize];
                g.bench_function(format!("{}_{}", r.id(), case.id), |b| {
                    flag.set(true);
                    b.iter_custom(|n| (0..n).map(|_| env.run(r, &case.prog).unwrap_or_else(|e| panic!("{}: {e}", env.shown(r, &case.prog)))).sum())
                });
            }
        }
        g.finish();
    }
    cases
        .iter()
        .zip(&ran)
        .map(|(case, flags)| {
            let m = |r: Runner| if flags[r as usize].get() { median_ns(group, &format!("{}_{}", r.id(), case.id)) } else { None };
            [m(Runner::CPython), m(Runner::Forkscope), m(Runner::Before)]
        })
        .collect()
}

/// (time(N) − time(0)) ÷ N in ns, from the medians of a case pair.
fn per_unit(full: Option<f64>, empty: Option<f64>, n: u64) -> Option<f64> {
    Some((full? - empty?) / n as f64)
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    let (o, t) = (ours?, theirs?);
    (t > 0.0).then_some(o / t)
}

fn fmt(x: Option<f64>, scale: f64, unit: &str, digits: usize) -> String {
    x.map_or("not measured".into(), |v| format!("{:.*} {unit}", digits, v / scale))
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("not measured".into(), |r| format!("{r:.2}×"))
}

fn main() {
    let Some((python, version)) = python3() else {
        println!("python3 is not on PATH (or does not run): the Python benches compare forkscope with CPython and need it. Nothing measured.");
        return;
    };
    let exe = forkscope_exe();
    if !exe.exists() {
        println!("the forkscope binary {} is missing (cargo build --release): nothing measured.", exe.display());
        return;
    }
    let tmp = match TempDir::new() {
        Ok(t) => t,
        Err(e) => {
            println!("cannot make a folder under {}: {e}: nothing measured.", std::env::temp_dir().display());
            return;
        }
    };
    let before = std::env::var_os("FORKSCOPE_BEFORE").map(PathBuf::from).filter(|p| {
        let ok = p.is_file();
        if !ok {
            println!("note: FORKSCOPE_BEFORE={} is not a file: no before/after comparison", p.display());
        }
        ok
    });
    let env = Env { python, exe, before, dir: tmp.0.clone() };
    println!("CPython {version}: {} (python3 on PATH); forkscope: {}", env.python.display(), env.exe.display());
    if let Some(b) = &env.before {
        println!("before: {} (FORKSCOPE_BEFORE), timed beside this build on the lock and print cases", b.display());
    }
    let with_before = || if env.before.is_some() { vec![Runner::CPython, Runner::Forkscope, Runner::Before] } else { vec![Runner::CPython, Runner::Forkscope] };

    let both = || vec![Runner::CPython, Runner::Forkscope];
    let mut lock = [
        Case { id: "lock_0", prog: env.write("lock_0.py", &lock_program(0)), runners: with_before() },
        Case { id: "lock_n", prog: env.write(&format!("lock_{LOCK_N}.py"), &lock_program(LOCK_N)), runners: with_before() },
    ];
    let mut procs = [
        Case { id: "procs_0", prog: env.write("procs_0.py", &procs_program(0)), runners: both() },
        Case { id: "procs_n", prog: env.write(&format!("procs_{PROCS_N}.py"), &procs_program(PROCS_N)), runners: both() },
    ];
    let mut print = [
        Case { id: "print_0", prog: env.write("print_0.py", &print_program(0)), runners: with_before() },
        Case { id: "print_n", prog: env.write(&format!("print_{PRINT_N}.py"), &print_program(PRINT_N)), runners: with_before() },
    ];
    let mut sleep = [Case { id: "sleep", prog: env.write("sleep_10x0.5s.py", SLEEP_PROGRAM), runners: both() }];
    let mut partial = [Case { id: "partial", prog: env.write("partial.py", &partial_program(PARTIAL_N)), runners: both() }];
    let mut executor = [Case { id: "executor", prog: env.write("executor_map_1000.py", EXECUTOR_PROGRAM), runners: both() }];
    let clean = preflight(&env, &mut lock) & preflight(&env, &mut procs) & preflight(&env, &mut print) & preflight(&env, &mut sleep) & preflight(&env, &mut partial) & preflight(&env, &mut executor);

    let mut c = common::criterion();
    let lock_m = measure(&mut c, &env, "python_lock", Duration::from_secs(3), &lock);
    let procs_m = measure(&mut c, &env, "python_procs", Duration::from_secs(5), &procs);
    let print_m = measure(&mut c, &env, "python_print", Duration::from_secs(4), &print);
    let sleep_m = measure(&mut c, &env, "python_sleep", Duration::from_secs(6), &sleep);
    let partial_m = measure(&mut c, &env, "python_partial", Duration::from_secs(5), &partial);
    let executor_m = measure(&mut c, &env, "python_executor", Duration::from_secs(5), &executor);
    c.final_summary();

    const CPY: usize = 0;
    const FS: usize = 1;
    const BEFORE: usize = 2;
    let lock_it = [CPY, FS].map(|r| per_unit(lock_m[1][r], lock_m[0][r], LOCK_N));
    let proc_each = [CPY, FS].map(|r| per_unit(procs_m[1][r], procs_m[0][r], PROCS_N));
    let print_each = [CPY, FS].map(|r| per_unit(print_m[1][r], print_m[0][r], PRINT_N));
    let print_r = ratio(print_each[FS], print_each[CPY]);
    let start = [CPY, FS].map(|r| lock_m[0][r]);
    let wall = [CPY, FS].map(|r| sleep_m[0][r]);
    let partial_wall = [CPY, FS].map(|r| partial_m[0][r]);
    let partial_r = ratio(partial_wall[FS], partial_wall[CPY]);
    let executor_wall = [CPY, FS].map(|r| executor_m[0][r]);
    let executor_r = ratio(executor_wall[FS], executor_wall[CPY]);
    let (lock_r, proc_r, start_r, wall_r) = (ratio(lock_it[FS], lock_it[CPY]), ratio(proc_each[FS], proc_each[CPY]), ratio(start[FS], start[CPY]), ratio(wall[FS], wall[CPY]));

    let us = |x| fmt(x, 1e3, "µs", 2);
    let ms = |x| fmt(x, 1e6, "ms", 1);
    println!();
    println!("with lock ({LOCK_N} iterations, start-up subtracted): forkscope {}/iter, CPython {}/iter: {}", us(lock_it[FS]), us(lock_it[CPY]), fmt_ratio(lock_r));
    println!("100 processes started and joined (start-up subtracted): forkscope {}/process, CPython {}/process: {}", us(proc_each[FS]), us(proc_each[CPY]), fmt_ratio(proc_r));
    println!("print ({PRINT_N} lines, start-up subtracted): forkscope {}/line, CPython {}/line: {}", us(print_each[FS]), us(print_each[CPY]), fmt_ratio(print_r));
    println!("10 × sleep(0.5) then print, wall time: forkscope {}, CPython {}: {}", ms(wall[FS]), ms(wall[CPY]), fmt_ratio(wall_r));
    println!("{PARTIAL_N} × print(i, end=' '), wall time: forkscope {}, CPython {}: {}", ms(partial_wall[FS]), ms(partial_wall[CPY]), fmt_ratio(partial_r));
    println!("ProcessPoolExecutor(4).map of 1,000 small tasks, wall time: forkscope {}, CPython {}: {}", ms(executor_wall[FS]), ms(executor_wall[CPY]), fmt_ratio(executor_r));
    println!("start-up (the lock program with N = 0): forkscope {}, CPython {}: {}", ms(start[FS]), ms(start[CPY]), fmt_ratio(start_r));
    if !clean {
        println!("(some runs failed: see the notes above)");
    }

    let rows = vec![
        Row::new("`with lock: pass`, per iteration, forkscope ÷ CPython", fmt_ratio(lock_r), "≤ 3×", lock_r.map(|r| r <= 3.0)),
        Row::new("  forkscope", us(lock_it[FS]), "(for reference)", None),
        Row::new("  CPython", us(lock_it[CPY]), "(baseline)", None),
        Row::new("starting 100 processes, per process, forkscope ÷ CPython (fork)", fmt_ratio(proc_r), "≤ 1.3×", proc_r.map(|r| r <= 1.3)),
        Row::new("  forkscope", us(proc_each[FS]), "(for reference)", None),
        Row::new("  CPython", us(proc_each[CPY]), "(baseline)", None),
        Row::new("`print` of a short line running free, per line, forkscope ÷ CPython", fmt_ratio(print_r), "(for reference)", None),
        Row::new("  forkscope", us(print_each[FS]), "(for reference)", None),
        Row::new("  CPython", us(print_each[CPY]), "(baseline)", None),
        Row::new("10 × sleep(0.5) running free, wall time, forkscope ÷ CPython", fmt_ratio(wall_r), "≤ 1.1×", wall_r.map(|r| r <= 1.1)),
        Row::new("  forkscope", ms(wall[FS]), "(for reference)", None),
        Row::new("  CPython", ms(wall[CPY]), "(baseline)", None),
        Row::new("100,000 × print(i, end=' '): one partial line, wall time, forkscope ÷ CPython", fmt_ratio(partial_r), "≤ 3×", partial_r.map(|r| r <= 3.0)),
        Row::new("  forkscope", ms(partial_wall[FS]), "(for reference)", None),
        Row::new("  CPython", ms(partial_wall[CPY]), "(baseline)", None),
        Row::new("ProcessPoolExecutor(4).map of 1,000 small tasks, wall time, forkscope ÷ CPython", fmt_ratio(executor_r), "(for reference)", None),
        Row::new("  forkscope", ms(executor_wall[FS]), "(for reference)", None),
        Row::new("  CPython", ms(executor_wall[CPY]), "(baseline)", None),
        Row::new("start-up of a program that does nothing, forkscope ÷ CPython", fmt_ratio(start_r), "(for reference)", None),
        Row::new("  forkscope", ms(start[FS]), "(for reference)", None),
        Row::new("  CPython", ms(start[CPY]), "(baseline)", None),
    ];
    let mut rows = rows;
    if env.before.is_some() {
        let lock_b = per_unit(lock_m[1][BEFORE], lock_m[0][BEFORE], LOCK_N);
        let print_b = per_unit(print_m[1][BEFORE], print_m[0][BEFORE], PRINT_N);
        rows.extend([
            Row::new("`with lock: pass`, per iteration, this build ÷ FORKSCOPE_BEFORE", fmt_ratio(ratio(lock_it[FS], lock_b)), "(for reference)", None),
            Row::new("  FORKSCOPE_BEFORE", us(lock_b), "(baseline)", None),
            Row::new("`print` of a short line, per line, this build ÷ FORKSCOPE_BEFORE", fmt_ratio(ratio(print_each[FS], print_b)), "(for reference)", None),
            Row::new("  FORKSCOPE_BEFORE", us(print_b), "(baseline)", None),
        ]);
    }
    report("Python programs against CPython (cargo bench --bench python)", &rows);
    drop(tmp);
}
