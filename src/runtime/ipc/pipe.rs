//! `Pipe()` (duplex) and `Pipe(false)` (one-way: end 0 only receives, end 1
//! only sends, as Python's `r, w = Pipe(duplex=False)`): two ends, each a
//! FIFO of the messages travelling *toward* it.
//!
//! Slot fields: `count` = messages in transit; `capacity` = 1 duplex, 0
//! one-way; `aux[0..2]` / `aux[2..4]` = the [`Fifo`]s toward end 0 / end 1;
//! `aux[4]`/`aux[5]` = their lengths; `aux[6]` = the holders chain (block in
//! the low 32 bits, byte length in the high ones); `aux[7]` = the hidden slot
//! whose `waiters[e]` are the processes in `poll(secs)` at end `e` (`NONE`
//! until someone polls with a timeout).
//! `waiters[e]` = processes blocked in `recv()` at end `e`.
//!
//! **Who holds an end** decides end of file, the way descriptors do in Python:
//! the creator holds both ends; a child started with an end among its
//! arguments holds it from its start (its parent registers it before the
//! spawn, so closing the parent's copy right after `start()` cannot race); a
//! process that receives an end in a message holds it from then on. A process
//! stops holding an end when it calls `close()` on it (any of its handles to
//! that end: they are the same connection) or when it ends — at its normal
//! end the ends it still holds are closed (recorded), and a process killed by
//! a signal no longer counts once forkscope has seen it end (the conductor
//! then wakes every blocked process to look again). `recv()` on an
//! end with nothing pending, when no live process holds the other end, raises
//! `EOFError`: so, as in the course, a child that keeps its copy of the
//! parent's end never sees end of file (`不写close将不会引发EOFError`).
//!
//! Python's messages: `OSError: handle is closed` (using an end this process
//! closed), `OSError: connection is read-only` / `write-only` (wrong way on a
//! one-way pipe), `BrokenPipeError: [Errno 32] Broken pipe` (sending when no
//! one holds the other end). Unlike an OS pipe, `send` never blocks (no
//! buffer limit). Op records: `a` = messages in transit after, `b` = the end
//! used; send `c` = 1 handed to the receiver `other`, 0 queued; recv `c` = 0
//! from the queue, 1 handed, 2 end of file; poll `c` = the answer; close `c`
//! = live holders of that end left.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::*;

use super::fifo::Fifo;
use super::{HIDDEN, decode_item, preview};
use crate::codec::{self, Value};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

const HOLDERS: usize = 6;
const POLLERS: usize = 7;

pub fn eof_error() -> LessonError {
    LessonError::new("EOFError", "")
}

fn closed_error() -> LessonError {
    LessonError::os("handle is closed")
}

fn pack(first: u32, len: u32) -> u64 {
    first as u64 | (len as u64) << 32
}

