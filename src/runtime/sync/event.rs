//! `Event`: a flag that processes wait for.
//!
//! Slot fields: `count` = the flag (0 clear, 1 set); `waiters[0]` = FIFO of
//! processes in `wait`. `set` raises the flag and wakes every waiter at once
//! (each gets the token; while paused each completes its `wait` at its own
//! step). `clear` lowers it; later `wait`s block again.
//!
//! Records: `Set` a = waiters woken (each also gets a `Wake`); `Clear`;
//! `IsSet` a = flag; `Wait` a = 1 if the flag was (or became) set, 0 on a
//! timeout (after the `Timeout` record).

use std::sync::atomic::Ordering::*;

use super::token;
use crate::runtime::{LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

impl LaneRuntime {
    pub fn event_new(&self, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        self.new_resource(ResKind::Event, None, 0, |s| s.count.store(0, Relaxed))
    }

    fn event_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Event)
    }

    /// `e.set()`.
    pub fn event_set(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.event_slot(id)?;
        self.enter_op(Op::Set, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        slot.count.store(1, Relaxed);
        let mut woken = Vec::new();
        while let Some(w) = waitq::pop(&self.v, &slot.waiters[0]) {
            woken.push(w);
        }
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Set, id, woken.first().copied().unwrap_or(NONE), woken.len() as i64, 0, 0, None);
        for &w in &woken {
            self.record_wake(Op::Wait, id, w);
        }
        for &w in &woken {
            self.hand_over(w, token(id));
        }
        Ok(())
    }

    /// `e.clear()`.
    pub fn event_clear(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.event_slot(id)?;
        self.enter_op(Op::Clear, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        slot.count.store(0, Relaxed);
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Clear, id, NONE, 0, 0, 0, None);
        Ok(())
    }

    /// `e.is_set()`.
    pub fn event_is_set(&self, id: u32, line: u32) -> LessonResult<bool> {
        let slot = self.event_slot(id)?;
        self.enter_op(Op::IsSet, line);
        let flag = slot.count.load(Acquire) != 0;
        self.record_op(Op::IsSet, id, NONE, flag as i64, 0, 0, None);
        Ok(flag)
    }

    /// `e.wait()` / `e.wait(secs)`: true once the flag is set, false on a timeout.
    pub fn event_wait(&self, id: u32, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        let slot = self.event_slot(id)?;
        self.enter_op(Op::Wait, line);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            if slot.count.load(Relaxed) != 0 {
                self.record_op(Op::Wait, id, NONE, 1, 0, 0, None);
                return Ok(true);
            }
            if timeout.is_some_and(|t| t <= 0.0) {
                self.record_op(Op::Wait, id, NONE, 0, 0, 0, None);
                return Ok(false);
            }
            self.enqueue(slot, 0);
            self.record_block(Op::Wait, id, NONE, NONE, timeout.is_some());
        }
        let set = self.await_handoff(Op::Wait, slot, 0, id, timeout, |t| t == token(id), || {}).is_some();
        self.record_op(Op::Wait, id, NONE, set as i64, 0, 0, None);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(set)
    }
}
