//! `Semaphore(n)` and `BoundedSemaphore(n)`: a counter of free units.
//!
//! Slot fields: `count` = current value; `capacity` = initial value (the
//! bound of a BoundedSemaphore); `waiters[0]` = FIFO of blocked acquirers.
//! `acquire` takes a unit if one is free, else waits. `release` hands its unit
//! straight to the first waiter (the value stays 0), else adds it back. A
//! BoundedSemaphore refuses a release that would go above its bound, with
//! Python's `ValueError: semaphore or lock released too many times`; a plain
//! Semaphore, like Python's, just grows.
//!
//! Records: `Acquire` a = 1/0, b = value after, c = 1 when the unit was handed
//! over by a release (its `Release` record already names this lane);
//! `Release` a = value after, `other` = lane handed to; `Load` (s.value) a =
//! value read.

use std::sync::atomic::Ordering::*;

use super::{never_waits, token};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

impl LaneRuntime {
    /// `Semaphore(n)` / `BoundedSemaphore(n)`.
    pub fn semaphore_new(&self, value: i64, bounded: bool, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        if value < 0 {
            // What multiprocessing says (sem_open refuses it).
            return Err(LessonError::os("[Errno 22] Invalid argument"));
        }
        let kind = if bounded { ResKind::BoundedSemaphore } else { ResKind::Semaphore };
        self.new_resource(kind, None, value, |s| s.count.store(value, Relaxed))
    }

    /// The slot of a Semaphore or BoundedSemaphore.
    fn sem_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Semaphore).or_else(|_| self.slot(id, ResKind::BoundedSemaphore))
    }

    /// `s.acquire()`, `s.acquire(false)`, `s.acquire(secs)`.
    pub fn semaphore_acquire(&self, id: u32, blocking: bool, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        let slot = self.sem_slot(id)?;
        if blocking && timeout.is_none() {
            self.enter_wait_op(Op::Acquire, id, NONE, line);
        } else {
            self.enter_op(Op::Acquire, line);
        }
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let value = slot.count.load(Relaxed);
            if value > 0 {
                slot.count.store(value - 1, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Acquire, id, NONE, 1, value - 1, 0, None);
                return Ok(true);
            }
            if never_waits(blocking, timeout) {
                self.record_op(Op::Acquire, id, NONE, 0, value, 0, None);
                return Ok(false);
            }
            self.enqueue(slot, 0);
            self.record_block(Op::Acquire, id, NONE, NONE, timeout.is_some());
        }
        let got = self.await_handoff(Op::Acquire, slot, 0, id, timeout, |t| t == token(id), || {}).is_some();
        if got {
            self.record_op(Op::Acquire, id, NONE, 1, slot.count.load(Relaxed), 1, None);
        }
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(got)
    }

    /// `s.release()`.
    pub fn semaphore_release(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.sem_slot(id)?;
        self.enter_op(Op::Release, line);
        let bounded = slot.kind.load(Acquire) == ResKind::BoundedSemaphore as u32;
        let _g = Guard::new(&slot.mutex, self.lane);
        let value = slot.count.load(Relaxed);
        if bounded && value >= slot.capacity.load(Relaxed) {
            return Err(LessonError::value("semaphore or lock released too many times"));
        }
        match waitq::pop(&self.v, &slot.waiters[0]) {
            Some(next) => {
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Release, id, next, value, 0, 0, None);
                self.record_wake(Op::Acquire, id, next);
                self.hand_over(next, token(id));
            }
            None => {
                slot.count.store(value + 1, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op(Op::Release, id, NONE, value + 1, 0, 0, None);
            }
        }
        Ok(())
    }

    /// `s.value` / `s.get_value()`.
    pub fn semaphore_value(&self, id: u32, line: u32) -> LessonResult<i64> {
        let slot = self.sem_slot(id)?;
        self.enter_op(Op::Load, line);
        let value = slot.count.load(Acquire);
        self.record_op(Op::Load, id, NONE, value, 0, 0, None);
        Ok(value)
    }
}
