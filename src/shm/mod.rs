//! The run's shared-memory segment: creation, opening, validation, the stale
//! sweep, and typed access to its regions ([`View`]).
//!
//! The segment is made with the `shared_memory` crate, kept behind this module so
//! it can be swapped for `shm_open` + `mmap`. It is created exclusively
//! (`O_CREAT|O_EXCL`), mode 0600, under a name no one can guess:
//! `/forkscope-<conductor pid>-<its start time>-<128 random bits>`. The pid and
//! start time in the name let [`sweep_stale`] tell a segment whose conductor is
//! gone (killed by SIGKILL, say) from a live one. The segment is sparse: a
//! page takes memory once a run touches it (a few lanes' rings, the blocks
//! and resources it uses: about 1 MiB for a class lesson, of 21 MiB mapped),
//! and creating it costs no zeroing of the rest (a third of a short run's
//! start when it was all allocated up front). `/dev/shm` must have room for
//! the whole segment when the run starts, or that is a clear error then; a
//! `/dev/shm` that other programs fill during the run could still leave a
//! process a SIGBUS on a page it touches for the first time.

pub mod futex;
pub mod layout;
pub mod mutex;
pub mod record;
pub mod ring;

use std::marker::PhantomData;
use std::sync::atomic::Ordering::*;

use shared_memory::{Shmem, ShmemConf, ShmemError};

use layout::*;
use record::{RawRecord, ResKind};
use ring::{Consumer, Producer};

/// Prefix of every segment name (in `/dev/shm`).
pub const NAME_PREFIX: &str = "forkscope-";

#[derive(Debug, thiserror::Error)]
pub enum ShmError {
    #[error("cannot create the shared-memory segment: {0}")]
    Create(String),
    #[error("/dev/shm is full: the run needs {need} MiB of shared memory ({0})", need = .1 / (1 << 20))]
    NoSpace(std::io::Error, usize),
    #[error("cannot open shared-memory segment {name}: {why}")]
    Open { name: String, why: String },
    #[error("shared-memory segment {name} is not a forkscope segment of this version: {why}")]
    Layout { name: String, why: String },
    #[error("the data area of the shared-memory segment is full ({used} of {total} blocks in use)")]
    DataFull { used: u32, total: u32 },
    #[error("too many shared resources: at most {0} per run")]
    ResourcesFull(u32),
    #[error("too many processes: at most {0} per run (the lane table is full)")]
    LanesFull(u32),
}

/// A mapped segment. The conductor's copy owns the name and unlinks it on drop.
pub struct Segment {
    shmem: Shmem,
    /// The conductor's (and the guard's) shared lock on the segment's file:
    /// while it is held, no sweep removes the segment (see [`sweep_stale`]).
    alive: Option<nix::fcntl::Flock<std::os::fd::OwnedFd>>,
    name: String,
    geo: Geometry,
    off: Offsets,
}

// SAFETY: `Shmem` is neither Send nor Sync only because it holds raw
// pointers to the mapping. The mapping is process-wide (any thread may use
// it and unmap it), and everything read or written through it goes through
// a `View`, whose types are atomics or `UnsafeCell`s written under the
// segment's own protocols (seqlock, single-producer rings, slot mutexes),
// which are made for concurrent writers anyway: other processes.
unsafe impl Send for Segment {}
// SAFETY: as for `Send`: `&Segment` only hands out `View`s.
unsafe impl Sync for Segment {}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment").field("name", &self.name).field("geo", &self.geo).finish()
    }
}

fn new_name() -> String {
    let pid = std::process::id() as i32;
    let start = crate::sys::start_time(pid).unwrap_or(0);
    let r: u128 = rand::random();
    format!("{NAME_PREFIX}{pid}-{start}-{r:032x}")
}

impl Segment {
    /// Creates a fresh segment with `geo`, writes its header and control block,
    /// and links every data block into the free list.
    pub fn create(geo: Geometry) -> Result<Segment, ShmError> {
        Segment::create_as(new_name(), geo)
    }

    fn create_as(name: String, geo: Geometry) -> Result<Segment, ShmError> {
        if !geo.is_sane() {
            return Err(ShmError::Create(format!("impossible geometry {geo:?}")));
        }
        let off = geo.offsets();
        let shmem = ShmemConf::new()
            .os_id(format!("/{name}"))
            .size(off.total)
            .create()
            .map_err(|e| ShmError::Create(e.to_string()))?;
        let mut seg = Segment { shmem, name, geo, off, alive: None };
        seg.hold_alive()?;
        seg.reserve_space()?;
        seg.init();
        Ok(seg)
    }

