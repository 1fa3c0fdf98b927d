//! The conductor: the parent side of a run.
//!
//! [`Run::start`] sweeps stale segments, creates the run's segment and scratch
//! folder, writes the run info, starts the guard and the reaper thread, becomes
//! the child subreaper, and starts `main` (lane 1) in a process group of its
//! own (in the dashboard, a session of its own; see `sys::as_run_leader`): for
//! a Rhai run, as a fork of the run's template, which it execs first as that
//! group's leader (the fork server, `runtime::forkserver`; without it, or
//! should it fail, `main` is an exec of its own and leads the group). The
//! caller (dashboard or headless runner) then calls [`Run::drain`] in its loop
//! and drives the gate: [`Run::pause`], [`Run::resume`], [`Run::grant`],
//! [`Run::quiescent`], signals and freeze. Dropping the run (or
//! [`Run::shutdown`]) ends every process, waits for the reaper to see each end,
//! and removes the segment and the scratch folder.
//!
//! Files: `gate` (what can step, grants, settling, signals), `input` (lines
//! for `input()`), `end` (the end of a run), `scratch` (run folders),
//! `drain` (records out of the rings), `reaper`, `guard`, `schedule`; this
//! file starts a run.

pub mod ahead;
pub mod collect;
pub mod cpu;
pub mod drain;
mod end;
pub mod family;
mod gate;
pub mod guard;
mod input;
pub mod reaper;
pub mod schedule;
mod scratch;
pub mod spec;
pub mod undertaker;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::codec::{self, Engine, RunInfo};
use crate::model::Record;
use crate::runtime::process::spawn_worker;
use crate::shm::layout::{CONDUCTOR_LANE, GRAN_OP, GRAN_STATEMENT, Geometry, MAIN_LANE, MODE_PAUSED, MODE_RUNNING, NONE, ProcState};
use crate::vocab::{Lane, ResId};
use crate::shm::record::{NO_LANE, OpBody, RawKind};
use crate::shm::{Segment, ShmError, View};
use crate::sys;

pub use drain::{DrainStats, Drainer};
pub use input::Input;
pub use scratch::{is_scratch_dir, scratch_parent, sweep_scratch_of, sweep_stale_scratch};
pub use spec::RunSpec;
pub use undertaker::Undertaker;
pub use ahead::Ahead;
use scratch::make_scratch;
#[cfg(test)]
use end::in_lane_order;
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

/// How to start a run: which run ([`RunSpec`]) and how the conductor
/// starts it.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub spec: RunSpec,
    /// Start paused: `main` parks at its first op.
    pub paused: bool,
    pub geometry: Geometry,
    /// The `forkscope` binary that runs workers.
    pub exe: PathBuf,
    /// Sleep speed factor (1.0 = real time).
    pub speed: f64,
    /// Run in this folder instead of the scratch folder (Python's `--in-place`).
    pub in_place: Option<PathBuf>,
    /// Start a Rhai run's processes as forks of a prepared template (see
    /// `runtime::forkserver`), and a Python run's main process as a fork of
    /// a ready interpreter where one is kept (`python::launch`'s zygote);
    /// false: each is an exec.
    pub fork_server: bool,
    /// Tell this guard of the run instead of starting one of its own (see
    /// [`guard::Shared`]).
    pub guard: Option<Arc<guard::Shared>>,
}

static NO_FORK_SERVER: AtomicBool = AtomicBool::new(false);

/// Makes every run of this process start its processes by exec
/// (`--no-fork-server`): the default of [`RunOptions::fork_server`].
pub fn without_fork_server() {
    NO_FORK_SERVER.store(true, Relaxed);
}

impl RunOptions {
    /// The options to run `spec`, the rest defaults.
    pub fn new(spec: RunSpec) -> RunOptions {
        RunOptions { spec, paused: false, geometry: Geometry::default(), exe: PathBuf::from("/proc/self/exe"), speed: 1.0, in_place: None, fork_server: !NO_FORK_SERVER.load(Relaxed), guard: None }
    }

    /// The options to run `lesson` with its defaults.
    pub fn of_lesson(lesson: &crate::scenario::Lesson) -> RunOptions {
        RunOptions::new(RunSpec::of(lesson.clone()))
    }

