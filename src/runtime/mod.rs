//! The child side: what runs inside every scenario process.
//!
//! A scenario process is started by its parent (or by the conductor, for
//! `main`) and attaches to its lane with [`attach`]; a front-end then runs the
//! lesson in it: Rhai (`crate::worker`, `forkscope worker --segment
//! NAME --lane N`) or Python (`crate::python`, real CPython over the C ABI).
//! The runtime knows neither language. [`LaneRuntime`] is the process's handle on its lane: it writes records and
//! the status, and passes the gate. Each primitive lives in its own file and is
//! a set of methods on `LaneRuntime`.
//!
//! This module never depends on the model or the UI.

pub mod attach;
pub mod error;
pub mod files;
pub mod forkserver;
pub mod gate;
pub mod ipc;
pub mod lock;
pub mod plain;
pub mod process;
pub mod signals;
pub mod sync;
pub mod thread;
pub mod waitq;

use std::cell::RefCell;
use std::sync::atomic::Ordering::*;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::codec::RunInfo;
use crate::shm::View;
use crate::shm::layout::{Control, LaneSlot, NONE, ProcState, StatusSnapshot};
use crate::shm::record::{NO_LANE, OpBody, Op, RawKind, RawRecord, ResKind, TextTag, text_chunks, text_groups};

pub use error::{LessonError, LessonResult};

/// What a process knows about a child it started.
#[derive(Clone, Debug)]
pub struct ChildInfo {
    pub lane: u32,
    pub pid: i32,
    pub daemon: bool,
    /// Made by a bare `os.fork()` (not a `Process`): the process's exit
    /// neither terminates nor joins it, as CPython's does not.
    pub bare: bool,
    /// Exitcode once reaped.
    pub reaped: Option<i32>,
}

/// Per-process state that is not shared.
#[derive(Debug)]
pub struct Local {
    pub status: StatusSnapshot,
    pub rng: ChaCha8Rng,
    /// Python's `_identity`: main is `[]`, its first child `[1]`, that one's second child `[1, 2]`.
    pub identity: Vec<u32>,
    pub child_counter: u32,
    pub name: String,
    /// The process's daemon flag (a thread's runtime has its process's).
    pub daemon: bool,
    /// The name the next resource this process creates gets (see [`LaneRuntime::named`]).
    pub next_name: Option<String>,
    /// The variables a front-end gave for the op (or statement) this process
    /// is about to take: written as a `Locals` record only if it parks at
    /// the gate there (see [`LaneRuntime::set_locals`]).
    pub pending_locals: Option<String>,
}

/// What the threads of one process share: its children (any thread may
/// join a child another started, as in CPython) and their CPU time.
#[derive(Debug, Default)]
pub struct Family {
    pub children: Vec<ChildInfo>,
    /// CPU milliseconds (user, system) of joined children whose OS parent
    /// was not this process (see `LaneSlot::cpu_user_ms`).
    pub children_cpu_ms: (u64, u64),
}

/// The runtime of a process, or of one thread of it (see [`thread`]): its
/// lane, the run's info, its local state.
#[derive(Debug)]
pub struct LaneRuntime {
    pub v: View<'static>,
    /// The lane this runtime writes: the process's, or a thread's own.
    pub lane: u32,
    /// The process's lane (= `lane` but in a thread's runtime): what holds
    /// the process's descriptors (pipe ends).
    pub home: u32,
    /// Shared by the runtimes of the process's threads.
    pub family: std::sync::Arc<std::sync::Mutex<Family>>,
    pub me: &'static LaneSlot,
    pub ctl: &'static Control,
    /// The run's facts, decoded once a process: a forked child shares its
    /// parent's (a thread its process's).
    pub info: std::sync::Arc<RunInfo>,
    pub seg_name: String,
    pub local: RefCell<Local>,
    /// Steps this process has taken (gate passes, completions after a wake-up,
    /// timeouts) since its last record; see [`LaneRuntime::emit`].
    pub gates: std::cell::Cell<u32>,
}

/// Outcome of a blocking wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitEnd {
    /// The condition became true (the process was handed what it waited for).
    Done,
    /// The timeout passed (in real time, or virtually when stepped while paused).
    TimedOut,
}

