//! Single-producer, single-consumer ring of [`RawRecord`]s, one per lane.
//!
//! Algorithm (as in rtrb): two monotonic `u64` counters, `head` (written only by
//! the lane's process: records published) and `tail` (written only by the
//! conductor: records consumed). Slot `i` lives at `i & (cap - 1)`.
//!
//! The two ends are two types: a lane's process holds its [`Producer`]
//! ([`View::producer`](super::View::producer)), the conductor a
//! [`Consumer`] ([`View::consumer`](super::View::consumer)), so that neither
//! can call the other's half by mistake.
//!
//! Contract:
//! - [`Producer::push`] never blocks: it appends a whole group of records or
//!   none of them; when the group does not fit it adds the group's size to
//!   `dropped` and returns `false`. So `head + dropped` = records written.
//! - Waiting is the caller's choice, made before it pushes:
//!   [`Producer::room`] says whether a group fits now, would fit once the
//!   consumer takes what is there ([`Room::Full`]), or never can (a group
//!   larger than the ring, or indices a hostile process scribbled on). The
//!   segment's writer ([`View::emit`](super::View::emit)) waits while the
//!   conductor's collector runs, so what a program says is never dropped
//!   (see `conductor::collect`).
//! - A record becomes visible only when `head` is stored (release) after its
//!   slot was written: a producer killed mid-write leaves at most an unpublished
//!   slot, never a torn published one.
//! - The consumer trusts nothing: if `head - tail` is more than `cap` (a
//!   corrupt or hostile producer), it skips to `head` and counts what it skipped.
//!   Decoding a slot's contents is the reader's job and also checks everything.

use std::sync::atomic::Ordering::*;

use super::layout::LaneSlot;
use super::record::RawRecord;

/// One lane's ring: its indices (in the [`LaneSlot`]) and its slots.
#[derive(Clone, Copy, Debug)]
struct Ring<'a> {
    lane: &'a LaneSlot,
    slots: *mut RawRecord,
    /// Power of two.
    cap: u32,
}

/// The writing end of a lane's ring (the lane's process).
#[derive(Clone, Copy, Debug)]
pub struct Producer<'a>(Ring<'a>);

/// The reading end of a lane's ring (the conductor).
#[derive(Clone, Copy, Debug)]
pub struct Consumer<'a>(Ring<'a>);

impl<'a> Producer<'a> {
    /// # Safety
    /// `slots` points at `cap` (a power of two) 64-byte-aligned records that
    /// stay mapped for `'a`, this lane's ring.
    pub(super) unsafe fn new(lane: &'a LaneSlot, slots: *mut RawRecord, cap: u32) -> Self {
        Producer(Ring { lane, slots, cap })
    }

    /// Appends all of `group` or, if it does not fit, none of it (counting it
    /// as dropped). Never blocks.
    #[inline]
    pub fn push(&self, group: &[RawRecord]) -> bool {
        self.0.push(group)
    }

    /// Whether a group of `n` records fits now (see [`Room`]).
    #[inline]
    pub fn room(&self, n: usize) -> Room {
        self.0.room(n as u64)
    }

    /// The lane whose ring this is.
    pub fn lane(&self) -> &'a LaneSlot {
        self.0.lane
    }

    /// Slots in the ring (a power of two).
    pub fn cap(&self) -> u32 {
        self.0.cap
    }

    /// Where record `i` (counted from the ring's start, wrapping) lives; a
    /// raw pointer, for tests that write a ring as a hostile process would.
    pub fn slot_ptr(&self, i: u64) -> *mut RawRecord {
        self.0.slot(i)
    }
}

impl<'a> Consumer<'a> {
    /// # Safety
    /// As [`Producer::new`].
    pub(super) unsafe fn new(lane: &'a LaneSlot, slots: *mut RawRecord, cap: u32) -> Self {
        Consumer(Ring { lane, slots, cap })
    }

    /// Moves every published record into `out` (at most `max`).
    pub fn pop_into(&self, out: &mut Vec<RawRecord>, max: usize) -> PopReport {
        self.0.pop_into(out, max)
    }

    /// Records published and not yet consumed (0 if the indices are impossible).
    pub fn pending(&self) -> u64 {
        self.0.pending()
    }

    /// The lane whose ring this is (its untrusted counters).
    pub fn lane(&self) -> &'a LaneSlot {
        self.0.lane
    }
}

/// Whether a group fits in a ring (the producer's view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// It fits now; `half`: pushing it takes the ring from under half full
    /// to half full or more (the moment to ask the consumer to come).
    Fits { half: bool },
    /// It fits once the consumer has taken what is there.
    Full,
    /// It never fits: larger than the ring, or impossible indices.
    Never,
}

