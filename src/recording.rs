//! Recordings: a run saved so that `forkscope replay` reaches the same
//! interleaving and the same outcome.
//!
//! File format (version 1): the 8 bytes `FRKSREC\n`, a little-endian `u32`
//! version, then one bincode value ([`Recording`]): the lesson (name, origin,
//! script and manifest text, so a replay does not depend on files that may
//! have changed), parameters, seed, and the schedule — the gate actions in
//! order (a step of one lane at op or statement granularity, or a signal the
//! user sent) — plus the shape of the records the run wrote, to check a replay.
//!
//! A stepped run records the grants it was given. A free-running run has no
//! grants; its schedule is reconstructed from its records: each op start and
//! each completion after a wake-up becomes one step of that lane, in record
//! order (`reconstructed = true`). Replaying it steps the processes through the
//! same interleaving of ops.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::codec::Value;
use crate::conductor::{Action, RunOptions, RunSpec};
use crate::model::summary::Outcome;
use crate::model::{Record, RecordKind};
use crate::scenario::{Lesson, ScenarioError};
use crate::vocab::{Lane, Op, ResId};

pub const MAGIC: &[u8; 8] = b"FRKSREC\n";
pub const VERSION: u32 = 1;

/// The timing-free identity of one record: what replays must reproduce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub kind: String,
    pub lane: Lane,
    pub op: Option<Op>,
    pub res: Option<ResId>,
    /// The other process involved (child, woken, holder, ended one…).
    pub other: Option<Lane>,
}

impl Shape {
    pub fn of(r: &Record) -> Shape {
        let (op, res, other) = match &r.kind {
            RecordKind::Spawn { child, .. } => (Some(Op::Start), None, Some(*child)),
            RecordKind::Op { op, res, other, .. } => (Some(*op), *res, *other),
            RecordKind::Block { op, res, other, .. } => (Some(*op), *res, *other),
            RecordKind::Wake { op, res, woken } => (Some(*op), *res, Some(*woken)),
            RecordKind::Timeout { op, res, other } => (Some(*op), *res, *other),
            RecordKind::Ended { process, .. } => (None, None, Some(*process)),
            RecordKind::Resource { res, .. } => (None, Some(*res), None),
            RecordKind::Grant { process, .. } => (None, None, *process),
            RecordKind::Signal { process, .. } => (None, None, Some(*process)),
            _ => (None, None, None),
        };
        Shape { kind: r.kind.name().to_string(), lane: r.lane, op, res, other }
    }

