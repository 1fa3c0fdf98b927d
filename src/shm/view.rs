//! [`View`]: typed access to a mapped segment's regions, every index
//! checked; lanes and resources allocated; records emitted.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::*;

use super::layout::*;
use super::record::{RawRecord, ResKind};
use super::companion::Companions;
use super::ring::{Consumer, Producer, Room};

/// How long the conductor's own writes wait for room in its lane's ring
/// before they drop (only a process scribbling on the indices makes them wait
/// that long: the collector empties lane 0 first).
pub const CONDUCTOR_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
use super::{Segment, ShmError};

/// Typed access to a mapped segment. Every accessor checks its index.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub(super) base: *mut u8,
    pub(super) geo: Geometry,
    pub(super) off: Offsets,
    /// The segment's arenas and spills (see `companion`).
    pub(super) comp: &'a Companions,
    pub(super) _seg: PhantomData<&'a Segment>,
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").field("geo", &self.geo).finish()
    }
}

/// A lane's links, none yet, and its parent.
pub(super) fn init_lane(lane: &LaneSlot, parent: u32) {
    lane.parent.store(parent, Relaxed);
    lane.wait_next.store(NONE, Relaxed);
    lane.args_block.store(NONE, Relaxed);
    lane.mailbox_block.store(NONE, Relaxed);
}

