//! The `#[repr(C)]` structures of the segment and where each one lives.
//!
//! ```text
//! offset 0          Header      magic, layout version, geometry, offsets
//!        4096       Control     mode, grants, epoch, global sequence, allocators
//!        lanes_off  LaneSlot × lanes          identity, wake words, seqlock status, ring indices
//!        rings_off  RawRecord × ring_cap × lanes   one single-producer ring per lane
//!        res_off    ResourceSlot × resources
//!        blocks_off Block × blocks        data area (spawn arguments, queue items, run info)
//! ```
//!
//! The data area grows: block indices at and above `blocks` live in
//! extension arenas, companion objects of the segment (`<name>.a<k>`, each
//! [`ARENA_BYTES`]), and a payload too big for blocks lives in an object of
//! its own (`<name>.s<n>`); see `chain`.
//!
//! Every shared field is an atomic, so a process reading what another writes is
//! never a data race in Rust's sense; plain byte payloads (`Block::data`, ring
//! slots) are published through an atomic with release/acquire ordering and read
//! with volatile copies. Lane 0 belongs to the conductor; lane 1 is `main`.
//!
//! Index fields use `u32::MAX` ([`NONE`]) for "none"; lane indices are
//! `< Header::lanes`, resource ids `< Header::resources`, block indices
//! `< Header::blocks`. A reader checks every index before using it.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering::*};

use super::record::RawRecord;

pub const MAGIC: u64 = u64::from_le_bytes(*b"FRKSCOPE");
pub const LAYOUT_VERSION: u32 = 5;
pub const NONE: u32 = u32::MAX;
pub use crate::vocab::{CONDUCTOR_LANE, MAIN_LANE};
pub const PAGE: usize = 4096;

/// Sizes fixed at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Process slots, the conductor's lane 0 included (2..=65535).
    pub lanes: u32,
    /// Records per lane ring; a power of two.
    pub ring_cap: u32,
    /// Resource slots.
    pub resources: u32,
    /// Data blocks of [`BLOCK_DATA`] bytes.
    pub blocks: u32,
}

/// Lanes whose rings are reserved when the segment is made (see
/// `Segment::reserve_space`); the ring of each lane past them is reserved
/// as the lane is handed out (`View::alloc_lane`). A run of a few processes
/// then zeroes about 6 MiB at its start, not all 21 MiB of the default
/// geometry (16 MiB of it the rings of 1,024 lanes).
pub const RINGS_UP_FRONT: u32 = 64;

impl Geometry {
    /// Bytes of one lane's ring.
    pub fn ring_bytes(&self) -> usize {
        self.ring_cap as usize * std::mem::size_of::<RawRecord>()
    }
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry { lanes: 1024, ring_cap: 256, resources: 1024, blocks: 16384 }
    }
}

/// Byte offsets of each region, derived from a [`Geometry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offsets {
    pub control: usize,
    pub lanes: usize,
    pub rings: usize,
    pub resources: usize,
    pub blocks: usize,
    pub total: usize,
}

fn page_up(n: usize) -> usize {
    n.div_ceil(PAGE) * PAGE
}

impl Geometry {
    pub fn offsets(&self) -> Offsets {
        let control = PAGE;
        let lanes = control + page_up(std::mem::size_of::<Control>());
        let rings = lanes + page_up(self.lanes as usize * std::mem::size_of::<LaneSlot>());
        let resources = rings + page_up(self.lanes as usize * self.ring_cap as usize * std::mem::size_of::<RawRecord>());
        let blocks = resources + page_up(self.resources as usize * std::mem::size_of::<ResourceSlot>());
        let total = blocks + page_up(self.blocks as usize * std::mem::size_of::<Block>());
        Offsets { control, lanes, rings, resources, blocks, total }
    }

    pub fn is_sane(&self) -> bool {
        (2..=65535).contains(&self.lanes)
            && self.ring_cap.is_power_of_two()
            && (8..=1 << 20).contains(&self.ring_cap)
            && (1..=1 << 20).contains(&self.resources)
            && (1..=1 << 24).contains(&self.blocks)
    }
}

