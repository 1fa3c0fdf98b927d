//! CPU use per process, as htop shows it: the share of one core each of the
//! run's processes used since the last sample, from the CPU time in
//! `/proc/PID/stat`. The conductor samples (a view reads no `/proc`); a
//! sample is kept for [`CpuSampler::EVERY`] so asking each frame costs
//! nothing.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::vocab::Lane;

/// The last sample of the run's processes.
#[derive(Debug)]
pub struct CpuSampler {
    /// When the last sample was taken and each pid's CPU ticks then.
    last: Option<(Instant, HashMap<i32, u64>)>,
    /// Percent of one core per lane over the last interval (100 = one core
    /// busy all the time; a process with threads can go above).
    percent: BTreeMap<Lane, f32>,
    ticks_per_second: u64,
}

impl Default for CpuSampler {
    fn default() -> Self {
        CpuSampler { last: None, percent: BTreeMap::new(), ticks_per_second: crate::sys::ticks_per_second() }
    }
}

impl CpuSampler {
    /// How long a sample stands.
    pub const EVERY: Duration = Duration::from_millis(700);

    /// Whether the last sample is old: [`Self::sample`] would take a new one.
    pub fn due(&self) -> bool {
        self.last.as_ref().is_none_or(|(at, _)| at.elapsed() >= Self::EVERY)
    }

    /// The last sample's percents.
    pub fn percent(&self) -> &BTreeMap<Lane, f32> {
        &self.percent
    }

    /// Percent of one core per lane of `pids` (lane, pid of a live process),
    /// sampled again if the last sample is older than [`Self::EVERY`]. A lane
    /// first seen has no percent until the next sample.
    pub fn sample(&mut self, pids: impl Iterator<Item = (Lane, i32)>) -> &BTreeMap<Lane, f32> {
        if !self.due() {
            return &self.percent;
        }
        let now = Instant::now();
        let mut ticks = HashMap::new();
        let mut percent = BTreeMap::new();
        for (lane, pid) in pids {
            let Some(t) = ticks.get(&pid).copied().or_else(|| crate::sys::proc_stat(pid).map(|s| s.cpu_ticks)) else { continue };
            ticks.insert(pid, t);
            if let Some((at, before)) = &self.last
                && let Some(b) = before.get(&pid) {
                    let secs = now.duration_since(*at).as_secs_f64();
                    let used = t.saturating_sub(*b) as f64 / self.ticks_per_second as f64;
                    percent.insert(lane, (100.0 * used / secs.max(1e-3)) as f32);
                }
        }
        self.last = Some((now, ticks));
        self.percent = percent;
        &self.percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first sample has nothing to compare with: no percent yet; a later
    /// one gives each live pid its share, and none to a pid that is gone.
    #[test]
    fn a_percent_needs_two_samples() {
        let me = std::process::id() as i32;
        let mut s = CpuSampler::default();
        assert!(s.sample([(Lane(1), me), (Lane(2), i32::MAX)].into_iter()).is_empty());
        assert!(!s.due());
        // A sample taken as if the last were old enough.
        s.last.as_mut().unwrap().0 -= CpuSampler::EVERY;
        let p = s.sample([(Lane(1), me), (Lane(2), i32::MAX)].into_iter());
        assert!(p.get(&Lane(1)).is_some_and(|v| *v >= 0.0) && !p.contains_key(&Lane(2)), "{p:?}");
    }
}
