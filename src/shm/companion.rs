//! The segment's companion objects in `/dev/shm`: what lets the data area
//! hold values of any size, bounded by memory rather than by the segment's
//! fixed block count.
//!
//! - **Arenas** (`<segment>.a<k>`, `k` from 0): more blocks, [`ARENA_BYTES`]
//!   each, made one at a time when the main area's blocks and the arenas'
//!   before are all in use (see `chain`). Every process maps an arena the
//!   first time it meets one of its block indices and keeps it mapped until
//!   it ends. An arena's memory is reserved when it is made
//!   (`posix_fallocate`), so a full `/dev/shm` is an error for the process
//!   that wanted the blocks, never a SIGBUS later on a page first touched.
//! - **Spills** (`<segment>.s<n>`): a payload bigger than [`SPILL_AT`] goes
//!   whole into an object of its own, written and read with `write`/`read`
//!   (never mapped: nobody can make a reader fault by truncating it), and
//!   removed when its chain is freed, so its memory returns at once.
//!
//! Names are made by the reader from the segment's name and a number, never
//! taken from the segment, so a hostile number can at worst name a companion
//! that does not exist (read as a broken chain). The conductor removes every
//! companion when it removes the segment ([`remove_companions`]), and a
//! sweep removes those of a run whose conductor is gone (`segment::sweep_stale`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicPtr, Ordering::*};

use super::ShmError;
use super::layout::{ARENA_BYTES, MAX_ARENAS};

/// A payload of more bytes than this is spilled into an object of its own
/// instead of a chain of blocks.
pub const SPILL_AT: usize = 64 << 10;

/// One process's handle on a segment's companions: their names, and the
/// arenas this process has mapped.
pub struct Companions {
    /// The segment's name: every companion is `/dev/shm/<name>.<suffix>`.
    name: String,
    /// Arena `k`'s mapping in this process, null until first used.
    maps: Box<[AtomicPtr<u8>]>,
}

impl std::fmt::Debug for Companions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Companions").field("name", &self.name).finish()
    }
}

fn private() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    o
}

