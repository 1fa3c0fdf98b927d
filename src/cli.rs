//! The command line (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "forkscope", version, about = "Watch real processes run a concurrency lesson: step them, pause them, break them.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Language of titles and stories: en or zh.
    #[arg(long, global = true, default_value = "en", value_parser = ["en", "zh"])]
    pub lang: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One line per built-in lesson: name and title.
    List,
    /// Run a lesson (a built-in name or a .rhai file).
    Run(RunArgs),
    /// Check a lesson file; errors say file:line:column.
    Check {
        /// The lesson: a .rhai file (its .toml beside it is read too) or a built-in name.
        file: String,
    },
    /// Internal: a scenario process (started by forkscope itself).
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        segment: String,
        #[arg(long)]
        lane: u32,
    },
    /// Internal: cleans up after a conductor that died (started by forkscope itself).
    #[command(hide = true)]
    Guard {
        #[arg(long)]
        segment: String,
        #[arg(long)]
        scratch: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lesson name (see `forkscope list`) or path to a .rhai file.
    pub lesson: String,
    /// Set a lesson parameter, e.g. --param lock=true (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Seed for the lesson's random numbers (and random schedules).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start paused: main waits at its first op.
    #[arg(long)]
    pub paused: bool,
    /// Print a log and a summary instead of drawing the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: one JSON object per line (records, then a summary).
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// End the run after this many seconds (outcome `timeout`).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Step the processes one op at a time: rr (round robin), random (seeded),
    /// or a comma list of lanes to step first (1 = main), then round robin.
    #[arg(long, value_name = "POLICY")]
    pub schedule: Option<String>,
    /// Step by script statement instead of by op.
    #[arg(long)]
    pub statements: bool,
    /// Speed of sleeps: 2 = twice as fast, 0.5 = half.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub speed: f64,
    /// Advanced: size of the lane table, i.e. how many processes a run may
    /// have, the conductor's own lane included (default 1024). Starting one
    /// more process than that fails in the lesson with a clear error.
    #[arg(long, value_name = "N", hide = true)]
    pub lanes: Option<u32>,
    /// Write the run's schedule and records to FILE (for `forkscope replay`).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}
