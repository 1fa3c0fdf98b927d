//! `explore --all`: every inequivalent interleaving of a lesson, each run
//! once, by dynamic partial-order reduction with sleep sets.
//!
//! The search is stateless, as in Flanagan & Godefroid (POPL 2005): it keeps
//! the current run as a stack of *nodes* (the state before each step: which
//! processes could step, which were chosen there before, which must still be
//! tried) and re-runs the lesson from its start for every new interleaving,
//! granting the steps of a prefix and then choosing afresh. Real processes,
//! real primitives: a run is a real run of the lesson, stepped.
//!
//! After each run it finds the *races*: two steps of different processes that
//! are dependent ([`super::footprint`]) and not ordered by happens-before
//! (program order, a `start`, or a chain of dependent steps; vector clocks).
//! For a race (j, e) it adds to the node before j a process that can begin
//! the reversed order — the *initials* of the steps between j and e that lead
//! to e (source sets, Abdulla et al. POPL 2014) — unless one of them is
//! already tried or to be tried there. Sleep sets (Godefroid) keep a process
//! that was tried at a node asleep in the runs below its siblings for as long
//! as nothing dependent on its step happens: a run that could only go on by
//! waking one ends early (counted as a run, not as an interleaving).
//!
//! **Waits.** A process about to wait (a held lock, an empty queue, a live
//! child to join) is *disabled* in the classic model, and a wait that begins
//! too early is only a longer way to the same interleaving: the lock is
//! handed to the first waiter at its release, exactly as if the waiter had
//! taken it then. The gate does not say what a parked process will do next,
//! so explore learns it: when a step ends in a wait with no timeout while
//! another process could have stepped, that run is dropped, the process is
//! marked as waiting at that node, and the run is made again with another
//! choice (these runs count as runs). A wait is taken only when every process
//! that can step would wait (a barrier, a condition, a deadlock). Races whose
//! reversal would start with a waiting process are not reversible (the two
//! steps were never both possible) and are skipped.
//!
//! **Bounds.** `--preemptions K` (CHESS's context bounding) refuses a step to
//! another process while the one stepped last could go on, beyond K times in
//! a run; `--runs N` ends the search after N runs. When either cut something,
//! the result is "no bad schedule within K preemptions / N runs", never
//! "verified" (and with a preemption bound the reduction itself may skip
//! interleavings within the bound: it is a bounded search, as in CHESS).
//!
//! **Reductions** (on unless `--no-reduce`; off under a preemption bound).
//! Before each new step the search keys the state the run is in
//! ([`super::state`]: every process's history and the shared state, with
//! interchangeable processes renamed in a fixed order — symmetry). A state
//! whose subtree was searched to its end before, with a sleep set no larger
//! than now, is not searched again: the run ends there (counted as a run,
//! not an interleaving). What the search would have learnt below it — the
//! races of the prefix with the steps that follow that state — comes from a
//! *summary* kept per state: every (process, object, access) of the steps
//! run below it. For each step of the prefix that one of them depends on,
//! the other process is added to be tried there (every process that could
//! step there when that one could not yet): more than the races need, never
//! less. So every state the full search reaches is reached, up to renaming,
//! and every outcome the lesson can end in is judged. A run that comes back
//! to a *position* of its own ([`Tracker::position`]: where each process
//! stands, not how it got there), every step since having ended at a gate,
//! is in a cycle (a program that loops forever): it ends there too, as
//! below that state is what is below its first visit, searched from there;
//! every state of the cycle is then fully expanded (the cycle proviso: a
//! process able to step on the cycle that no step of it races with would
//! otherwise never be tried). A state whose subtree read a clock
//! ([`super::footprint::Obj::Clock`]) ends a later run only if that one's
//! sleeps' lengths are the same too ([`Keyed::exact`]).
//!
//! *Twins* (interchangeable processes in the same state, see
//! [`super::state`]) lead to the same states up to names: a race whose
//! reversal would begin with a twin of a process chosen, tried or to be
//! tried there adds nothing ([`Node::covered`]), nor one whose reversal is
//! a process's own steps that touch nothing shared and then its step, when
//! before that step it was where the other racing process was at the race
//! (a twin of it, once those steps are taken); a state's summary holds
//! every access below it for its process's twins too.
//!
//! The first run that goes wrong (the same judgement as random exploration:
//! a failed assert, a deadlock, a `[[bad]]` condition) ends the search; it is
//! then minimised ([`super::minimise`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::mpsc;

use super::footprint::{AccessKind, Footprint, Obj, World};
use super::state::{Keyed, Tracker};
use crate::conductor::Action;
use crate::conductor::schedule::Policy;
use crate::model::{Record, RecordKind};
use crate::vocab::Lane;

