//! The undertaker: ends runs whose end nobody will read, on threads of
//! their own, while the caller starts its next run.
//!
//! `explore --all` cuts most of its runs short (a state searched before, a
//! wait begun too early): their processes are parked at the gate, and what
//! their end says is not read. Ending a run (killing its processes, waiting
//! for the reaper to see every end, the family sweep, the guard, the
//! segment and the folder) takes a few milliseconds that are mostly waits
//! for the dying processes; here they overlap the next run's start and
//! steps. A buried run is ended exactly as any other (its `Drop`): nothing
//! changes but when. The undertaker waits for every run it holds when it is
//! dropped, so nothing of a run outlives the search that made it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::Run;

/// At most this many runs being ended at once: one more waits for the oldest.
const IN_FLIGHT: usize = 2;

/// Runs being ended (see the module docs).
#[derive(Debug, Default)]
pub struct Undertaker {
    ending: Mutex<VecDeque<JoinHandle<()>>>,
}

impl Undertaker {
    pub fn new() -> Undertaker {
        Undertaker::default()
    }

    /// Ends `run` on a thread of its own (as its drop ends it), after the
    /// oldest run still ending when [`IN_FLIGHT`] are. Should no thread
    /// start, the run is ended here.
    pub fn bury(&self, run: Run) {
        let mut ending = self.ending.lock().unwrap_or_else(|e| e.into_inner());
        ending.retain(|h| !h.is_finished());
        while ending.len() >= IN_FLIGHT {
            if let Some(h) = ending.pop_front() {
                let _ = h.join();
            }
        }
        // The run moves into the closure; if the spawn fails, the closure (and
        // the run in it) is dropped here, which ends it on this thread.
        if let Ok(h) = std::thread::Builder::new().name("undertaker".into()).spawn(move || drop(run)) {
            ending.push_back(h);
        }
    }

    /// Waits until every run given has ended.
    pub fn wait(&self) {
        let mut ending = self.ending.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(h) = ending.pop_front() {
            let _ = h.join();
        }
    }

    /// Runs still being ended.
    pub fn ending(&self) -> usize {
        let mut ending = self.ending.lock().unwrap_or_else(|e| e.into_inner());
        ending.retain(|h| !h.is_finished());
        ending.len()
    }
}

impl Drop for Undertaker {
    fn drop(&mut self) {
        self.wait();
    }
}
