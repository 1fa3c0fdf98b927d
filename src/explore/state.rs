//! The state a run of `explore --all` is in before a step, as a key that
//! two runs share exactly when they reached the same state up to a renaming
//! of processes: what the seen-state and symmetry reductions compare (see
//! [`super::dpor`] for how the search uses them, `docs/commands.md` for why
//! the verdict still holds).
//!
//! **A process's state** is its own history: every record it wrote or that
//! was written about it (its ops with their values and lines, the file
//! contents it read — by a digest of exactly what it read —, its blocks and
//! wakes, its reports, errors, its end), the number of steps it took, its
//! target and the key of its arguments. A process is deterministic given
//! what it read, so equal histories are equal states. Output (`print`,
//! stderr), the variables shown and pids are left out: they follow from the
//! state, they do not make it. So is what a process cannot see: a
//! semaphore's count after its acquire or release (the shared state has
//! it), and a Python process's sleeps' lengths in [`Keyed::key`] (a sleep
//! is virtual while stepped; its length shows only where a clock is read,
//! which the process reports: [`Keyed::exact`] keeps them).
//!
//! **The shared state**: each file's content (the digest of the whole file
//! after its last write), each reported key's last value, who holds each
//! lock, each semaphore's value, each Event's flag, which processes wait
//! (on an Event: `set` wakes them all, their order is nothing).
//!
//! **A position** ([`Tracker::position`], for cycles within one run: a
//! program that loops forever) has a live process as where it stands — its
//! variables at its gate (the `Locals` record) and its last op — instead of
//! its history, when every variable is shown in full.
//!
//! **Symmetry**: processes with the same target and the same key of their
//! arguments (the same function, the same arguments — strings aside, which
//! are names, as `person0` and `person1`, and numbers the function only
//! prints, which are labels —, see
//! `python/multiprocessing/popen_fork.py`) are ordered by their histories,
//! and every process's lane is renamed by that order, everywhere it appears
//! (histories, parents, holders). Two states with equal keys are then one
//! state with its processes renamed.
//!
//! **Twins** ([`Keyed::twins`], [`Tracker::twin_shape`]): two processes of
//! one class in the same state — the same history, steps, parent (by its
//! class), locks held, neither a parent — are swapped by a renaming that
//! leaves the key as it is, so a step of one leads where the same step of
//! the other leads, names swapped: the search tries one of them
//! ([`super::dpor`]).
//!
//! **Threads** ([`Tracker::memory`]): the lanes of a process that started
//! a thread share memory no record shows, so each live one is keyed by a
//! digest of its frames' variables too, and the process by a digest of its
//! module's globals, both sent at each gate (`KF`, `KG` lines of `Locals`);
//! between an op of one of its lanes and its next gate they are not known.
//!
//! **Pools** ([`PoolState`], [`Tracker::pool_op`]): a Pool's pending
//! tasks (by digests), tasks running, idle workers in order and the task
//! handed to one, each AsyncResult's parts; a pool worker about to take a
//! task is its memory (`KW`), its history dropped there
//! ([`Tracker::worker_between_tasks`]).
//!
//! **Not known** (no key, nothing pruned): a resource other than a Lock, a
//! Semaphore, an Event, a queue or a Pool (pipes, values, sockets: their
//! contents are not all in the records; a pool's callbacks, a result read), a thread whose variables are not
//! sent, a file read or written with no digest, a directory
//! listing, `input()`, a timeout, a signal, terminate/kill, a process blocked
//! on a resource other than an Event (the order of waiters is not in the
//! records).

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use super::footprint::{Effect, Footprint};
use crate::model::{Record, RecordKind};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// One record of a process's history: the hash of what it says with every
/// lane it names left out, and those lanes (renamed when keyed).
#[derive(Debug, Clone)]
struct Item {
    h: u64,
    /// The same with a sleep's length left out (see [`Keyed::key`]).
    free: u64,
    refs: Vec<Lane>,
    /// What the record says as hashed, and its line: kept only to dump
    /// the states (`FORKSCOPE_KEYS`, [`Tracker::describe`]).
    text: Option<Box<str>>,
}

/// Whether explore dumps each state it keys (`FORKSCOPE_KEYS` set): to
/// see what keeps two states apart that should meet.
pub fn dump_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FORKSCOPE_KEYS").is_some())
}

/// One process as a key has it: its lane (renamed), its parent, target,
/// arguments' key, steps, and history (each record's hash and the lanes it names).
type ProcessKey<'a> = (Lane, Option<Lane>, Option<&'a String>, Option<&'a String>, Option<&'a u32>, (Option<&'a ResId>, Option<&'a i64>, Option<u64>), Vec<(u64, Vec<Lane>)>);

/// A state key, and the renaming that made it (lane → its canonical lane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The state, sleeps' lengths left out (Python processes): a sleep is
    /// virtual while stepped, so its length shows only where a clock is read.
    pub key: u64,
    /// The state with sleeps' lengths: what a state whose subtree read a
    /// clock ([`super::footprint::Obj::Clock`]) must equal to be the same.
    pub exact: u64,
    pub rename: BTreeMap<Lane, Lane>,
    /// *Twins*: interchangeable processes (the same target and arguments'
    /// key) that are in the same state here — the same history, steps,
    /// parent and locks held —, each with the number of its group. Swapping
    /// two twins' names leaves the key as it is: whatever follows a step of
    /// one follows the same step of the other, names swapped.
    pub twins: BTreeMap<Lane, u64>,
}

impl Keyed {
    /// `lane` as the key names it.
    pub fn to_canon(&self, lane: Lane) -> Lane {
        self.rename.get(&lane).copied().unwrap_or(lane)
    }
    /// The lane of this run that the key names `canon`.
    pub fn from_canon(&self, canon: Lane) -> Lane {
        self.rename.iter().find(|(_, c)| **c == canon).map_or(canon, |(l, _)| *l)
    }
    /// Whether `a` and `b` are twins here (see [`Keyed::twins`]).
    pub fn twins(&self, a: Lane, b: Lane) -> bool {
        a == b || self.twins.get(&a).is_some_and(|g| self.twins.get(&b) == Some(g))
    }
    /// `lane`'s twins here, itself left out.
    pub fn twins_of(&self, lane: Lane) -> impl Iterator<Item = Lane> + '_ {
        let g = self.twins.get(&lane).copied();
        self.twins.iter().filter(move |(l, x)| **l != lane && Some(**x) == g).map(|(l, _)| *l)
    }
}

/// The state of the current run, as its steps leave it.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    hist: BTreeMap<Lane, Vec<Item>>,
    steps: BTreeMap<Lane, u32>,
    parent: BTreeMap<Lane, Lane>,
    target: BTreeMap<Lane, String>,
    args: BTreeMap<Lane, String>,
    files: BTreeMap<String, i64>,
    reports: BTreeMap<String, String>,
    kinds: BTreeMap<ResId, ResKind>,
    holder: BTreeMap<ResId, Lane>,
    sem: BTreeMap<ResId, i64>,
    /// Each Event's flag.
    flags: BTreeMap<ResId, bool>,
    /// Processes blocked on a resource now.
    blocked: BTreeMap<Lane, ResId>,
    /// Each queue's items, in order, by their digests (`d` of the records).
    queues: BTreeMap<ResId, std::collections::VecDeque<i64>>,
    /// Each JoinableQueue's unfinished tasks.
    unfinished: BTreeMap<ResId, i64>,
    /// The getters blocked on each queue, in the order a put serves them.
    getters: BTreeMap<ResId, Vec<Lane>>,
    /// An item a put handed to a blocked getter that has not taken it yet
    /// (a pool's task: its submission's digest and index, hashed).
    handed: BTreeMap<Lane, i64>,
    /// Each Pool's tasks and state ([`PoolState`]).
    pools: BTreeMap<ResId, PoolState>,
    /// Processes that made a resource: what refers to it in their memory
    /// (a manager proxy's reply queue, a lock kept in a cache) is in no
    /// `KW` digest, so they keep their histories between tasks.
    made: std::collections::BTreeSet<Lane>,
    /// Each AsyncResult's parts done, by their digests (sorted: a part
    /// carries its index; the order they came in is no part of the value).
    results: BTreeMap<ResId, Vec<i64>>,
    /// Each process's variables at its gate now (its latest `Locals`
    /// record), for [`Tracker::position`].
    locals: BTreeMap<Lane, String>,
    /// Processes that ended.
    ended: std::collections::BTreeSet<Lane>,
    /// The lanes of a process that has threads (its main lane and every
    /// thread's), each with its process's main lane: they share memory no
    /// record shows, so each is keyed by its variables too, and the process
    /// by its module's globals ([`Tracker::memory`]).
    thread_root: BTreeMap<Lane, Lane>,
    /// A threaded process's module globals (the digest, `KG` line, of the
    /// latest `Locals` record of any of its lanes), by its main lane.
    globals: BTreeMap<Lane, String>,
    /// Each lane of a threaded process: the digest of its frames' variables
    /// (the `KF` line of its latest `Locals` record).
    frames: BTreeMap<Lane, String>,
    /// Threaded processes (by main lane) in which code ran since the latest
    /// `Locals` record of one of their lanes: their globals are not known.
    stale: std::collections::BTreeSet<Lane>,
    /// Why states of this run are not known from here on.
    pub opaque: Option<&'static str>,
    /// Symmetry off (`--no-reduce` turns both off; this is for tests).
    pub no_symmetry: bool,
    /// Keep each record's text for [`Tracker::describe`].
    pub dump: bool,
}