impl<'a> View<'a> {
    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    pub(super) fn at<T>(&self, offset: usize) -> &'a T {
        debug_assert!(offset + std::mem::size_of::<T>() <= self.off.total);
        // SAFETY: callers pass offsets inside the mapping (derived from the
        // validated geometry), aligned for `T` (regions are page aligned and
        // strides are multiples of the alignment); the mapping outlives 'a, and
        // every `T` here is made of atomics or `UnsafeCell`s, so shared
        // references to memory other processes write are sound.
        unsafe { &*(self.base.add(offset) as *const T) }
    }

    pub fn header(&self) -> &'a Header {
        self.at(0)
    }

    pub fn control(&self) -> &'a Control {
        self.at(self.off.control)
    }

    pub fn lane(&self, i: u32) -> Option<&'a LaneSlot> {
        (i < self.geo.lanes).then(|| self.at(self.off.lanes + i as usize * std::mem::size_of::<LaneSlot>()))
    }

    /// Lane `i`'s ring slots.
    pub(super) fn ring_slots(&self, i: u32) -> Option<(&'a LaneSlot, *mut RawRecord)> {
        let lane = self.lane(i)?;
        let offset = self.off.rings + i as usize * self.geo.ring_cap as usize * std::mem::size_of::<RawRecord>();
        // SAFETY: `offset` is inside the mapping (the rings region holds
        // `lanes * ring_cap` records).
        let slots = unsafe { self.base.add(offset) as *mut RawRecord };
        Some((lane, slots))
    }

    /// The writing end of lane `i`'s ring: for its process.
    pub fn producer(&self, i: u32) -> Option<Producer<'a>> {
        let (lane, slots) = self.ring_slots(i)?;
        // SAFETY: lane `i`'s `ring_cap` slots, inside the mapping, which outlives 'a.
        Some(unsafe { Producer::new(lane, slots, self.geo.ring_cap) })
    }

    /// The reading end of lane `i`'s ring: for the conductor.
    pub fn consumer(&self, i: u32) -> Option<Consumer<'a>> {
        let (lane, slots) = self.ring_slots(i)?;
        // SAFETY: as for `producer`.
        Some(unsafe { Consumer::new(lane, slots, self.geo.ring_cap) })
    }

    pub fn resource(&self, id: u32) -> Option<&'a ResourceSlot> {
        (id < self.geo.resources)
            .then(|| self.at(self.off.resources + id as usize * std::mem::size_of::<ResourceSlot>()))
    }

    /// Block `i`: in the main area, or (`i >= blocks`) in an extension arena.
    #[inline]
    pub fn block(&self, i: u32) -> Option<&'a Block> {
        if i < self.geo.blocks {
            return Some(self.at(self.off.blocks + i as usize * std::mem::size_of::<Block>()));
        }
        self.arena_block(i)
    }

    /// A block of an arena made so far, mapping the arena on first use.
    #[cold]
    fn arena_block(&self, i: u32) -> Option<&'a Block> {
        let rel = i.checked_sub(self.geo.blocks)?;
        let k = rel >> ARENA_SHIFT;
        if k >= self.arenas_made() {
            return None;
        }
        let base = self.comp.arena(k)?;
        let offset = (rel & ((1 << ARENA_SHIFT) - 1)) as usize * std::mem::size_of::<Block>();
        // SAFETY: the arena's mapping is `ARENA_BYTES` long, holds 2^ARENA_SHIFT
        // blocks, is page aligned, and stays mapped while the segment (and so
        // 'a) lives; a `Block` is atomics and an `UnsafeCell`.
        Some(unsafe { &*(base.add(offset) as *const Block) })
    }

    /// Extension arenas made so far (at most [`MAX_ARENAS`]).
    pub fn arenas_made(&self) -> u32 {
        self.control().arenas.load(Acquire).min(MAX_ARENAS)
    }

    /// Blocks the data area has now, the arenas' included: the bound of
    /// every walk over blocks.
    pub fn block_capacity(&self) -> u32 {
        self.geo.blocks + (self.arenas_made() << ARENA_SHIFT)
    }

    /// Lanes handed out so far (lane 0 included), capped at the table size.
    pub fn lanes_in_use(&self) -> u32 {
        self.control().next_lane.load(Acquire).min(self.geo.lanes)
    }

    /// Reserves the next lane for a process that `parent` (a lane, or `NONE`
    /// for the conductor's own `main`) is starting, or fails when the table
    /// is full. The parent is stored before the lane counts as used, so a
    /// used lane always names who may still publish its pid (the reaper
    /// abandons it once that parent has ended).
    pub fn alloc_lane(&self, parent: u32) -> Result<u32, ShmError> {
        let c = self.control();
        let i = c.next_lane.fetch_add(1, AcqRel);
        if i >= self.geo.lanes {
            c.next_lane.store(self.geo.lanes, Relaxed);
            return Err(ShmError::LanesFull(self.geo.lanes - 1));
        }
        if i >= RINGS_UP_FRONT {
            // Its ring's pages are reserved now, before anyone touches them
            // (a touch of a page `/dev/shm` has no room for is a SIGBUS):
            // a full `/dev/shm` is this start's error, as a full table is.
            let ring = self.geo.ring_bytes();
            self.comp.reserve(self.off.rings + i as usize * ring, ring)?;
        }
        let lane = self.lane(i).expect("checked");
        init_lane(lane, parent);
        lane.used.store(1, Release);
        Ok(i)
    }

    /// Creates resource slot of `kind` named `name`, created by `lane`. The
    /// caller fills the kind-specific fields through `init` before the kind is
    /// published.
    pub fn alloc_resource(
        &self,
        kind: ResKind,
        name: &str,
        lane: u32,
        capacity: i64,
        init: impl FnOnce(&ResourceSlot),
    ) -> Result<u32, ShmError> {
        let c = self.control();
        let id = c.next_res.fetch_add(1, AcqRel);
        if id >= self.geo.resources {
            c.next_res.store(self.geo.resources, Relaxed);
            return Err(ShmError::ResourcesFull(self.geo.resources));
        }
        let r = self.resource(id).expect("checked");
        r.creator.store(lane, Relaxed);
        r.owner.store(NONE, Relaxed);
        r.capacity.store(capacity, Relaxed);
        for q in &r.waiters {
            q.head.store(NONE, Relaxed);
            q.tail.store(NONE, Relaxed);
            q.len.store(0, Relaxed);
        }
        r.name.set(name);
        init(r);
        r.kind.store(kind as u32, Release);
        Ok(id)
    }

    /// Resources created so far.
    pub fn resources_in_use(&self) -> u32 {
        self.control().next_res.load(Acquire).min(self.geo.resources)
    }







    /// Writes one record group into `lane`'s ring, stamping sequence and time.
    /// All records of the group share one sequence number.
    ///
    /// Nothing is dropped while the conductor's collector runs: when the
    /// group does not fit, the writer rings the collector's bell and waits
    /// for room (the conductor's own lane at most [`CONDUCTOR_WAIT`], so a
    /// process scribbling on its indices cannot hang the conductor). The
    /// sequence number is taken once there is room, so a waiting writer
    /// holds back no one's records. Without a collector (a segment no
    /// conductor drains, tests) a full ring drops the group, counted.
    pub fn emit(&self, lane: u32, group: &mut [RawRecord]) -> bool {
        let Some(ring) = self.producer(lane) else { return false };
        let c = self.control();
        let mut pause = std::time::Duration::from_micros(20);
        let mut waited = std::time::Duration::ZERO;
        loop {
            match ring.room(group.len()) {
                Room::Fits { half } => {
                    if half && c.collector.load(Relaxed) == 1 {
                        self.ring_bell();
                    }
                    break;
                }
                Room::Full if c.collector.load(Acquire) == 1 && !(lane == CONDUCTOR_LANE && waited >= CONDUCTOR_WAIT) => {
                    self.ring_bell();
                    std::thread::sleep(pause);
                    waited += pause;
                    pause = (pause * 2).min(std::time::Duration::from_millis(1));
                }
                Room::Full | Room::Never => break,
            }
        }
        let seq = c.seq.0.fetch_add(1, Relaxed);
        let t = crate::sys::monotonic_ns().saturating_sub(c.run_start_ns.load(Relaxed));
        for r in group.iter_mut() {
            r.seq = seq;
            r.t_ns = t;
            r.lane = lane as u16;
        }
        ring.push(group)
    }

    /// Asks the collector to empty the rings now.
    pub fn ring_bell(&self) {
        let c = self.control();
        c.bell.0.fetch_add(1, Release);
        super::futex::wake_all(&c.bell.0);
    }

    /// Wakes `lane` because something it may wait for changed: counts a
    /// wake-up (`wakes`), then bumps its wake word and wakes it.
    pub fn wake_lane(&self, lane: u32) {
        if let Some(l) = self.lane(lane) {
            l.wakes.fetch_add(1, SeqCst);
            l.wake.0.fetch_add(1, SeqCst);
            super::futex::wake_all(&l.wake.0);
        }
    }

    /// Makes `lane` look again at the run mode (pause, resume, speed): bumps
    /// its wake word without counting a wake-up.
    pub fn nudge_lane(&self, lane: u32) {
        if let Some(l) = self.lane(lane) {
            l.wake.0.fetch_add(1, SeqCst);
            super::futex::wake_all(&l.wake.0);
        }
    }
}
