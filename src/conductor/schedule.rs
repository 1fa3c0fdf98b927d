//! Who gets the next step when a run is stepped automatically (headless
//! `--schedule`, `explore`, replays), and the loop that drives a run to its end.
//!
//! A step goes to a *ready* process (parked at the gate, or sleeping: its sleep
//! completes at that step). Only when none is ready does time advance: the
//! process whose timed wait ends first is stepped, and its wait times out —
//! virtual time, so no outcome depends on the wall clock.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Action, GateError, Run};
use crate::model::summary::EndReason;
use crate::model::{Model, Record};
use crate::shm::layout::ProcState;
use crate::vocab::Lane;

/// Chooses the next action from what the run shows now; `None` ends the run.
pub type Chooser = Box<dyn FnMut(&Run) -> Option<Action>>;

/// A stepping policy as the command line names it (`--schedule`): what a
/// run spec keeps; [`Schedule::policy`] makes the policy that steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// `rr`: round robin.
    RoundRobin,
    /// `random`: a ready process at random, seeded by the run's seed.
    Random,
    /// `pct`: seeded random priorities (depth 3).
    Pct,
    /// `2,3,1`: these lanes first (1 = main), then round robin.
    First(Vec<Lane>),
}

impl std::str::FromStr for Schedule {
    type Err = String;

    fn from_str(spec: &str) -> Result<Schedule, String> {
        match spec.trim() {
            "rr" | "round-robin" => Ok(Schedule::RoundRobin),
            "random" => Ok(Schedule::Random),
            "pct" => Ok(Schedule::Pct),
            list => list
                .split(',')
                .map(|s| s.trim().parse::<u32>().map(Lane).map_err(|_| "expected rr, random, pct, or a comma list of process lanes (1 = main)".to_string()))
                .collect::<Result<Vec<Lane>, String>>()
                .map(Schedule::First),
        }
    }
}

impl Schedule {
    /// The policy that steps a run of seed `seed` so.
    pub fn policy(&self, seed: u64) -> Policy {
        match self {
            Schedule::RoundRobin => Policy::RoundRobin,
            Schedule::Random => Policy::Random(ChaCha8Rng::seed_from_u64(seed)),
            Schedule::Pct => Policy::Pct(Pct::new(seed, 3, 200)),
            Schedule::First(lanes) => Policy::List(lanes.iter().copied().collect(), Box::new(Policy::RoundRobin)),
        }
    }
}

/// A stepping policy.
pub enum Policy {
    /// The next ready process after the last one stepped.
    RoundRobin,
    /// A ready process chosen at random (seeded).
    Random(ChaCha8Rng),
    /// These lanes first (in order, skipping ones that cannot step), then the rest policy.
    List(VecDeque<Lane>, Box<Policy>),
    /// Exactly these actions, then stop (a replay).
    Replay(VecDeque<Action>),
    /// PCT (probabilistic concurrency testing, as in CHESS/shuttle): every
    /// process gets a random priority; the highest ready one runs; at `depth - 1`
    /// random steps the running process drops to the lowest priority so far.
    Pct(Pct),
    /// Whatever this function says (`explore --all` decides each step from
    /// the records of the steps before it).
    Call(Chooser),
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Policy::RoundRobin => f.write_str("RoundRobin"),
            Policy::Random(_) => f.write_str("Random"),
            Policy::List(l, rest) => f.debug_tuple("List").field(l).field(rest).finish(),
            Policy::Replay(a) => f.debug_tuple("Replay").field(&a.len()).finish(),
            Policy::Pct(p) => p.fmt(f),
            Policy::Call(_) => f.write_str("Call"),
        }
    }
}

/// State of a [`Policy::Pct`].
#[derive(Debug)]
pub struct Pct {
    rng: ChaCha8Rng,
    priority: BTreeMap<Lane, u64>,
    change_at: Vec<u64>,
    next_low: u64,
    step: u64,
}

impl Pct {
    /// `depth`: bug depth to aim for (change points = depth - 1); `steps`:
    /// about how many steps a run takes.
    pub fn new(seed: u64, depth: u32, steps: u64) -> Pct {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let change_at = (1..depth.max(1)).map(|_| rng.random_range(1..=steps.max(2))).collect();
        Pct { rng, priority: BTreeMap::new(), change_at, next_low: depth as u64, step: 0 }
    }

    fn pick(&mut self, run: &Run) -> Option<Lane> {
        let ready = run.ready_lanes();
        if ready.is_empty() {
            return earliest_timeout(run);
        }
        for &l in &ready {
            if !self.priority.contains_key(&l) {
                let p = self.rng.random_range(1_000..1_000_000_000);
                self.priority.insert(l, p);
            }
        }
        let chosen = *ready.iter().max_by_key(|l| (self.priority[l], std::cmp::Reverse(**l)))?;
        self.step += 1;
        if self.change_at.contains(&self.step) {
            self.priority.insert(chosen, self.next_low);
            self.next_low = self.next_low.saturating_sub(1);
        }
        Some(chosen)
    }
}

