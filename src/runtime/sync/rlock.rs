//! `RLock`: a reentrant cross-process lock.
//!
//! Slot fields: `owner` = lane holding it (`NONE` if free); `count` = depth
//! (how many times the owner acquired it and has not yet released);
//! `waiters[0]` = FIFO of blocked acquirers. The owner acquiring again only
//! deepens it. The last release hands it to the first waiter (owner becomes
//! that lane, depth 1) exactly as `Lock` does.
//!
//! Unlike `Lock`, only the owner may release it; anyone else gets Python's
//! `AssertionError: attempt to release recursive lock not owned by thread`.
//!
//! Records: `Acquire` a = 1/0 (got it or not), b = depth after;
//! `Release` a = depth after (1 when handed to the next waiter), `other` =
//! lane handed to.

use std::sync::atomic::Ordering::*;

use super::{never_waits, token};
use crate::runtime::{LessonError, LessonResult, LaneRuntime};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// Python's text for a release by a process that does not own the RLock.
pub const NOT_OWNED: &str = "attempt to release recursive lock not owned by thread";

impl LaneRuntime {
    pub fn rlock_new(&self, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        self.new_resource(ResKind::RLock, None, 1, |_| {})
    }

    /// An RLock with a name (the lock of a Value, Array or Condition).
    pub(crate) fn rlock_named(&self, name: &str) -> LessonResult<u32> {
        self.new_resource(ResKind::RLock, Some(name), 1, |_| {})
    }

    /// `r.acquire()`, `r.acquire(false)`, `r.acquire(secs)`.
    pub fn rlock_acquire(&self, id: u32, blocking: bool, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        let slot = self.slot(id, ResKind::RLock)?;
        if blocking && timeout.is_none() {
            self.enter_wait_op(Op::Acquire, id, NONE, line);
        } else {
            self.enter_op(Op::Acquire, line);
        }
        Ok(self.rlock_take(slot, id, blocking, timeout, 1))
    }

    /// The acquire itself, once past the gate. `depth`: levels to take (1, or
    /// what `Condition.wait` gave back).
    pub(crate) fn rlock_take(&self, slot: &ResourceSlot, id: u32, blocking: bool, timeout: Option<f64>, depth: i64) -> bool {
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let owner = slot.owner.load(Relaxed);
            if owner == NONE || owner == self.lane {
                if owner == NONE {
                    slot.owner.store(self.lane, Relaxed);
                    slot.count.store(0, Relaxed);
                }
                let d = slot.count.load(Relaxed) + depth;
                slot.count.store(d, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Acquire, id, NONE, 1, d, 0, None);
                return true;
            }
            if never_waits(blocking, timeout) {
                self.record_op(Op::Acquire, id, owner, 0, slot.count.load(Relaxed), 0, None);
                return false;
            }
            self.enqueue(slot, 0);
            self.record_block(Op::Acquire, id, NONE, owner, timeout.is_some());
        }
        let got = self.await_handoff(Op::Acquire, slot, 0, id, timeout, |t| t == token(id), || {}).is_some();
        if got {
            // The releaser made us the owner at depth 1.
            if depth != 1 {
                let _g = Guard::new(&slot.mutex, self.lane);
                slot.count.store(depth, Relaxed);
            }
            self.record_op(Op::Acquire, id, NONE, 1, depth, 0, None);
        }
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        got
    }

    /// `r.release()`.
    pub fn rlock_release(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::RLock)?;
        self.enter_op(Op::Release, line);
        self.rlock_give(slot, id, false).map(|_| ())
    }

    /// The release itself, once past the gate. `all`: release every level at
    /// once (`Condition.wait`). Returns the levels released.
    pub(crate) fn rlock_give(&self, slot: &ResourceSlot, id: u32, all: bool) -> LessonResult<i64> {
        let _g = Guard::new(&slot.mutex, self.lane);
        if slot.owner.load(Relaxed) != self.lane {
            return Err(LessonError::assertion(NOT_OWNED));
        }
        let depth = slot.count.load(Relaxed).max(1);
        let left = if all { 0 } else { depth - 1 };
        if left > 0 {
            slot.count.store(left, Relaxed);
            slot.version.fetch_add(1, Release);
            self.record_op(Op::Release, id, NONE, left, 0, 0, None);
            return Ok(1);
        }
        match crate::runtime::waitq::pop(&self.v, &slot.waiters[0]) {
            Some(next) => {
                slot.owner.store(next, Relaxed);
                slot.count.store(1, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Release, id, next, 1, 0, 0, None);
                self.record_wake(Op::Acquire, id, next);
                self.hand_over(next, token(id));
            }
            None => {
                slot.owner.store(NONE, Relaxed);
                slot.count.store(0, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Release, id, NONE, 0, 0, 0, None);
            }
        }
        Ok(depth)
    }

    /// Who holds the Lock or RLock `id`, and how deep: `None` if it is free
    /// (a query: no op, no record; what a threading lock's repr shows).
    pub fn lock_holder(&self, id: u32, kind: ResKind) -> LessonResult<Option<(u32, i64)>> {
        let slot = self.slot(id, kind)?;
        let _g = Guard::new(&slot.mutex, self.lane);
        let owner = slot.owner.load(Acquire);
        Ok((owner != NONE).then(|| (owner, if kind == ResKind::RLock { slot.count.load(Relaxed) } else { 1 })))
    }

    /// Whether this process holds the Lock or RLock `id` (Python's `_is_mine`).
    pub fn holds_lock(&self, id: u32) -> bool {
        self.v.resource(id).is_some_and(|s| s.owner.load(Acquire) == self.lane)
    }
}
