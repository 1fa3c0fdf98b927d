//! `forkscope snapshot`: run a lesson to a moment, draw that frame, write it.
//!
//! The moment is `--steps N` (started paused, then N steps granted round
//! robin, as `run --schedule rr`), `--at SECS` (running freely for SECS, then
//! paused and settled so the frame is consistent), or by default the end of a
//! round-robin run. The frame is drawn from the model *before* the run is shut
//! down, so it shows the processes as they were, not as forkscope ended them.
//!
//! Reproducible pictures: a stepped run gives the same records every time,
//! but pids differ from run to run. So unless `--real-pids` is given, pids are
//! renumbered: the conductor becomes 1000 and process lane N becomes 1000 + N
//! (main = 1001), everywhere the model holds them — process entries, and any
//! number in printed text, reported values, file previews and findings that
//! equals a real pid of the run. Same lesson, parameters, seed and steps →
//! byte-identical file.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::conductor::schedule::{Policy, STEP_LIMIT};
use crate::conductor::{Action, GateError, Run, RunOptions};
use crate::model::{Model, Record};

/// Steps after which a run drawn at its end is drawn anyway (a lesson that
/// never ends).
pub const END_STEP_LIMIT: u64 = 10_000;

/// Which moment of the run to draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Moment {
    /// After this many round-robin steps (or earlier, if the run ends).
    Steps(u64),
    /// After running freely this long.
    At(Duration),
    /// When a round-robin run is over (at most [`END_STEP_LIMIT`] steps).
    End,
}

/// The run as it was at the moment.
#[derive(Debug)]
pub struct Captured {
    pub model: Model,
    pub records: Vec<Record>,
    /// `step 12`, `at 1.5 s`, `end`, with why it stopped early if it did.
    pub moment: String,
}

/// Runs `opts` to `moment` and returns the model then.
pub fn capture(mut opts: RunOptions, moment: Moment) -> anyhow::Result<Captured> {
    let stepped = !matches!(moment, Moment::At(_));
    opts.paused = stepped;
    let mut run = Run::start(opts)?;
    let mut model = Model::new();
    let mut records = Vec::new();
    let mut recs = Vec::new();
    let feed = |recs: &mut Vec<Record>, model: &mut Model, records: &mut Vec<Record>| {
        for r in recs.drain(..) {
            model.apply(&r);
            records.push(r);
        }
    };
    let label = match moment {
        Moment::At(d) => {
            let t0 = Instant::now();
            while t0.elapsed() < d && !run.all_ended() {
                if let Some(sig) = crate::sys::stop_requested() {
                    anyhow::bail!("stopped by {}", crate::sys::signal_name(sig));
                }
                run.drain(&mut recs, false);
                feed(&mut recs, &mut model, &mut records);
                std::thread::sleep(Duration::from_millis(1));
            }
            // Hold everyone at the gate so the picture is one consistent moment.
            run.pause();
            run.settle(&mut recs, Duration::from_secs(2));
            feed(&mut recs, &mut model, &mut records);
            if run.all_ended() { format!("at {:.1} s (all ended)", d.as_secs_f64()) } else { format!("at {:.1} s", d.as_secs_f64()) }
        }
        Moment::Steps(_) | Moment::End => {
            let limit = match moment {
                Moment::Steps(n) => n,
                _ => END_STEP_LIMIT,
            };
            let mut policy = Policy::RoundRobin;
            let mut steps = 0u64;
            let why = loop {
                if let Some(sig) = crate::sys::stop_requested() {
                    anyhow::bail!("stopped by {}", crate::sys::signal_name(sig));
                }
                if !run.settle(&mut recs, STEP_LIMIT) {
                    feed(&mut recs, &mut model, &mut records);
                    anyhow::bail!("step {steps} did not finish in {}s (a process runs without reaching an op)", STEP_LIMIT.as_secs());
                }
                feed(&mut recs, &mut model, &mut records);
                if run.all_ended() {
                    break Some("all ended");
                }
                if model.deadlock().is_some() {
                    break Some("deadlock");
                }
                if steps >= limit {
                    break None;
                }
                match policy.pick(&run) {
                    Some(Action::Step { lane, .. }) => match run.grant(Some(lane)) {
                        Ok(_) => steps += 1,
                        Err(GateError::NotSteppable(..)) => {}
                        Err(e) => anyhow::bail!("{e}"),
                    },
                    Some(Action::Signal { .. }) => {}
                    None => break Some("nothing can be stepped"),
                }
            };
            match (moment, why) {
                (Moment::Steps(n), None) => format!("step {n}"),
                (Moment::Steps(_), Some(why)) => format!("step {steps} ({why})"),
                (_, Some(why)) => format!("end, step {steps} ({why})"),
                (_, None) => format!("step {steps} (the run goes on; drawn at the step limit)"),
            }
        }
    };
    drop(run);
    Ok(Captured { model, records, moment: label })
}

