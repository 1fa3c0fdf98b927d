//! `forkscope run`: a lesson in the dashboard, or headless (text or NDJSON)
//! with its recording and trace.

use std::io::IsTerminal;

use super::{fail, say, spec};
use crate::cli::RunArgs;
use crate::conductor::RunOptions;
use crate::headless::{self, HeadlessOptions};
use crate::recording::Recording;
use crate::scenario;

pub fn run(args: RunArgs, lang: crate::vocab::Lang) -> i32 {
    let mut spec = match spec(&args.lesson, &args.with, lang) {
        Ok(s) => s,
        Err(code) => return code,
    };
    spec.schedule = args.schedule.clone();
    spec.statements = args.statements;
    let out = &args.output;
    if !out.headless && !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use --headless (add --json for NDJSON)");
    }
    if !out.headless && (args.schedule.is_some() || out.timeout.is_some()) {
        return fail("--schedule and --timeout are for --headless runs; in the dashboard you step (n, s) and stop (q) yourself");
    }
    let start_paused = spec.lesson.manifest.start == scenario::StartMode::Paused;
    let mut opts = RunOptions::new(spec);
    if args.in_place {
        let lesson = &opts.spec.lesson;
        if lesson.engine != scenario::Engine::Python || lesson.is_builtin() {
            return fail("--in-place is for Python programs given as a file");
        }
        opts.in_place = std::path::PathBuf::from(opts.spec.source_path()).parent().map(std::path::Path::to_path_buf);
    }
    if let Some(n) = args.lanes {
        opts.geometry.lanes = n;
    }
    // The dashboard opens paused on main's first op unless the lesson or `--run` says otherwise.
    opts.paused = args.paused || (!out.headless && !args.run && start_paused);
    opts.speed = args.speed;
    if !out.headless {
        if args.trace.is_some() {
            return fail("--trace is for --headless runs (the dashboard records with --record and --cast)");
        }
        let outputs = crate::ui::Outputs { cast: out.cast.clone(), record: args.record };
        return crate::ui::open_lesson(opts, outputs).unwrap_or_else(fail);
    }
    crate::sys::catch_stop_signals();
    let input = (!args.input.is_empty()).then(|| args.input.clone());
    let keep_records = args.record.is_some() || args.trace.is_some();
    let policy = opts.spec.schedule.as_ref().map(|s| s.policy(opts.spec.seed));
    let h = HeadlessOptions { json: out.json, quiet: false, timeout: out.timeout, policy, input, keep_records, tap: None, bury: None };
    let spec = opts.spec.clone();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match headless::run(opts, h, &mut w) {
        Ok(f) => {
            if let Some(path) = &args.record {
                let rec = Recording::of_run(&spec, &f.schedule, &f.records, Some(f.summary.outcome), "recorded with --record");
                if let Err(e) = rec.save(path) {
                    return fail(e);
                }
                if !out.json {
                    say(format!("recorded to {} ({} actions{})", path.display(), rec.actions.len(), if rec.reconstructed { ", rebuilt from a free run" } else { "" }));
                }
            }
            if let Some(path) = &args.trace {
                let trace = crate::export::trace(&f.records, &spec.lesson.name);
                if let Err(e) = std::fs::write(path, trace.to_string()) {
                    return fail(format!("{}: {e}", path.display()));
                }
                if !out.json {
                    say(format!("trace written to {} (open it in Perfetto or chrome://tracing)", path.display()));
                }
            }
            f.summary.outcome.exit_status()
        }
        Err(e) => fail(e),
    }
}
