//! `Queue(maxsize)` and `JoinableQueue(maxsize)`: real cross-process FIFOs of
//! encoded values in the segment's data area.
//!
//! Slot fields: `count` = items in the queue; `capacity` = maxsize (0 =
//! unbounded, as Python treats `maxsize <= 0`); `aux[0]`/`aux[1]` = the
//! [`Fifo`]'s head and tail; `aux[2]` = unfinished tasks (JoinableQueue: +1 per
//! put, −1 per `task_done`); `aux[3]` = the hidden slot whose `waiters[0]`
//! holds the processes in `join()` (`NONE` until someone waits there); `aux[4]` =
//! the encoded bytes of the items in the queue; `aux[5]` = items that feeder
//! threads hold, to put (`qsize()` and `full()` count them, as CPython's
//! semaphore does). `waiters[0]` = getters blocked on an empty
//! queue, `waiters[1]` = putters blocked on a full one.
//!
//! A Python `Queue` has CPython's feeder thread ([`Feed`]): the items it
//! holds are bounded, as CPython's pipe is, by [`PIPE_BYTES`] of pickled
//! data, not only by `maxsize`. A `put` that does not fit says so
//! ([`Feed::Try`]: nothing recorded, the item goes to the process's feeder
//! thread), and the feeder's own put ([`Feed::Feeder`]) waits as a putter
//! until a get makes room, or a getter takes its item straight from it: the
//! docs' join-before-get deadlock is the feeder blocked here. A program's
//! put behind its feeder's items ([`Feed::Behind`]) on a full queue waits
//! among the putters with no item ([`ROOM`]): the get that makes room counts
//! its item as held and wakes it, as CPython's semaphore does.
//!
//! Hand-offs fix who gets what: a put finding a blocked getter gives it the
//! item directly (mailbox) — the item never enters the queue; a putter blocked
//! on a full queue parks its item in its own mailbox, and the getter that makes
//! room moves that item to the tail and wakes it. Op records (`a` = depth
//! after, `b` = unfinished after, detail = the item's preview):
//! put `c` = 0 queued, 1 handed to `other`, 2 moved in earlier by a getter
//! (or, after a wait for room, given to its feeder);
//! get `c` = 0 from the queue (`other` = a putter whose item the get moved in,
//! detail then `got<TAB>moved`), 1 handed by a putter; `c` = −1: the op
//! raised `queue.Empty`/`queue.Full` (detail says which). `d`: the digest
//! of the item put or got ([`super::item_digest`]), for explore's state key.
//!
//! Errors are Python's: `queue.Empty` / `queue.Full` (what `except queue.Empty:`
//! catches; the traceback of an uncaught one ends in `_queue.Empty` /
//! `queue.Full`), `ValueError: task_done() called too many times`.

use std::sync::atomic::Ordering::*;

use super::fifo::Fifo;
use super::{decode_item, item_digest, preview};
use crate::codec::{self, Value};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, WaitEnd, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

const UNFINISHED: usize = 2;
const JOINERS: usize = 3;
const BYTES: usize = 4;
const HELD: usize = 5;

/// What CPython's feeder can write before a reader reads: a Linux pipe's
/// default capacity.
pub const PIPE_BYTES: u64 = 65536;

/// In a blocked putter's `mailbox_len`: it is a feeder thread (its task
/// was counted by the put that gave it the item). Items are under 2 GiB.
const FEEDER_BIT: u32 = 1 << 31;

/// In a blocked putter's `mailbox_len`, with no item in its mailbox: a
/// program's put that waits for room only ([`Feed::Behind`], [`Feed::Count`]),
/// its item behind what its feeder holds. The get that makes room counts
/// the item as held (and its task) and wakes it; the feeder puts it later.
const ROOM: u32 = !FEEDER_BIT;
/// As [`ROOM`], for an item its feeder will drop (it cannot be pickled):
/// not held.
const ROOM_DROPPED: u32 = !FEEDER_BIT - 1;

