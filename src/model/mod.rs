//! The model: everything known about a run, built only from [`Record`]s by the
//! pure [`Model::apply`] (no I/O, no clock, no UI types). The dashboard, the
//! headless printer and the exporters all draw from it; replaying the same
//! records always gives the same model.
//!
//! It holds the processes (tree, state, current line, exit), the resources
//! (owner, waiters, values), the wait-for graph that [`Model::deadlock`] checks,
//! the log, reported values and findings.
//!
//! It writes no sentence: what forkscope saw is kept as kinds and ids
//! ([`LogEvent`], [`Said`], [`Deadlock`]'s [`DeadWait`]s), and `crate::words`
//! says it in English or Chinese, so the dashboard can switch language at any
//! time (`L`) and headless output stays English. Only what the run itself
//! wrote (prints, stderr, error and assert messages) is text here.

#[cfg(test)]
pub mod feed;
pub mod ipc;
pub mod record;
pub mod summary;
pub mod sync;

impl ResourceState {
    pub fn new(id: ResId, kind: ResKind, name: &str, capacity: i64, creator: Lane) -> ResourceState {
        ResourceState {
            id,
            kind,
            name: name.to_string(),
            capacity,
            creator,
            owner: None,
            holders: vec![],
            waiters: vec![],
            waiters2: vec![],
            value: 0,
            count: 0,
            items: vec![],
            text: String::new(),
            closed: false,
        }
    }
}

/// A completed op, as an `Op` record carries it, read through names: the
/// record's generic values (`a b c`, whose meaning depends on the op, see
/// [`Op`]) are private, and each accessor says which value it is for which
/// ops. [`Record::res_op`] makes one; the model (`sync`, `ipc`), the trace
/// exporter and explore read ops only this way.
#[derive(Clone, Copy, Debug)]
pub struct ResOp<'a> {
    pub lane: Lane,
    pub op: Op,
    pub res: Option<ResId>,
    /// The other process: the child (start, join, is_alive), the target
    /// (terminate, kill), the process a release or a put/send handed to.
    pub other: Option<Lane>,
    a: i64,
    b: i64,
    c: i64,
    /// The op's text: an item's preview, a file's path and preview, an address…
    pub detail: Option<&'a str>,
}

impl<'a> ResOp<'a> {
    /// `acquire`: got the lock or unit (false: a timeout or a non-blocking
    /// miss). `wait` (Event, Condition, Barrier): the condition held (false:
    /// a timeout).
    pub fn succeeded(&self) -> bool {
        self.a == 1
    }

    /// `acquire`, `release`: the count after (a Lock's 1 or 0, an RLock's
    /// depth, a Semaphore's value). `load` of a Semaphore: its value.
    pub fn count_after(&self) -> i64 {
        if self.op == Op::Acquire { self.b } else { self.a }
    }

    /// `acquire` of a Semaphore: the unit was handed over by a release,
    /// whose record already gave it to this process.
    pub fn was_handed(&self) -> bool {
        self.c == 1
    }

    /// Queue ops: its depth after; Pipe ops: messages in transit after;
    /// Pool ops: pending tasks after; `accept`: connections accepted.
    pub fn depth_after(&self) -> i64 {
        self.a
    }

    /// Queue ops: unfinished tasks after (a JoinableQueue); Pool ops:
    /// running tasks after.
    pub fn unfinished_after(&self) -> i64 {
        self.b
    }

    /// The item went through the buffer: `put`, `send` queued it (rather
    /// than handing it straight to a waiting receiver, or failing); `get`,
    /// `recv` took it from the queue (rather than from a putter's hand, or
    /// at end of file). A Pipe's `close`: no holder of that end is left.
    pub fn through_buffer(&self) -> bool {
        self.c == 0
    }

    /// `recv` of a Pipe: end of file, no message.
    pub fn at_eof(&self) -> bool {
        self.c == 2
    }

    /// `accept`: the accepted connection (its socket resource).
    pub fn connection(&self) -> Option<ResId> {
        u32::try_from(self.b).ok().map(ResId)
    }

    /// Pipe ops: the end used (0 or 1).
    pub fn pipe_end(&self) -> i64 {
        self.b & 1
    }

    /// `get` of a Pool's task or an AsyncResult: it had a result (negative:
    /// it raised, or timed out).
    pub fn got_result(&self) -> bool {
        self.c >= 0
    }

    /// `put` of an AsyncResult: parts done, and parts in all.
    pub fn parts(&self) -> (i64, i64) {
        (self.a, self.b)
    }

    /// `connect`: it failed.
    pub fn refused(&self) -> bool {
        self.c < 0
    }

    /// `join`: the child's exit code.
    pub fn exitcode(&self) -> i64 {
        self.a
    }

