//! `forkscope`: parses the command line and dispatches; nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use forkscope::cli::{Cli, Command, RunArgs};
use forkscope::conductor::RunOptions;
use forkscope::conductor::schedule::Policy;
use forkscope::headless::{self, HeadlessOptions};
use forkscope::scenario;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Worker { segment, lane }) => forkscope::runtime::worker::main(&segment, lane),
        Some(Command::Guard { segment, scratch }) => forkscope::conductor::guard::main(&segment, &scratch),
        Some(Command::List) => list(&cli.lang),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Run(args)) => run(args, &cli.lang),
        None => dashboard_or_list(&cli.lang),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn fail(msg: impl std::fmt::Display) -> i32 {
    eprintln!("forkscope: {msg}");
    2
}

fn list(lang: &str) -> i32 {
    for l in scenario::builtins() {
        println!("{:<20} {}", l.name, l.title(lang));
    }
    0
}

fn check(file: &str) -> i32 {
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
    println!("forkscope lessons:\n");
    list(lang);
    println!("\nrun one with: forkscope run ticket-race --headless --param lock=false");
    0
}

fn run(args: RunArgs, lang: &str) -> i32 {
    let lesson = match scenario::load(&args.lesson) {
        Ok(l) => l,
        Err(e @ scenario::ScenarioError::At { .. }) => {
            eprintln!("{e}");
            return 1;
        }
        Err(e) => return fail(e),
    };
    if let Err(e) = scenario::check::check(&lesson) {
        eprintln!("{e}");
        return 1;
    }
    let params = match lesson.resolve_params(&args.params) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1000.0) {
        return fail(format!("--speed {}: must be a number in (0, 1000]", args.speed));
    }
    let timeout = match args.timeout {
        Some(t) if !(t.is_finite() && t > 0.0) => return fail(format!("--timeout {t}: must be a positive number of seconds")),
        Some(t) => Some(Duration::from_secs_f64(t)),
        None => None,
    };
    let policy = match args.schedule.as_deref().map(|s| Policy::parse(s, args.seed)) {
        Some(Err(e)) => return fail(e),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if !args.headless && !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use --headless (add --json for NDJSON)");
    }
    let mut opts = RunOptions::new(&lesson.name, &lesson.origin, &lesson.script);
    if let Some(n) = args.lanes {
        if !(3..=65535).contains(&n) {
            return fail(format!("--lanes {n}: must be between 3 and 65535 (the conductor, main and at least one more)"));
        }
        opts.geometry.lanes = n;
    }
    opts.params = params;
    opts.seed = args.seed;
    opts.paused = args.paused;
    opts.statements = args.statements;
    opts.lang = lang.to_string();
    opts.speed = args.speed;
    forkscope::sys::catch_stop_signals();
    let h = HeadlessOptions { json: args.json, timeout, policy, lang: lang.to_string() };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match headless::run(&lesson, opts, h, &mut out) {
        Ok(f) => f.summary.outcome.exit_status(),
        Err(e) => fail(e),
    }
}