    /// A Rhai script given as text (`name`, from `origin`), without a manifest.
    pub fn of_script(name: &str, origin: &str, script: &str) -> RunOptions {
        let lesson = crate::scenario::Lesson::from_parts(name, origin.into(), origin.into(), script.into(), None, None).expect("a lesson without a manifest always builds");
        RunOptions::of_lesson(&lesson)
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
    /// Bumped by the reaper after each round that reported an end and left
    /// no process watched (see [`Run::wait_for_an_end`]).
    ends: Arc<AtomicU32>,
    guard: Option<GuardLink>,
    pub main_pid: i32,
    /// The pids the conductor started itself (`main`, the template), shared
    /// with the reaper: the run's without a look at their environment (see
    /// `family::verdict`).
    own: Arc<std::sync::Mutex<Vec<i32>>>,
    /// The run's process group: the template's (fork server), else `main`'s.
    pgid: i32,
    /// The fork server's template, our child.
    template: Option<i32>,
    scratch: PathBuf,
    /// Our shared lock on the scratch folder (see `sweep_stale_scratch`).
    _scratch_alive: nix::fcntl::Flock<std::os::fd::OwnedFd>,
    drainer: Drainer,
    /// Empties the rings as writers ask (see `collect`); stops when dropped.
    collector: Option<collect::Collector>,
    schedule: Vec<Action>,
    last_granted: Lane,
    frozen: BTreeSet<Lane>,
    /// CPU use per process (see `cpu`), for the lanes pane.
    cpu: cpu::CpuSampler,
    started: Instant,
    shut: bool,
    pub options: RunOptions,
    /// The run's standard input (headless runs), if any.
    input: Option<Input>,
    /// Tests: panic inside `shutdown_into`, just after it has begun.
    #[cfg(test)]
    panic_in_shutdown: bool,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("lesson", &self.options.spec.lesson.name).field("main_pid", &self.main_pid).finish()
    }
}

/// Execs the fork server's template of a run (see `runtime::forkserver`):
/// in a new process group, the run's, with the listening socket as its stdin.
fn start_template(exe: &Path, segment: &str) -> std::io::Result<i32> {
    let listener = crate::runtime::forkserver::listen(segment)?;
    let mut cmd = std::process::Command::new(exe);
    cmd.env(family::RUN_ENV, segment);
    cmd.arg("template").arg("--segment").arg(segment).stdin(std::os::fd::OwnedFd::from(listener)).stdout(std::process::Stdio::null());
    sys::as_run_leader(&mut cmd);
    if std::env::var_os("FORKSCOPE_DEBUG").is_none() {
        cmd.stderr(std::process::Stdio::null());
    }
    // Our copy of the listener goes with `cmd`: once the template is gone,
    // a request fails at once (and the starter falls back to exec).
    let pid = cmd.spawn()?.id() as i32;
    Ok(pid)
}

/// The run's guard: a process of its own (its pipe: the group lines), or
/// the session's, told of the run by name.
#[derive(Debug)]
enum GuardLink {
    Own(i32, std::io::PipeWriter),
    Shared(Arc<guard::Shared>),
}

