//! What `explore` prints at its end: a sentence or two for a person, or one
//! JSON object (`--json`).
//!
//! The JSON object of `explore --all` has `type` = `"explore"`, `mode` =
//! `"all"`, `result` (`verified`, `counterexample` or `bounded`),
//! `interleavings` (run to their end), `runs`, `seen_states` (runs ended at a
//! state searched before, or met before in the same run), `cycles` (of
//! those, runs that came back to a state of their own: a program that loops
//! forever), `reduced` (the reductions were on), `elapsed_s`, the bounds (`preemptions`, `budget`:
//! a number or null), `cut` (`{"preemptions": bool, "runs": bool}`: which
//! bound cut the search) and `counterexample` (null, or `kind`, `message`,
//! `steps` = steps the saved schedule chooses, `steps_in_all`, `found_steps`
//! = steps of the bad interleaving it was made from (the one of fewest steps
//! among the bad ones seen), `bad_interleavings`, `shortest_of_all` (the
//! search ran to its end after the first bad one, so it is the shortest of
//! them all), `run`, `saved`, and why it went wrong: `conflicts` — the conflicting ops
//! whose order made it bad, in the order they ran, each `process`, `op`,
//! `resource` (a resource's name or a file's path), `line` and `step` —,
//! `good_order` (the same ops as a run that went well made them, in its
//! order), `completing_step` (the step of the last of them) and `why` (the
//! sentences, `en` and `zh`), `policy` (`all`: an interleaving of the
//! search; else the sampled schedule that met it)), `first` (`--first`) and
//! `sampled` (runs by sampled schedules, in `runs`), `sampled_cut` (of
//! those, runs cut at their step cap and dropped unjudged: a guess beside
//! the search, not part of it), and `outcomes`: each distinct set of reported values
//! (`reported`, as in a run's summary) with the number of `interleavings`
//! that reached it. Sampling (`explore` without `--all`) gives `mode` =
//! `"sample"`, `result` = `clean` (with `runs`) or `counterexample`. With
//! `--bad NAME`, `bad` is that name (else null), and `verified`/`clean` say
//! only that no schedule tried gives that one bad outcome.
//!
//! Either mode stops at a run that fails — that does not end by itself (its
//! time limit, a step that never finished) or ends in an error no finding
//! explains — and says so: `result` = `failed`, with `runs`, `elapsed_s` and
//! `failed` (`run`, `seed`, `policy`, `outcome`, `message`, `steps`); exit
//! status 2. Such a run is never counted as clean.

use super::conflicts::Access;
use super::{AllExplored, ExploreOptions, Failure};
use crate::words::Lang;

/// One conflicting op: `process`, `op`, `resource`, `line`, and the `step`
/// of the run it ran in.
fn access_json(a: &Access) -> serde_json::Value {
    serde_json::json!({"process": a.process, "op": a.op, "resource": a.resource, "line": a.line, "step": a.step})
}

/// Why the counterexample went wrong, a line each (`  why: …`), in `lang`; empty when unknown.
pub fn why_text(f: &Failure, l: Lang) -> String {
    crate::words::conflicts(&f.conflicts, l).iter().map(|s| format!("  {} {s}\n", l.pick("why:", "原因:"))).collect()
}

/// The counterexample as a JSON object.
pub fn found_json(f: &Failure, mode: &str) -> serde_json::Value {
    let c = serde_json::json!({
        "kind": f.kind,
        "message": f.message,
        "steps": f.chosen,
        "steps_in_all": f.steps,
        "found_steps": f.found_steps,
        "run": f.run,
        "policy": f.policy,
        "seed": f.seed,
        "saved": f.saved.display().to_string(),
        "conflicts": f.conflicts.bad_order.iter().map(access_json).collect::<Vec<_>>(),
        "good_order": f.conflicts.good_order.iter().map(access_json).collect::<Vec<_>>(),
        "completing_step": f.conflicts.completing_step(),
        "why": {"en": crate::words::conflicts(&f.conflicts, Lang::En), "zh": crate::words::conflicts(&f.conflicts, Lang::Zh)},
    });
    if mode == "all" {
        return c;
    }
    serde_json::json!({"type": "explore", "mode": mode, "result": "counterexample", "counterexample": c})
}