impl Policy {
    /// What to do next, or `None` if nothing can step (or a replay is over).
    pub fn pick(&mut self, run: &Run) -> Option<Action> {
        let step = |lane: Lane| Action::Step { lane, granularity: if run.statements() { 1 } else { 0 } };
        match self {
            Policy::RoundRobin => run.next_ready().or_else(|| earliest_timeout(run)).map(step),
            Policy::Random(rng) => {
                let ready = run.ready_lanes();
                if ready.is_empty() { earliest_timeout(run) } else { Some(ready[rng.random_range(0..ready.len())]) }.map(step)
            }
            Policy::List(lanes, rest) => {
                while let Some(l) = lanes.pop_front() {
                    if run.steppable(l).is_ok() {
                        return Some(step(l));
                    }
                }
                rest.pick(run)
            }
            Policy::Replay(actions) => actions.pop_front(),
            Policy::Pct(p) => p.pick(run).map(step),
            Policy::Call(choose) => choose(run),
        }
    }
}

/// What "step the next ready one" steps: the next ready process after the
/// last one stepped or, with none ready, the one whose timed wait ends first.
pub fn next_steppable(run: &Run) -> Option<Lane> {
    run.next_ready().or_else(|| earliest_timeout(run))
}

/// The blocked process whose timed wait would end first.
fn earliest_timeout(run: &Run) -> Option<Lane> {
    run.lanes()
        .into_iter()
        .filter(|i| !i.ended && !i.frozen && i.state == Some(ProcState::Blocked) && i.deadline_ns != 0)
        .min_by_key(|i| (i.deadline_ns, i.lane))
        .map(|i| i.lane)
}

/// How often a free run's loop looks at the lanes (records to show, a
/// deadlock, input awaited): the end of the last process the reaper
/// watches wakes it at once (`Run::wait_for_an_end`), so the run's own end
/// is seen without delay. (It looked every 0.5 ms: 2,000 wake-ups a
/// second, 0.18 ms of the conductor's CPU a start of a Python process.)
const FREE_LOOK: Duration = Duration::from_millis(2);

/// How long one step may take before the runner gives up on it.
pub const STEP_LIMIT: Duration = Duration::from_secs(20);

/// Some process is in `input()` as far as the records say: only then is it
/// worth reading the lanes for one to feed (the loop runs 2,000 times a second).
fn waits_for_input(model: &Model) -> bool {
    model.live().any(|p| p.wait.as_ref().is_some_and(|w| w.op == crate::shm::record::Op::Input))
}

/// Why a stepped run ends with nothing to step: each live process as its
/// lane shows it, and what the records say of those they do not show as
/// blocked (when the lanes and the records disagree, this says where).
fn nothing_to_step(run: &Run, model: &Model) -> String {
    let said: Vec<String> = model.live().filter(|p| p.state != crate::model::PState::Blocked).map(|p| format!("{} {:?}", p.name, p.state)).collect();
    let said = if said.is_empty() { String::new() } else { format!(" (the records say: {})", said.join(", ")) };
    format!("no process can be stepped (all are blocked or frozen): {}{said}", run.stuck())
}

/// Drives `run` until every process ended, a deadlock, the time limit, or a
/// stop signal; every record goes to `model` and then to `on_record`.
/// With a policy the run must have started paused; it is stepped one process
/// at a time. Without one it runs freely. Then ends the run ([`end_run`]).
pub fn drive(run: &mut Run, model: &mut Model, policy: Option<Policy>, timeout: Option<Duration>, on_record: &mut dyn FnMut(&Record, &Model)) -> EndReason {
    let reason = drive_steps(run, model, policy, timeout, on_record);
    end_run(run, model, on_record);
    reason
}

/// Ends `run` (every process killed, the reaper's last word, the ends no
/// record brought), its last records into `model` and `on_record`.
pub fn end_run(run: &mut Run, model: &mut Model, on_record: &mut dyn FnMut(&Record, &Model)) {
    let _phase = crate::sys::phases::start("end: shutdown (all)");
    let mut recs = Vec::new();
    run.shutdown_into(&mut recs);
    feed(&mut recs, model, on_record);
    let unseen: Vec<Lane> = model.live().map(|p| p.lane).collect();
    recs.extend(run.unrecorded_ends(&unseen));
    feed(&mut recs, model, on_record);
}

/// Applies `recs` to `model` and hands each to `on_record`, emptying `recs`.
fn feed(recs: &mut Vec<Record>, model: &mut Model, on_record: &mut dyn FnMut(&Record, &Model)) {
    for r in recs.drain(..) {
        model.apply(&r);
        on_record(&r, model);
    }
}