/// The state before one step of the current run.
#[derive(Debug, Default, Clone)]
struct Node {
    /// Processes that could take a step here (sorted).
    enabled: Vec<Lane>,
    /// Processes known to begin a wait with no timeout if stepped here, with
    /// the step that began it (what it waits on).
    waits: BTreeMap<Lane, Footprint>,
    /// Processes to try here.
    backtrack: BTreeSet<Lane>,
    /// Processes tried here already, with their step.
    done: Vec<(Lane, Footprint)>,
    /// Processes asleep here, with the step they would take.
    sleep: Vec<(Lane, Footprint)>,
    /// The process stepped here in the current run.
    chosen: Lane,
    /// Its step, once it ran.
    foot: Option<Footprint>,
    /// Preemptions in the current run before this step.
    preemptions: u32,
    /// Processes guessed to wait if stepped here (see [`Search::seen`]).
    guessed: BTreeSet<Lane>,
    /// The state here, when known and the reductions are on.
    key: Option<Keyed>,
    /// What would make the process chosen here a twin, here
    /// ([`Tracker::twin_shape`]; the reductions on).
    shape: Option<u64>,
    /// The state here as a position (see [`Tracker::position`]), to find a cycle.
    pos: Option<u64>,
    /// The step here ended at a gate of its process, which sent its
    /// variables there (not in an exit, a block, a wait: a change the
    /// position may not show yet).
    gated: bool,
}

impl Node {
    fn allowed(&self) -> Vec<Lane> {
        let free: Vec<Lane> = self.enabled.iter().copied().filter(|l| !self.waits.contains_key(l)).collect();
        if free.is_empty() { self.enabled.clone() } else { free }
    }
    fn is_done(&self, lane: Lane) -> bool {
        self.done.iter().any(|(l, _)| *l == lane)
    }
    fn asleep(&self, lane: Lane) -> bool {
        self.sleep.iter().any(|(l, _)| *l == lane)
    }
    /// `lane` is not to be tried here now: tried already, asleep, or it
    /// would begin a wait while another process can step.
    fn passed_over(&self, lane: Lane) -> bool {
        self.is_done(lane) || self.asleep(lane) || (self.waits.contains_key(&lane) && self.allowed().len() != self.enabled.len())
    }
    /// `lane`, or a twin of it here (the reductions: see
    /// [`Keyed::twins`]), is chosen, tried or to be tried here: a step of
    /// `lane` here leads where one of those leads, up to names.
    fn covered(&self, lane: Lane) -> bool {
        let twin = |l: Lane| l == lane || self.key.as_ref().is_some_and(|k| k.twins(l, lane));
        twin(self.chosen) || self.backtrack.iter().any(|l| twin(*l)) || self.done.iter().any(|(l, _)| twin(*l))
    }
}

/// How a run of the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// It ran to its end: one more interleaving.
    Complete,
    /// A process began a wait while another could step: made again.
    Waited,
    /// Every process that could step was asleep: the rest is equivalent to a run made before.
    Asleep,
    /// The preemption bound allowed no step.
    Bounded,
    /// The prefix did not repeat the way it went before.
    Diverged,
    /// It reached a state searched before (the reductions): the rest is known.
    Seen,
}

/// A state met in the search (by its key, see [`super::state`]).
#[derive(Debug, Default, Clone)]
struct Visit {
    /// The sleep sets (as the key names lanes) of the visits whose subtree
    /// was searched to its end, each with its exact key (sleeps' lengths
    /// in: what a later visit must equal when a clock is read below).
    done: Vec<(u64, Vec<Lane>)>,
    /// Every step run below it: process, object, access, the locks the
    /// process held then (as the key names lanes).
    below: BTreeSet<Below>,
}

/// One access of a step run below a state: process, object, access, and
/// the locks the process held then.
type Below = (Lane, Obj, AccessKind, Vec<crate::vocab::ResId>);

fn rename_obj(o: &Obj, f: impl Fn(Lane) -> Lane) -> Obj {
    match o {
        Obj::Proc(l) => Obj::Proc(f(*l)),
        o => o.clone(),
    }
}

/// Adds one access run below the state `k` to its summary, as the key
/// names lanes; and the same access with a twin of its process (or of the
/// process it touches) in its place: the steps below a twin left untried
/// are those below the one tried, names swapped.
fn add_below(v: &mut Visit, k: &Keyed, (l, o, a, h): &Below) {
    let touched = match o {
        Obj::Proc(x) => Some(*x),
        _ => None,
    };
    for y in std::iter::once(*l).chain(touched) {
        for t in std::iter::once(y).chain(k.twins_of(y)) {
            let swap = |x: Lane| if x == y { t } else if x == t { y } else { x };
            v.below.insert((k.to_canon(swap(*l)), rename_obj(o, |x| k.to_canon(swap(x))), *a, h.clone()));
        }
    }
}

/// The search's state, shared with the chooser that steps a run.
#[derive(Debug)]
pub struct Search {
    nodes: Vec<Node>,
    /// Nodes whose choice is fixed for the next run (a prefix to repeat).
    replay: usize,
    /// Grants given in the current run.
    pos: usize,
    end: Option<RunEnd>,
    rx: Option<mpsc::Receiver<Record>>,
    /// Records of the run before its first grant.
    before: Vec<Record>,
    /// The world as the current run's steps left it, and each process's
    /// steps so far in it.
    world: World,
    taken: BTreeMap<Lane, usize>,
    /// The n-th step of a process, as seen in some run: a guess at what it
    /// does next, so that the first choice at a new node avoids a process
    /// that would only begin a wait (a guess: it orders choices, nothing more).
    seen: BTreeMap<(Lane, usize), Footprint>,
    /// Processes whose last step ended in a wait (stepped again, they complete it).
    woken: BTreeSet<Lane>,
    /// `--preemptions`.
    pub bound: Option<u32>,
    /// A bound refused something the search wanted to try.
    pub cut: bool,
    /// The reductions (seen states, symmetry) are on.
    reduce: bool,
    /// The current run's state (see [`super::state`]).
    tracker: Tracker,
    visits: std::collections::HashMap<u64, Visit>,
    /// Where the current run began to choose afresh (steps before it are a replay).
    fresh_from: usize,
    /// Runs ended at a state searched before (or met before in the same run).
    pub pruned: u32,
    /// Of those, runs ended where they came back to a state of their own (a cycle).
    pub cycles: u32,
    /// Runs begun (for the dump of states, `FORKSCOPE_KEYS`).
    runs_begun: u64,
}

