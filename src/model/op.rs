//! [`ResOp`]: a completed op read through names, never through the record's
//! generic values.

use super::{Record, RecordKind};
use crate::vocab::{Lane, Op, ResId};

/// A completed op, as an `Op` record carries it, read through names: the
/// record's generic values (`a b c`, whose meaning depends on the op, see
/// [`Op`]) are private, and each accessor says which value it is for which
/// ops. [`Record::res_op`] makes one; the model (`sync`, `ipc`), the trace
/// exporter and explore read ops only this way.
#[derive(Clone, Copy, Debug)]
pub struct ResOp<'a> {
    pub lane: Lane,
    pub op: Op,
    pub res: Option<ResId>,
    /// The other process: the child (start, join, is_alive), the target
    /// (terminate, kill), the process a release or a put/send handed to.
    pub other: Option<Lane>,
    a: i64,
    b: i64,
    c: i64,
    /// The op's text: an item's preview, a file's path and preview, an address…
    pub detail: Option<&'a str>,
}

impl<'a> ResOp<'a> {
    /// `acquire`: got the lock or unit (false: a timeout or a non-blocking
    /// miss). `wait` (Event, Condition, Barrier): the condition held (false:
    /// a timeout).
    pub fn succeeded(&self) -> bool {
        self.a == 1
    }

    /// `acquire`, `release`: the count after (a Lock's 1 or 0, an RLock's
    /// depth, a Semaphore's value). `load` of a Semaphore: its value.
    pub fn count_after(&self) -> i64 {
        if self.op == Op::Acquire { self.b } else { self.a }
    }

    /// `acquire` of a Semaphore: the unit was handed over by a release,
    /// whose record already gave it to this process.
    pub fn was_handed(&self) -> bool {
        self.c == 1
    }

    /// Queue ops: its depth after; Pipe ops: messages in transit after;
    /// Pool ops: pending tasks after; `accept`: connections accepted.
    pub fn depth_after(&self) -> i64 {
        self.a
    }

    /// Queue ops: unfinished tasks after (a JoinableQueue); Pool ops:
    /// running tasks after.
    pub fn unfinished_after(&self) -> i64 {
        self.b
    }

    /// The item went through the buffer: `put`, `send` queued it (rather
    /// than handing it straight to a waiting receiver, or failing); `get`,
    /// `recv` took it from the queue (rather than from a putter's hand, or
    /// at end of file). A Pipe's `close`: no holder of that end is left.
    pub fn through_buffer(&self) -> bool {
        self.c == 0
    }

    /// `recv` of a Pipe: end of file, no message.
    pub fn at_eof(&self) -> bool {
        self.c == 2
    }

    /// `accept`: the accepted connection (its socket resource).
    pub fn connection(&self) -> Option<ResId> {
        u32::try_from(self.b).ok().map(ResId)
    }

    /// A file op (`read_text`, `write_json`, …): the file's path and the
    /// preview of what was read or written (its detail is the path, a tab,
    /// the preview); `None` without one.
    pub fn file(&self) -> Option<(&'a str, &'a str)> {
        self.detail.and_then(|d| d.split_once('\t'))
    }

    /// Pipe ops: the end used (0 or 1).
    pub fn pipe_end(&self) -> i64 {
        self.b & 1
    }

    /// `get` of a Pool's task or an AsyncResult: it had a result (negative:
    /// it raised, or timed out).
    pub fn got_result(&self) -> bool {
        self.c >= 0
    }

    /// `put` of an AsyncResult: parts done, and parts in all.
    pub fn parts(&self) -> (i64, i64) {
        (self.a, self.b)
    }

    /// `connect`: it failed.
    pub fn refused(&self) -> bool {
        self.c < 0
    }

    /// `join`: the child's exit code.
    pub fn exitcode(&self) -> i64 {
        self.a
    }

    /// `join(timeout)`: it gave up, the child still alive.
    pub fn gave_up(&self) -> bool {
        self.b == 1
    }

    /// `terminate`, `kill`: the signal sent.
    pub fn signal(&self) -> i32 {
        self.a as i32
    }

    /// A flag read or left: `is_set`, `ready`, `is_alive`; a socket's
    /// `close` (0: the last holder closed it); a Barrier's `set`: broken.
    pub fn flag(&self) -> i64 {
        self.a
    }

    /// `load`, `store` of a Value or Array: the number's bits (an integer,
    /// or an `f64`'s bits when [`Self::is_float`]).
    pub fn bits(&self) -> i64 {
        self.a
    }

    /// `load`, `store` of an Array: the index (negative: the whole array).
    pub fn index(&self) -> i64 {
        self.b
    }

    /// `load`, `store`: the number is a float.
    pub fn is_float(&self) -> bool {
        self.c & 1 == 1
    }

    /// The raw values, for a view that shows them as they are (the trace's
    /// `args`).
    pub fn raw(&self) -> (i64, i64, i64) {
        (self.a, self.b, self.c)
    }
}

impl Record {
    /// The op this record says completed, if it is an `Op` record.
    pub fn res_op(&self) -> Option<ResOp<'_>> {
        match &self.kind {
            RecordKind::Op { op, res, other, a, b, c, detail, .. } => Some(ResOp { lane: self.lane, op: *op, res: *res, other: *other, a: *a, b: *b, c: *c, detail: detail.as_deref() }),
            _ => None,
        }
    }
}
