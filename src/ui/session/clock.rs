//! The clocks of a session: the time the screen shows, and the record rate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::model::Record;

/// Records per second over the last second.
#[derive(Debug, Default)]
pub(super) struct RateMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    pub(super) fn add(&mut self, now: Instant, n: u64) {
        self.samples.push_back((now, n));
        while self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(1)) {
            self.samples.pop_front();
        }
    }

    pub(super) fn rate(&self) -> f64 {
        self.samples.iter().map(|(_, n)| *n).sum::<u64>() as f64
    }
}

/// The time the screen shows: the run's own clock while it runs freely, and
/// while it is paused or stepping a clock that stands still and moves one
/// timeline cell per step. So the seconds a teacher spends talking before
/// the next step do not fill every lane with "ready", and the interleaving
/// just stepped through stays on screen (as in `snapshot` figures).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ScreenClock {
    /// The run went freely at the last look.
    free: bool,
    /// Run time left out so far (time spent paused): screen = run − `shift`.
    shift: u64,
    /// Screen time reached so far.
    now: u64,
    /// Steps placed so far (paused).
    steps: usize,
}

/// The screen times of a run's steps when it is granted again (a rewind of
/// a run that went free: its ops are steps now, and each shows at the time
/// it had, not a timeline cell later than the one before).
#[derive(Clone, Debug, Default)]
pub(super) struct StepTimes(pub Vec<u64>);

impl ScreenClock {
    /// Notes whether the run goes freely at run time `real`: leaving a pause,
    /// the screen goes on from where it stood.
    pub(super) fn follow(&mut self, free: bool, real: u64) {
        if free == self.free {
            return;
        }
        if free {
            self.shift = real.saturating_sub(self.now);
        } else {
            self.now = self.now.max(real.saturating_sub(self.shift));
        }
        self.free = free;
    }

    /// Screen time at run time `real`.
    pub(super) fn now(&self, real: u64) -> u64 {
        if self.free { self.now.max(real.saturating_sub(self.shift)) } else { self.now }
    }

    /// Screen time of record `r`: its own less the time paused when free; a
    /// step (`Grant`) later than the last one when paused.
    /// With `times`, step N is placed at the time it had in the run being
    /// granted again (steps past them, a cell each as usual).
    pub(super) fn place(&mut self, r: &Record, step_ns: u64, times: &StepTimes) -> u64 {
        if self.free {
            self.now = self.now.max(r.t_ns.saturating_sub(self.shift));
        } else if matches!(r.kind, crate::model::RecordKind::Grant { .. }) {
            self.now = match times.0.get(self.steps) {
                Some(t) => self.now.max(*t),
                None => self.now + step_ns,
            };
            self.steps += 1;
        }
        self.now
    }
}
