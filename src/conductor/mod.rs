//! The conductor: the parent side of a run.
//!
//! [`Run::start`] sweeps stale segments, creates the run's segment and scratch
//! folder, writes the run info, starts the guard and the reaper thread, becomes
//! the child subreaper, and starts `main` (lane 1) in a new process group: for
//! a Rhai run, as a fork of the run's template, which it execs first as that
//! group's leader (the fork server, `runtime::forkserver`; without it, or
//! should it fail, `main` is an exec of its own and leads the group). The
//! caller (dashboard or headless runner) then calls [`Run::drain`] in its loop
//! and drives the gate: [`Run::pause`], [`Run::resume`], [`Run::grant`],
//! [`Run::quiescent`], signals and freeze. Dropping the run (or
//! [`Run::shutdown`]) ends every process, waits for the reaper to see each end,
//! and removes the segment and the scratch folder.

pub mod drain;
pub mod guard;
pub mod reaper;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::codec::{self, Language, RunInfo, Value};
use crate::model::Record;
use crate::runtime::process::spawn_worker;
use crate::shm::layout::{CONDUCTOR_LANE, GRAN_OP, GRAN_STATEMENT, Geometry, MAIN_LANE, MODE_PAUSED, MODE_RUNNING, NONE, ProcState};
use crate::vocab::{Lane, ResId};
use crate::shm::record::{NO_LANE, OpBody, RawKind};
use crate::shm::{Segment, ShmError, View};
use crate::sys;

pub use drain::{DrainStats, Drainer};
use reaper::Lane0;

/// Prefix of a run's scratch folder (in the system's temp folder).
pub const SCRATCH_PREFIX: &str = "forkscope-run-";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Shm(#[from] ShmError),
    #[error("cannot create the run's folder: {0}")]
    Scratch(std::io::Error),
    #[error("cannot start the lesson's main process: {0}")]
    Spawn(std::io::Error),
    #[error("{0}")]
    Python(String),
    #[error("cannot start the guard process: {0}")]
    Guard(std::io::Error),
    #[error("cannot start the conductor's reaper thread: {0}")]
    Thread(std::io::Error),
    #[error("{0}")]
    Codec(#[from] codec::CodecError),
    #[error("the lesson is too large to run: its script, parameters and paths take {0} bytes, and every process can receive at most {max} bytes", max = codec::MAX_ENCODED)]
    TooLarge(usize),
}

/// How to start a run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub lesson: String,
    pub origin: String,
    pub script: String,
    pub params: BTreeMap<String, Value>,
    pub seed: u64,
    /// Start paused: `main` parks at its first op.
    pub paused: bool,
    /// Step by statement instead of by op.
    pub statements: bool,
    pub lang: String,
    pub geometry: Geometry,
    /// The `forkscope` binary that runs workers.
    pub exe: PathBuf,
    /// Sleep speed factor (1.0 = real time).
    pub speed: f64,
    /// What the script is written in.
    pub language: Language,
    /// The program's own file, absolute (empty for a built-in).
    pub source_path: String,
    /// Run in this folder instead of the scratch folder (Python's `--in-place`).
    pub in_place: Option<PathBuf>,
    /// Start a Rhai run's processes as forks of a prepared template (see
    /// `runtime::forkserver`); false: each is an exec of `exe`.
    pub fork_server: bool,
}

static NO_FORK_SERVER: AtomicBool = AtomicBool::new(false);

/// Makes every run of this process start its processes by exec
/// (`--no-fork-server`): the default of [`RunOptions::fork_server`].
pub fn without_fork_server() {
    NO_FORK_SERVER.store(true, Relaxed);
}

impl RunOptions {
    pub fn new(lesson: &str, origin: &str, script: &str) -> RunOptions {
        RunOptions {
            lesson: lesson.into(),
            origin: origin.into(),
            script: script.into(),
            params: BTreeMap::new(),
            seed: 0,
            paused: false,
            statements: false,
            lang: "en".into(),
            geometry: Geometry::default(),
            exe: PathBuf::from("/proc/self/exe"),
            speed: 1.0,
            language: Language::Rhai,
            source_path: String::new(),
            in_place: None,
            fork_server: !NO_FORK_SERVER.load(Relaxed),
        }
    }

    /// The options to run `lesson` (its language and file), the rest defaults.
    pub fn of_lesson(lesson: &crate::scenario::Lesson) -> RunOptions {
        let mut o = RunOptions::new(&lesson.name, &lesson.origin, &lesson.script);
        o.language = lesson.language;
        if !lesson.is_builtin() {
            o.source_path = std::fs::canonicalize(&lesson.origin).map_or_else(|_| lesson.origin.clone(), |p| p.to_string_lossy().into_owned());
        } else if lesson.language == crate::scenario::Language::Python {
            // A built-in program is not on disk: Python names it by its file
            // name (`join-loop.py`), as `python3 join-loop.py` would, and
            // finds sibling modules in the run's folder.
            o.source_path = std::path::Path::new(&lesson.script_file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        }
        o
    }
}

/// A user action on the gate, as recorded in a run's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// One step of `lane` at `granularity` (0 op, 1 statement).
    Step { lane: Lane, granularity: u32 },
    /// A signal sent by the user.
    Signal { lane: Lane, signal: i32 },
}

