//! The script-side objects of the lesson API: thin handles onto processes and
//! shared resources. Their behaviour lives in `runtime`; the registrations in
//! `api`.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Map};

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
#[derive(Clone, Debug, Default)]
pub struct Globals(pub Rc<RefCell<Map>>);