/// First bytes of the segment, written once by the conductor before any process
/// starts. A process opening the segment checks all of it.
#[repr(C)]
#[derive(Debug)]
pub struct Header {
    pub magic: AtomicU64,
    pub version: AtomicU32,
    pub lanes: AtomicU32,
    pub ring_cap: AtomicU32,
    pub resources: AtomicU32,
    pub blocks: AtomicU32,
    pub lane_size: AtomicU32,
    pub record_size: AtomicU32,
    pub resource_size: AtomicU32,
    pub block_size: AtomicU32,
    pub control_size: AtomicU32,
    pub total_size: AtomicU64,
}

/// Run-wide control: the gate's mode, allocators, the global sequence.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct Control {
    /// [`MODE_RUNNING`] or [`MODE_PAUSED`]. Read at every checkpoint.
    pub mode: AtomicU32,
    /// Step granularity: [`GRAN_OP`] or [`GRAN_STATEMENT`].
    pub granularity: AtomicU32,
    /// Sleep speed in thousandths: 1000 = real time, 2000 = twice as fast.
    pub speed_milli: AtomicU32,
    /// Set by the conductor once it has ended every process (the guard then has nothing to do).
    pub clean: AtomicU32,
    pub conductor_pid: AtomicI32,
    /// Process group of the run's processes (= main's pid once started).
    pub pgid: AtomicI32,
    /// Start time of the conductor in clock ticks since boot (`/proc/pid/stat` field 22).
    pub conductor_start: AtomicU64,
    /// `CLOCK_MONOTONIC` at run start, ns; record times are relative to it.
    pub run_start_ns: AtomicU64,
    pub seed: AtomicU64,
    /// Next lane to hand out (lanes are never reused within a run).
    pub next_lane: AtomicU32,
    /// Next resource id to hand out.
    pub next_res: AtomicU32,
    /// Run info (bincode of `RunInfo`): first block and byte length.
    pub info_block: AtomicU32,
    pub info_len: AtomicU32,
    /// Free-block stack head: `tag << 32 | index` (index `NONE` = empty):
    /// blocks given back. Blocks never used yet come from `blocks_fresh`.
    pub free_blocks: AtomicU64,
    /// First block never handed out: the blocks above it are untouched (so
    /// their pages are never allocated unless a run needs them).
    pub blocks_fresh: AtomicU32,
    /// Blocks currently allocated (for display and leak checks).
    pub blocks_used: AtomicU32,
    /// Extension arenas of blocks made so far (see `chain`): the data area
    /// grows by one when its blocks are all in use. At most [`MAX_ARENAS`].
    pub arenas: AtomicU32,
    /// Pid of the process making the next arena, 0 when none is.
    pub arena_maker: AtomicI32,
    /// Next number for a payload spilled into its own object (see `chain`).
    pub spill_next: AtomicU64,
    /// Set by the first process whose watcher sees the conductor gone: that
    /// one kills the run's group, the others only end themselves (a
    /// thousand watchers each killing a group of a thousand made the kernel
    /// take seconds to end them).
    pub orphaned: AtomicU32,
    /// Loop iterations of `compute` per millisecond, calibrated by the conductor.
    pub compute_per_ms: AtomicU64,
    /// The time the run has spent paused (see [`Control::paused_ns`]): a
    /// sequence word (odd while the conductor changes the two below), the
    /// nanoseconds of the pauses ended so far, and `CLOCK_MONOTONIC` when
    /// the current pause began (0: running). The program's clocks leave it
    /// out, so they do not jump by the time a class spent paused.
    pub paused_seq: AtomicU32,
    pub paused_total_ns: AtomicU64,
    pub paused_since_ns: AtomicU64,
    /// Global record sequence; one `fetch_add` per record. Own cache line.
    pub seq: Padded<AtomicU64>,
    /// 1 while the conductor's collector empties the rings: a writer whose
    /// ring is full may then wait for room (see `ring`); 0: it drops.
    pub collector: AtomicU32,
    /// The collector's doorbell: a writer whose ring passes half full (or
    /// is full) bumps it and wakes the collector. Own cache line.
    pub bell: Padded<AtomicU32>,
    /// The conductor's settle bell: while it waits for a step to settle
    /// (`settle_waiting` != 0), a process that parks, blocks, sleeps or ends
    /// bumps it and wakes the conductor (see [`Control::ring_settle`]).
    /// Own cache line.
    pub settle_bell: Padded<AtomicU32>,
    pub settle_waiting: AtomicU32,
}

