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
//!
//! Files: `record` (what the model reads), `op` (a completed op, read
//! through names), `state` (a process, a resource), `log` (the log and the
//! findings), `deadlock` (the wait-for graph), `sync` and `ipc` (what each
//! kind of resource does with its ops), `summary` (the end of a run); this
//! file applies records.

pub mod conflict;
mod deadlock;
#[cfg(test)]
pub mod feed;
pub mod ipc;
pub mod locals;
mod log;
mod op;
pub mod record;
mod state;
pub mod summary;
pub mod sync;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use deadlock::{DeadWait, Deadlock};
pub use log::{ConsoleWrite, Finding, LogEntry, LogEvent, LogKind, Said};
pub use op::ResOp;
pub use record::{Record, RecordKind};
pub use state::{ACCESS_CAP, Place, ValueAccess, FINDINGS_CAP, HISTORY_CAP, LOG_CAP, PState, ProcessState, ResourceState, Wait};

use crate::vocab::{Lane, Op, ResId, ResKind};

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
    /// What the processes wrote, write by write, as a terminal receives it
    /// (bounded as the log is, by [`LOG_CAP`]).
    pub console: Vec<ConsoleWrite>,
    /// Each process's variables at its latest step (Python, while stepped:
    /// see [`locals`]).
    pub locals: BTreeMap<Lane, locals::Vars>,
    /// The record being applied: (seq, line), for the log entries that the
    /// kinds' own updates (`sync`) write.
    #[serde(skip)]
    applying: (u64, u32),
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

    fn console_write(&mut self, lane: Lane, stderr: bool, text: &str, newline: bool) {
        self.console.push(ConsoleWrite { lane, stderr, text: text.to_string(), newline });
        if self.console.len() > LOG_CAP {
            self.console.drain(..LOG_CAP / 2);
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
        self.applying = (r.seq, r.line);
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
                    killed_at_close: false,
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
            RecordKind::Print { text, part } => {
                self.after_op(r.lane, t, Op::Print);
                self.console_write(r.lane, false, text, !part);
                self.log(r, r.lane, LogKind::Print, text.clone());
            }
            RecordKind::Stderr { text, part } => {
                self.after_op(r.lane, t, Op::Print);
                self.console_write(r.lane, true, text, !part);
                self.log(r, r.lane, LogKind::Stderr, text.clone());
            }
            RecordKind::LineEnd => self.console_write(r.lane, false, "", true),
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
            RecordKind::Locals { text } => {
                let vars = self.locals.entry(r.lane).or_default();
                vars.step(locals::parse(text));
                vars.seq = r.seq;
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
        let (lane, op, res, other) = (done.lane, done.op, done.res, done.other);
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
                if let Some((path, preview)) = done.file() {
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
            Some(ResKind::RLock | ResKind::Semaphore | ResKind::BoundedSemaphore | ResKind::Event | ResKind::Condition | ResKind::Barrier | ResKind::Value | ResKind::Array | ResKind::Managed) => sync::apply(self, id, ctx),
            Some(_) => ipc::apply(self, id, ctx),
        }
    }

    fn apply_ended(&mut self, r: &Record, lane: Lane, exitcode: i32, truth: Option<&[ResId]>) {
        let t = r.t_ns;
        let state = if exitcode < 0 { PState::Killed(-exitcode) } else { PState::Exited(exitcode) };
        let holds: Vec<ResId> = match self.processes.get_mut(&lane) {
            Some(p) => {
                p.exitcode = Some(exitcode);
                // After `Closing`, forkscope's own SIGKILL ended it.
                p.killed_at_close = self.closing && exitcode < 0;
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

    /// A read or write of a shared Value, Array element or manager's object, in the log.
    fn shared_access(&mut self, res: ResId, a: ValueAccess) {
        let (seq, line) = self.applying;
        let event = LogEvent::Shared { write: a.write, res, place: a.place, value: a.value };
        self.push_log(LogEntry { seq, t_ns: a.t_ns, lane: a.lane, line, kind: LogKind::Event, text: String::new(), event: Some(event) });
    }

    /// The process whose variables were taken last (the one that stepped last).
    pub fn last_stepped(&self) -> Option<Lane> {
        self.locals.iter().max_by_key(|(_, v)| v.seq).map(|(l, _)| *l)
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