/// Ends an op record's detail, before a queue item's digest in hex (see
/// [`LaneRuntime::record_op_d`]).
pub const DIGEST_MARK: char = '\u{1}';

impl LaneRuntime {
    pub fn new(v: View<'static>, lane: u32, info: std::sync::Arc<RunInfo>, seg_name: String, identity: Vec<u32>, name: String, daemon: bool) -> LaneRuntime {
        let me = v.lane(lane).expect("lane checked by the caller");
        let ctl = v.control();
        let rng = ChaCha8Rng::seed_from_u64(info.seed ^ (lane as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        LaneRuntime {
            v,
            lane,
            home: lane,
            family: Default::default(),
            me,
            ctl,
            info,
            seg_name,
            gates: std::cell::Cell::new(0),
            local: RefCell::new(Local {
                status: StatusSnapshot { state: ProcState::Starting as u32, res: NONE, other: NONE, ..Default::default() },
                rng,
                identity,
                child_counter: 0,
                name,
                daemon,
                next_name: None,
                pending_locals: None,
            }),
        }
    }

    /// Nanoseconds since the run started.
    pub fn now_ns(&self) -> u64 {
        crate::sys::monotonic_ns().saturating_sub(self.ctl.run_start_ns.load(Relaxed))
    }

    /// Writes a new status (the seqlock makes it whole for readers).
    pub fn set_state(&self, state: ProcState, op: Option<Op>, res: u32, other: u32, deadline_ns: u64) {
        let mut l = self.local.borrow_mut();
        if let Some(op) = op {
            l.status.op = op as u32;
        }
        l.status.res = res;
        l.status.other = other;
        l.status.deadline_ns = deadline_ns;
        // `since` is when the state was entered: an op that starts while the
        // process is already running keeps it (and saves a clock read per op).
        if l.status.state != state as u32 || l.status.since_ns == 0 {
            l.status.since_ns = self.now_ns();
        }
        l.status.state = state as u32;
        self.me.status.write(&l.status);
        drop(l);
        // Whatever this process is now but running, the conductor may be
        // waiting to see it (a step settling).
        if state != ProcState::Running {
            self.ctl.ring_settle();
        }
    }

    pub fn state(&self) -> ProcState {
        ProcState::from_raw(self.local.borrow().status.state).unwrap_or(ProcState::Running)
    }

    fn count_op(&self) {
        let mut l = self.local.borrow_mut();
        l.status.ops += 1;
    }

    /// Writes one record (and its text group, if any) into this lane's ring.
    pub fn emit(&self, kind: RawKind, mut body: OpBody, text: Option<(TextTag, &str)>) {
        let line = self.me.line.load(Relaxed);
        // The steps passed since this process's last record ride on this one
        // (`d`), so a free run's schedule can be rebuilt from its records.
        if kind != RawKind::Park {
            body.d = self.gates.replace(0) as i64;
        }
        let head = RawRecord { kind: kind as u16, line, body: body.encode(), ..RawRecord::EMPTY };
        match text {
            None => {
                self.v.emit(self.lane, &mut [head]);
            }
            Some((tag, t)) => {
                let mut group = Vec::with_capacity(2);
                group.push(head);
                for chunk in text_chunks(tag, t) {
                    group.push(RawRecord { kind: RawKind::Text as u16, line, body: chunk, ..RawRecord::EMPTY });
                }
                self.v.emit(self.lane, &mut group);
            }
        }
    }

    /// Records a completed op.
    #[allow(clippy::too_many_arguments)]
    pub fn record_op(&self, op: Op, res: u32, other: u32, a: i64, b: i64, c: i64, detail: Option<&str>) {
        self.record_op_d(op, res, other, a, b, c, 0, detail);
    }

    /// [`LaneRuntime::record_op`] with `d` (a queue item's digest:
    /// [`crate::model::RecordKind::Op`]), which rides at the end of the
    /// detail after [`DIGEST_MARK`] (the body's `d` holds the gates count);
    /// the drain takes it off.
    #[allow(clippy::too_many_arguments)]
    pub fn record_op_d(&self, op: Op, res: u32, other: u32, a: i64, b: i64, c: i64, d: i64, detail: Option<&str>) {
        self.count_op();
        let body = OpBody { op: op as u16, other: lane16(other), res, a, b, c, d: 0 };
        let text = (d != 0).then(|| format!("{}{DIGEST_MARK}{:x}", detail.unwrap_or(""), d as u64));
        self.emit(RawKind::Op, body, text.as_deref().or(detail).map(|d| (TextTag::Detail, d)));
    }

    /// Records that this process blocks in `op` on `res` (or on lane `other`).
    /// `timed`: the wait has a timeout (or is a sleep), so it ends by itself.
    pub fn record_block(&self, op: Op, res: u32, other: u32, holder: u32, timed: bool) {
        let body = OpBody { op: op as u16, other: lane16(other), res, a: if holder == NONE { -1 } else { holder as i64 }, b: timed as i64, ..Default::default() };
        self.emit(RawKind::Block, body, None);
    }

    /// Records that this process's op woke lane `woken`, handing it `res`.
    pub fn record_wake(&self, op: Op, res: u32, woken: u32) {
        let body = OpBody { op: op as u16, other: lane16(woken), res, ..Default::default() };
        self.emit(RawKind::Wake, body, None);
    }

    pub fn record_timeout(&self, op: Op, res: u32, other: u32) {
        let body = OpBody { op: op as u16, other: lane16(other), res, ..Default::default() };
        self.emit(RawKind::Timeout, body, None);
    }

    /// Writes a standalone text (print, error, report, …), all of it: as
    /// many groups as it takes, each small enough for the ring (see
    /// [`text_groups`]). The groups are the chunks alone: a head record with
    /// an empty body would not decode as a chunk, and the drainer would
    /// count it as corrupt.
    pub fn record_text(&self, tag: TextTag, text: &str) {
        if matches!(tag, TextTag::Print | TextTag::Report | TextTag::Stderr | TextTag::PrintPart | TextTag::StderrPart) {
            // A print or report is one op: its step rides on the text itself.
            self.gates.set(0);
        }
        let line = self.me.line.load(Relaxed);
        let per_group = self.v.producer(self.lane).map_or(1, |r| r.cap() as usize / 2);
        for chunks in text_groups(tag, text, per_group) {
            let mut group: Vec<RawRecord> = chunks.into_iter().map(|body| RawRecord { kind: RawKind::Text as u16, line, body, ..RawRecord::EMPTY }).collect();
            self.v.emit(self.lane, &mut group);
        }
    }

    /// Records a new resource.
    pub fn record_resource(&self, res: u32, kind: ResKind, capacity: i64) {
        let body = OpBody { res, a: kind as i64, b: capacity, other: NO_LANE, ..Default::default() };
        self.emit(RawKind::ResourceNew, body, None);
    }

    /// Runs `make` (which creates one resource) so that the resource is called
    /// `name` instead of its default `Kind-N`: how a front-end names a
    /// resource after the variable it is created into.
    pub fn named<T>(&self, name: Option<&str>, make: impl FnOnce() -> T) -> T {
        self.local.borrow_mut().next_name = name.filter(|n| !n.is_empty()).map(str::to_string);
        let out = make();
        self.local.borrow_mut().next_name = None;
        out
    }

    /// Sets the current script line (1-based).
    #[inline]
    pub fn set_line(&self, line: u32) {
        self.me.line.store(line, Relaxed);
    }

    /// The process's Python-style name.
    pub fn name(&self) -> String {
        self.local.borrow().name.clone()
    }

    /// The pid of the process that started this one (the conductor for
    /// `main`): multiprocessing's `parent_process().pid`. It is the OS parent
    /// too, unless the run's fork server started this process (then that is
    /// the run's template, as with Python's forkserver start method).
    pub fn parent_pid(&self) -> i32 {
        match self.me.parent.load(Acquire) {
            NONE => self.v.control().conductor_pid.load(Acquire),
            parent => self.v.lane(parent).map_or(0, |p| p.pid.load(Acquire)),
        }
    }

    /// This process's children (shared by its threads).
    pub fn family(&self) -> std::sync::MutexGuard<'_, Family> {
        self.family.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn lane_name(&self, lane: u32) -> String {
        self.v.lane(lane).map(|l| l.name.get()).unwrap_or_else(|| format!("lane {lane}"))
    }
}

/// A lane index in a record's 16-bit field.
pub fn lane16(lane: u32) -> u16 {
    if lane == NONE || lane >= NO_LANE as u32 { NO_LANE } else { lane as u16 }
}
