//! `forkscope explore`: run a lesson many times under different schedules and
//! stop at the first run that goes wrong.
//!
//! Two searches: sampling (below, the default) and, with `--all`, every
//! inequivalent interleaving ([`dpor`]: partial-order reduction read from the
//! records of each step, [`footprint`]). Whichever finds a bad run, the run is
//! then made smaller ([`minimise`]: the shortest prefix of its schedule that
//! still goes wrong when every process then runs on without preemption, and
//! without the grants that do not matter) and saved as a recording labelled
//! with its length.
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

use crate::conductor::{RunOptions, RunSpec};
use crate::conductor::schedule::{Pct, Policy};
use crate::headless::{self, HeadlessOptions};
use crate::model::summary::Outcome;
use crate::model::Record;
use crate::vocab::Lane;
use crate::recording::Recording;
use crate::scenario::Lesson;

pub mod dpor;
pub mod footprint;
pub mod minimise;
pub mod conflicts;
pub mod report;
pub mod state;

#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// Which run: the lesson, its parameters, the first seed (run i of a
    /// sample uses seed + i), the language of the report.
    pub spec: RunSpec,
    pub runs: u32,
    /// Where to save the failing run (default: `explore-LESSON-SEED.fsrec`).
    pub out: Option<PathBuf>,
    /// Time limit of one run.
    pub run_timeout: Duration,
    pub exe: PathBuf,
    /// `--all`: the preemption bound (`None`: none).
    pub preemptions: Option<u32>,
    /// `--all`: the run budget (`None`: none).
    pub budget: Option<u32>,
    /// Write a progress line (a terminal), rewritten in place.
    pub progress: bool,
    /// `--all`: write progress as JSON lines instead (`{"type": "progress",
    /// …}`, five a second: what the dashboard's `x` reads).
    pub progress_json: bool,
    /// `--bad NAME`: the one bad outcome to hunt (a `[[bad]]`'s name, or
    /// `assertion`, `deadlock`, `error`); a run bad in another way counts as
    /// one that went well. `None`: any.
    pub bad: Option<String>,
    /// `--all`: the seen-state and symmetry reductions (`--no-reduce` turns
    /// them off; see [`dpor`] and [`state`]).
    pub reduce: bool,
    /// `--all --first`: the first counterexample, not the shortest (see
    /// [`explore_all`]).
    pub first: bool,
    /// `--all`: runs made at once (see [`workers`]; 1: one at a time).
    pub workers: usize,
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
    /// Steps of the saved (minimised) run.
    pub steps: u64,
    /// Steps of the run as found.
    pub found_steps: u64,
    /// Grants the minimised schedule chooses (then every process runs on
    /// without preemption): the counterexample's length.
    pub chosen: usize,
    /// The conflicting ops whose order made it bad, against a run that went
    /// well (see [`conflicts`]; empty when no run went well).
    pub conflicts: conflicts::Conflicts,
}

/// Runs that went well kept to explain a counterexample against (the one
/// that explains it in the fewest ops is used).
pub const GOOD_KEPT: usize = 4;

/// Keeps `f` among the runs that went well, while there is room.
fn keep_good(goods: &mut Vec<headless::Finished>, f: headless::Finished) {
    if goods.len() < GOOD_KEPT && judge(&f).is_none() && matches!(f.summary.outcome, Outcome::Completed) {
        goods.push(f);
    }
}

/// A run that did not end by itself, or ended in an error no finding
/// explains (a run that made no progress until its time limit, a step that
/// never finished): explore cannot judge it, so it stops there and says so —
/// never "clean" or "verified" over runs it could not judge.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFailed {
    /// The lesson (its name, or its file).
    pub lesson: String,
    /// Which run of the search it was (1 = the first).
    pub run: u32,
    pub seed: u64,
    pub policy: String,
    /// The run's outcome (`timeout`, `error`).
    pub outcome: String,
    /// Why, as the run's summary said (its findings), or its processes' ends.
    pub message: String,
    pub steps: u64,
}

impl RunFailed {
    /// A sentence for a person.
    pub fn text(&self) -> String {
        format!(
            "run {} (seed {}, {} schedule) ended in {} after {} steps: {}\nexplore stops at a run that fails: it cannot call a program clean when its runs fail (see this one alone: forkscope run {} --seed {} --paused, and step it)",
            self.run, self.seed, self.policy, self.outcome, self.steps, self.message, self.lesson, self.seed
        )
    }