    /// Records that only say how the run was scheduled (present when stepping,
    /// absent when running free). A Python process's variables are taken
    /// at its steps only.
    pub fn is_scheduling(&self) -> bool {
        // A sleep blocks in real time but completes at its step when stepped.
        matches!(self.kind.as_str(), "park" | "grant" | "mode" | "locals") || (self.kind == "block" && self.op == Some(Op::Sleep))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub lesson: String,
    pub origin: String,
    pub script_file: String,
    pub script: String,
    pub manifest_file: Option<String>,
    pub manifest_text: Option<String>,
    pub params: BTreeMap<String, Value>,
    pub seed: u64,
    pub statements: bool,
    pub actions: Vec<Action>,
    /// The schedule was rebuilt from a free-running run's records.
    pub reconstructed: bool,
    pub outcome: Option<Outcome>,
    /// Why this run was saved (explore: the failure it found).
    pub note: String,
    pub shapes: Vec<Shape>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: not a forkscope recording (it does not start with the recording header)")]
    Foreign(String),
    #[error("{path}: recording format version {found}; this forkscope reads version {VERSION}")]
    Version { path: String, found: u32 },
    #[error("{path}: the recording is too large to replay ({bytes} bytes, {shapes} records; a replay may take {} MiB)", crate::codec::MAX_FILE_DECODED >> 20)]
    TooLarge { path: String, bytes: usize, shapes: usize },
    #[error("{path}: the recording is damaged ({why})")]
    Corrupt { path: String, why: String },
    #[error("{0}")]
    Lesson(#[from] ScenarioError),
}

impl Recording {
    /// Saves the recording; refuses (before writing) one that [`Recording::load`]
    /// would refuse: what saves, replays.
    pub fn save(&self, path: &Path) -> Result<(), RecordingError> {
        let body = crate::codec::encode(self).map_err(|e| RecordingError::Corrupt { path: path.display().to_string(), why: e.to_string() })?;
        if crate::codec::decode_file::<Recording>(&body).is_err() {
            return Err(RecordingError::TooLarge { path: path.display().to_string(), bytes: body.len(), shapes: self.shapes.len() });
        }
        let mut bytes = Vec::with_capacity(body.len() + 12);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&body);
        std::fs::write(path, bytes).map_err(|source| RecordingError::Io { path: path.display().to_string(), source })
    }

    /// What a figure's footer says of this recording: the head of an explore
    /// counterexample's note (`explore --all: shortest counterexample, 9
    /// steps`), else nothing.
    pub fn figure_note(&self) -> Option<String> {
        self.note.starts_with("explore").then(|| self.note.split(" — ").next().unwrap_or(&self.note).to_string())
    }

    pub fn load(path: &Path) -> Result<Recording, RecordingError> {
        let p = path.display().to_string();
        // Bounded: a recording is never larger than what decoding may allocate.
        let mut bytes = Vec::new();
        {
            use std::io::Read;
            let f = std::fs::File::open(path).map_err(|source| RecordingError::Io { path: p.clone(), source })?;
            f.take(crate::codec::MAX_FILE_DECODED as u64 + 1).read_to_end(&mut bytes).map_err(|source| RecordingError::Io { path: p.clone(), source })?;
        }
        if bytes.len() > crate::codec::MAX_FILE_DECODED {
            return Err(RecordingError::TooLarge { path: p, bytes: bytes.len(), shapes: 0 });
        }
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(RecordingError::Foreign(p));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(RecordingError::Version { path: p, found: version });
        }
        crate::codec::decode_file(&bytes[12..]).map_err(|e| RecordingError::Corrupt { path: p, why: e.to_string() })
    }

    /// The lesson as recorded.
    pub fn lesson(&self) -> Result<Lesson, RecordingError> {
        Ok(Lesson::from_parts(&self.lesson, self.origin.clone(), self.script_file.clone(), self.script.clone(), self.manifest_file.clone(), self.manifest_text.as_deref())?)
    }

    /// The recorded run: its lesson, parameters, seed and step granularity,
    /// said in `lang`.
    pub fn spec(&self, lang: crate::vocab::Lang) -> Result<RunSpec, RecordingError> {
        Ok(RunSpec { params: self.params.clone(), seed: self.seed, statements: self.statements, lang, ..RunSpec::of(self.lesson()?) })
    }

    /// How to start the recorded run again: its spec, paused (the schedule
    /// is then granted to it).
    pub fn run_options(&self, lang: crate::vocab::Lang) -> Result<RunOptions, RecordingError> {
        let mut opts = RunOptions::new(self.spec(lang)?);
        opts.paused = true;
        Ok(opts)
    }

    /// A recording of a run (`of`) whose schedule was `schedule`.
    pub fn of_run(of: &RunSpec, schedule: &[Action], records: &[Record], outcome: Option<Outcome>, note: &str) -> Recording {
        let stepped = schedule.iter().any(|a| matches!(a, Action::Step { .. }));
        let (actions, reconstructed) = if stepped { (schedule.to_vec(), false) } else { (actions_from_records(records), true) };
        Recording::of_actions(of, actions, reconstructed, records, outcome, note)
    }

