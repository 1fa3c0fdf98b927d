//! [`Record`]: one decoded record, as the model, the headless output (NDJSON),
//! recordings and exports see it. The conductor's drain builds these from the
//! raw ring slots; nothing here touches shared memory.

use serde::{Deserialize, Serialize};

use crate::vocab::{Lane, Op, ResId, ResKind};

/// A decoded record. `lane` is the process that wrote it (0 = conductor).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    /// Nanoseconds since the run started.
    pub t_ns: u64,
    pub lane: Lane,
    /// Script line the writer was on (0 = none).
    pub line: u32,
    /// Steps the writer took since its previous record (gate passes,
    /// completions after a wake-up, timeouts): a free run's schedule is
    /// rebuilt from these.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gates: u32,
    #[serde(flatten)]
    pub kind: RecordKind,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordKind {
    /// The writer started process `child`.
    Spawn { child: Lane, pid: i32, ppid: i32, daemon: bool, name: String, target: String },
    /// The writer parked at the gate: ready, waiting for a step.
    Park,
    /// An op completed (values per op: see [`Op`]).
    Op {
        op: Op,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        res: Option<ResId>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        other: Option<Lane>,
        a: i64,
        b: i64,
        c: i64,
        /// A queue's `put`/`get`: a digest of the item's bytes (0: none),
        /// for explore's state key (`src/explore/state.rs`).
        #[serde(default, skip_serializing_if = "is_zero_i64")]
        d: i64,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        detail: Option<String>,
    },
    /// The writer blocked in `op` on `res` (or on process `other`); `op` = sleep
    /// means it started sleeping.
    Block {
        op: Op,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        res: Option<ResId>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        other: Option<Lane>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        holder: Option<Lane>,
        /// The wait has a timeout (or is a sleep): it ends by itself.
        timed: bool,
    },
    /// The writer's op woke `woken`, handing it `res`.
    Wake {
        op: Op,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        res: Option<ResId>,
        woken: Lane,
    },
    /// The writer's wait ended by timeout.
    Timeout {
        op: Op,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        res: Option<ResId>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        other: Option<Lane>,
    },
    /// A line the process wrote to its standard output; `part`: a partial
    /// line it flushed (`print(c, end="", flush=True)`), which what it
    /// writes next continues, as on a terminal.
    Print {
        text: String,
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        part: bool,
    },
    /// What a process wrote to its standard error (a traceback, `sys.stderr`).
    Stderr {
        text: String,
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        part: bool,
    },
    /// The newline that ends a partial line shown before: the terminal's
    /// cursor goes to the next line. Not an op.
    LineEnd,
    /// An uncaught script error (the process ends with exit code 1).
    Error { message: String },
    /// The lesson's own `assert` failed.
    Assert { message: String },
    Report { key: String, value: serde_json::Value },
    /// The writer's variables: the locals of its frames in the program's own
    /// file, at the op it is about to take (see `model::locals`). Not an op.
    Locals { text: String },
    /// Something the run teaches by itself (misuse that Python allows, …).
    Finding { message: String },
    /// Conductor: process `process` ended with `exitcode` (-N: killed by signal N).
    /// `held`: the resources it owned at its end, as the conductor read them
    /// from the resource table (the truth even if the process died in the
    /// middle of an op, before or after writing its record); `None` when not
    /// known, and the model goes by the records.
    Ended {
        process: Lane,
        exitcode: i32,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        held: Option<Vec<ResId>>,
    },
    /// A shared resource was created.
    Resource { res: ResId, kind: ResKind, name: String, capacity: i64 },
    /// Conductor: one step granted to `process` (`None`: the next ready one).
    Grant {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        process: Option<Lane>,
        granularity: u8,
    },
    /// Conductor: the run was paused or resumed.
    Mode { paused: bool },
    /// Conductor: the user sent `signal` to `process`.
    Signal { process: Lane, signal: i32 },
    /// Conductor: the run is over; forkscope ends every process still alive.
    Closing,
}

impl RecordKind {
    /// Short name of the kind, as in the JSON `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            RecordKind::Spawn { .. } => "spawn",
            RecordKind::Park => "park",
            RecordKind::Op { .. } => "op",
            RecordKind::Block { .. } => "block",
            RecordKind::Wake { .. } => "wake",
            RecordKind::Timeout { .. } => "timeout",
            RecordKind::Print { .. } => "print",
            RecordKind::Stderr { .. } => "stderr",
            RecordKind::LineEnd => "line_end",
            RecordKind::Error { .. } => "error",
            RecordKind::Assert { .. } => "assert",
            RecordKind::Report { .. } => "report",
            RecordKind::Finding { .. } => "finding",
            RecordKind::Locals { .. } => "locals",
            RecordKind::Ended { .. } => "ended",
            RecordKind::Resource { .. } => "resource",
            RecordKind::Grant { .. } => "grant",
            RecordKind::Mode { .. } => "mode",
            RecordKind::Signal { .. } => "signal",
            RecordKind::Closing => "closing",
        }
    }
}
