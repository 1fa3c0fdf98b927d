//! Makes a bad run smaller: the fewest chosen steps that still go wrong the
//! same way.
//!
//! A schedule here is a list of lanes granted in order, after which every
//! process runs on without preemption (the one stepped last goes on while it
//! can; then the first that can step). First the shortest prefix of the bad
//! run's schedule that still goes wrong (a binary search), then single
//! grants dropped from it, from the end, while it still goes wrong (at most
//! [`DROP_TRIES`] tries; none with `explore --all --first`, which wants a
//! verdict soon: the drops shorten the list of grants, hardly the run). What
//! is left is the counterexample; its length is the number of steps it chooses.

use crate::conductor::schedule::{self, Policy};
use crate::conductor::{Action, Run};
use crate::headless::Finished;
use crate::vocab::Lane;

use super::{ExploreOptions, judge_for};

/// Most single-grant drops tried.
pub const DROP_TRIES: usize = 16;

/// A minimised bad run.
#[derive(Debug)]
pub struct Minimised {
    /// The lanes it chooses.
    pub chosen: Vec<Lane>,
    /// The run they make.
    pub run: Finished,
    /// Runs it took to find.
    pub runs: u32,
}

/// Steps the last process stepped while it can, else the first that can.
pub fn run_on() -> Policy {
    Policy::Call(Box::new(|run: &Run| {
        let last = run.schedule().iter().rev().find_map(|a| match a {
            Action::Step { lane, .. } => Some(*lane),
            _ => None,
        });
        let lane = last.filter(|l| run.steppable(*l).is_ok()).or_else(|| schedule::next_steppable(run))?;
        Some(Action::Step { lane, granularity: 0 })
    }))
}

/// Minimises `bad` (a run of `lanes` that went wrong with `kind`).
pub fn minimise(opts: &ExploreOptions, seed: u64, lanes: &[Lane], kind: &str, bad: Finished) -> anyhow::Result<Minimised> {
    let mut runs = 0u32;
    // Each attempt is a run of the same seed: the next starts while one steps.
    let mut ahead = crate::conductor::Ahead::new();
    let mut attempt = |list: &[Lane]| -> anyhow::Result<Option<Finished>> {
        runs += 1;
        let f = super::run_ahead(opts, &mut ahead, seed, Some(seed), Policy::List(list.iter().copied().collect(), Box::new(run_on())), None, None)?;
        Ok(judge_for(&f, opts.bad.as_deref()).filter(|(k, _)| k == kind).map(|_| f))
    };
    let (mut best, mut best_run) = (lanes.to_vec(), bad);
    // The shortest prefix (going wrong is not monotone in the prefix: this
    // finds a short one, and keeps the best seen).
    let (mut lo, mut hi) = (0usize, lanes.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match attempt(&lanes[..mid])? {
            Some(f) => {
                hi = mid;
                best = lanes[..mid].to_vec();
                best_run = f;
            }
            None => lo = mid + 1,
        }
    }
    let mut i = best.len();
    let mut tries = 0;
    let most = if opts.first { 0 } else { DROP_TRIES };
    while i > 0 && tries < most {
        i -= 1;
        tries += 1;
        let mut shorter = best.clone();
        shorter.remove(i);
        if let Some(f) = attempt(&shorter)? {
            best = shorter;
            best_run = f;
        }
    }
    Ok(Minimised { chosen: best, run: best_run, runs })
}
