//! The collector: a conductor thread that empties the lanes' rings as soon as
//! a writer asks, so that no writer waits long and nothing is dropped.
//!
//! A writer whose ring passes half full rings the segment's bell
//! (`Control::bell`, a shared futex word); a writer whose ring is full rings
//! it and waits for room (`View::emit`). The collector sleeps on the bell
//! (and looks anyway every [`IDLE`]), moves every published record of every
//! ring into [`Collected`] — raw, per lane, in ring order — and goes back to
//! sleep. The drainer (`drain`) takes them from there on the conductor's
//! own schedule, decodes and orders them.
//!
//! One consumer per ring: the collector and the drainer both pop rings, but
//! only under [`Collected`]'s mutex, so to each ring they are one consumer.
//! The drainer pops too, before it takes what was collected, so a drain
//! still sees every record published before it began (its ordering relies
//! on that).
//!
//! Memory is bounded: past [`LIMIT`] records collected and not yet drained,
//! the collector leaves the rings of the run's processes alone and their
//! writers wait (back-pressure, as a full pipe makes a writer wait) until the
//! conductor catches up. The conductor's own lane is always emptied, so the
//! conductor never waits on itself.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::shm::layout::CONDUCTOR_LANE;
use crate::shm::record::RawRecord;
use crate::shm::{Segment, View};

/// Records collected and not yet drained, past which the processes' writers
/// wait: 1 MiB of records. Each record collected becomes a decoded record
/// held, then one released, so what one drain can take is what the
/// conductor's memory peaks at: with 1 M a chatty run's conductor grew past
/// 120 MiB, with 64 K to 59 MiB; with this it stays near 30 MiB, and the
/// writers still find room (the headless loop drains every 0.5 ms: 16 K
/// records a pass is far more than the conductor decodes).
pub const LIMIT: usize = 1 << 14;
/// How often the collector looks when no bell rings.
const IDLE: Duration = Duration::from_millis(10);

/// Raw records taken from the rings, per lane, not yet drained.
#[derive(Debug, Default)]
pub struct Collected {
    /// Per lane, in ring order.
    pub lanes: Vec<Vec<RawRecord>>,
    /// Per lane: records skipped because the ring's indices were impossible.
    pub skipped: Vec<u64>,
    /// Records held in `lanes`.
    pub held: usize,
}

impl Collected {
    /// Pops every lane's ring of `v` into `self`; the run's processes' rings
    /// only while fewer than `limit` records are held.
    pub fn pass(&mut self, v: &View<'_>, limit: usize) {
        let lanes = v.lanes_in_use() as usize;
        if self.lanes.len() < lanes {
            self.lanes.resize_with(lanes, Vec::new);
            self.skipped.resize(lanes, 0);
        }
        for lane in 0..lanes {
            if lane as u32 != CONDUCTOR_LANE && self.held >= limit {
                continue;
            }
            let Some(ring) = v.consumer(lane as u32) else { continue };
            let buf = &mut self.lanes[lane];
            let before = buf.len();
            let rep = ring.pop_into(buf, usize::MAX);
            self.skipped[lane] = self.skipped[lane].saturating_add(rep.skipped);
            self.held += buf.len() - before;
        }
    }
}

/// The shared store and the thread that fills it.
#[derive(Debug, Default, Clone)]
pub struct Store(Arc<Mutex<Collected>>);

impl Store {
    pub fn lock(&self) -> MutexGuard<'_, Collected> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running collector thread; stops when dropped.
#[derive(Debug)]
pub struct Collector {
    stop: Arc<AtomicBool>,
    seg: Arc<Segment>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    /// Starts collecting `seg`'s rings into `store`, and tells the writers
    /// that they may wait for room from now on.
    pub fn start(seg: Arc<Segment>, store: Store) -> std::io::Result<Collector> {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seg.clone(), stop.clone());
        let thread = std::thread::Builder::new().name("collector".into()).spawn(move || {
            let v = s.view();
            let bell = &v.control().bell.0;
            while !st.load(Acquire) {
                let rung = bell.load(Acquire);
                store.lock().pass(&v, LIMIT);
                crate::shm::futex::wait(bell, rung, Some(IDLE));
            }
        })?;
        seg.view().control().collector.store(1, Release);
        Ok(Collector { stop, seg, thread: Some(thread) })
    }

    /// Stops the thread: writers drop again when full (nothing drains now).
    pub fn stop(&mut self) {
        let v = self.seg.view();
        v.control().collector.store(0, Release);
        self.stop.store(true, Release);
        v.ring_bell();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop();
    }
}