    /// Checks that `/dev/shm` has room for the whole segment (its pages are
    /// allocated as the run touches them; see the module docs).
    fn reserve_space(&self) -> Result<(), ShmError> {
        let path = format!("/dev/shm/{}", self.name);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| ShmError::Create(format!("{path}: {e}")))?;
        let st = nix::sys::statvfs::fstatvfs(&file).map_err(|e| ShmError::Create(format!("{path}: {}", std::io::Error::from(e))))?;
        let free = (st.blocks_available() as u128) * (st.fragment_size().max(1) as u128);
        if free < self.off.total as u128 {
            return Err(ShmError::NoSpace(std::io::Error::from_raw_os_error(libc::ENOSPC), self.off.total));
        }
        // Whatever the umask said, only the owner may use it.
        let _ = nix::sys::stat::fchmod(&file, nix::sys::stat::Mode::from_bits_truncate(0o600));
        Ok(())
    }

    fn init(&self) {
        let v = self.view();
        let h = v.header();
        h.version.store(LAYOUT_VERSION, Relaxed);
        h.lanes.store(self.geo.lanes, Relaxed);
        h.ring_cap.store(self.geo.ring_cap, Relaxed);
        h.resources.store(self.geo.resources, Relaxed);
        h.blocks.store(self.geo.blocks, Relaxed);
        h.lane_size.store(std::mem::size_of::<Lane>() as u32, Relaxed);
        h.record_size.store(std::mem::size_of::<RawRecord>() as u32, Relaxed);
        h.resource_size.store(std::mem::size_of::<ResourceSlot>() as u32, Relaxed);
        h.block_size.store(std::mem::size_of::<Block>() as u32, Relaxed);
        h.control_size.store(std::mem::size_of::<Control>() as u32, Relaxed);
        h.total_size.store(self.off.total as u64, Relaxed);
        // Blocks and lanes are set up as they are handed out (`blocks_fresh`,
        // `alloc_lane`): nothing here touches their pages. The conductor's
        // lane is never handed out.
        init_lane(v.lane(CONDUCTOR_LANE).expect("the conductor's lane"), NONE);
        let c = v.control();
        c.free_blocks.store(NONE as u64, Relaxed);
        c.blocks_fresh.store(0, Relaxed);
        c.next_lane.store(MAIN_LANE, Relaxed);
        c.speed_milli.store(1000, Relaxed);
        c.info_block.store(NONE, Relaxed);
        // The magic goes last: a reader that sees it sees the rest.
        h.magic.store(MAGIC, Release);
    }

    /// Opens an existing segment by name and checks its header against this
    /// build's layout.
    pub fn open(name: &str) -> Result<Segment, ShmError> {
        let open_err = |why: String| ShmError::Open { name: name.to_string(), why };
        if !name.starts_with(NAME_PREFIX) || name.contains('/') {
            return Err(open_err("not a forkscope segment name".into()));
        }
        let mut shmem = ShmemConf::new().os_id(format!("/{name}")).open().map_err(|e| match e {
            ShmemError::MapOpenFailed(_) => open_err("no such segment (is the run over?)".into()),
            e => open_err(e.to_string()),
        })?;
        shmem.set_owner(false);
        let len = shmem.len();
        let bad = |why: String| ShmError::Layout { name: name.to_string(), why };
        if len < PAGE * 2 {
            return Err(bad(format!("only {len} bytes")));
        }
        // SAFETY: the mapping is at least two pages, and `Header` fits in one.
        let h = unsafe { &*(shmem.as_ptr() as *const Header) };
        if h.magic.load(Acquire) != MAGIC {
            return Err(bad("bad magic".into()));
        }
        if h.version.load(Relaxed) != LAYOUT_VERSION {
            return Err(bad(format!("layout version {} (this build: {LAYOUT_VERSION})", h.version.load(Relaxed))));
        }
        let sizes = [
            (h.lane_size.load(Relaxed), std::mem::size_of::<Lane>()),
            (h.record_size.load(Relaxed), std::mem::size_of::<RawRecord>()),
            (h.resource_size.load(Relaxed), std::mem::size_of::<ResourceSlot>()),
            (h.block_size.load(Relaxed), std::mem::size_of::<Block>()),
            (h.control_size.load(Relaxed), std::mem::size_of::<Control>()),
        ];
        if sizes.iter().any(|&(a, b)| a as usize != b) {
            return Err(bad("structure sizes differ from this build".into()));
        }
        let geo = Geometry {
            lanes: h.lanes.load(Relaxed),
            ring_cap: h.ring_cap.load(Relaxed),
            resources: h.resources.load(Relaxed),
            blocks: h.blocks.load(Relaxed),
        };
        if !geo.is_sane() {
            return Err(bad(format!("impossible geometry {geo:?}")));
        }
        let off = geo.offsets();
        if off.total as u64 != h.total_size.load(Relaxed) || off.total > len {
            return Err(bad(format!("size {} does not match its geometry ({})", len, off.total)));
        }
        Ok(Segment { shmem, name: name.to_string(), geo, off, alive: None })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Says "a live run uses this segment" to every sweep, in any pid
    /// namespace, until this `Segment` is dropped (the conductor from
    /// creation; the guard until it has cleaned up).
    pub fn hold_alive(&mut self) -> Result<(), ShmError> {
        let path = std::path::Path::new("/dev/shm").join(&self.name);
        self.alive = Some(crate::sys::hold_alive(&path).map_err(|e| ShmError::Create(format!("{}: {e}", path.display())))?);
        Ok(())
    }

    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    pub fn view(&self) -> View<'_> {
        View { base: self.shmem.as_ptr(), geo: self.geo, off: self.off, _seg: PhantomData }
    }

    /// Keeps the segment mapped for the rest of the process (workers).
    pub fn leak(self) -> View<'static> {
        let seg: &'static Segment = Box::leak(Box::new(self));
        seg.view()
    }
}

