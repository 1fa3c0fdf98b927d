//! The work of each `forkscope` command, from its parsed arguments to its
//! exit status: `main.rs` parses and calls [`dispatch`]. What the commands
//! share: usage errors ([`fail`]), and the run spec: a lesson checked, its
//! parameters resolved ([`spec`]).

mod explore;
mod lessons;
mod replay;
mod run;
mod snapshot;

use std::io::IsTerminal;

use crate::cli::{Cli, Command, ParamArgs};
use crate::conductor::RunSpec;
use crate::scenario;
use crate::vocab::Lang;

/// Runs the command `cli` parsed; returns the exit status.
pub fn dispatch(cli: Cli) -> i32 {
    crate::python::launch::choose(cli.python.clone());
    if cli.no_fork_server {
        crate::conductor::without_fork_server();
    }
    if matches!(cli.command, None | Some(Command::Run(_) | Command::Replay(_) | Command::Explore(_) | Command::Snapshot(_))) {
        crate::ui::terminal::catch_bus_error();
    }
    match cli.command {
        Some(Command::Worker { segment, lane }) => crate::worker::main(&segment, lane),
        Some(Command::Template { segment }) => crate::worker::template::main(&segment),
        Some(Command::Guard { session: true, .. }) => crate::conductor::guard::session_main(),
        Some(Command::Guard { segment: Some(segment), scratch: Some(scratch), .. }) => crate::conductor::guard::main(&segment, &scratch),
        Some(Command::Guard { .. }) => 2,
        Some(Command::List) => lessons::list(cli.lang),
        Some(Command::Copy { lesson, dir }) => lessons::copy(&lesson, &dir),
        Some(Command::Check { file }) => lessons::check(&file),
        Some(Command::Run(args)) => run::run(args, cli.lang),
        Some(Command::Replay(args)) => replay::replay(args, cli.lang),
        Some(Command::Explore(args)) => explore::explore(args, cli.lang),
        Some(Command::Snapshot(args)) => snapshot::snapshot(args, cli.lang),
        None => dashboard_or_list(cli.lang),
    }
}

/// A usage error: said on stderr, exit status 2.
pub fn fail(msg: impl std::fmt::Display) -> i32 {
    use std::io::Write;
    // A reader that went away (`… 2>&1 | head`) is no reason to panic.
    let _ = writeln!(std::io::stderr().lock(), "forkscope: {msg}");
    2
}

/// Writes a line of the command's own report to stdout; a reader that went
/// away (`forkscope snapshot … | head -0`) stops nothing and panics nothing
/// (`println!` would panic on the broken pipe).
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn dashboard_or_list(lang: crate::vocab::Lang) -> i32 {
    if !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use `forkscope run LESSON --headless` (add --json for NDJSON)");
    }
    crate::ui::open_picker(lang).unwrap_or_else(fail)
}

/// The run of lesson `name` (built-in or file) with `with`'s parameters and
/// seed, in `lang`: the lesson checked, its `--param` values resolved, its
/// program the one the run executes (its variant, its constants set). A
/// mistake in the file is printed as file:line:column (exit 1), anything else
/// as a usage error (exit 2).
pub fn spec(name: &str, with: &ParamArgs, lang: Lang) -> Result<RunSpec, i32> {
    let lesson = match scenario::load(name) {
        Ok(l) => l,
        Err(e @ scenario::ScenarioError::At { .. }) => {
            eprintln!("{e}");
            return Err(1);
        }
        Err(e) => return Err(fail(e)),
    };
    if lesson.engine == scenario::Engine::Python
        && let Err(e) = crate::python::launch::library(std::path::Path::new("/proc/self/exe"))
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
    let params = lesson.resolve_params(&with.params).map_err(fail)?;
    let lesson = lesson.for_run(&params).map_err(fail)?;
    Ok(RunSpec { params, seed: with.seed, lang, ..RunSpec::of(lesson) })
}
