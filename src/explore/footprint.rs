//! What one step of a run touched, read from the records it wrote, and when
//! two steps are *dependent* (their order can change what happens).
//!
//! A step is one grant: everything the granted process did from its gate to
//! its next gate (or until it blocked or ended), plus what the conductor wrote
//! meanwhile about it (its end). The objects a step can touch:
//!
//! - a resource (`res` of an op, block, wake or timeout record): a lock,
//!   semaphore, event, condition, barrier, queue, pipe, value, pool, socket.
//!   Pure reads (`v.value`, `is_set`, `qsize`, `empty`, `full`, `poll`,
//!   `ready`) read it; every other op on it writes it;
//! - a file, by its path (`read_*` read it, `write_*`/`append_text` write it)
//!   and the run's folder (`list_dir` reads it; a write *adds* to it: writes
//!   of different files commute with each other, not with a listing);
//! - a process: each step of process P reads "P"; its end, and a
//!   terminate/kill of it, write it; `join`/`is_alive` of it read it;
//! - a reported key (`report(k, v)`: the last value wins), the run's input,
//!   and the counters that number new resources and new processes (two
//!   processes creating resources get their numbers in the order they ran).
//!
//! Output (`print`, stderr), `sleep` (virtual while stepping), `compute`
//! and a pool's `task_done` (the count of tasks running, which nothing
//! waits on or reads by an op) touch nothing shared: the order of two processes' printed lines is not an
//! outcome explore tells apart. Two steps of different processes are
//! dependent when they touch one object and not both only read it (or only
//! add to it).

use crate::model::{Record, RecordKind};
use std::collections::{BTreeMap, BTreeSet};

use crate::vocab::{Lane, Op, ResId, ResKind};

/// Something shared a step can touch.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Obj {
    Res(ResId),
    File(String),
    /// The run's folder, as `list_dir` sees it.
    Dir,
    Proc(Lane),
    Report(String),
    Input,
    /// The counter that numbers new resources.
    NewResource,
    /// The counter that numbers new processes (lanes).
    NewProcess,
    /// The clocks: read by a step of a Python process that has read a
    /// clock (its variables say so: [`reads_clock`]). Only read, so never
    /// a race; a state below which it is read keys its sleeps' lengths
    /// ([`super::state`]).
    Clock,
}

/// Whether a `Locals` text says its process has read a clock (a `C` line,
/// `forkscope_rt.send_locals`): what it reads depends on its sleeps' lengths.
pub fn reads_clock(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("C\t"))
}

/// How a step touched an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessKind {
    Read,
    /// A change that commutes with other `Add`s (a new file in the folder).
    Add,
    Write,
}

fn conflict(a: AccessKind, b: AccessKind) -> bool {
    !(a == b && a != AccessKind::Write)
}

/// One step's footprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// The process stepped.
    pub lane: Lane,
    /// Sorted by object.
    pub touches: Vec<(Obj, AccessKind)>,
    /// Processes this step started.
    pub spawned: Vec<Lane>,
    /// The step ended with the process blocked in a wait with no timeout.
    pub blocked: bool,
    /// What it did to resources, in order, for [`World`].
    pub effects: Vec<Effect>,
}

/// One change a step made that decides whether a later wait can go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A resource of `kind` was made, holding `capacity` (a semaphore's value).
    Created { res: ResId, kind: ResKind, capacity: i64 },
    /// Op record of the stepped process: whether it succeeded, and the
    /// count after (a lock's or semaphore's, [`crate::model::ResOp::count_after`]; a
    /// queue's depth, [`crate::model::ResOp::depth_after`]).
    Op { op: Op, res: ResId, succeeded: bool, after: i64 },
    /// A lock handed to `woken` at a release.
    Handed { res: ResId, woken: Lane },
    /// The stepped process joined `child`.
    Joined { child: Lane },
    Ended { process: Lane },
    /// The stepped process began a wait in `op` on `res` (or for process `other`).
    Waits { op: Op, res: Option<ResId>, other: Option<Lane> },
}

/// Ops that only look at their resource.
fn reads_only(op: Op) -> bool {
    matches!(op, Op::Load | Op::IsSet | Op::Qsize | Op::Empty | Op::Full | Op::Poll | Op::Ready)
}

/// The path of a file op (its detail is `path`, a tab, a preview).
fn path_of(detail: &Option<String>) -> String {
    detail.as_deref().and_then(|d| d.split('\t').next()).unwrap_or("").to_string()
}