    pub fn json(&self, mode: &str, runs: u32, elapsed: Duration) -> serde_json::Value {
        serde_json::json!({"type": "explore", "mode": mode, "result": "failed", "runs": runs, "elapsed_s": elapsed.as_secs_f64(),
            "failed": {"run": self.run, "seed": self.seed, "policy": self.policy, "outcome": self.outcome, "message": self.message, "steps": self.steps}})
    }
}

/// Whether a run that is not bad (see [`judge`]) failed: it did not end by
/// itself (timeout, stopped), or ended in an error.
pub fn failed_run(lesson: &Lesson, f: &headless::Finished, run: u32, seed: u64, policy: &str) -> Option<RunFailed> {
    let s = &f.summary;
    if matches!(s.outcome, Outcome::Completed | Outcome::Deadlock | Outcome::Assertion) {
        return None;
    }
    let mut why: Vec<String> = s.findings.iter().filter(|x| matches!(x.kind.as_str(), "timeout" | "stopped" | "error")).map(|x| x.message.clone()).collect();
    if why.is_empty() {
        why = s.findings.iter().map(|x| format!("{}: {}", x.kind, x.message)).collect();
    }
    if why.is_empty() {
        let main = s.processes.iter().find(|p| p.lane == Lane::MAIN);
        why.push(match main.and_then(|p| p.exitcode) {
            Some(code) => format!("{} exited with {code}", main.map_or("MainProcess", |p| p.name.as_str())),
            None => "MainProcess never ended".into(),
        });
    }
    let lesson = if lesson.is_builtin() { lesson.name.clone() } else { lesson.origin.clone() };
    Some(RunFailed { lesson, run, seed, policy: policy.into(), outcome: s.outcome.name().into(), message: why.join("; "), steps: s.steps })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Explored {
    Found(Failure),
    Clean { runs: u32, elapsed: Duration },
    /// A run failed (see [`RunFailed`]) after `runs` runs.
    Failed { failed: RunFailed, runs: u32, elapsed: Duration },
}

/// What `explore --all` ends with.
#[derive(Debug, Clone, PartialEq)]
pub struct AllExplored {
    /// Runs made (interleavings, and runs dropped early: a wait begun too
    /// early, a run that could only repeat an earlier one).
    pub runs: u32,
    /// Inequivalent interleavings run to their end.
    pub interleavings: u32,
    pub elapsed: Duration,
    /// A bound cut the search (then no "verified").
    pub cut_by_preemptions: bool,
    pub cut_by_runs: bool,
    pub found: Option<Failure>,
    /// Runs spent minimising the counterexample.
    pub minimise_runs: u32,
    /// Bad interleavings seen (the counterexample is the one of fewest
    /// steps among them, then minimised).
    pub bad_interleavings: u32,
    /// After the first bad one, the search went on to its end (else it
    /// stopped looking, see [`MORE_AFTER_FOUND`], or the budget stopped it):
    /// the counterexample is then the shortest of every bad interleaving.
    pub searched_all: bool,
    /// The outcomes the interleavings reached: what the run reported (its
    /// `report`s, as a JSON object) and how many interleavings reached it.
    pub outcomes: BTreeMap<String, u32>,
    /// A run failed: the search stopped there (see [`RunFailed`]).
    pub failed: Option<RunFailed>,
    /// Runs ended at a state searched before (the reductions; see [`dpor`]).
    pub seen_states: u32,
    /// Of those, runs that came back to a state of their own (a cycle).
    pub cycles: u32,
    /// Of `runs`, those by sampled schedules (`--first`), not the search's.
    pub sampled: u32,
    /// Of `sampled`, those cut at their cap (see [`SAMPLED_STEPS_TIMES`]).
    pub sampled_cut: u32,
    /// Of `runs`, those made beside the search's current run and taken (see
    /// [`workers`]): how the search went is the same with one worker.
    pub beside: u32,
}

impl AllExplored {
    /// `verified`, `counterexample`, `bounded` or `failed`.
    pub fn result(&self) -> &'static str {
        if self.found.is_some() {
            "counterexample"
        } else if self.failed.is_some() {
            "failed"
        } else if self.cut_by_preemptions || self.cut_by_runs {
            "bounded"
        } else {
            "verified"
        }
    }
}

/// After the first bad interleaving, `explore --all` looks on for a shorter
/// one for as many runs again as it took to find it, and at least this many
/// (not with `--first`).
pub const MORE_AFTER_FOUND: u32 = 200;