/// Whether stepping `lane` at `node` after `prev` is a preemption.
fn preempts(node: &Node, prev: Option<Lane>, lane: Lane) -> bool {
    prev.is_some_and(|p| p != lane && node.enabled.contains(&p))
}

impl Search {
    /// A search; `reduce`: with the seen-state and symmetry reductions
    /// (never under a preemption bound: a state's subtree searched within
    /// the bound from one prefix is not the subtree from another).
    pub fn new(bound: Option<u32>, reduce: bool) -> Search {
        Search {
            nodes: Vec::new(),
            replay: 0,
            pos: 0,
            end: None,
            rx: None,
            before: Vec::new(),
            world: World::default(),
            taken: BTreeMap::new(),
            seen: BTreeMap::new(),
            woken: BTreeSet::new(),
            bound,
            cut: false,
            reduce: reduce && bound.is_none(),
            tracker: Tracker::default(),
            visits: std::collections::HashMap::new(),
            fresh_from: 0,
            pruned: 0,
            cycles: 0,
            runs_begun: 0,
        }
    }

    /// The search cut the current run short (a wait begun too early, a
    /// state searched before, …): [`Search::finish`] will not read its end.
    pub fn cut_short(&self) -> bool {
        self.end.is_some()
    }

    /// Interleavings still to try (known so far: one per open choice).
    pub fn open(&self) -> usize {
        self.nodes.iter().map(|n| n.backtrack.iter().filter(|l| !n.is_done(**l) && **l != n.chosen).count()).sum()
    }

    /// The lanes stepped in the current run, in order.
    pub fn lanes(&self) -> Vec<Lane> {
        self.nodes.iter().take(self.pos).map(|n| n.chosen).collect()
    }

    fn prev(&self, i: usize) -> Option<Lane> {
        i.checked_sub(1).map(|p| self.nodes[p].chosen)
    }

    /// Stepping `lane` at node `i` would take the run past the bound of
    /// preemptions.
    fn past_bound(&self, i: usize, lane: Lane) -> bool {
        let n = &self.nodes[i];
        self.bound.is_some_and(|b| n.preemptions + preempts(n, self.prev(i), lane) as u32 > b)
    }

    /// Begins a run: returns the policy that steps it.
    pub fn policy(this: &Rc<RefCell<Search>>) -> (Policy, mpsc::Sender<Record>) {
        let (tx, rx) = mpsc::channel();
        {
            let mut s = this.borrow_mut();
            s.rx = Some(rx);
            s.pos = 0;
            s.end = None;
            s.world = World::default();
            s.taken.clear();
            s.woken.clear();
            s.tracker = Tracker::default();
            s.tracker.dump = super::state::dump_on();
            s.runs_begun += 1;
            s.fresh_from = s.replay.saturating_sub(1);
        }
        let me = this.clone();
        (Policy::Call(Box::new(move |run| me.borrow_mut().choose(run))), tx)
    }

    /// The records that arrived since the last call, minus grants.
    fn arrived(&mut self) -> Vec<Record> {
        self.rx.as_ref().map(|rx| rx.try_iter().filter(|r| !matches!(r.kind, RecordKind::Grant { .. })).collect()).unwrap_or_default()
    }

    /// Takes in the step that just ran (records since its grant). False if
    /// the run must stop here (a wait begun too early).
    fn took_step(&mut self, records: &[Record], args: &dyn Fn(Lane) -> Option<String>) -> bool {
        let Some(i) = self.pos.checked_sub(1) else {
            // What main did before its first gate belongs to its first step.
            self.before = records.to_vec();
            return true;
        };
        let records = if i == 0 { [std::mem::take(&mut self.before), records.to_vec()].concat() } else { records.to_vec() };
        let records = &records[..];
        let n = &mut self.nodes[i];
        let foot = Footprint::of_step(n.chosen, records);
        n.gated = !foot.blocked && records.iter().any(|r| r.lane == n.chosen && matches!(r.kind, RecordKind::Locals { .. }));
        if self.reduce {
            self.tracker.step(Some(n.chosen), records, Some(&foot), args);
        }
        let k = self.taken.entry(n.chosen).or_default();
        self.seen.insert((n.chosen, *k), foot.clone());
        *k += 1;
        self.world.apply(&foot);
        if foot.blocked {
            self.woken.insert(foot.lane);
        } else {
            self.woken.remove(&foot.lane);
        }
        if foot.blocked && !n.waits.contains_key(&n.chosen) {
            let others = n.enabled.iter().any(|l| *l != n.chosen && !n.waits.contains_key(l));
            if others {
                n.waits.insert(n.chosen, foot);
                self.end = Some(RunEnd::Waited);
                return false;
            }
        }
        n.foot = Some(foot);
        true
    }

    fn choose(&mut self, run: &dyn View) -> Option<Action> {
        let records = self.arrived();
        self.choose_after(records, run)
    }

