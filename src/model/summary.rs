//! The closing summary of a run: outcome, processes, reported values, findings.
//! The headless runner prints it; `--json` ends with it as one object. Its
//! messages are English: `crate::words::summary` builds it, saying the
//! model's findings (the model keeps kinds and ids).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Deadlock, Model, PState};
use crate::vocab::Lane;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Deadlock,
    Assertion,
    Timeout,
    Error,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Deadlock => "deadlock",
            Outcome::Assertion => "assertion",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }

    /// The program's exit status for this outcome.
    pub fn exit_status(self) -> i32 {
        match self {
            Outcome::Completed => 0,
            Outcome::Error => 1,
            Outcome::Deadlock => 3,
            Outcome::Assertion => 4,
            Outcome::Timeout => 5,
        }
    }
}

/// Why the runner stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Every process ended by itself.
    AllEnded,
    Deadlock(Deadlock),
    Timeout,
    /// The user interrupted, or the runner could not go on: why.
    Stopped(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessSummary {
    pub name: String,
    pub pid: i32,
    pub ppid: i32,
    /// Python exitcode (-N: killed by signal N); null if it never ended.
    pub exitcode: Option<i32>,
    /// forkscope killed it when the run ended (it was still running then).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub killed_at_end: bool,
    pub lane: Lane,
    pub parent: Option<Lane>,
    pub daemon: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(rename = "type")]
    pub kind: String,
    pub lesson: String,
    pub seed: u64,
    pub params: BTreeMap<String, serde_json::Value>,
    pub outcome: Outcome,
    pub processes: Vec<ProcessSummary>,
    pub reported: BTreeMap<String, serde_json::Value>,
    pub findings: Vec<FindingOut>,
    pub steps: u64,
    pub records: u64,
    pub dropped: u64,
    pub corrupt: u64,
    pub elapsed_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingOut {
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub processes: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    /// A lesson's bad outcome (kind `bad`): its name (`oversold`), what
    /// `explore --bad NAME` hunts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Summary {
    /// The outcome of a run that ended for `reason`, as `model` saw it.
    pub fn outcome(model: &Model, reason: &EndReason) -> Outcome {
        match reason {
            EndReason::Deadlock(_) => Outcome::Deadlock,
            EndReason::Timeout => Outcome::Timeout,
            EndReason::Stopped(_) => Outcome::Error,
            EndReason::AllEnded if model.assertion_failed => Outcome::Assertion,
            EndReason::AllEnded => match model.processes.get(&Lane::MAIN).map(|p| p.state) {
                Some(PState::Exited(0)) => Outcome::Completed,
                _ => Outcome::Error,
            },
        }
    }

}

/// A reported value as people read it: JSON, but a float with four
/// significant digits and no trailing zeros (`0.2284`, not
/// `0.2283592299999988`). `--json` keeps the exact value.
pub fn show_value(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Number(n) if n.is_f64() => n.as_f64().map_or_else(|| n.to_string(), show_float),
        J::Array(a) => format!("[{}]", a.iter().map(show_value).collect::<Vec<_>>().join(", ")),
        J::Object(o) => format!("{{{}}}", o.iter().map(|(k, v)| format!("{}: {}", J::String(k.clone()), show_value(v))).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// `x` with four significant digits (one to six decimals), trailing zeros
/// cut; a whole float keeps its `.0`, as Python prints it.
pub fn show_float(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.1}");
    }
    let decimals = (3 - x.abs().log10().floor() as i64).clamp(1, 6) as usize;
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "0" || s == "-0" { format!("{x:.1e}") } else { s }
}

#[cfg(test)]
mod show_tests {
    use super::*;

    #[test]
    fn reported_floats_read_as_people_write_them() {
        assert_eq!(show_float(0.2283592299999988), "0.2284");
        assert_eq!(show_float(2.0), "2.0");
        assert_eq!(show_float(12.345678), "12.35");
        assert_eq!(show_float(-1234.56), "-1234.6");
        assert_eq!(show_float(0.000012345), "0.000012");
        assert_eq!(show_float(1e-9), "1.0e-9");
        let v = serde_json::json!({"t": [0.30000000000000004, 3], "s": "x", "ok": true});
        assert_eq!(show_value(&v), r#"{"ok": true, "s": "x", "t": [0.3, 3]}"#);
        assert_eq!(show_value(&serde_json::json!(7)), "7");
    }
}