/// `explore --all --first`: runs by sampled schedules (random, PCT; as
/// sampling `explore` makes them) after the search's first run, while it
/// goes on…
pub const FIRST_SAMPLED: u32 = 4;
/// …and then one run in every this many.
pub const SAMPLE_EVERY: u32 = 8;
/// A sampled run is cut (and dropped, not judged) after this many times the
/// steps of the longest run the search made so far, and at least
/// [`SAMPLED_STEPS_MIN`]: a schedule that starves the processes that would
/// end the program (PCT gives a light that toggles for ever the highest
/// priority) would otherwise run to its time limit. It is a guess beside the
/// search, not part of it: dropping it leaves the verdict as it was.
pub const SAMPLED_STEPS_TIMES: u64 = 4;
pub const SAMPLED_STEPS_MIN: u64 = 1_000;

/// `policy`, ending the run (no process stepped any more) after `cap` steps
/// and then saying so in the flag returned.
fn capped(mut policy: Policy, cap: u64) -> (Policy, std::rc::Rc<std::cell::Cell<bool>>) {
    let cut = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = cut.clone();
    let mut steps = 0u64;
    let call: crate::conductor::schedule::Chooser = Box::new(move |run| {
        if steps >= cap {
            flag.set(true);
            return None;
        }
        let a = policy.pick(run);
        if matches!(a, Some(crate::conductor::Action::Step { .. })) {
            steps += 1;
        }
        a
    });
    (Policy::Call(call), cut)
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
pub fn judge(f: &headless::Finished) -> Option<(String, String)> {
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

/// [`judge`], when `want` names the bad outcome to hunt (see
/// [`ExploreOptions::bad`]): only that one counts.
pub fn judge_for(f: &headless::Finished, want: Option<&str>) -> Option<(String, String)> {
    let Some(want) = want else { return judge(f) };
    let s = &f.summary;
    let finding = |kind: &str| s.findings.iter().find(|x| x.kind == kind).map(|x| x.message.clone());
    match want {
        "assertion" => (s.outcome == Outcome::Assertion).then(|| ("assertion".into(), finding("assertion").unwrap_or_else(|| "an assert failed".into()))),
        "deadlock" => (s.outcome == Outcome::Deadlock).then(|| ("deadlock".into(), finding("deadlock").unwrap_or_else(|| "deadlock".into()))),
        // An error that is not the failed assert's own report.
        "error" => finding("error").filter(|_| s.outcome != Outcome::Assertion).map(|m| ("error".into(), m)),
        name => s.findings.iter().find(|x| x.kind == "bad" && x.name.as_deref() == Some(name)).map(|x| ("bad".into(), x.message.clone())),
    }
}

/// Explores `lesson`; progress goes to `out`.
pub fn explore(opts: &ExploreOptions, out: &mut dyn Write) -> anyhow::Result<Explored> {
    let lesson = &opts.spec.lesson;
    let t0 = Instant::now();
    let mut goods = Vec::new();
    // One guard for every run of the search (see `conductor::guard::Shared`).
    let _guard = crate::conductor::guard::Shared::current(&opts.exe);
    // Run i + 1 (its seed) starts while run i steps.
    let mut ahead = crate::conductor::Ahead::new();
    for i in 0..opts.runs {
        if crate::sys::stop_requested().is_some() {
            anyhow::bail!("stopped");
        }
        let seed = opts.spec.seed.wrapping_add(i as u64);
        let (policy, pname) = policy_for(i, seed);
        let next = (i + 1 < opts.runs).then(|| seed.wrapping_add(1));
        let f = run_ahead(opts, &mut ahead, seed, next, policy, None, None)?;
        if crate::sys::stop_requested().is_some() {
            anyhow::bail!("stopped after {i} runs");
        }
        let verdict = judge_for(&f, opts.bad.as_deref());
        let _ = writeln!(out, "run {:>4}/{}  seed {seed:<6} {pname:<14} {:>5} steps  {}", i + 1, opts.runs, f.summary.steps, verdict.as_ref().map_or(f.summary.outcome.name().to_string(), |(k, _)| format!("FOUND {k}")));
        if let Some((kind, message)) = verdict {
            ahead.cancel(None);
            let (failure, _) = save_minimised(lesson, opts, Bad { f, kind, message, run: i + 1, seed, policy: pname }, &goods)?;
            return Ok(Explored::Found(failure));
        }
        // Hunting one bad outcome, a run that went wrong another way is judged: not failed.
        if opts.bad.is_some() && judge(&f).is_some() {
            continue;
        }
        if let Some(failed) = failed_run(lesson, &f, i + 1, seed, &pname) {
            return Ok(Explored::Failed { failed, runs: i + 1, elapsed: t0.elapsed() });
        }
        keep_good(&mut goods, f);
    }
    Ok(Explored::Clean { runs: opts.runs, elapsed: t0.elapsed() })
}

/// One run of the lesson `opts.spec` names, with `seed`, stepped by
/// `policy`; every record also goes to `tap`.
pub fn run_once(opts: &ExploreOptions, seed: u64, policy: Policy, tap: Option<std::sync::mpsc::Sender<Record>>) -> anyhow::Result<headless::Finished> {
    headless::run(run_options(opts, seed), headless_options(opts, policy, tap, None), &mut std::io::sink())
}

fn run_options(opts: &ExploreOptions, seed: u64) -> RunOptions {
    let spec = RunSpec { seed, ..opts.spec.clone() };
    let mut ro = RunOptions::new(spec);
    ro.paused = true;
    ro.exe = opts.exe.clone();
    ro.guard = crate::conductor::guard::Shared::current(&opts.exe);
    ro
}

fn headless_options(opts: &ExploreOptions, policy: Policy, tap: Option<std::sync::mpsc::Sender<Record>>, bury: Option<headless::Bury>) -> HeadlessOptions {
    HeadlessOptions { json: false, quiet: true, timeout: Some(opts.run_timeout), policy: Some(policy), input: Some(Vec::new()), keep_records: true, tap, bury }
}

/// One run of the lesson with `seed`, stepped by `policy`: the run started
/// ahead if it is one of `seed` (else one started now), and a run of
/// `next` is started ahead at once (see [`crate::conductor::Ahead`]); the
/// run is ended by an undertaker when `bury` says its end will not be read
/// (see [`headless::Bury`]).
pub(crate) fn run_ahead(opts: &ExploreOptions, ahead: &mut crate::conductor::Ahead, seed: u64, next: Option<u64>, policy: Policy, tap: Option<std::sync::mpsc::Sender<Record>>, bury: Option<headless::Bury>) -> anyhow::Result<headless::Finished> {
    let phase = crate::sys::phases::start("run start (all)");
    let run = match ahead.take() {
        Some(Ok(run)) if run.options().spec.seed == seed => run,
        Some(Err(e)) => return Err(e.into()),
        other => {
            drop(other);
            crate::conductor::Run::start(run_options(opts, seed))?
        }
    };
    phase.end();
    // Python runs only: a Rhai run's start (a fork server's template, an
    // exec of forkscope) costs CPU where its steps are short (0.17 ms) and
    // its two cores already busy; overlapped, its end took 9.3 ms instead
    // of 2.2 ms, and the search 9.4-9.8 s instead of 7.2-7.5 s.
    if let Some(next) = next.filter(|_| opts.spec.lesson.engine == crate::codec::Engine::Python) {
        ahead.start(run_options(opts, next));
    }
    headless::run_started(run, headless_options(opts, policy, tap, bury), &mut std::io::sink())
}

/// A bad run explore found: the run, what was wrong, and how it was found.
struct Bad {
    f: headless::Finished,
    kind: String,
    message: String,
    /// Which run of the search it was (1 = the first).
    run: u32,
    seed: u64,
    /// The schedule policy that found it (`all` for `explore --all`).
    policy: String,
}

/// Minimises the bad run and saves it; also returns the runs minimising took.
fn save_minimised(lesson: &Lesson, opts: &ExploreOptions, bad: Bad, goods: &[headless::Finished]) -> anyhow::Result<(Failure, u32)> {
    let Bad { f, kind, message, run, seed, policy } = bad;
    let found_steps = f.summary.steps;
    let lanes: Vec<Lane> = f.schedule.iter().filter_map(|a| match a { crate::conductor::Action::Step { lane, .. } => Some(*lane), _ => None }).collect();
    let m = minimise::minimise(opts, seed, &lanes, &kind, f)?;
    let path = opts.out.clone().unwrap_or_else(|| PathBuf::from(format!("explore-{}-{seed}.fsrec", lesson.name)));
    let (kind, message) = judge_for(&m.run, opts.bad.as_deref()).unwrap_or((kind, message));
    // The head (before " — ") names the recording in a figure's footer.
    let how = match (policy == "all", opts.first) {
        (true, false) => "explore --all: shortest counterexample",
        (true, true) => "explore --all --first: first counterexample",
        (false, true) => "explore --all --first: counterexample of a sampled schedule",
        (false, false) => "explore: counterexample",
    };
    let note = format!("{how}, {} steps — {kind}: {message} ({} steps chosen, {} in all; found in a run of {found_steps})", m.chosen.len(), m.chosen.len(), m.run.summary.steps);
    let rec = Recording::of_run(&RunSpec { seed, ..opts.spec.clone() }, &m.run.schedule, &m.run.records, Some(m.run.summary.outcome), &note);
    rec.save(&path)?;
    let conflicts = explain(opts, &m.run, goods, &kind)?;
    Ok((Failure { kind, message, run, seed, policy, saved: path, steps: m.run.summary.steps, found_steps, chosen: m.chosen.len(), conflicts }, m.runs))
}

/// The conflicts of the bad run `bad` against the run that went well that
/// explains it in the fewest reasons, then ops (of `goods`, the first runs that went well,
/// in the order the search made them; when none of them explains it, the
/// run in which every process runs on without preemption, if that one goes well).
/// `kind`: what was bad (see [`judge`]); for an error or a failed assert,
/// the process that raised it is the one explained.
fn explain(opts: &ExploreOptions, bad: &headless::Finished, goods: &[headless::Finished], kind: &str) -> anyhow::Result<conflicts::Conflicts> {
    let failed = matches!(kind, "error" | "assertion")
        .then(|| bad.summary.findings.iter().find(|x| x.kind == kind).and_then(|x| x.processes.first()))
        .flatten()
        .map(String::as_str);
    let bad = conflicts::accesses(bad);
    let best = goods
        .iter()
        .map(|g| conflicts::explain_accesses(&bad, &conflicts::accesses(g), failed))
        .filter(|c| !c.is_empty())
        .min_by_key(|c| (c.why.len(), c.bad_order.len()));
    if let Some(best) = best {
        return Ok(best);
    }
    // Accesses match by process name: a good run in which other processes
    // had the roles (the search's first run starts the newest buyer first; a
    // random schedule that oversold let the oldest buy) explains nothing.
    let serial = run_once(opts, opts.spec.seed, minimise::run_on(), None)?;
    if judge(&serial).is_some() || serial.summary.outcome != Outcome::Completed {
        return Ok(conflicts::Conflicts::default());
    }
    Ok(conflicts::explain_accesses(&bad, &conflicts::accesses(&serial), failed))
}

/// A run, what was bad in it (kind, message), and why.
pub type Explained = (headless::Finished, Option<(String, String)>, conflicts::Conflicts);

/// One run as explore makes them (`spec` stepped by `policy`: a recording's
/// schedule, or round robin; its records kept), what was bad in it, and if
/// something was, why: its conflicts against the run in which every process
/// runs on without preemption, when that one goes well. For `snapshot
/// --diagram`.
pub fn run_explained(spec: RunSpec, exe: PathBuf, policy: Policy) -> anyhow::Result<Explained> {
    let opts = ExploreOptions { spec, runs: 1, out: None, run_timeout: Duration::from_secs(30), exe, preemptions: None, budget: None, progress: false, progress_json: false, bad: None, reduce: false, first: false, workers: 1 };
    let f = run_once(&opts, opts.spec.seed, policy, None)?;
    let bad = judge(&f);
    let why = match &bad {
        Some((kind, _)) => explain(&opts, &f, &[], kind)?,
        None => conflicts::Conflicts::default(),
    };
    Ok((f, bad, why))
}

/// How many runs `explore --all` makes at once: `FORKSCOPE_WORKERS` (1: one
/// at a time), else the machine's cores, at most 4. With two or more, one
/// run of the search is made ahead beside the current one (see [`Beside`]).
pub fn workers() -> usize {
    match std::env::var("FORKSCOPE_WORKERS").ok().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()).min(4),
    }
}

