//! Waits inside the standard library's own threading objects, made visible
//! to the gate while stepping: `concurrent.futures` makes its `Future`s'
//! conditions and its waiters' events itself (CPython's `threading`), and a
//! thread of the program waits there (`future.result()`, `as_completed`)
//! for a thread of the library to set them. Running free nothing changes;
//! while the run is paused, such a wait is the lane blocked (a timed block
//! on no resource: no record explains its end), so the step is over and
//! the gate steps the others; the notifier, once it has let go of the
//! condition's lock, waits (bounded) for each lane it woke to park as
//! ready ([`LaneRuntime::lib_settle`]), so who is ready when the next step is chosen
//! is fixed, and the same schedule gives the same records.

use std::sync::atomic::Ordering::*;

use crate::runtime::LaneRuntime;
use crate::shm::layout::{NONE, ProcState};
use crate::shm::record::Op;

impl LaneRuntime {
    /// A library wait begins: `None` running free (nothing to do), else
    /// this lane's park count (for [`LaneRuntime::lib_settle`]); the lane shows blocked.
    pub fn lib_wait_begin(&self, line: u32) -> Option<u64> {
        if !self.paused() {
            return None;
        }
        if line > 0 {
            self.set_line(line);
        }
        let parks = self.me.parks.load(SeqCst) as u64;
        self.record_block(Op::Wait, NONE, NONE, NONE, true);
        self.set_state(ProcState::Blocked, Some(Op::Wait), NONE, NONE, 0);
        // Nothing of the run wakes this wait: wake-ups so far are seen (the
        // conductor counts a lane with unseen ones as about to move).
        self.me.wakes_seen.store(self.me.wakes.load(SeqCst), SeqCst);
        Some(parks)
    }

    /// The library wait ended: paused, the lane parks as ready until granted.
    pub fn lib_wait_end(&self) {
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        self.gates.set(self.gates.get() + 1);
        self.ready_after_wake();
    }

    /// After waking lane `lane` (whose park count was `parks` when it began
    /// to wait): waits, while paused and bounded, until it has parked or ended.
    pub fn lib_settle(&self, lane: u32, parks: u64) {
        let Some(l) = self.v.lane(lane) else { return };
        self.settle_on(|| l.parks.load(SeqCst) as u64 > parks || l.ended.load(Acquire) != 0);
    }
}
