//! The run's shared-memory segment: creation, opening, validation, the stale
//! sweep, and typed access to its regions ([`View`]).
//!
//! The segment is made with the `shared_memory` crate, kept behind this module so
//! it can be swapped for `shm_open` + `mmap`. It is created exclusively
//! (`O_CREAT|O_EXCL`), mode 0600, under a name no one can guess:
//! `/forkscope-<conductor pid>-<its start time>-<128 random bits>`. The pid and
//! start time in the name let [`sweep_stale`] tell a segment whose conductor is
//! gone (killed by SIGKILL, say) from a live one. Every page of the segment
//! is allocated before anything touches it (`posix_fallocate`): when it is
//! created, all but the rings of lanes past [`layout::RINGS_UP_FRONT`] (6 of
//! the 21 MiB of the default geometry: `/dev/shm` must have room for them
//! then, or that is a clear error at the start), and each of those rings as
//! its lane is handed out (no room: that start's error, as a full lane
//! table is); a `/dev/shm` that other programs fill during the run can no
//! longer leave a process (or the conductor) a SIGBUS on a page it touches
//! for the first time. (It was sparse, a page taken when first touched;
//! then all 21 MiB reserved at the start, 4–10 ms of a run's start zeroing
//! rings of lanes a run of a few processes never uses.) A
//! process of the run that truncates the file still can: the conductor then
//! gives the terminal back and ends with a message (see
//! `ui::terminal::catch_bus_error`), and its guard ends the run.
//!
//! Files: `segment` (create, open, check, sweep, unlink), `view` (typed
//! access, lanes and resources, emitting records), `chain` (variable-length
//! data in blocks), `companion` (the data area's arenas and spills, which
//! let it grow with what a run sends), `ring` (each lane's records), `layout` (the regions),
//! `record` (the wire format), `mutex` and `futex`.

mod chain;
pub mod companion;
pub mod futex;
pub mod layout;
pub mod mutex;
pub mod record;
pub mod ring;
mod segment;
mod view;

