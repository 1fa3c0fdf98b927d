//! Why a run went wrong, as data: the conflicting operations whose order
//! made it bad and the order they were in on a run that went well.
//! `explore::conflicts` finds them from a run's records; `words` says them.

use serde::{Deserialize, Serialize};

/// One op of a process on something shared, as a run did it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub process: String,
    /// The op (`read_text`, `write_json`, `acquire`, …), or `truncate`: an
    /// `open(…, "w")` that emptied the file.
    pub op: String,
    /// The resource's name, or the file's path.
    pub resource: String,
    /// The line of the program it was on (0: none known).
    pub line: u32,
    /// The step of the run it ran in (the n-th grant, 1 = the first).
    pub step: u64,
    /// It changes the thing (else it only reads it).
    #[serde(default)]
    pub write: bool,
    /// It is the process's n-th access (0 = the first) to this thing.
    #[serde(default)]
    pub nth: usize,
}

impl Access {
    /// Who, what, which: the same access in another run.
    pub fn key(&self) -> (&str, &str, usize, bool) {
        (&self.process, &self.resource, self.nth, self.write)
    }
    pub fn conflicts(&self, o: &Access) -> bool {
        self.process != o.process && self.resource == o.resource && (self.write || o.write)
    }
}

/// One reason: `op` came after `after` (as it did on a good run) and before
/// `before` (which came first on the good run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    pub op: Access,
    pub after: Option<Access>,
    pub before: Vec<Access>,
}

/// The conflicts of a bad run against a good one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflicts {
    pub why: Vec<Why>,
    /// Every access named, in the order the bad run ran them.
    pub bad_order: Vec<Access>,
    /// The same accesses as the good run made them, in its order.
    pub good_order: Vec<Access>,
}

impl Conflicts {
    /// The step of the bad run that completes the conflict: the last access
    /// named runs in it.
    pub fn completing_step(&self) -> Option<u64> {
        self.bad_order.iter().map(|a| a.step).max()
    }
    pub fn is_empty(&self) -> bool {
        self.why.is_empty()
    }
}