    /// [`Search::choose`], given the records that arrived since the last call.
    fn choose_after(&mut self, records: Vec<Record>, run: &dyn View) -> Option<Action> {
        if !self.took_step(&records, &|l| run.args_key(l)) {
            return None;
        }
        let i = self.pos;
        let enabled = run.steppable_lanes();
        let lane = if i < self.replay {
            let lane = self.nodes[i].chosen;
            if !enabled.contains(&lane) {
                self.end = Some(RunEnd::Diverged);
                return None;
            }
            lane
        } else {
            let prev = self.prev(i);
            let mut node = Node { enabled, ..Default::default() };
            if let Some(p) = i.checked_sub(1) {
                let parent = &self.nodes[p];
                let step = parent.foot.as_ref().expect("the step before ran");
                node.preemptions = parent.preemptions + preempts(parent, self.prev(p), parent.chosen) as u32;
                node.sleep = parent.sleep.iter().chain(parent.done.iter()).filter(|(l, f)| *l != parent.chosen && !f.dependent(step)).cloned().collect();
                // A process that would wait still waits after a step that
                // does not touch what it waits on.
                node.waits = parent.waits.iter().filter(|(l, f)| **l != parent.chosen && !f.dependent(step)).map(|(l, f)| (*l, f.clone())).collect();
            }
            // A process that shows at its gate that it would wait, and is not
            // one just woken to complete its wait, is not enabled here.
            for &l in &node.enabled {
                if self.woken.contains(&l) {
                    node.waits.remove(&l);
                    continue;
                }
                if let Some((op, res, other)) = run.next_wait(l) {
                    let f = Footprint::waiting(l, op, res, other);
                    if !self.world.allows(&f) {
                        node.waits.insert(l, f);
                    }
                }
            }
            let within = |l: Lane| self.bound.is_none_or(|b| node.preemptions + preempts(&node, prev, l) as u32 <= b);
            let awake: Vec<Lane> = node.allowed().into_iter().filter(|l| !node.asleep(*l)).collect();
            let choices: Vec<Lane> = awake.iter().copied().filter(|l| within(*l)).collect();
            // Fewest preemptions first: the process stepped last goes on;
            // else the newest process (a parent usually waits for its children).
            let waits_next = |l: &Lane| self.seen.get(&(*l, self.taken.get(l).copied().unwrap_or(0))).is_some_and(|f| !self.world.allows(f));
            node.guessed = node.enabled.iter().copied().filter(|l| waits_next(l)).collect();
            let go_on: Vec<Lane> = choices.iter().copied().filter(|l| !node.guessed.contains(l)).collect();
            let first = |c: &[Lane]| prev.filter(|p| c.contains(p)).or_else(|| c.last().copied());
            let Some(lane) = first(&go_on).or_else(|| first(&choices)) else {
                if node.enabled.is_empty() {
                    return None;
                }
                self.end = Some(if awake.is_empty() { RunEnd::Asleep } else { RunEnd::Bounded });
                if !awake.is_empty() {
                    self.cut = true;
                }
                self.nodes.truncate(i);
                return None;
            };
            if self.reduce && i > 0 && let Some(p) = self.tracker.position() {
                // A cycle: the run came back to a state it was in, with no
                // more awake than then, every step since ending at a gate
                // (its process's variables sent): below here is what is
                // below there, searched from there.
                let sleep: BTreeSet<Lane> = node.sleep.iter().map(|(l, _)| *l).collect();
                let back = |a: usize| {
                    let n = &self.nodes[a];
                    n.pos == Some(p) && n.sleep.iter().all(|(l, _)| sleep.contains(l)) && self.nodes[a..i].iter().all(|s| s.gated)
                };
                if let Some(a) = (0..i).find(|&a| back(a)) {
                    // Every state of the cycle is fully expanded (every
                    // process that could step there is tried there): a
                    // process that no step of the cycle races with, able
                    // to step somewhere on it, is not left out for ever
                    // (the ignoring problem; Peled's cycle proviso C3).
                    for n in &mut self.nodes[a..i] {
                        for l in n.allowed() {
                            if !n.covered(l) && !n.asleep(l) {
                                n.backtrack.insert(l);
                            }
                        }
                    }
                    self.nodes.truncate(i);
                    self.pruned += 1;
                    self.cycles += 1;
                    self.end = Some(RunEnd::Seen);
                    return None;
                }
                node.pos = Some(p);
            }
            if self.tracker.dump {
                let k = self.tracker.key().map_or("not known".to_string(), |k| format!("{:016x}", k.key));
                eprintln!("state before step {i} of run {} (key {k}):\n{}", self.runs_begun, self.tracker.describe());
            }
            if self.reduce && i > 0 && let Some(k) = self.tracker.key() {
                let sleep: Vec<Lane> = node.sleep.iter().map(|(l, _)| k.to_canon(*l)).collect();
                // Below it a clock was read: what was read there depends
                // on the sleeps' lengths, which the key leaves out.
                let clocked = |v: &Visit| v.below.iter().any(|b| b.1 == Obj::Clock);
                if let Some(v) = self.visits.get(&k.key)
                    && v.done.iter().any(|(e, d)| (*e == k.exact || !clocked(v)) && d.iter().all(|l| sleep.contains(l)))
                {
                    let below: Vec<Below> = v.below.iter().map(|(l, o, a, h)| (k.from_canon(*l), rename_obj(o, |x| k.from_canon(x)), *a, h.clone())).collect();
                    self.nodes.truncate(i);
                    self.seen_again(&below);
                    self.pruned += 1;
                    self.end = Some(RunEnd::Seen);
                    return None;
                }
                node.key = Some(k);
            }
            node.chosen = lane;
            node.backtrack.insert(lane);
            self.nodes.truncate(i);
            self.nodes.push(node);
            lane
        };
        self.nodes[i].shape = if self.reduce { self.tracker.twin_shape(lane) } else { None };
        self.pos += 1;
        Some(Action::Step { lane, granularity: 0 })
    }