impl Footprint {
    /// The footprint of a step of `lane` that wrote `records` (the grant record excluded).
    pub fn of_step(lane: Lane, records: &[Record]) -> Footprint {
        let mut t: Vec<(Obj, AccessKind)> = vec![(Obj::Proc(lane), AccessKind::Read)];
        let mut spawned = Vec::new();
        let mut blocked = false;
        let mut effects = Vec::new();
        for r in records {
            match &r.kind {
                RecordKind::Resource { res, kind, capacity, .. } => effects.push(Effect::Created { res: *res, kind: *kind, capacity: *capacity }),
                RecordKind::Op { op: Op::Join, other: Some(c), .. } if r.lane == lane => effects.push(Effect::Joined { child: *c }),
                RecordKind::Op { .. } if r.lane == lane => {
                    if let Some(done) = r.res_op()
                        && let Some(res) = done.res
                    {
                        let after = if matches!(done.op, Op::Acquire | Op::Release) { done.count_after() } else { done.depth_after() };
                        effects.push(Effect::Op { op: done.op, res, succeeded: done.succeeded(), after });
                    }
                }
                RecordKind::Wake { op: Op::Acquire, res: Some(res), woken } => effects.push(Effect::Handed { res: *res, woken: *woken }),
                RecordKind::Ended { process, .. } => effects.push(Effect::Ended { process: *process }),
                RecordKind::Block { op, res, other, timed: false, .. } if r.lane == lane && *op != Op::Sleep => effects.push(Effect::Waits { op: *op, res: *res, other: *other }),
                _ => {}
            }
            if r.lane == lane && !matches!(r.kind, RecordKind::Park) {
                // Anything after a block (the conductor's view of it) keeps it blocked.
                blocked = false;
            }
            match &r.kind {
                RecordKind::Spawn { child, .. } => {
                    spawned.push(*child);
                    t.push((Obj::Proc(*child), AccessKind::Write));
                    t.push((Obj::NewProcess, AccessKind::Write));
                }
                RecordKind::Op { op, res, other, detail, c, .. } => match op {
                    Op::ReadJson | Op::ReadText => t.push((Obj::File(path_of(detail)), AccessKind::Read)),
                    Op::ListDir => t.push((Obj::Dir, AccessKind::Read)),
                    Op::WriteJson | Op::WriteText | Op::AppendText => {
                        t.push((Obj::File(path_of(detail)), AccessKind::Write));
                        t.push((Obj::Dir, AccessKind::Add));
                    }
                    Op::Join | Op::IsAlive => t.extend(other.map(|o| (Obj::Proc(o), AccessKind::Read))),
                    Op::Terminate | Op::Kill => t.extend(other.map(|o| (Obj::Proc(o), AccessKind::Write))),
                    Op::Input => t.push((Obj::Input, AccessKind::Write)),
                    Op::Print | Op::Sleep | Op::Compute | Op::Report | Op::Exit => {}
                    // A pool's task done changes only its count of tasks
                    // running, which no process waits on nor reads by an op
                    // (see `runtime::ipc::pool`): it commutes with every step.
                    Op::TaskDone if *c == crate::runtime::ipc::pool::POOL_TASK_DONE => {}
                    op => t.extend(res.map(|r| (Obj::Res(r), if reads_only(*op) { AccessKind::Read } else { AccessKind::Write }))),
                },
                RecordKind::Block { op, res, other, timed, .. } if *op != Op::Sleep => {
                    t.extend(res.map(|r| (Obj::Res(r), AccessKind::Write)));
                    t.extend(other.map(|o| (Obj::Proc(o), AccessKind::Read)));
                    blocked = r.lane == lane && !timed;
                }
                RecordKind::Wake { res, .. } => t.extend(res.map(|r| (Obj::Res(r), AccessKind::Write))),
                RecordKind::Timeout { res, other, .. } => {
                    t.extend(res.map(|r| (Obj::Res(r), AccessKind::Write)));
                    t.extend(other.map(|o| (Obj::Proc(o), AccessKind::Read)));
                }
                RecordKind::Report { key, .. } => t.push((Obj::Report(key.clone()), AccessKind::Write)),
                RecordKind::Locals { text } if reads_clock(text) => t.push((Obj::Clock, AccessKind::Read)),
                RecordKind::Resource { .. } => t.push((Obj::NewResource, AccessKind::Write)),
                RecordKind::Ended { process, held, .. } => {
                    t.push((Obj::Proc(*process), AccessKind::Write));
                    for r in held.iter().flatten() {
                        t.push((Obj::Res(*r), AccessKind::Write));
                    }
                }
                _ => {}
            }
        }
        // One entry per object, the strongest access.
        t.sort();
        let mut touches: Vec<(Obj, AccessKind)> = Vec::with_capacity(t.len());
        for (o, a) in t {
            match touches.last_mut() {
                Some((lo, la)) if *lo == o => *la = (*la).max(a),
                _ => touches.push((o, a)),
            }
        }
        Footprint { lane, touches, spawned, blocked, effects }
    }