/// `explore --all`'s summary object.
pub fn all_json(r: &AllExplored, opts: &ExploreOptions) -> serde_json::Value {
    if let Some(failed) = &r.failed {
        return failed.json("all", r.runs, r.elapsed);
    }
    serde_json::json!({
        "type": "explore",
        "mode": "all",
        "result": r.result(),
        "interleavings": r.interleavings,
        "runs": r.runs,
        "minimise_runs": r.minimise_runs,
        "seen_states": r.seen_states,
        "cycles": r.cycles,
        "first": opts.first,
        "sampled": r.sampled,
        "sampled_cut": r.sampled_cut,
        "beside": r.beside,
        "reduced": opts.reduce && opts.preemptions.is_none(),
        "elapsed_s": (r.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "preemptions": opts.preemptions,
        "budget": opts.budget,
        "cut": {"preemptions": r.cut_by_preemptions, "runs": r.cut_by_runs},
        "bad": opts.bad,
        "counterexample": r.found.as_ref().map(|f| {
            let mut c = found_json(f, "all");
            c["bad_interleavings"] = r.bad_interleavings.into();
            c["shortest_of_all"] = r.searched_all.into();
            c
        }),
        "outcomes": r.outcomes.iter().map(|(k, n)| serde_json::json!({"reported": serde_json::from_str::<serde_json::Value>(k).unwrap_or_default(), "interleavings": n})).collect::<Vec<_>>(),
    })
}

/// What cut the search, as "K preemptions / N runs".
fn bounds(r: &AllExplored, opts: &ExploreOptions) -> String {
    let mut b = Vec::new();
    if r.cut_by_preemptions {
        b.push(format!("{} preemptions", opts.preemptions.unwrap_or(0)));
    }
    if r.cut_by_runs {
        b.push(format!("{} runs", opts.budget.unwrap_or(0)));
    }
    b.join(" / ")
}

/// `explore --all`'s closing lines.
pub fn all_text(r: &AllExplored, opts: &ExploreOptions) -> String {
    let secs = r.elapsed.as_secs_f64();
    // Of the runs ended at a state seen before, `cycles` came back to one of
    // their own (a program that loops): said so.
    let looped = if r.cycles > 0 { format!(" ({} of them back where the run had been: a loop)", r.cycles) } else { String::new() };
    let seen = if r.seen_states > 0 { format!(", {} ended at a state seen before{looped}", r.seen_states) } else { String::new() };
    let cut = if r.sampled_cut > 0 { format!(", {} of them cut at their step cap and dropped", r.sampled_cut) } else { String::new() };
    let sampled = if r.sampled > 0 { format!(", {} by sampled schedules{cut}", r.sampled) } else { String::new() };
    let ran = format!("{} ran ({}{sampled}{seen}, {secs:.1}s)", crate::words::count(r.interleavings.into(), "inequivalent interleaving"), crate::words::count(r.runs.into(), "run"));
    if let Some(failed) = &r.failed {
        return format!("explore --all stopped: {}\n", failed.text());
    }
    match (&r.found, r.result()) {
        (Some(f), _) if opts.first => format!(
            "counterexample: {}: {}\n{}  a bad schedule: {} steps chosen ({} in all, then every process runs on), minimised from the first bad run met (run {}, {} steps, {}; --first: no looking on for a shorter one); {ran}\nsaved to {}\nreplay it: forkscope replay {}\n",
            f.kind,
            f.message,
            why_text(f, opts.spec.lang),
            f.chosen,
            f.steps,
            f.run,
            f.found_steps,
            if f.policy == "all" { "an interleaving of the search".to_string() } else { format!("a sampled {} schedule", f.policy) },
            f.saved.display(),
            f.saved.display()
        ),
        (Some(f), _) => format!(
            "counterexample: {}: {}\n{}  the shortest bad schedule: {} steps chosen ({} in all, then every process runs on), from the bad interleaving of fewest steps ({}) of the {} {}; {ran}\nsaved to {}\nreplay it: forkscope replay {}\n",
            f.kind,
            f.message,
            why_text(f, opts.spec.lang),
            f.chosen,
            f.steps,
            f.found_steps,
            r.bad_interleavings,
            if r.searched_all { "bad ones among all interleavings" } else { "bad ones found before the search stopped looking" },
            f.saved.display(),
            f.saved.display()
        ),
        (None, "verified") => {
            // With states seen before, not every interleaving ran to its end:
            // each was covered, by its run or by the state it reached.
            let all = if r.seen_states > 0 {
                format!("every interleaving covered: {} ran to the end, {} ended at a state seen before{looped} ({}, {secs:.1}s)", crate::words::count(r.interleavings.into(), "inequivalent interleaving"), r.seen_states, crate::words::count(r.runs.into(), "run"))
            } else {
                format!("all {ran}")
            };
            match &opts.bad {
                Some(name) => format!("verified: {all}: none gives {name} (the one bad outcome asked for: --bad {name})\n"),
                None => format!("verified: {all}: no failed assert, no deadlock, no bad outcome declared by the lesson\n"),
            }
        }
        _ => format!("no {} within {}: {ran}; not verified: the bound cut the search\n", opts.bad.as_deref().map_or("bad schedule".to_string(), |n| format!("schedule giving {n}")), bounds(r, opts)),
    }
}