    /// The run reached a state searched before, whose subtree ran the
    /// steps `below` (this run's lanes): the prefix's steps that those
    /// depend on get the other process to try (or, when it could not step
    /// there, every process that could), and the prefix's states get them
    /// in their summaries.
    fn seen_again(&mut self, below: &[Below]) {
        // Who started each process, at which step: its steps follow that one
        // and every earlier step of its starter (they are no race with them).
        let mut started: BTreeMap<Lane, (usize, Lane)> = BTreeMap::new();
        for (s, n) in self.nodes.iter().enumerate() {
            for c in n.foot.iter().flat_map(|f| &f.spawned) {
                started.insert(*c, (s, n.chosen));
            }
        }
        let mut worlds = Vec::with_capacity(self.nodes.len());
        let mut w = World::default();
        for n in &self.nodes {
            worlds.push(w.clone());
            w.apply(n.foot.as_ref().expect("ran"));
        }
        let mut adds: BTreeMap<usize, BTreeSet<Lane>> = BTreeMap::new();
        for (q, o, a, held) in below {
            // For each other process, its last step in the prefix that conflicts
            // with this access (earlier ones are ordered before it, or race too
            // and are found the same way when only reads lie between).
            let mut last: BTreeMap<Lane, usize> = BTreeMap::new();
            for (j, n) in self.nodes.iter().enumerate() {
                let Some(foot) = n.foot.as_ref() else { continue };
                if n.chosen == *q || started.get(q).is_some_and(|&(s, by)| j <= s && by == n.chosen) {
                    continue;
                }
                // The access is made holding a lock that this step's process
                // holds here: it comes after that one's release, so after this step.
                if held.iter().any(|r| worlds[j].holder(*r) == Some(n.chosen)) {
                    continue;
                }
                // The process waits here for this step's process (its lock, its end).
                if n.waits.get(q).is_some_and(|f| {
                    f.effects.iter().any(|e| match e {
                        super::footprint::Effect::Waits { res: Some(r), .. } => worlds[j].holder(*r) == Some(n.chosen),
                        super::footprint::Effect::Waits { other: Some(x), .. } => *x == n.chosen,
                        _ => false,
                    })
                }) {
                    continue;
                }
                if foot.touches.iter().any(|(fo, fa)| fo == o && !(fa == a && *a != AccessKind::Write)) {
                    last.insert(n.chosen, j);
                }
            }
            for j in last.into_values() {
                let n = &self.nodes[j];
                let allowed = n.allowed();
                let add = adds.entry(j).or_default();
                let free = |l: &Lane| allowed.contains(l) && !n.waits.contains_key(l);
                // Who must move first for the access to come before this step:
                // the process itself; when it waits here, the one it waits
                // for (the lock's holder, the process to end); when it does not
                // exist yet, its starter; when that one cannot step here
                // either, every process that can.
                let first = if free(q) {
                    Some(*q)
                } else if let Some(f) = n.waits.get(q) {
                    f.effects.iter().find_map(|e| match e {
                        super::footprint::Effect::Waits { res: Some(r), .. } => worlds[j].holder(*r),
                        super::footprint::Effect::Waits { other: Some(x), .. } => Some(*x),
                        _ => None,
                    })
                } else {
                    started.get(q).map(|&(_, by)| by)
                };
                match first.filter(free) {
                    Some(l) => {
                        add.insert(l);
                    }
                    None => add.extend(allowed.iter().copied().filter(|l| !n.waits.contains_key(l))),
                }
            }
        }
        for (j, add) in adds {
            let n = &mut self.nodes[j];
            for l in add {
                if !n.covered(l) && !n.asleep(l) {
                    n.backtrack.insert(l);
                }
            }
        }
        self.summarise(0..self.nodes.len(), below);
    }

    /// Adds `steps` (this run's lanes) to the summaries of the states of
    /// the nodes in `at`.
    fn summarise(&mut self, at: std::ops::Range<usize>, steps: &[Below]) {
        for n in &self.nodes[at] {
            if let Some(k) = &n.key {
                let v = self.visits.entry(k.key).or_default();
                for b in steps {
                    add_below(v, k, b);
                }
            }
        }
    }