/// A run of the search made beside the current one, on a thread of its
/// own, by a copy of the search readied for the run it guesses comes next
/// ([`dpor::Search::ahead_copy`]). The search takes it when its turn comes
/// only if it would have made every choice of it the same
/// ([`dpor::Search::retrace`]): the search goes exactly as one run at a time.
struct Beside {
    /// Its grants before it chose afresh.
    prefix: Vec<Lane>,
    made: std::sync::mpsc::Receiver<anyhow::Result<Made>>,
}

/// A run made beside: the run, its choices, the records after its last one.
struct Made {
    f: headless::Finished,
    tape: Vec<dpor::Taped>,
    last: Vec<Record>,
}

/// The threads of the runs made beside: each ends its run (its undertaker
/// waits for it) before its thread ends; all are waited for when this goes,
/// so nothing of a run outlives the search.
#[derive(Default)]
struct Besides(Vec<std::thread::JoinHandle<()>>);

impl Besides {
    /// Starts a run of `copy`'s (see [`Beside`]).
    fn start(&mut self, opts: &ExploreOptions, copy: dpor::Search) -> Option<Beside> {
        let prefix = copy.prefix();
        let (tx, made) = std::sync::mpsc::channel();
        let ro = run_options(opts, opts.spec.seed);
        let opts = opts.clone();
        let h = std::thread::Builder::new()
            .name("explore beside".into())
            .spawn(move || {
                use std::cell::RefCell;
                use std::rc::Rc;
                let search = Rc::new(RefCell::new(copy));
                let undertaker = Rc::new(crate::conductor::Undertaker::new());
                let made = (|| {
                    let (policy, tap, tape) = dpor::Search::taped_policy(&search);
                    let run = crate::conductor::Run::start(ro)?;
                    let cut = search.clone();
                    let bury = headless::Bury { when: Box::new(move || cut.borrow().cut_short()), to: undertaker.clone() };
                    let f = headless::run_started(run, headless_options(&opts, policy, Some(tap), Some(bury)), &mut std::io::sink())?;
                    let last = search.borrow_mut().unread();
                    let tape = std::mem::take(&mut *tape.borrow_mut());
                    Ok(Made { f, tape, last })
                })();
                let _ = tx.send(made);
            })
            .ok()?;
        self.0.push(h);
        Some(Beside { prefix, made })
    }
}

