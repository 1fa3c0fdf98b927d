//! `Condition(lock)` / `Condition()`: wait for a notify while letting go of a lock.
//!
//! Slot fields: `aux[0]` = the lock's resource id, `aux[1]` = its kind (a
//! `Lock`, or an `RLock` — `Condition()` makes its own RLock, as Python does);
//! `capacity` = the lock's id too (so the model links them from the
//! condition's `Resource` record); `waiters[0]` = FIFO of processes in `wait`;
//! `aux[2]` = waits begun, `aux[3]` = waits ended (CPython's Condition keeps
//! these two counts, `_sleeping_count` and `_woken_count`; its own tests read
//! them: their difference is the processes inside `wait`).
//!
//! `wait` (the caller must hold the lock: else Python's `AssertionError: must
//! acquire() condition before using wait()`):
//! 1. under the condition's mutex: join the FIFO, release the lock (every
//!    level of an RLock; it may be handed to one of the lock's waiters), and
//!    record the `Block` — holding the mutex across both, so a notify cannot
//!    slip in between the release and the wait and be lost;
//! 2. wait for a notify (the token), or the timeout;
//! 3. take the lock back (blocking on it like any acquirer, with the same
//!    depth), then record the `Wait`.
//!
//! `notify(n)` / `notify_all()` (the caller must hold the lock: else
//! `AssertionError: lock is not owned`) hand the token to the first n waiters.
//! A notified process is `ready`; it is back in its code only once it has the
//! lock again, which the notifier usually still holds.
//!
//! Records: `Notify`/`NotifyAll` a = processes woken, `other` = the first one
//! (each also gets a `Wake`); the waiter writes `Release` (lock), `Block`
//! (Wait), then `Acquire` (lock) and `Wait` a = 1 notified / 0 timed out.

use std::sync::atomic::Ordering::*;

