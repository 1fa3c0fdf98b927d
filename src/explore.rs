//! `forkscope explore`: run a lesson many times under different schedules and
//! stop at the first run that goes wrong.
//!
//! Run i uses seed `seed + i` for both the lesson's random numbers and the
//! schedule; even runs use a random schedule (each step to a ready process
//! chosen uniformly), odd runs a PCT schedule (random priorities with
//! `depth - 1` priority drops, as in CHESS and shuttle), alternating depth 2
//! and 3. A run goes wrong when its outcome is `assertion` (a failed `assert`)
//! or `deadlock`, or when one of the lesson's `[[bad]]` conditions holds at the
//! end. The failing run is saved as a recording that `forkscope replay` (and
//! the dashboard) open.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::codec::Value;
use crate::conductor::RunOptions;
use crate::conductor::schedule::{Pct, Policy};
use crate::headless::{self, HeadlessOptions};
use crate::model::summary::Outcome;
use crate::recording::Recording;
use crate::scenario::Lesson;

#[derive(Debug, Clone)]
pub struct ExploreOptions {
    pub runs: u32,
    pub seed: u64,
    pub params: BTreeMap<String, Value>,
    pub lang: String,
    /// Where to save the failing run (default: `explore-LESSON-SEED.fsrec`).
    pub out: Option<PathBuf>,
    /// Time limit of one run.
    pub run_timeout: Duration,
    pub exe: PathBuf,
}

/// What went wrong in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `assertion`, `deadlock` or `bad`.
    pub kind: String,
    pub message: String,
    pub run: u32,
    pub seed: u64,
    pub policy: String,
    pub saved: PathBuf,
    pub steps: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Explored {
    Found(Failure),
    Clean { runs: u32, elapsed: Duration },
}

fn policy_for(i: u32, seed: u64) -> (Policy, String) {
    if i.is_multiple_of(2) {
        (Policy::Random(rand::SeedableRng::seed_from_u64(seed)), "random".into())
    } else {
        let depth = if (i / 2).is_multiple_of(2) { 2 } else { 3 };
        (Policy::Pct(Pct::new(seed, depth, 150)), format!("pct(depth {depth})"))
    }
}

/// Why the run with this summary went wrong, if it did.
fn judge(f: &headless::Finished) -> Option<(String, String)> {
    let s = &f.summary;
    match s.outcome {
        Outcome::Assertion => {
            let msg = s.findings.iter().find(|x| x.kind == "assertion").map_or("an assert failed".into(), |x| x.message.clone());
            return Some(("assertion".into(), msg));
        }
        Outcome::Deadlock => {
            let msg = s.findings.iter().find(|x| x.kind == "deadlock").map_or("deadlock".into(), |x| x.message.clone());
            return Some(("deadlock".into(), msg));
        }
        _ => {}
    }
    // The headless run judged the lesson's conditions already: its findings.
    s.findings.iter().find(|x| x.kind == "bad").or_else(|| s.findings.iter().find(|x| x.kind == "error")).map(|x| (x.kind.clone(), x.message.clone()))
}

/// Explores `lesson`; progress goes to `out`.
pub fn explore(lesson: &Lesson, opts: &ExploreOptions, out: &mut dyn Write) -> anyhow::Result<Explored> {
    let t0 = Instant::now();
    for i in 0..opts.runs {
        if crate::sys::stop_requested().is_some() {
            anyhow::bail!("stopped");
        }
        let seed = opts.seed.wrapping_add(i as u64);
        let (policy, pname) = policy_for(i, seed);
        let mut ro = RunOptions::of_lesson(lesson);
        ro.params = opts.params.clone();
        ro.seed = seed;
        ro.paused = true;
        ro.lang = opts.lang.clone();
        ro.exe = opts.exe.clone();
        let h = HeadlessOptions { json: false, quiet: true, timeout: Some(opts.run_timeout), policy: Some(policy), lang: opts.lang.clone(), input: Some(Vec::new()) };
        let f = headless::run(lesson, ro, h, &mut std::io::sink())?;
        let verdict = judge(&f);
        let _ = writeln!(out, "run {:>4}/{}  seed {seed:<6} {pname:<14} {:>5} steps  {}", i + 1, opts.runs, f.summary.steps, verdict.as_ref().map_or(f.summary.outcome.name().to_string(), |(k, _)| format!("FOUND {k}")));
        if let Some((kind, message)) = verdict {
            let path = opts.out.clone().unwrap_or_else(|| PathBuf::from(format!("explore-{}-{seed}.fsrec", lesson.name)));
            let rec = Recording::of_run(lesson, &opts.params, seed, false, &f.schedule, &f.records, Some(f.summary.outcome), &format!("{kind}: {message}"));
            rec.save(&path)?;
            return Ok(Explored::Found(Failure { kind, message, run: i + 1, seed, policy: pname, saved: path, steps: f.summary.steps }));
        }
    }
    Ok(Explored::Clean { runs: opts.runs, elapsed: t0.elapsed() })
}