    /// `join(timeout)`: it gave up, the child still alive.
    pub fn gave_up(&self) -> bool {
        self.b == 1
    }

    /// `terminate`, `kill`: the signal sent.
    pub fn signal(&self) -> i32 {
        self.a as i32
    }

    /// A flag read or left: `is_set`, `ready`, `is_alive`; a socket's
    /// `close` (0: the last holder closed it); a Barrier's `set`: broken.
    pub fn flag(&self) -> i64 {
        self.a
    }

    /// `load`, `store` of a Value or Array: the number's bits (an integer,
    /// or an `f64`'s bits when [`Self::is_float`]).
    pub fn bits(&self) -> i64 {
        self.a
    }

    /// `load`, `store` of an Array: the index (negative: the whole array).
    pub fn index(&self) -> i64 {
        self.b
    }

    /// `load`, `store`: the number is a float.
    pub fn is_float(&self) -> bool {
        self.c & 1 == 1
    }

    /// The raw values, for a view that shows them as they are (the trace's
    /// `args`).
    pub fn raw(&self) -> (i64, i64, i64) {
        (self.a, self.b, self.c)
    }
}

impl Record {
    /// The op this record says completed, if it is an `Op` record.
    pub fn res_op(&self) -> Option<ResOp<'_>> {
        match &self.kind {
            RecordKind::Op { op, res, other, a, b, c, detail } => Some(ResOp { lane: self.lane, op: *op, res: *res, other: *other, a: *a, b: *b, c: *c, detail: detail.as_deref() }),
            _ => None,
        }
    }
}

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use record::{Record, RecordKind};

use crate::vocab::{Lane, Op, ResId, ResKind};

/// A process's state as the records tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PState {
    Starting,
    Running,
    Ready,
    Blocked,
    Sleeping,
    /// Ended by returning or an uncaught error: the exit code.
    Exited(i32),
    /// Ended by a signal: the signal number.
    Killed(i32),
}

impl PState {
    pub fn is_live(self) -> bool {
        !matches!(self, PState::Exited(_) | PState::Killed(_))
    }

}

/// What a blocked process waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub op: Op,
    /// The resource, if it waits on one.
    pub res: Option<ResId>,
    /// The process, if it waits on one (join).
    pub on: Option<Lane>,
    /// Who held the resource when it blocked.
    pub holder: Option<Lane>,
    /// The wait ends by itself (timeout or sleep).
    pub timed: bool,
    pub since_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessState {
    pub lane: Lane,
    pub name: String,
    pub pid: i32,
    pub ppid: i32,
    pub parent: Option<Lane>,
    pub daemon: bool,
    pub target: String,
    pub state: PState,
    pub line: u32,
    pub wait: Option<Wait>,
    /// Python exitcode once ended.
    pub exitcode: Option<i32>,
    pub ops: u64,
    pub last_op: Option<Op>,
    /// State changes: (time ns, state), oldest first (bounded).
    pub history: Vec<(u64, PState)>,
    /// Lock-like resources it holds.
    pub holds: BTreeSet<ResId>,
    /// Who ended its last wait, and with what: (waker lane, resource).
    pub woken_by: Option<(Lane, Option<ResId>)>,
    /// `ops` when it was woken: the wake is news until its next op after the woken one.
    pub woken_at_ops: u64,
}

impl ProcessState {
    /// Who woke it, while that is still the latest thing that happened to it
    /// (until it completes an op after the one it was woken in).
    pub fn fresh_wake(&self) -> Option<(Lane, Option<ResId>)> {
        self.woken_by.filter(|_| self.wait.is_none() && self.state.is_live() && self.ops <= self.woken_at_ops + 1)
    }
}

/// Most history entries kept per process.
pub const HISTORY_CAP: usize = 4096;
/// Most log entries kept (the oldest half goes when it is reached).
pub const LOG_CAP: usize = 100_000;
/// Most findings kept.
pub const FINDINGS_CAP: usize = 1_000;

impl ProcessState {
    fn set_state(&mut self, t: u64, s: PState) {
        if self.state != s {
            self.state = s;
            if self.history.len() >= HISTORY_CAP {
                self.history.drain(..HISTORY_CAP / 2);
            }
            self.history.push((t, s));
        }
    }
}

