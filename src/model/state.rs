//! What the model knows of each process and each resource: their states as
//! the records tell them.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::vocab::{Lane, Op, ResId, ResKind};

/// A process's state as the records tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PState {
    Starting,
    Running,
    Ready,
    Blocked,
    Sleeping,
    /// Ended by returning or an uncaught error: the exit code.
    Exited(i32),
    /// Ended by a signal: the signal number.
    Killed(i32),
}

impl PState {
    pub fn is_live(self) -> bool {
        !matches!(self, PState::Exited(_) | PState::Killed(_))
    }

}

/// What a blocked process waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub op: Op,
    /// The resource, if it waits on one.
    pub res: Option<ResId>,
    /// The process, if it waits on one (join).
    pub on: Option<Lane>,
    /// Who held the resource when it blocked.
    pub holder: Option<Lane>,
    /// The wait ends by itself (timeout or sleep).
    pub timed: bool,
    pub since_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessState {
    pub lane: Lane,
    pub name: String,
    pub pid: i32,
    pub ppid: i32,
    pub parent: Option<Lane>,
    pub daemon: bool,
    pub target: String,
    pub state: PState,
    pub line: u32,
    pub wait: Option<Wait>,
    /// Python exitcode once ended.
    pub exitcode: Option<i32>,
    /// It was killed by forkscope itself, at the end of the run (it was
    /// still running when the run closed).
    pub killed_at_close: bool,
    pub ops: u64,
    pub last_op: Option<Op>,
    /// State changes: (time ns, state), oldest first (bounded).
    pub history: Vec<(u64, PState)>,
    /// Lock-like resources it holds.
    pub holds: BTreeSet<ResId>,
    /// Who ended its last wait, and with what: (waker lane, resource).
    pub woken_by: Option<(Lane, Option<ResId>)>,
    /// `ops` when it was woken: the wake is news until its next op after the woken one.
    pub woken_at_ops: u64,
}

impl ProcessState {
    /// Who woke it, while that is still the latest thing that happened to it
    /// (until it completes an op after the one it was woken in).
    pub fn fresh_wake(&self) -> Option<(Lane, Option<ResId>)> {
        self.woken_by.filter(|_| self.wait.is_none() && self.state.is_live() && self.ops <= self.woken_at_ops + 1)
    }
}

/// Most history entries kept per process.
pub const HISTORY_CAP: usize = 4096;
/// Most log entries kept (the oldest half goes when it is reached).
pub const LOG_CAP: usize = 100_000;
/// Most findings kept.
pub const FINDINGS_CAP: usize = 1_000;

impl ProcessState {
    pub(super) fn set_state(&mut self, t: u64, s: PState) {
        if self.state != s {
            self.state = s;
            if self.history.len() >= HISTORY_CAP {
                self.history.drain(..HISTORY_CAP / 2);
            }
            self.history.push((t, s));
        }
    }
}

/// A shared resource as the records tell it. The fields are generic; what each
/// means for each kind (the dashboard draws them this way):
///
/// | kind | `value` | `capacity` | `count` | `owner` | `holders` | `waiters` | `waiters2` | `items` / `text` |
/// |---|---|---|---|---|---|---|---|---|
/// | Lock | 1 held / 0 free | 1 | | holder | | acquirers | | |
/// | RLock | depth | 1 | depth | holder | | acquirers | | |
/// | Semaphore, BoundedSemaphore | current value | initial value (bound) | | | lanes holding a unit (repeats allowed) | acquirers | | |
/// | Event | flag 0/1 | | | | | waiters | | |
/// | Condition | | its lock's resource id | | its lock's holder | | in `wait` | notified, re-acquiring the lock | |
/// | Barrier | parties waiting | parties | broken 0/1 | | | waiters | | |
/// | Queue, JoinableQueue | depth | maxsize (0 = unbounded) | unfinished tasks | | | getters | putters, and processes in `join()` | items: previews, oldest first |
/// | Pipe | messages in transit | 1 duplex, 0 one-way | ends closed: bit 0 end 0, bit 1 end 1 | | | receivers (`recv`, `poll`) | | items: previews prefixed `→0 `/`→1 ` (the end they travel to); `closed` once an end has no holder |
/// | Value, Array | integer value if any | length | its lock's resource id | its lock's holder | | its lock's waiters | | `text`: current value; items: elements |
/// | Pool | pending tasks | workers | running tasks | | worker lanes | idle workers waiting for a task | the creator in `join()` | `closed` after close()/terminate(); `text`: last task taken |
/// | Socket | connections accepted | | | | | in `accept`/`recv` | | `text`: address; items: last messages (`→ sent`, `← received`); `closed` |
/// | AsyncResult | ready 0/1 | parts (1, or a map's length) | parts done | | | in `get` | | `text`: result (or its error) |
/// | Managed (a manager's object) | | | | | | | | `text`: its repr after its latest change; items: its Python type (one: `dict`) |
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceState {
    pub id: ResId,
    pub kind: ResKind,
    pub name: String,
    pub capacity: i64,
    pub creator: Lane,
    pub owner: Option<Lane>,
    pub holders: Vec<Lane>,
    /// Processes blocked on it, in arrival order.
    pub waiters: Vec<Lane>,
    /// A second queue of blocked processes (putters on a full queue, …).
    pub waiters2: Vec<Lane>,
    pub value: i64,
    pub count: i64,
    pub items: Vec<String>,
    pub text: String,
    pub closed: bool,
    /// Value, Array, a manager's object: the latest reads and writes,
    /// oldest first (at most [`ACCESS_CAP`]): who read or wrote what, at which step.
    pub accesses: Vec<ValueAccess>,
}

/// A read or a write of a shared Value, an Array element or a manager's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValueAccess {
    /// Who read or wrote (for a manager's object: the process that asked).
    pub lane: Lane,
    pub write: bool,
    pub place: Place,
    /// The value read or written, as Python shows it.
    pub value: String,
    /// Steps granted before it (`Model::steps`): 0 in a free run.
    pub step: u64,
    pub t_ns: u64,
}

/// Where in a shared object an access was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// A Value's `.value`.
    Value,
    /// An Array's element.
    Index(i64),
    /// An item or attribute of a manager's object, as the program wrote it:
    /// `['balance']`, `[0]`, `.value`, `.x`.
    At(String),
    /// Another method of a manager's object, as called: `.append(5)`,
    /// `.keys()`. The value is what it returned (a read) or the object
    /// after it (a change).
    Call(String),
}

impl Place {
    /// The place after the object's name: `.value`, `[2]`, `['balance']`, `.append(5)`.
    pub fn suffix(&self) -> String {
        match self {
            Place::Value => ".value".into(),
            Place::Index(i) => format!("[{i}]"),
            Place::At(s) | Place::Call(s) => s.clone(),
        }
    }
}

/// Most reads and writes kept per shared Value, Array or manager's object.
pub const ACCESS_CAP: usize = 16;

impl ResourceState {
    pub fn new(id: ResId, kind: ResKind, name: &str, capacity: i64, creator: Lane) -> ResourceState {
        ResourceState {
            id,
            kind,
            name: name.to_string(),
            capacity,
            creator,
            owner: None,
            holders: vec![],
            waiters: vec![],
            waiters2: vec![],
            value: 0,
            count: 0,
            items: vec![],
            text: String::new(),
            closed: false,
            accesses: vec![],
        }
    }
}