    /// After a run: takes in its last step, finds its races, and readies the
    /// next run. Returns how the run ended and whether there is a next run.
    pub fn finish(&mut self) -> (RunEnd, bool) {
        let records = self.arrived();
        let end = match self.end {
            Some(e) => e,
            None => {
                self.took_step(&records, &|_| None);
                RunEnd::Complete
            }
        };
        self.rx = None;
        // The events of this run: steps that ran to their end.
        let len = self.nodes.iter().take(self.pos).take_while(|n| n.foot.is_some()).count();
        self.nodes.truncate(self.pos.max(len).min(self.nodes.len()));
        if self.reduce {
            // Each step chosen afresh in this run is below every state before
            // it: from the deepest node up, the accesses of the steps at and
            // below it (a set: a run of thousands of steps makes few distinct
            // accesses, so this is linear in the run, not quadratic).
            let mut w = World::default();
            let mut mine: Vec<Vec<Below>> = Vec::with_capacity(len);
            for d in 0..len {
                let f = self.nodes[d].foot.as_ref().expect("ran");
                let held = w.held_by(f.lane);
                mine.push(if d >= self.fresh_from { f.touches.iter().map(|(o, a)| (f.lane, o.clone(), *a, held.clone())).collect() } else { Vec::new() });
                w.apply(f);
            }
            let mut acc: BTreeSet<Below> = BTreeSet::new();
            for d in (0..len).rev() {
                acc.extend(mine[d].drain(..));
                if let Some(k) = &self.nodes[d].key {
                    let v = self.visits.entry(k.key).or_default();
                    for b in &acc {
                        add_below(v, k, b);
                    }
                }
            }
        }
        self.races(len);
        (end, self.next(end))
    }

    /// Source-set race detection over the first `len` steps.
    fn races(&mut self, len: usize) {
        let lanes = self.nodes[..len].iter().map(|n| n.chosen).max().map_or(0, |m| m.index() + 1);
        let mut vc: Vec<Vec<usize>> = Vec::with_capacity(len);
        let mut last: BTreeMap<Lane, usize> = BTreeMap::new();
        let mut spawner: BTreeMap<Lane, usize> = BTreeMap::new();
        let mut races = Vec::new();
        // The world before each step.
        let mut worlds = Vec::with_capacity(len);
        let mut w = super::footprint::World::default();
        for n in &self.nodes[..len] {
            worlds.push(w.clone());
            w.apply(n.foot.as_ref().expect("ran"));
        }
        for e in 0..len {
            let (lane, foot) = (self.nodes[e].chosen, self.nodes[e].foot.clone().expect("ran"));
            let mut c = match last.get(&lane).or_else(|| spawner.get(&lane)) {
                Some(&p) => vc[p].clone(),
                None => vec![0; lanes],
            };
            for j in (0..e).rev() {
                let other = &self.nodes[j];
                if other.chosen == lane || !other.foot.as_ref().expect("ran").dependent(&foot) {
                    continue;
                }
                // Never both possible (e had to wait for j): no race, and
                // an earlier step may be the one e races with.
                if !worlds[j].allows(&foot) {
                    continue;
                }
                if c[other.chosen.index()] <= j {
                    races.push((j, e));
                }
                for (x, y) in c.iter_mut().zip(&vc[j]) {
                    *x = (*x).max(*y);
                }
            }
            c[lane.index()] = e + 1;
            vc.push(c);
            last.insert(lane, e);
            for ch in &foot.spawned {
                spawner.insert(*ch, e);
            }
        }
        let chosen: Vec<Lane> = self.nodes[..len].iter().map(|n| n.chosen).collect();
        let hb = |a: usize, b: usize, vc: &Vec<Vec<usize>>| vc[b].get(chosen[a].index()).is_some_and(|&x| x > a);
        for (j, e) in races {
            // The steps between j and e that lead to e but do not follow j, then e.
            let v: Vec<usize> = (j + 1..e).filter(|&k| !hb(j, k, &vc) && hb(k, e, &vc)).chain([e]).collect();
            // The reversal is e's process's own steps that touch nothing
            // shared (every step it took since j), then e; and before e it
            // was where j's process was at j: after those steps, at j, it
            // would be a twin of j's process (nothing shared changed), whose
            // step at j is tried. What the reversal leads to is what j's
            // step leads to, up to names (the reductions: [`Keyed::twins`]).
            let local = |k: usize| {
                let f = self.nodes[k].foot.as_ref().expect("ran");
                f.spawned.is_empty() && f.effects.is_empty() && !f.blocked && f.touches.iter().all(|(o, a)| *o == Obj::Proc(f.lane) && *a == AccessKind::Read)
            };
            let own = (j + 1..e).filter(|&k| chosen[k] == chosen[e]).count();
            if self.nodes[j].shape.is_some() && self.nodes[j].shape == self.nodes[e].shape && own == v.len() - 1 && v[..v.len() - 1].iter().all(|&k| chosen[k] == chosen[e] && local(k)) {
                continue;
            }
            let mut initials = BTreeSet::new();
            let mut seen = BTreeSet::new();
            for (x, &k) in v.iter().enumerate() {
                let lane = chosen[k];
                // An initial whose step would have to wait before j cannot begin the reversal.
                if seen.insert(lane) && !v[..x].iter().any(|&k2| hb(k2, k, &vc)) && worlds[j].allows(self.nodes[k].foot.as_ref().expect("ran")) {
                    initials.insert(lane);
                }
            }
            if initials.is_empty() {
                continue;
            }
            let node = &mut self.nodes[j];
            if initials.iter().any(|l| node.covered(*l) || node.asleep(*l)) {
                continue;
            }
            let allowed = node.allowed();
            for l in initials {
                if allowed.contains(&l) && !node.waits.contains_key(&l) {
                    node.backtrack.insert(l);
                }
            }
        }
    }