pub use segment::{Segment, sweep_of, sweep_stale, unlink};
pub use view::View;

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
    #[error("out of memory for values crossing processes: the data area cannot grow ({used} of {total} blocks in use)")]
    DataFull { used: u32, total: u32 },
    #[error("a value of {} cannot cross processes: one message may take at most 4 GiB", companion::size_words(*.0))]
    TooLarge(u64),
    #[error("out of memory for a value of {} crossing processes: /dev/shm has no room for it ({why})", companion::size_words(*.need))]
    NoRoom { need: u64, why: String },
    #[error("too many shared resources: at most {0} per run")]
    ResourcesFull(u32),
    #[error("too many processes: at most {0} per run (the lane table is full)")]
    LanesFull(u32),
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::*;

    use super::layout::*;
    use super::record::RawRecord;
    use super::*;
    use record::{OpBody, RawKind};

    fn small() -> Geometry {
        Geometry { lanes: 8, ring_cap: 16, resources: 8, blocks: 64 }
    }

    /// Every page is reserved before anything touches it: a `/dev/shm`
    /// filled by others during the run cannot fault a page the run touches
    /// first later. At creation every page but the rings of the lanes past
    /// the first `RINGS_UP_FRONT` (most of the segment: a run of a few
    /// processes zeroes a quarter of it); each of those as its lane is
    /// handed out.
    #[test]
    fn a_new_segment_reserves_its_pages_before_they_are_touched_so_a_full_dev_shm_cannot_fault_it() {
        use std::os::unix::fs::MetadataExt;
        let geo = Geometry::default();
        let seg = Segment::create(geo).unwrap();
        let path = format!("/dev/shm/{}", seg.name());
        let allocated = || std::fs::metadata(&path).unwrap().blocks() as usize * 512;
        let size = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(size > 16 << 20, "the default segment is large: {size}");
        let later = (geo.lanes - RINGS_UP_FRONT) as usize * geo.ring_bytes();
        assert!(size - later < 7 << 20, "most of it is the rings of lanes a run of a few processes never uses: {size}, {later}");
        assert_eq!(allocated(), size - later, "a new segment allocated all but the rings of lanes past {RINGS_UP_FRONT}");
        // Used: a lane and a chain of blocks. Blocks handed out, given back and handed out again.
        let v = seg.view();
        let lane = v.alloc_lane(NONE).unwrap();
        assert_eq!(allocated(), size - later, "the first lanes' rings were reserved already");
        // Lanes past them: each one's ring reserved as it is handed out.
        while v.lanes_in_use() < RINGS_UP_FRONT + 2 {
            v.alloc_lane(NONE).unwrap();
        }
        assert_eq!(allocated(), size - later + 2 * geo.ring_bytes(), "two more lanes, two more rings");
        assert_eq!(v.lane(lane).unwrap().args_block.load(Relaxed), NONE, "a lane's links start empty");
        let first = v.write_chain(&[7u8; 3 * BLOCK_DATA]).unwrap();
        assert_eq!(v.control().blocks_used.load(Relaxed), 3);
        assert_eq!(v.read_chain(first, 3 * BLOCK_DATA as u32).unwrap(), vec![7u8; 3 * BLOCK_DATA]);
        v.free_chain(first);
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
        let again = v.write_chain(&[9u8; 4 * BLOCK_DATA]).unwrap();
        assert_eq!(v.read_chain(again, 4 * BLOCK_DATA as u32).unwrap(), vec![9u8; 4 * BLOCK_DATA]);
        assert_eq!(v.control().blocks_used.load(Relaxed), 4);
    }

    /// A process that parks rings the conductor's settle bell only while
    /// the conductor waits on it (else a park costs no system call), and
    /// the ring wakes a waiter in another mapping of the segment.
    #[test]
    fn the_settle_bell_rings_only_while_the_conductor_waits_and_wakes_it() {
        let seg = Segment::create(small()).unwrap();
        let other = Segment::open(seg.name()).unwrap();
        let ctl = seg.view().control();
        ctl.ring_settle();
        assert_eq!(ctl.settle_bell.0.load(SeqCst), 0, "nobody waits: no ring");
        ctl.settle_waiting.store(1, SeqCst);
        let waiter = std::thread::spawn(move || {
            let c = other.view().control();
            // Bounded: a bell never rung fails the test rather than hanging it.
            let t0 = std::time::Instant::now();
            while c.settle_bell.0.load(SeqCst) == 0 && t0.elapsed() < std::time::Duration::from_secs(20) {
                futex::wait(&c.settle_bell.0, 0, Some(std::time::Duration::from_secs(20)));
            }
            c.settle_bell.0.load(SeqCst)
        });
        ctl.ring_settle();
        assert_eq!(waiter.join().unwrap(), 1, "the waiter saw the ring");
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
    }

    fn companions(name: &str) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir("/dev/shm")
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("{name}.")))
            .collect();
        out.sort();
        out
    }

    /// The data area is not a fixed size: past the segment's own blocks it
    /// grows an arena, whose blocks chain like any others, and whose file
    /// goes with the segment.
    #[test]
    fn the_data_area_grows_past_its_blocks_into_an_arena() {
        let seg = Segment::create(small()).unwrap();
        let name = seg.name().to_string();
        let v = seg.view();
        let data: Vec<u8> = (0..60 * BLOCK_DATA as u32).map(|i| (i * 7) as u8).collect();
        let chains: Vec<u32> = (0..4).map(|_| v.write_chain(&data).unwrap()).collect();
        assert_eq!(v.arenas_made(), 1, "240 blocks of a 64-block area");
        assert_eq!(companions(&name), [format!("{name}.a0")]);
        assert!(chains.iter().any(|&c| c >= small().blocks), "{chains:?}");
        for &c in &chains {
            assert_eq!(v.read_chain(c, data.len() as u32).unwrap(), data);
            v.free_chain(c);
        }
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
        // Another process (here: another mapping) reads what lives in the arena.
        let c = v.write_chain(&data).unwrap();
        let other = Segment::open(&name).unwrap();
        assert_eq!(other.view().read_chain(c, data.len() as u32).unwrap(), data);
        drop(other);
        drop(seg);
        assert!(companions(&name).is_empty(), "the owner removes its arenas");
    }

    /// A big payload goes into an object of its own, which freeing its
    /// chain removes; its chain is one block.
    #[test]
    fn a_big_payload_spills_and_its_spill_goes_when_freed() {
        let seg = Segment::create(small()).unwrap();
        let name = seg.name().to_string();
        let v = seg.view();
        let big: Vec<u8> = (0..5u32 << 20).map(|i| (i % 251) as u8).collect();
        let c = v.write_chain(&big).unwrap();
        assert!(v.is_spilled(c));
        assert_eq!(v.control().blocks_used.load(Relaxed), 1);
        assert_eq!(companions(&name).len(), 1);
        assert_eq!(v.read_chain(c, big.len() as u32).unwrap(), big);
        assert!(v.read_chain(c, big.len() as u32 - 1).is_none(), "a wrong length is a broken chain");
        v.free_chain(c);
        assert!(companions(&name).is_empty());
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
        // Left over at the end (a reader that died): the owner removes it.
        v.write_chain(&big).unwrap();
        drop(seg);
        assert!(companions(&name).is_empty());
    }

    /// A chain claiming a spill that is not there, or another size, reads as
    /// broken: the reference is a number the reader makes a name of.
    #[test]
    fn a_forged_spill_reference_reads_as_broken() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let c = v.write_chain(&vec![3u8; 100 << 10]).unwrap();
        let b = v.block(c).unwrap();
        // SAFETY: test only; the block is ours and no one reads it meanwhile.
        unsafe { (*b.data.get())[0] ^= 0x55 };
        assert!(v.read_chain(c, 100 << 10).is_none());
        assert!(v.read_chain(c, u32::MAX).is_none());
    }

    /// The sweep removes the companions of a dead run, not a live one's.
    #[test]
    fn sweep_removes_companions_of_dead_conductors_only() {
        let live = Segment::create(small()).unwrap();
        live.view().write_chain(&vec![1u8; 100 << 10]).unwrap();
        let stale = format!("{NAME_PREFIX}1-1-{:032x}", rand::random::<u128>());
        for suffix in ["", ".a0", ".s7"] {
            std::fs::write(format!("/dev/shm/{stale}{suffix}"), b"x").unwrap();
        }
        sweep_stale();
        assert!(companions(&stale).is_empty());
        assert!(!std::path::Path::new(&format!("/dev/shm/{stale}")).exists());
        assert_eq!(companions(live.name()).len(), 1);
    }

    /// The ring as separate producer and consumer types: a
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
