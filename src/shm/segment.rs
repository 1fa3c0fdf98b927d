//! The segment itself: created exclusively with its pages reserved (see the module docs), opened and checked,
//! held alive, swept when its conductor is gone, unlinked.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::*;

use shared_memory::{Shmem, ShmemConf, ShmemError};

use super::layout::*;
use super::record::RawRecord;
use super::view::init_lane;
use super::companion::{Companions, remove_companions};
use super::{NAME_PREFIX, ShmError, View};

/// A mapped segment. The conductor's copy owns the name and unlinks it on drop.
pub struct Segment {
    /// Dropped in [`Segment`]'s own drop, before its lock (see there).
    shmem: std::mem::ManuallyDrop<Shmem>,
    /// The conductor's (and the guard's) shared lock on the segment's file:
    /// while it is held, no sweep removes the segment (see [`sweep_stale`]).
    alive: Option<nix::fcntl::Flock<std::os::fd::OwnedFd>>,
    name: String,
    geo: Geometry,
    off: Offsets,
    /// Arenas and spills; boxed, so views keep pointing at it when the
    /// segment moves.
    comp: Box<Companions>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment").field("name", &self.name).field("geo", &self.geo).finish()
    }
}

pub(super) fn new_name() -> String {
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

    pub(super) fn create_as(name: String, geo: Geometry) -> Result<Segment, ShmError> {
        if !geo.is_sane() {
            return Err(ShmError::Create(format!("impossible geometry {geo:?}")));
        }
        let off = geo.offsets();
        let shmem = ShmemConf::new()
            .os_id(format!("/{name}"))
            .size(off.total)
            .create()
            .map_err(|e| ShmError::Create(e.to_string()))?;
        let comp = Box::new(Companions::new(&name));
        let mut seg = Segment { shmem: std::mem::ManuallyDrop::new(shmem), name, geo, off, alive: None, comp };
        seg.hold_alive()?;
        seg.reserve_space()?;
        seg.init();
        Ok(seg)
    }

    /// Allocates the segment's pages now (see the module docs), but for the
    /// rings of lanes past [`RINGS_UP_FRONT`]: a clear error if `/dev/shm`
    /// has no room for them.
    pub(super) fn reserve_space(&self) -> Result<(), ShmError> {
        let path = format!("/dev/shm/{}", self.name);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| ShmError::Create(format!("{path}: {e}")))?;
        // Every page is allocated now, not as the run first touches it: a
        // `/dev/shm` that fills up during the run cannot take a page the
        // run needs (the touch would be a SIGBUS).
        // But for the rings of lanes past the first RINGS_UP_FRONT: each is
        // reserved as its lane is handed out (`View::alloc_lane`).
        let rings_end = self.off.rings + self.geo.lanes.min(RINGS_UP_FRONT) as usize * self.geo.ring_bytes();
        let parts = [(0, rings_end), (self.off.resources, self.off.total - self.off.resources)];
        let need = rings_end + (self.off.total - self.off.resources);
        for (offset, len) in parts {
            match nix::fcntl::posix_fallocate(&file, offset as libc::off_t, len as libc::off_t) {
                Ok(()) => {}
                Err(nix::errno::Errno::ENOSPC) => return Err(ShmError::NoSpace(std::io::Error::from_raw_os_error(libc::ENOSPC), need)),
                Err(e) => return Err(ShmError::Create(format!("{path}: {}", std::io::Error::from(e)))),
            }
        }
        // Whatever the umask said, only the owner may use it.
        let _ = nix::sys::stat::fchmod(&file, nix::sys::stat::Mode::from_bits_truncate(0o600));
        Ok(())
    }

    /// Whether the segment's file is still as long as its mapping: a
    /// process of the run can truncate it, and then reading a page past
    /// its new end is a SIGBUS. (A file gone from `/dev/shm` is still
    /// mapped whole: intact.)
    pub fn intact(&self) -> bool {
        match std::fs::metadata(format!("/dev/shm/{}", self.name)) {
            Ok(m) => m.len() >= self.off.total as u64,
            Err(_) => true,
        }
    }

    pub(super) fn init(&self) {
        let v = self.view();
        let h = v.header();
        h.version.store(LAYOUT_VERSION, Relaxed);
        h.lanes.store(self.geo.lanes, Relaxed);
        h.ring_cap.store(self.geo.ring_cap, Relaxed);
        h.resources.store(self.geo.resources, Relaxed);
        h.blocks.store(self.geo.blocks, Relaxed);
        h.lane_size.store(std::mem::size_of::<LaneSlot>() as u32, Relaxed);
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
        c.arenas.store(0, Relaxed);
        c.arena_maker.store(0, Relaxed);
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
            (h.lane_size.load(Relaxed), std::mem::size_of::<LaneSlot>()),
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
        Ok(Segment { shmem: std::mem::ManuallyDrop::new(shmem), name: name.to_string(), geo, off, alive: None, comp: Box::new(Companions::new(name)) })
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
        View { base: self.shmem.as_ptr(), geo: self.geo, off: self.off, comp: &self.comp, _seg: PhantomData }
    }

    /// Keeps the segment mapped for the rest of the process (workers).
    pub fn leak(self) -> View<'static> {
        let seg: &'static Segment = Box::leak(Box::new(self));
        seg.view()
    }
}