    /// A recording of a run (`of`) whose schedule is `actions`
    /// (`reconstructed`: rebuilt from a free run's records).
    pub fn of_actions(of: &RunSpec, actions: Vec<Action>, reconstructed: bool, records: &[Record], outcome: Option<Outcome>, note: &str) -> Recording {
        let RunSpec { lesson, params, seed, statements, .. } = of;
        Recording {
            lesson: lesson.name.clone(),
            origin: lesson.origin.clone(),
            script_file: lesson.script_file.clone(),
            script: lesson.script.clone(),
            manifest_file: lesson.manifest_file.clone(),
            manifest_text: lesson.manifest_text.clone(),
            params: params.clone(),
            seed: *seed,
            statements: *statements,
            actions,
            reconstructed,
            outcome,
            note: note.to_string(),
            shapes: records.iter().map(Shape::of).collect(),
        }
    }
}

/// The schedule of a free-running run, from its records (see the module
/// docs): each record carries the steps its writer took since its previous
/// record (`gates`); a process's end is one more step (unless a signal ended
/// it), and the user's signals are replayed as such.
pub fn actions_from_records(records: &[Record]) -> Vec<Action> {
    timed_actions(records).into_iter().map(|(a, _)| a).collect()
}

/// The run's time (`t_ns`) at each action of [`actions_from_records`]: the
/// time of the record that makes it. A rewind of a free run shows these, so
/// the clock at step N is the run's own time at step N.
pub fn action_times(records: &[Record]) -> Vec<u64> {
    timed_actions(records).into_iter().map(|(_, t)| t).collect()
}

fn timed_actions(records: &[Record]) -> Vec<(Action, u64)> {
    let mut out = Vec::new();
    let step = |lane: Lane| Action::Step { lane, granularity: 0 };
    let mut signalled = std::collections::BTreeSet::new();
    for r in records {
        let mut gates = r.gates;
        match &r.kind {
            RecordKind::Op { op: Op::Terminate | Op::Kill, other: Some(o), .. } => {
                signalled.insert(*o);
            }
            // Stepping, a signalled process is gone before its signaller goes
            // on, so joining it never blocks: the block is not a step there.
            RecordKind::Block { op: Op::Join, other: Some(o), .. } if signalled.contains(o) => gates = 0,
            RecordKind::Signal { process, signal } => out.push((Action::Signal { lane: *process, signal: *signal }, r.t_ns)),
            RecordKind::Ended { process, exitcode, .. } if *exitcode >= 0 => out.push((step(*process), r.t_ns)),
            _ => {}
        }
        if r.lane != Lane::CONDUCTOR {
            out.extend(std::iter::repeat_n((step(r.lane), r.t_ns), gates as usize));
        }
    }
    out
}