/// Typed access to a mapped segment. Every accessor checks its index.
#[derive(Clone, Copy)]
pub struct View<'a> {
    base: *mut u8,
    geo: Geometry,
    off: Offsets,
    _seg: PhantomData<&'a Segment>,
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").field("geo", &self.geo).finish()
    }
}

impl<'a> View<'a> {
    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    fn at<T>(&self, offset: usize) -> &'a T {
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

    pub fn lane(&self, i: u32) -> Option<&'a Lane> {
        (i < self.geo.lanes).then(|| self.at(self.off.lanes + i as usize * std::mem::size_of::<Lane>()))
    }

    /// Lane `i`'s ring slots.
    fn ring_slots(&self, i: u32) -> Option<(&'a Lane, *mut RawRecord)> {
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

    pub fn block(&self, i: u32) -> Option<&'a Block> {
        (i < self.geo.blocks).then(|| self.at(self.off.blocks + i as usize * std::mem::size_of::<Block>()))
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

    fn pop_free_block(&self) -> Option<u32> {
        let c = self.control();
        let mut cur = c.free_blocks.load(Acquire);
        loop {
            let idx = cur as u32;
            let Some(block) = self.block(idx) else { return self.fresh_block() };
            let next = block.next.load(Relaxed);
            let new = ((cur >> 32).wrapping_add(1) << 32) | next as u64;
            match c.free_blocks.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => {
                    c.blocks_used.fetch_add(1, Relaxed);
                    return Some(idx);
                }
                Err(v) => cur = v,
            }
        }
    }

    /// A block never handed out before, if any is left.
    fn fresh_block(&self) -> Option<u32> {
        let c = self.control();
        let idx = c.blocks_fresh.fetch_add(1, AcqRel);
        if idx >= self.geo.blocks {
            c.blocks_fresh.store(self.geo.blocks, Relaxed);
            return None;
        }
        c.blocks_used.fetch_add(1, Relaxed);
        Some(idx)
    }

    fn push_free_block(&self, idx: u32) {
        let c = self.control();
        let Some(block) = self.block(idx) else { return };
        let mut cur = c.free_blocks.load(Acquire);
        loop {
            block.next.store(cur as u32, Relaxed);
            let new = ((cur >> 32).wrapping_add(1) << 32) | idx as u64;
            match c.free_blocks.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => {
                    c.blocks_used.fetch_sub(1, Relaxed);
                    return;
                }
                Err(v) => cur = v,
            }
        }
    }

    /// Stores `bytes` in a fresh chain of blocks; returns its first block
    /// (`NONE` for no bytes). The chain is private until the caller publishes
    /// the handle with release ordering.
    pub fn write_chain(&self, bytes: &[u8]) -> Result<u32, ShmError> {
        if bytes.is_empty() {
            return Ok(NONE);
        }
        let mut first = NONE;
        let mut prev: Option<&Block> = None;
        for part in bytes.chunks(BLOCK_DATA) {
            let Some(idx) = self.pop_free_block() else {
                self.free_chain(first);
                return Err(ShmError::DataFull {
                    used: self.control().blocks_used.load(Relaxed),
                    total: self.geo.blocks,
                });
            };
            let b = self.block(idx).expect("popped index is in range");
            // SAFETY: we own this freshly popped block; no one else reads it yet.
            unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), b.data.get() as *mut u8, part.len()) };
            b.len.store(part.len() as u32, Relaxed);
            b.next.store(NONE, Relaxed);
            match prev {
                Some(p) => p.next.store(idx, Relaxed),
                None => first = idx,
            }
            prev = Some(b);
        }
        std::sync::atomic::fence(Release);
        Ok(first)
    }

    /// Reads a chain of `len` bytes starting at `first`. `None` if the chain is
    /// broken (bad index, loop, wrong length): the caller treats that as corrupt.
    pub fn read_chain(&self, first: u32, len: u32) -> Option<Vec<u8>> {
        // A chain cannot hold more than the whole data area: a larger length
        // is a lie, and trusting it would mean gigabytes of copying.
        if len as usize > self.geo.blocks as usize * BLOCK_DATA {
            return None;
        }
        std::sync::atomic::fence(Acquire);
        let mut out = Vec::with_capacity(len as usize);
        let mut idx = first;
        let max_blocks = (len as usize).div_ceil(BLOCK_DATA);
        for _ in 0..max_blocks {
            let b = self.block(idx)?;
            let n = (b.len.load(Relaxed) as usize).min(BLOCK_DATA);
            let mut buf = [0u8; BLOCK_DATA];
            // SAFETY: the block is in range; its bytes were published before the
            // chain's handle. A hostile writer can only make us read garbage,
            // which the length checks and the decoder reject.
            unsafe { std::ptr::copy_nonoverlapping(b.data.get() as *const u8, buf.as_mut_ptr(), BLOCK_DATA) };
            out.extend_from_slice(&buf[..n]);
            idx = b.next.load(Relaxed);
            if out.len() >= len as usize {
                break;
            }
        }
        (out.len() == len as usize).then_some(out)
    }

    /// Returns a chain's blocks to the free list.
    pub fn free_chain(&self, first: u32) {
        let mut idx = first;
        let mut guard = self.geo.blocks;
        while idx != NONE && guard > 0 {
            let Some(b) = self.block(idx) else { return };
            let next = b.next.load(Relaxed);
            self.push_free_block(idx);
            idx = next;
            guard -= 1;
        }
    }

    /// Writes one record group into `lane`'s ring, stamping sequence and time.
    /// All records of the group share one sequence number.
    pub fn emit(&self, lane: u32, group: &mut [RawRecord]) -> bool {
        let Some(ring) = self.producer(lane) else { return false };
        let c = self.control();
        let seq = c.seq.0.fetch_add(1, Relaxed);
        let t = crate::sys::monotonic_ns().saturating_sub(c.run_start_ns.load(Relaxed));
        for r in group.iter_mut() {
            r.seq = seq;
            r.t_ns = t;
            r.lane = lane as u16;
        }
        ring.push(group)
    }

    /// Wakes `lane` because something it may wait for changed: counts a
    /// wake-up (`wakes`), then bumps its wake word and wakes it.
    pub fn wake_lane(&self, lane: u32) {
        if let Some(l) = self.lane(lane) {
            l.wakes.fetch_add(1, SeqCst);
            l.wake.0.fetch_add(1, SeqCst);
            futex::wake_all(&l.wake.0);
        }
    }

    /// Makes `lane` look again at the run mode (pause, resume, speed): bumps
    /// its wake word without counting a wake-up.
    pub fn nudge_lane(&self, lane: u32) {
        if let Some(l) = self.lane(lane) {
            l.wake.0.fetch_add(1, SeqCst);
            futex::wake_all(&l.wake.0);
        }
    }
}