    /// Picks the deepest node with something left to try; false when the search is over.
    fn next(&mut self, end: RunEnd) -> bool {
        let mut waited = end == RunEnd::Waited;
        while let Some(i) = self.nodes.len().checked_sub(1) {
            let n = &mut self.nodes[i];
            if waited {
                // The choice here began a wait: it is not an interleaving of its own.
                waited = false;
                n.backtrack.remove(&n.chosen);
                if n.done.is_empty() && !n.backtrack.iter().any(|l| !n.waits.contains_key(l)) {
                    // Nothing here ran yet: the next best choice stands in.
                    let awake: Vec<Lane> = n.allowed().into_iter().filter(|l| !n.asleep(*l)).collect();
                    if let Some(&l) = awake.iter().rfind(|l| !n.guessed.contains(l)).or(awake.last()) {
                        n.backtrack.insert(l);
                    }
                }
            } else if let Some(f) = n.foot.take()
                && !n.is_done(n.chosen)
            {
                n.done.push((n.chosen, f));
            }
            let mut pick = None;
            let tries: Vec<Lane> = n.backtrack.iter().rev().copied().filter(|&l| !n.passed_over(l)).collect();
            for l in tries {
                if self.past_bound(i, l) {
                    self.cut = true;
                    continue;
                }
                pick = Some(l);
                break;
            }
            let n = &mut self.nodes[i];
            if let Some(l) = pick {
                n.chosen = l;
                n.foot = None;
                self.replay = i + 1;
                return true;
            }
            // Its subtree is searched: its state can end later runs.
            if let Some(n) = self.nodes.pop()
                && let Some(k) = n.key
            {
                let sleep = n.sleep.iter().map(|(l, _)| k.to_canon(*l)).collect();
                self.visits.entry(k.key).or_default().done.push((k.exact, sleep));
            }
        }
        false
    }
}

/// What the search's chooser reads of a run as it steps it: the live run
/// ([`crate::conductor::Run`]), or what a run made ahead showed its chooser
/// ([`Shown`], see [`Search::retrace`]).
pub trait View {
    /// The processes that can take a step now.
    fn steppable_lanes(&self) -> Vec<Lane>;
    /// What a parked process will wait for if stepped (see `Run::next_wait`).
    fn next_wait(&self, lane: Lane) -> Option<Wait>;
    /// The key of a process's arguments (see `Run::args_key`).
    fn args_key(&self, lane: Lane) -> Option<String>;
}

/// An op that waits, its resource, its other process (see [`View::next_wait`]).
pub type Wait = (crate::vocab::Op, Option<crate::vocab::ResId>, Option<Lane>);

impl View for crate::conductor::Run {
    fn steppable_lanes(&self) -> Vec<Lane> {
        self.lanes().into_iter().filter(|l| self.steppable(l.lane).is_ok()).map(|l| l.lane).collect()
    }
    fn next_wait(&self, lane: Lane) -> Option<Wait> {
        crate::conductor::Run::next_wait(self, lane)
    }
    fn args_key(&self, lane: Lane) -> Option<String> {
        crate::conductor::Run::args_key(self, lane)
    }
}

/// What a run showed its chooser at one choice: every answer the chooser
/// read (and only those). Read back by [`Search::retrace`], a question it
/// was not asked marks it `missed` (the retrace then takes nothing).
#[derive(Debug, Default)]
pub struct Shown {
    lanes: Vec<Lane>,
    waits: RefCell<BTreeMap<Lane, Option<Wait>>>,
    args: RefCell<BTreeMap<Lane, Option<String>>>,
    missed: std::cell::Cell<bool>,
}

impl View for Shown {
    fn steppable_lanes(&self) -> Vec<Lane> {
        self.lanes.clone()
    }
    fn next_wait(&self, lane: Lane) -> Option<Wait> {
        self.waits.borrow().get(&lane).cloned().unwrap_or_else(|| {
            self.missed.set(true);
            None
        })
    }
    fn args_key(&self, lane: Lane) -> Option<String> {
        self.args.borrow().get(&lane).cloned().unwrap_or_else(|| {
            self.missed.set(true);
            None
        })
    }
}

/// The live run, every answer kept in a [`Shown`].
struct Taping<'a> {
    run: &'a crate::conductor::Run,
    shown: Shown,
}

impl View for Taping<'_> {
    fn steppable_lanes(&self) -> Vec<Lane> {
        self.run.steppable_lanes()
    }
    fn next_wait(&self, lane: Lane) -> Option<Wait> {
        let w = View::next_wait(self.run, lane);
        self.shown.waits.borrow_mut().insert(lane, w);
        w
    }
    fn args_key(&self, lane: Lane) -> Option<String> {
        let a = View::args_key(self.run, lane);
        self.shown.args.borrow_mut().insert(lane, a.clone());
        a
    }
}

/// One choice of a run made ahead: the records that arrived before it,
/// what the run showed, and the process chosen (`None`: the run stopped).
#[derive(Debug)]
pub struct Taped {
    records: Vec<Record>,
    shown: Shown,
    chose: Option<Lane>,
}

/// How a run made ahead compares with the run the search would make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retraced {
    /// Every choice the same, to its end: it is that run.
    Same,
    /// The same choices until the search stops the run sooner: it is that
    /// run, cut short (its end is not read).
    Sooner,
    /// Another choice somewhere: nothing of it is taken.
    Differs,
}