#[repr(C, align(64))]
#[derive(Debug, Default)]
pub struct Padded<T>(pub T);

impl Control {
    /// Wakes the conductor if it waits for the run to settle: a process's
    /// state (or end) changed. A bell missed costs only latency: the
    /// conductor's wait is bounded, and it looks again at every wake.
    pub fn ring_settle(&self) {
        std::sync::atomic::fence(SeqCst);
        if self.settle_waiting.load(SeqCst) != 0 {
            self.settle_bell.0.fetch_add(1, SeqCst);
            super::futex::wake_all(&self.settle_bell.0);
        }
    }

    /// Notes that the run is paused (or running) from `now` (`CLOCK_MONOTONIC`, ns) on.
    /// The conductor's alone.
    pub fn note_paused(&self, paused: bool, now: u64) {
        self.paused_seq.fetch_add(1, SeqCst);
        let since = self.paused_since_ns.load(SeqCst);
        if paused && since == 0 {
            self.paused_since_ns.store(now.max(1), SeqCst);
        } else if !paused && since != 0 {
            self.paused_total_ns.fetch_add(now.saturating_sub(since), SeqCst);
            self.paused_since_ns.store(0, SeqCst);
        }
        self.paused_seq.fetch_add(1, SeqCst);
    }

    /// Nanoseconds the run has spent paused up to `now` (`CLOCK_MONOTONIC`),
    /// the current pause included.
    pub fn paused_ns(&self, now: u64) -> u64 {
        loop {
            let seq = self.paused_seq.load(SeqCst);
            let total = self.paused_total_ns.load(SeqCst);
            let since = self.paused_since_ns.load(SeqCst);
            if seq.is_multiple_of(2) && self.paused_seq.load(SeqCst) == seq {
                return total + if since == 0 { 0 } else { now.saturating_sub(since) };
            }
            std::hint::spin_loop();
        }
    }
}

pub const MODE_RUNNING: u32 = 0;
pub const MODE_PAUSED: u32 = 1;
pub const GRAN_OP: u32 = 0;
pub const GRAN_STATEMENT: u32 = 1;

pub use crate::vocab::ProcState;

/// A lane's status, written only by its process under a seqlock: `seq` is odd
/// while a write is in progress. Readers retry a bounded number of times.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Status {
    pub seq: AtomicU32,
    pub state: AtomicU32,
    /// Op in progress or last op ([`super::record::Op`] code).
    pub op: AtomicU32,
    /// Resource blocked on, or `NONE`.
    pub res: AtomicU32,
    /// Other lane involved (join target), or `NONE`.
    pub other: AtomicU32,
    pub exit_code: AtomicI32,
    /// When the state was entered (ns since run start).
    pub since_ns: AtomicU64,
    /// When a sleep or timed wait ends (ns since run start), 0 = none.
    pub deadline_ns: AtomicU64,
    /// Ops performed so far.
    pub ops: AtomicU64,
}

/// A consistent copy of a [`Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StatusSnapshot {
    pub state: u32,
    pub op: u32,
    pub res: u32,
    pub other: u32,
    pub exit_code: i32,
    pub since_ns: u64,
    pub deadline_ns: u64,
    pub ops: u64,
}

impl Status {
    /// Owner only: writes a whole snapshot under the seqlock.
    pub fn write(&self, s: &StatusSnapshot) {
        let seq = self.seq.load(Relaxed);
        self.seq.store(seq.wrapping_add(1) | 1, Relaxed);
        std::sync::atomic::fence(Release);
        self.state.store(s.state, Relaxed);
        self.op.store(s.op, Relaxed);
        self.res.store(s.res, Relaxed);
        self.other.store(s.other, Relaxed);
        self.exit_code.store(s.exit_code, Relaxed);
        self.since_ns.store(s.since_ns, Relaxed);
        self.deadline_ns.store(s.deadline_ns, Relaxed);
        self.ops.store(s.ops, Relaxed);
        self.seq.store((seq | 1).wrapping_add(1), Release);
    }

