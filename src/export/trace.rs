//! A run as Chrome trace event JSON (the "JSON Object Format" that Perfetto
//! and chrome://tracing open), built from the run's records alone.
//!
//! **Tracks.** Every process is one track (`tid` = its lane: 1 = main, 2… in
//! start order), named `NAME · pid N`. A track sits in its *parent's* group:
//! the group's `pid` is the parent's real pid, named `children of NAME (pid
//! N)`; `main` sits in the conductor's group (the conductor's real pid), named
//! after the lesson, which also holds the conductor's own track (`tid` 0: step
//! grants, pauses, signals) and every counter. Lanes, not pids, are the `tid`s
//! so that no thread id can collide with a group id.
//!
//! **Spans** (`X`, so every begin has its end): one per stretch of a process's
//! state as the model tells it — `running`, `ready` (parked at the gate),
//! `blocked: OP RESOURCE (held by …)`, `sleeping`, `starting` — from the record
//! that entered it to the one that left it (or the end of the trace).
//!
//! **Instants** (`i`, thread scope): every completed op (`acquire ticket-lock`,
//! args `a b c`, detail, line), prints, reports, errors, findings, starts,
//! wake-ups, timeouts and ends.
//!
//! **Counters** (`C`, in the conductor's group), from the op values documented
//! on [`Op`]: `value` of a lock (1 held), RLock (depth) and semaphore (its
//! value); `set` of an event; `depth` (and `unfinished` for a JoinableQueue)
//! of a queue; `in transit` of a pipe; and for every resource `waiting`: how
//! many processes are blocked on it. A counter is written when it changes.
//!
//! **Flows** (`s` → `f`, binding to the enclosing span): one per hand-off
//! ([`super::handoff`]: a wake to the woken process's next op, a queued item
//! or message from its put/send to its get/recv). A flow whose end never
//! comes (the process was killed) is left out, so every `s` has its `f`.

mod check;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::model::{Model, PState, Record, RecordKind, ResOp};
use crate::vocab::{Lane, Op, ResId, ResKind};

use super::handoff::Handoffs;

pub use check::{TraceStats, check};

/// Microseconds, as the format wants (with ns precision).
fn us(t_ns: u64) -> f64 {
    t_ns as f64 / 1000.0
}

/// Where a flow starts: (time, group pid, lane).
#[derive(Clone, Copy, Debug)]
struct Point {
    t: u64,
    group: i64,
    lane: Lane,
}

#[derive(Debug)]
struct Span {
    start: u64,
    name: String,
    args: Value,
}

struct Builder<'r> {
    model: Model,
    events: Vec<Value>,
    /// Group pid of each lane's track.
    group: HashMap<Lane, i64>,
    root: i64,
    groups_named: BTreeMap<i64, usize>,
    open: BTreeMap<Lane, Span>,
    counters: HashMap<(ResId, &'static str), i64>,
    handoffs: Handoffs<Point>,
    next_flow: u64,
    title: &'r str,
}