/// What a consumer pass found besides records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PopReport {
    /// Records skipped because the indices were impossible.
    pub skipped: u64,
}

/// Copies a record into a ring slot as eight volatile 64-bit stores (a
/// volatile copy of the struct itself compiles to 64 single-byte stores).
#[inline]
fn store_slot(dst: *mut RawRecord, rec: &RawRecord) {
    // SAFETY: `RawRecord` is 64 bytes of plain integers with no padding (see
    // the size assert in `record`), so it is also eight `u64`s; `dst` is a
    // valid, 64-byte-aligned slot (the caller's contract).
    let words: [u64; 8] = unsafe { std::mem::transmute(*rec) };
    let dst = dst as *mut u64;
    for (i, w) in words.iter().enumerate() {
        // SAFETY: in bounds of the 64-byte slot, aligned.
        unsafe { dst.add(i).write_volatile(*w) };
    }
}

/// Copies a ring slot out as eight volatile 64-bit loads. Any bytes make a
/// valid `RawRecord` (its fields are plain integers), so a hostile writer can
/// only make the decoder reject it.
#[inline]
fn load_slot(src: *const RawRecord) -> RawRecord {
    let src = src as *const u64;
    let mut words = [0u64; 8];
    for (i, w) in words.iter_mut().enumerate() {
        // SAFETY: in bounds of the 64-byte slot, aligned.
        *w = unsafe { src.add(i).read_volatile() };
    }
    // SAFETY: every bit pattern is a valid `RawRecord` (see above).
    unsafe { std::mem::transmute::<[u64; 8], RawRecord>(words) }
}

impl<'a> Ring<'a> {
    #[inline]
    fn slot(&self, i: u64) -> *mut RawRecord {
        // SAFETY: the index is masked to `cap`, and `slots` points at `cap`
        // records inside the mapping (checked when the view was built).
        unsafe { self.slots.add((i & (self.cap as u64 - 1)) as usize) }
    }

    #[inline]
    fn room(&self, n: u64) -> Room {
        let cap = self.cap as u64;
        let used = self.lane.head.0.load(Relaxed).wrapping_sub(self.lane.tail.0.load(Acquire));
        if used > cap || n > cap {
            Room::Never
        } else if cap - used >= n {
            Room::Fits { half: used < cap / 2 && used + n >= cap / 2 }
        } else {
            Room::Full
        }
    }

    #[inline]
    fn push(&self, group: &[RawRecord]) -> bool {
        let n = group.len() as u64;
        let head = self.lane.head.0.load(Relaxed);
        let tail = self.lane.tail.0.load(Acquire);
        let used = head.wrapping_sub(tail);
        if used > self.cap as u64 || self.cap as u64 - used < n {
            self.lane.dropped.fetch_add(n, Relaxed);
            return false;
        }
        for (i, rec) in group.iter().enumerate() {
            // The slot is inside the ring and not visible to the consumer
            // until `head` moves past it below.
            store_slot(self.slot(head.wrapping_add(i as u64)), rec);
        }
        // Wrapping: another process could have scribbled on the indices.
        self.lane.head.0.store(head.wrapping_add(n), Release);
        true
    }

    fn pop_into(&self, out: &mut Vec<RawRecord>, max: usize) -> PopReport {
        let tail = self.lane.tail.0.load(Relaxed);
        let head = self.lane.head.0.load(Acquire);
        let avail = head.wrapping_sub(tail);
        if avail > self.cap as u64 {
            // Impossible for an honest producer: skip it all. At most a
            // ring's worth of records was there to lose (the jump itself is a
            // scribble, not a count: it showed as 4294967295 unreadable).
            self.lane.tail.0.store(head, Release);
            return PopReport { skipped: avail.min(self.cap as u64) };
        }
        let n = avail.min(max as u64);
        out.reserve(n as usize);
        for i in 0..n {
            // The slot is inside the ring; the producer published it (release
            // on `head`, acquire above) and will not reuse it until `tail`
            // moves past it.
            out.push(load_slot(self.slot(tail.wrapping_add(i))));
        }
        // `tail` lives in shared memory too: wrap rather than trust it.
        self.lane.tail.0.store(tail.wrapping_add(n), Release);
        PopReport::default()
    }

    fn pending(&self) -> u64 {
        let d = self.lane.head.0.load(Acquire).wrapping_sub(self.lane.tail.0.load(Relaxed));
        if d > self.cap as u64 { 0 } else { d }
    }
}
