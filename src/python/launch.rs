//! Starting Python: which interpreter, which library, which command.
//!
//! The interpreter is `--python PATH` if given, else `python3` on PATH; it must
//! be CPython 3.9 or newer. The library is `libforkscope.so` beside the
//! `forkscope` binary (cargo builds both; `FORKSCOPE_LIB` overrides). A run's
//! main process is `python3 -B -c BOOT SEGMENT LANE` (BOOT =
//! `python/forkscope_boot.py`, compiled in) with `FORKSCOPE_LIB` in its
//! environment, and `PYTHONHASHSEED` fixed by the
//! run's seed so that `hash()` and set order repeat from run to run.
//!
//! Where many runs start one after another (`explore`; the dashboard's
//! restarts and rewinds, `r` and `b`), a run's main
//! process can instead be forked from a *zygote* ([`zygote_start`]): the
//! same command with `--zygote` in place of the segment and lane, which
//! loads the interpreter and forkscope's Python side once, stops where the
//! program would start, and forks a process per request that goes on from
//! there exactly as the exec'd one would (its environment, arguments,
//! folder, process group and parent as for an exec: see `_zygote` in the
//! boot). One zygote per forkscope process and hash seed; it ends with the
//! forkscope process (at the end of its stdin) or at [`zygote_end`]. Any
//! failure falls back to the exec. The zygote forks ahead: the next run's
//! main waits as a *spare* (a child of this process: the zygote's sibling,
//! made by one fork with `CLONE_PARENT`, or adopted after a double fork;
//! `--zygote spare…` in `ps`) while a run steps, and a request only hands it
//! the run; the library's functions are declared, forkscope's
//! `multiprocessing` imported and its patches made once, before any fork.
//! A spare never used ends and is reaped with the zygote.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

/// Oldest Python forkscope runs.
pub const MIN_VERSION: (u32, u32) = (3, 9);

/// A Python interpreter that can run forkscope's Python side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    pub path: PathBuf,
    pub version: (u32, u32),
}

static CHOSEN: OnceLock<Option<PathBuf>> = OnceLock::new();
static FOUND: OnceLock<Result<Interpreter, String>> = OnceLock::new();

/// Sets the interpreter named by `--python` (call once, before any run).
pub fn choose(path: Option<PathBuf>) {
    let _ = CHOSEN.set(path);
}

/// Looks `name` up on PATH (a name with a `/` is taken as a path).
fn which(name: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.components().count() > 1 {
        return executable(name).then(|| name.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| executable(p))
}

/// Locates `given` (or `python3` on PATH), without running it.
pub fn locate(given: Option<&Path>) -> Result<PathBuf, String> {
    let name = given.unwrap_or(Path::new("python3"));
    which(name).ok_or_else(|| match given {
        Some(p) => format!("--python {}: no such executable file", p.display()),
        None => "python3 was not found on PATH: forkscope runs Python programs with real CPython (3.9 or newer); install python3, or name an interpreter with --python PATH".to_string(),
    })
}

/// The interpreter `--python` names (or `python3`), located; once it was
/// asked, the executable it named (see [`check_version`]).
pub fn chosen() -> Result<PathBuf, String> {
    if let Some(Ok(found)) = FOUND.get() {
        return Ok(found.path.clone());
    }
    locate(CHOSEN.get().and_then(|p| p.as_deref()))
}

/// The flags of every start that only asks the interpreter something (the
/// version probe, the syntax check): isolated (`-I`: no environment, no
/// user site, the script's folder not on the path) and without `site`
/// (`-S`): compiling and printing need no site-packages, and a `.pth` file
/// there may import a great deal at every start (here one did: a plain
/// start took 4 times as long with `site` as without). A run's own
/// processes keep `site`: the program may import from site-packages.
pub const PROBE_FLAGS: [&str; 2] = ["-I", "-S"];

/// Prints what [`check_version`] reads: `MAJOR MINOR IMPLEMENTATION`, then
/// the interpreter's own executable on a line.
pub const VERSION_PROBE: &str = "import sys; print('%d %d %s' % (sys.version_info[0], sys.version_info[1], sys.implementation.name)); print(sys.executable)";

/// Finds and checks `given` (or `python3` on PATH).
pub fn find(given: Option<&Path>) -> Result<Interpreter, String> {
    let path = locate(given)?;
    let out = Command::new(&path)
        .args(PROBE_FLAGS)
        .args(["-c", VERSION_PROBE])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("{}: cannot run it: {e}", path.display()))?;
    check_version(path, &String::from_utf8_lossy(&out.stdout))
}