/// Sizes in words a class reads: `5.0 MiB`, `812 bytes`.
pub fn size_words(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

impl Companions {
    pub(super) fn new(name: &str) -> Companions {
        Companions { name: name.to_string(), maps: (0..MAX_ARENAS).map(|_| AtomicPtr::new(std::ptr::null_mut())).collect() }
    }

    /// Reserves (allocates) `len` bytes of the segment's own file from
    /// `offset`: what [`super::Segment::create`] left to reserve when first
    /// used (the rings of lanes past [`super::layout::RINGS_UP_FRONT`]).
    pub(super) fn reserve(&self, offset: usize, len: usize) -> Result<(), super::ShmError> {
        let path = format!("/dev/shm/{}", self.name);
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&path).map_err(|e| super::ShmError::Create(format!("{path}: {e}")))?;
        match nix::fcntl::posix_fallocate(&file, offset as libc::off_t, len as libc::off_t) {
            Ok(()) => Ok(()),
            Err(nix::errno::Errno::ENOSPC) => Err(super::ShmError::NoSpace(std::io::Error::from_raw_os_error(libc::ENOSPC), len)),
            Err(e) => Err(super::ShmError::Create(format!("{path}: {}", std::io::Error::from(e)))),
        }
    }

    fn path(&self, kind: char, n: u64) -> PathBuf {
        PathBuf::from(format!("/dev/shm/{}.{kind}{n}", self.name))
    }

    /// Makes arena `k`'s object with its memory reserved. Called by the one
    /// process holding `Control::arena_maker`; a file left half made by a
    /// maker that died is made again.
    pub(super) fn make_arena(&self, k: u32) -> std::io::Result<()> {
        let f = private().read(true).write(true).create(true).truncate(false).open(self.path('a', k as u64))?;
        nix::fcntl::posix_fallocate(&f, 0, ARENA_BYTES as libc::off_t).map_err(std::io::Error::from)
    }

    /// Arena `k`'s blocks in this process (mapped on first use), or `None`
    /// if its object is missing or too small (a broken run: the caller reads
    /// that as a broken chain).
    pub(super) fn arena(&self, k: u32) -> Option<*mut u8> {
        let slot = self.maps.get(k as usize)?;
        let p = slot.load(Acquire);
        if !p.is_null() {
            return Some(p);
        }
        let f = private().read(true).write(true).open(self.path('a', k as u64)).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.len() < ARENA_BYTES as u64 {
            return None;
        }
        use std::os::fd::AsRawFd;
        // SAFETY: a fresh shared mapping of a regular file we just checked is
        // at least `ARENA_BYTES` long; no Rust object aliases it yet.
        let m = unsafe { libc::mmap(std::ptr::null_mut(), ARENA_BYTES, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, f.as_raw_fd(), 0) };
        if m == libc::MAP_FAILED {
            return None;
        }
        let m = m as *mut u8;
        match slot.compare_exchange(std::ptr::null_mut(), m, AcqRel, Acquire) {
            Ok(_) => Some(m),
            Err(winner) => {
                // SAFETY: `m` is our own mapping of `ARENA_BYTES`, never handed out.
                unsafe { libc::munmap(m as *mut libc::c_void, ARENA_BYTES) };
                Some(winner)
            }
        }
    }

    /// Writes spill `n` holding `bytes`. A full `/dev/shm` is
    /// [`ShmError::NoRoom`]; nothing is left behind on failure.
    pub(super) fn spill_write(&self, n: u64, bytes: &[u8]) -> Result<(), ShmError> {
        let path = self.path('s', n);
        let fail = |e: std::io::Error| {
            let _ = std::fs::remove_file(&path);
            if e.raw_os_error() == Some(libc::ENOSPC) || e.raw_os_error() == Some(libc::ENOMEM) {
                ShmError::NoRoom { need: bytes.len() as u64, why: e.to_string() }
            } else {
                ShmError::Create(format!("{}: {e}", path.display()))
            }
        };
        let mut f = private().write(true).create_new(true).open(&path).map_err(|e| ShmError::Create(format!("{}: {e}", path.display())))?;
        nix::fcntl::posix_fallocate(&f, 0, bytes.len() as libc::off_t).map_err(|e| fail(e.into()))?;
        f.write_all(bytes).map_err(fail)
    }

    /// Reads spill `n`, which must hold exactly `len` bytes; `None` if it
    /// does not (missing, not a plain file, another size).
    pub(super) fn spill_read(&self, n: u64, len: usize) -> Option<Vec<u8>> {
        let f: File = private().read(true).open(self.path('s', n)).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.file_type().is_fifo() || meta.len() != len as u64 {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        f.take(len as u64).read_to_end(&mut out).ok()?;
        (out.len() == len).then_some(out)
    }

    pub(super) fn spill_remove(&self, n: u64) {
        let _ = std::fs::remove_file(self.path('s', n));
    }
}

impl Drop for Companions {
    fn drop(&mut self) {
        for slot in self.maps.iter() {
            let p = slot.swap(std::ptr::null_mut(), AcqRel);
            if !p.is_null() {
                // SAFETY: `p` is a mapping of `ARENA_BYTES` this process made;
                // the `Segment` owning these companions is being dropped, so no
                // `View` (which borrows it) uses the mapping any more.
                unsafe { libc::munmap(p as *mut libc::c_void, ARENA_BYTES) };
            }
        }
    }
}

/// Removes every companion of segment `name` (arenas and spills). Returns
/// how many it removed.
pub fn remove_companions(name: &str) -> usize {
    if name.contains('/') || name.contains('.') {
        return 0;
    }
    let prefix = format!("{name}.");
    let Ok(dir) = std::fs::read_dir("/dev/shm") else { return 0 };
    dir.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)).filter(|e| std::fs::remove_file(e.path()).is_ok()).count()
}