/// Why a grant was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("the run is not paused")]
    NotPaused,
    #[error("no process is ready to step")]
    NothingReady,
    #[error("{0} cannot be stepped now ({1})")]
    NotSteppable(String, String),
}

/// What the conductor reads of a lane, for quiescence and display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneInfo {
    pub lane: Lane,
    pub pid: i32,
    pub state: Option<ProcState>,
    /// A timed wait or sleep is pending (ns since start, 0 = none).
    pub deadline_ns: u64,
    pub ended: bool,
    pub frozen: bool,
}

/// A live run.
pub struct Run {
    /// The run's segment. Shared with the reaper thread, so it stays mapped
    /// for as long as any thread may read it, whatever order they end in (a
    /// panic during shutdown included); the last owner unmaps and unlinks it.
    seg: Arc<Segment>,
    lane0: Lane0,
    reaper: Option<std::thread::JoinHandle<()>>,
    reaper_stop: Arc<AtomicBool>,
    /// Written to after `reaper_stop` is set: the reaper stops waiting at once.
    reaper_wake: Option<std::io::PipeWriter>,
    guard: Option<(i32, std::io::PipeWriter)>,
    pub main_pid: i32,
    /// The run's process group: the template's (fork server), else `main`'s.
    pgid: i32,
    /// The fork server's template, our child.
    template: Option<i32>,
    scratch: PathBuf,
    /// Our shared lock on the scratch folder (see `sweep_stale_scratch`).
    _scratch_alive: nix::fcntl::Flock<std::os::fd::OwnedFd>,
    drainer: Drainer,
    schedule: Vec<Action>,
    last_granted: Lane,
    frozen: BTreeSet<Lane>,
    started: Instant,
    shut: bool,
    pub options: RunOptions,
    /// The run's standard input (headless runs), if any.
    input: Option<Input>,
    /// Tests: panic inside `shutdown_into`, just after it has begun.
    #[cfg(test)]
    panic_in_shutdown: bool,
}

/// The standard input of a headless run: the `--input` lines, then
/// forkscope's own stdin (read by a thread, so the run never blocks on it).
#[derive(Debug)]
pub struct Input {
    given: std::collections::VecDeque<String>,
    stdin: Option<std::sync::mpsc::Receiver<String>>,
}

impl Input {
    /// `lines` first; then, if `stdin`, forkscope's standard input.
    pub fn new(lines: Vec<String>, stdin: bool) -> Input {
        let stdin = stdin.then(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = std::thread::Builder::new().name("stdin".into()).spawn(move || {
                use std::io::BufRead;
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        });
        Input { given: lines.into(), stdin }
    }

    /// The next line (`Some(None)`: end of input; `None`: none yet).
    fn next_line(&mut self) -> Option<Option<String>> {
        if let Some(l) = self.given.pop_front() {
            return Some(Some(l));
        }
        match &self.stdin {
            None => Some(None),
            Some(rx) => match rx.try_recv() {
                Ok(l) => Some(Some(l)),
                Err(std::sync::mpsc::TryRecvError::Empty) => None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(None),
            },
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("lesson", &self.options.lesson).field("main_pid", &self.main_pid).finish()
    }
}

/// Where runs make their scratch folders: the system's temporary folder,
/// made absolute as Python's `tempfile` does (a relative `TMPDIR` is taken
/// from the current folder), since every process works inside its scratch
/// folder and a relative path would mean another place there.
pub fn scratch_parent() -> PathBuf {
    let t = std::env::temp_dir();
    std::path::absolute(&t).unwrap_or(t)
}

/// True if `p` looks like a scratch folder of ours (guards `remove_dir_all`).
pub fn is_scratch_dir(p: &Path) -> bool {
    p.parent() == Some(&scratch_parent()) && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(SCRATCH_PREFIX))
}

/// Removes scratch folders of runs whose conductor is gone.
pub fn sweep_stale_scratch() {
    let Ok(dir) = std::fs::read_dir(scratch_parent()) else { return };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(SCRATCH_PREFIX) else { continue };
        let mut it = rest.splitn(3, '-');
        // As for segments: only a folder no live run holds (in any pid
        // namespace) and whose conductor is gone.
        if let (Some(Ok(pid)), Some(Ok(start))) = (it.next().map(str::parse::<i32>), it.next().map(str::parse::<u64>))
            && !sys::is_held_alive(&e.path())
            && !sys::is_same_live_process(pid, start) {
                let _ = std::fs::remove_dir_all(e.path());
            }
    }
}