/// The interpreter at `path`, if `probe` (what [`VERSION_PROBE`] printed)
/// says it is a CPython forkscope runs. Its path is then the executable it
/// named, where that is a file: `python3` is often a version manager's shim
/// (pyenv's is a shell script that takes a quarter of a second to choose,
/// from the folder it was asked in, the interpreter it then starts), and
/// every later start (the runs, the syntax checks) goes to the interpreter
/// it chose here.
pub fn check_version(path: PathBuf, probe: &str) -> Result<Interpreter, String> {
    let mut lines = probe.lines();
    let mut it = lines.next().unwrap_or("").split_whitespace();
    let (Some(Ok(major)), Some(Ok(minor)), Some(imp)) = (it.next().map(str::parse::<u32>), it.next().map(str::parse::<u32>), it.next()) else {
        return Err(format!("{}: does not answer like a Python interpreter", path.display()));
    };
    if imp != "cpython" {
        return Err(format!("{}: is {imp} {major}.{minor}; forkscope needs CPython", path.display()));
    }
    if (major, minor) < MIN_VERSION {
        return Err(format!("{}: is Python {major}.{minor}; forkscope needs Python {}.{} or newer", path.display(), MIN_VERSION.0, MIN_VERSION.1));
    }
    let own = lines.next().map(Path::new).filter(|p| p.is_absolute() && p.is_file());
    Ok(Interpreter { path: own.map_or(path, Path::to_path_buf), version: (major, minor) })
}

/// The interpreter of this forkscope process (`--python` or `python3`),
/// found once.
pub fn interpreter() -> Result<Interpreter, String> {
    FOUND.get_or_init(|| find(CHOSEN.get().and_then(|p| p.as_deref()))).clone()
}

/// Remembers what a probe that also did other work (the syntax check) found,
/// so that [`interpreter`] need not start the interpreter again.
pub fn remember(found: Result<Interpreter, String>) {
    let _ = FOUND.set(found);
}

/// `libforkscope.so` beside `exe` (or `FORKSCOPE_LIB`).
pub fn library(exe: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FORKSCOPE_LIB") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::fs::canonicalize(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let dir = exe.parent().unwrap_or(Path::new("/"));
    // Beside the binary. In a cargo target folder, `cargo test` builds the
    // library into deps/ without copying it up (and a test binary lives in
    // deps/ itself): the newest of these is the one built with the binary.
    let candidates = [Some(dir.join("libforkscope.so")), Some(dir.join("deps").join("libforkscope.so")), dir.parent().map(|p| p.join("libforkscope.so"))];
    let newest = candidates.into_iter().flatten().filter_map(|p| Some((std::fs::metadata(&p).ok().filter(|m| m.is_file())?.modified().ok()?, p))).max_by_key(|(t, _)| *t);
    if let Some((_, p)) = newest {
        return Ok(p);
    }
    Err(format!("forkscope's Python runtime {} is missing (cargo builds it beside the binary: run `cargo build`)", dir.join("libforkscope.so").display()))
}