    /// Any process: a consistent copy, or `None` if every try met a write in
    /// progress (a writer killed mid-write leaves `seq` odd forever).
    pub fn read(&self, tries: usize) -> Option<StatusSnapshot> {
        for _ in 0..tries {
            let s1 = self.seq.load(Acquire);
            if s1 & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let snap = StatusSnapshot {
                state: self.state.load(Relaxed),
                op: self.op.load(Relaxed),
                res: self.res.load(Relaxed),
                other: self.other.load(Relaxed),
                exit_code: self.exit_code.load(Relaxed),
                since_ns: self.since_ns.load(Relaxed),
                deadline_ns: self.deadline_ns.load(Relaxed),
                ops: self.ops.load(Relaxed),
            };
            std::sync::atomic::fence(Acquire);
            if self.seq.load(Relaxed) == s1 {
                return Some(snap);
            }
        }
        None
    }
}

/// A short UTF-8 text in shared memory: a length byte, then up to 63 bytes.
#[repr(C)]
#[derive(Debug)]
pub struct ShortText(pub [AtomicU8; 64]);

impl ShortText {
    /// Stores `s`, cut on a char boundary to fit.
    pub fn set(&self, s: &str) {
        let mut n = s.len().min(63);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        for (i, b) in s.as_bytes()[..n].iter().enumerate() {
            self.0[i + 1].store(*b, Relaxed);
        }
        self.0[0].store(n as u8, Release);
    }