impl Drop for Besides {
    fn drop(&mut self) {
        for h in self.0.drain(..) {
            let _ = h.join();
        }
    }
}

/// `explore --all`: every inequivalent interleaving (see [`dpor`]), within
/// the bounds; progress on `out` when asked. After the first bad
/// interleaving it goes on (to the end, or for as many runs again as the
/// first took and at least [`MORE_AFTER_FOUND`], within the budget) and
/// keeps the bad one of fewest steps, which it then minimises.
///
/// With `first` (`--first`: a verdict soon, the dashboard's `x`) it stops at
/// the first bad run instead, and makes some runs by sampled schedules
/// ([`FIRST_SAMPLED`] after the search's first run, then one in
/// [`SAMPLE_EVERY`], while the search goes on): a
/// bad run is a counterexample however it was found, and one the search
/// would reach only late (the ticket race's ten buyers: the search reverses
/// the last buyers' races first, after the tickets are gone) a random
/// schedule meets at once. They leave the search as it was: "verified"
/// still means the search ran to its end.
pub fn explore_all(opts: &ExploreOptions, out: &mut dyn Write) -> anyhow::Result<AllExplored> {
    let lesson = &opts.spec.lesson;
    // Every run has the same seed: a Python run's main process is forked
    // from one ready interpreter (see `python::launch`), which ends here
    // (unless this process had one on before: then it stays).
    let _zygote = crate::python::launch::ZygoteTurn::start();
    // One guard for every run of the search (see `conductor::guard::Shared`).
    let _guard = crate::conductor::guard::Shared::current(&opts.exe);
    use std::cell::RefCell;
    use std::rc::Rc;
    let t0 = Instant::now();
    let search = Rc::new(RefCell::new(dpor::Search::new(opts.preemptions, opts.reduce)));
    // A run the search cut short is not judged (below): it is ended while
    // the next one starts. Declared after the zygote's turn, so dropped
    // before it: every run has ended when the search returns, however.
    let undertaker = Rc::new(crate::conductor::Undertaker::new());
    // The next run starts while the conductor steps this one (dropped
    // before the undertaker: a run started ahead and not used is ended).
    let mut ahead = crate::conductor::Ahead::new();
    // A run made beside the current one (dropped first: its runs end before the rest).
    let mut besides = Besides::default();
    let mut beside: Option<Beside> = None;
    let mut kept: Vec<(Vec<Lane>, Made)> = Vec::new();
    let mut beside_taken = 0u32;
    let two = opts.workers >= 2;
    let (mut runs, mut interleavings) = (0u32, 0u32);
    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    let mut cut_by_runs = false;
    let mut failed = None;
    let mut shown = Instant::now();
    // The bad interleaving of fewest steps so far: (run, the run, kind, message).
    let mut shortest: Option<(u32, headless::Finished, String, String)> = None;
    let (mut bad, mut look_until, mut exhausted) = (0u32, u32::MAX, false);
    let mut goods = Vec::new();
    let mut sampled = 0u32;
    // Sampled runs cut at their cap, and the steps of the longest search run.
    let (mut sampled_cut, mut longest) = (0u32, 0u64);
    let mut found_by = "all".to_string();
    loop {
        if crate::sys::stop_requested().is_some() {
            anyhow::bail!("stopped");
        }
        if opts.budget.is_some_and(|b| runs >= b) {
            cut_by_runs = true;
            break;
        }
        if runs >= look_until {
            break;
        }
        // After the search's first run: a search over in one run (a lesson
        // with one interleaving, a long one) costs no sampled run.
        if opts.first && runs > 0 && (sampled < FIRST_SAMPLED || runs % SAMPLE_EVERY == SAMPLE_EVERY - 1) {
            // The lesson's seed stays (the zygote is for one seed): only the schedule's changes.
            let (policy, pname) = policy_for(sampled, opts.spec.seed.wrapping_add(sampled as u64));
            sampled += 1;
            let (policy, cut) = capped(policy, longest.saturating_mul(SAMPLED_STEPS_TIMES).max(SAMPLED_STEPS_MIN));
            let was_cut = cut.clone();
            let bury = headless::Bury { when: Box::new(move || was_cut.get()), to: undertaker.clone() };
            let f = run_ahead(opts, &mut ahead, opts.spec.seed, Some(opts.spec.seed), policy, None, Some(bury))?;
            if crate::sys::stop_requested().is_some() {
                progress_done(out, opts);
                anyhow::bail!("stopped after {runs} runs: not verified");
            }
            runs += 1;
            // Cut at its cap: a guess that went nowhere, dropped unjudged.
            if cut.get() {
                sampled_cut += 1;
                continue;
            }
            if let Some((kind, message)) = judge_for(&f, opts.bad.as_deref()) {
                bad += 1;
                shortest = Some((runs, f, kind, message));
                found_by = pname;
                break;
            }
            if opts.bad.is_some() && judge(&f).is_some() {
                continue;
            }
            if let Some(x) = failed_run(lesson, &f, runs, opts.spec.seed, &pname) {
                failed = Some(x);
                break;
            }
            keep_good(&mut goods, f);
            continue;
        }
        let phase = crate::sys::phases::start("explore: a search run (all)");
        // Runs made beside (see [`Beside`]): one being made, those made
        // waiting for their turn (while still to be made); this one, if
        // made and the search would have made it so.
        let prefix = search.borrow().prefix();
        if let Some(b) = beside.take() {
            let m = if b.prefix == prefix { b.made.recv().ok() } else { b.made.try_recv().ok() };
            match m {
                Some(Ok(m)) => kept.push((b.prefix, m)),
                Some(Err(_)) => {}
                None => beside = Some(b),
            }
        }
        kept.retain(|(p, _)| *p == prefix || search.borrow().still_to_make(p));
        if two && beside.is_none() {
            let s = search.borrow();
            let made = |p: &[Lane]| kept.iter().any(|(k, _)| k == p);
            beside = s.ahead_copy(&made).and_then(|copy| besides.start(opts, copy));
        }
        let mut made = None;
        if let Some(at) = kept.iter().position(|(p, _)| *p == prefix) {
            let (_, m) = kept.swap_remove(at);
            let retrace = crate::sys::phases::start("explore: retrace a run made beside");
            let how = dpor::Search::retrace(&search, &m.tape, m.last);
            retrace.end();
            match how {
                dpor::Retraced::Same => made = Some(m.f),
                // Cut short, its end unread: unless it ran out of time after the cut.
                dpor::Retraced::Sooner if m.f.summary.outcome != Outcome::Timeout => made = Some(m.f),
                _ => {}
            }
            crate::sys::phases::start(if made.is_some() { "explore: run made beside taken" } else { "explore: run made beside differs" }).end();
        }
        let f = match made {
            Some(f) => {
                beside_taken += 1;
                f
            }
            None => {
                let (policy, tap) = dpor::Search::policy(&search);
                let cut = search.clone();
                let bury = headless::Bury { when: Box::new(move || cut.borrow().cut_short()), to: undertaker.clone() };
                run_ahead(opts, &mut ahead, opts.spec.seed, Some(opts.spec.seed), policy, Some(tap), Some(bury))?
            }
        };
        phase.end();
        let _between = crate::sys::phases::start("explore: between search runs");
        // A stop (Ctrl-C, SIGTERM) cut that run short: what it reached says
        // nothing, and the search is not over — never "verified".
        if crate::sys::stop_requested().is_some() {
            progress_done(out, opts);
            anyhow::bail!("stopped after {runs} runs: not verified");
        }
        runs += 1;
        longest = longest.max(f.summary.steps);
        let (end, more) = search.borrow_mut().finish();
        if end == dpor::RunEnd::Diverged {
            anyhow::bail!("the lesson did not repeat the way it went with the same schedule (does it read the clock or something outside the run?): explore --all needs runs that repeat");
        }
        // A run cut short by the search itself (a wait begun too early, …)
        // ends stopped by design; one that ran to its end, or out of time, is judged.
        if judge(&f).is_none()
            && (end == dpor::RunEnd::Complete || f.summary.outcome == Outcome::Timeout)
            && let Some(f) = failed_run(lesson, &f, runs, opts.spec.seed, "all")
        {
            failed = Some(f);
            break;
        }
        if end == dpor::RunEnd::Complete {
            interleavings += 1;
            let reported = serde_json::to_string(&f.summary.reported).unwrap_or_default();
            *outcomes.entry(reported).or_default() += 1;
            if let Some((kind, message)) = judge_for(&f, opts.bad.as_deref()) {
                bad += 1;
                if bad == 1 {
                    look_until = if opts.first { runs } else { runs.saturating_add(runs.max(MORE_AFTER_FOUND)) };
                }
                if shortest.as_ref().is_none_or(|(_, s, _, _)| f.summary.steps < s.summary.steps) {
                    shortest = Some((runs, f, kind, message));
                }
            } else {
                keep_good(&mut goods, f);
            }
        }
        if (opts.progress || opts.progress_json) && shown.elapsed() >= Duration::from_millis(200) {
            shown = Instant::now();
            let rate = runs as f64 / t0.elapsed().as_secs_f64().max(1e-3);
            let open = search.borrow().open();
            if opts.progress_json {
                let _ = writeln!(out, "{}", serde_json::json!({"type": "progress", "runs": runs, "runs_per_s": (rate * 10.0).round() / 10.0, "interleavings": interleavings, "open": open, "bad": bad}));
            } else {
                let found = if bad > 0 { format!(", {bad} bad (looking for a shorter one)") } else { String::new() };
                // What is left is known only as the choices found so far (each
                // a run or more, and those runs find more): no total.
                let _ = write!(out, "\r\x1b[Kexplore --all: {runs} runs, {rate:.1} runs/s, {interleavings} interleavings{found}; {open} choices known left, how many runs in all unknown");
            }
            let _ = out.flush();
        }
        if !more {
            exhausted = true;
            break;
        }
    }
    progress_done(out, opts);
    ahead.cancel(Some(&undertaker));
    undertaker.wait();
    let cut_by_preemptions = search.borrow().cut;
    let (found, minimise_runs) = match shortest {
        Some((run, f, kind, message)) => {
            let (failure, mruns) = save_minimised(lesson, opts, Bad { f, kind, message, run, seed: opts.spec.seed, policy: found_by }, &goods)?;
            (Some(failure), mruns)
        }
        None => (None, 0),
    };
    Ok(AllExplored {
        outcomes,
        runs,
        interleavings,
        elapsed: t0.elapsed(),
        cut_by_preemptions,
        // With a counterexample the bounds say only how far the look for a shorter one went.
        cut_by_runs: cut_by_runs && found.is_none(),
        found,
        minimise_runs,
        bad_interleavings: bad,
        searched_all: exhausted && !cut_by_preemptions,
        failed,
        seen_states: search.borrow().pruned,
        cycles: search.borrow().cycles,
        sampled,
        sampled_cut,
        beside: beside_taken,
    })
}

fn progress_done(out: &mut dyn Write, opts: &ExploreOptions) {
    if opts.progress {
        let _ = write!(out, "\r\x1b[K");
        let _ = out.flush();
    }
}