/// A shared resource as the records tell it. The fields are generic; what each
/// means for each kind (the dashboard draws them this way):
///
/// | kind | `value` | `capacity` | `count` | `owner` | `holders` | `waiters` | `waiters2` | `items` / `text` |
/// |---|---|---|---|---|---|---|---|---|
/// | Lock | 1 held / 0 free | 1 | | holder | | acquirers | | |
/// | RLock | depth | 1 | depth | holder | | acquirers | | |
/// | Semaphore, BoundedSemaphore | current value | initial value (bound) | | | lanes holding a unit (repeats allowed) | acquirers | | |
/// | Event | flag 0/1 | | | | | waiters | | |
/// | Condition | | its lock's resource id | | its lock's holder | | in `wait` | notified, re-acquiring the lock | |
/// | Barrier | parties waiting | parties | broken 0/1 | | | waiters | | |
/// | Queue, JoinableQueue | depth | maxsize (0 = unbounded) | unfinished tasks | | | getters | putters, and processes in `join()` | items: previews, oldest first |
/// | Pipe | messages in transit | 1 duplex, 0 one-way | ends closed: bit 0 end 0, bit 1 end 1 | | | receivers (`recv`, `poll`) | | items: previews prefixed `→0 `/`→1 ` (the end they travel to); `closed` once an end has no holder |
/// | Value, Array | integer value if any | length | its lock's resource id | its lock's holder | | its lock's waiters | | `text`: current value; items: elements |
/// | Pool | pending tasks | workers | running tasks | | worker lanes | idle workers waiting for a task | the creator in `join()` | `closed` after close()/terminate(); `text`: last task taken |
/// | Socket | connections accepted | | | | | in `accept`/`recv` | | `text`: address; items: last messages (`→ sent`, `← received`); `closed` |
/// | AsyncResult | ready 0/1 | parts (1, or a map's length) | parts done | | | in `get` | | `text`: result (or its error) |
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceState {
    pub id: ResId,
    pub kind: ResKind,
    pub name: String,
    pub capacity: i64,
    pub creator: Lane,
    pub owner: Option<Lane>,
    pub holders: Vec<Lane>,
    /// Processes blocked on it, in arrival order.
    pub waiters: Vec<Lane>,
    /// A second queue of blocked processes (putters on a full queue, …).
    pub waiters2: Vec<Lane>,
    pub value: i64,
    pub count: i64,
    pub items: Vec<String>,
    pub text: String,
    pub closed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Print,
    /// Standard error output (printed by the lesson, like `Print`).
    Stderr,
    Event,
    Error,
    Finding,
    Report,
}

/// One line of the log: what a process wrote, or what forkscope saw happen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub t_ns: u64,
    pub lane: Lane,
    pub line: u32,
    pub kind: LogKind,
    /// What the program wrote, as it wrote it (`Print`, `Stderr`, `Error`);
    /// empty for the rest.
    pub text: String,
    /// What forkscope saw (`Event`, `Report`, `Finding`), as kinds and ids:
    /// `crate::words` says it in a language.
    pub event: Option<LogEvent>,
}

/// Something forkscope saw happen, kept as kinds and ids (no sentence): the
/// views say it in their language (`crate::words::event`). The process the
/// entry is about is the entry's `lane`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogEvent {
    /// It (or forkscope, lane 0) started `child`.
    Started { child: Lane, pid: i32, daemon: bool },
    /// It blocked in `op` on resource `res` (held by `holder`) or on process `on`.
    Blocked { op: Op, res: Option<ResId>, on: Option<Lane>, holder: Option<Lane> },
    /// Its op woke `woken`, who waited in `op` on `res`; `handed`: the
    /// lock-like `res` is now `woken`'s.
    Woke { woken: Lane, op: Op, res: ResId, handed: bool },
    /// Its wait in `op` ended by timeout.
    TimedOut { op: Op },
    /// It sent `signal` to `to` (`terminate()`, `kill()`).
    Sent { signal: i32, to: Lane },
    /// Its `join(secs)` of `on` timed out.
    GaveUpJoin { on: Lane },
    /// It joined `on`, which had ended with `exitcode`.
    Joined { on: Lane, exitcode: i64 },
    /// It ended.
    Ended { state: PState },
    /// The run is over: forkscope ends what is left (lane 0).
    Closing,
    /// The user sent `signal` to `to` from the dashboard (lane 0).
    UserSent { signal: i32, to: Lane },
    /// It reported `key` = `value`.
    Report { key: String, value: serde_json::Value },
    /// A finding (see [`Finding`]).
    Finding(Said),
}

/// What a finding says, as kinds and ids, or as the run's own text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    /// Text the run wrote (a misuse the runtime noticed), shown as it is.
    Text(String),
    /// Text the run wrote about process `lane` (its error, its failed assert).
    Of { lane: Lane, text: String },
    /// `lane` ended (by `signal`, or by itself) while holding `res`: they are
    /// never released.
    EndedHolding { lane: Lane, signal: Option<i32>, daemon: bool, res: Vec<ResId> },
    /// `lane` released Lock `res`, which `holder` held (Python allows it for
    /// a `multiprocessing.Lock`; it is almost always a mistake).
    ReleasedOthers { lane: Lane, res: ResId, holder: Lane },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `error`, `assertion`, `ended_holding`, `misuse`, …
    pub kind: String,
    pub said: Said,
    pub processes: Vec<Lane>,
    pub resources: Vec<ResId>,
}

