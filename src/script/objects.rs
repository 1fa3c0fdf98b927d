//! The script-side objects of the lesson API: thin handles onto processes and
//! shared resources. Their behaviour lives in `runtime`; the registrations in
//! `api`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, Map, Position};

/// A `Process` object. Clones share state (a list of processes and the
/// variable that started one see the same object), as in Python.
#[derive(Clone, Debug)]
pub struct ProcessObj(pub Rc<RefCell<ProcInner>>);

#[derive(Debug)]
pub struct ProcInner {
    pub target: String,
    pub args: Vec<Dynamic>,
    pub name: Option<String>,
    pub daemon: bool,
    /// Python's `_identity`, given at creation.
    pub identity: Vec<u32>,
    /// Set once started (or for a process received from elsewhere).
    pub lane: Option<u32>,
    pub pid: Option<i32>,
    /// `current_process()`: the process itself.
    pub is_self: bool,
}

impl ProcessObj {
    pub fn new(target: String, args: Vec<Dynamic>, name: Option<String>, daemon: bool) -> ProcessObj {
        ProcessObj(Rc::new(RefCell::new(ProcInner { target, args, name, daemon, identity: Vec::new(), lane: None, pid: None, is_self: false })))
    }

    /// A process known by lane only (received from another process).
    pub fn remote(lane: u32) -> ProcessObj {
        let p = ProcessObj::new(String::new(), Vec::new(), None, false);
        p.0.borrow_mut().lane = Some(lane);
        p
    }

    pub fn lane(&self) -> Option<u32> {
        self.0.borrow().lane
    }
}

/// A `Lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockObj {
    pub id: u32,
}

/// `G`: the process's own global variables (`G.n = 100`). Each process has its
/// own: a change in one is not seen by another — data isolation, for real.
///
/// Rhai measures its own values against the engine's size limits, but `G`
/// is a custom type it cannot see into: a worker filled it with 2.5 GB. So
/// `G` keeps a running total of what it holds, in Rhai's measures, and a
/// store that would take it past the engine's limits is refused with Rhai's
/// own error, as if `G` were a map.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    map: Rc<RefCell<Map>>,
    held: Rc<Cell<Sizes>>,
}

/// Rhai's measures of a value: array (and BLOB) elements, map entries and
/// string bytes, counted through every level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    pub array: usize,
    pub map: usize,
    pub string: usize,
}

impl Sizes {
    /// The sizes of `v`, read in place. (It recurses as Rhai's own measure
    /// does on every value a script makes, so it goes no deeper than that.)
    pub fn of(v: &Dynamic) -> Sizes {
        let mut s = Sizes::default();
        s.add(v);
        s
    }

    fn add(&mut self, d: &Dynamic) {
        if let Some(a) = d.read_lock::<rhai::Array>() {
            self.array += a.len();
            a.iter().for_each(|x| self.add(x));
        } else if let Some(m) = d.read_lock::<Map>() {
            self.map += m.len();
            m.values().for_each(|x| self.add(x));
        } else if let Some(b) = d.read_lock::<rhai::Blob>() {
            self.array += b.len();
        } else if let Some(t) = d.read_lock::<rhai::ImmutableString>() {
            self.string += t.len();
        }
    }

    /// Rhai's own error when these sizes pass `engine`'s limits.
    fn check(self, engine: &Engine, pos: Position) -> Result<(), Box<EvalAltResult>> {
        let over = |n: usize, max: usize| max > 0 && n > max;
        let what = if over(self.string, engine.max_string_size()) {
            "Length of string"
        } else if over(self.array, engine.max_array_size()) {
            "Size of array/BLOB"
        } else if over(self.map, engine.max_map_size()) {
            "Size of object map"
        } else {
            return Ok(());
        };
        Err(EvalAltResult::ErrorDataTooLarge(what.to_string(), pos).into())
    }
}

impl Globals {
    pub fn get(&self, key: &str) -> Dynamic {
        self.map.borrow().get(key).cloned().unwrap_or(Dynamic::UNIT)
    }

    /// `G[key] = v`, unless `G` would then hold more than `engine` allows.
    pub fn set(&self, engine: &Engine, pos: Position, key: &str, v: Dynamic) -> Result<(), Box<EvalAltResult>> {
        let mut map = self.map.borrow_mut();
        let (old, new) = (map.get(key).map(Sizes::of), Sizes::of(&v));
        let held = self.held.get();
        let (old, entry) = match old {
            Some(o) => (o, 0),
            None => (Sizes::default(), 1),
        };
        let after = Sizes {
            array: held.array - old.array + new.array,
            map: held.map - old.map + new.map + entry,
            string: held.string - old.string + new.string,
        };
        after.check(engine, pos)?;
        map.insert(key.into(), v);
        self.held.set(after);
        Ok(())
    }

    pub fn show(&self) -> String {
        format!("{:?}", self.map.borrow())
    }
}

/// A `Queue` or `JoinableQueue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueObj {
    pub id: u32,
    pub joinable: bool,
}

/// One end of a pipe (Python's `Connection`). Clones are the same connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionObj {
    pub id: u32,
    pub end: u8,
    pub duplex: bool,
}

/// A socket: listening (`listen`) or connected (`connect`, `accept`). Clones
/// share the descriptor cell, so closing one closes them all.
#[derive(Clone, Debug)]
pub struct SocketObj {
    pub id: u32,
    /// This process's descriptor; -1 once closed (or if not usable here).
    pub fd: Rc<Cell<i32>>,
    pub listening: bool,
}

// The synchronisation primitives: thin, copyable handles naming a resource
// slot; their behaviour lives in `runtime::sync`, and a copy sent to another
// process names the same resource.

/// An `RLock` (also what `v.get_lock()` returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RLockObj {
    pub id: u32,
}

/// A `Semaphore` or a `BoundedSemaphore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreObj {
    pub id: u32,
    pub bounded: bool,
}

/// An `Event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventObj {
    pub id: u32,
}

/// A `Condition` (its lock is found through its slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionObj {
    pub id: u32,
}

/// A `Barrier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierObj {
    pub id: u32,
}

/// A shared `Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueObj {
    pub id: u32,
}

/// A shared `Array`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayObj {
    pub id: u32,
}
