//! `forkscope run`: a lesson in the dashboard, or headless (text or NDJSON)
//! with its recording and trace.

use std::io::IsTerminal;

use super::{checked_lesson, fail, secs_option};
use crate::cli::RunArgs;
use crate::conductor::RunOptions;
use crate::conductor::schedule::Policy;
use crate::headless::{self, HeadlessOptions};
use crate::recording::Recording;
use crate::scenario;

pub fn run(args: RunArgs, lang: crate::vocab::Lang) -> i32 {
    let (lesson, params) = match checked_lesson(&args.lesson, &args.params) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1000.0) {
        return fail(format!("--speed {}: must be a number in (0, 1000]", args.speed));
    }
    let timeout = match secs_option("timeout", args.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let policy = match args.schedule.as_deref().map(|s| Policy::parse(s, args.seed)) {
        Some(Err(e)) => return fail(e),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if !args.headless && !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use --headless (add --json for NDJSON)");
    }
    if !args.headless && (args.schedule.is_some() || args.timeout.is_some()) {
        return fail("--schedule and --timeout are for --headless runs; in the dashboard you step (n, s) and stop (q) yourself");
    }
    let mut opts = RunOptions::of_lesson(&lesson);
    if args.in_place {
        if lesson.language != scenario::Language::Python || lesson.is_builtin() {
            return fail("--in-place is for Python programs given as a file");
        }
        opts.in_place = std::path::Path::new(&opts.source_path).parent().map(std::path::Path::to_path_buf);
    }
    if let Some(n) = args.lanes {
        if !(3..=65535).contains(&n) {
            return fail(format!("--lanes {n}: must be between 3 and 65535 (the conductor, main and at least one more)"));
        }
        opts.geometry.lanes = n;
    }
    opts.params = params;
    opts.seed = args.seed;
    // The dashboard opens paused on main's first op unless the lesson or `--run` says otherwise.
    opts.paused = args.paused || (!args.headless && !args.run && lesson.manifest.start == scenario::StartMode::Paused);
    opts.statements = args.statements;
    opts.lang = lang;
    opts.speed = args.speed;
    if !args.headless {
        if args.trace.is_some() {
            return fail("--trace is for --headless runs (the dashboard records with --record and --cast)");
        }
        let outputs = crate::ui::Outputs { cast: args.cast, record: args.record };
        return crate::ui::open_lesson(lesson, opts, outputs).unwrap_or_else(fail);
    }
    crate::sys::catch_stop_signals();
    let input = (!args.input.is_empty()).then(|| args.input.clone());
    let keep_records = args.record.is_some() || args.trace.is_some();
    let h = HeadlessOptions { json: args.json, quiet: false, timeout, policy, lang, input, keep_records, tap: None };
    let (params, seed, statements) = (opts.params.clone(), opts.seed, opts.statements);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match headless::run(&lesson, opts, h, &mut out) {
        Ok(f) => {
            if let Some(path) = &args.record {
                let rec = Recording::of_run(&crate::recording::RunOf { lesson: &lesson, params: &params, seed, statements }, &f.schedule, &f.records, Some(f.summary.outcome), "recorded with --record");
                if let Err(e) = rec.save(path) {
                    return fail(e);
                }
                if !args.json {
                    println!("recorded to {} ({} actions{})", path.display(), rec.actions.len(), if rec.reconstructed { ", rebuilt from a free run" } else { "" });
                }
            }
            if let Some(path) = &args.trace {
                let trace = crate::export::trace(&f.records, &lesson.name);
                if let Err(e) = std::fs::write(path, trace.to_string()) {
                    return fail(format!("{}: {e}", path.display()));
                }
                if !args.json {
                    println!("trace written to {} (open it in Perfetto or chrome://tracing)", path.display());
                }
            }
            f.summary.outcome.exit_status()
        }
        Err(e) => fail(e),
    }
}
