//! Checks that a trace is well formed (used by the tests, and handy for
//! anyone producing traces): every span closes, flows pair up, counters are
//! numbers, every track is named.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// What a well-formed trace holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    pub spans: usize,
    pub instants: usize,
    pub counters: usize,
    pub flows: usize,
    /// Named tracks (pid, tid).
    pub tracks: usize,
}

fn int(e: &Value, k: &str) -> Result<i64, String> {
    e[k].as_i64().ok_or_else(|| format!("{k} is not an integer in {e}"))
}

fn ts(e: &Value, k: &str) -> Result<f64, String> {
    match e[k].as_f64() {
        Some(t) if t >= 0.0 && t.is_finite() => Ok(t),
        _ => Err(format!("{k} is not a time in {e}")),
    }
}

/// Checks `trace` (the JSON object format); the error names the first problem.
pub fn check(trace: &Value) -> Result<TraceStats, String> {
    let events = trace["traceEvents"].as_array().ok_or("no traceEvents array")?;
    let mut stats = TraceStats::default();
    let mut named: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut used: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut spans: BTreeMap<(i64, i64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut stacks: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    let mut starts: BTreeMap<i64, (f64, String, String)> = BTreeMap::new();
    let mut ends: BTreeMap<i64, (f64, String, String)> = BTreeMap::new();
    for e in events {
        let ph = e["ph"].as_str().ok_or_else(|| format!("no ph in {e}"))?;
        let track = (int(e, "pid")?, int(e, "tid").unwrap_or(0));
        let name = e["name"].as_str().ok_or_else(|| format!("no name in {e}"))?.to_string();
        if ph == "M" {
            if name == "thread_name" {
                named.insert(track);
            }
            continue;
        }
        let t = ts(e, "ts")?;
        match ph {
            "X" => {
                let d = ts(e, "dur")?;
                spans.entry(track).or_default().push((t, t + d));
                stats.spans += 1;
                used.insert(track);
            }
            "B" => {
                stacks.entry(track).or_default().push(name);
                used.insert(track);
            }
            "E" => {
                stacks.entry(track).or_default().pop().ok_or_else(|| format!("an end without a begin: {e}"))?;
                stats.spans += 1;
            }
            "i" | "I" => {
                stats.instants += 1;
                used.insert(track);
            }
            "C" => {
                let args = e["args"].as_object().filter(|a| !a.is_empty()).ok_or_else(|| format!("a counter without values: {e}"))?;
                if let Some((k, v)) = args.iter().find(|(_, v)| !v.is_number()) {
                    return Err(format!("counter {name:?} value {k} = {v} is not a number"));
                }
                stats.counters += 1;
            }
            "s" | "f" => {
                let id = int(e, "id")?;
                let cat = e["cat"].as_str().unwrap_or("").to_string();
                let map = if ph == "s" { &mut starts } else { &mut ends };
                if map.insert(id, (t, cat, name)).is_some() {
                    return Err(format!("flow id {id} has two {ph:?} events"));
                }
                used.insert(track);
            }
            other => return Err(format!("unexpected phase {other:?} in {e}")),
        }
    }
    if let Some((track, open)) = stacks.iter().find(|(_, s)| !s.is_empty()) {
        return Err(format!("span {:?} on {track:?} never ends", open.last()));
    }
    for (track, list) in &mut spans {
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in list.windows(2) {
            // Allow float rounding of the microsecond values.
            if w[1].0 + 1e-3 < w[0].1 {
                return Err(format!("spans overlap on {track:?}: {:?} and {:?}", w[0], w[1]));
            }
        }
    }
    for (id, (t, cat, name)) in &starts {
        let (t2, cat2, name2) = ends.get(id).ok_or_else(|| format!("flow {id} ({name}) starts but never ends"))?;
        if (cat, name) != (cat2, name2) || t2 < t {
            return Err(format!("flow {id}: start ({cat} {name} at {t}) and end ({cat2} {name2} at {t2}) do not match"));
        }
    }
    if let Some(id) = ends.keys().find(|id| !starts.contains_key(id)) {
        return Err(format!("flow {id} ends but never starts"));
    }
    if let Some(t) = used.iter().find(|t| !named.contains(t)) {
        return Err(format!("track {t:?} has events but no thread_name"));
    }
    stats.flows = starts.len();
    stats.tracks = named.len();
    Ok(stats)
}
