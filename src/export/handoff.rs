//! Who handed what to whom, from a run's records: the hand-offs that the
//! trace draws as flows and the sequence diagram as arrows.
//!
//! A `Wake` record (a release handing a lock to the first waiter, a put
//! handing an item to a blocked getter, a set waking a waiter, …) hands off
//! to the woken process's next completed op. A put/send whose item was
//! queued hands off to the get/recv that takes that item out, first in,
//! first out per queue (per direction for a pipe: `b` = the end used). An
//! item a getter moved in for a putter blocked on a full queue comes from
//! where that putter's blocking put began. A hand-off whose end never comes
//! (the woken process was killed) is forgotten.
//!
//! Generic over `P`, where a hand-off starts: the trace's point in time on a
//! track, the diagram's row.

use std::collections::{HashMap, VecDeque};

use crate::model::{Record, RecordKind, ResOp};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// The hand-offs under way while a run's records are read in order.
#[derive(Debug)]
pub struct Handoffs<P> {
    /// Woken lane → where the wake came from and what it was (`release lock`).
    woken: HashMap<Lane, (P, String)>,
    /// Queued items per (resource, direction): where each was put.
    items: HashMap<(ResId, i64), VecDeque<P>>,
    /// A lane's last blocking record per resource (where a blocked put began).
    blocked_at: HashMap<(Lane, ResId), P>,
}

impl<P> Default for Handoffs<P> {
    fn default() -> Self {
        Handoffs { woken: HashMap::new(), items: HashMap::new(), blocked_at: HashMap::new() }
    }
}

impl<P: Copy> Handoffs<P> {
    /// Whether `r`, an op record, is its process's first op since it was
    /// woken: the op completes the wait the wake ended.
    pub fn completes_wake(&self, r: &Record) -> bool {
        matches!(r.kind, RecordKind::Op { .. }) && self.woken.contains_key(&r.lane)
    }

    /// A `Wake` record of `woken`, at `from`, named `what` (`release lock`).
    pub fn wake(&mut self, woken: Lane, from: P, what: String) {
        self.woken.insert(woken, (from, what));
    }

    /// A `Block` record of `lane` on `res`, at `at`.
    pub fn block(&mut self, lane: Lane, res: ResId, at: P) {
        self.blocked_at.insert((lane, res), at);
    }

    /// A process ended: a wake it never completed is forgotten.
    pub fn ended(&mut self, process: Lane) {
        self.woken.remove(&process);
    }

    /// An op record (`done`, on a resource of `kind`, `completes_wake` as
    /// [`Self::completes_wake`] said before the model applied it), at
    /// `here`: the hand-offs that end here, each with where it began and
    /// what it was (`item`, or the wake's name).
    pub fn op(&mut self, done: &ResOp<'_>, kind: Option<ResKind>, completes_wake: bool, here: P) -> Vec<(P, String)> {
        let mut ends = Vec::new();
        if let (Some(id), Some(kind)) = (done.res, kind) {
            let (op, other) = (done.op, done.other);
            match kind {
                ResKind::Queue | ResKind::JoinableQueue => match op {
                    // Handed straight to a blocked getter: the wake is the hand-off.
                    Op::Put | Op::PutNowait if completes_wake || other.is_some() => {}
                    Op::Put | Op::PutNowait => self.items.entry((id, 0)).or_default().push_back(here),
                    Op::Get | Op::GetNowait => {
                        if !completes_wake && let Some(from) = self.items.get_mut(&(id, 0)).and_then(|q| q.pop_front()) {
                            ends.push((from, "item".to_string()));
                        }
                        // This get made room for a blocked putter: its item
                        // entered the queue now, from where its put began.
                        if let Some(putter) = other
                            && let Some(from) = self.blocked_at.get(&(putter, id)).copied()
                        {
                            self.items.entry((id, 0)).or_default().push_back(from);
                        }
                    }
                    _ => {}
                },
                ResKind::Pipe => {
                    let end = done.pipe_end();
                    match op {
                        Op::Send if completes_wake || other.is_some() => {}
                        Op::Send => self.items.entry((id, 1 - end)).or_default().push_back(here),
                        Op::Recv if !completes_wake && !done.at_eof() => {
                            if let Some(from) = self.items.get_mut(&(id, end)).and_then(|q| q.pop_front()) {
                                ends.push((from, "item".to_string()));
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if completes_wake && let Some((from, what)) = self.woken.remove(&done.lane) {
            ends.push((from, what));
        }
        ends
    }
}
