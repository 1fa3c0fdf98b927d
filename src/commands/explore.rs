//! `forkscope explore`: sampling or `--all`, and its report (text or JSON).

use std::io::IsTerminal;
use std::time::Duration;

use super::{fail, spec};
use crate::cli::ExploreArgs;
use crate::explore::{ExploreOptions, Explored};

pub fn explore(args: ExploreArgs, lang: crate::vocab::Lang) -> i32 {
    let spec = match spec(&args.lesson, &args.with, lang) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let lesson = &spec.lesson;
    let bad = match args.bad.as_deref().map(|b| if b == "assert" { "assertion" } else { b }) {
        Some(b) if !lesson.manifest.bad_names().iter().any(|n| n == b) => {
            return fail(format!("--bad {b}: the lesson {} has no bad outcome of that name; it has {}", lesson.name, lesson.manifest.bad_names().join(", ")));
        }
        b => b.map(str::to_string),
    };
    crate::sys::catch_stop_signals();
    let progress = args.all && !args.json && std::io::stdout().is_terminal();
    let opts = ExploreOptions {
        bad,
        runs: args.runs.unwrap_or(100),
        spec: spec.clone(),
        out: args.out,
        run_timeout: Duration::from_secs(30),
        exe: "/proc/self/exe".into(),
        preemptions: args.preemptions,
        budget: args.runs,
        progress,
        progress_json: args.all && args.progress_json,
        reduce: !args.no_reduce,
        first: args.first,
        workers: crate::explore::workers(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    use std::io::Write;
    if args.all {
        let all = crate::explore::explore_all(&opts, &mut out);
        if crate::sys::phases::on() {
            eprint!("{}", crate::sys::phases::table());
        }
        return match all {
            Ok(r) => {
                if args.json {
                    let _ = writeln!(out, "{}", crate::explore::report::all_json(&r, &opts));
                } else {
                    let _ = write!(out, "{}", crate::explore::report::all_text(&r, &opts));
                }
                if r.found.is_some() {
                    1
                } else if r.failed.is_some() {
                    2
                } else {
                    0
                }
            }
            Err(e) => fail(e),
        };
    }
    let mut sink = std::io::sink();
    let progress_out: &mut dyn Write = if args.json { &mut sink } else { &mut out };
    match crate::explore::explore(&opts, progress_out) {
        Ok(Explored::Found(f)) => {
            if args.json {
                let _ = writeln!(out, "{}", crate::explore::report::found_json(&f, "sample"));
            } else {
                let _ = writeln!(out, "\nfound {} in run {} (seed {}, {} schedule, {} steps):\n  {}", crate::words::a_or_an(&f.kind), f.run, f.seed, f.policy, f.found_steps, f.message);
                let _ = write!(out, "{}", crate::explore::report::why_text(&f, opts.spec.lang));
                let _ = writeln!(out, "minimised: {} steps chosen ({} in all, then every process runs on)", f.chosen, f.steps);
                let _ = writeln!(out, "saved to {}\nreplay it: forkscope replay {}", f.saved.display(), f.saved.display());
            }
            1
        }
        Ok(Explored::Clean { runs, elapsed }) => {
            if args.json {
                let _ = writeln!(out, "{}", serde_json::json!({"type": "explore", "mode": "sample", "result": "clean", "runs": runs, "elapsed_s": elapsed.as_secs_f64(), "bad": opts.bad}));
            } else {
                let what = opts.bad.as_deref().map_or("no failed assert, no deadlock, no bad outcome declared by the lesson".to_string(), |n| format!("none gave {n} (the one bad outcome asked for)"));
                let _ = writeln!(out, "\nnothing went wrong in {runs} runs (seeds {}..{}, random and PCT schedules, {:.1}s): {what}", spec.seed, spec.seed + runs as u64 - 1, elapsed.as_secs_f64());
            }
            0
        }
        Ok(Explored::Failed { failed, runs, elapsed }) => {
            if args.json {
                let _ = writeln!(out, "{}", failed.json("sample", runs, elapsed));
            } else {
                let _ = writeln!(out, "\nexplore stopped: {}", failed.text());
            }
            2
        }
        Err(e) => fail(e),
    }
}