/// Where two record sequences first differ, or `None` if they are the same.
///
/// `loose` is for a free-running recording replayed step by step: scheduling
/// records (parks, grants, mode changes, sleeps blocking in real time) are left
/// out, and so is *when* each process's end was seen (a free run sees an end a
/// moment later, amid other processes' records) — but the ends themselves, with
/// their exit codes, must be the same set.
pub fn first_difference(a: &[Shape], b: &[Shape], loose: bool) -> Option<(usize, Option<Shape>, Option<Shape>)> {
    // A sleep completes at its step when stepping but later when running free:
    // in loose mode a sleep counts where it began.
    fn sleeps_where_they_began(v: &[Shape], loose: bool) -> Vec<Shape> {
        if !loose {
            return v.to_vec();
        }
        let mut out = Vec::with_capacity(v.len());
        let mut began: std::collections::BTreeSet<Lane> = std::collections::BTreeSet::new();
        for s in v {
            match (s.kind.as_str(), s.op) {
                ("block", Some(Op::Sleep)) => {
                    began.insert(s.lane);
                    out.push(Shape { kind: "op".into(), ..s.clone() });
                }
                ("op", Some(Op::Sleep)) if began.remove(&s.lane) => {}
                _ => out.push(s.clone()),
            }
        }
        out
    }
    let (a, b) = (&sleeps_where_they_began(a, loose)[..], &sleeps_where_they_began(b, loose)[..]);
    let keep = |s: &&Shape| !loose || !(s.is_scheduling() || s.kind == "ended");
    // Also when a signalled process was seen to end: whether joining it then
    // blocked for a moment.
    fn unblock_signalled(v: Vec<&Shape>, loose: bool) -> Vec<&Shape> {
        if !loose {
            return v;
        }
        let mut signalled = std::collections::BTreeSet::new();
        v.into_iter()
            .filter(|s| {
                if s.kind == "op" && matches!(s.op, Some(Op::Terminate | Op::Kill)) {
                    signalled.insert(s.other);
                }
                !(s.kind == "block" && s.op == Some(Op::Join) && signalled.contains(&s.other))
            })
            .collect()
    }
    let fa: Vec<&Shape> = unblock_signalled(a.iter().filter(keep).collect(), loose);
    let fb: Vec<&Shape> = unblock_signalled(b.iter().filter(keep).collect(), loose);
    for i in 0..fa.len().max(fb.len()) {
        if fa.get(i) != fb.get(i) {
            return Some((i, fa.get(i).map(|s| (*s).clone()), fb.get(i).map(|s| (*s).clone())));
        }
    }
    if loose {
        let ends = |v: &[Shape]| {
            let mut e: Vec<Shape> = v.iter().filter(|s| s.kind == "ended").cloned().collect();
            e.sort_by_key(|s| s.other);
            e
        };
        let (ea, eb) = (ends(a), ends(b));
        if ea != eb {
            return Some((fa.len(), ea.first().cloned(), eb.first().cloned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recording {
        let lesson = crate::scenario::load("ticket-race").unwrap();
        Recording::of_run(&RunSpec { seed: 3, ..RunSpec::of(lesson) }, &[Action::Step { lane: Lane(1), granularity: 0 }, Action::Signal { lane: Lane(2), signal: 15 }], &[], Some(Outcome::Completed), "test")
    }

    #[test]
    fn round_trips_through_a_file() {
        let r = sample();
        let path = std::env::temp_dir().join(format!("fs-rec-{}.fsrec", std::process::id()));
        r.save(&path).unwrap();
        let back = Recording::load(&path).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.lesson().unwrap().name, "ticket-race");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_recording_over_3_mb_saves_and_loads() {
        let mut r = sample();
        let shape = Shape { kind: "op".into(), lane: Lane(7), op: Some(Op::Compute), res: Some(ResId(3)), other: None };
        r.shapes = vec![shape; 400_000];
        let path = std::env::temp_dir().join(format!("fs-rec-big-{}.fsrec", std::process::id()));
        r.save(&path).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size >= 3 << 20, "{size} bytes");
        let back = Recording::load(&path).unwrap();
        assert_eq!(back.shapes.len(), 400_000);
        assert_eq!(back, r);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn foreign_old_and_damaged_files_are_refused_clearly() {
        let dir = std::env::temp_dir();
        let pid = std::process::id();
        let foreign = dir.join(format!("fs-foreign-{pid}"));
        std::fs::write(&foreign, b"{\"not\": \"a recording\"}").unwrap();
        assert!(Recording::load(&foreign).unwrap_err().to_string().contains("not a forkscope recording"));
        let old = dir.join(format!("fs-old-{pid}"));
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&99u32.to_le_bytes());
        std::fs::write(&old, &b).unwrap();
        assert!(Recording::load(&old).unwrap_err().to_string().contains("version 99"));
        let damaged = dir.join(format!("fs-damaged-{pid}"));
        sample().save(&damaged).unwrap();
        let mut bytes = std::fs::read(&damaged).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&damaged, &bytes).unwrap();
        assert!(Recording::load(&damaged).unwrap_err().to_string().contains("damaged"));
        for f in [foreign, old, damaged] {
            std::fs::remove_file(f).unwrap();
        }
    }
}
