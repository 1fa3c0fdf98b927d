//! Synchronisation primitives other than Lock, each in its own file: RLock,
//! Semaphore / BoundedSemaphore, Event, Condition, Barrier, Value / Array,
//! and the record of a manager's objects (`managed`).
//!
//! They all follow the pattern of [`super::lock`]: the state lives in a
//! resource slot and changes only under the slot's short internal mutex; a
//! process that must wait appends itself to a FIFO in the slot and writes its
//! `Block` record while still holding the mutex; whoever ends the wait pops the
//! first live waiter, writes its own records (`Op`, `Wake`), hands over
//! directly by setting the waiter's `handoff` word to a token, and wakes it.
//! The woken process writes nothing until [`crate::runtime::LaneRuntime::wait_until`]
//! returns (while paused that is at its own next step). So the same schedule
//! always gives the same owner, the same records, the same outcome.
//!
//! Tokens: `id + 1` names resource `id`; the [`BROKEN`] bit on top says the
//! wait ended because the resource broke (a Barrier) rather than succeeded.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod managed;
pub mod rlock;
pub mod semaphore;
pub mod value;

use std::sync::atomic::Ordering::*;

use super::{LaneRuntime, WaitEnd, waitq};
use crate::shm::layout::{NONE, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::Op;

/// Set in a handoff token when the wait ended because the resource broke.
pub const BROKEN: u32 = 1 << 31;

/// The handoff token that names resource `id`.
pub fn token(id: u32) -> u32 {
    id + 1
}

impl LaneRuntime {
    /// Hands `value` (a token) to `lane` and wakes it. The caller holds the
    /// slot's mutex and has already written its records.
    pub(crate) fn hand_over(&self, lane: u32, value: u32) {
        if let Some(l) = self.v.lane(lane) {
            l.handoff.store(value, Release);
        }
        self.v.wake_lane(lane);
    }

    /// Waits, after [`LaneRuntime::record_block`], until this lane is handed a token
    /// that `accept` takes, or the timeout passes. On a timeout it re-checks
    /// under the slot's mutex (a hand-off may have raced it), else leaves the
    /// FIFO `waiters[queue]`, records the timeout and runs `on_timeout` (still
    /// under the mutex). Returns the token, or `None` on a timeout.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn await_handoff(&self, op: Op, slot: &ResourceSlot, queue: usize, id: u32, timeout: Option<f64>, accept: impl Fn(u32) -> bool, on_timeout: impl FnOnce()) -> Option<u32> {
        let seen = || {
            let t = self.me.handoff.load(Acquire);
            accept(t).then_some(t)
        };
        let end = self.wait_until(op, id, NONE, timeout, || seen().is_some());
        let got = match end {
            WaitEnd::Done => seen(),
            WaitEnd::TimedOut => {
                let _g = Guard::new(&slot.mutex, self.lane);
                match seen() {
                    Some(t) => Some(t),
                    None => {
                        waitq::remove(&self.v, &slot.waiters[queue], self.lane);
                        slot.version.fetch_add(1, Release);
                        self.record_timeout(op, id, NONE);
                        on_timeout();
                        None
                    }
                }
            }
        };
        self.me.handoff.store(0, Relaxed);
        got
    }

    /// Queues this lane on `waiters[queue]` (caller holds the mutex), ready to
    /// be handed a token.
    pub(crate) fn enqueue(&self, slot: &ResourceSlot, queue: usize) {
        self.me.handoff.store(0, Relaxed);
        waitq::push(&self.v, &slot.waiters[queue], self.lane);
        slot.version.fetch_add(1, Release);
    }
}

/// Python's rule for a blocking call: `blocking=false`, or a timeout of zero
/// or less, never waits.
pub fn never_waits(blocking: bool, timeout: Option<f64>) -> bool {
    !blocking || timeout.is_some_and(|t| t <= 0.0)
}

#[cfg(test)]
mod tests;