impl Search {
    /// The next run's first choice if the current run (not made yet) adds
    /// nothing to try: the deepest process to try above the node the
    /// current run branches at — the node and the process.
    fn guess_next(&self, made: &dyn Fn(&[Lane]) -> bool) -> Option<(usize, Lane)> {
        let mut i = self.replay.checked_sub(1)?.checked_sub(1)?;
        loop {
            let n = &self.nodes[i];
            // The first process [`Search::next`] would try at this node (a
            // later one would have it done, and its step, which is not known).
            let first = n.backtrack.iter().rev().copied().find(|&l| l != n.chosen && !n.passed_over(l) && !self.past_bound(i, l));
            if let Some(l) = first {
                let prefix: Vec<Lane> = self.nodes[..i].iter().map(|n| n.chosen).chain([l]).collect();
                if !made(&prefix) {
                    return Some((i, l));
                }
            }
            i = i.checked_sub(1)?;
        }
    }

    /// The grants a run repeats before it chooses afresh (its prefix).
    pub fn prefix(&self) -> Vec<Lane> {
        self.nodes.iter().take(self.replay).map(|n| n.chosen).collect()
    }

    /// The search's next run guessed (see [`Search::guess_next`]), for a
    /// run made ahead: a copy of the search readied for that run (as
    /// [`Search::next`] would ready it, minus what the current run adds),
    /// or `None` when there is nothing to guess. A run it steps is taken
    /// only if the search itself would make the same choices
    /// ([`Search::retrace`]).
    /// Runs whose prefix `made` holds (made or being made) are not guessed.
    pub fn ahead_copy(&self, made: &dyn Fn(&[Lane]) -> bool) -> Option<Search> {
        let (j, lane) = self.guess_next(made)?;
        let mut nodes = self.nodes[..=j].to_vec();
        let n = &mut nodes[j];
        if let Some(f) = n.foot.take()
            && !n.is_done(n.chosen)
        {
            n.done.push((n.chosen, f));
        }
        n.chosen = lane;
        n.foot = None;
        Some(Search { nodes, replay: j + 1, seen: self.seen.clone(), reduce: self.reduce, visits: self.visits.clone(), ..Search::new(self.bound, false) })
    }

    /// Begins a run made ahead: its policy, its tap, and where its choices
    /// are kept (see [`Taped`]).
    pub fn taped_policy(this: &Rc<RefCell<Search>>) -> (Policy, mpsc::Sender<Record>, Rc<RefCell<Vec<Taped>>>) {
        let (_, tx) = Search::policy(this);
        let tape: Rc<RefCell<Vec<Taped>>> = Rc::default();
        let (me, kept) = (this.clone(), tape.clone());
        let choose = move |run: &crate::conductor::Run| {
            let mut s = me.borrow_mut();
            let records = s.arrived();
            let taping = Taping { run, shown: Shown::default() };
            let action = s.choose_after(records.clone(), &taping);
            let shown = Shown { lanes: taping.run.steppable_lanes(), ..taping.shown };
            let chose = match action {
                Some(Action::Step { lane, .. }) => Some(lane),
                _ => None,
            };
            kept.borrow_mut().push(Taped { records, shown, chose });
            action
        };
        (Policy::Call(Box::new(choose)), tx, tape)
    }

    /// Takes in a run made ahead by a copy of the search ([`Search::ahead_copy`],
    /// [`Search::taped_policy`]): `tape`, its choices, and `last`, the records
    /// that arrived after its last one. The search chooses at each of them
    /// as if it stepped that run (the same records, the same answers from
    /// the run): when every choice is the one made ([`Retraced::Same`]) or
    /// the search stops sooner ([`Retraced::Sooner`]), it is the run the
    /// search would have made, and [`Search::finish`] follows as after a
    /// run. [`Retraced::Differs`]: the run is to be made (what the retrace
    /// left is what that run sets again: a run begins afresh).
    pub fn retrace(this: &Rc<RefCell<Search>>, tape: &[Taped], last: Vec<Record>) -> Retraced {
        let (_, tx) = Search::policy(this);
        for t in tape {
            let mut s = this.borrow_mut();
            let action = s.choose_after(t.records.clone(), &t.shown);
            if t.shown.missed.get() {
                return Retraced::Differs;
            }
            let chose = match action {
                Some(Action::Step { lane, .. }) => Some(lane),
                _ => None,
            };
            match (chose, t.chose) {
                (Some(a), Some(b)) if a == b => continue,
                (None, _) if s.end.is_some() => return Retraced::Sooner,
                (None, None) => break,
                _ => return Retraced::Differs,
            }
        }
        for r in last {
            let _ = tx.send(r);
        }
        Retraced::Same
    }
}

impl Search {
    /// The records that arrived and were not read yet (what
    /// [`Search::finish`] would read): for a run made ahead, at its end.
    pub fn unread(&mut self) -> Vec<Record> {
        self.rx.as_ref().map(|rx| rx.try_iter().collect()).unwrap_or_default()
    }

    /// Whether the run whose first choice is `lane` at node `j`, after the
    /// grants `prefix`, is still to be made (see [`Search::ahead_copy`]).
    pub fn still_to_make(&self, prefix: &[Lane]) -> bool {
        let Some((&lane, above)) = prefix.split_last() else { return false };
        let j = above.len();
        self.nodes.len() > j
            && self.nodes[..j].iter().map(|n| n.chosen).eq(above.iter().copied())
            && self.nodes[j].backtrack.contains(&lane)
            && !self.nodes[j].is_done(lane)
            && self.nodes[j].chosen != lane
    }
}