/// Execs the fork server's template of a run (see `runtime::forkserver`):
/// in a new process group, the run's, with the listening socket as its stdin.
fn start_template(exe: &Path, segment: &str) -> std::io::Result<i32> {
    use std::os::unix::process::CommandExt;
    let listener = crate::runtime::forkserver::listen(segment)?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("template").arg("--segment").arg(segment).stdin(std::os::fd::OwnedFd::from(listener)).stdout(std::process::Stdio::null()).process_group(0);
    if std::env::var_os("FORKSCOPE_DEBUG").is_none() {
        cmd.stderr(std::process::Stdio::null());
    }
    // Our copy of the listener goes with `cmd`: once the template is gone,
    // a request fails at once (and the starter falls back to exec).
    let pid = cmd.spawn()?.id() as i32;
    Ok(pid)
}

fn make_scratch() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let pid = std::process::id() as i32;
    let start = sys::start_time(pid).unwrap_or(0);
    let dir = scratch_parent().join(format!("{SCRATCH_PREFIX}{pid}-{start}-{:016x}", rand::random::<u64>()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// How long [`Run::settle`] looks again at once (yielding) before it sleeps
/// between looks: a step of ticket-race takes about 0.2 ms; explore --all
/// ran 41 runs/s with sleeps alone, 54 with this.
const SETTLE_SPIN: Duration = Duration::from_micros(300);

impl Run {
    /// Starts a run (see the module docs).
    pub fn start(options: RunOptions) -> Result<Run, RunError> {
        crate::shm::sweep_stale();
        sweep_stale_scratch();
        sys::set_child_subreaper();
        let seg = Arc::new(Segment::create(options.geometry)?);
        let scratch = make_scratch().map_err(RunError::Scratch)?;
        let scratch_alive = match sys::hold_alive(&scratch) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&scratch);
                return Err(RunError::Scratch(e));
            }
        };
        let mut run = Run {
            seg: seg.clone(),
            lane0: Lane0::default(),
            reaper: None,
            reaper_stop: Arc::new(AtomicBool::new(false)),
            reaper_wake: None,
            guard: None,
            main_pid: 0,
            pgid: 0,
            template: None,
            scratch: scratch.clone(),
            _scratch_alive: scratch_alive,
            drainer: Drainer::new(),
            schedule: Vec::new(),
            last_granted: Lane::CONDUCTOR,
            frozen: BTreeSet::new(),
            started: Instant::now(),
            shut: false,
            options: options.clone(),
            input: None,
            #[cfg(test)]
            panic_in_shutdown: false,
        };
        let v = seg.view();
        let ctl = v.control();
        let me = std::process::id() as i32;
        ctl.conductor_pid.store(me, Relaxed);
        ctl.conductor_start.store(sys::start_time(me).unwrap_or(0), Relaxed);
        ctl.run_start_ns.store(sys::monotonic_ns(), Relaxed);
        ctl.seed.store(options.seed, Relaxed);
        ctl.speed_milli.store(((options.speed * 1000.0) as u32).clamp(1, 1_000_000), Relaxed);
        ctl.granularity.store(if options.statements { GRAN_STATEMENT } else { GRAN_OP }, Relaxed);
        ctl.mode.store(if options.paused { MODE_PAUSED } else { MODE_RUNNING }, Relaxed);
        ctl.compute_per_ms.store(crate::runtime::misc::calibrate_compute(), Relaxed);
        let info = RunInfo {
            lesson: options.lesson.clone(),
            origin: options.origin.clone(),
            script: options.script.clone(),
            params: options.params.clone(),
            scratch: scratch.to_string_lossy().into_owned(),
            seed: options.seed,
            lang: options.lang.clone(),
            language: options.language,
            source_path: options.source_path.clone(),
            in_place: options.in_place.as_ref().map(|p| p.to_string_lossy().into_owned()),
            fork_server: options.fork_server && options.language == Language::Rhai,
        };
        let bytes = codec::encode(&info)?;
        // Every worker decodes this within the cross-process limit: prove it
        // here, where the error can be said, not in a worker that cannot.
        if codec::decode::<RunInfo>(&bytes).is_err() {
            return Err(RunError::TooLarge(bytes.len()));
        }
        let block = v.write_chain(&bytes)?;
        ctl.info_len.store(bytes.len() as u32, Relaxed);
        ctl.info_block.store(block, Release);
        if options.paused {
            run.lane0.emit(&v, RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 1, ..Default::default() });
        }

        run.start_guard()?;
        let (wake_r, wake_w) = std::io::pipe().map_err(RunError::Thread)?;
        run.reaper_wake = Some(wake_w);
        run.reaper = Some(reaper::spawn(seg.clone(), run.lane0.clone(), run.reaper_stop.clone(), wake_r).map_err(RunError::Thread)?);

        let lane = v.alloc_lane(NONE)?;
        debug_assert_eq!(lane, MAIN_LANE);
        let l = v.lane(lane).expect("main lane");
        l.name.set("MainProcess");
        l.target.set("main");
        let seg_name = seg.name().to_string();
        if info.fork_server {
            run.template = start_template(&options.exe, &seg_name).ok();
        }
        // From the template if there is one; should it fail, by exec, as without.
        let forked = run.template.and_then(|_| crate::runtime::forkserver::request(&seg_name, lane).ok());
        let pid = match (forked, options.language) {
            (Some(pid), _) => pid,
            (None, Language::Rhai) => spawn_worker(&options.exe, &seg_name, lane, true).map_err(RunError::Spawn)?.id() as i32,
            (None, Language::Python) => {
                use std::os::unix::process::CommandExt;
                let python = crate::python::launch::interpreter().map_err(RunError::Python)?;
                let lib = crate::python::launch::library(&options.exe).map_err(RunError::Python)?;
                crate::python::launch::command(&python.path, &lib, &seg_name, lane, options.seed).process_group(0).spawn().map_err(RunError::Spawn)?.id() as i32
            }
        };
        run.main_pid = pid;
        run.pgid = match (forked, run.template) {
            (Some(_), Some(template)) => template,
            _ => {
                run.end_template();
                pid
            }
        };
        ctl.pgid.store(run.pgid, Release);
        run.tell_guard(run.pgid);
        l.start_time.store(sys::start_time(pid).unwrap_or(0), Relaxed);
        l.pid.store(pid, Release);
        run.lane0.emit(&v, RawKind::Spawn, OpBody { op: 0, other: lane as u16, res: NONE, a: pid as i64, b: me as i64, c: 0, d: 0 });
        l.go.store(1, Release);
        v.wake_lane(lane);
        Ok(run)
    }

    /// Ends the template (if any) and reaps it, and then the processes it
    /// had not reaped yet: they are ours now (the child subreaper), and a
    /// dashboard that starts run after run must not collect zombies.
    fn end_template(&mut self) {
        if let Some(pid) = self.template.take() {
            sys::kill(pid, libc::SIGKILL);
            sys::wait_child(pid, true);
            let v = self.seg.view();
            for lane in 1..v.lanes_in_use() {
                let pid = v.lane(lane).map_or(0, |l| l.pid.load(Acquire));
                // A zombie that is our child now is reaped; not ours: nothing.
                sys::wait_child(pid, false);
            }
        }
    }

    fn start_guard(&mut self) -> Result<(), RunError> {
        let (reader, writer) = std::io::pipe().map_err(RunError::Guard)?;
        let name = self.seg.name().to_string();
        let child = std::process::Command::new(&self.options.exe)
            .arg("guard")
            .arg("--segment")
            .arg(&name)
            .arg("--scratch")
            .arg(&self.scratch)
            .stdin(reader)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(RunError::Guard)?;
        self.guard = Some((child.id() as i32, writer));
        Ok(())
    }

    /// Tells the guard the run's process group and its leader's start time,
    /// through its pipe (which no process of the run can write, unlike the
    /// segment): the guard signals only a group it can prove is the run's.
    fn tell_guard(&mut self, pgid: i32) {
        use std::io::Write;
        let start = sys::start_time(pgid).unwrap_or(0);
        if let Some((_, writer)) = &mut self.guard {
            let _ = writeln!(writer, "{pgid} {start}");
        }
    }

    pub fn view(&self) -> View<'_> {
        self.seg.view()
    }

    pub fn segment_name(&self) -> &str {
        self.seg.name()
    }

    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// The processes' working folder: the scratch folder, or the program's
    /// own folder when run in place.
    pub fn workdir(&self) -> &Path {
        self.options.in_place.as_deref().unwrap_or(&self.scratch)
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Moves every ready record into `out`. `flush`: release everything (only
    /// when nothing is in flight, e.g. quiescent or all ended).
    pub fn drain(&mut self, out: &mut Vec<Record>, flush: bool) {
        self.drainer.drain(&self.seg.view(), out, flush);
    }

    pub fn stats(&self) -> DrainStats {
        self.drainer.stats
    }

    pub fn schedule(&self) -> &[Action] {
        &self.schedule
    }

    pub fn is_paused(&self) -> bool {
        self.seg.view().control().mode.load(Acquire) == MODE_PAUSED
    }

    fn nudge_all(&self) {
        for lane in 1..self.seg.view().lanes_in_use() {
            self.seg.view().nudge_lane(lane);
        }
    }

    pub fn pause(&mut self) {
        if !self.is_paused() {
            self.seg.view().control().mode.store(MODE_PAUSED, SeqCst);
            self.lane0.emit(&self.seg.view(), RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 1, ..Default::default() });
            self.nudge_all();
        }
    }

    pub fn resume(&mut self) {
        if self.is_paused() {
            for lane in 1..self.seg.view().lanes_in_use() {
                if let Some(l) = self.seg.view().lane(lane) {
                    l.grant.store(0, SeqCst);
                }
            }
            self.seg.view().control().mode.store(MODE_RUNNING, SeqCst);
            self.lane0.emit(&self.seg.view(), RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 0, ..Default::default() });
            self.nudge_all();
        }
    }

    pub fn statements(&self) -> bool {
        self.seg.view().control().granularity.load(Relaxed) == GRAN_STATEMENT
    }

    pub fn set_statements(&mut self, on: bool) {
        self.seg.view().control().granularity.store(if on { GRAN_STATEMENT } else { GRAN_OP }, SeqCst);
        self.nudge_all();
    }

    /// Sleep speed factor.
    pub fn speed(&self) -> f64 {
        self.seg.view().control().speed_milli.load(Relaxed) as f64 / 1000.0
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.seg.view().control().speed_milli.store(((speed * 1000.0) as u32).clamp(1, 1_000_000), SeqCst);
        self.nudge_all();
    }

    /// Lanes waiting in `input()` for a line nobody has handed them yet.
    pub fn waiting_for_input(&self) -> Vec<Lane> {
        let v = &self.seg.view();
        (1..v.lanes_in_use())
            .filter(|&lane| {
                let Some(l) = v.lane(lane) else { return false };
                let Some(s) = l.status.read(64) else { return false };
                l.ended.load(Acquire) == 0
                    && s.state == ProcState::Blocked as u32
                    && s.op == crate::shm::record::Op::Input as u32
                    && l.handoff.load(Acquire) == 0
            })
            .map(Lane)
            .collect()
    }

    /// Hands `lane`, waiting in `input()`, a line (`None`: end of input, its
    /// `input()` raises EOFError). False if it is not waiting for one.
    pub fn give_input(&mut self, lane: Lane, line: Option<&str>) -> bool {
        if !self.waiting_for_input().contains(&lane) {
            return false;
        }
        let lane = lane.0;
        let seg = self.seg.clone();
        let v = seg.view();
        let Some(l) = v.lane(lane) else { return false };
        let (first, len) = match line {
            Some(text) => match v.write_chain(text.as_bytes()) {
                Ok(first) => (first, text.len() as u32),
                Err(_) => return false,
            },
            None => (NONE, 0),
        };
        l.mailbox_len.store(len, Relaxed);
        l.mailbox_block.store(first, Release);
        l.handoff.store(crate::runtime::ipc::token(crate::runtime::misc::STDIN), Release);
        v.wake_lane(lane);
        true
    }

    /// Feeds the run's standard input ([`Run::set_input`]) to the processes
    /// waiting in `input()`, in lane order; at the end of input they get EOF.
    /// Returns whether it handed anyone anything.
    pub fn feed_input(&mut self) -> bool {
        let waiting = self.waiting_for_input();
        if waiting.is_empty() {
            return false;
        }
        let Some(mut input) = self.input.take() else { return false };
        let mut fed = false;
        for lane in waiting {
            match input.next_line() {
                Some(line) => fed |= self.give_input(lane, line.as_deref()),
                None => break,
            }
        }
        self.input = Some(input);
        fed
    }

    /// Where `input()` reads from in a run without a dashboard.
    pub fn set_input(&mut self, input: Input) {
        self.input = Some(input);
    }

    /// What the conductor reads of every lane in use (lane 0 excluded).
    pub fn lanes(&self) -> Vec<LaneInfo> {
        let v = &self.seg.view();
        (1..v.lanes_in_use())
            .filter_map(|lane| {
                let l = v.lane(lane)?;
                let snap = l.status.read(64);
                Some(LaneInfo {
                    lane: Lane(lane),
                    pid: l.pid.load(Acquire),
                    state: snap.and_then(|s| ProcState::from_raw(s.state)),
                    deadline_ns: snap.map_or(0, |s| s.deadline_ns),
                    ended: l.ended.load(Acquire) != 0,
                    frozen: self.frozen.contains(&Lane(lane)),
                })
            })
            .collect()
    }

    /// Every process has ended (and the reaper has seen it).
    pub fn all_ended(&self) -> bool {
        let v = &self.seg.view();
        (1..v.lanes_in_use()).all(|lane| v.lane(lane).is_none_or(|l| l.ended.load(Acquire) != 0 || l.pid.load(Acquire) < 0))
    }

    /// Nothing will change until the user acts: every live process is parked,
    /// blocked with no wake-up pending, sleeping while paused, or frozen; no
    /// grant or signal is still in flight.
    pub fn quiescent(&self) -> bool {
        let v = &self.seg.view();
        for lane in 1..v.lanes_in_use() {
            let Some(l) = v.lane(lane) else { continue };
            if l.ended.load(Acquire) != 0 {
                continue;
            }
            let pid = l.pid.load(Acquire);
            if pid < 0 {
                continue;
            }
            if pid == 0 || l.kill_pending.load(Acquire) != 0 {
                return false;
            }
            if self.frozen.contains(&Lane(lane)) {
                continue;
            }
            if l.grant.load(Acquire) != 0 {
                return false;
            }
            let Some(s) = l.status.read(64) else { return false };
            match ProcState::from_raw(s.state) {
                Some(ProcState::Ready) => {}
                Some(ProcState::Sleeping) if self.is_paused() => {}
                Some(ProcState::Blocked) => {
                    if l.wakes.load(SeqCst) != l.wakes_seen.load(SeqCst) {
                        return false;
                    }
                    // Joining a process that has ended: it is about to be woken.
                    if s.op == crate::shm::record::Op::Join as u32 && v.lane(s.other).is_some_and(|o| o.ended.load(Acquire) != 0) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    }

    /// Whether `lane` can take a step now: parked, sleeping, or blocked with a
    /// timeout (the step makes the timeout expire).
    pub fn steppable(&self, lane: Lane) -> Result<(), GateError> {
        let frozen = self.frozen.contains(&lane);
        let lane = lane.0;
        let name = self.seg.view().lane(lane).map(|l| l.name.get()).unwrap_or_else(|| format!("#{lane}"));
        let l = self.seg.view().lane(lane).ok_or_else(|| GateError::NotSteppable(name.clone(), "no such process".into()))?;
        if lane == CONDUCTOR_LANE || lane >= self.seg.view().lanes_in_use() || l.pid.load(Acquire) <= 0 {
            return Err(GateError::NotSteppable(name, "no such process".into()));
        }
        if l.ended.load(Acquire) != 0 {
            return Err(GateError::NotSteppable(name, "it has ended".into()));
        }
        if frozen {
            return Err(GateError::NotSteppable(name, "it is frozen".into()));
        }
        let s = l.status.read(64).ok_or_else(|| GateError::NotSteppable(name.clone(), "its status is unreadable".into()))?;
        match ProcState::from_raw(s.state) {
            Some(ProcState::Ready | ProcState::Sleeping) => Ok(()),
            Some(ProcState::Blocked) if s.deadline_ns != 0 => Ok(()),
            Some(ProcState::Blocked) => Err(GateError::NotSteppable(name, "it is blocked with no timeout".into())),
            Some(st) => Err(GateError::NotSteppable(name, format!("it is {}", st.name()))),
            None => Err(GateError::NotSteppable(name, "it is starting".into())),
        }
    }

    /// What a parked process will wait for if stepped, as it shows at the
    /// gate: an op that waits for as long as it takes (`acquire`, `get`,
    /// `join`) with its resource or process. `None`: not parked at one.
    pub fn next_wait(&self, lane: Lane) -> Option<(crate::shm::record::Op, Option<ResId>, Option<Lane>)> {
        use crate::shm::record::Op;
        let l = self.seg.view().lane(lane.0)?;
        let s = l.status.read(64)?;
        if ProcState::from_raw(s.state) != Some(ProcState::Ready) {
            return None;
        }
        let op = Op::from_raw(s.op as u16).filter(|op| matches!(op, Op::Acquire | Op::Get | Op::Join))?;
        let some = |v: u32| (v != NONE).then_some(v);
        let (res, other) = (some(s.res).map(ResId), some(s.other).map(Lane));
        (res.is_some() || other.is_some()).then_some((op, res, other))
    }

    /// Lanes that are parked or sleeping (what "step the next ready one" picks from).
    pub fn ready_lanes(&self) -> Vec<Lane> {
        self.lanes()
            .into_iter()
            .filter(|i| !i.ended && !i.frozen && i.pid > 0 && matches!(i.state, Some(ProcState::Ready | ProcState::Sleeping)))
            .map(|i| i.lane)
            .collect()
    }

    /// The next ready lane after the last one granted, round robin.
    pub fn next_ready(&self) -> Option<Lane> {
        let ready = self.ready_lanes();
        ready.iter().copied().find(|&l| l > self.last_granted).or_else(|| ready.first().copied())
    }

    /// Grants one step to `lane` (or, with `None`, to the next ready one).
    /// Returns the lane granted. The step is over when [`Run::quiescent`].
    pub fn grant(&mut self, lane: Option<Lane>) -> Result<Lane, GateError> {
        if !self.is_paused() {
            return Err(GateError::NotPaused);
        }
        let lane = match lane {
            Some(l) => l,
            None => self.next_ready().ok_or(GateError::NothingReady)?,
        };
        self.steppable(lane)?;
        let gran = self.seg.view().control().granularity.load(Relaxed);
        self.lane0.emit(&self.seg.view(), RawKind::Grant, OpBody { other: lane.0 as u16, res: NONE, a: gran as i64, ..Default::default() });
        let l = self.seg.view().lane(lane.0).expect("checked");
        l.grant.fetch_add(1, SeqCst);
        self.seg.view().nudge_lane(lane.0);
        self.last_granted = lane;
        self.schedule.push(Action::Step { lane, granularity: gran });
        Ok(lane)
    }

    /// Waits (draining into `out`) until the run is quiescent or everything
    /// ended; false if `max` passed first.
    pub fn settle(&mut self, out: &mut Vec<Record>, max: Duration) -> bool {
        let t0 = Instant::now();
        let mut pause = Duration::from_micros(20);
        // A step is mostly done in well under a millisecond (`explore`
        // makes thousands): look again at once, yielding, for that long,
        // then sleep between looks. The sleeps keep to their length
        // (timer slack) rather than the kernel's default 50 µs more.
        sys::fine_timer_slack();
        loop {
            if self.all_ended() || self.quiescent() {
                // Let the reaper finish reporting, then release everything in order.
                self.drain(out, true);
                return true;
            }
            self.drain(out, false);
            if t0.elapsed() > max {
                return false;
            }
            if t0.elapsed() < SETTLE_SPIN {
                std::thread::yield_now();
                continue;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_micros(250));
        }
    }

    /// The pid of live process `lane`, if it is one we may signal. Lane pids
    /// are untrusted (any process of the run can write any lane): only a
    /// process below the conductor, never the conductor itself, can be one of
    /// the run's (the conductor is the child subreaper, so orphans count).
    fn pid_of(&self, lane: Lane) -> Option<i32> {
        let l = self.seg.view().lane(lane.0)?;
        let pid = l.pid.load(Acquire);
        let me = std::process::id() as i32;
        (pid > 0 && pid != me && l.ended.load(Acquire) == 0 && sys::is_descendant_of(pid, me)).then_some(pid)
    }

    /// Sends `signal` to process `lane` (terminate = SIGTERM, kill = SIGKILL).
    pub fn signal(&mut self, lane: Lane, signal: i32) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let l = self.seg.view().lane(lane.0).expect("checked");
        if signal == libc::SIGTERM || signal == libc::SIGKILL {
            l.kill_pending.store(1, SeqCst);
        }
        self.lane0.emit(&self.seg.view(), RawKind::Signal, OpBody { other: lane.0 as u16, res: NONE, a: signal as i64, ..Default::default() });
        self.schedule.push(Action::Signal { lane, signal });
        let ok = sys::kill(pid, signal);
        if signal == libc::SIGTERM && self.frozen.contains(&lane) {
            // A stopped process only acts on SIGTERM once continued.
            sys::kill(pid, libc::SIGCONT);
            self.frozen.remove(&lane);
        }
        ok
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) process `lane`.
    pub fn freeze(&mut self, lane: Lane, on: bool) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let sig = if on { libc::SIGSTOP } else { libc::SIGCONT };
        if on {
            self.frozen.insert(lane);
        } else {
            self.frozen.remove(&lane);
        }
        self.lane0.emit(&self.seg.view(), RawKind::Signal, OpBody { other: lane.0 as u16, res: NONE, a: sig as i64, ..Default::default() });
        sys::kill(pid, sig)
    }

    pub fn is_frozen(&self, lane: Lane) -> bool {
        self.frozen.contains(&lane)
    }

    /// Ends every process (SIGKILL), waits for the reaper to see each end,
    /// drains what is left into `out`, and cleans up (but for the scratch
    /// folder, which goes with the `Run`). Idempotent.
    pub fn shutdown_into(&mut self, out: &mut Vec<Record>) {
        if self.shut {
            return;
        }
        self.shut = true;
        #[cfg(test)]
        assert!(!self.panic_in_shutdown, "test: a panic inside shutdown");
        let seg = self.seg.clone();
        let v = seg.view();
        if !self.all_ended() {
            self.lane0.emit(&v, RawKind::Closing, OpBody { other: NO_LANE, res: NONE, ..Default::default() });
        }
        // Every process at once: a run of a thousand busy processes (or a
        // fork bomb) ends within a moment, not one kill and wait after the
        // other. The group first, so that nothing forks meanwhile; what a
        // program made outside the lesson API (Python's `os.fork`,
        // `subprocess`) has no lane but is in the group too (the reaper, our
        // subreaper, reaps it). Then every lane whose process is provably
        // still the run's (same start time), in case it left the group.
        let from = out.len();
        let t0 = Instant::now();
        let mut round = 0;
        loop {
            if round % 50 == 0 {
                self.kill_everything();
            }
            round += 1;
            self.drain(out, false);
            if self.all_ended() || t0.elapsed() >= Duration::from_secs(5) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // Stop the reaper (it reaps the adopted zombies on its way out).
        self.stop_reaper();
        if let Some(h) = self.reaper.take() {
            let _ = h.join();
        }
        self.drain(out, true);
        if let Some(closing) = out[from..].iter().position(|r| matches!(r.kind, crate::model::RecordKind::Closing)) {
            in_lane_order(&mut out[from + closing..]);
        }
        self.end_template();
        v.control().clean.store(1, SeqCst);
        if let Some((pid, writer)) = self.guard.take() {
            drop(writer);
            sys::wait_child(pid, true);
        }
    }

    /// SIGKILL to the run's process group and to every lane's process that
    /// is still the one the run started (its start time proves it).
    fn kill_everything(&self) {
        if self.pgid > 0 {
            sys::kill_group(self.pgid, libc::SIGKILL);
        }
        let v = self.seg.view();
        for lane in 1..v.lanes_in_use() {
            let Some(pid) = self.pid_of(Lane(lane)) else { continue };
            let l = v.lane(lane).expect("in range");
            if l.ended.load(Acquire) == 0 && sys::start_time(pid) == Some(l.start_time.load(Acquire)) {
                l.kill_pending.store(1, SeqCst);
                sys::kill(pid, libc::SIGKILL);
            }
        }
    }

    /// Tells the reaper to stop, and wakes it from its wait.
    fn stop_reaper(&mut self) {
        self.reaper_stop.store(true, Release);
        if let Some(mut w) = self.reaper_wake.take() {
            use std::io::Write;
            let _ = w.write_all(b"x");
        }
    }

    pub fn shutdown(&mut self) {
        let mut sink = Vec::new();
        self.shutdown_into(&mut sink);
    }
}

/// The ends seen after a run's `Closing` record, put in lane order: every
/// process is killed at once, so the reaper sees their ends in whatever order
/// the kernel delivers them, but the records of a closing must come in a fixed
/// order (a replay compares them). Each record keeps the place (sequence
/// number and time) it had; only which end is said there changes.
fn in_lane_order(records: &mut [Record]) {
    use crate::model::RecordKind;
    let at: Vec<usize> = (0..records.len()).filter(|&i| matches!(records[i].kind, RecordKind::Ended { .. })).collect();
    let mut ends: Vec<Record> = at.iter().map(|&i| records[i].clone()).collect();
    ends.sort_by_key(|r| match r.kind {
        RecordKind::Ended { process, .. } => process,
        _ => unreachable!("only ends were taken"),
    });
    for (&i, mut end) in at.iter().zip(ends) {
        end.seq = records[i].seq;
        end.t_ns = records[i].t_ns;
        records[i] = end;
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.shutdown();
        // Had shutdown been cut short (a panic inside it), the reaper would
        // still run: it owns the segment too, so nothing is unmapped under
        // it. Stop it, so that it lets go and the last owner unlinks the
        // segment.
        self.stop_reaper();
        // The folder goes last: after the end, a lesson's conditions still
        // read the files the run left there (`file("name")`).
        if is_scratch_dir(&self.scratch) {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, race 2: a panic between the start of shutdown and the end of
    /// the reaper used to unmap the segment under the reaper (SIGSEGV of the
    /// whole process). The reaper owns the segment too now: it goes on safely,
    /// stops, and the segment is still unlinked.
    #[test]
    fn race_2_a_panic_inside_shutdown_does_not_unmap_the_segment_under_the_reaper() {
        let mut options = RunOptions::new("t", "t", "");
        // main (and the guard) end at once: only the reaper is left running.
        options.exe = PathBuf::from("/bin/true");
        let mut run = Run::start(options).expect("start");
        let shm = Path::new("/dev/shm").join(run.segment_name());
        assert!(shm.exists());
        run.panic_in_shutdown = true;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.shutdown()));
        assert!(panicked.is_err());
        drop(run);
        // Time for a reaper reading an unmapped view to crash this process.
        std::thread::sleep(Duration::from_millis(200));
        let t = Instant::now();
        while shm.exists() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!shm.exists(), "the segment was not unlinked once the reaper let go");
    }

    /// The ends seen after `Closing` are said in lane order, each at the
    /// place (sequence number, time) the kernel's order gave.
    #[test]
    fn ends_after_closing_come_in_lane_order() {
        use crate::model::RecordKind;
        let rec = |seq: u64, kind: RecordKind| Record { seq, t_ns: seq * 10, lane: Lane(0), line: 0, gates: 0, kind };
        let end = |p: u32| RecordKind::Ended { process: Lane(p), exitcode: -9, held: None };
        let mut v = [rec(1, RecordKind::Closing), rec(2, end(3)), rec(3, RecordKind::Park), rec(4, end(1)), rec(5, end(2))];
        in_lane_order(&mut v[..]);
        let said: Vec<(u64, u64, Option<Lane>)> = v
            .iter()
            .map(|r| (r.seq, r.t_ns, if let RecordKind::Ended { process, .. } = r.kind { Some(process) } else { None }))
            .collect();
        assert_eq!(said, [(1, 10, None), (2, 20, Some(Lane(1))), (3, 30, None), (4, 40, Some(Lane(2))), (5, 50, Some(Lane(3)))]);
    }
}
