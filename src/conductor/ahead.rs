//! A run started ahead: the next run of a search starts on a thread of its
//! own while the conductor steps the current one.
//!
//! `explore --all` makes run after run of the same lesson with the same
//! options; only the schedule changes, and a schedule is applied once the
//! run is stepped. A run's start (its segment, folder, guard, threads, and
//! its main process up to its first op, where it parks) needs nothing of
//! the run before it, so it can overlap that run's steps: on two cores the
//! one run's main process starts while the other's processes step. The
//! run started ahead is the run [`Run::start`] would start then: paused,
//! its main parked at its first op, nothing granted; what its main did
//! before that op waits in its ring until the run is drained.

use std::thread::JoinHandle;

use super::{Run, RunError, RunOptions, Undertaker};

/// At most one run started ahead (see the module docs).
#[derive(Debug, Default)]
pub struct Ahead {
    pending: Option<JoinHandle<Result<Run, RunError>>>,
}

impl Ahead {
    pub fn new() -> Ahead {
        Ahead::default()
    }

    /// Starts a run of `options` on a thread of its own, for
    /// [`Ahead::take`]. Any run started ahead before is ended first. No
    /// thread: nothing is started (`take` then gives `None`).
    pub fn start(&mut self, options: RunOptions) {
        self.cancel(None);
        self.pending = std::thread::Builder::new().name("run ahead".into()).spawn(move || Run::start(options)).ok();
    }

    /// The run started ahead (waiting for its start to finish), or `None`
    /// if none was.
    pub fn take(&mut self) -> Option<Result<Run, RunError>> {
        let h = self.pending.take()?;
        Some(h.join().unwrap_or_else(|_| Err(RunError::Thread(std::io::Error::other("the thread that started the run panicked")))))
    }

    /// Ends the run started ahead, if any (by `undertaker`, or here).
    pub fn cancel(&mut self, undertaker: Option<&Undertaker>) {
        if let Some(Ok(run)) = self.take() {
            match undertaker {
                Some(u) => u.bury(run),
                None => drop(run),
            }
        }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.cancel(None);
    }
}