/// Whether a blocked putter whose mailbox says `first` and `len` waits for
/// room only ([`ROOM`], [`ROOM_DROPPED`]).
fn room_waiter(first: u32, len: u32) -> bool {
    first == NONE && (len == ROOM || len == ROOM_DROPPED)
}

/// Who puts, and whether the pipe's capacity applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// A Rhai lesson's or a manager's queue: `maxsize` only.
    Direct,
    /// A Python program's `put`: an item that does not fit the pipe is not
    /// put (`Ok(false)`), its JoinableQueue task counted already; the
    /// process's feeder thread puts it.
    Try,
    /// The feeder thread's put: waits for room in the pipe (its task was
    /// counted by the `put` that gave it the item).
    Feeder,
    /// A Python program's `put` of an item that cannot be pickled (the
    /// feeder says so and drops it): nothing is put (`Ok(false)`); a
    /// JoinableQueue counts its task, as CPython's does.
    Count,
    /// A Python program's `put` while its process's feeder still has items
    /// to write: this one goes behind them (`Ok(false)`), its task counted,
    /// and `qsize()` counts it until the feeder puts it. On a full queue
    /// it waits for room first, as CPython's put waits on its semaphore.
    Behind,
}

/// `queue.Empty`.
pub fn empty_error() -> LessonError {
    LessonError::new("queue.Empty", "")
}

/// `queue.Full`.
pub fn full_error() -> LessonError {
    LessonError::new("queue.Full", "")
}

/// A bounded queue whose items and feeder-held items reach its `maxsize`
/// (what CPython's semaphore counts). Call with the slot's mutex held.
fn full_with_held(slot: &ResourceSlot) -> bool {
    let cap = slot.capacity.load(Relaxed);
    cap > 0 && slot.count.load(Relaxed) + slot.aux[HELD].load(Relaxed) as i64 >= cap
}

/// How a get or put may wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blocking {
    pub block: bool,
    /// Seconds; `None` = no limit.
    pub timeout: Option<f64>,
    /// Called as `put_nowait`/`get_nowait` (recorded as such).
    pub nowait: bool,
}

impl Blocking {
    pub const FOREVER: Blocking = Blocking { block: true, timeout: None, nowait: false };
    pub const NOWAIT: Blocking = Blocking { block: false, timeout: None, nowait: true };

    fn waits(&self) -> bool {
        self.block && !self.timeout.is_some_and(|t| t <= 0.0)
    }
}

impl LaneRuntime {
    fn queue_slot(&self, id: u32) -> LessonResult<(&'static ResourceSlot, bool)> {
        match self.slot(id, ResKind::JoinableQueue) {
            Ok(s) => Ok((s, true)),
            Err(_) => Ok((self.slot(id, ResKind::Queue)?, false)),
        }
    }