impl Builder<'_> {
    fn name_group(&mut self, pid: i64, name: String) {
        if self.groups_named.contains_key(&pid) {
            return;
        }
        let index = self.groups_named.len();
        self.groups_named.insert(pid, index);
        self.events.push(json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}));
        self.events.push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": index}}));
    }

    fn point(&self, t: u64, lane: Lane) -> Point {
        Point { t, group: self.group.get(&lane).copied().unwrap_or(self.root), lane }
    }

    fn instant(&mut self, t: u64, lane: Lane, name: String, args: Value) {
        let p = self.point(t, lane);
        self.events.push(json!({"ph": "i", "s": "t", "name": name, "cat": "op", "ts": us(t), "pid": p.group, "tid": lane, "args": args}));
    }

    fn counter(&mut self, t: u64, res: ResId, what: &'static str, value: i64) {
        if self.counters.get(&(res, what)) == Some(&value) {
            return;
        }
        self.counters.insert((res, what), value);
        let name = match self.model.resources.get(&res) {
            Some(rs) => format!("{} {}: {what}", rs.kind, rs.name),
            None => format!("resource {res}: {what}"),
        };
        self.events.push(json!({"ph": "C", "name": name, "cat": "resource", "ts": us(t), "pid": self.root, "tid": 0, "args": {"value": value}}));
    }

    fn flow(&mut self, from: Point, to: Point, name: &str) {
        let id = self.next_flow;
        self.next_flow += 1;
        self.events.push(json!({"ph": "s", "id": id, "name": name, "cat": "flow", "ts": us(from.t), "pid": from.group, "tid": from.lane}));
        self.events.push(json!({"ph": "f", "bp": "e", "id": id, "name": name, "cat": "flow", "ts": us(to.t), "pid": to.group, "tid": to.lane}));
    }

    /// The span a process in state `s` is in, or `None` once it has ended.
    fn span_of(&self, lane: Lane) -> Option<(String, Value)> {
        let p = self.model.processes.get(&lane)?;
        let name = match p.state {
            PState::Starting => "starting".to_string(),
            PState::Running => "running".to_string(),
            PState::Ready => "ready".to_string(),
            PState::Sleeping => "sleeping".to_string(),
            PState::Blocked => match &p.wait {
                Some(w) => {
                    let on = match (w.res, w.on) {
                        (Some(r), _) => format!(" {}", self.model.rname(r)),
                        (None, Some(o)) => format!(" {}", self.model.pname(o)),
                        _ => String::new(),
                    };
                    let held = w.holder.map(|h| format!(" (held by {})", self.model.pname(h))).unwrap_or_default();
                    format!("blocked: {}{on}{held}", w.op)
                }
                None => "blocked".to_string(),
            },
            PState::Exited(_) | PState::Killed(_) => return None,
        };
        let args = json!({"line": p.line, "state": crate::words::state(p.state, crate::words::Lang::En)});
        Some((name, args))
    }

    fn close(&mut self, lane: Lane, t: u64) {
        if let Some(s) = self.open.remove(&lane) {
            let group = self.group.get(&lane).copied().unwrap_or(self.root);
            self.events.push(json!({"ph": "X", "name": s.name, "cat": "state", "ts": us(s.start), "dur": us(t.saturating_sub(s.start)), "pid": group, "tid": lane, "args": s.args}));
        }
    }

    /// Re-reads `lane`'s state after a record at `t`: ends its span and opens
    /// the next when the state (or what it waits for) changed.
    fn update_span(&mut self, lane: Lane, t: u64) {
        let now = self.span_of(lane);
        match (&now, self.open.get(&lane)) {
            (Some((name, _)), Some(open)) if *name == open.name => {}
            _ => {
                self.close(lane, t);
                if let Some((name, args)) = now {
                    self.open.insert(lane, Span { start: t, name, args });
                }
            }
        }
    }

    fn res_kind(&self, res: Option<ResId>) -> Option<ResKind> {
        res.and_then(|r| self.model.resources.get(&r)).map(|rs| rs.kind)
    }

    /// Counters of an op record (after the model applied it).
    fn counters(&mut self, r: &Record, done: &ResOp<'_>) {
        let op = done.op;
        let Some(id) = done.res else { return };
        let Some(kind) = self.res_kind(done.res) else { return };
        let t = r.t_ns;
        match kind {
            ResKind::Lock | ResKind::RLock | ResKind::Semaphore | ResKind::BoundedSemaphore => match op {
                Op::Acquire | Op::Release => self.counter(t, id, "value", done.count_after()),
                _ => {}
            },
            ResKind::Event => match op {
                Op::Set => self.counter(t, id, "set", 1),
                Op::Clear => self.counter(t, id, "set", 0),
                Op::IsSet => self.counter(t, id, "set", done.flag()),
                Op::Wait if done.succeeded() => self.counter(t, id, "set", 1),
                _ => {}
            },
            ResKind::Queue | ResKind::JoinableQueue => {
                if matches!(op, Op::Put | Op::PutNowait | Op::Get | Op::GetNowait | Op::Qsize | Op::Empty | Op::Full | Op::TaskDone | Op::QueueJoin) {
                    self.counter(t, id, "depth", done.depth_after());
                    if kind == ResKind::JoinableQueue {
                        self.counter(t, id, "unfinished", done.unfinished_after());
                    }
                }
            }
            ResKind::Pipe => {
                if matches!(op, Op::Send | Op::Recv | Op::Poll | Op::Close) {
                    self.counter(t, id, "in transit", done.depth_after());
                }
            }
            _ => {}
        }
    }

    fn waiting(&mut self, t: u64, res: Option<ResId>) {
        if let Some(id) = res
            && let Some(rs) = self.model.resources.get(&id)
        {
            let n = (rs.waiters.len() + rs.waiters2.len()) as i64;
            self.counter(t, id, "waiting", n);
        }
    }

    fn record(&mut self, r: &Record) {
        let t = r.t_ns;
        // A process's first op after a wake-up completes the wait the wake ended.
        let completes_wake = self.handoffs.completes_wake(r);
        if let RecordKind::Spawn { child, pid, ppid, name, daemon, .. } = &r.kind {
            let group = *ppid as i64;
            if r.lane == Lane::CONDUCTOR {
                self.root = group;
                self.name_group(group, format!("forkscope: {}", self.title));
                self.events.push(json!({"ph": "M", "name": "thread_name", "pid": group, "tid": 0, "args": {"name": format!("forkscope (conductor) · pid {ppid}")}}));
                self.events.push(json!({"ph": "M", "name": "thread_sort_index", "pid": group, "tid": 0, "args": {"sort_index": -1}}));
            } else {
                let parent = self.model.pname(r.lane);
                self.name_group(group, format!("children of {parent} (pid {ppid})"));
            }
            self.group.insert(*child, group);
            let d = if *daemon { " (daemon)" } else { "" };
            self.events.push(json!({"ph": "M", "name": "thread_name", "pid": group, "tid": child, "args": {"name": format!("{name} · pid {pid}{d}")}}));
            self.events.push(json!({"ph": "M", "name": "thread_sort_index", "pid": group, "tid": child, "args": {"sort_index": child}}));
        }
        self.model.apply(r);
        let mut lanes = vec![r.lane];
        match &r.kind {
            RecordKind::Spawn { child, name, pid, .. } => {
                lanes.push(*child);
                if r.lane != Lane::CONDUCTOR {
                    self.instant(t, r.lane, format!("start {name}"), json!({"line": r.line, "child": name, "pid": pid}));
                }
            }
            RecordKind::Op { .. } => {
                let done = r.res_op().expect("an op record");
                let on = done.res.map(|x| format!(" {}", self.model.rname(x))).or_else(|| done.other.map(|o| format!(" {}", self.model.pname(o)))).unwrap_or_default();
                let (a, b, c) = done.raw();
                let mut args = json!({"line": r.line, "a": a, "b": b, "c": c});
                if let Some(d) = done.detail {
                    args["detail"] = d.into();
                }
                if let Some(o) = done.other {
                    args["other"] = self.model.pname(o).into();
                }
                self.instant(t, r.lane, format!("{}{on}", done.op), args);
                self.counters(r, &done);
                let here = self.point(t, r.lane);
                let kind = self.res_kind(done.res);
                for (from, name) in self.handoffs.op(&done, kind, completes_wake, here) {
                    self.flow(from, here, &name);
                }
                self.waiting(t, done.res);
                if let Some(o) = done.other {
                    lanes.push(o);
                }
            }
            RecordKind::Block { res, .. } => {
                if let Some(id) = res {
                    let p = self.point(t, r.lane);
                    self.handoffs.block(r.lane, *id, p);
                }
                self.waiting(t, *res);
            }
            RecordKind::Wake { op, res, woken } => {
                let on = res.map(|x| format!(" {}", self.model.rname(x))).unwrap_or_default();
                self.instant(t, r.lane, format!("wake {}", self.model.pname(*woken)), json!({"line": r.line, "op": op.name(), "resource": on.trim()}));
                let from = self.point(t, r.lane);
                self.handoffs.wake(*woken, from, format!("{op}{on}"));
                self.waiting(t, *res);
                lanes.push(*woken);
            }
            RecordKind::Timeout { op, res, .. } => {
                self.instant(t, r.lane, format!("{op} timed out"), json!({"line": r.line}));
                self.waiting(t, *res);
            }
            RecordKind::Print { text, .. } => self.instant(t, r.lane, "print".into(), json!({"line": r.line, "text": text})),
            RecordKind::Stderr { text, .. } => self.instant(t, r.lane, "stderr".into(), json!({"line": r.line, "text": text})),
            RecordKind::Report { key, value } => self.instant(t, r.lane, format!("report {key}"), json!({"line": r.line, "value": value})),
            RecordKind::Error { message } => self.instant(t, r.lane, "error".into(), json!({"line": r.line, "message": message})),
            RecordKind::Assert { message } => self.instant(t, r.lane, "assertion failed".into(), json!({"line": r.line, "message": message})),
            RecordKind::Finding { message } => self.instant(t, r.lane, "finding".into(), json!({"line": r.line, "message": message})),
            // Variables are the dashboard's, not a moment of the timeline.
            RecordKind::Locals { .. } | RecordKind::LineEnd => {}
            RecordKind::Ended { process, exitcode, .. } => {
                lanes.push(*process);
                let label = self.model.processes.get(process).map(|p| crate::words::state(p.state, crate::words::Lang::En)).unwrap_or_else(|| format!("exitcode {exitcode}"));
                self.instant(t, *process, label, json!({"exitcode": exitcode}));
                // A killed process that was woken never completes its wait.
                self.handoffs.ended(*process);
                let held: Vec<ResId> = self.model.resources.keys().copied().collect();
                for id in held {
                    self.waiting(t, Some(id));
                }
            }
            RecordKind::Resource { res, kind, capacity, .. } => {
                let start = match kind {
                    ResKind::Semaphore | ResKind::BoundedSemaphore => Some(("value", *capacity)),
                    ResKind::Lock | ResKind::RLock => Some(("value", 0)),
                    ResKind::Event => Some(("set", 0)),
                    ResKind::Queue | ResKind::JoinableQueue => Some(("depth", 0)),
                    ResKind::Pipe => Some(("in transit", 0)),
                    _ => None,
                };
                if let Some((what, v)) = start {
                    self.counter(t, *res, what, v);
                }
                if *kind == ResKind::JoinableQueue {
                    self.counter(t, *res, "unfinished", 0);
                }
                self.counter(t, *res, "waiting", 0);
            }
            RecordKind::Grant { process, .. } => {
                let who = process.map(|p| self.model.pname(p)).unwrap_or_else(|| "the next ready process".into());
                self.instant(t, Lane::CONDUCTOR, format!("step: {who}"), json!({}));
            }
            RecordKind::Mode { paused } => self.instant(t, Lane::CONDUCTOR, if *paused { "paused" } else { "resumed" }.into(), json!({})),
            RecordKind::Closing => self.instant(t, Lane::CONDUCTOR, "run over: ending what is left".into(), json!({})),
            RecordKind::Signal { process, signal } => {
                self.instant(t, Lane::CONDUCTOR, format!("{} to {}", crate::sys::signal_name(*signal), self.model.pname(*process)), json!({}));
            }
            RecordKind::Park => {}
        }
        lanes.sort_unstable();
        lanes.dedup();
        for lane in lanes {
            if lane != Lane::CONDUCTOR {
                self.update_span(lane, t);
            }
        }
    }
}

