//! `forkscope`: parses the command line and dispatches; nothing else (each
//! command's work is in `forkscope::commands`).

use std::process::ExitCode;

use clap::Parser;

use forkscope::cli::{Cli, Command};

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
    let code = forkscope::commands::dispatch(cli);
    ExitCode::from(code.clamp(0, 255) as u8)
}