/// One process of a deadlock, as it waited when the deadlock was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadWait {
    pub lane: Lane,
    pub op: Op,
    /// The resource it waits on, and who owned it then.
    pub res: Option<ResId>,
    pub owner: Option<Lane>,
    /// The process it joins.
    pub on: Option<Lane>,
}

/// A deadlock: a cycle in the wait-for graph, or a stall (every live process
/// waits, untimed, and none of them can be woken by anyone outside the set).
/// `crate::words::deadlock` says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadlock {
    /// `cycle` or `stall`.
    pub kind: String,
    pub processes: Vec<Lane>,
    pub resources: Vec<ResId>,
    /// Each process of the cycle (in its order) or of the stall.
    pub waits: Vec<DeadWait>,
}

/// A file the lesson touched: last op on it and a preview of its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileState {
    pub path: String,
    pub preview: String,
    pub last_lane: Lane,
    pub last_op: Op,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Model {
    pub processes: BTreeMap<Lane, ProcessState>,
    pub resources: BTreeMap<ResId, ResourceState>,
    pub files: BTreeMap<String, FileState>,
    pub log: Vec<LogEntry>,
    pub reported: BTreeMap<String, serde_json::Value>,
    pub findings: Vec<Finding>,
    /// Steps granted so far.
    pub steps: u64,
    pub paused: bool,
    /// Time of the latest record.
    pub now_ns: u64,
    pub records: u64,
    pub assertion_failed: bool,
    /// The run is over and forkscope is ending what is left (their ends teach nothing).
    pub closing: bool,
    /// Log entries dropped from the front so far (see [`LOG_CAP`]).
    pub log_trimmed: u64,
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// Name of a process (or `conductor`, or `#lane`).
    pub fn pname(&self, lane: Lane) -> String {
        if lane == Lane::CONDUCTOR {
            return "forkscope".into();
        }
        self.processes.get(&lane).map(|p| p.name.clone()).unwrap_or_else(|| format!("#{lane}"))
    }

    pub fn rname(&self, res: ResId) -> String {
        self.resources.get(&res).map(|r| r.name.clone()).unwrap_or_else(|| format!("resource {res}"))
    }

    fn log(&mut self, r: &Record, lane: Lane, kind: LogKind, text: String) {
        self.push_log(LogEntry { seq: r.seq, t_ns: r.t_ns, lane, line: r.line, kind, text, event: None });
    }

    /// Logs what forkscope saw `lane` do (`Event`; a report or finding by its kind).
    fn event(&mut self, r: &Record, lane: Lane, event: LogEvent) {
        let kind = match event {
            LogEvent::Report { .. } => LogKind::Report,
            LogEvent::Finding(_) => LogKind::Finding,
            _ => LogKind::Event,
        };
        self.push_log(LogEntry { seq: r.seq, t_ns: r.t_ns, lane, line: r.line, kind, text: String::new(), event: Some(event) });
    }

    fn push_log(&mut self, e: LogEntry) {
        self.log.push(e);
        // A lesson printing in an endless loop must not grow the conductor
        // without bound: the oldest half goes (counted in `log_trimmed`).
        if self.log.len() > LOG_CAP {
            self.log.drain(..LOG_CAP / 2);
            self.log_trimmed += (LOG_CAP / 2) as u64;
        }
    }

    fn finding(&mut self, r: &Record, kind: &str, said: Said, processes: Vec<Lane>, resources: Vec<ResId>) {
        self.event(r, r.lane, LogEvent::Finding(said.clone()));
        // The same misuse in a loop is one lesson, not a thousand findings.
        if self.findings.len() < FINDINGS_CAP && !self.findings.iter().any(|f| f.kind == kind && f.said == said) {
            self.findings.push(Finding { kind: kind.into(), said, processes, resources });
        }
    }

    fn proc_mut(&mut self, lane: Lane) -> Option<&mut ProcessState> {
        self.processes.get_mut(&lane)
    }

    fn set_state(&mut self, lane: Lane, t: u64, s: PState) {
        if let Some(p) = self.processes.get_mut(&lane)
            && p.state.is_live() {
                p.set_state(t, s);
            }
    }

    /// Applies one record. Pure: same records, same model.
    pub fn apply(&mut self, r: &Record) {
        self.records += 1;
        self.now_ns = self.now_ns.max(r.t_ns);
        let t = r.t_ns;
        if let Some(p) = self.processes.get_mut(&r.lane)
            && r.line > 0 {
                p.line = r.line;
            }
        match &r.kind {
            RecordKind::Spawn { child, pid, ppid, daemon, name, target } => {
                let parent = (r.lane != Lane::CONDUCTOR).then_some(r.lane);
                let p = ProcessState {
                    lane: *child,
                    name: name.clone(),
                    pid: *pid,
                    ppid: *ppid,
                    parent,
                    daemon: *daemon,
                    target: target.clone(),
                    state: PState::Starting,
                    line: 0,
                    wait: None,
                    exitcode: None,
                    ops: 0,
                    last_op: None,
                    history: vec![(t, PState::Starting)],
                    holds: BTreeSet::new(),
                    woken_by: None,
                    woken_at_ops: 0,
                };
                self.processes.insert(*child, p);
                if r.lane != Lane::CONDUCTOR {
                    self.after_op(r.lane, t, Op::Start);
                }
                self.event(r, r.lane, LogEvent::Started { child: *child, pid: *pid, daemon: *daemon });
            }
            RecordKind::Park => self.set_state(r.lane, t, PState::Ready),
            RecordKind::Op { .. } => {
                if let Some(op) = r.res_op() {
                    self.apply_op(r, &op);
                }
            }
            RecordKind::Block { op, res, other, holder, timed } => {
                let state = if *op == Op::Sleep { PState::Sleeping } else { PState::Blocked };
                self.set_state(r.lane, t, state);
                if let Some(p) = self.proc_mut(r.lane) {
                    p.wait = Some(Wait { op: *op, res: *res, on: *other, holder: *holder, timed: *timed, since_ns: t });
                }
                if let Some(res) = res
                    && let Some(rs) = self.resources.get_mut(res) {
                        let queue = if ipc::second_queue(rs.kind, *op) { &mut rs.waiters2 } else { &mut rs.waiters };
                        if !queue.contains(&r.lane) {
                            queue.push(r.lane);
                        }
                    }
                if *op != Op::Sleep {
                    let on = if res.is_some() { None } else { *other };
                    self.event(r, r.lane, LogEvent::Blocked { op: *op, res: *res, on, holder: holder.filter(|_| res.is_some()) });
                }
            }
            RecordKind::Wake { op, res, woken } => {
                self.set_state(*woken, t, PState::Ready);
                if let Some(p) = self.proc_mut(*woken) {
                    p.wait = None;
                    p.woken_by = Some((r.lane, *res));
                    p.woken_at_ops = p.ops;
                }
                if let Some(res) = res {
                    let lock_like = self.resources.get(res).is_some_and(|rs| matches!(rs.kind, ResKind::Lock | ResKind::RLock));
                    if let Some(rs) = self.resources.get_mut(res) {
                        rs.waiters.retain(|w| w != woken);
                        // A Condition's second queue holds the notified, still
                        // re-acquiring its lock: they stay until they have it.
                        if rs.kind != ResKind::Condition {
                            rs.waiters2.retain(|w| w != woken);
                        }
                        if lock_like {
                            rs.owner = Some(*woken);
                        }
                    }
                    if lock_like {
                        if let Some(p) = self.proc_mut(*woken) {
                            p.holds.insert(*res);
                        }
                        if let Some(p) = self.proc_mut(r.lane) {
                            p.holds.remove(res);
                        }
                    }
                    self.event(r, r.lane, LogEvent::Woke { woken: *woken, op: *op, res: *res, handed: lock_like });
                }
            }
            RecordKind::Timeout { op, res, other: _ } => {
                if let Some(res) = res
                    && let Some(rs) = self.resources.get_mut(res) {
                        rs.waiters.retain(|w| *w != r.lane);
                        rs.waiters2.retain(|w| *w != r.lane);
                    }
                if let Some(p) = self.proc_mut(r.lane) {
                    p.wait = None;
                }
                self.set_state(r.lane, t, PState::Running);
                self.event(r, r.lane, LogEvent::TimedOut { op: *op });
            }
            RecordKind::Print { text } => {
                self.after_op(r.lane, t, Op::Print);
                self.log(r, r.lane, LogKind::Print, text.clone());
            }
            RecordKind::Stderr { text } => {
                self.after_op(r.lane, t, Op::Print);
                self.log(r, r.lane, LogKind::Stderr, text.clone());
            }
            RecordKind::Error { message } => {
                self.findings.push(Finding { kind: "error".into(), said: Said::Of { lane: r.lane, text: message.clone() }, processes: vec![r.lane], resources: vec![] });
                self.log(r, r.lane, LogKind::Error, message.clone());
            }
            RecordKind::Assert { message } => {
                self.assertion_failed = true;
                self.findings.push(Finding { kind: "assertion".into(), said: Said::Of { lane: r.lane, text: message.clone() }, processes: vec![r.lane], resources: vec![] });
            }
            RecordKind::Report { key, value } => {
                self.after_op(r.lane, t, Op::Report);
                self.reported.insert(key.clone(), value.clone());
                self.event(r, r.lane, LogEvent::Report { key: key.clone(), value: value.clone() });
            }
            RecordKind::Finding { message } => {
                self.finding(r, "misuse", Said::Text(message.clone()), vec![r.lane], vec![]);
            }
            RecordKind::Ended { process, exitcode, held } => self.apply_ended(r, *process, *exitcode, held.as_deref()),
            RecordKind::Resource { res, kind, name, capacity } => {
                let value = match kind {
                    ResKind::Semaphore | ResKind::BoundedSemaphore => *capacity,
                    _ => 0,
                };
                let mut rs = ResourceState::new(*res, *kind, name, *capacity, r.lane);
                rs.value = value;
                self.resources.insert(*res, rs);
            }
            RecordKind::Grant { .. } => self.steps += 1,
            RecordKind::Mode { paused } => self.paused = *paused,
            RecordKind::Closing => {
                self.closing = true;
                self.event(r, Lane::CONDUCTOR, LogEvent::Closing);
            }
            RecordKind::Signal { process, signal } => {
                self.event(r, Lane::CONDUCTOR, LogEvent::UserSent { signal: *signal, to: *process });
            }
        }
        // Derived fields of the sync kinds (a Value shows its lock's holder, …).
        match &r.kind {
            RecordKind::Op { res: Some(res), .. } | RecordKind::Block { res: Some(res), .. } | RecordKind::Wake { res: Some(res), .. } | RecordKind::Timeout { res: Some(res), .. } => sync::after_record(self, Some(*res), None),
            RecordKind::Ended { process, .. } => sync::after_record(self, None, Some(*process)),
            _ => {}
        }
    }

    /// An op completed: the process is running its code again.
    fn after_op(&mut self, lane: Lane, t: u64, op: Op) {
        if let Some(p) = self.processes.get_mut(&lane) {
            p.ops += 1;
            p.last_op = Some(op);
            p.wait = None;
            if p.state.is_live() {
                p.set_state(t, PState::Running);
            }
        }
    }

    fn apply_op(&mut self, r: &Record, done: &ResOp<'_>) {
        let (lane, op, res, other, detail) = (done.lane, done.op, done.res, done.other, done.detail);
        self.after_op(lane, r.t_ns, op);
        match op {
            Op::Acquire if done.succeeded() => {
                if let Some(res) = res {
                    if let Some(rs) = self.resources.get_mut(&res) {
                        rs.waiters.retain(|w| *w != lane);
                        if matches!(rs.kind, ResKind::Lock | ResKind::RLock) {
                            rs.owner = Some(lane);
                        }
                        rs.value = done.count_after();
                    }
                    if let Some(p) = self.proc_mut(lane) {
                        p.holds.insert(res);
                    }
                    self.apply_kind(res, done);
                }
            }
            Op::Release => {
                if let Some(res) = res {
                    let prev = self.resources.get(&res).and_then(|rs| rs.owner);
                    if let Some(holder) = prev
                        && holder != lane
                        && self.resources.get(&res).is_some_and(|rs| rs.kind == ResKind::Lock)
                    {
                        self.finding(r, "misuse", Said::ReleasedOthers { lane, res, holder }, vec![lane, holder], vec![res]);
                    }
                    if let Some(rs) = self.resources.get_mut(&res) {
                        if matches!(rs.kind, ResKind::Lock | ResKind::RLock) {
                            rs.owner = other;
                        }
                        rs.value = done.count_after();
                        if let Some(o) = other {
                            rs.waiters.retain(|w| *w != o);
                        }
                    }
                    for holder in [Some(lane), prev].into_iter().flatten() {
                        if let Some(p) = self.proc_mut(holder) {
                            p.holds.remove(&res);
                        }
                    }
                    if let Some(o) = other
                        && let Some(p) = self.proc_mut(o) {
                            p.holds.insert(res);
                        }
                    self.apply_kind(res, done);
                }
            }
            _ if res.is_some_and(|id| self.resources.get(&id).is_some_and(|rs| !matches!(rs.kind, ResKind::Lock))) => {
                // Every other kind of resource: see `sync` and `ipc`.
                let id = res.expect("checked");
                self.apply_kind(id, done);
            }
            Op::ReadJson | Op::WriteJson | Op::ReadText | Op::WriteText | Op::AppendText => {
                if let Some((path, preview)) = detail.and_then(|d| d.split_once('\t')) {
                    let entry = self.files.entry(path.to_string()).or_insert_with(|| FileState { path: path.to_string(), preview: String::new(), last_lane: lane, last_op: op });
                    entry.last_lane = lane;
                    entry.last_op = op;
                    if op != Op::AppendText {
                        entry.preview = preview.to_string();
                    } else {
                        entry.preview = appended_preview(&entry.preview, preview);
                    }
                }
            }
            Op::Terminate | Op::Kill => {
                if let Some(o) = other {
                    self.event(r, lane, LogEvent::Sent { signal: done.signal(), to: o });
                }
            }
            Op::Join => {
                if let Some(o) = other {
                    let ev = if done.gave_up() { LogEvent::GaveUpJoin { on: o } } else { LogEvent::Joined { on: o, exitcode: done.exitcode() } };
                    self.event(r, lane, ev);
                }
            }
            _ => {}
        }
    }

    /// What an op does to resource `id` beyond what all kinds share: see `sync` and `ipc`.
    fn apply_kind(&mut self, id: ResId, ctx: &ResOp<'_>) {
        match self.resources.get(&id).map(|rs| rs.kind) {
            None | Some(ResKind::Lock) => {}
            Some(ResKind::RLock | ResKind::Semaphore | ResKind::BoundedSemaphore | ResKind::Event | ResKind::Condition | ResKind::Barrier | ResKind::Value | ResKind::Array) => sync::apply(self, id, ctx),
            Some(_) => ipc::apply(self, id, ctx),
        }
    }

    fn apply_ended(&mut self, r: &Record, lane: Lane, exitcode: i32, truth: Option<&[ResId]>) {
        let t = r.t_ns;
        let state = if exitcode < 0 { PState::Killed(-exitcode) } else { PState::Exited(exitcode) };
        let holds: Vec<ResId> = match self.processes.get_mut(&lane) {
            Some(p) => {
                p.exitcode = Some(exitcode);
                p.wait = None;
                p.set_state(t, state);
                p.holds.iter().copied().collect()
            }
            None => return,
        };
        for rs in self.resources.values_mut() {
            rs.waiters.retain(|w| *w != lane);
            rs.waiters2.retain(|w| *w != lane);
        }
        // A join of it is over: the joiner is woken and may go on (its join
        // record comes at its next step), so it is ready, not blocked.
        for p in self.processes.values_mut() {
            if p.state.is_live() && p.wait.as_ref().is_some_and(|w| w.on == Some(lane)) {
                p.woken_by = Some((lane, None));
                p.woken_at_ops = p.ops;
                if p.wait.as_ref().is_some_and(|w| w.op == Op::Join) {
                    p.wait = None;
                    p.set_state(t, PState::Ready);
                }
            }
        }
        self.event(r, lane, LogEvent::Ended { state });
        if let Some(truth) = truth {
            // The conductor read the resource table after the death: a process
            // killed inside an op may own what its records do not say yet, or
            // no longer own what they still say.
            // The table has owners only: units of a Semaphore (its `holders`)
            // are not in it, and stay held as the records say.
            for res in &holds {
                if !truth.contains(res)
                    && let Some(rs) = self.resources.get_mut(res)
                    && rs.owner == Some(lane)
                {
                    rs.owner = None;
                    rs.value = 0;
                    if let Some(p) = self.processes.get_mut(&lane) {
                        p.holds.remove(res);
                    }
                }
            }
            for &res in truth {
                let Some(rs) = self.resources.get_mut(&res) else { continue };
                rs.owner = Some(lane);
                rs.waiters.retain(|w| *w != lane);
                if let Some(p) = self.processes.get_mut(&lane) {
                    p.holds.insert(res);
                }
            }
        }
        let holds: Vec<ResId> = self.processes.get(&lane).map(|p| p.holds.iter().copied().collect()).unwrap_or_default();
        // Owned (Lock, RLock, a Condition's lock) or a unit taken (Semaphore).
        let held: Vec<ResId> = holds.into_iter().filter(|res| self.resources.get(res).is_some_and(|rs| rs.owner == Some(lane) || rs.holders.contains(&lane))).collect();
        if !held.is_empty() && !self.closing {
            let daemon = self.processes.get(&lane).is_some_and(|p| p.daemon);
            let signal = match state {
                PState::Killed(s) => Some(s),
                _ => None,
            };
            let said = Said::EndedHolding { lane, signal, daemon, res: held.clone() };
            self.finding(r, "ended_holding", said, vec![lane], held);
        }
    }

    /// Live processes.
    pub fn live(&self) -> impl Iterator<Item = &ProcessState> {
        self.processes.values().filter(|p| p.state.is_live())
    }

    /// Lanes in tree order: each process followed by its children (by lane).
    pub fn tree_order(&self) -> Vec<(Lane, usize)> {
        let mut out = Vec::with_capacity(self.processes.len());
        let mut children: BTreeMap<Option<Lane>, Vec<Lane>> = BTreeMap::new();
        for p in self.processes.values() {
            let parent = p.parent.filter(|pp| self.processes.contains_key(pp));
            children.entry(parent).or_default().push(p.lane);
        }
        fn walk(of: Option<Lane>, depth: usize, children: &BTreeMap<Option<Lane>, Vec<Lane>>, out: &mut Vec<(Lane, usize)>) {
            if let Some(kids) = children.get(&of) {
                for &k in kids {
                    out.push((k, depth));
                    walk(Some(k), depth + 1, children, out);
                }
            }
        }
        walk(None, 0, &children, &mut out);
        out
    }

    /// Who could end `lane`'s wait: the lock's owner (a Lock, an RLock —
    /// also the lock a Condition's waiter takes back, or a Value's lock, since
    /// those waits are on the lock itself), the one process holding every
    /// taken unit of a Semaphore, the joined process. `None`: anyone might
    /// (an Event's `set`, a Condition's `notify`, a Barrier's last party).
    fn wakers(&self, w: &Wait) -> Option<Vec<Lane>> {
        if let Some(on) = w.on {
            return Some(vec![on]);
        }
        let rs = self.resources.get(&w.res?)?;
        match rs.kind {
            ResKind::Lock | ResKind::RLock => rs.owner.map(|o| vec![o]),
            ResKind::Semaphore | ResKind::BoundedSemaphore if rs.value == 0 => {
                let holders: BTreeSet<Lane> = rs.holders.iter().copied().collect();
                (holders.len() == 1).then(|| holders.into_iter().collect())
            }
            _ => None,
        }
    }

    /// How `lane` waits, for a [`Deadlock`].
    fn dead_wait(&self, lane: Lane, w: &Wait) -> DeadWait {
        let owner = w.res.and_then(|r| self.resources.get(&r)).and_then(|rs| rs.owner);
        DeadWait { lane, op: w.op, res: w.res, owner, on: if w.res.is_some() { None } else { w.on } }
    }

    /// Checks the wait-for graph for a cycle, then for a stall.
    pub fn deadlock(&self) -> Option<Deadlock> {
        let blocked: BTreeMap<Lane, &Wait> = self
            .live()
            .filter(|p| p.state == PState::Blocked)
            .filter_map(|p| p.wait.as_ref().filter(|w| !w.timed).map(|w| (p.lane, w)))
            // Joining a process that has ended is not stuck: the wake-up is on its way.
            .filter(|(_, w)| w.on.is_none_or(|on| self.processes.get(&on).is_some_and(|q| q.state.is_live())))
            .collect();
        // Cycle: follow the single waker of each blocked process.
        for &start in blocked.keys() {
            let mut path = vec![start];
            let mut cur = start;
            while let Some(next) = blocked.get(&cur).and_then(|w| self.wakers(w)).and_then(|v| (v.len() == 1).then(|| v[0])) {
                if let Some(pos) = path.iter().position(|&p| p == next) {
                    let cycle: Vec<Lane> = path[pos..].to_vec();
                    let resources: Vec<ResId> = cycle.iter().filter_map(|p| blocked.get(p).and_then(|w| w.res)).collect();
                    let waits = cycle.iter().map(|p| self.dead_wait(*p, blocked[p])).collect();
                    return Some(Deadlock { kind: "cycle".into(), processes: cycle, resources, waits });
                }
                if !blocked.contains_key(&next) {
                    break;
                }
                path.push(next);
                cur = next;
            }
        }
        // Stall: everyone left waits without a timeout.
        let live: Vec<&ProcessState> = self.live().collect();
        if !live.is_empty() && live.len() == blocked.len() {
            let processes: Vec<Lane> = live.iter().map(|p| p.lane).collect();
            let resources: Vec<ResId> = blocked.values().filter_map(|w| w.res).collect::<BTreeSet<_>>().into_iter().collect();
            let waits = live.iter().map(|p| self.dead_wait(p.lane, blocked[&p.lane])).collect();
            return Some(Deadlock { kind: "stall".into(), processes, resources, waits });
        }
        None
    }
}

/// A file's preview after an append: the content's end as far as the
/// previews tell it (previews are one line, whitespace collapsed, at most 60
/// characters), `…` where earlier text is left out.
fn appended_preview(before: &str, appended: &str) -> String {
    const MAX: usize = 60;
    let joined = match (before.is_empty(), appended.is_empty()) {
        (true, _) => appended.to_string(),
        (_, true) => before.to_string(),
        _ => format!("{before} {appended}"),
    };
    let n = joined.chars().count();
    if n <= MAX && !before.ends_with('…') {
        return joined;
    }
    let tail: String = joined.chars().skip(n.saturating_sub(MAX - 1)).collect();
    // A cut `before` leaves a gap: the tail starts after it if it can.
    let tail = match tail.rfind('…') {
        Some(i) => tail[i + '…'.len_utf8()..].trim_start().to_string(),
        None => tail,
    };
    format!("…{tail}")
}

#[cfg(test)]
mod tests;