/// The Chrome trace of a run's `records` (in record order); `title` names
/// the run's group (the lesson).
pub fn trace(records: &[Record], title: &str) -> Value {
    let mut b = Builder {
        model: Model::new(),
        events: Vec::new(),
        group: HashMap::new(),
        root: 0,
        groups_named: BTreeMap::new(),
        open: BTreeMap::new(),
        counters: HashMap::new(),
        handoffs: Handoffs::default(),
        next_flow: 1,
        title,
    };
    // The conductor's pid is main's parent: known from main's spawn record.
    if let Some(ppid) = records.iter().find_map(|r| match &r.kind {
        RecordKind::Spawn { ppid, .. } if r.lane == Lane::CONDUCTOR => Some(*ppid),
        _ => None,
    }) {
        b.root = ppid as i64;
    }
    for r in records {
        b.record(r);
    }
    let end = records.iter().map(|r| r.t_ns).max().unwrap_or(0);
    let lanes: Vec<Lane> = b.open.keys().copied().collect();
    for lane in lanes {
        b.close(lane, end);
    }
    json!({
        "traceEvents": b.events,
        "displayTimeUnit": "ms",
        "otherData": {"generator": "forkscope", "lesson": title, "records": records.len()},
    })
}

#[cfg(test)]
mod tests;
