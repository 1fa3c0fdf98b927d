//! `Lock`: a real cross-process mutex in the resource table.
//!
//! Slot fields: `owner` = lane holding it (`NONE` if free); `count` = 1 while
//! held; `waiters[0]` = FIFO of blocked acquirers. Release hands the lock to the
//! first waiter directly (`owner` becomes that lane, its `handoff` word is set,
//! then it is woken), so who gets the lock next depends only on the order of
//! arrival — which the schedule fixes.
//!
//! Like Python's `multiprocessing.Lock` (a semaphore of 1), any process may
//! release a held lock, not only its owner; releasing a free lock raises
//! `ValueError: semaphore or lock released too many times`. Releasing a lock
//! another process holds is legal but noted as a finding.

use std::sync::atomic::Ordering::*;

use super::{LessonError, LessonResult, LaneRuntime, WaitEnd, waitq};
use crate::shm::layout::{NONE, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// Bumps the slot's `version` for readers that poll. Every writer holds the
/// slot's mutex, so a plain load and store is enough (no read-modify-write).
#[inline]
fn bump_version(slot: &ResourceSlot) {
    slot.version.store(slot.version.load(Relaxed).wrapping_add(1), Release);
}

impl LaneRuntime {
    /// The slot of resource `id`, checked to be of `kind`.
    pub fn slot(&self, id: u32, kind: ResKind) -> LessonResult<&'static ResourceSlot> {
        let slot = self
            .v
            .resource(id)
            .ok_or_else(|| LessonError::runtime(format!("{kind} handle {id} does not name a resource of this run")))?;
        if slot.kind.load(Acquire) != kind as u32 {
            return Err(LessonError::runtime(format!("{kind} handle {id} does not name a {kind}")));
        }
        Ok(slot)
    }

    /// Creates a resource of `kind` and records it. `name` defaults to `Kind-N`.
    pub fn new_resource(&self, kind: ResKind, name: Option<&str>, capacity: i64, init: impl FnOnce(&ResourceSlot)) -> LessonResult<u32> {
        let next = self.ctl.next_res.load(Relaxed);
        let default = format!("{kind}-{}", next + 1);
        let chosen = self.local.borrow_mut().next_name.take();
        let name = name.or(chosen.as_deref()).unwrap_or(&default);
        let id = self.v.alloc_resource(kind, name, self.lane, capacity, init)?;
        self.record_resource(id, kind, capacity);
        Ok(id)
    }

    pub fn lock_new(&self, name: Option<&str>, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        self.new_resource(ResKind::Lock, name, 1, |_| {})
    }

    /// `lock.acquire()`, `lock.acquire(false)`, `lock.acquire(timeout=secs)`.
    pub fn lock_acquire(&self, id: u32, blocking: bool, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        let slot = self.slot(id, ResKind::Lock)?;
        if blocking && timeout.is_none() {
            self.enter_wait_op(Op::Acquire, id, NONE, line);
        } else {
            self.enter_op(Op::Acquire, line);
        }
        Ok(self.lock_take(slot, id, blocking, timeout))
    }

    /// The acquire itself, once past the gate: also how `Condition.wait`
    /// takes its lock back inside its own op.
    pub(crate) fn lock_take(&self, slot: &ResourceSlot, id: u32, blocking: bool, timeout: Option<f64>) -> bool {
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let owner = slot.owner.load(Relaxed);
            if owner == NONE {
                slot.owner.store(self.lane, Relaxed);
                slot.count.store(1, Relaxed);
                bump_version(slot);
                self.record_op(Op::Acquire, id, NONE, 1, 1, 0, None);
                return true;
            }
            if !blocking || timeout.is_some_and(|t| t <= 0.0) {
                self.record_op(Op::Acquire, id, owner, 0, 1, 0, None);
                return false;
            }
            self.me.handoff.store(0, Relaxed);
            waitq::push(&self.v, &slot.waiters[0], self.lane);
            bump_version(slot);
            self.record_block(Op::Acquire, id, NONE, owner, timeout.is_some());
        }
        let token = id + 1;
        let end = self.wait_until(Op::Acquire, id, NONE, timeout, || self.me.handoff.load(Acquire) == token);
        let got = match end {
            WaitEnd::Done => true,
            WaitEnd::TimedOut => {
                let _g = Guard::new(&slot.mutex, self.lane);
                if self.me.handoff.load(Acquire) == token {
                    true
                } else {
                    waitq::remove(&self.v, &slot.waiters[0], self.lane);
                    bump_version(slot);
                    self.record_timeout(Op::Acquire, id, NONE);
                    false
                }
            }
        };
        self.me.handoff.store(0, Relaxed);
        if got {
            self.record_op(Op::Acquire, id, NONE, 1, 1, 0, None);
        }
        self.set_state(crate::shm::layout::ProcState::Running, None, NONE, NONE, 0);
        got
    }

    /// `lock.release()`.
    pub fn lock_release(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::Lock)?;
        self.enter_op(Op::Release, line);
        self.lock_give(slot, id)
    }

    /// The release itself, once past the gate: also how `Condition.wait`
    /// lets go of its lock inside its own op.
    pub(crate) fn lock_give(&self, slot: &ResourceSlot, id: u32) -> LessonResult<()> {
        let _g = Guard::new(&slot.mutex, self.lane);
        let owner = slot.owner.load(Relaxed);
        if owner == NONE {
            return Err(LessonError::value("semaphore or lock released too many times"));
        }
        // Released by another process than its holder (Python allows it):
        // the model sees that from the release record and says so.
        match waitq::pop(&self.v, &slot.waiters[0]) {
            Some(next) => {
                slot.owner.store(next, Relaxed);
                bump_version(slot);
                self.record_op(Op::Release, id, next, 1, 0, 0, None);
                self.record_wake(Op::Acquire, id, next);
                if let Some(l) = self.v.lane(next) {
                    l.handoff.store(id + 1, Release);
                }
                self.v.wake_lane(next);
            }
            None => {
                slot.owner.store(NONE, Relaxed);
                slot.count.store(0, Relaxed);
                bump_version(slot);
                self.record_op(Op::Release, id, NONE, 0, 0, 0, None);
            }
        }
        Ok(())
    }
}
