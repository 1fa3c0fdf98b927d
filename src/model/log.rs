//! The log and the findings, kept as kinds and ids: `crate::words` says them.

use serde::Serialize;

use super::PState;
use crate::vocab::{Lane, Op, ResId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Print,
    /// Standard error output (printed by the lesson, like `Print`).
    Stderr,
    Event,
    Error,
    Finding,
    Report,
}

/// One write of a process to its standard output or error, in the order the
/// terminal would receive them: the Console view writes them one after the
/// other (`newline`: a line's end follows the text; a flushed partial line
/// has none, and what comes next, from any process, continues it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleWrite {
    pub lane: Lane,
    pub stderr: bool,
    pub text: String,
    pub newline: bool,
}

/// One line of the log: what a process wrote, or what forkscope saw happen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub t_ns: u64,
    pub lane: Lane,
    pub line: u32,
    pub kind: LogKind,
    /// What the program wrote, as it wrote it (`Print`, `Stderr`, `Error`);
    /// empty for the rest.
    pub text: String,
    /// What forkscope saw (`Event`, `Report`, `Finding`), as kinds and ids:
    /// `crate::words` says it in a language.
    pub event: Option<LogEvent>,
}

/// Something forkscope saw happen, kept as kinds and ids (no sentence): the
/// views say it in their language (`crate::words::event`). The process the
/// entry is about is the entry's `lane`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogEvent {
    /// It (or forkscope, lane 0) started `child`.
    Started { child: Lane, pid: i32, daemon: bool },
    /// It blocked in `op` on resource `res` (held by `holder`) or on process `on`.
    Blocked { op: Op, res: Option<ResId>, on: Option<Lane>, holder: Option<Lane> },
    /// Its op woke `woken`, who waited in `op` on `res`; `handed`: the
    /// lock-like `res` is now `woken`'s.
    Woke { woken: Lane, op: Op, res: ResId, handed: bool },
    /// Its wait in `op` ended by timeout.
    TimedOut { op: Op },
    /// It sent `signal` to `to` (`terminate()`, `kill()`).
    Sent { signal: i32, to: Lane },
    /// Its `join(secs)` of `on` timed out.
    GaveUpJoin { on: Lane },
    /// It joined `on`, which had ended with `exitcode`.
    Joined { on: Lane, exitcode: i64 },
    /// It ended.
    Ended { state: PState },
    /// The run is over: forkscope ends what is left (lane 0).
    Closing,
    /// The user sent `signal` to `to` from the dashboard (lane 0).
    UserSent { signal: i32, to: Lane },
    /// It read (or wrote, `write`) shared `res` at `place` (a Value's
    /// `.value`, an Array's element, a manager's object's item, attribute
    /// or method): `value`, as Python shows it.
    Shared { write: bool, res: ResId, place: super::Place, value: String },
    /// It reported `key` = `value`.
    Report { key: String, value: serde_json::Value },
    /// A finding (see [`Finding`]).
    Finding(Said),
}

/// What a finding says, as kinds and ids, or as the run's own text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    /// Text the run wrote (a misuse the runtime noticed), shown as it is.
    Text(String),
    /// Text the run wrote about process `lane` (its error, its failed assert).
    Of { lane: Lane, text: String },
    /// `lane` ended (by `signal`, or by itself) while holding `res`: they are
    /// never released.
    EndedHolding { lane: Lane, signal: Option<i32>, daemon: bool, res: Vec<ResId> },
    /// `lane` released Lock `res`, which `holder` held (Python allows it for
    /// a `multiprocessing.Lock`; it is almost always a mistake).
    ReleasedOthers { lane: Lane, res: ResId, holder: Lane },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `error`, `assertion`, `ended_holding`, `misuse`, …
    pub kind: String,
    pub said: Said,
    pub processes: Vec<Lane>,
    pub resources: Vec<ResId>,
}
