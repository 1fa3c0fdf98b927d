//! Test support: records made by hand, numbered one after another and fed to
//! a [`Model`] (or anything else that takes records, such as the dashboard),
//! for the unit tests of the model, the words and the views. One `Feed`
//! serves them all; each test module keeps only the fixtures of its own
//! story (which processes, which resources). It takes lanes and resource
//! ids as plain numbers, as a test reads best.

use crate::model::{Model, Record, RecordKind};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// What a feed feeds.
pub trait Takes {
    fn take(&mut self, r: &Record);
}

impl Takes for Model {
    fn take(&mut self, r: &Record) {
        self.apply(r);
    }
}

/// Feeds `m` records one sequence number apart, `step_ns` apart in time.
#[derive(Debug)]
pub struct Feed<T = Model> {
    pub m: T,
    seq: u64,
    step_ns: u64,
}

impl Feed<Model> {
    /// A fresh model, records 1 µs apart.
    pub fn new() -> Feed<Model> {
        Feed::over(Model::new(), 1000)
    }
}

impl<T: Takes> Feed<T> {
    pub fn over(m: T, step_ns: u64) -> Feed<T> {
        Feed { m, seq: 0, step_ns }
    }

    /// One record of `lane` at source line `line`.
    pub fn at_line(&mut self, lane: u32, line: u32, kind: RecordKind) -> &mut Self {
        self.seq += 1;
        self.m.take(&Record { seq: self.seq, t_ns: self.seq * self.step_ns, lane: Lane(lane), line, gates: 0, kind });
        self
    }

    /// One record of `lane` at line 1.
    pub fn at(&mut self, lane: u32, kind: RecordKind) -> &mut Self {
        self.at_line(lane, 1, kind)
    }

    /// `parent` starts `child` (pid 100 + lane, as its parent's), running `target`.
    pub fn spawn_as(&mut self, parent: u32, child: u32, name: &str, target: &str, daemon: bool) -> &mut Self {
        self.at(parent, RecordKind::Spawn { child: Lane(child), pid: 100 + child as i32, ppid: 100 + parent as i32, daemon, name: name.into(), target: target.into() })
    }

    /// `parent` starts `child`, running `f`.
    pub fn spawn(&mut self, parent: u32, child: u32, name: &str) -> &mut Self {
        self.spawn_as(parent, child, name, "f", false)
    }

    /// `lane` creates resource `res`.
    pub fn res(&mut self, lane: u32, res: u32, kind: ResKind, name: &str, capacity: i64) -> &mut Self {
        self.at(lane, RecordKind::Resource { res: ResId(res), kind, name: name.into(), capacity })
    }

    /// An op of `lane` on `res`, at `line`.
    #[allow(clippy::too_many_arguments)]
    pub fn op_at(&mut self, lane: u32, line: u32, op: Op, res: u32, other: Option<u32>, (a, b, c): (i64, i64, i64), detail: Option<&str>) -> &mut Self {
        self.at_line(lane, line, RecordKind::Op { op, res: Some(ResId(res)), other: other.map(Lane), a, b, c, d: 0, detail: detail.map(str::to_string) })
    }

    /// `lane` blocks in `op` on `res` (held by `holder`), at `line`.
    pub fn block_at(&mut self, lane: u32, line: u32, op: Op, res: u32, holder: Option<u32>) -> &mut Self {
        self.at_line(lane, line, RecordKind::Block { op, res: Some(ResId(res)), other: None, holder: holder.map(Lane), timed: false })
    }

    /// `lane`'s `op` on `res` wakes `woken`.
    pub fn wake(&mut self, lane: u32, op: Op, res: u32, woken: u32) -> &mut Self {
        self.at(lane, RecordKind::Wake { op, res: Some(ResId(res)), woken: Lane(woken) })
    }

    /// `lane` takes Lock `res`, at `line`.
    pub fn acquired(&mut self, lane: u32, res: u32, line: u32) -> &mut Self {
        self.op_at(lane, line, Op::Acquire, res, None, (1, 1, 0), None)
    }

    /// `lane` blocks on Lock `res`, held by `holder`, at `line`.
    pub fn blocks(&mut self, lane: u32, res: u32, holder: u32, line: u32) -> &mut Self {
        self.block_at(lane, line, Op::Acquire, res, Some(holder))
    }
}

impl Default for Feed<Model> {
    fn default() -> Self {
        Feed::new()
    }
}