/// The command that starts a Python process on `lane` of segment `seg`.
pub fn command(python: &Path, lib: &Path, seg: &str, lane: u32, seed: u64) -> Command {
    let boot = super::source("forkscope_boot.py").expect("forkscope_boot.py is compiled in");
    let mut cmd = Command::new(python);
    // The segment and lane as arguments: `ps` shows which run a Python
    // process belongs to, as it does for a Rhai worker.
    cmd.arg("-B").arg("-c").arg(boot).arg(seg).arg(lane.to_string());
    cmd.env("FORKSCOPE_LIB", lib);
    // The run's mark: every process of the run, however it detaches, is
    // found by it at the end (`conductor::family`).
    cmd.env(crate::sys::RUN_ENV, seg);
    // hash() of str and bytes, and so set order, repeat with the seed.
    cmd.env("PYTHONHASHSEED", hash_seed(seed).to_string());
    for v in ["PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONBREAKPOINT"] {
        cmd.env_remove(v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    if std::env::var_os("FORKSCOPE_DEBUG").is_none() {
        cmd.stderr(Stdio::null());
    }
    cmd
}

/// A running zygote (see the module docs).
struct Zygote {
    child: std::process::Child,
    /// Read by its spare (see the boot's `_zygote`); `None` once it ends.
    requests: Option<std::process::ChildStdin>,
    answers: BufReader<std::process::ChildStdout>,
    /// What it was started for: the interpreter, the library, the hash seed,
    /// and the length of its mark's placeholder.
    key: (PathBuf, PathBuf, u64, usize),
    /// The pids of the spares it made (forked ahead, see the boot's
    /// `_zygote`) that have not yet become a run's main: our children
    /// (the zygote's siblings, or adopted), to end and reap with it.
    spares: Vec<i32>,
}

impl Zygote {
    /// The next line of the zygote's answers, within `ms` (`None`: none came,
    /// or the zygote is gone); `spare PID` lines are noted, not returned.
    fn answer(&mut self, ms: i32) -> Option<String> {
        use std::os::fd::AsFd;
        loop {
            if self.answers.buffer().is_empty() && crate::sys::poll_readable(&[self.answers.get_ref().as_fd()], ms).is_empty() {
                return None;
            }
            let mut got = String::new();
            if self.answers.read_line(&mut got).ok()? == 0 {
                return None;
            }
            match got.trim().strip_prefix("spare ") {
                Some(pid) => self.spares.extend(pid.parse::<i32>().ok().filter(|&p| p > 1)),
                None => return Some(got),
            }
        }
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The spare reads the requests: their end is its end.
        self.requests = None;
        // Its spares end at the end of the requests; the last one's
        // `spare` line may still be on its way. Every holder of the answers' pipe gone: the end of it.
        while self.answer(2_000).is_some() {}
        for pid in std::mem::take(&mut self.spares) {
            // Only while it is our child (reaped here if it has
            // ended): the pid is its own until we reap it.
            if crate::sys::wait_child(pid, false) == crate::sys::ChildWait::Running {
                crate::sys::kill(pid, libc::SIGKILL);
                crate::sys::wait_child(pid, true);
            }
        }
    }
}

static ZYGOTE: Mutex<Option<Zygote>> = Mutex::new(None);
static ZYGOTE_ON: AtomicBool = AtomicBool::new(false);

/// Runs of this process start their main Python process from a zygote from
/// now on (`false`: by exec again, and the zygote ends). Returns whether
/// they did before, for the caller to put back.
pub fn use_zygote(on: bool) -> bool {
    let before = ZYGOTE_ON.swap(on, Relaxed);
    if !on {
        zygote_end();
    }
    before
}

/// Zygotes on while it lives; then as they were before (see [`use_zygote`]).
#[derive(Debug)]
pub struct ZygoteTurn(bool);

impl ZygoteTurn {
    pub fn start() -> Self {
        ZygoteTurn(use_zygote(true))
    }
}

impl Drop for ZygoteTurn {
    fn drop(&mut self) {
        use_zygote(self.0);
    }
}

/// Ends the zygote, if there is one (it would also end with this process).
pub fn zygote_end() {
    let z = ZYGOTE.lock().unwrap_or_else(|e| e.into_inner()).take();
    drop(z);
}

/// The hash seed of a run of `seed` (what `PYTHONHASHSEED` says).
fn hash_seed(seed: u64) -> u64 {
    seed % 4_294_967_295
}

/// The main process of run `seg` on `lane`, forked from the zygote (started
/// first if there is none for this interpreter, library and seed) into the
/// run's own group (`own_session`: its own session). `None` if zygotes are
/// off or anything failed: the caller execs instead. `program` (the file
/// name Python gives it, its source) is told a new zygote first: it compiles
/// and parses it once, for every run of the same program after (a run of
/// another program compiles its own, as without).
pub fn zygote_start(python: &Path, lib: &Path, seg: &str, lane: u32, seed: u64, own_session: bool, program: (&str, &str)) -> Option<i32> {
    if !ZYGOTE_ON.load(Relaxed) {
        return None;
    }
    let key = (python.to_path_buf(), lib.to_path_buf(), hash_seed(seed), seg.len());
    let mut slot = ZYGOTE.lock().unwrap_or_else(|e| e.into_inner());
    if slot.as_ref().is_some_and(|z| z.key != key) {
        *slot = None;
    }
    if slot.is_none() {
        // The environment of `command`'s; the zygote serves the segment and lane.
        let cmd = command(python, lib, seg, lane, seed);
        let boot = super::source("forkscope_boot.py").expect("forkscope_boot.py is compiled in");
        let mut z = Command::new(python);
        // The run's name goes over a placeholder as long as the segment's
        // (every segment of this process has a name of that length), in
        // its arguments (what `ps` shows) and its environment (the run's
        // mark, see `conductor::family`).
        let placeholder = ".".repeat(seg.len());
        z.arg("-B").arg("-c").arg(boot).arg("--zygote").arg(&placeholder);
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => z.env(k, v),
                None => z.env_remove(k),
            };
        }
        z.env(crate::sys::RUN_ENV, &placeholder);
        z.stdin(Stdio::piped()).stdout(Stdio::piped());
        if std::env::var_os("FORKSCOPE_DEBUG").is_none() {
            z.stderr(Stdio::null());
        }
        // Its own group: a Ctrl-C at the terminal is the runs' (and
        // forkscope's) to get, not the zygote's.
        std::os::unix::process::CommandExt::process_group(&mut z, 0);
        let mut child = z.spawn().ok()?;
        let mut requests = child.stdin.take()?;
        // `program LEN` and LEN bytes, the name and the source split by a
        // NUL (none for a name with one, or a source past a mebibyte: no
        // program then, the runs compile their own).
        let (name, source) = program;
        let told = if name.contains('\0') || source.len() > 1 << 20 { String::new() } else { format!("{name}\0{source}") };
        requests.write_all(format!("program {}\n", told.len()).as_bytes()).ok()?;
        requests.write_all(told.as_bytes()).ok()?;
        let answers = BufReader::new(child.stdout.take()?);
        *slot = Some(Zygote { child, requests: Some(requests), answers, key, spares: Vec::new() });
    }
    let z = slot.as_mut()?;
    let cwd = std::env::current_dir().ok()?;
    let line = format!("{seg}\t{lane}\t{}\t{}\n", u8::from(own_session), cwd.to_str()?);
    let answer = (|| {
        z.requests.as_mut()?.write_all(line.as_bytes()).ok()?;
        // A zygote that stopped answering must not hang a start.
        z.answer(10_000)?.trim().parse::<i32>().ok()
    })();
    match answer {
        Some(pid) if pid > 0 => {
            // A run's main now, reaped by the run.
            z.spares.retain(|&p| p != pid);
            Some(pid)
        }
        Some(_) => None,
        None => {
            // Broken: end it; the next run starts another.
            *slot = None;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_is_a_clear_error() {
        let e = find(Some(Path::new("/nonexistent/python9"))).unwrap_err();
        assert_eq!(e, "--python /nonexistent/python9: no such executable file");
    }

    #[test]
    fn a_non_python_is_refused() {
        let e = find(Some(Path::new("/bin/true"))).unwrap_err();
        assert!(e.contains("does not answer like a Python interpreter"), "{e}");
    }
}
