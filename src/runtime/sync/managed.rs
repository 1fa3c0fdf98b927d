//! A manager's object — `Manager().dict()`, `.list()`, `.Value()`,
//! `.Namespace()`, `.Array()` — on record: the object itself lives in the
//! manager process (as in CPython; a proxy's call is a request and a reply),
//! and the run has a resource for it so that each read and change the
//! manager serves is an op with its value, as a shared `Value`'s is.
//!
//! Slot: nothing of the object is in it (it is the manager's); the resource
//! gives it its number and its name (the variable of the creating line:
//! `account = manager.dict()` → `account`; else `dict-N`).
//!
//! Records, all written by the manager process:
//! - creation: the resource record, then a `Store` with `other` = none and
//!   the detail `{"type": "dict", "now": "{'balance': 1000}"}`;
//! - an access, as the manager serves it: `Load` (the call only read the
//!   object) or `Store` (it changed it), `other` = the lane that asked, the
//!   detail `{"at": "['balance']", "value": "1000"}` (an item or attribute
//!   read or written, and its value) or `{"call": ".append(5)", "value": …}`
//!   (another method: what it returned, or for a change the object after it),
//!   and for a change `"now"`, the object after it.
//!
//! An access passes no gate of its own: it happens inside the manager's step
//! that took the request off its queue (the requester's put of the request
//! was its gate), so the schedule that orders the requests orders the
//! accesses, and the same schedule gives the same records.

use crate::runtime::{LessonResult, LaneRuntime};
use crate::shm::layout::NONE;
use crate::shm::record::{Op, ResKind};

impl LaneRuntime {
    /// A manager's new object of type `type_name` (`dict`), showing as
    /// `now`: its resource's id. Named as any resource (`named`), else `type_name-N`.
    pub fn managed_new(&self, type_name: &str, now: &str, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        let chosen = self.local.borrow_mut().next_name.take();
        let name = chosen.unwrap_or_else(|| format!("{type_name}-{}", self.ctl.next_res.load(std::sync::atomic::Ordering::Relaxed) + 1));
        let id = self.new_resource(ResKind::Managed, Some(&name), 0, |_| {})?;
        let detail = serde_json::json!({ "type": type_name, "now": now });
        self.record_op(Op::Store, id, NONE, 0, 0, 0, Some(&detail.to_string()));
        Ok(id)
    }

    /// The manager served lane `asker` a call on its object `id`: `write`
    /// if the call changed it; `detail` as the module header says; `line`:
    /// the asker's.
    pub fn managed_access(&self, id: u32, write: bool, asker: u32, detail: &str, line: u32) -> LessonResult<()> {
        self.slot(id, ResKind::Managed)?;
        self.set_line(line);
        self.record_op(if write { Op::Store } else { Op::Load }, id, asker, 0, 0, 0, Some(detail));
        Ok(())
    }
}