use super::token;
use crate::runtime::{LessonError, LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// Python's text for `wait` without holding the lock.
pub const WAIT_UNOWNED: &str = "must acquire() condition before using wait()";
/// Python's text for `notify` without holding the lock.
pub const NOTIFY_UNOWNED: &str = "lock is not owned";

impl LaneRuntime {
    /// `Condition(lock)` (`lock` = its kind and id) or `Condition()` (`None`:
    /// a new RLock). Returns the condition's id and its lock's.
    pub fn condition_new(&self, lock: Option<(ResKind, u32)>, line: u32) -> LessonResult<(u32, ResKind, u32)> {
        self.set_line(line);
        let (kind, lock) = match lock {
            Some((k, id)) if matches!(k, ResKind::Lock | ResKind::RLock) => {
                self.slot(id, k)?;
                (k, id)
            }
            Some((k, _)) => return Err(LessonError::type_error(format!("Condition() takes a Lock or an RLock, not a {k}"))),
            // Python's default: a new RLock, made first so that the
            // condition's `Resource` record can name it. The name the
            // program gave (`cond = Condition()`) is the condition's.
            None => {
                let given = self.local.borrow_mut().next_name.take();
                let made = self.rlock_new(line);
                self.local.borrow_mut().next_name = given;
                (ResKind::RLock, made?)
            }
        };
        let id = self.new_resource(ResKind::Condition, None, lock as i64, |s| {
            s.aux[0].store(lock as u64, Relaxed);
            s.aux[1].store(kind as u64, Relaxed);
            s.aux[2].store(0, Relaxed);
            s.aux[3].store(0, Relaxed);
        })?;
        Ok((id, kind, lock))
    }

    /// The condition's slot, its lock's kind, id and slot.
    fn cond_parts(&self, id: u32) -> LessonResult<(&'static ResourceSlot, ResKind, u32, &'static ResourceSlot)> {
        let slot = self.slot(id, ResKind::Condition)?;
        let lock = slot.aux[0].load(Acquire) as u32;
        let kind = ResKind::from_raw(slot.aux[1].load(Acquire) as u32).filter(|k| matches!(k, ResKind::Lock | ResKind::RLock));
        let kind = kind.ok_or_else(|| LessonError::runtime(format!("Condition handle {id} has no lock")))?;
        let lslot = self.slot(lock, kind)?;
        Ok((slot, kind, lock, lslot))
    }

    /// The lock of condition `id`: its kind and id.
    pub fn condition_lock(&self, id: u32) -> LessonResult<(ResKind, u32)> {
        self.cond_parts(id).map(|(_, k, l, _)| (k, l))
    }

    /// The waits begun, the waits ended, and the waiters not yet notified.
    pub fn condition_counts(&self, id: u32) -> LessonResult<(u64, u64, u64)> {
        let (slot, ..) = self.cond_parts(id)?;
        let _g = Guard::new(&slot.mutex, self.lane);
        let queued = waitq::lanes(&self.v, &slot.waiters[0]).len() as u64;
        Ok((slot.aux[2].load(Acquire), slot.aux[3].load(Acquire), queued))
    }

    /// `c.wait()` / `c.wait(secs)`: true if notified, false on a timeout.
    pub fn condition_wait(&self, id: u32, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        let (slot, kind, lock, lslot) = self.cond_parts(id)?;
        self.enter_op(Op::Wait, line);
        if !self.holds_lock(lock) {
            return Err(LessonError::assertion(WAIT_UNOWNED));
        }
        let depth = {
            let _g = Guard::new(&slot.mutex, self.lane);
            self.enqueue(slot, 0);
            let depth = match kind {
                ResKind::RLock => self.rlock_give(lslot, lock, true),
                _ => self.lock_give(lslot, lock).map(|_| 1),
            };
            let depth = match depth {
                Ok(d) => d,
                Err(e) => {
                    waitq::remove(&self.v, &slot.waiters[0], self.lane);
                    return Err(e);
                }
            };
            slot.aux[2].fetch_add(1, Release);
            self.record_block(Op::Wait, id, NONE, NONE, timeout.is_some());
            depth
        };
        let notified = if timeout.is_some_and(|t| t <= 0.0) {
            // Python still lets go of the lock and takes it back.
            let _g = Guard::new(&slot.mutex, self.lane);
            waitq::remove(&self.v, &slot.waiters[0], self.lane);
            self.record_timeout(Op::Wait, id, NONE);
            false
        } else {
            self.await_handoff(Op::Wait, slot, 0, id, timeout, |t| t == token(id), || {}).is_some()
        };
        match kind {
            ResKind::RLock => {
                self.rlock_take(lslot, lock, true, None, depth);
            }
            _ => {
                self.lock_take(lslot, lock, true, None);
            }
        }
        slot.aux[3].fetch_add(1, Release);
        self.record_op(Op::Wait, id, NONE, notified as i64, 0, 0, None);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(notified)
    }

    /// `c.notify()` / `c.notify(n)`; `None` = `notify_all()`. Returns how many were woken.
    pub fn condition_notify(&self, id: u32, n: Option<i64>, line: u32) -> LessonResult<i64> {
        let (slot, _, lock, _) = self.cond_parts(id)?;
        let op = if n.is_none() { Op::NotifyAll } else { Op::Notify };
        self.enter_op(op, line);
        if !self.holds_lock(lock) {
            return Err(LessonError::assertion(NOTIFY_UNOWNED));
        }
        let _g = Guard::new(&slot.mutex, self.lane);
        let mut woken = Vec::new();
        while n.is_none_or(|n| (woken.len() as i64) < n) {
            match waitq::pop(&self.v, &slot.waiters[0]) {
                Some(w) => woken.push(w),
                None => break,
            }
        }
        slot.version.fetch_add(1, Release);
        self.record_op(op, id, woken.first().copied().unwrap_or(NONE), woken.len() as i64, 0, 0, None);
        for &w in &woken {
            self.record_wake(Op::Wait, id, w);
        }
        for &w in &woken {
            self.hand_over(w, token(id));
        }
        Ok(woken.len() as i64)
    }
}