    pub fn get(&self) -> String {
        let n = (self.0[0].load(Acquire) as usize).min(63);
        let bytes: Vec<u8> = (0..n).map(|i| self.0[i + 1].load(Relaxed)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// One process slot.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct LaneSlot {
    // Identity: written by the spawner before `go`, read-only afterwards.
    /// 0 free, 1 reserved.
    pub used: AtomicU32,
    /// Lane of the process that started this one.
    pub parent: AtomicU32,
    /// 0 while the start is under way, the process's pid once launched, -1 if
    /// it never will be (the launch failed, or the parent ended mid-start).
    pub pid: AtomicI32,
    pub daemon: AtomicU32,
    /// 1: a thread of its parent's process (a Python `threading.Thread`),
    /// not a process of its own: it shares its process's pid, and its end
    /// is when its status says `exiting` (or when the process ends).
    pub thread: AtomicU32,
    /// Encoded target arguments: first block and byte length.
    pub args_block: AtomicU32,
    pub args_len: AtomicU32,
    /// Process start time in clock ticks since boot, to tell a reused pid apart.
    pub start_time: AtomicU64,
    pub name: ShortText,
    pub target: ShortText,

    // Words other processes write.
    /// The futex word this process waits on, for anything; bump then wake.
    pub wake: Padded<AtomicU32>,
    /// Set by the spawner once the `Spawn` record is written; the child waits for it.
    pub go: AtomicU32,
    /// Steps granted by the conductor and not yet used.
    pub grant: AtomicU32,
    /// Set by a waker: the resource this process was handed (id + 1), 0 = none.
    pub handoff: AtomicU32,
    /// Next lane in the FIFO of the resource this lane waits on.
    pub wait_next: AtomicU32,
    /// Set by the conductor once it has seen the process end.
    pub ended: AtomicU32,
    /// Python exitcode (-N for signal N), valid once `ended`.
    pub exit_status: AtomicI32,
    /// Wake-ups from other processes (a waker bumps it after changing what this
    /// process waits for, before bumping `wake`).
    pub wakes: AtomicU32,
    /// A signal was sent to this process and its end not yet seen.
    pub kill_pending: AtomicU32,
    /// A value handed over by a waker (queue item, pipe message): block and length.
    pub mailbox_block: AtomicU32,
    pub mailbox_len: AtomicU32,
    /// Script line being executed (1-based; 0 = not in script code).
    pub line: AtomicU32,
    /// Times this process parked at the gate.
    pub parks: AtomicU32,
    /// The `wakes` value this process has looked at: while blocked, `wakes !=
    /// wakes_seen` means it was woken and is about to move (not quiescent).
    pub wakes_seen: AtomicU32,
    /// CPU milliseconds (user, system) the process and its reaped
    /// descendants used, written by the process itself as it exits: what
    /// `times()` of a parent that is not its OS parent (the fork server's
    /// template is) counts for it once joined.
    pub cpu_user_ms: AtomicU32,
    pub cpu_system_ms: AtomicU32,

    /// Written by the owner only, under its seqlock.
    pub status: Status,

    // Ring indices (see `ring`).
    /// Producer: records published (monotonic).
    pub head: Padded<AtomicU64>,
    /// Producer: records dropped because the ring was full.
    pub dropped: AtomicU64,
    /// Consumer: records consumed (monotonic).
    pub tail: Padded<AtomicU64>,
}

/// A waiting queue: lanes linked through `LaneSlot::wait_next`, FIFO.
#[repr(C)]
#[derive(Debug)]
pub struct WaitQueue {
    pub head: AtomicU32,
    pub tail: AtomicU32,
    pub len: AtomicU32,
}

/// One shared resource. Everything but `kind`/`name`/`creator` is changed only
/// while holding `mutex` (see [`super::mutex`]).
#[repr(C, align(64))]
#[derive(Debug)]
pub struct ResourceSlot {
    /// [`super::record::ResKind`] code, 0 = free. Published last, with release.
    pub kind: AtomicU32,
    pub creator: AtomicU32,
    /// Internal mutex word: 0 free, holder lane + 1 (| `mutex::CONTENDED`).
    pub mutex: AtomicU32,
    /// Bumped on every change, for readers that poll.
    pub version: AtomicU32,
    /// Lane that holds it (Lock, RLock), or `NONE`.
    pub owner: AtomicU32,
    _pad: u32,
    /// Main counter: rlock depth, semaphore value, event flag, queue depth…
    pub count: AtomicI64,
    pub capacity: AtomicI64,
    /// Waiters: `[0]` the main queue (acquirers, getters), `[1]` a second one (putters).
    pub waiters: [WaitQueue; 2],
    /// Kind-specific words, documented by each primitive.
    pub aux: [AtomicU64; 8],
    pub name: ShortText,
}

/// Payload bytes per block.
pub const BLOCK_DATA: usize = 248;

/// Blocks per extension arena, as a power of two: 2^16 blocks, 16 MiB.
pub const ARENA_SHIFT: u32 = 16;
/// Most extension arenas a run may make (64 GiB of blocks with the main area's).
pub const MAX_ARENAS: u32 = 4096;
/// Bytes of one extension arena's file.
pub const ARENA_BYTES: usize = (1usize << ARENA_SHIFT) * std::mem::size_of::<Block>();

/// A data block: a link, a length, and bytes. Chains of blocks hold values.
#[repr(C)]
#[derive(Debug)]
pub struct Block {
    /// Next block of the chain, or `NONE`. Also the free-list link.
    pub next: AtomicU32,
    /// Bytes used in `data`.
    pub len: AtomicU32,
    pub data: UnsafeCell<[u8; BLOCK_DATA]>,
}

// SAFETY: `data` is only written by the single owner of an unpublished chain and
// read after the chain's handle was published with release/acquire ordering.
unsafe impl Sync for Block {}

const _: () = assert!(std::mem::size_of::<Block>() == 256);
// Every block index (main area up to 2^24, then the arenas) stays below `NONE`.
const _: () = assert!((1u64 << 24) + ((MAX_ARENAS as u64) << ARENA_SHIFT) < NONE as u64);
const _: () = assert!(std::mem::size_of::<Header>() <= PAGE);
const _: () = assert!(std::mem::size_of::<Control>() <= PAGE);
const _: () = assert!(std::mem::align_of::<LaneSlot>() == 64);
const _: () = assert!(std::mem::size_of::<LaneSlot>().is_multiple_of(64));
const _: () = assert!(std::mem::size_of::<ResourceSlot>().is_multiple_of(64));