impl LaneRuntime {
    fn pipe_fifo(&self, slot: &'static ResourceSlot, end: u8) -> Fifo<'static> {
        let i = 2 * (end as usize & 1);
        Fifo::new(self.v, &slot.aux[i], &slot.aux[i + 1])
    }

    fn pipe_len(slot: &ResourceSlot, end: u8) -> &AtomicU64 {
        &slot.aux[4 + (end as usize & 1)]
    }

    /// Who holds which end: (lane, end) pairs. Under the mutex.
    fn pipe_holders(&self, slot: &ResourceSlot) -> Vec<(u32, u8)> {
        let w = slot.aux[HOLDERS].load(Relaxed);
        let (first, len) = (w as u32, (w >> 32) as u32);
        if len == 0 {
            return Vec::new();
        }
        self.v.read_chain(first, len).and_then(|b| codec::decode(&b).ok()).unwrap_or_default()
    }

    fn pipe_set_holders(&self, slot: &ResourceSlot, holders: &[(u32, u8)]) -> LessonResult<()> {
        let bytes = codec::encode(&holders.to_vec())?;
        let first = self.v.write_chain(&bytes)?;
        let old = slot.aux[HOLDERS].swap(pack(first, bytes.len() as u32), Relaxed);
        if (old >> 32) != 0 {
            self.v.free_chain(old as u32);
        }
        Ok(())
    }

    /// Live processes holding `end`. Under the mutex.
    fn pipe_live(&self, holders: &[(u32, u8)], end: u8) -> usize {
        holders.iter().filter(|(l, e)| *e == end && self.v.lane(*l).is_some_and(|l| l.ended.load(Acquire) == 0 && l.pid.load(Acquire) >= 0)).count()
    }

    fn pipe_duplex(slot: &ResourceSlot) -> bool {
        slot.capacity.load(Relaxed) == 1
    }

    /// `Pipe()` / `Pipe(false)`: the pipe's id; its ends are 0 and 1.
    pub fn pipe_new(&self, duplex: bool, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        let id = self.new_resource(ResKind::Pipe, None, duplex as i64, |s| {
            Fifo::init(&s.aux[0], &s.aux[1]);
            Fifo::init(&s.aux[2], &s.aux[3]);
            s.aux[4].store(0, Relaxed);
            s.aux[5].store(0, Relaxed);
            s.aux[HOLDERS].store(pack(NONE, 0), Relaxed);
            s.aux[POLLERS].store(NONE as u64, Relaxed);
            s.count.store(0, Relaxed);
        })?;
        let slot = self.slot(id, ResKind::Pipe)?;
        let _g = Guard::new(&slot.mutex, self.lane);
        self.pipe_set_holders(slot, &[(self.home, 0), (self.home, 1)])?;
        Ok(id)
    }

    /// Makes `lane` a holder of `end` (a child given the end at its start, or
    /// this process receiving it). Not an op: it happens inside another one.
    pub fn pipe_adopt_for(&self, id: u32, end: u8, lane: u32) {
        let Ok(slot) = self.slot(id, ResKind::Pipe) else { return };
        if slot.capacity.load(Relaxed) == HIDDEN {
            return;
        }
        let _g = Guard::new(&slot.mutex, self.lane);
        let mut holders = self.pipe_holders(slot);
        if !holders.contains(&(lane, end & 1)) {
            holders.push((lane, end & 1));
            let _ = self.pipe_set_holders(slot, &holders);
            slot.version.fetch_add(1, Release);
        }
    }

    /// Whether this process holds `end` of pipe `id`.
    pub(crate) fn pipe_holds(&self, id: u32, end: u8) -> bool {
        let Ok(slot) = self.slot(id, ResKind::Pipe) else { return false };
        let _g = Guard::new(&slot.mutex, self.lane);
        self.pipe_holders(slot).contains(&(self.home, end & 1))
    }

    /// Checks that this process may use `end` for `op`. Under the mutex.
    fn pipe_check(&self, slot: &ResourceSlot, end: u8, sending: bool) -> LessonResult<Vec<(u32, u8)>> {
        let holders = self.pipe_holders(slot);
        if !holders.contains(&(self.home, end)) {
            return Err(closed_error());
        }
        if !Self::pipe_duplex(slot) {
            match (end, sending) {
                (0, true) => return Err(LessonError::os("connection is read-only")),
                (1, false) => return Err(LessonError::os("connection is write-only")),
                _ => {}
            }
        }
        Ok(holders)
    }

    /// `c.send(v)` on end `end`.
    pub fn pipe_send(&self, id: u32, end: u8, value: &Value, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::Pipe)?;
        let end = end & 1;
        self.enter_op(Op::Send, line);
        self.ipc_check_sendable(std::slice::from_ref(value))?;
        let bytes = codec::encode(value)?;
        let len = bytes.len() as u32;
        let pv = preview(value);
        let _g = Guard::new(&slot.mutex, self.lane);
        let holders = self.pipe_check(slot, end, true)?;
        let dest = 1 - end;
        if self.pipe_live(&holders, dest) == 0 {
            return Err(LessonError::new("BrokenPipeError", "[Errno 32] Broken pipe"));
        }
        let chain = self.v.write_chain(&bytes)?;
        let count = slot.count.load(Relaxed);
        if let Some(receiver) = waitq::pop(&self.v, &slot.waiters[dest as usize]) {
            slot.version.fetch_add(1, Release);
            self.record_op(Op::Send, id, receiver, count, end as i64, 1, Some(&pv));
            self.give(receiver, id, Some((chain, len)));
            self.record_wake(Op::Recv, id, receiver);
            self.v.wake_lane(receiver);
            return Ok(());
        }
        self.pipe_fifo(slot, dest).push_chain(chain, len).inspect_err(|_| self.v.free_chain(chain))?;
        Self::pipe_len(slot, dest).fetch_add(1, Relaxed);
        slot.count.store(count + 1, Relaxed);
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Send, id, NONE, count + 1, end as i64, 0, Some(&pv));
        self.pipe_wake_pollers(slot, id, dest);
        Ok(())
    }

    /// Wakes every process in `poll` at `end` (empty hand-off). Under the mutex.
    fn pipe_wake_pollers(&self, slot: &ResourceSlot, id: u32, end: u8) {
        if let Some(hidden) = self.hidden(&slot.aux[POLLERS]) {
            while let Some(p) = waitq::pop(&self.v, &hidden.waiters[end as usize]) {
                self.give(p, id, None);
                self.record_wake(Op::Poll, id, p);
                self.v.wake_lane(p);
            }
        }
    }

    /// Whether a `recv` at `end` would not block: a message, or end of file.
    fn pipe_ready(&self, slot: &'static ResourceSlot, end: u8) -> bool {
        // Pairs with the conductor's fence after it marks a process ended.
        std::sync::atomic::fence(SeqCst);
        let _g = Guard::new(&slot.mutex, self.lane);
        Self::pipe_len(slot, end).load(Relaxed) > 0 || self.pipe_live(&self.pipe_holders(slot), 1 - end) == 0
    }

    /// `c.recv()` on end `end`.
    pub fn pipe_recv(&self, id: u32, end: u8, line: u32) -> LessonResult<Value> {
        let slot = self.slot(id, ResKind::Pipe)?;
        let end = end & 1;
        self.enter_op(Op::Recv, line);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let holders = self.pipe_check(slot, end, false)?;
            if let Some(item) = self.pipe_fifo(slot, end).pop_bytes() {
                Self::pipe_len(slot, end).fetch_sub(1, Relaxed);
                let count = slot.count.fetch_sub(1, Relaxed) - 1;
                slot.version.fetch_add(1, Release);
                let value = decode_item(item);
                let pv = value.as_ref().map(preview).unwrap_or_else(|e| e.to_string());
                self.record_op(Op::Recv, id, NONE, count, end as i64, 0, Some(&pv));
                return value;
            }
            if self.pipe_live(&holders, 1 - end) == 0 {
                self.record_op(Op::Recv, id, NONE, slot.count.load(Relaxed), end as i64, 2, Some("EOFError"));
                return Err(eof_error());
            }
            self.expect_handoff();
            waitq::push(&self.v, &slot.waiters[end as usize], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(Op::Recv, id, NONE, NONE, false);
        }
        // Woken by a sender or a closer; or by the conductor when a holder
        // ends by a signal (then `pipe_ready` sees the end of file).
        self.wait_until_uninterrupted(Op::Recv, id, NONE, None, || self.handed(id) || self.pipe_ready(slot, end));
        let handed = {
            let _g = Guard::new(&slot.mutex, self.lane);
            self.handed(id) || {
                waitq::remove(&self.v, &slot.waiters[end as usize], self.lane);
                slot.version.fetch_add(1, Release);
                false
            }
        };
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        let chain = if handed { self.take_mailbox() } else { None };
        match chain {
            Some(chain) => {
                let value = self.read_handed(chain);
                let pv = value.as_ref().map(preview).unwrap_or_else(|e| e.to_string());
                self.record_op(Op::Recv, id, NONE, slot.count.load(Relaxed), end as i64, 1, Some(&pv));
                value
            }
            None => {
                self.record_op(Op::Recv, id, NONE, slot.count.load(Relaxed), end as i64, 2, Some("EOFError"));
                Err(eof_error())
            }
        }
    }

    /// `c.poll()` / `c.poll(secs)`: whether `recv` would not block (a message
    /// is there, or end of file), waiting up to `secs` for it.
    pub fn pipe_poll(&self, id: u32, end: u8, timeout: f64, line: u32) -> LessonResult<bool> {
        let slot = self.slot(id, ResKind::Pipe)?;
        let end = end & 1;
        self.enter_op(Op::Poll, line);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let holders = self.pipe_check(slot, end, false)?;
            let ready = Self::pipe_len(slot, end).load(Relaxed) > 0 || self.pipe_live(&holders, 1 - end) == 0;
            if ready || timeout <= 0.0 {
                self.record_op(Op::Poll, id, NONE, slot.count.load(Relaxed), end as i64, ready as i64, None);
                return Ok(ready);
            }
            let hidden = self.hidden_or_make(&slot.aux[POLLERS], ResKind::Pipe, id)?;
            self.expect_handoff();
            waitq::push(&self.v, &hidden.waiters[end as usize], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(Op::Poll, id, NONE, NONE, true);
        }
        let timeout = timeout.is_finite().then_some(timeout);
        self.wait_until(Op::Poll, id, NONE, timeout, || self.handed(id) || self.pipe_ready(slot, end));
        let ready = {
            let _g = Guard::new(&slot.mutex, self.lane);
            if !self.handed(id)
                && let Some(hidden) = self.hidden(&slot.aux[POLLERS])
            {
                waitq::remove(&self.v, &hidden.waiters[end as usize], self.lane);
            }
            self.take_mailbox();
            let ready = Self::pipe_len(slot, end).load(Relaxed) > 0 || self.pipe_live(&self.pipe_holders(slot), 1 - end) == 0;
            if !ready {
                self.record_timeout(Op::Poll, id, NONE);
            }
            ready
        };
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        self.record_op(Op::Poll, id, NONE, slot.count.load(Relaxed), end as i64, ready as i64, None);
        Ok(ready)
    }

    /// `c.close()`: this process stops holding `end` (a second close does nothing).
    pub fn pipe_close(&self, id: u32, end: u8, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::Pipe)?;
        self.enter_op(Op::Close, line);
        self.pipe_drop_end(id, slot, end & 1, None);
        Ok(())
    }

    /// Removes this process from the holders of `end`; if no live holder is
    /// left, what was sent toward it is dropped and the other end's waiters
    /// are woken to see end of file.
    fn pipe_drop_end(&self, id: u32, slot: &'static ResourceSlot, end: u8, detail: Option<&str>) {
        let _g = Guard::new(&slot.mutex, self.lane);
        let mut holders = self.pipe_holders(slot);
        let before = holders.len();
        holders.retain(|h| *h != (self.home, end));
        if holders.len() == before {
            return;
        }
        let _ = self.pipe_set_holders(slot, &holders);
        let live = self.pipe_live(&holders, end);
        if live == 0 {
            let dropped = Self::pipe_len(slot, end).swap(0, Relaxed) as i64;
            self.pipe_fifo(slot, end).clear();
            slot.count.fetch_sub(dropped, Relaxed);
        }
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Close, id, NONE, slot.count.load(Relaxed), end as i64, live as i64, detail);
        if live == 0 {
            let other = 1 - end;
            while let Some(r) = waitq::pop(&self.v, &slot.waiters[other as usize]) {
                self.give(r, id, None);
                self.record_wake(Op::Recv, id, r);
                self.v.wake_lane(r);
            }
            self.pipe_wake_pollers(slot, id, other);
        }
    }

    /// At the process's end: every pipe end it still holds closes.
    pub(crate) fn pipe_release_all(&self) {
        for id in 0..self.v.resources_in_use() {
            let Ok(slot) = self.slot(id, ResKind::Pipe) else { continue };
            if slot.capacity.load(Relaxed) == HIDDEN {
                continue;
            }
            let held: Vec<u8> = {
                let _g = Guard::new(&slot.mutex, self.lane);
                self.pipe_holders(slot).iter().filter(|(l, _)| *l == self.home).map(|(_, e)| *e).collect()
            };
            for end in held {
                self.pipe_drop_end(id, slot, end, Some("closed at exit"));
            }
        }
    }
}
