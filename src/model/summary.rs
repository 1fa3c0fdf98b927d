//! The closing summary of a run: outcome, processes, reported values, findings.
//! The headless runner prints it; `--json` ends with it as one object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Deadlock, Finding, Model, PState};

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
    pub lane: u32,
    pub parent: Option<u32>,
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
}

impl Summary {
    /// The outcome of a run that ended for `reason`, as `model` saw it.
    pub fn outcome(model: &Model, reason: &EndReason) -> Outcome {
        match reason {
            EndReason::Deadlock(_) => Outcome::Deadlock,
            EndReason::Timeout => Outcome::Timeout,
            EndReason::Stopped(_) => Outcome::Error,
            EndReason::AllEnded if model.assertion_failed => Outcome::Assertion,
            EndReason::AllEnded => match model.processes.get(&crate::shm::layout::MAIN_LANE).map(|p| p.state) {
                Some(PState::Exited(0)) => Outcome::Completed,
                _ => Outcome::Error,
            },
        }
    }

    pub fn build(model: &Model, reason: &EndReason, lesson: &str, seed: u64, params: BTreeMap<String, serde_json::Value>) -> Summary {
        let outcome = Summary::outcome(model, reason);
        let mut findings: Vec<Finding> = model.findings.clone();
        match reason {
            EndReason::Deadlock(d) => findings.push(Finding { kind: "deadlock".into(), message: d.message.clone(), processes: d.processes.clone(), resources: d.resources.clone() }),
            EndReason::Timeout => findings.push(Finding { kind: "timeout".into(), message: "the run went past its time limit; every process was ended".into(), processes: vec![], resources: vec![] }),
            EndReason::Stopped(why) => findings.push(Finding { kind: "stopped".into(), message: why.clone(), processes: vec![], resources: vec![] }),
            EndReason::AllEnded => {}
        }
        Summary {
            kind: "summary".into(),
            lesson: lesson.into(),
            seed,
            params,
            outcome,
            processes: model
                .tree_order()
                .into_iter()
                .filter_map(|(lane, _)| model.processes.get(&lane))
                .map(|p| ProcessSummary { name: p.name.clone(), pid: p.pid, ppid: p.ppid, exitcode: p.exitcode, lane: p.lane, parent: p.parent, daemon: p.daemon })
                .collect(),
            reported: model.reported.clone(),
            findings: findings
                .iter()
                .map(|f| FindingOut {
                    kind: f.kind.clone(),
                    message: f.message.clone(),
                    processes: f.processes.iter().map(|p| model.pname(*p)).collect(),
                    resources: f.resources.iter().map(|r| model.rname(*r)).collect(),
                })
                .collect(),
            steps: model.steps,
            records: model.records,
            dropped: 0,
            corrupt: 0,
            elapsed_s: 0.0,
        }
    }
}
