//! `Barrier(n)`: n processes wait for one another, then all go on together.
//!
//! Slot fields: `capacity` = parties; `count` = parties waiting now;
//! `aux[0]` = broken (0/1); `aux[1]` = waiters a held release still owes
//! the token; `waiters[0]` = FIFO of waiting processes.
//! A process arriving gets the index `count` (0 for the first); the last of
//! the n (index n - 1) does not wait: it hands the token to every waiter and
//! resets the count for the next round. A barrier with an action holds that
//! hand-over: the last one runs the action first, as Python's does, and
//! then [`LaneRuntime::barrier_release`]s the waiters (or, if the action
//! raised, aborts the barrier, so they get `BrokenBarrierError`). A process
//! arriving in the meantime belongs to the next round: it queues behind
//! the held ones, and the release takes only those. A `wait` that times out breaks the
//! barrier, as Python's does: it and every waiter get
//! `BrokenBarrierError`, and so does every later `wait` until `reset()`.
//! `abort()` breaks it on purpose.
//!
//! Records: `Wait` a = 1 passed / 0 broken, b = index; the last arrival's
//! `Wait` has c = 1 and is followed by a `Wake` per waiter; `Load`
//! (n_waiting) a = count; `Set` for `reset()` (a = 0) and `abort()` (a = 1).

use std::sync::atomic::Ordering::*;

use super::{BROKEN, token};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

fn broken_error() -> LessonError {
    LessonError::new("BrokenBarrierError", "")
}

impl LaneRuntime {
    /// `Barrier(parties)`.
    pub fn barrier_new(&self, parties: i64, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        if parties < 1 {
            return Err(LessonError::value(format!("Barrier({parties}): a barrier needs at least one party")));
        }
        self.new_resource(ResKind::Barrier, None, parties, |s| {
            s.count.store(0, Relaxed);
            s.aux[0].store(0, Relaxed);
            s.aux[1].store(0, Relaxed);
        })
    }

    fn barrier_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Barrier)
    }

    /// Breaks the barrier: every waiter gets the broken token. Caller holds the mutex.
    fn barrier_break(&self, slot: &ResourceSlot, id: u32) {
        slot.aux[0].store(1, Relaxed);
        slot.aux[1].store(0, Relaxed);
        slot.count.store(0, Relaxed);
        let woken = self.barrier_pass(slot, i64::MAX);
        for &w in &woken {
            self.record_wake(Op::Wait, id, w);
        }
        for &w in &woken {
            self.hand_over(w, token(id) | BROKEN);
        }
    }

    /// Hands the token to the first `n` waiters. Caller holds the mutex.
    fn barrier_pass(&self, slot: &ResourceSlot, n: i64) -> Vec<u32> {
        let mut woken = Vec::new();
        while (woken.len() as i64) < n
            && let Some(w) = waitq::pop(&self.v, &slot.waiters[0])
        {
            woken.push(w);
        }
        slot.version.fetch_add(1, Release);
        woken
    }

    /// `b.wait()` / `b.wait(secs)`: the arrival index. `hold`: the barrier
    /// has an action; if this is the last party, the waiters stay until
    /// [`LaneRuntime::barrier_release`].
    pub fn barrier_wait(&self, id: u32, timeout: Option<f64>, hold: bool, line: u32) -> LessonResult<i64> {
        let slot = self.barrier_slot(id)?;
        self.enter_op(Op::Wait, line);
        let index = {
            let _g = Guard::new(&slot.mutex, self.lane);
            if slot.aux[0].load(Relaxed) != 0 {
                self.record_op(Op::Wait, id, NONE, 0, -1, 0, None);
                return Err(broken_error());
            }
            let parties = slot.capacity.load(Relaxed);
            let index = slot.count.load(Relaxed);
            if index + 1 >= parties {
                // The last one: everyone goes (after the action, if held).
                slot.count.store(0, Relaxed);
                if hold {
                    slot.aux[1].store(index as u64, Relaxed);
                    self.record_op(Op::Wait, id, NONE, 1, index, 1, None);
                    return Ok(index);
                }
                let woken = self.barrier_pass(slot, i64::MAX);
                self.record_op(Op::Wait, id, woken.first().copied().unwrap_or(NONE), 1, index, 1, None);
                for &w in &woken {
                    self.record_wake(Op::Wait, id, w);
                }
                for &w in &woken {
                    self.hand_over(w, token(id));
                }
                return Ok(index);
            }
            slot.count.store(index + 1, Relaxed);
            self.enqueue(slot, 0);
            self.record_block(Op::Wait, id, NONE, NONE, timeout.is_some());
            index
        };
        let accept = |t: u32| t & !BROKEN == token(id);
        // Timed out: Python breaks the barrier for everyone.
        let got = self.await_handoff(Op::Wait, slot, 0, id, timeout, accept, || self.barrier_break(slot, id)).unwrap_or(BROKEN);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        if got & BROKEN != 0 {
            self.record_op(Op::Wait, id, NONE, 0, index, 0, None);
            return Err(broken_error());
        }
        self.record_op(Op::Wait, id, NONE, 1, index, 0, None);
        Ok(index)
    }

    /// After a held last arrival's action: the waiters of its round go.
    /// (Not a step of its own: the end of that arrival's `wait`.)
    pub fn barrier_release(&self, id: u32) -> LessonResult<()> {
        let slot = self.barrier_slot(id)?;
        let _g = Guard::new(&slot.mutex, self.lane);
        let owed = slot.aux[1].swap(0, Relaxed) as i64;
        let woken = self.barrier_pass(slot, owed);
        for &w in &woken {
            self.record_wake(Op::Wait, id, w);
        }
        for &w in &woken {
            self.hand_over(w, token(id));
        }
        Ok(())
    }

    /// `b.abort()` (broken = true) / `b.reset()` (broken = false): both
    /// send every waiter away with `BrokenBarrierError`.
    pub fn barrier_reset(&self, id: u32, abort: bool, line: u32) -> LessonResult<()> {
        let slot = self.barrier_slot(id)?;
        self.enter_op(Op::Set, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        self.record_op(Op::Set, id, NONE, abort as i64, 0, 0, None);
        self.barrier_break(slot, id);
        if !abort {
            slot.aux[0].store(0, Relaxed);
        }
        Ok(())
    }

    /// `b.n_waiting`.
    pub fn barrier_waiting(&self, id: u32, line: u32) -> LessonResult<i64> {
        let slot = self.barrier_slot(id)?;
        self.enter_op(Op::Load, line);
        let n = slot.count.load(Acquire);
        self.record_op(Op::Load, id, NONE, n, 0, 0, None);
        Ok(n)
    }

    /// `b.parties` and `b.broken` (fixed, or a plain read: not ops).
    pub fn barrier_info(&self, id: u32) -> LessonResult<(i64, bool)> {
        let slot = self.barrier_slot(id)?;
        Ok((slot.capacity.load(Acquire), slot.aux[0].load(Acquire) != 0))
    }
}