/// Removes segments in /dev/shm whose conductor is gone (not the same process
/// any more), owned by us. Returns how many it removed.
pub fn sweep_stale() -> usize {
    let Ok(dir) = std::fs::read_dir("/dev/shm") else { return 0 };
    let me = nix::unistd::geteuid().as_raw();
    let mut removed = 0;
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(NAME_PREFIX) else { continue };
        let mut parts = rest.splitn(3, '-');
        let (Some(pid), Some(start)) = (parts.next().and_then(|p| p.parse::<i32>().ok()), parts.next().and_then(|s| s.parse::<u64>().ok())) else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        if entry.metadata().map(|m| m.uid() != me).unwrap_or(true) {
            continue;
        }
        // Only what is provably dead: no live run holds its lock (which a run
        // in another pid namespace, where the pid in the name means nothing
        // here, holds too), and no live process has that pid and start time
        // (a run of an older build, or one a moment before it took the lock).
        if crate::sys::is_held_alive(&entry.path()) || crate::sys::is_same_live_process(pid, start) {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A lane's links, none yet, and its parent.
fn init_lane(lane: &Lane, parent: u32) {
    lane.parent.store(parent, Relaxed);
    lane.wait_next.store(NONE, Relaxed);
    lane.args_block.store(NONE, Relaxed);
    lane.mailbox_block.store(NONE, Relaxed);
}

/// Unlinks the segment `name` (used by the guard after the conductor died).
pub fn unlink(name: &str) {
    if name.starts_with(NAME_PREFIX) && !name.contains('/') {
        let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use record::{OpBody, RawKind};

    fn small() -> Geometry {
        Geometry { lanes: 8, ring_cap: 16, resources: 8, blocks: 64 }
    }

    /// Creating a segment allocates none of its lanes, rings and blocks: a
    /// run pays (time and memory) for what it touches. It was all
    /// allocated up front, a third of a short run's start.
    #[test]
    fn a_new_segment_takes_memory_only_for_what_is_touched() {
        use std::os::unix::fs::MetadataExt;
        let seg = Segment::create(Geometry::default()).unwrap();
        let path = format!("/dev/shm/{}", seg.name());
        let allocated = || std::fs::metadata(&path).unwrap().blocks() * 512;
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > 16 << 20, "the default segment is large: {size}");
        assert!(allocated() < 256 << 10, "a new segment allocated {} bytes of {size}", allocated());
        // Used: a lane and a chain of blocks. Blocks handed out, given back and handed out again.
        let v = seg.view();
        let lane = v.alloc_lane(NONE).unwrap();
        assert_eq!(v.lane(lane).unwrap().args_block.load(Relaxed), NONE, "a lane's links start empty");
        let first = v.write_chain(&[7u8; 3 * BLOCK_DATA]).unwrap();
        assert_eq!(v.control().blocks_used.load(Relaxed), 3);
        assert_eq!(v.read_chain(first, 3 * BLOCK_DATA as u32).unwrap(), vec![7u8; 3 * BLOCK_DATA]);
        v.free_chain(first);
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
        let again = v.write_chain(&[9u8; 4 * BLOCK_DATA]).unwrap();
        assert_eq!(v.read_chain(again, 4 * BLOCK_DATA as u32).unwrap(), vec![9u8; 4 * BLOCK_DATA]);
        assert_eq!(v.control().blocks_used.load(Relaxed), 4);
        assert!(allocated() < 512 << 10, "{} bytes allocated after a little use", allocated());
    }

    #[test]
    fn create_open_and_unlink_on_drop() {
        let seg = Segment::create(small()).unwrap();
        let name = seg.name().to_string();
        let path = format!("/dev/shm/{name}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let other = Segment::open(&name).unwrap();
        assert_eq!(other.geometry(), small());
        drop(other);
        assert!(std::path::Path::new(&path).exists(), "a non-owner must not unlink");
        drop(seg);
        assert!(!std::path::Path::new(&path).exists());
    }

    #[test]
    fn creation_is_exclusive_and_private_whatever_the_umask() {
        // Someone who guessed (or pre-created) the name gets nothing from us:
        // creation fails and their file is left as it was.
        let name = format!("{NAME_PREFIX}{}-0-{:032x}", std::process::id(), rand::random::<u128>());
        let path = format!("/dev/shm/{name}");
        std::fs::write(&path, b"planted").unwrap();
        let err = Segment::create_as(name.clone(), small()).unwrap_err();
        assert!(matches!(err, ShmError::Create(_)), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"planted");
        std::fs::remove_file(&path).unwrap();
        // A permissive umask does not widen the mode.
        use nix::sys::stat::{Mode, umask};
        let old = umask(Mode::empty());
        let seg = Segment::create_as(name.clone(), small());
        umask(old);
        let seg = seg.unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        drop(seg);
    }

    #[test]
    fn open_refuses_foreign_names_and_garbage() {
        assert!(Segment::open("shmem_123").is_err());
        assert!(Segment::open("forkscope-../x").is_err());
        let name = format!("{NAME_PREFIX}1-2-garbage{}", std::process::id());
        std::fs::write(format!("/dev/shm/{name}"), vec![0xAB; 3 * PAGE]).unwrap();
        let err = Segment::open(&name).unwrap_err();
        std::fs::remove_file(format!("/dev/shm/{name}")).unwrap();
        assert!(err.to_string().contains("bad magic"), "{err}");
    }

    #[test]
    fn chains_round_trip_and_free() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let h = v.write_chain(&data).unwrap();
        assert_eq!(v.control().blocks_used.load(Relaxed), 5);
        assert_eq!(v.read_chain(h, 1000).unwrap(), data);
        assert!(v.read_chain(h, 1001).is_none());
        v.free_chain(h);
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
        let big = vec![1u8; 64 * BLOCK_DATA + 1];
        assert!(matches!(v.write_chain(&big), Err(ShmError::DataFull { .. })));
        assert_eq!(v.control().blocks_used.load(Relaxed), 0, "a failed write frees what it took");
    }

    /// Issue 15, "the ring as separate producer and consumer types": a
    /// lane's process holds the writing end, the conductor the reading end.
    #[test]
    fn the_ring_has_a_producer_end_and_a_consumer_end() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let (writer, reader) = (v.producer(3).unwrap(), v.consumer(3).unwrap());
        let rec = |seq| RawRecord { seq, kind: RawKind::Op as u16, ..RawRecord::EMPTY };
        assert!(writer.push(&[rec(1), rec(2)]));
        assert!(writer.push(&[rec(3)]));
        assert_eq!(reader.pending(), 3);
        let mut out = Vec::new();
        assert_eq!(reader.pop_into(&mut out, 2), ring::PopReport::default());
        assert_eq!(out.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(reader.pending(), 1);
        assert!(std::ptr::eq(writer.lane(), reader.lane()));
        assert!(v.producer(small().lanes).is_none() && v.consumer(small().lanes).is_none());
    }

    #[test]
    fn full_ring_drops_whole_groups_and_counts() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let ring = v.consumer(1).unwrap();
        let mut rec = RawRecord::EMPTY;
        rec.kind = RawKind::Op as u16;
        rec.body = OpBody { op: 12, ..Default::default() }.encode();
        for _ in 0..16 {
            assert!(v.emit(1, &mut [rec]));
        }
        assert!(!v.emit(1, &mut [rec, rec]));
        assert_eq!(ring.lane().dropped.load(Relaxed), 2);
        let mut out = Vec::new();
        ring.pop_into(&mut out, 100);
        assert_eq!(out.len(), 16);
        assert!(out.windows(2).all(|w| w[0].seq < w[1].seq));
        assert!(v.emit(1, &mut [rec, rec]));
    }

    #[test]
    fn impossible_ring_indices_are_skipped_not_trusted() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let ring = v.consumer(2).unwrap();
        ring.lane().head.0.store(1 << 40, Relaxed);
        let mut out = Vec::new();
        let rep = ring.pop_into(&mut out, 100);
        assert!(out.is_empty());
        assert!(rep.skipped > 0);
        assert_eq!(ring.pending(), 0);
    }

    #[test]
    fn sweep_removes_segments_of_dead_conductors_only() {
        let live = Segment::create(small()).unwrap();
        // pid 1 never has our start time; a dead conductor's leftover.
        let stale = format!("{NAME_PREFIX}1-1-{:032x}", rand::random::<u128>());
        std::fs::write(format!("/dev/shm/{stale}"), b"x").unwrap();
        sweep_stale();
        assert!(!std::path::Path::new(&format!("/dev/shm/{stale}")).exists());
        assert!(std::path::Path::new(&format!("/dev/shm/{}", live.name())).exists());
    }
}
