//! The conductor: the parent side of a run.
//!
//! [`Run::start`] sweeps stale segments, creates the run's segment and scratch
//! folder, writes the run info, starts the guard and the reaper thread, becomes
//! the child subreaper, and starts `main` (lane 1) in a new process group. The
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
use crate::shm::record::{NO_LANE, OpBody, RawKind};
use crate::shm::{Segment, ShmError, View};
use crate::sys;

pub use drain::{DrainStats, Drainer};
use reaper::{Lane0, SendView};

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
        }
    }

    /// The options to run `lesson` (its language and file), the rest defaults.
    pub fn of_lesson(lesson: &crate::scenario::Lesson) -> RunOptions {
        let mut o = RunOptions::new(&lesson.name, &lesson.origin, &lesson.script);
        o.language = lesson.language;
        if !lesson.origin.starts_with("builtin:") {
            o.source_path = std::fs::canonicalize(&lesson.origin).map_or_else(|_| lesson.origin.clone(), |p| p.to_string_lossy().into_owned());
        }
        o
    }
}

/// A user action on the gate, as recorded in a run's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// One step of `lane` at `granularity` (0 op, 1 statement).
    Step { lane: u32, granularity: u32 },
    /// A signal sent by the user.
    Signal { lane: u32, signal: i32 },
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
    pub lane: u32,
    pub pid: i32,
    pub state: Option<ProcState>,
    /// A timed wait or sleep is pending (ns since start, 0 = none).
    pub deadline_ns: u64,
    pub ended: bool,
    pub frozen: bool,
}

/// A live run.
pub struct Run {
    // The view borrows `seg`; `Drop` ends the reaper before `seg` is unmapped.
    view: View<'static>,
    seg: Option<Segment>,
    lane0: Lane0,
    reaper: Option<std::thread::JoinHandle<()>>,
    reaper_stop: Arc<AtomicBool>,
    guard: Option<(i32, std::io::PipeWriter)>,
    pub main_pid: i32,
    scratch: PathBuf,
    drainer: Drainer,
    schedule: Vec<Action>,
    last_granted: u32,
    frozen: BTreeSet<u32>,
    started: Instant,
    shut: bool,
    pub options: RunOptions,
    /// The run's standard input (headless runs), if any.
    input: Option<Input>,
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
        if let (Some(Ok(pid)), Some(Ok(start))) = (it.next().map(str::parse::<i32>), it.next().map(str::parse::<u64>))
            && !sys::is_same_live_process(pid, start) {
                let _ = std::fs::remove_dir_all(e.path());
            }
    }
}