    fn queue_fifo(&self, slot: &'static ResourceSlot) -> Fifo<'static> {
        Fifo::new(self.v, &slot.aux[0], &slot.aux[1])
    }

    /// `Queue(maxsize)` / `JoinableQueue(maxsize)`.
    pub fn queue_new(&self, joinable: bool, maxsize: i64, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        let kind = if joinable { ResKind::JoinableQueue } else { ResKind::Queue };
        let id = self.new_resource(kind, None, maxsize.max(0), |s| {
            Fifo::init(&s.aux[0], &s.aux[1]);
            s.count.store(0, Relaxed);
            s.aux[UNFINISHED].store(0, Relaxed);
            s.aux[JOINERS].store(NONE as u64, Relaxed);
            s.aux[BYTES].store(0, Relaxed);
            s.aux[HELD].store(0, Relaxed);
        })?;
        Ok(id)
    }

    /// `q.put(v)`, `q.put(v, block, timeout)`, `q.put_nowait(v)`.
    pub fn queue_put(&self, id: u32, value: &Value, how: Blocking, line: u32) -> LessonResult<()> {
        self.queue_put_fed(id, value, how, Feed::Direct, line).map(|_| ())
    }

    /// [`LaneRuntime::queue_put`] as `feed` says: `Ok(false)` = not put, for the
    /// feeder thread (the pipe is full).
    pub fn queue_put_fed(&self, id: u32, value: &Value, how: Blocking, feed: Feed, line: u32) -> LessonResult<bool> {
        let (slot, joinable) = self.queue_slot(id)?;
        // A task is counted once: by the put, not again by its feeder.
        let counts = joinable && feed != Feed::Feeder;
        // (`Feed::Count` and `Feed::Behind` count and return before.)
        let held = |slot: &ResourceSlot| {
            if feed == Feed::Feeder {
                slot.aux[HELD].store(slot.aux[HELD].load(Relaxed).saturating_sub(1), Relaxed);
            }
        };
        let op = if how.nowait { Op::PutNowait } else { Op::Put };
        self.enter_op(op, line);
        if matches!(feed, Feed::Count | Feed::Behind) {
            let _g = Guard::new(&slot.mutex, self.lane);
            // CPython's put takes the queue's semaphore before it gives the
            // item to its feeder: a full queue (its items and what feeders
            // hold) raises queue.Full at a put that must not wait, and a
            // put that may wait waits for a get to make room.
            if full_with_held(slot) {
                if how.waits() {
                    drop(_g);
                    return self.queue_wait_room(id, slot, value, how, feed, op);
                }
                let unfinished = slot.aux[UNFINISHED].load(Relaxed) as i64;
                self.record_op(op, id, NONE, slot.count.load(Relaxed), unfinished, -1, Some("queue.Full"));
                return Err(full_error());
            }
            if joinable {
                slot.aux[UNFINISHED].fetch_add(1, Relaxed);
            }
            if feed == Feed::Behind {
                slot.aux[HELD].fetch_add(1, Relaxed);
            }
            slot.version.fetch_add(1, Release);
            return Ok(false);
        }
        self.ipc_check_sendable(std::slice::from_ref(value))?;
        let bytes = codec::encode(value)?;
        let len = bytes.len() as u32;
        let pv = preview(value);
        // Written before anything is decided: the chain is ours until published.
        let chain = self.v.write_chain(&bytes)?;
        let fifo = self.queue_fifo(slot);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let depth = slot.count.load(Relaxed);
            let unfinished = slot.aux[UNFINISHED].load(Relaxed) as i64 + counts as i64;
            if let Some(getter) = waitq::pop(&self.v, &slot.waiters[0]) {
                held(slot);
                slot.aux[UNFINISHED].store(unfinished as u64, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op_d(op, id, getter, depth, unfinished, 1, item_digest(value), Some(&pv));
                self.give(getter, id, Some((chain, len)));
                self.record_wake(Op::Get, id, getter);
                self.v.wake_lane(getter);
                return Ok(true);
            }
            let cap = slot.capacity.load(Relaxed);
            let bytes = slot.aux[BYTES].load(Relaxed);
            let fits = feed == Feed::Direct || bytes == 0 && (len as u64) <= PIPE_BYTES || bytes + len as u64 <= PIPE_BYTES;
            // A program's put counts what feeder threads hold, as CPython's
            // semaphore does (a feeder's own item is among them already).
            let counted = if feed == Feed::Try { depth + slot.aux[HELD].load(Relaxed) as i64 } else { depth };
            let room = cap <= 0 || counted < cap;
            if room && !fits && feed == Feed::Try {
                // For the feeder thread; its task is counted now, as CPython's put counts it.
                self.v.free_chain(chain);
                slot.aux[UNFINISHED].store(unfinished as u64, Relaxed);
                slot.aux[HELD].fetch_add(1, Relaxed);
                slot.version.fetch_add(1, Release);
                return Ok(false);
            }
            if room && fits {
                fifo.push_chain(chain, len).inspect_err(|_| self.v.free_chain(chain))?;
                slot.aux[BYTES].store(bytes + len as u64, Relaxed);
                held(slot);
                slot.count.store(depth + 1, Relaxed);
                slot.aux[UNFINISHED].store(unfinished as u64, Relaxed);
                slot.version.fetch_add(1, Release);
                self.record_op_d(op, id, NONE, depth + 1, unfinished, 0, item_digest(value), Some(&pv));
                return Ok(true);
            }
            if !how.waits() {
                self.v.free_chain(chain);
                self.record_op(op, id, NONE, depth, unfinished - counts as i64, -1, Some("queue.Full"));
                return Err(full_error());
            }
            // Full: the item waits in our own mailbox; the getter that makes
            // room moves it to the tail and wakes us.
            self.expect_handoff();
            self.me.mailbox_len.store(if feed == Feed::Feeder && len < FEEDER_BIT { len | FEEDER_BIT } else { len }, Relaxed);
            self.me.mailbox_block.store(chain, Release);
            waitq::push(&self.v, &slot.waiters[1], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(op, id, NONE, NONE, how.timeout.is_some());
        }
        let moved = self.queue_wait(op, id, slot, 1, how.timeout, || {
            if let Some(mine) = self.take_mailbox() {
                self.v.free_chain(mine.0);
            }
        });
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        if !moved {
            self.record_op(op, id, NONE, slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64, -1, Some("queue.Full"));
            return Err(full_error());
        }
        self.take_mailbox();
        let (depth, unfinished) = (slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64);
        self.record_op_d(op, id, NONE, depth, unfinished, 2, item_digest(value), Some(&pv));
        Ok(true)
    }

    /// Waits (queued in `slot.waiters[which]` already, its block recorded)
    /// until this lane is handed `id`, or `timeout` ends: then, unless the
    /// hand-off came meanwhile, leaves the queue, calls `withdraw` (what it
    /// parked in its mailbox) and records the timeout. Whether it was handed.
    fn queue_wait(&self, op: Op, id: u32, slot: &ResourceSlot, which: usize, timeout: Option<f64>, withdraw: impl FnOnce()) -> bool {
        if self.wait_until(op, id, NONE, timeout, || self.handed(id)) == WaitEnd::Done {
            return true;
        }
        let _g = Guard::new(&slot.mutex, self.lane);
        if self.handed(id) {
            return true;
        }
        waitq::remove(&self.v, &slot.waiters[which], self.lane);
        withdraw();
        slot.version.fetch_add(1, Release);
        self.record_timeout(op, id, NONE);
        false
    }

    /// Takes out of `slot`'s blocked putters the first live one that waits
    /// for room only ([`ROOM`], `room`) or has an item in its mailbox (not
    /// `room`). Call with the slot's mutex held.
    fn take_putter(&self, slot: &ResourceSlot, room: bool) -> Option<u32> {
        let lane = waitq::lanes(&self.v, &slot.waiters[1]).into_iter().find(|&l| {
            self.v.lane(l).is_some_and(|pl| pl.ended.load(Acquire) == 0 && room_waiter(pl.mailbox_block.load(Acquire), pl.mailbox_len.load(Relaxed)) == room)
        })?;
        waitq::remove(&self.v, &slot.waiters[1], lane).then_some(lane)
    }

    /// A put that waited for room only got it (its mailbox said `len`): its
    /// item, which its feeder puts, counts as held unless the feeder drops
    /// it ([`ROOM_DROPPED`]), as CPython's semaphore counts it. Returns the
    /// task to add to a JoinableQueue's unfinished ones (0 or 1). Call with
    /// the slot's mutex held.
    fn room_given(&self, id: u32, slot: &ResourceSlot, len: u32) -> i64 {
        if len == ROOM {
            slot.aux[HELD].fetch_add(1, Relaxed);
        }
        self.slot(id, ResKind::JoinableQueue).is_ok() as i64
    }

    /// Wakes the first put that waits for room only, if there is room now
    /// (see [`ROOM`]). Call with the slot's mutex held.
    fn grant_room(&self, id: u32, slot: &ResourceSlot) {
        if full_with_held(slot) {
            return;
        }
        let Some(putter) = self.take_putter(slot, true) else { return };
        let pl = self.v.lane(putter).expect("a waiter's lane is in range");
        let task = self.room_given(id, slot, pl.mailbox_len.swap(0, Relaxed));
        slot.aux[UNFINISHED].fetch_add(task as u64, Relaxed);
        slot.version.fetch_add(1, Release);
        self.give(putter, id, None);
        self.record_wake(Op::Put, id, putter);
        self.v.wake_lane(putter);
    }

    /// A program's put ([`Feed::Behind`], [`Feed::Count`]) on a queue that
    /// its items and what feeders hold fill: waits, as CPython's put waits
    /// on the queue's semaphore, until a get makes room for its item (which
    /// its feeder then puts) or its timeout ends (`queue.Full`).
    fn queue_wait_room(&self, id: u32, slot: &'static ResourceSlot, value: &Value, how: Blocking, feed: Feed, op: Op) -> LessonResult<bool> {
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            if !full_with_held(slot) {
                // Room came between the look and the lock: as if no wait.
                let task = self.room_given(id, slot, if feed == Feed::Behind { ROOM } else { ROOM_DROPPED });
                slot.aux[UNFINISHED].fetch_add(task as u64, Relaxed);
                slot.version.fetch_add(1, Release);
                return Ok(false);
            }
            self.expect_handoff();
            self.me.mailbox_len.store(if feed == Feed::Behind { ROOM } else { ROOM_DROPPED }, Relaxed);
            waitq::push(&self.v, &slot.waiters[1], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(op, id, NONE, NONE, how.timeout.is_some());
        }
        let room = self.queue_wait(op, id, slot, 1, how.timeout, || self.me.mailbox_len.store(0, Relaxed));
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        let (depth, unfinished) = (slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64);
        if !room {
            self.record_op(op, id, NONE, depth, unfinished, -1, Some("queue.Full"));
            return Err(full_error());
        }
        self.take_mailbox();
        // Done: its item is its feeder's to put (`c` = 2: not into the queue here).
        self.record_op(op, id, NONE, depth, unfinished, 2, Some(&preview(value)));
        Ok(false)
    }

    /// `q.get()`, `q.get(block, timeout)`, `q.get_nowait()`.
    pub fn queue_get(&self, id: u32, how: Blocking, line: u32) -> LessonResult<Value> {
        let (slot, _) = self.queue_slot(id)?;
        let op = if how.nowait { Op::GetNowait } else { Op::Get };
        if how.block && !how.nowait && how.timeout.is_none() {
            self.enter_wait_op(op, id, NONE, line);
        } else {
            self.enter_op(op, line);
        }
        let fifo = self.queue_fifo(slot);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            if let Some(item) = fifo.pop_bytes() {
                let taken = item.as_ref().map_or(0, |b| b.len() as u64);
                slot.aux[BYTES].store(slot.aux[BYTES].load(Relaxed).saturating_sub(taken), Relaxed);
                let mut depth = slot.count.load(Relaxed).saturating_sub(1).max(0);
                let mut unfinished = slot.aux[UNFINISHED].load(Relaxed) as i64;
                let value = decode_item(item);
                // Room was made: the first blocked putter's item moves in.
                let mut moved = None;
                let mut room = None;
                if let Some(putter) = waitq::pop(&self.v, &slot.waiters[1]) {
                    let pl = self.v.lane(putter).expect("a popped waiter's lane is in range");
                    let (first, raw) = (pl.mailbox_block.swap(NONE, Acquire), pl.mailbox_len.swap(0, Relaxed));
                    let (len, feeder) = (raw & !FEEDER_BIT, raw & FEEDER_BIT != 0);
                    if room_waiter(first, raw) {
                        // A put that waited for room only: the room is its
                        // item's; its task counts now, as CPython's put
                        // counts it once it has the semaphore.
                        unfinished += self.room_given(id, slot, raw);
                        room = Some(putter);
                    } else {
                        match fifo.push_chain(first, len) {
                            Ok(()) => {
                                depth += 1;
                                slot.aux[BYTES].fetch_add(len as u64, Relaxed);
                                if feeder {
                                    slot.aux[HELD].store(slot.aux[HELD].load(Relaxed).saturating_sub(1), Relaxed);
                                }
                                // A feeder's task was counted by its put (a putter
                                // blocked on maxsize is never a feeder of a pipe with room).
                                if self.slot(id, ResKind::JoinableQueue).is_ok() && !feeder {
                                    unfinished += 1;
                                }
                                let pv = self.v.read_chain(first, len).map(|b| decode_item(Some(b)).map(|v| preview(&v)).unwrap_or_else(|e| e.to_string())).unwrap_or_default();
                                moved = Some((putter, pv));
                            }
                            Err(_) => {
                                // No block for the node: the putter keeps waiting, item and all.
                                pl.mailbox_len.store(if feeder { len | FEEDER_BIT } else { len }, Relaxed);
                                pl.mailbox_block.store(first, Release);
                                waitq::push(&self.v, &slot.waiters[1], putter);
                            }
                        }
                    }
                }
                slot.count.store(depth, Relaxed);
                slot.aux[UNFINISHED].store(unfinished as u64, Relaxed);
                slot.version.fetch_add(1, Release);
                let got = value.as_ref().map(preview).unwrap_or_else(|e| e.to_string());
                let digest = value.as_ref().map_or(0, item_digest);
                match &moved {
                    Some((putter, pv)) => {
                        self.record_op_d(op, id, *putter, depth, unfinished, 0, digest, Some(&format!("{got}\t{pv}")));
                        self.give(*putter, id, None);
                        self.record_wake(Op::Put, id, *putter);
                        self.v.wake_lane(*putter);
                    }
                    None => {
                        self.record_op_d(op, id, NONE, depth, unfinished, 0, digest, Some(&got));
                        if let Some(putter) = room {
                            self.give(putter, id, None);
                            self.record_wake(Op::Put, id, putter);
                            self.v.wake_lane(putter);
                        }
                    }
                }
                return value;
            }
            // Empty, and a feeder waits with an item too big for the pipe:
            // the getter reads it from the feeder, as CPython's reader
            // reads what its feeder is still writing (a put waiting for
            // room only has no item to give).
            if let Some(putter) = self.take_putter(slot, false) {
                let pl = self.v.lane(putter).expect("a popped waiter's lane is in range");
                let (first, len) = (pl.mailbox_block.swap(NONE, Acquire), pl.mailbox_len.swap(0, Relaxed));
                if len & FEEDER_BIT != 0 {
                    slot.aux[HELD].store(slot.aux[HELD].load(Relaxed).saturating_sub(1), Relaxed);
                }
                let chain = (first, len & !FEEDER_BIT);
                let value = self.read_handed(chain);
                let got = value.as_ref().map(preview).unwrap_or_else(|e| e.to_string());
                let unfinished = slot.aux[UNFINISHED].load(Relaxed) as i64;
                slot.version.fetch_add(1, Release);
                self.record_op_d(op, id, putter, 0, unfinished, 1, value.as_ref().map_or(0, item_digest), Some(&got));
                self.give(putter, id, None);
                self.record_wake(Op::Put, id, putter);
                self.v.wake_lane(putter);
                // What the feeder held is taken: room for a put that waits for it.
                self.grant_room(id, slot);
                return value;
            }
            if !how.waits() {
                self.record_op(op, id, NONE, 0, slot.aux[UNFINISHED].load(Relaxed) as i64, -1, Some("queue.Empty"));
                return Err(empty_error());
            }
            self.expect_handoff();
            waitq::push(&self.v, &slot.waiters[0], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(op, id, NONE, NONE, how.timeout.is_some());
        }
        let handed = self.queue_wait(op, id, slot, 0, how.timeout, || {});
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        if !handed {
            self.record_op(op, id, NONE, slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64, -1, Some("queue.Empty"));
            return Err(empty_error());
        }
        let value = match self.take_mailbox() {
            Some(chain) => self.read_handed(chain),
            None => Err(LessonError::runtime("a queue hand-off came without its item")),
        };
        let got = value.as_ref().map(preview).unwrap_or_else(|e| e.to_string());
        self.record_op_d(op, id, NONE, slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64, 1, value.as_ref().map_or(0, item_digest), Some(&got));
        value
    }

    /// `q.qsize()`, `q.empty()`, `q.full()`: the answer, recorded with the depth.
    pub fn queue_query(&self, id: u32, op: Op, line: u32) -> LessonResult<Value> {
        let (slot, _) = self.queue_slot(id)?;
        self.enter_op(op, line);
        let (depth, cap, unfinished) = {
            let _g = Guard::new(&slot.mutex, self.lane);
            (slot.count.load(Relaxed), slot.capacity.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64)
        };
        // What feeders hold counts as CPython's semaphore counts it (not for `empty()`, its pipe's poll).
        let held = slot.aux[HELD].load(Relaxed) as i64;
        let answer = match op {
            Op::Empty => Value::Bool(depth == 0),
            Op::Full => Value::Bool(cap > 0 && depth + held >= cap),
            _ => Value::Int(depth + held),
        };
        self.record_op(op, id, NONE, depth, unfinished, 0, None);
        Ok(answer)
    }

    /// `q.task_done()` (JoinableQueue).
    pub fn queue_task_done(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::JoinableQueue)?;
        self.enter_op(Op::TaskDone, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        let unfinished = slot.aux[UNFINISHED].load(Relaxed);
        if unfinished == 0 {
            return Err(LessonError::value("task_done() called too many times"));
        }
        slot.aux[UNFINISHED].store(unfinished - 1, Relaxed);
        slot.version.fetch_add(1, Release);
        self.record_op(Op::TaskDone, id, NONE, slot.count.load(Relaxed), unfinished as i64 - 1, 0, None);
        if unfinished == 1
            && let Some(hidden) = self.hidden(&slot.aux[JOINERS])
        {
            while let Some(j) = waitq::pop(&self.v, &hidden.waiters[0]) {
                self.give(j, id, None);
                self.record_wake(Op::QueueJoin, id, j);
                self.v.wake_lane(j);
            }
        }
        Ok(())
    }

    /// `q.join()` (JoinableQueue): blocks until every item put was `task_done`.
    pub fn queue_join(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.slot(id, ResKind::JoinableQueue)?;
        self.enter_op(Op::QueueJoin, line);
        let hidden = {
            let _g = Guard::new(&slot.mutex, self.lane);
            let unfinished = slot.aux[UNFINISHED].load(Relaxed);
            if unfinished == 0 {
                self.record_op(Op::QueueJoin, id, NONE, slot.count.load(Relaxed), 0, 0, None);
                return Ok(());
            }
            let hidden = self.hidden_or_make(&slot.aux[JOINERS], ResKind::JoinableQueue, id)?;
            self.expect_handoff();
            waitq::push(&self.v, &hidden.waiters[0], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(Op::QueueJoin, id, NONE, NONE, false);
            hidden
        };
        // With no timeout, only a signal for the main thread ends the wait
        // early (see `gate::interrupted_left_ns`): the join is left, as a
        // timeout leaves a get, and made again once the handler returned.
        if self.wait_until(Op::QueueJoin, id, NONE, None, || self.handed(id)) != WaitEnd::Done {
            let _g = Guard::new(&slot.mutex, self.lane);
            if !self.handed(id) {
                waitq::remove(&self.v, &hidden.waiters[0], self.lane);
                slot.version.fetch_add(1, Release);
                self.record_timeout(Op::QueueJoin, id, NONE);
                drop(_g);
                self.set_state(ProcState::Running, None, NONE, NONE, 0);
                return Err(LessonError::new("InterruptedError", "a signal interrupted the wait"));
            }
        }
        self.take_mailbox();
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        self.record_op(Op::QueueJoin, id, NONE, slot.count.load(Relaxed), slot.aux[UNFINISHED].load(Relaxed) as i64, 0, None);
        Ok(())
    }
}