/// Replaces every maximal run of digits in `text` that is a key of `map`.
fn renumber_text(text: &str, map: &HashMap<i64, i64>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        match digits.parse::<i64>().ok().and_then(|n| map.get(&n)) {
            Some(new) => out.push_str(&new.to_string()),
            None => out.push_str(digits),
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                flush(&mut digits, &mut out);
            }
            out.push(c);
        }
    }
    if !digits.is_empty() {
        flush(&mut digits, &mut out);
    }
    out
}

fn renumber_json(v: &mut serde_json::Value, map: &HashMap<i64, i64>) {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(new) = n.as_i64().and_then(|i| map.get(&i)) {
                *v = (*new).into();
            }
        }
        serde_json::Value::String(s) => *s = renumber_text(s, map),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| renumber_json(x, map)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| renumber_json(x, map)),
        _ => {}
    }
}

/// Stable stand-in pids: the conductor (main's parent) → 1000, lane N → 1000 + N.
pub fn pid_map(model: &Model) -> HashMap<i64, i64> {
    let mut map = HashMap::new();
    for p in model.processes.values() {
        if p.pid > 0 {
            map.insert(p.pid as i64, 1000 + p.lane as i64);
        }
        if p.parent.is_none() && p.ppid > 0 {
            map.insert(p.ppid as i64, 1000);
        }
    }
    map
}

/// Renumbers the pids in `model` (see the module docs).
pub fn renumber_pids(model: &mut Model) {
    let map = pid_map(model);
    let pid = |p: i32| map.get(&(p as i64)).map_or(p, |n| *n as i32);
    for p in model.processes.values_mut() {
        p.pid = pid(p.pid);
        p.ppid = pid(p.ppid);
    }
    for e in &mut model.log {
        e.text = renumber_text(&e.text, &map);
    }
    for v in model.reported.values_mut() {
        renumber_json(v, &map);
    }
    for f in &mut model.findings {
        f.message = renumber_text(&f.message, &map);
    }
    let files: BTreeMap<String, _> = std::mem::take(&mut model.files);
    for (k, mut f) in files {
        f.preview = renumber_text(&f.preview, &map);
        model.files.insert(k, f);
    }
    for rs in model.resources.values_mut() {
        rs.text = renumber_text(&rs.text, &map);
        for i in &mut rs.items {
            *i = renumber_text(i, &map);
        }
    }
}

/// Parses `--size WxH` (columns x rows).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("--size {s}: expected COLUMNSxROWS, e.g. 100x30 (columns 40-400, rows 10-200)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u16, u16) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if !(40..=400).contains(&w) || !(10..=200).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_numbers_that_are_pids_change() {
        let map: HashMap<i64, i64> = [(4242, 1002), (42, 1003)].into_iter().collect();
        assert_eq!(renumber_text("子进程的id=4242 父=42 x424 4242", &map), "子进程的id=1002 父=1003 x424 1002");
        let mut v = serde_json::json!({"pid": 4242, "list": [42, 7], "s": "pid 4242"});
        renumber_json(&mut v, &map);
        assert_eq!(v, serde_json::json!({"pid": 1002, "list": [1003, 7], "s": "pid 1002"}));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100x30"), Ok((100, 30)));
        assert!(parse_size("10x30").is_err());
        assert!(parse_size("100").is_err());
        assert!(parse_size("axb").is_err());
    }
}