/// [`drive`] without the end: the run is still on when it returns (its
/// caller ends it, or buries it: see [`super::Undertaker`]).
pub fn drive_steps(run: &mut Run, model: &mut Model, mut policy: Option<Policy>, timeout: Option<Duration>, on_record: &mut dyn FnMut(&Record, &Model)) -> EndReason {
    let t0 = Instant::now();
    let mut recs = Vec::new();
    let mut deadlock_since: Option<(Instant, u64)> = None;
    // A stepped run found nothing to step once and is looking again.
    let mut looked_again = false;
    // The time limit is kept by a thread of its own, which at the deadline
    // freezes the run's group (SIGSTOP): a loop below starved of the CPU
    // by a thousand busy processes (a `Process` bomb) still ends the run on
    // time, as it gets the CPU back at once.
    let (limit_done, limit_wait) = std::sync::mpsc::channel::<()>();
    let group = run.group();
    let limit = timeout.filter(|_| group > 1).map(|t| {
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = limit_wait.recv_timeout(t) {
                crate::sys::kill_group(group, libc::SIGSTOP);
            }
        })
    });
    let reason = loop {
        if let Some(sig) = crate::sys::stop_requested() {
            break EndReason::Stopped(format!("stopped by {}", crate::sys::signal_name(sig)));
        }
        if timeout.is_some_and(|t| t0.elapsed() >= t) {
            break EndReason::Timeout;
        }
        match policy.as_mut() {
            Some(p) => {
                let settled = run.settle(&mut recs, STEP_LIMIT.min(timeout.map_or(STEP_LIMIT, |t| t.saturating_sub(t0.elapsed()))));
                feed(&mut recs, model, on_record);
                if run.all_ended() {
                    break EndReason::AllEnded;
                }
                if !settled {
                    if let Some(sig) = crate::sys::stop_requested() {
                        break EndReason::Stopped(format!("stopped by {}", crate::sys::signal_name(sig)));
                    }
                    if timeout.is_some_and(|t| t0.elapsed() >= t) {
                        break EndReason::Timeout;
                    }
                    break EndReason::Stopped("a step did not finish in time (a process runs without reaching an op)".into());
                }
                if let Some(d) = model.deadlock() {
                    break EndReason::Deadlock(d);
                }
                // A process waiting in input() gets its line between steps
                // (then the run settles again before the next step).
                if waits_for_input(model) && (run.feed_input() || run.input_awaited()) {
                    continue;
                }
                let replaying = matches!(p, Policy::Replay(_));
                let pick = crate::sys::phases::start("step: pick");
                let picked = p.pick(run);
                pick.end();
                // (A chooser's `None` is its own decision: it is not asked twice.)
                if picked.is_none() && !replaying && !matches!(p, Policy::Call(_)) && !looked_again {
                    // Nothing can step, though no deadlock is in the records:
                    // look once more after a moment before ending the run (as
                    // a free run confirms a deadlock), in case a process's
                    // lane had not caught up with what its records say.
                    looked_again = true;
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                looked_again = false;
                let Some(action) = picked else {
                    let why = if replaying { "the recorded schedule is over".to_string() } else { nothing_to_step(run, model) };
                    break EndReason::Stopped(why);
                };
                match action {
                    Action::Step { lane, granularity } => {
                        if run.statements() != (granularity == 1) {
                            run.set_statements(granularity == 1);
                        }
                        match run.grant(Some(lane)) {
                            Ok(_) => {}
                            Err(GateError::NotSteppable(who, why)) if replaying => {
                                break EndReason::Stopped(format!("the replay went another way: {who} cannot be stepped ({why})"));
                            }
                            Err(GateError::NotSteppable(..)) => {}
                            Err(e) => break EndReason::Stopped(e.to_string()),
                        }
                    }
                    Action::Signal { lane, signal } => {
                        run.signal(lane, signal);
                    }
                }
            }
            None => {
                let ends = run.ends_seen();
                if waits_for_input(model) {
                    run.feed_input();
                }
                run.drain(&mut recs, false);
                feed(&mut recs, model, on_record);
                if run.all_ended() {
                    run.drain(&mut recs, true);
                    feed(&mut recs, model, on_record);
                    break EndReason::AllEnded;
                }
                // A deadlock must hold in the model *and* in the live lanes
                // (all blocked, no wake-up pending) with no record for a while.
                match model.deadlock() {
                    Some(d) if run.quiescent() => {
                        let (since, records) = *deadlock_since.get_or_insert((Instant::now(), model.records));
                        if records != model.records {
                            deadlock_since = None;
                        } else if since.elapsed() > Duration::from_millis(30) {
                            run.drain(&mut recs, true);
                            feed(&mut recs, model, on_record);
                            if let Some(d2) = model.deadlock() {
                                break EndReason::Deadlock(d2);
                            }
                            let _ = d;
                            deadlock_since = None;
                        }
                    }
                    _ => deadlock_since = None,
                }
                run.wait_for_an_end(ends, FREE_LOOK);
            }
        }
    };
    drop(limit_done);
    if let Some(h) = limit {
        let _ = h.join();
    }
    reason
}