impl Run {
    /// Starts a run (see the module docs).
    pub fn start(options: RunOptions) -> Result<Run, RunError> {
        let phase = sys::phases::start("start: sweep stale");
        crate::shm::sweep_stale();
        sweep_stale_scratch();
        sys::set_child_subreaper();
        phase.end();
        let phase = sys::phases::start("start: segment");
        let seg = Arc::new(Segment::create(options.geometry)?);
        phase.end();
        let phase = sys::phases::start("start: folder, threads, guard");
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
            ends: Arc::default(),
            guard: None,
            main_pid: 0,
            own: Arc::default(),
            pgid: 0,
            template: None,
            scratch: scratch.clone(),
            _scratch_alive: scratch_alive,
            drainer: Drainer::new(),
            collector: None,
            schedule: Vec::new(),
            last_granted: Lane::CONDUCTOR,
            frozen: BTreeSet::new(),
            cpu: Default::default(),
            started: Instant::now(),
            shut: false,
            options: options.clone(),
            input: None,
            #[cfg(test)]
            panic_in_shutdown: false,
        };
        // The guard knows the segment and the folder before anything else
        // is done: a conductor killed from here on leaves nothing behind.
        run.start_guard()?;
        let v = seg.view();
        let ctl = v.control();
        let me = std::process::id() as i32;
        ctl.conductor_pid.store(me, Relaxed);
        ctl.conductor_start.store(sys::start_time(me).unwrap_or(0), Relaxed);
        ctl.run_start_ns.store(sys::monotonic_ns(), Relaxed);
        ctl.seed.store(options.spec.seed, Relaxed);
        ctl.speed_milli.store(((options.speed * 1000.0) as u32).clamp(1, 1_000_000), Relaxed);
        ctl.granularity.store(if options.spec.statements { GRAN_STATEMENT } else { GRAN_OP }, Relaxed);
        ctl.mode.store(if options.paused { MODE_PAUSED } else { MODE_RUNNING }, Relaxed);
        ctl.note_paused(options.paused, sys::monotonic_ns());
        ctl.compute_per_ms.store(crate::runtime::plain::calibrate_compute(), Relaxed);
        let spec = &options.spec;
        let info = RunInfo {
            lesson: spec.lesson.name.clone(),
            origin: spec.lesson.origin.clone(),
            script: spec.lesson.script.clone(),
            params: spec.params.clone(),
            scratch: scratch.to_string_lossy().into_owned(),
            seed: spec.seed,
            lang: spec.lang,
            engine: spec.lesson.engine,
            source_path: spec.source_path(),
            in_place: options.in_place.as_ref().map(|p| p.to_string_lossy().into_owned()),
            fork_server: options.fork_server && spec.lesson.engine == Engine::Rhai,
        };
        let bytes = codec::encode(&info)?;
        // Every worker decodes this within the cross-process limit: prove it
        // here, where the error can be said, not in a worker that cannot.
        if bytes.len() > codec::MAX_ENCODED || codec::decode::<RunInfo>(&bytes).is_err() {
            return Err(RunError::TooLarge(bytes.len()));
        }
        let block = v.write_chain(&bytes)?;
        ctl.info_len.store(bytes.len() as u32, Relaxed);
        ctl.info_block.store(block, Release);
        if options.paused {
            run.lane0.emit(&v, RawKind::Mode, OpBody { other: NO_LANE, res: NONE, a: 1, ..Default::default() });
        }

        let store = collect::Store::default();
        run.drainer = Drainer::with_store(store.clone());
        run.collector = Some(collect::Collector::start(seg.clone(), store).map_err(RunError::Thread)?);
        let (wake_r, wake_w) = std::io::pipe().map_err(RunError::Thread)?;
        run.reaper_wake = Some(wake_w);
        run.reaper = Some(reaper::spawn(seg.clone(), run.lane0.clone(), run.reaper_stop.clone(), wake_r, run.own.clone(), run.ends.clone()).map_err(RunError::Thread)?);