impl Drop for Segment {
    /// The owner (the conductor's copy) removes the segment's companions
    /// with it; `shared_memory` unlinks the segment itself. The owner's
    /// lock goes last, on a thread of its own (see [`close_later`]).
    fn drop(&mut self) {
        let owner = self.shmem.is_owner();
        if owner {
            remove_companions(&self.name);
        }
        // SAFETY: dropped once, here, and never used again: `self` is
        // being dropped, and no view outlives the segment it borrows.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.shmem) };
        if owner && let Some(alive) = self.alive.take() {
            close_later(alive);
        }
    }
}

/// Closes `file` on a thread of its own. The lock on a segment's file is
/// the last reference to its pages once the segment is unmapped and
/// unlinked (its name is gone at once): that close frees every page of it,
/// a third of a run's teardown (`explore` makes hundreds of runs), which
/// need not hold up the next run. Should this process end first, the
/// kernel closes it.
fn close_later(file: nix::fcntl::Flock<std::os::fd::OwnedFd>) {
    use std::sync::mpsc::{Sender, channel};
    static CLOSER: std::sync::Mutex<Option<Sender<nix::fcntl::Flock<std::os::fd::OwnedFd>>>> = std::sync::Mutex::new(None);
    let mut closer = CLOSER.lock().unwrap_or_else(|e| e.into_inner());
    if closer.is_none() {
        let (tx, rx) = channel::<nix::fcntl::Flock<std::os::fd::OwnedFd>>();
        let started = std::thread::Builder::new().name("closer".into()).spawn(move || {
            for file in rx {
                drop(file);
            }
        });
        if started.is_err() {
            return;
        }
        *closer = Some(tx);
    }
    if let Some(tx) = closer.as_ref()
        && let Err(back) = tx.send(file)
    {
        // The thread is gone: here, then.
        drop(back.0);
    }
}

/// Removes segments in /dev/shm whose conductor is gone (not the same process
/// any more), owned by us. Returns how many it removed.
pub fn sweep_stale() -> usize {
    sweep(&|pid, start| !crate::sys::is_same_live_process(pid, start))
}

/// Removes the segments of the conductor `pid` started at `start` that no
/// run holds: what that conductor, killed, left between making a segment
/// and telling its guard (the guard's sweep when its pipe ends without
/// goodbye; it cannot wait for the conductor's end, which its zombie hides).
pub fn sweep_of(pid: i32, start: u64) -> usize {
    sweep(&|p, s| p == pid && s == start)
}

/// Removes our segments no run holds whose conductor (pid, start time)
/// `gone` says is gone.
fn sweep(gone: &dyn Fn(i32, u64) -> bool) -> usize {
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
        // A companion (`<segment>.a0`, `<segment>.s3`) lives as long as its
        // segment: the segment's lock speaks for it.
        let held = match name.split_once('.') {
            Some((segment, _)) => crate::sys::is_held_alive(&std::path::Path::new("/dev/shm").join(segment)),
            None => crate::sys::is_held_alive(&entry.path()),
        };
        if held || !gone(pid, start) {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Unlinks the segment `name` and its companions (used by the guard after
/// the conductor died).
pub fn unlink(name: &str) {
    if name.starts_with(NAME_PREFIX) && !name.contains('/') {
        let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
        remove_companions(name);
    }
}
