//! `forkscope`: parses the command line and dispatches; nothing else.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use forkscope::cli::{Cli, Command, ExploreArgs, ReplayArgs, RunArgs, SnapshotArgs};
use forkscope::conductor::RunOptions;
use forkscope::conductor::schedule::Policy;
use forkscope::explore::{ExploreOptions, Explored};
use forkscope::headless::{self, HeadlessOptions};
use forkscope::recording::{Recording, Shape, first_difference};
use forkscope::scenario;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Some(Command::Worker { .. } | Command::Template { .. })) {
        // A forkscope started inside a run (a program's subprocess, a shell
        // it opened) inherits that run's mark. What it starts is not to
        // carry it on: its own run's processes carry its own mark (set on
        // each), its guard and helpers none. (It is still of the outer run
        // itself, as every descendant of a run is, and ends with it.)
        // SAFETY: nothing else runs yet: no thread reads the environment.
        unsafe { std::env::remove_var(forkscope::sys::RUN_ENV) };
    }
    forkscope::python::launch::choose(cli.python.clone());
    if cli.no_fork_server {
        forkscope::conductor::without_fork_server();
    }
    if matches!(cli.command, None | Some(Command::Run(_) | Command::Replay(_) | Command::Explore(_) | Command::Snapshot(_))) {
        forkscope::ui::terminal::catch_bus_error();
    }
    let code = match cli.command {
        Some(Command::Worker { segment, lane }) => forkscope::worker::main(&segment, lane),
        Some(Command::Template { segment }) => forkscope::worker::template::main(&segment),
        Some(Command::Guard { segment, scratch }) => forkscope::conductor::guard::main(&segment, &scratch),
        Some(Command::List) => list(&cli.lang),
        Some(Command::Copy { lesson, dir }) => copy(&lesson, &dir),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Run(args)) => run(args, &cli.lang),
        Some(Command::Replay(args)) => replay(args, &cli.lang),
        Some(Command::Explore(args)) => explore(args, &cli.lang),
        Some(Command::Snapshot(args)) => snapshot(args, &cli.lang),
        None => dashboard_or_list(&cli.lang),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn fail(msg: impl std::fmt::Display) -> i32 {
    eprintln!("forkscope: {msg}");
    2
}

fn list(lang: &str) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for l in scenario::python_builtins().into_iter().chain(scenario::builtins()) {
        // A reader that stops early (`forkscope list | head`) is no error.
        if writeln!(out, "{:<20} {}", l.name, l.title(lang)).is_err() {
            return 0;
        }
    }
    0
}

fn copy(name: &str, dir: &std::path::Path) -> i32 {
    let lesson = match scenario::load(name) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match scenario::copy::copy(&lesson, dir) {
        Ok(written) => {
            for p in &written {
                println!("wrote {}", p.display());
            }
            let main = &written[0];
            match lesson.language {
                scenario::Language::Python => println!("run it: forkscope run {} (or python3 {})", main.display(), main.display()),
                scenario::Language::Rhai => println!("run it: forkscope run {}", main.display()),
            }
            0
        }
        Err(e) => fail(e),
    }
}