        phase.end();
        let phase = sys::phases::start("start: main process");
        let lane = v.alloc_lane(NONE)?;
        debug_assert_eq!(lane, MAIN_LANE);
        let l = v.lane(lane).expect("main lane");
        l.name.set("MainProcess");
        l.target.set("main");
        let seg_name = seg.name().to_string();
        if info.fork_server {
            run.template = start_template(&options.exe, &seg_name).ok();
            run.own.lock().unwrap_or_else(|e| e.into_inner()).extend(run.template);
        }
        // From the template if there is one; should it fail, by exec, as without.
        let forked = run.template.and_then(|_| crate::runtime::forkserver::request(&seg_name, lane).ok());
        let pid = match (forked, options.spec.lesson.engine) {
            (Some(pid), _) => pid,
            (None, Engine::Rhai) => spawn_worker(&options.exe, &seg_name, lane, true).map_err(RunError::Spawn)?.id() as i32,
            (None, Engine::Python) => {
                let python = crate::python::launch::interpreter().map_err(RunError::Python)?;
                let lib = crate::python::launch::library(&options.exe).map_err(RunError::Python)?;
                // The file name Python gives the program (forkscope_rt.main).
                let name = match info.source_path.as_str() {
                    "" => format!("{}.py", info.lesson),
                    path => path.to_string(),
                };
                let program = (name.as_str(), info.script.as_str());
                let zygote = if options.fork_server { crate::python::launch::zygote_start(&python.path, &lib, &seg_name, lane, options.spec.seed, sys::own_session(), program) } else { None };
                match zygote {
                    Some(pid) => pid,
                    None => sys::as_run_leader(&mut crate::python::launch::command(&python.path, &lib, &seg_name, lane, options.spec.seed)).spawn().map_err(RunError::Spawn)?.id() as i32,
                }
            }
        };
        run.main_pid = pid;
        run.own.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
        run.pgid = match (forked, run.template) {
            (Some(_), Some(template)) => template,
            _ => {
                run.end_template();
                pid
            }
        };
        ctl.pgid.store(run.pgid, Release);
        sys::note_run_group(run.pgid);
        run.tell_guard(run.pgid);
        l.start_time.store(sys::start_time(pid).unwrap_or(0), Relaxed);
        l.pid.store(pid, Release);
        run.lane0.emit(&v, RawKind::Spawn, OpBody { op: 0, other: lane as u16, res: NONE, a: pid as i64, b: me as i64, c: 0, d: 0 });
        l.go.store(1, Release);
        v.wake_lane(lane);
        phase.end();
        Ok(run)
    }

    fn start_guard(&mut self) -> Result<(), RunError> {
        if let Some(shared) = &self.options.guard
            && shared.say(&["+", self.seg.name(), &self.scratch.to_string_lossy()])
        {
            self.guard = Some(GuardLink::Shared(shared.clone()));
            return Ok(());
        }
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
        self.guard = Some(GuardLink::Own(child.id() as i32, writer));
        Ok(())
    }

    /// Tells the guard the run's process group and its leader's start time,
    /// through its pipe (which no process of the run can write, unlike the
    /// segment): the guard signals only a group it can prove is the run's.
    fn tell_guard(&mut self, pgid: i32) {
        use std::io::Write;
        let start = sys::start_time(pgid).unwrap_or(0);
        match &mut self.guard {
            Some(GuardLink::Own(_, writer)) => {
                let _ = writeln!(writer, "{pgid} {start}");
            }
            Some(GuardLink::Shared(shared)) => {
                shared.say(&["g", self.seg.name(), &format!("{pgid} {start}")]);
            }
            None => {}
        }
    }

    pub fn view(&self) -> View<'_> {
        self.seg.view()
    }

    /// What the run was started with.
    pub fn options(&self) -> &RunOptions {
        &self.options
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

    /// Every record published so far has been drained (see [`Drainer::caught_up`]).
    pub fn caught_up(&self) -> bool {
        self.drainer.caught_up(&self.seg.view())
    }

    /// At most `n` records per [`drain`](Self::drain) (see [`Drainer::set_budget`]).
    pub fn set_drain_budget(&mut self, n: usize) {
        self.drainer.set_budget(n);
    }

    pub fn stats(&self) -> DrainStats {
        self.drainer.stats
    }

    pub fn schedule(&self) -> &[Action] {
        &self.schedule
    }

    /// The reaper's count of rounds that reported an end: give it to
    /// [`Run::wait_for_an_end`], taken before looking at the lanes.
    pub fn ends_seen(&self) -> u32 {
        self.ends.load(SeqCst)
    }

    /// Waits until the reaper reports an end that left no process watched
    /// after `seen` (see [`Run::ends_seen`]), or `max` passes: a free run's
    /// loop looks at the lanes every `max`, and at once when the last
    /// process it knows of ends (the run's end).
    pub fn wait_for_an_end(&self, seen: u32, max: Duration) {
        crate::shm::futex::wait(&self.ends, seen, Some(max));
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
            self.seg.view().control().note_paused(true, sys::monotonic_ns());
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
            self.seg.view().control().note_paused(false, sys::monotonic_ns());
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

}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic between the start of shutdown and the end of
    /// the reaper used to unmap the segment under the reaper (SIGSEGV of the
    /// whole process). The reaper owns the segment too now: it goes on safely,
    /// stops, and the segment is still unlinked.
    #[test]
    fn race_2_a_panic_inside_shutdown_does_not_unmap_the_segment_under_the_reaper() {
        let mut options = RunOptions::of_script("t", "t", "");
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