/// A Pool as the key has it: its pending tasks in their order, each
/// submission as (its digest, tasks, how many of them were taken), the
/// tasks running, and whether it was closed. Its idle workers, in the order
/// a submission hands them tasks, are in [`Tracker::getters`]; a task
/// handed to one, in [`Tracker::handed`].
#[derive(Debug, Default, Clone, Hash)]
struct PoolState {
    pending: std::collections::VecDeque<(i64, i64, i64)>,
    running: i64,
    closed: bool,
}

impl PoolState {
    fn pending(&self) -> i64 {
        self.pending.iter().map(|(_, n, t)| n - t).sum()
    }
}

fn hash_of(x: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// The record with the lanes it names taken out (and times, pids), and
/// what its process cannot see: a semaphore's count after its acquire or
/// release, whether the unit was handed over (both in the shared state,
/// which the key holds), and, in `free`, a sleep's length.
/// `res` is a queue (a Queue or a JoinableQueue), whose items the state follows.
fn is_queue(kinds: &BTreeMap<ResId, ResKind>, res: Option<ResId>) -> bool {
    res.is_some_and(|r| matches!(kinds.get(&r), Some(ResKind::Queue | ResKind::JoinableQueue)))
}

/// `res` is a Pool or an AsyncResult, whose state the key follows.
fn is_pool(kinds: &BTreeMap<ResId, ResKind>, res: Option<ResId>) -> bool {
    res.is_some_and(|r| matches!(kinds.get(&r), Some(ResKind::Pool | ResKind::AsyncResult)))
}

fn item(r: &Record, kinds: &BTreeMap<ResId, ResKind>, keep_text: bool) -> Option<Item> {
    let mut refs = Vec::new();
    let mut k = r.kind.clone();
    match &mut k {
        RecordKind::Print { .. } | RecordKind::Stderr { .. } | RecordKind::LineEnd | RecordKind::Locals { .. } | RecordKind::Park | RecordKind::Grant { .. } | RecordKind::Mode { .. } | RecordKind::Closing => return None,
        RecordKind::Spawn { child, pid, ppid, target, .. } => {
            refs.push(*child);
            *child = Lane(0);
            (*pid, *ppid) = (0, 0);
            *target = crate::vocab::split_target(target).0.to_string();
        }
        RecordKind::Op { other, .. } | RecordKind::Timeout { other, .. } => {
            refs.extend(other.take());
        }
        RecordKind::Block { other, holder, .. } => {
            refs.extend(other.take());
            refs.extend(holder.take());
        }
        RecordKind::Wake { woken, .. } => {
            refs.push(*woken);
            *woken = Lane(0);
        }
        RecordKind::Ended { process, .. } | RecordKind::Signal { process, .. } => {
            *process = Lane(0);
        }
        _ => {}
    }
    let queue = |res: &Option<ResId>| is_queue(kinds, *res);
    match &mut k {
        // A queue's hand-overs are the queue's: who was woken is in the
        // shared state (a getter handed its item, the waiters).
        RecordKind::Wake { res, .. } if queue(res) => return None,
        // A put or get sees only its item (`d`, and the get's value) or
        // that it raised (`c` = -1): the depth and unfinished count after,
        // whether the item went through the queue or straight to a waiting
        // getter, and whom, are the queue's (in the shared state).
        RecordKind::Op { op: Op::Put | Op::PutNowait | Op::Get | Op::GetNowait | Op::TaskDone | Op::QueueJoin, res, other, a, b, c, .. } if queue(res) => {
            refs.clear();
            *other = None;
            (*a, *b) = (0, 0);
            *c = if *c == -1 { -1 } else { 0 };
        }
        // A pool's: which idle worker a submission or close woke is in the
        // shared state (the task handed it); the counts of tasks pending,
        // running and parts done are the pool's and the result's. What a
        // process sees: its task (`d`), that it was told to stop (`c` −1),
        // what it submitted (`c` tasks, `d`), the value it stored (`d`).
        RecordKind::Wake { op: Op::Get, res, .. } if is_pool(kinds, *res) => return None,
        RecordKind::Op { op: Op::Get | Op::TaskDone | Op::Put | Op::Apply | Op::ApplyAsync | Op::Map | Op::PoolClose | Op::PoolJoin, res, a, b, c, .. } if is_pool(kinds, *res) => {
            (*a, *b) = (0, 0);
            if matches!(r.kind, RecordKind::Op { op: Op::Get, .. }) && *c != -1 {
                *c = 0;
            }
        }
        _ => {}
    }
    if let RecordKind::Op { op: Op::Acquire | Op::Release, res: Some(res), a, b, c, .. } = &mut k
        && matches!(kinds.get(res), Some(ResKind::Semaphore | ResKind::BoundedSemaphore))
    {
        // `acquire` returns whether it got a unit (`a`); the count after
        // and the hand-over are the semaphore's, not the process's.
        if matches!(r.kind, RecordKind::Op { op: Op::Release, .. }) {
            *a = 0;
        }
        (*b, *c) = (0, 0);
    }
    let text = serde_json::to_string(&k).ok()?;
    let h = hash_of(&(&text, r.line));
    let free = match &mut k {
        RecordKind::Op { op: Op::Sleep, a, .. } => {
            *a = 0;
            hash_of(&(serde_json::to_string(&k).ok()?, r.line))
        }
        _ => h,
    };
    let text = keep_text.then(|| format!("line {}: {text}", r.line).into_boxed_str());
    Some(Item { h, free, refs, text })
}

impl Tracker {
    pub fn new(no_symmetry: bool) -> Tracker {
        Tracker { no_symmetry, ..Tracker::default() }
    }

    fn unknown(&mut self, why: &'static str) {
        self.opaque.get_or_insert(why);
    }

    /// Takes in one step of `lane` (`None`: what happened before the first
    /// grant): its records, its footprint; `args` gives a new lane's key.
    pub fn step(&mut self, lane: Option<Lane>, records: &[Record], foot: Option<&Footprint>, args: &dyn Fn(Lane) -> Option<String>) {
        if let Some(l) = lane {
            *self.steps.entry(l).or_default() += 1;
        }
        for r in records {
            self.record(r, args);
        }
        if let Some(f) = foot {
            self.effects(f);
        }
    }

    fn record(&mut self, r: &Record, args: &dyn Fn(Lane) -> Option<String>) {
        // Whose history it is: the writer's, or the process it is about.
        let about = match &r.kind {
            RecordKind::Ended { process, .. } | RecordKind::Signal { process, .. } => *process,
            _ => r.lane,
        };
        match &r.kind {
            RecordKind::Spawn { child, target, .. } => {
                if target == "threading.Thread" {
                    // Its process's lanes share memory from here on.
                    let root = self.thread_root.get(&r.lane).copied().unwrap_or(r.lane);
                    self.thread_root.insert(r.lane, root);
                    self.thread_root.insert(*child, root);
                }
                self.parent.insert(*child, r.lane);
                self.target.insert(*child, target.clone());
                if let Some(k) = args(*child) {
                    self.args.insert(*child, k);
                }
            }
            RecordKind::Op { op, res, b, detail, .. } if r.lane != Lane::CONDUCTOR => match op {
                Op::ReadJson | Op::ReadText | Op::WriteJson | Op::WriteText | Op::AppendText => {
                    if *b == 0 {
                        self.unknown("a file op whose content is not known (no digest)");
                    } else if !matches!(op, Op::ReadJson | Op::ReadText) {
                        let path = detail.as_deref().and_then(|d| d.split('\t').next()).unwrap_or("").to_string();
                        self.files.insert(path, *b);
                    }
                }
                Op::Print | Op::Sleep | Op::Compute | Op::Report | Op::Exit | Op::Start | Op::Join | Op::IsAlive => {}
                Op::Acquire | Op::Release if res.is_some_and(|x| matches!(self.kinds.get(&x), Some(ResKind::Lock | ResKind::Semaphore | ResKind::BoundedSemaphore))) => {}
                // An Event: `is_set` and `wait` return what their record
                // says (`a`), `set` and `clear` nothing; the flag is kept.
                Op::Set | Op::Clear | Op::IsSet | Op::Wait if let Some(x) = res.filter(|x| self.kinds.get(x) == Some(&ResKind::Event)) => match op {
                    Op::Set => {
                        self.flags.insert(x, true);
                    }
                    Op::Clear => {
                        self.flags.insert(x, false);
                    }
                    _ => {}
                },
                _ if is_queue(&self.kinds, *res) => self.queue_op(r),
                _ if is_pool(&self.kinds, *res) => self.pool_op(r),
                _ => self.unknown("an op whose result is not all in its record (a pipe, value, pool, socket, input, listing, signal)"),
            },
            RecordKind::Resource { res, kind, capacity, .. } => {
                self.kinds.insert(*res, *kind);
                self.made.insert(r.lane);
                match kind {
                    ResKind::Lock => {}
                    ResKind::Semaphore | ResKind::BoundedSemaphore => {
                        self.sem.insert(*res, *capacity);
                    }
                    ResKind::Event => {
                        self.flags.insert(*res, false);
                    }
                    ResKind::Queue | ResKind::JoinableQueue => {
                        self.queues.insert(*res, Default::default());
                        if *kind == ResKind::JoinableQueue {
                            self.unfinished.insert(*res, 0);
                        }
                    }
                    ResKind::Pool => {
                        self.pools.insert(*res, PoolState::default());
                    }
                    ResKind::AsyncResult => {
                        self.results.insert(*res, Vec::new());
                    }
                    _ => self.unknown("a resource whose contents are not all in the records"),
                }
            }
            RecordKind::Block { op, res, timed, .. } if *op != Op::Sleep => {
                let queue = is_queue(&self.kinds, *res);
                if *timed {
                    self.unknown("a wait with a timeout");
                } else if queue && matches!(op, Op::Put | Op::PutNowait) {
                    self.unknown("a put waiting for room (its item is in no record until it is moved in)");
                } else if let Some(res) = res {
                    let pool = self.pools.contains_key(res);
                    if (queue && matches!(op, Op::Get | Op::GetNowait)) || (pool && *op == Op::Get) {
                        self.getters.entry(*res).or_default().push(r.lane);
                    }
                    // One process in a pool's join (its creator): no order of waiters.
                    let idle = self.getters.get(res).cloned().unwrap_or_default();
                    if pool && *op == Op::PoolJoin && self.blocked.iter().any(|(l, b)| b == res && *l != r.lane && !idle.contains(l)) {
                        self.unknown("two processes in one pool's join");
                    }
                    self.blocked.insert(r.lane, *res);
                }
            }
            RecordKind::Timeout { .. } => self.unknown("a wait that timed out"),
            // A worker finishing a task with a callback hands it to the
            // creator in `join`: whether a callback ran is the creator's
            // memory, which no record shows.
            RecordKind::Wake { op: Op::PoolJoin, .. } => self.unknown("a pool's callback"),
            RecordKind::Signal { .. } => self.unknown("a signal"),
            RecordKind::Report { key, value } => {
                self.reports.insert(key.clone(), value.to_string());
            }
            _ => {}
        }
        match &r.kind {
            RecordKind::Locals { text } if r.lane != Lane::CONDUCTOR && text.starts_with("KW\t") => self.worker_between_tasks(r.lane, text, r.line),
            RecordKind::Locals { text } if r.lane != Lane::CONDUCTOR => {
                // The digests of a threaded process's memory (`KF`, `KG`)
                // are kept apart: the globals are the process's.
                let own: Vec<&str> = text.lines().filter(|l| !l.starts_with("KF\t") && !l.starts_with("KG\t")).collect();
                self.locals.insert(r.lane, own.join("\n"));
                let line = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
                if let Some(&root) = self.thread_root.get(&r.lane)
                    && let (Some(kf), Some(kg)) = (line("KF\t"), line("KG\t"))
                {
                    self.frames.insert(r.lane, kf);
                    self.globals.insert(root, kg);
                    self.stale.remove(&root);
                }
            }
            RecordKind::Ended { process, .. } => {
                self.ended.insert(*process);
            }
            _ => {}
        }
        // Code of a threaded process ran after this record (an op done, a
        // line printed, a resource made): its globals may have changed
        // until one of its lanes sends its variables at its next gate. Not
        // after a thread's `exit` (its code has returned: what follows is
        // `threading`'s own).
        let thread_exit = matches!(r.kind, RecordKind::Op { op: Op::Exit, .. }) && self.thread_root.get(&r.lane).is_some_and(|root| *root != r.lane);
        if !thread_exit
            && !matches!(r.kind, RecordKind::Locals { .. } | RecordKind::Park | RecordKind::Grant { .. } | RecordKind::Mode { .. } | RecordKind::Block { .. } | RecordKind::Closing)
            && let Some(&root) = self.thread_root.get(&r.lane)
        {
            self.stale.insert(root);
        }
        if let RecordKind::Wake { woken, res, .. } = &r.kind {
            self.blocked.remove(woken);
            if let Some(g) = res.and_then(|x| self.getters.get_mut(&x)) {
                g.retain(|l| l != woken);
            }
        } else if r.lane != Lane::CONDUCTOR && !matches!(r.kind, RecordKind::Block { .. } | RecordKind::Park) {
            self.blocked.remove(&r.lane);
        }
        if let Some(it) = item(r, &self.kinds, self.dump) {
            self.hist.entry(about).or_default().push(it);
        }
    }

    fn effects(&mut self, f: &Footprint) {
        for e in &f.effects {
            match *e {
                Effect::Op { op, res, succeeded, after } => match (self.kinds.get(&res), op) {
                    (Some(ResKind::Lock), Op::Acquire) if succeeded => {
                        self.holder.insert(res, f.lane);
                    }
                    (Some(ResKind::Lock), Op::Release) => {
                        self.holder.remove(&res);
                    }
                    (Some(ResKind::Semaphore | ResKind::BoundedSemaphore), Op::Acquire | Op::Release) => {
                        self.sem.insert(res, after);
                    }
                    _ => {}
                },
                Effect::Handed { res, woken } => {
                    self.holder.insert(res, woken);
                }
                _ => {}
            }
        }
    }

    /// A queue's op (see `runtime::ipc::queue` for what its record's values
    /// say): the queue's items follow its puts and gets (`d`, the item's
    /// digest); an item a put handed to a blocked getter is that getter's
    /// until its get takes it. The depth the record gives after (`a`) must
    /// be what this makes of it, or the queue is not followed (an item moved
    /// in by a getter from a blocked putter, a feeder thread's).
    fn queue_op(&mut self, r: &Record) {
        let RecordKind::Op { op, res: Some(res), other, a, b, c, d, .. } = &r.kind else { return };
        let (res, c, d) = (*res, *c, *d);
        if self.unfinished.contains_key(&res) {
            self.unfinished.insert(res, *b);
        }
        let Some(q) = self.queues.get_mut(&res) else { return };
        let ok = match op {
            Op::Put | Op::PutNowait => match (c, other) {
                (-1, _) => true,
                (0, None) if d != 0 => {
                    q.push_back(d);
                    true
                }
                (1, Some(getter)) if d != 0 => {
                    self.handed.insert(*getter, d);
                    true
                }
                _ => false,
            },
            Op::Get | Op::GetNowait => match (c, other) {
                (-1, _) => true,
                (0, None) => q.pop_front().is_some_and(|x| x == d),
                (1, None) => self.handed.remove(&r.lane).is_some_and(|x| x == d),
                _ => false,
            },
            Op::Qsize | Op::Empty | Op::Full | Op::TaskDone | Op::QueueJoin => true,
            _ => false,
        };
        let q = &self.queues[&res];
        if !ok || q.len() as i64 != *a {
            self.unknown("a queue's items not followed (an item moved in from a blocked put or a feeder thread, an op of its own)");
        }
    }

    /// An op on a Pool or an AsyncResult (see `runtime::ipc::pool` for what
    /// its record's values say): the pool's pending tasks follow the
    /// submissions and the workers' takes, first in first out; a
    /// submission first hands a task to each idle worker, in the order
    /// they wait ([`Tracker::getters`]). The counts the record gives after
    /// (`a` pending, `b` running; a result's parts done) must be what this
    /// makes of them, or the pool is not followed. A callback (the lowest
    /// bit of a submission's digest), a result read and every other op are
    /// not followed.
    fn pool_op(&mut self, r: &Record) {
        let RecordKind::Op { op, res: Some(res), a, b, c, d, .. } = &r.kind else { return };
        let (res, a, b, c, d) = (*res, *a, *b, *c, *d);
        if let Some(parts) = self.results.get_mut(&res) {
            if *op == Op::Put && d != 0 {
                let at = parts.partition_point(|x| *x < d);
                parts.insert(at, d);
                if parts.len() as i64 == a {
                    return;
                }
            }
            return self.unknown("an AsyncResult read, or its parts not followed");
        }
        let getters = self.getters.get(&res).cloned().unwrap_or_default();
        let Some(pool) = self.pools.get_mut(&res) else { return };
        let ok = match op {
            Op::Start | Op::PoolJoin => true,
            Op::Apply | Op::ApplyAsync | Op::Map if d & 1 == 0 && c >= 0 => {
                let handed = getters.len().min(c as usize);
                for (index, worker) in getters.iter().take(handed).enumerate() {
                    self.handed.insert(*worker, hash_of(&(d, index)) as i64);
                }
                pool.running += handed as i64;
                pool.pending.push_back((d, c, handed as i64));
                true
            }
            Op::Get => match c {
                -1 => true,
                0 => match pool.pending.front_mut() {
                    Some(front) => {
                        front.2 += 1;
                        if front.2 >= front.1 {
                            pool.pending.pop_front();
                        }
                        pool.running += 1;
                        true
                    }
                    None => false,
                },
                1 => self.handed.remove(&r.lane).is_some(),
                _ => false,
            },
            Op::TaskDone => {
                pool.running -= 1;
                true
            }
            Op::PoolClose => {
                pool.closed = true;
                true
            }
            _ => false,
        };
        pool.pending.retain(|(_, n, t)| t < n);
        let pool = &self.pools[&res];
        if !ok || pool.pending() != a || pool.running != b {
            self.unknown("a pool's tasks not followed (a callback, a terminate, an op of its own)");
        }
    }

    /// A pool worker about to take its next task sent its memory (`KW`,
    /// `forkscope_rt.send_memory_at_take`): in no frame of the user's file,
    /// it is what its memory is — the program's globals, `random`'s state,
    /// the tasks it may still take, the seconds it slept (for a clock it
    /// reads) —, not how it got there. Its history and steps start again
    /// here with that memory, so a worker that ran tasks 1 and 3 and one
    /// that ran 2 and 4 meet when their memories are equal. Not for a
    /// process with threads or children (their lanes name it), nor one
    /// that made a resource (see [`Tracker::made`]).
    fn worker_between_tasks(&mut self, lane: Lane, text: &str, line: u32) {
        if self.thread_root.contains_key(&lane) || self.made.contains(&lane) || self.parent.values().any(|p| *p == lane) {
            return;
        }
        let mut parts = text.trim_start_matches("KW\t").split('\t');
        let (memory, slept) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let h = hash_of(&("between tasks", memory, slept));
        let free = hash_of(&("between tasks", memory));
        let text = self.dump.then(|| format!("line {line}: between tasks, memory {memory}, slept {slept}").into_boxed_str());
        self.hist.insert(lane, vec![Item { h, free, refs: Vec::new(), text }]);
        self.steps.insert(lane, 0);
        self.locals.insert(lane, String::new());
    }

    /// A process waits where the order of waiters is not in the records:
    /// on anything but an Event (whose `set` wakes every waiter at once)
    /// or a queue (its getters' order is kept; `join` wakes all).
    fn waits_unknown(&self) -> bool {
        self.blocked.values().any(|r| !matches!(self.kinds.get(r), Some(ResKind::Event | ResKind::Queue | ResKind::JoinableQueue | ResKind::Pool)))
    }

    /// What a lane of a threaded process holds that no record shows: its
    /// frames' variables at its gate and, for the process's main lane, the
    /// module's globals (threads share them), each by a digest of the full
    /// reprs (`forkscope_rt.memory_text`). `Ok(None)` for a lane of a
    /// process without threads, or one that ended; `Err` when they are not
    /// all known (not sent, a repr too long, code run since).
    fn memory(&self, lane: Lane) -> Result<Option<u64>, ()> {
        let Some(&root) = self.thread_root.get(&lane) else { return Ok(None) };
        if self.ended.contains(&lane) {
            return Ok(None);
        }
        let known = |d: Option<&String>| d.filter(|d| d.as_str() != "?").cloned().ok_or(());
        let own = known(self.frames.get(&lane))?;
        let globals = if lane == root {
            if self.stale.contains(&root) {
                return Err(());
            }
            Some(known(self.globals.get(&root))?)
        } else {
            None
        };
        Ok(Some(hash_of(&(own, globals))))
    }

    /// A threaded process's memory is not all known now (see [`Tracker::memory`]).
    fn threads_unknown(&self) -> bool {
        self.thread_root.keys().any(|l| self.memory(*l).is_err())
    }

    /// What `lane` waits on, where it stands among the getters blocked on
    /// a queue, and the item a put handed it (what a twin must share).
    fn waiting(&self, lane: Lane) -> (Option<&ResId>, Option<usize>, Option<&i64>) {
        let getter_at = self.getters.values().find_map(|g| g.iter().position(|l| *l == lane));
        (self.blocked.get(&lane), getter_at, self.handed.get(&lane))
    }

    /// The processes the state has (every lane but the conductor's).
    fn lanes(&self) -> std::collections::BTreeSet<Lane> {
        self.hist.keys().chain(self.steps.keys()).chain(self.parent.keys()).copied().filter(|l| *l != Lane::CONDUCTOR).collect()
    }

    /// Why the state now is not known, if it is not.
    fn not_known(&self) -> Option<&'static str> {
        if let Some(why) = self.opaque {
            Some(why)
        } else if self.waits_unknown() {
            Some("a process waits where the order of waiters is not in the records")
        } else if self.threads_unknown() {
            Some("a threaded process's memory is not all known now")
        } else {
            None
        }
    }

    /// The state now as a *position*, for finding a cycle within one run
    /// (a program that loops forever and comes back to where it was), or
    /// `None` when it is not known (as for [`Tracker::key`]). A live
    /// process is where it stands — its variables at its gate (every frame
    /// of the program's file, its line, each variable's repr: the `Locals`
    /// record) and its last record (the op it took last, with its values:
    /// what a statement half done holds, as `v.value += 1` between its load
    /// and its store) — not how it got there; a process whose variables
    /// are not all shown (a repr cut short, variables or frames left out,
    /// none sent yet) is its history, so it never repeats. An ended process
    /// is its history. The shared state is as in the key. No renaming: a
    /// cycle is within one run.
    pub fn position(&self) -> Option<u64> {
        if self.not_known().is_some() {
            return None;
        }
        let lanes = self.lanes();
        let per: Vec<(Lane, u64)> = lanes
            .iter()
            .map(|&l| {
                let items: Vec<u64> = self.hist.get(&l).map(|v| v.iter().map(|i| i.h).collect()).unwrap_or_default();
                let shown = self.locals.get(&l).filter(|t| all_shown(t));
                let h = match shown {
                    Some(text) if !self.ended.contains(&l) => hash_of(&(0u8, text, items.last())),
                    _ => hash_of(&(1u8, self.steps.get(&l), items)),
                };
                (l, hash_of(&(self.parent.get(&l), self.target.get(&l), self.args.get(&l), (self.blocked.get(&l), self.handed.get(&l)), h, self.memory(l).ok())))
            })
            .collect();
        Some(hash_of(&(per, &self.files, &self.reports, &self.kinds, &self.holder, &self.sem, &self.flags, (&self.queues, &self.unfinished, &self.getters), (&self.pools, &self.results))))
    }

    /// The state now as the key sees it, for a person (`FORKSCOPE_KEYS`):
    /// each process (lane, target, arguments' key, steps, waiting, ended)
    /// with its history's records as hashed (with [`Tracker::dump`] on),
    /// then the shared state. Two states that should meet and do not
    /// differ somewhere in these lines.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let lanes = self.lanes();
        for l in lanes {
            let _ = writeln!(
                out,
                "  process {} target {:?} args {:?} parent {:?} steps {} waits on {:?} ended {}",
                l.0,
                self.target.get(&l).map(String::as_str).unwrap_or("-"),
                self.args.get(&l).map(String::as_str).unwrap_or("-"),
                self.parent.get(&l).map(|p| p.0),
                self.steps.get(&l).copied().unwrap_or(0),
                self.blocked.get(&l).map(|r| r.0),
                self.ended.contains(&l)
            );
            for i in self.hist.get(&l).into_iter().flatten() {
                let _ = writeln!(out, "    {}", i.text.as_deref().unwrap_or("(text not kept)"));
            }
        }
        let holders: BTreeMap<u32, u32> = self.holder.iter().map(|(r, l)| (r.0, l.0)).collect();
        let _ = writeln!(out, "  files {:?} reports {:?} lock holders {:?} semaphores {:?} events {:?} queues {:?}", self.files, self.reports, holders, self.sem, self.flags, self.queues);
        if !self.pools.is_empty() {
            let _ = writeln!(out, "  pools {:?} results {:?} handed {:?}", self.pools, self.results, self.handed);
        }
        if let Some(why) = self.not_known() {
            let _ = writeln!(out, "  not known: {why}");
        }
        out
    }

    /// What makes `lane` a twin of another process (see [`Keyed::twins`]),
    /// as a number, now: equal for two processes that would be twins here
    /// (`None` when the state is not known, symmetry is off, or `lane` is
    /// in no class or started a process).
    pub fn twin_shape(&self, lane: Lane) -> Option<u64> {
        if self.no_symmetry || self.not_known().is_some() || self.parent.values().any(|p| *p == lane) {
            return None;
        }
        let class = (self.target.get(&lane)?, self.args.get(&lane)?);
        let in_class = |l: Lane| self.target.get(&l) == Some(class.0) && self.args.get(&l) == Some(class.1);
        // Another process names a process of a class by its class alone.
        let name = |l: Lane| if in_class(l) { Lane(0x8000_0000) } else { l };
        let h = |i: &Item| if self.locals.contains_key(&lane) { i.free } else { i.h };
        let hist: Vec<(u64, Vec<Lane>)> = self.hist.get(&lane).map(|v| v.iter().map(|i| (h(i), i.refs.iter().map(|r| name(*r)).collect())).collect()).unwrap_or_default();
        let held: Vec<ResId> = self.holder.iter().filter(|(_, h)| **h == lane).map(|(r, _)| *r).collect();
        let parent = self.parent.get(&lane).map(|p| name(*p));
        Some(hash_of(&(class, parent, self.steps.get(&lane), self.ended.contains(&lane), self.waiting(lane), hist, held, self.memory(lane).ok())))
    }

    /// The key of the state now, or `None` when it is not known.
    pub fn key(&self) -> Option<Keyed> {
        if self.not_known().is_some() {
            return None;
        }
        let lanes: Vec<Lane> = self.lanes().into_iter().collect();
        // A record's hash in the key: a sleep's length left out for a
        // Python process (one that sent its variables: it says when it reads
        // a clock, which the search then sees below the state; see
        // [`Keyed::exact`]).
        let h = |l: Lane, i: &Item| if self.locals.contains_key(&l) { i.free } else { i.h };
        // What a process is, lanes left out: its code, its arguments' key, its history.
        // (The exact history breaks ties: processes equal up to their
        // sleeps' lengths are renamed in one order for the exact key too.)
        let shape = |l: Lane| {
            let items: Vec<(u64, u64)> = self.hist.get(&l).map(|v| v.iter().map(|i| (h(l, i), i.h)).collect()).unwrap_or_default();
            let free: Vec<u64> = items.iter().map(|i| i.0).collect();
            (hash_of(&(self.target.get(&l), self.args.get(&l), self.steps.get(&l), self.waiting(l), free, self.memory(l).ok())), hash_of(&items))
        };
        // Interchangeable processes: the same target and arguments' key.
        let mut classes: BTreeMap<(&String, &String), Vec<Lane>> = BTreeMap::new();
        if !self.no_symmetry {
            for &l in &lanes {
                if let (Some(t), Some(a)) = (self.target.get(&l), self.args.get(&l)) {
                    classes.entry((t, a)).or_default().push(l);
                }
            }
        }
        let mut rename: BTreeMap<Lane, Lane> = lanes.iter().map(|l| (*l, *l)).collect();
        for members in classes.values().filter(|m| m.len() > 1) {
            let mut by_shape = members.clone();
            by_shape.sort_by_key(|l| (shape(*l), *l));
            for (slot, l) in members.iter().zip(by_shape) {
                rename.insert(l, *slot);
            }
        }
        let canon = |l: Lane| rename.get(&l).copied().unwrap_or(l);
        // Another process names an interchangeable one by its class alone:
        // which of them it started first, joined, was woken by is a name.
        let class_of: BTreeMap<Lane, u32> = classes.values().filter(|m| m.len() > 1).enumerate().flat_map(|(i, m)| m.iter().map(move |l| (*l, i as u32))).collect();
        let name = |l: Lane| class_of.get(&l).map_or(canon(l), |c| Lane(0x8000_0000 | c));
        let holders: BTreeMap<ResId, Lane> = self.holder.iter().map(|(r, l)| (*r, canon(*l))).collect();
        // A queue's blocked getters in their order, each by its name in the key.
        let getters: BTreeMap<ResId, Vec<Lane>> = self.getters.iter().map(|(r, g)| (*r, g.iter().map(|l| canon(*l)).collect())).collect();
        let key_with = |exact: bool| {
            let mut per: Vec<ProcessKey> = lanes
                .iter()
                .map(|&l| {
                    let hist = self.hist.get(&l).map(|v| v.iter().map(|i| (if exact { i.h } else { h(l, i) }, i.refs.iter().map(|r| name(*r)).collect())).collect()).unwrap_or_default();
                    (canon(l), self.parent.get(&l).map(|p| name(*p)), self.target.get(&l), self.args.get(&l), self.steps.get(&l), (self.blocked.get(&l), self.handed.get(&l), self.memory(l).ok().flatten()), hist)
                })
                .collect();
            per.sort_by_key(|p| p.0);
            hash_of(&(per, &self.files, &self.reports, &self.kinds, &holders, &self.sem, &self.flags, (&self.queues, &self.unfinished, &getters), (&self.pools, &self.results)))
        };
        let (key, exact) = (key_with(false), key_with(true));
        // Twins: in one class, equal in all the key says of them but their lane.
        let mut twins = BTreeMap::new();
        for (c, members) in classes.values().filter(|m| m.len() > 1).enumerate() {
            let alike = |l: Lane| {
                let hist: Vec<(u64, Vec<Lane>)> = self.hist.get(&l).map(|v| v.iter().map(|i| (h(l, i), i.refs.iter().map(|r| name(*r)).collect())).collect()).unwrap_or_default();
                let held: Vec<ResId> = self.holder.iter().filter(|(_, h)| **h == l).map(|(r, _)| *r).collect();
                hash_of(&(c, self.parent.get(&l).map(|p| name(*p)), self.steps.get(&l), self.ended.contains(&l), self.waiting(l), hist, held, self.memory(l).ok()))
            };
            let groups: Vec<(Lane, u64)> = members.iter().map(|l| (*l, alike(*l))).collect();
            // A process that started others is no one's twin: swapping it
            // would swap its children too.
            let parents: std::collections::BTreeSet<Lane> = self.parent.values().copied().collect();
            for (l, g) in groups.iter().filter(|(l, _)| !parents.contains(l)) {
                if groups.iter().filter(|(x, h)| h == g && !parents.contains(x)).count() > 1 {
                    twins.insert(*l, *g);
                }
            }
        }
        Some(Keyed { key, exact, rename, twins })
    }
}