fn make_scratch() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let pid = std::process::id() as i32;
    let start = sys::start_time(pid).unwrap_or(0);
    let dir = scratch_parent().join(format!("{SCRATCH_PREFIX}{pid}-{start}-{:016x}", rand::random::<u64>()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

impl Run {
    /// Starts a run (see the module docs).
    pub fn start(options: RunOptions) -> Result<Run, RunError> {
        crate::shm::sweep_stale();
        sweep_stale_scratch();
        sys::set_child_subreaper();
        let seg = Segment::create(options.geometry)?;
        // SAFETY: the view's lifetime is tied to `seg`, which `Run` owns and
        // unmaps only in `Drop`, after every user of the view (the reaper
        // thread included) is gone.
        let view: View<'static> = unsafe { std::mem::transmute::<View<'_>, View<'static>>(seg.view()) };
        let scratch = make_scratch().map_err(RunError::Scratch)?;
        let mut run = Run {
            view,
            seg: Some(seg),
            lane0: Lane0::default(),
            reaper: None,
            reaper_stop: Arc::new(AtomicBool::new(false)),
            guard: None,
            main_pid: 0,
            scratch: scratch.clone(),
            drainer: Drainer::new(),
            schedule: Vec::new(),
            last_granted: 0,
            frozen: BTreeSet::new(),
            started: Instant::now(),
            shut: false,
            options: options.clone(),
            input: None,
        };
        let v = run.view;
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
        run.reaper = Some(reaper::spawn(SendView(v), run.lane0.clone(), run.reaper_stop.clone()).map_err(RunError::Thread)?);

        let lane = v.alloc_lane(NONE)?;
        debug_assert_eq!(lane, MAIN_LANE);
        let l = v.lane(lane).expect("main lane");
        l.name.set("MainProcess");
        l.target.set("main");
        let seg_name = run.seg.as_ref().expect("segment").name().to_string();
        let child = match options.language {
            Language::Rhai => spawn_worker(&options.exe, &seg_name, lane, true).map_err(RunError::Spawn)?,
            Language::Python => {
                use std::os::unix::process::CommandExt;
                let python = crate::python::launch::interpreter().map_err(RunError::Python)?;
                let lib = crate::python::launch::library(&options.exe).map_err(RunError::Python)?;
                crate::python::launch::command(&python.path, &lib, &seg_name, lane, options.seed).process_group(0).spawn().map_err(RunError::Spawn)?
            }
        };
        let pid = child.id() as i32;
        drop(child);
        run.main_pid = pid;
        ctl.pgid.store(pid, Release);
        l.start_time.store(sys::start_time(pid).unwrap_or(0), Relaxed);
        l.pid.store(pid, Release);
        run.lane0.emit(&v, RawKind::Spawn, OpBody { op: 0, other: lane as u16, res: NONE, a: pid as i64, b: me as i64, c: 0, d: 0 });
        l.go.store(1, Release);
        v.wake_lane(lane);
        Ok(run)
    }

    fn start_guard(&mut self) -> Result<(), RunError> {
        let (reader, writer) = std::io::pipe().map_err(RunError::Guard)?;
        let name = self.seg.as_ref().expect("segment").name().to_string();
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

    pub fn view(&self) -> View<'_> {
        self.view
    }

    pub fn segment_name(&self) -> &str {
        self.seg.as_ref().map_or("", |s| s.name())
    }

    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Moves every ready record into `out`. `flush`: release everything (only
    /// when nothing is in flight, e.g. quiescent or all ended).
    pub fn drain(&mut self, out: &mut Vec<Record>, flush: bool) {
        self.drainer.drain(&self.view, out, flush);
    }

    pub fn stats(&self) -> DrainStats {
        self.drainer.stats
    }

    pub fn schedule(&self) -> &[Action] {
        &self.schedule
    }

    pub fn is_paused(&self) -> bool {
        self.view.control().mode.load(Acquire) == MODE_PAUSED
    }

    fn nudge_all(&self) {
        for lane in 1..self.view.lanes_in_use() {
            self.view.nudge_lane(lane);
        }
    }

    pub fn pause(&mut self) {
        if !self.is_paused() {
            self.view.control().mode.store(MODE_PAUSED, SeqCst);
            self.lane0.emit(&self.view, RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 1, ..Default::default() });
            self.nudge_all();
        }
    }

    pub fn resume(&mut self) {
        if self.is_paused() {
            for lane in 1..self.view.lanes_in_use() {
                if let Some(l) = self.view.lane(lane) {
                    l.grant.store(0, SeqCst);
                }
            }
            self.view.control().mode.store(MODE_RUNNING, SeqCst);
            self.lane0.emit(&self.view, RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 0, ..Default::default() });
            self.nudge_all();
        }
    }

    pub fn statements(&self) -> bool {
        self.view.control().granularity.load(Relaxed) == GRAN_STATEMENT
    }

    pub fn set_statements(&mut self, on: bool) {
        self.view.control().granularity.store(if on { GRAN_STATEMENT } else { GRAN_OP }, SeqCst);
        self.nudge_all();
    }

    /// Sleep speed factor.
    pub fn speed(&self) -> f64 {
        self.view.control().speed_milli.load(Relaxed) as f64 / 1000.0
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.view.control().speed_milli.store(((speed * 1000.0) as u32).clamp(1, 1_000_000), SeqCst);
        self.nudge_all();
    }

    /// Lanes waiting in `input()` for a line nobody has handed them yet.
    pub fn waiting_for_input(&self) -> Vec<u32> {
        let v = &self.view;
        (1..v.lanes_in_use())
            .filter(|&lane| {
                let Some(l) = v.lane(lane) else { return false };
                let Some(s) = l.status.read(64) else { return false };
                l.ended.load(Acquire) == 0
                    && s.state == ProcState::Blocked as u32
                    && s.op == crate::shm::record::Op::Input as u32
                    && l.handoff.load(Acquire) == 0
            })
            .collect()
    }

    /// Hands `lane`, waiting in `input()`, a line (`None`: end of input, its
    /// `input()` raises EOFError). False if it is not waiting for one.
    pub fn give_input(&mut self, lane: u32, line: Option<&str>) -> bool {
        if !self.waiting_for_input().contains(&lane) {
            return false;
        }
        let v = self.view;
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
        let v = &self.view;
        (1..v.lanes_in_use())
            .filter_map(|lane| {
                let l = v.lane(lane)?;
                let snap = l.status.read(64);
                Some(LaneInfo {
                    lane,
                    pid: l.pid.load(Acquire),
                    state: snap.and_then(|s| ProcState::from_u32(s.state)),
                    deadline_ns: snap.map_or(0, |s| s.deadline_ns),
                    ended: l.ended.load(Acquire) != 0,
                    frozen: self.frozen.contains(&lane),
                })
            })
            .collect()
    }

    /// Every process has ended (and the reaper has seen it).
    pub fn all_ended(&self) -> bool {
        let v = &self.view;
        (1..v.lanes_in_use()).all(|lane| v.lane(lane).is_none_or(|l| l.ended.load(Acquire) != 0 || l.pid.load(Acquire) < 0))
    }

    /// Nothing will change until the user acts: every live process is parked,
    /// blocked with no wake-up pending, sleeping while paused, or frozen; no
    /// grant or signal is still in flight.
    pub fn quiescent(&self) -> bool {
        let v = &self.view;
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
            if self.frozen.contains(&lane) {
                continue;
            }
            if l.grant.load(Acquire) != 0 {
                return false;
            }
            let Some(s) = l.status.read(64) else { return false };
            match ProcState::from_u32(s.state) {
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
    pub fn steppable(&self, lane: u32) -> Result<(), GateError> {
        let name = self.view.lane(lane).map(|l| l.name.get()).unwrap_or_else(|| format!("#{lane}"));
        let l = self.view.lane(lane).ok_or_else(|| GateError::NotSteppable(name.clone(), "no such process".into()))?;
        if lane == CONDUCTOR_LANE || lane >= self.view.lanes_in_use() || l.pid.load(Acquire) <= 0 {
            return Err(GateError::NotSteppable(name, "no such process".into()));
        }
        if l.ended.load(Acquire) != 0 {
            return Err(GateError::NotSteppable(name, "it has ended".into()));
        }
        if self.frozen.contains(&lane) {
            return Err(GateError::NotSteppable(name, "it is frozen".into()));
        }
        let s = l.status.read(64).ok_or_else(|| GateError::NotSteppable(name.clone(), "its status is unreadable".into()))?;
        match ProcState::from_u32(s.state) {
            Some(ProcState::Ready | ProcState::Sleeping) => Ok(()),
            Some(ProcState::Blocked) if s.deadline_ns != 0 => Ok(()),
            Some(ProcState::Blocked) => Err(GateError::NotSteppable(name, "it is blocked with no timeout".into())),
            Some(st) => Err(GateError::NotSteppable(name, format!("it is {}", st.name()))),
            None => Err(GateError::NotSteppable(name, "it is starting".into())),
        }
    }

    /// Lanes that are parked or sleeping (what "step the next ready one" picks from).
    pub fn ready_lanes(&self) -> Vec<u32> {
        self.lanes()
            .into_iter()
            .filter(|i| !i.ended && !i.frozen && i.pid > 0 && matches!(i.state, Some(ProcState::Ready | ProcState::Sleeping)))
            .map(|i| i.lane)
            .collect()
    }

    /// The next ready lane after the last one granted, round robin.
    pub fn next_ready(&self) -> Option<u32> {
        let ready = self.ready_lanes();
        ready.iter().copied().find(|&l| l > self.last_granted).or_else(|| ready.first().copied())
    }

    /// Grants one step to `lane` (or, with `None`, to the next ready one).
    /// Returns the lane granted. The step is over when [`Run::quiescent`].
    pub fn grant(&mut self, lane: Option<u32>) -> Result<u32, GateError> {
        if !self.is_paused() {
            return Err(GateError::NotPaused);
        }
        let lane = match lane {
            Some(l) => l,
            None => self.next_ready().ok_or(GateError::NothingReady)?,
        };
        self.steppable(lane)?;
        let gran = self.view.control().granularity.load(Relaxed);
        self.lane0.emit(&self.view, RawKind::Grant, OpBody { other: lane as u16, res: NONE, a: gran as i64, ..Default::default() });
        let l = self.view.lane(lane).expect("checked");
        l.grant.fetch_add(1, SeqCst);
        self.view.nudge_lane(lane);
        self.last_granted = lane;
        self.schedule.push(Action::Step { lane, granularity: gran });
        Ok(lane)
    }

    /// Waits (draining into `out`) until the run is quiescent or everything
    /// ended; false if `max` passed first.
    pub fn settle(&mut self, out: &mut Vec<Record>, max: Duration) -> bool {
        let t0 = Instant::now();
        let mut pause = Duration::from_micros(20);
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
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        }
    }

    /// The pid of live process `lane`, if it is one we may signal. Lane pids
    /// are untrusted (any process of the run can write any lane): only a
    /// process below the conductor, never the conductor itself, can be one of
    /// the run's (the conductor is the child subreaper, so orphans count).
    fn pid_of(&self, lane: u32) -> Option<i32> {
        let l = self.view.lane(lane)?;
        let pid = l.pid.load(Acquire);
        let me = std::process::id() as i32;
        (pid > 0 && pid != me && l.ended.load(Acquire) == 0 && sys::is_descendant_of(pid, me)).then_some(pid)
    }

    /// Sends `signal` to process `lane` (terminate = SIGTERM, kill = SIGKILL).
    pub fn signal(&mut self, lane: u32, signal: i32) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let l = self.view.lane(lane).expect("checked");
        if signal == libc::SIGTERM || signal == libc::SIGKILL {
            l.kill_pending.store(1, SeqCst);
        }
        self.lane0.emit(&self.view, RawKind::Signal, OpBody { other: lane as u16, res: NONE, a: signal as i64, ..Default::default() });
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
    pub fn freeze(&mut self, lane: u32, on: bool) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let sig = if on { libc::SIGSTOP } else { libc::SIGCONT };
        if on {
            self.frozen.insert(lane);
        } else {
            self.frozen.remove(&lane);
        }
        self.lane0.emit(&self.view, RawKind::Signal, OpBody { other: lane as u16, res: NONE, a: sig as i64, ..Default::default() });
        sys::kill(pid, sig)
    }

    pub fn is_frozen(&self, lane: u32) -> bool {
        self.frozen.contains(&lane)
    }

    /// Ends every process (SIGKILL), waits for the reaper to see each end,
    /// drains what is left into `out`, and cleans up. Idempotent.
    pub fn shutdown_into(&mut self, out: &mut Vec<Record>) {
        if self.shut {
            return;
        }
        self.shut = true;
        let v = self.view;
        if !self.all_ended() {
            self.lane0.emit(&v, RawKind::Closing, OpBody { other: NO_LANE, res: NONE, ..Default::default() });
        }
        // One at a time, in lane order, each end seen before the next kill: the
        // closing records come in a fixed order (replays compare them).
        for lane in 1..v.lanes_in_use() {
            let Some(pid) = self.pid_of(lane) else { continue };
            let l = v.lane(lane).expect("in range");
            if sys::start_time(pid) != Some(l.start_time.load(Acquire)) {
                continue;
            }
            l.kill_pending.store(1, SeqCst);
            sys::kill(pid, libc::SIGKILL);
            let t = Instant::now();
            while l.ended.load(Acquire) == 0 && t.elapsed() < Duration::from_millis(500) {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
        // What a program made outside the lesson API (Python's `os.fork`,
        // `subprocess`) has no lane, but is in the run's process group: it
        // ends with the run too (the reaper, our subreaper, reaps it).
        if self.main_pid > 0 {
            sys::kill_group(self.main_pid, libc::SIGKILL);
        }
        let t0 = Instant::now();
        let mut rounds = 0;
        while !self.all_ended() && t0.elapsed() < Duration::from_secs(5) {
            if rounds % 50 == 0 {
                sys::kill_group(self.main_pid, libc::SIGKILL);
                for lane in 1..v.lanes_in_use() {
                    if let Some(pid) = self.pid_of(lane) {
                        let l = v.lane(lane).expect("in range");
                        if sys::start_time(pid) == Some(l.start_time.load(Acquire)) {
                            sys::kill(pid, libc::SIGKILL);
                        }
                    }
                }
            }
            rounds += 1;
            self.drain(out, false);
            std::thread::sleep(Duration::from_millis(2));
        }
        // Give the reaper a moment to reap adopted zombies, then stop it.
        std::thread::sleep(Duration::from_millis(5));
        self.reaper_stop.store(true, Release);
        if let Some(h) = self.reaper.take() {
            let _ = h.join();
        }
        self.drain(out, true);
        v.control().clean.store(1, SeqCst);
        if let Some((pid, writer)) = self.guard.take() {
            drop(writer);
            let mut status = 0;
            // SAFETY: reaping our own guard child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
        }
        if is_scratch_dir(&self.scratch) {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }

    pub fn shutdown(&mut self) {
        let mut sink = Vec::new();
        self.shutdown_into(&mut sink);
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.shutdown();
        // Unmaps and unlinks the segment, now that no thread uses the view.
        self.seg.take();
    }
}