    /// The step of a process that would begin a wait in `op` on `res` (or
    /// for process `other`), as its gate shows it.
    pub fn waiting(lane: Lane, op: Op, res: Option<ResId>, other: Option<Lane>) -> Footprint {
        let mut touches = vec![(Obj::Proc(lane), AccessKind::Read)];
        touches.extend(res.map(|r| (Obj::Res(r), AccessKind::Write)));
        touches.extend(other.map(|o| (Obj::Proc(o), AccessKind::Read)));
        touches.sort();
        Footprint { lane, touches, spawned: Vec::new(), blocked: true, effects: vec![Effect::Waits { op, res, other }] }
    }

    /// Whether the order of these two steps (of different processes) can
    /// matter. Steps of one process are always ordered.
    pub fn dependent(&self, other: &Footprint) -> bool {
        if self.lane == other.lane {
            return true;
        }
        let (mut i, mut j) = (0, 0);
        while i < self.touches.len() && j < other.touches.len() {
            let (a, b) = (&self.touches[i], &other.touches[j]);
            match a.0.cmp(&b.0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    if conflict(a.1, b.1) {
                        return true;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        false
    }
}

/// What decides whether a wait can go on, as the steps so far left it:
/// who holds each lock, each semaphore's value, each queue's depth, which
/// processes ended. Explore uses it to tell when two dependent steps could
/// never both be possible at once (a release and another's acquire of the
/// same lock; a child's end and its parent's join): such a pair is no race.
#[derive(Clone, Debug, Default)]
pub struct World {
    kinds: BTreeMap<ResId, ResKind>,
    holder: BTreeMap<ResId, Lane>,
    /// A semaphore's value or a queue's depth.
    value: BTreeMap<ResId, i64>,
    ended: BTreeSet<Lane>,
}

impl World {
    /// The world after `f`.
    pub fn apply(&mut self, f: &Footprint) {
        for e in &f.effects {
            match *e {
                Effect::Created { res, kind, capacity } => {
                    self.kinds.insert(res, kind);
                    if matches!(kind, ResKind::Semaphore | ResKind::BoundedSemaphore) {
                        self.value.insert(res, capacity);
                    }
                }
                Effect::Op { op, res, succeeded, after } => match (self.kinds.get(&res), op) {
                    (Some(ResKind::Lock | ResKind::RLock), Op::Acquire) if succeeded => {
                        self.holder.insert(res, f.lane);
                    }
                    (Some(ResKind::Lock | ResKind::RLock), Op::Release) if after == 0 => {
                        self.holder.remove(&res);
                    }
                    (Some(ResKind::Semaphore | ResKind::BoundedSemaphore), Op::Acquire) => {
                        self.value.insert(res, after);
                    }
                    (Some(ResKind::Semaphore | ResKind::BoundedSemaphore), Op::Release) => {
                        self.value.insert(res, after);
                    }
                    (Some(ResKind::Queue | ResKind::JoinableQueue), Op::Put | Op::Get | Op::PutNowait | Op::GetNowait) => {
                        self.value.insert(res, after);
                    }
                    _ => {}
                },
                Effect::Handed { res, woken } => {
                    self.holder.insert(res, woken);
                }
                Effect::Joined { .. } | Effect::Waits { .. } => {}
                Effect::Ended { process } => {
                    self.ended.insert(process);
                }
            }
        }
    }

    /// The process holding lock `res`, if any.
    pub fn holder(&self, res: ResId) -> Option<Lane> {
        self.holder.get(&res).copied()
    }

    /// The locks `lane` holds.
    pub fn held_by(&self, lane: Lane) -> Vec<ResId> {
        self.holder.iter().filter(|(_, l)| **l == lane).map(|(r, _)| *r).collect()
    }

    /// Whether the step `f` could have been taken in this world (false: it
    /// would have had to wait).
    pub fn allows(&self, f: &Footprint) -> bool {
        f.effects.iter().all(|e| match *e {
            Effect::Op { op: Op::Acquire, res, succeeded: true, .. } | Effect::Waits { op: Op::Acquire, res: Some(res), .. } => match self.kinds.get(&res) {
                Some(ResKind::Lock | ResKind::RLock) => self.holder.get(&res).is_none_or(|h| *h == f.lane),
                Some(ResKind::Semaphore | ResKind::BoundedSemaphore) => self.value.get(&res).is_none_or(|v| *v > 0),
                _ => true,
            },
            Effect::Op { op: Op::Get, res, .. } | Effect::Waits { op: Op::Get, res: Some(res), .. } => !matches!(self.kinds.get(&res), Some(ResKind::Queue | ResKind::JoinableQueue)) || self.value.get(&res).is_none_or(|v| *v > 0),
            Effect::Joined { child } | Effect::Waits { op: Op::Join, other: Some(child), .. } => self.ended.contains(&child),
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(lane: u32, kind: RecordKind) -> Record {
        Record { seq: 0, t_ns: 0, lane: Lane(lane), line: 0, gates: 0, kind }
    }
    fn op(lane: u32, op: Op, res: Option<u32>, detail: Option<&str>) -> Record {
        rec(lane, RecordKind::Op { op, res: res.map(ResId), other: None, a: 0, b: 0, c: 0, d: 0, detail: detail.map(str::to_string) })
    }

    #[test]
    fn steps_on_one_lock_are_dependent_and_prints_are_not() {
        let a = Footprint::of_step(Lane(2), &[op(2, Op::Acquire, Some(0), None)]);
        let b = Footprint::of_step(Lane(3), &[op(3, Op::Release, Some(0), None)]);
        let p = Footprint::of_step(Lane(3), &[rec(3, RecordKind::Print { text: "hi".into(), part: false })]);
        assert!(a.dependent(&b));
        assert!(!a.dependent(&p));
    }

    #[test]
    fn a_step_of_a_process_that_read_a_clock_reads_the_clock_and_races_with_nothing() {
        let locals = |lane: u32, text: &str| rec(lane, RecordKind::Locals { text: text.into() });
        let plain = Footprint::of_step(Lane(2), &[op(2, Op::Sleep, None, None), locals(2, "F\tf\t3\nV\tt0\t1.0")]);
        assert!(!plain.touches.iter().any(|(o, _)| *o == Obj::Clock));
        let a = Footprint::of_step(Lane(2), &[op(2, Op::Sleep, None, None), locals(2, "F\tf\t3\nV\tt0\t1.0\nC\tclock")]);
        let b = Footprint::of_step(Lane(3), &[op(3, Op::Sleep, None, None), locals(3, "F\tf\t3\nC\tclock")]);
        assert!(a.touches.contains(&(Obj::Clock, AccessKind::Read)));
        assert!(!a.dependent(&b));
        // A variable named C is a `V` line, not the mark.
        assert!(!reads_clock("F\tf\t3\nV\tC\t1"));
    }

    #[test]
    fn reads_commute_and_writes_of_different_files_commute() {
        let r1 = Footprint::of_step(Lane(2), &[op(2, Op::ReadJson, None, Some("ticket\t{}"))]);
        let r2 = Footprint::of_step(Lane(3), &[op(3, Op::ReadJson, None, Some("ticket\t{}"))]);
        let w = Footprint::of_step(Lane(3), &[op(3, Op::WriteJson, None, Some("ticket\t{}"))]);
        let other = Footprint::of_step(Lane(4), &[op(4, Op::WriteText, None, Some("b\t"))]);
        let list = Footprint::of_step(Lane(5), &[op(5, Op::ListDir, None, Some(".\t"))]);
        assert!(!r1.dependent(&r2));
        assert!(r1.dependent(&w));
        assert!(!w.dependent(&other));
        assert!(list.dependent(&w) && !list.dependent(&r1));
    }

    #[test]
    fn an_untimed_block_marks_the_step_blocked_and_a_join_depends_on_the_end() {
        let b = Footprint::of_step(Lane(1), &[rec(1, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false })]);
        assert!(b.blocked);
        let end = Footprint::of_step(Lane(2), &[rec(0, RecordKind::Ended { process: Lane(2), exitcode: 0, held: Some(vec![]) })]);
        assert!(b.dependent(&end));
        let timed = Footprint::of_step(Lane(1), &[rec(1, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: true })]);
        assert!(!timed.blocked);
    }

    #[test]
    fn a_pools_task_done_commutes_with_a_take_and_a_queues_does_not() {
        let with_c = |lane: u32, op: Op, res: u32, c: i64| rec(lane, RecordKind::Op { op, res: Some(ResId(res)), other: None, a: 0, b: 0, c, d: 0, detail: None });
        // A worker stores its result (AsyncResult 1) and is done with its
        // task on pool 0; another worker takes a task from pool 0.
        let finish = Footprint::of_step(Lane(2), &[with_c(2, Op::Put, 1, 0), with_c(2, Op::TaskDone, 0, crate::runtime::ipc::pool::POOL_TASK_DONE)]);
        let take = Footprint::of_step(Lane(3), &[with_c(3, Op::Get, 0, 0)]);
        assert!(!finish.dependent(&take));
        // The result it stored is still written: a read of it races.
        assert!(finish.dependent(&Footprint::of_step(Lane(1), &[with_c(1, Op::ResultGet, 1, 0)])));
        // A JoinableQueue's task_done (its unfinished count, which join waits on) writes it.
        let queue_done = Footprint::of_step(Lane(2), &[with_c(2, Op::TaskDone, 0, 0)]);
        assert!(queue_done.dependent(&take));
    }
}