/// Whether a `Locals` text shows every variable in full: no variables or
/// frames left out (the writer sends at most 4 frames), no repr cut short
/// (`…`, or reprlib's `...`).
fn all_shown(text: &str) -> bool {
    let frames = text.lines().filter(|l| l.starts_with("F\t")).count();
    frames > 0 && frames < 4 && !text.lines().any(|l| l.starts_with("M\t")) && !text.contains('…') && !text.contains("...")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(lane: u32, kind: RecordKind) -> Record {
        Record { seq: 0, t_ns: 0, lane: Lane(lane), line: 3, gates: 0, kind }
    }
    fn spawn(child: u32) -> Record {
        rec(1, RecordKind::Spawn { child: Lane(child), pid: 100 + child as i32, ppid: 100, daemon: false, name: format!("Process-{child}"), target: "buy".into() })
    }
    fn read(lane: u32, digest: i64) -> Record {
        rec(lane, RecordKind::Op { op: Op::ReadJson, res: None, other: None, a: 12, b: digest, c: 0, d: 0, detail: Some("ticket\t{\"count\": 2}".into()) })
    }
    fn tracker(no_symmetry: bool, order: &[u32]) -> Tracker {
        let mut t = Tracker::new(no_symmetry);
        let key = |_: Lane| Some("k".to_string());
        t.step(Some(Lane(1)), &[spawn(2), spawn(3)], None, &key);
        for (n, &l) in order.iter().enumerate() {
            t.step(Some(Lane(l)), &[read(l, 7 + n as i64)], None, &key);
        }
        t
    }

    #[test]
    fn two_buyers_that_did_the_same_in_either_order_are_one_state_up_to_their_names() {
        let (a, b) = (tracker(false, &[2, 3]), tracker(false, &[3, 2]));
        let (ka, kb) = (a.key().unwrap(), b.key().unwrap());
        assert_eq!(ka.key, kb.key);
        // Renamed: Process 2 of one run is Process 3 of the other.
        assert_eq!(ka.to_canon(Lane(2)), kb.to_canon(Lane(3)));
        // Without symmetry they differ: each buyer read another content.
        assert_ne!(tracker(true, &[2, 3]).key().unwrap().key, tracker(true, &[3, 2]).key().unwrap().key);
    }

    #[test]
    fn the_dump_of_a_state_shows_what_tells_two_states_apart() {
        // Two buyers that read other contents: the dump shows each read's
        // content, the one place the two states differ.
        let dump = |digest: i64| {
            let mut t = Tracker { dump: true, ..Tracker::new(false) };
            let key = |_: Lane| Some("k".to_string());
            t.step(Some(Lane(1)), &[spawn(2)], None, &key);
            t.step(Some(Lane(2)), &[read(2, digest)], None, &key);
            t.describe()
        };
        let (a, b) = (dump(7), dump(8));
        assert_ne!(a, b);
        let differ: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
        assert_eq!(differ.len(), 1, "{a}\n{b}");
        assert!(differ[0].0.contains("line 3:") && differ[0].0.contains("read_json") && differ[0].0.contains(r#"\"count\": 2"#), "{}", differ[0].0);
        assert!(a.contains("process 2 target \"buy\" args \"k\" parent Some(1) steps 1 waits on None ended false"), "{a}");
        // Not kept without the dump: the key's work stays as it was.
        let mut t = Tracker::new(false);
        t.step(Some(Lane(2)), &[read(2, 7)], None, &|_| None);
        assert!(t.describe().contains("(text not kept)"));
    }

    #[test]
    fn what_a_process_read_and_a_file_it_wrote_tell_states_apart() {
        let (a, b) = (tracker(false, &[2]), tracker(false, &[3]));
        assert_eq!(a.key().unwrap().key, b.key().unwrap().key);
        let mut c = tracker(false, &[2]);
        c.step(Some(Lane(3)), &[read(3, 99)], None, &|_| None);
        let mut d = tracker(false, &[2]);
        d.step(Some(Lane(3)), &[read(3, 98)], None, &|_| None);
        assert_ne!(c.key().unwrap().key, d.key().unwrap().key);
        let mut e = tracker(false, &[2]);
        e.step(Some(Lane(2)), &[rec(2, RecordKind::Op { op: Op::WriteJson, res: None, other: None, a: 1, b: 5, c: 0, d: 0, detail: Some("ticket\t".into()) })], None, &|_| None);
        let mut f = tracker(false, &[2]);
        f.step(Some(Lane(2)), &[rec(2, RecordKind::Op { op: Op::WriteJson, res: None, other: None, a: 1, b: 6, c: 0, d: 0, detail: Some("ticket\t".into()) })], None, &|_| None);
        assert_ne!(e.key().unwrap().key, f.key().unwrap().key);
    }

    fn locals(lane: u32, text: &str) -> Record {
        rec(lane, RecordKind::Locals { text: text.into() })
    }
    fn sleep(lane: u32) -> Record {
        rec(lane, RecordKind::Op { op: Op::Sleep, res: None, other: None, a: 1000, b: 0, c: 0, d: 0, detail: None })
    }

    #[test]
    fn a_process_back_where_it_was_with_the_same_variables_is_at_the_same_position() {
        let mut t = tracker(false, &[]);
        let shown = "F\tloop\t12\nV\tn\t3";
        t.step(Some(Lane(2)), &[sleep(2), locals(2, shown)], None, &|_| None);
        let first = t.position().unwrap();
        t.step(Some(Lane(2)), &[sleep(2), locals(2, shown)], None, &|_| None);
        assert_eq!(t.position().unwrap(), first, "one more turn of the loop, nothing else changed");
        // The history-keyed state never repeats.
        let mut u = tracker(false, &[]);
        u.step(Some(Lane(2)), &[sleep(2), locals(2, shown)], None, &|_| None);
        let k = u.key().unwrap().key;
        u.step(Some(Lane(2)), &[sleep(2), locals(2, shown)], None, &|_| None);
        assert_ne!(u.key().unwrap().key, k);
        // Another value of a variable is another position.
        t.step(Some(Lane(2)), &[sleep(2), locals(2, "F\tloop\t12\nV\tn\t4")], None, &|_| None);
        assert_ne!(t.position().unwrap(), first);
    }

    #[test]
    fn the_last_op_a_variable_cut_short_or_an_end_tell_positions_apart() {
        // Two reads on one line with the same variables (`a = f() + g()`
        // half done): what the last one returned tells them apart.
        let shown = "F\twork\t9\nV\t_\t0";
        let mut t = tracker(false, &[]);
        t.step(Some(Lane(2)), &[read(2, 5), locals(2, shown)], None, &|_| None);
        let a = t.position().unwrap();
        t.step(Some(Lane(2)), &[read(2, 6), locals(2, shown)], None, &|_| None);
        assert_ne!(t.position().unwrap(), a);
        // Variables not all shown: the history, which never repeats.
        for cut in ["F\tf\t3\nV\ts\t'abc…", "F\tf\t3\nV\tl\t[1, 2, ...]", "F\tf\t3\nM\t2"] {
            let mut t = tracker(false, &[]);
            t.step(Some(Lane(2)), &[sleep(2), locals(2, cut)], None, &|_| None);
            let a = t.position().unwrap();
            t.step(Some(Lane(2)), &[sleep(2), locals(2, cut)], None, &|_| None);
            assert_ne!(t.position().unwrap(), a, "{cut}");
        }
    }

    #[test]
    fn buyers_with_the_same_history_are_twins_and_one_that_read_is_not() {
        // Both started, neither stepped: twins.
        let t = tracker(false, &[]);
        let k = t.key().unwrap();
        assert!(k.twins(Lane(2), Lane(3)));
        assert_eq!(k.twins_of(Lane(2)).collect::<Vec<_>>(), vec![Lane(3)]);
        // One read the file: no longer.
        let k = tracker(false, &[2]).key().unwrap();
        assert!(!k.twins(Lane(2), Lane(3)) && k.twins.is_empty());
        // Both read the same content: twins again.
        let mut u = tracker(false, &[]);
        u.step(Some(Lane(2)), &[read(2, 7)], None, &|_| None);
        u.step(Some(Lane(3)), &[read(3, 7)], None, &|_| None);
        assert!(u.key().unwrap().twins(Lane(2), Lane(3)));
        // Another parent, or a child of its own: not twins.
        let mut v = tracker(false, &[]);
        v.step(Some(Lane(2)), &[rec(2, RecordKind::Spawn { child: Lane(4), pid: 104, ppid: 102, daemon: false, name: "Process-2:1".into(), target: "buy".into() })], None, &|_| Some("k".to_string()));
        let k = v.key().unwrap();
        assert!(!k.twins(Lane(2), Lane(3)) && !k.twins(Lane(3), Lane(4)), "{:?}", k.twins);
        // Symmetry off: no twins.
        assert!(tracker(true, &[]).key().unwrap().twins.is_empty());
        // What would make a twin: buyer 3 before its read is where buyer 2
        // was before its own; a parent is no one's twin.
        let before = tracker(false, &[]).twin_shape(Lane(2));
        assert!(before.is_some() && before == tracker(false, &[2]).twin_shape(Lane(3)));
        assert_ne!(tracker(false, &[2]).twin_shape(Lane(2)), before);
        assert_eq!((v.twin_shape(Lane(2)), tracker(false, &[]).twin_shape(Lane(1)), tracker(true, &[]).twin_shape(Lane(2))), (None, None, None));
    }

    fn sleep_for(lane: u32, micros: i64) -> Record {
        rec(lane, RecordKind::Op { op: Op::Sleep, res: None, other: None, a: micros, b: 1, c: 0, d: 0, detail: None })
    }

    #[test]
    fn a_sleeps_length_is_left_out_of_a_python_processs_key_and_kept_in_the_exact_one() {
        // Two people of one class slept 1 s and 3 s (each its own random
        // draw) and sent their variables: one state up to names; the exact
        // key (for a subtree where a clock is read) tells them apart.
        let run = |first: i64, second: i64| {
            let mut t = tracker(false, &[]);
            t.step(Some(Lane(2)), &[sleep_for(2, first), locals(2, "F\tktv\t12")], None, &|_| None);
            t.step(Some(Lane(3)), &[sleep_for(3, second), locals(3, "F\tktv\t12")], None, &|_| None);
            t.key().unwrap()
        };
        let (a, b, c) = (run(1_000_000, 3_000_000), run(3_000_000, 1_000_000), run(2_000_000, 2_000_000));
        assert_eq!((a.key, a.exact), (b.key, b.exact), "the same lengths, names swapped");
        assert_eq!(a.key, c.key);
        assert_ne!(a.exact, c.exact);
        // Twins: the same history, lengths aside.
        assert!(a.twins(Lane(2), Lane(3)) && c.twins(Lane(2), Lane(3)));
        // A process that never sent its variables (a Rhai lesson's, whose
        // clock reads are not known) keeps its sleeps' lengths.
        let rhai = |micros: i64| {
            let mut t = tracker(false, &[]);
            t.step(Some(Lane(2)), &[sleep_for(2, micros)], None, &|_| None);
            t.key().unwrap().key
        };
        assert_ne!(rhai(1_000_000), rhai(3_000_000));
    }

    #[test]
    fn a_semaphores_count_is_in_the_shared_state_not_in_the_history_of_who_took_it() {
        let sem = rec(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Semaphore, name: "sem".into(), capacity: 4 });
        let acquire = |lane: u32, after: i64| rec(lane, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: after, c: 0, d: 0, detail: None });
        let grant = |lane: u32, after: i64| {
            Footprint { lane: Lane(lane), effects: vec![Effect::Op { op: Op::Acquire, res: ResId(0), succeeded: true, after }], ..Footprint::default() }
        };
        // Person 2 takes a room first (4 → 3), then person 3 (3 → 2); or
        // the other way round: one state, names swapped.
        let run = |order: [u32; 2]| {
            let mut t = tracker(false, &[]);
            t.step(Some(Lane(1)), &[sem.clone()], None, &|_| None);
            for (n, l) in order.into_iter().enumerate() {
                let after = 3 - n as i64;
                t.step(Some(Lane(l)), &[acquire(l, after)], Some(&grant(l, after)), &|_| None);
            }
            t.key().unwrap()
        };
        let (a, b) = (run([2, 3]), run([3, 2]));
        assert_eq!(a.key, b.key);
        assert!(a.twins(Lane(2), Lane(3)), "both hold a room, the count is the semaphore's");
        // Only one took a room: another state (the semaphore's value differs).
        let mut one = tracker(false, &[]);
        one.step(Some(Lane(1)), &[sem.clone()], None, &|_| None);
        one.step(Some(Lane(2)), &[acquire(2, 3)], Some(&grant(2, 3)), &|_| None);
        assert_ne!(one.key().unwrap().key, a.key);
    }

    #[test]
    fn an_events_flag_and_who_waits_on_it_are_in_the_key() {
        let ev = rec(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Event, name: "e".into(), capacity: 0 });
        let on = |lane: u32, op: Op, a: i64| rec(lane, RecordKind::Op { op, res: Some(ResId(0)), other: None, a, b: 0, c: 0, d: 0, detail: None });
        let block = |lane: u32| rec(lane, RecordKind::Block { op: Op::Wait, res: Some(ResId(0)), other: None, holder: None, timed: false });
        let start = || {
            let mut t = tracker(false, &[]);
            t.step(Some(Lane(1)), &[ev.clone()], None, &|_| None);
            t
        };
        // The flag is in the state (and in the position).
        let mut set = start();
        set.step(Some(Lane(1)), &[on(1, Op::Set, 0)], None, &|_| None);
        let mut cleared = set.clone();
        cleared.step(Some(Lane(1)), &[on(1, Op::Clear, 0)], None, &|_| None);
        assert_ne!(set.key().unwrap().key, start().key().unwrap().key);
        assert!(set.position().is_some() && set.position() != cleared.position());
        // A car blocked in wait is keyed (an Event wakes all its waiters:
        // their order is no part of the state), and differs from one that
        // was woken and has not yet stepped.
        let mut waits = start();
        waits.step(Some(Lane(2)), &[on(2, Op::IsSet, 0), block(2)], None, &|_| None);
        let k = waits.key().expect("a wait on an Event is keyed");
        let mut woken = waits.clone();
        woken.step(Some(Lane(1)), &[on(1, Op::Set, 1), rec(1, RecordKind::Wake { op: Op::Wait, res: Some(ResId(0)), woken: Lane(2) })], None, &|_| None);
        assert_ne!(woken.key().unwrap().key, k.key);
        // Two cars, either one waiting: one state up to names; both waiting
        // are twins.
        let mut other = start();
        other.step(Some(Lane(3)), &[on(3, Op::IsSet, 0), block(3)], None, &|_| None);
        assert_eq!(other.key().unwrap().key, k.key);
        waits.step(Some(Lane(3)), &[on(3, Op::IsSet, 0), block(3)], None, &|_| None);
        assert!(waits.key().unwrap().twins(Lane(2), Lane(3)));
        // A wait on a Lock is not keyed (the order of its waiters is not in the records).
        let mut lock = tracker(false, &[]);
        lock.step(Some(Lane(1)), &[rec(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "l".into(), capacity: 0 })], None, &|_| None);
        lock.step(Some(Lane(2)), &[rec(2, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(3)), timed: false })], None, &|_| None);
        assert!(lock.key().is_none() && lock.position().is_none());
    }

    #[test]
    fn a_thread_a_content_without_digest_or_a_put_waiting_for_room_make_the_state_unknown() {
        let mut t = tracker(false, &[2]);
        t.step(Some(Lane(3)), &[read(3, 0)], None, &|_| None);
        assert!(t.key().is_none());
        let mut q = queue_run(&[]);
        assert!(q.key().is_some(), "a queue is keyed");
        q.step(Some(Lane(2)), &[rec(2, RecordKind::Block { op: Op::Put, res: Some(ResId(0)), other: None, holder: None, timed: false })], None, &|_| None);
        assert!(q.key().is_none(), "its item is in no record");
        // A get whose depth after is not what the puts and gets make of it
        // (an item moved in from a feeder thread): not followed.
        let mut f = queue_run(&[]);
        f.step(Some(Lane(3)), &[get(3, 0, 5, 0, None)], None, &|_| None);
        assert!(f.key().is_none());
        let mut th = tracker(false, &[2]);
        th.step(Some(Lane(1)), &[rec(1, RecordKind::Spawn { child: Lane(4), pid: 100, ppid: 1, daemon: false, name: "t".into(), target: "threading.Thread".into() })], None, &|_| None);
        assert!(th.key().is_none());
    }

    #[test]
    fn a_threaded_process_is_keyed_by_its_memory_known_only_at_a_gate() {
        let thread = |child: u32| rec(1, RecordKind::Spawn { child: Lane(child), pid: 100, ppid: 100, daemon: false, name: format!("t{child}"), target: "threading.Thread".into() });
        let mem = |lane: u32, kf: &str, kg: &str| locals(lane, &format!("F\tf\t3\nKF\t{kf}\nKG\t{kg}"));
        let op = |lane: u32| rec(lane, RecordKind::Op { op: Op::Sleep, res: None, other: None, a: 0, b: 1, c: 0, d: 0, detail: None });
        let run = |kg: &str| {
            let mut t = Tracker::new(false);
            t.step(Some(Lane(1)), &[thread(2), thread(3), mem(1, "a", "g0")], None, &|_| Some("k".to_string()));
            t.step(Some(Lane(2)), &[mem(2, "b", "g0")], None, &|_| None);
            t.step(Some(Lane(3)), &[mem(3, "b", "g0")], None, &|_| None);
            // Thread 2 runs: code ran after its op until its gate.
            t.step(Some(Lane(2)), &[op(2)], None, &|_| None);
            assert!(t.key().is_none() && t.position().is_none(), "the globals are not known between an op and the next gate");
            t.step(Some(Lane(2)), &[mem(2, "c", kg)], None, &|_| None);
            t
        };
        let (a, b, c) = (run("g1").key().unwrap(), run("g1").key().unwrap(), run("g2").key().unwrap());
        assert_eq!(a.key, b.key);
        assert_ne!(a.key, c.key, "other globals: another state, the histories alike");
        assert!(!a.twins(Lane(2), Lane(3)), "thread 2 moved on");
        // Two threads of one function at one place are twins; a variable
        // not shown in full (`?`) leaves the state not known.
        let mut t = Tracker::new(false);
        t.step(Some(Lane(1)), &[thread(2), thread(3), mem(1, "a", "g0")], None, &|_| Some("k".to_string()));
        t.step(Some(Lane(2)), &[mem(2, "b", "g0")], None, &|_| None);
        t.step(Some(Lane(3)), &[mem(3, "b", "g0")], None, &|_| None);
        assert!(t.key().unwrap().twins(Lane(2), Lane(3)));
        t.step(Some(Lane(3)), &[mem(3, "?", "g0")], None, &|_| None);
        assert!(t.key().is_none());
    }

    fn put(lane: u32, digest: i64, depth: i64, c: i64, other: Option<u32>) -> Record {
        rec(lane, RecordKind::Op { op: Op::Put, res: Some(ResId(0)), other: other.map(Lane), a: depth, b: 0, c, d: digest, detail: Some("'x'".into()) })
    }
    fn get(lane: u32, digest: i64, depth: i64, c: i64, other: Option<u32>) -> Record {
        rec(lane, RecordKind::Op { op: Op::Get, res: Some(ResId(0)), other: other.map(Lane), a: depth, b: 0, c, d: digest, detail: Some("'x'".into()) })
    }
    /// Main makes a queue and starts two of one class (2 and 3); then `steps`.
    fn queue_run(steps: &[(u32, Record)]) -> Tracker {
        let mut t = tracker(false, &[]);
        t.step(Some(Lane(1)), &[rec(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Queue, name: "q".into(), capacity: 0 })], None, &|_| None);
        for (l, r) in steps {
            t.step(Some(Lane(*l)), std::slice::from_ref(r), None, &|_| None);
        }
        t
    }

    #[test]
    fn a_queues_items_in_their_order_are_in_the_key_and_what_a_put_cannot_see_is_not() {
        // Process 2 puts item 7, process 3 item 8: in either order the
        // queue holds both, in the order they were put.
        let a = queue_run(&[(2, put(2, 7, 1, 0, None)), (3, put(3, 8, 2, 0, None))]).key().unwrap();
        let b = queue_run(&[(3, put(3, 8, 1, 0, None)), (2, put(2, 7, 2, 0, None))]).key().unwrap();
        assert_ne!(a.key, b.key, "7 then 8 is not 8 then 7: the next get takes another item");
        // Both put the same item: one state up to names (the depth each saw
        // after its put is the queue's, not the process's).
        let c = queue_run(&[(2, put(2, 7, 1, 0, None)), (3, put(3, 7, 2, 0, None))]).key().unwrap();
        let d = queue_run(&[(3, put(3, 7, 1, 0, None)), (2, put(2, 7, 2, 0, None))]).key().unwrap();
        assert_eq!(c.key, d.key);
        assert!(c.twins(Lane(2), Lane(3)));
        // Another item in the queue: another state.
        let e = queue_run(&[(2, put(2, 7, 1, 0, None)), (3, put(3, 9, 2, 0, None))]).key().unwrap();
        assert_ne!(c.key, e.key);
        // A get takes the first: after 7, 8 and a get of 7 the queue holds 8.
        let mut t = queue_run(&[(2, put(2, 7, 1, 0, None)), (3, put(3, 8, 2, 0, None))]);
        t.step(Some(Lane(1)), &[get(1, 7, 1, 0, None)], None, &|_| None);
        let after = t.key().unwrap().key;
        let mut u = queue_run(&[(2, put(2, 7, 1, 0, None)), (3, put(3, 8, 2, 0, None))]);
        u.step(Some(Lane(1)), &[get(1, 8, 1, 0, None)], None, &|_| None);
        assert!(u.key().is_none(), "a get of 8 while 7 is first: not followed");
        assert_ne!(after, a.key);
    }

    #[test]
    fn a_queues_blocked_getters_are_keyed_in_their_order_and_an_item_handed_is_the_getters() {
        let block = |lane: u32| rec(lane, RecordKind::Block { op: Op::Get, res: Some(ResId(0)), other: None, holder: None, timed: false });
        let wake = |lane: u32, woken: u32| rec(lane, RecordKind::Wake { op: Op::Get, res: Some(ResId(0)), woken: Lane(woken) });
        // Both getters wait, 2 first or 3 first: one state up to names,
        // but the two are not twins (the first is served first).
        let a = queue_run(&[(2, block(2)), (3, block(3))]);
        let b = queue_run(&[(3, block(3)), (2, block(2))]);
        let (ka, kb) = (a.key().expect("getters on a queue are keyed"), b.key().unwrap());
        assert_eq!(ka.key, kb.key);
        assert!(!ka.twins(Lane(2), Lane(3)), "{:?}", ka.twins);
        // Main's put hands item 7 to the first getter: it holds 7 until its
        // get, and the queue stays empty.
        let mut h = a.clone();
        h.step(Some(Lane(1)), &[put(1, 7, 0, 1, Some(2)), wake(1, 2)], None, &|_| None);
        let handed = h.key().unwrap();
        let mut other = a.clone();
        other.step(Some(Lane(1)), &[put(1, 8, 0, 1, Some(2)), wake(1, 2)], None, &|_| None);
        assert_ne!(other.key().unwrap().key, handed.key, "another item handed");
        h.step(Some(Lane(2)), &[get(2, 7, 0, 1, None)], None, &|_| None);
        assert!(h.key().is_some());
        // The item taken: the getter is no longer blocked nor holds it.
        let mut plain = a.clone();
        plain.step(Some(Lane(1)), &[put(1, 9, 0, 1, Some(2)), wake(1, 2)], None, &|_| None);
        plain.step(Some(Lane(2)), &[get(2, 9, 0, 1, None)], None, &|_| None);
        assert_ne!(plain.key().unwrap().key, h.key().unwrap().key, "it got another item");
        // A get of an item it was not handed: not followed.
        let mut wrong = a.clone();
        wrong.step(Some(Lane(1)), &[put(1, 7, 0, 1, Some(2)), wake(1, 2)], None, &|_| None);
        wrong.step(Some(Lane(2)), &[get(2, 8, 0, 1, None)], None, &|_| None);
        assert!(wrong.key().is_none());
    }

    fn pool_op(lane: u32, op: Op, res: u32, (a, b, c): (i64, i64, i64), d: i64) -> Record {
        rec(lane, RecordKind::Op { op, res: Some(ResId(res)), other: None, a, b, c, d, detail: Some("task(0)".into()) })
    }
    fn between_tasks(lane: u32, memory: &str, slept: &str) -> Record {
        locals(lane, &format!("KW\t{memory}\t{slept}"))
    }
    /// Main makes pool 0 and results 1 and 2, and submits two tasks
    /// (digests 10 and 20); workers 2 and 3 (one class) are at their first take.
    fn pool_run() -> Tracker {
        let mut t = tracker(false, &[]);
        let made = |res: u32, kind: ResKind| rec(1, RecordKind::Resource { res: ResId(res), kind, name: "p".into(), capacity: 1 });
        t.step(Some(Lane(1)), &[made(0, ResKind::Pool), made(1, ResKind::AsyncResult), pool_op(1, Op::ApplyAsync, 0, (1, 0, 1), 10)], None, &|_| None);
        t.step(Some(Lane(1)), &[made(2, ResKind::AsyncResult), pool_op(1, Op::ApplyAsync, 0, (2, 0, 1), 20)], None, &|_| None);
        t.step(Some(Lane(2)), &[between_tasks(2, "m", "0.0")], None, &|_| None);
        t.step(Some(Lane(3)), &[between_tasks(3, "m", "0.0")], None, &|_| None);
        t
    }
    /// `lane` takes the next task (digest `task`), stores its result in
    /// `result`, and comes back to its next take with `memory`.
    fn run_task(t: &mut Tracker, lane: u32, (pending, task, result): (i64, i64, u32), memory: &str, slept: &str) {
        t.step(Some(Lane(lane)), &[pool_op(lane, Op::Get, 0, (pending, 1, 0), task)], None, &|_| None);
        let done = [pool_op(lane, Op::Put, result, (1, 1, 0), task + 1000), pool_op(lane, Op::TaskDone, 0, (pending, 0, 1), 0), between_tasks(lane, memory, slept)];
        t.step(Some(Lane(lane)), &done, None, &|_| None);
    }

    #[test]
    fn a_pool_worker_between_tasks_is_its_memory_and_the_pools_tasks_are_in_the_key() {
        // Each worker ran one task, or worker 2 ran both: back at their
        // takes with the same memory, one state (the results the same).
        let mut each = pool_run();
        run_task(&mut each, 2, (1, 10, 1), "m", "1.0");
        run_task(&mut each, 3, (0, 20, 2), "m", "1.0");
        let mut both = pool_run();
        run_task(&mut both, 2, (1, 10, 1), "m", "1.0");
        run_task(&mut both, 2, (0, 20, 2), "m", "2.0");
        let (a, b) = (each.key().expect("a pool is keyed"), both.key().unwrap());
        assert_eq!(a.key, b.key);
        assert!(a.twins(Lane(2), Lane(3)) && b.twins(Lane(2), Lane(3)));
        // The seconds slept are in the exact key (a clock read below tells them apart).
        assert_ne!(a.exact, b.exact);
        // Another memory (a task changed a global): another state.
        let mut other = pool_run();
        run_task(&mut other, 2, (1, 10, 1), "m", "1.0");
        run_task(&mut other, 3, (0, 20, 2), "m2", "1.0");
        assert_ne!(other.key().unwrap().key, a.key);
        // A task taken and not done, or another value stored: other states.
        let mut running = pool_run();
        running.step(Some(Lane(2)), &[pool_op(2, Op::Get, 0, (1, 1, 0), 10)], None, &|_| None);
        let running = running.key().unwrap().key;
        assert_ne!(running, pool_run().key().unwrap().key);
        let mut value = pool_run();
        run_task(&mut value, 2, (1, 10, 1), "m", "1.0");
        let mut value2 = pool_run();
        value2.step(Some(Lane(2)), &[pool_op(2, Op::Get, 0, (1, 1, 0), 10)], None, &|_| None);
        value2.step(Some(Lane(2)), &[pool_op(2, Op::Put, 1, (1, 1, 0), 7), pool_op(2, Op::TaskDone, 0, (1, 0, 1), 0), between_tasks(2, "m", "1.0")], None, &|_| None);
        assert_ne!(value.key().unwrap().key, value2.key().unwrap().key);
        // A worker that made a resource in a task (a manager's reply queue
        // for its proxy) keeps its history: that is in no digest.
        let made = |first: bool| {
            let mut t = pool_run();
            let lock = rec(2, RecordKind::Resource { res: ResId(9), kind: ResKind::Lock, name: "l".into(), capacity: 0 });
            t.step(Some(Lane(2)), &[pool_op(2, Op::Get, 0, (1, 1, 0), 10)], None, &|_| None);
            if first {
                t.step(Some(Lane(2)), &[lock], None, &|_| None);
            }
            t.step(Some(Lane(2)), &[pool_op(2, Op::Put, 1, (1, 1, 0), 1010), pool_op(2, Op::TaskDone, 0, (1, 0, 1), 0), between_tasks(2, "m", "1.0")], None, &|_| None);
            t.key().unwrap().key
        };
        assert_ne!(made(true), made(false));
    }

    #[test]
    fn a_pools_idle_workers_are_handed_tasks_in_order_and_what_is_not_followed_is_not_known() {
        let block = |lane: u32| rec(lane, RecordKind::Block { op: Op::Get, res: Some(ResId(0)), other: None, holder: None, timed: false });
        let mut t = pool_run();
        run_task(&mut t, 2, (1, 10, 1), "m", "1.0");
        run_task(&mut t, 3, (0, 20, 2), "m", "1.0");
        // Both wait for a task, 2 first: a submission hands it to 2.
        t.step(Some(Lane(2)), &[block(2)], None, &|_| None);
        t.step(Some(Lane(3)), &[block(3)], None, &|_| None);
        assert!(t.key().is_some(), "idle workers wait in a known order");
        let made = rec(1, RecordKind::Resource { res: ResId(5), kind: ResKind::AsyncResult, name: "r".into(), capacity: 1 });
        t.step(Some(Lane(1)), &[made, pool_op(1, Op::ApplyAsync, 0, (0, 1, 1), 30), rec(1, RecordKind::Wake { op: Op::Get, res: Some(ResId(0)), woken: Lane(2) })], None, &|_| None);
        let handed = t.clone();
        assert!(handed.key().is_some() && handed.handed.contains_key(&Lane(2)));
        t.step(Some(Lane(2)), &[pool_op(2, Op::Get, 0, (0, 1, 1), 30)], None, &|_| None);
        assert!(t.key().is_some() && t.handed.is_empty());
        // Worker 3 took it instead: not what the pool does.
        let mut wrong = handed.clone();
        wrong.step(Some(Lane(3)), &[pool_op(3, Op::Get, 0, (0, 1, 1), 30)], None, &|_| None);
        assert!(wrong.key().is_none());
        // A submission with a callback (the digest's lowest bit), a count
        // the records disagree with, a result read: not known.
        let mut cb = pool_run();
        cb.step(Some(Lane(1)), &[pool_op(1, Op::ApplyAsync, 0, (3, 0, 1), 31)], None, &|_| None);
        assert!(cb.key().is_none());
        let mut count = pool_run();
        count.step(Some(Lane(2)), &[pool_op(2, Op::Get, 0, (0, 1, 0), 10)], None, &|_| None);
        assert!(count.key().is_none(), "two were pending, the record says none is left");
        let mut read = pool_run();
        read.step(Some(Lane(1)), &[pool_op(1, Op::ResultGet, 1, (0, 0, 0), 0)], None, &|_| None);
        assert!(read.key().is_none());
    }
}