fn check(file: &str) -> i32 {
    if file.ends_with(".py")
        && let Err(e) = forkscope::python::launch::chosen()
    {
        return fail(e);
    }
    match scenario::load(file).and_then(|l| scenario::check::check(&l).map(|_| l)) {
        Ok(l) => {
            println!("{}: ok ({} parameters)", l.script_file, l.manifest.params.len());
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn dashboard_or_list(lang: &str) -> i32 {
    if !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use `forkscope run LESSON --headless` (add --json for NDJSON)");
    }
    forkscope::ui::open_picker(lang).unwrap_or_else(fail)
}

fn run(args: RunArgs, lang: &str) -> i32 {
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
    opts.lang = lang.to_string();
    opts.speed = args.speed;
    if !args.headless {
        if args.trace.is_some() {
            return fail("--trace is for --headless runs (the dashboard records with --record and --cast)");
        }
        let outputs = forkscope::ui::Outputs { cast: args.cast, record: args.record };
        return forkscope::ui::open_lesson(lesson, opts, outputs).unwrap_or_else(fail);
    }
    forkscope::sys::catch_stop_signals();
    let input = (!args.input.is_empty()).then(|| args.input.clone());
    let keep_records = args.record.is_some() || args.trace.is_some();
    let h = HeadlessOptions { json: args.json, quiet: false, timeout, policy, lang: lang.to_string(), input, keep_records, tap: None };
    let (params, seed, statements) = (opts.params.clone(), opts.seed, opts.statements);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match headless::run(&lesson, opts, h, &mut out) {
        Ok(f) => {
            if let Some(path) = &args.record {
                let rec = Recording::of_run(&forkscope::recording::RunOf { lesson: &lesson, params: &params, seed, statements }, &f.schedule, &f.records, Some(f.summary.outcome), "recorded with --record");
                if let Err(e) = rec.save(path) {
                    return fail(e);
                }
                if !args.json {
                    println!("recorded to {} ({} actions{})", path.display(), rec.actions.len(), if rec.reconstructed { ", rebuilt from a free run" } else { "" });
                }
            }
            if let Some(path) = &args.trace {
                let trace = forkscope::export::trace(&f.records, &lesson.name);
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

/// The lesson `name` (built-in or file), checked, with `--param` values
/// resolved; a mistake in the file is printed as file:line:column (exit 1),
/// anything else as a usage error (exit 2).
fn checked_lesson(name: &str, params: &[String]) -> Result<(scenario::Lesson, BTreeMap<String, forkscope::codec::Value>), i32> {
    let lesson = match scenario::load(name) {
        Ok(l) => l,
        Err(e @ scenario::ScenarioError::At { .. }) => {
            eprintln!("{e}");
            return Err(1);
        }
        Err(e) => return Err(fail(e)),
    };
    if lesson.language == scenario::Language::Python
        && let Err(e) = forkscope::python::launch::library(std::path::Path::new("/proc/self/exe"))
    {
        return Err(fail(e));
    }
    match scenario::check::check(&lesson) {
        Ok(()) => {}
        Err(e @ scenario::ScenarioError::At { .. }) => {
            eprintln!("{e}");
            return Err(1);
        }
        // No interpreter, or not one forkscope runs: a usage problem, in one line.
        Err(e) => return Err(fail(e)),
    }
    let params = lesson.resolve_params(params).map_err(fail)?;
    // The program the run executes and shows: its variant, its constants set.
    let lesson = lesson.for_run(&params).map_err(fail)?;
    Ok((lesson, params))
}

fn secs_option(name: &str, v: Option<f64>) -> Result<Option<Duration>, i32> {
    match v {
        Some(t) if !(t.is_finite() && t > 0.0) => Err(fail(format!("--{name} {t}: must be a positive number of seconds"))),
        Some(t) => Ok(Some(Duration::from_secs_f64(t))),
        None => Ok(None),
    }
}

fn replay(args: ReplayArgs, lang: &str) -> i32 {
    let rec = match Recording::load(&args.file) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let lesson = match rec.lesson() {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let timeout = match secs_option("timeout", args.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if !args.headless && !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use --headless (add --json for NDJSON)");
    }
    if !args.headless {
        if args.timeout.is_some() {
            return fail("--timeout is for --headless replays");
        }
        let outputs = forkscope::ui::Outputs { cast: args.cast, record: None };
        return forkscope::ui::open_replay(&rec, lang, outputs).unwrap_or_else(fail);
    }
    let opts = rec.run_options(&lesson, lang);
    forkscope::sys::catch_stop_signals();
    let policy = Policy::Replay(rec.actions.iter().copied().collect());
    let h = HeadlessOptions { json: args.json, quiet: false, timeout, policy: Some(policy), lang: lang.to_string(), input: Some(Vec::new()), keep_records: true, tap: None };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match headless::run(&lesson, opts, h, &mut out) {
        Ok(f) => {
            let shapes: Vec<Shape> = f.records.iter().map(Shape::of).collect();
            match first_difference(&rec.shapes, &shapes, rec.reconstructed) {
                None => {
                    if !args.json {
                        println!("replay matched the recording: {} records, same order", shapes.len());
                    }
                    f.summary.outcome.exit_status()
                }
                Some((i, want, got)) => {
                    eprintln!("forkscope: the replay went another way at record {i}: recorded {want:?}, replayed {got:?}");
                    1
                }
            }
        }
        Err(e) => fail(e),
    }
}

fn explore(args: ExploreArgs, lang: &str) -> i32 {
    let (lesson, params) = match checked_lesson(&args.lesson, &args.params) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if args.runs == Some(0) {
        return fail("--runs 0: nothing to explore");
    }
    let bad = match args.bad.as_deref().map(|b| if b == "assert" { "assertion" } else { b }) {
        Some(b) if !lesson.manifest.bad_names().iter().any(|n| n == b) => {
            return fail(format!("--bad {b}: the lesson {} has no bad outcome of that name; it has {}", lesson.name, lesson.manifest.bad_names().join(", ")));
        }
        b => b.map(str::to_string),
    };
    forkscope::sys::catch_stop_signals();
    let progress = args.all && !args.json && std::io::stdout().is_terminal();
    let opts = ExploreOptions {
        bad,
        runs: args.runs.unwrap_or(100),
        seed: args.seed,
        params,
        lang: lang.to_string(),
        out: args.out,
        run_timeout: Duration::from_secs(30),
        exe: "/proc/self/exe".into(),
        preemptions: args.preemptions,
        budget: args.runs,
        progress,
        progress_json: args.all && args.progress_json,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    use std::io::Write;
    if args.all {
        return match forkscope::explore::explore_all(&lesson, &opts, &mut out) {
            Ok(r) => {
                if args.json {
                    let _ = writeln!(out, "{}", forkscope::explore::report::all_json(&r, &opts));
                } else {
                    let _ = write!(out, "{}", forkscope::explore::report::all_text(&r, &opts));
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
    match forkscope::explore::explore(&lesson, &opts, progress_out) {
        Ok(Explored::Found(f)) => {
            if args.json {
                let _ = writeln!(out, "{}", forkscope::explore::report::found_json(&f, "sample"));
            } else {
                let _ = writeln!(out, "\nfound {} in run {} (seed {}, {} schedule, {} steps):\n  {}", forkscope::words::a_or_an(&f.kind), f.run, f.seed, f.policy, f.found_steps, f.message);
                let _ = write!(out, "{}", forkscope::explore::report::why_text(&f, &opts.lang));
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
                let _ = writeln!(out, "\nnothing went wrong in {runs} runs (seeds {}..{}, random and PCT schedules, {:.1}s): {what}", args.seed, args.seed + runs as u64 - 1, elapsed.as_secs_f64());
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

fn moment_is_free(m: &forkscope::snapshot::Moment) -> bool {
    matches!(m, forkscope::snapshot::Moment::At(_))
}

fn snapshot(args: SnapshotArgs, lang: &str) -> i32 {
    use forkscope::export::{self, Format};
    use forkscope::snapshot::Moment;
    if Format::of_path(&args.out).is_none() {
        return fail(format!("--out {}: unknown picture format (use .svg, .png, .html or .txt)", args.out.display()));
    }
    let (width, height) = match forkscope::snapshot::parse_size(&args.size) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if !(1..=export::png::MAX_SCALE).contains(&args.scale) {
        return fail(format!("--scale {}: must be 1 to {}", args.scale, export::png::MAX_SCALE));
    }
    let moment = match (args.steps, secs_option("at", args.at)) {
        (_, Err(code)) => return code,
        (Some(n), _) => Moment::Steps(n),
        (None, Ok(Some(d))) => Moment::At(d),
        (None, Ok(None)) => Moment::End,
    };
    let theme: export::Theme = args.theme.parse().unwrap_or_default();
    // A recording (`explore`'s counterexample, `--record`): its schedule, its
    // parameters and seed, and the footer says where it came from.
    let (opts, policy, note) = if args.lesson.ends_with(".fsrec") {
        if !args.params.is_empty() || args.seed != 0 {
            return fail(format!("{}: a recording has its own parameters and seed (no --param or --seed with it)", args.lesson));
        }
        if moment_is_free(&moment) {
            return fail("--at: a recording is drawn after a number of its steps (--steps N) or at its end, not at a time");
        }
        let rec = match forkscope::recording::Recording::load(std::path::Path::new(&args.lesson)) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let lesson = match rec.lesson() {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        let opts = rec.run_options(&lesson, lang);
        let note = Some(rec.figure_note().unwrap_or_else(|| format!("replay of {}", args.lesson)));
        (opts, forkscope::conductor::schedule::Policy::Replay(rec.actions.into()), note)
    } else {
        let (lesson, params) = match checked_lesson(&args.lesson, &args.params) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let mut opts = RunOptions::of_lesson(&lesson);
        opts.params = params;
        opts.seed = args.seed;
        opts.lang = lang.to_string();
        (opts, forkscope::conductor::schedule::Policy::RoundRobin, None)
    };
    forkscope::sys::catch_stop_signals();
    let mut shot = match forkscope::snapshot::capture_with(opts, moment, policy) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    shot.note = note;
    if !args.real_pids {
        forkscope::snapshot::renumber_pids(&mut shot.model);
    }
    let buf = forkscope::snapshot::draw(&shot, width, height);
    match export::write_picture(&buf, &args.out, theme, args.scale) {
        Ok(()) => {
            println!("wrote {} ({width}x{height}, {}, {} theme)", args.out.display(), shot.moment, theme.name());
            0
        }
        Err(e) => fail(e),
    }
}
