//! The command line (clap).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::conductor::schedule::Schedule;

#[derive(Debug, Parser)]
#[command(name = "forkscope", version, about = "Watch real processes run a concurrency lesson: step them, pause them, break them.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Language of titles and stories: en or zh.
    #[arg(long, global = true, default_value = "en")]
    pub lang: crate::vocab::Lang,
    /// The Python interpreter for Python programs (default: python3 on PATH).
    #[arg(long, global = true, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Start every process of a Rhai lesson with its own exec of forkscope,
    /// instead of as a fork of the run's prepared template (the fork server);
    /// and in explore, every Python run's main process with its own start of
    /// the interpreter, instead of as a fork of a ready one (the zygote).
    #[arg(long, global = true)]
    pub no_fork_server: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One line per built-in lesson: name and title (Python lessons first).
    List,
    /// Write a built-in lesson's files (manifest, program, variant programs;
    /// or .rhai + .toml) into DIR, to edit and run from there.
    Copy {
        /// The built-in lesson: `NAME.py` (Python) or `NAME` (Rhai); see `forkscope list`.
        lesson: String,
        /// Where to write them (made if missing); no file there is overwritten.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run a lesson (a built-in name, a .rhai lesson or a Python program).
    Run(RunArgs),
    /// Check a lesson file; errors say file:line:column.
    Check {
        /// The lesson: a .rhai or .py file (its .toml beside it is read too) or a built-in name.
        file: String,
    },
    /// Re-run a recording (from --record or explore): same interleaving, same outcome.
    Replay(ReplayArgs),
    /// Run a lesson many times under different schedules; stop at the first run
    /// that fails an assert, deadlocks, or ends in a lesson-declared bad outcome.
    Explore(ExploreArgs),
    /// Run a lesson to a moment and save that frame as a picture (.svg, .png,
    /// .html or .txt) for course notes.
    Snapshot(SnapshotArgs),
    /// Internal: a scenario process (started by forkscope itself).
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        segment: String,
        #[arg(long)]
        lane: u32,
    },
    /// Internal: the fork server's template of a run (started by forkscope itself).
    #[command(hide = true)]
    Template {
        #[arg(long)]
        segment: String,
    },
    /// Internal: cleans up after a conductor that died (started by forkscope itself).
    #[command(hide = true)]
    Guard {
        #[arg(long, required_unless_present = "session")]
        segment: Option<String>,
        #[arg(long, required_unless_present = "session")]
        scratch: Option<PathBuf>,
        /// Guard many runs, told of each on stdin (explore's).
        #[arg(long, conflicts_with_all = ["segment", "scratch"])]
        session: bool,
    },
}

/// The lesson's parameters and seed (run, snapshot, explore).
#[derive(Debug, Args)]
pub struct ParamArgs {
    /// Set a lesson parameter, e.g. --param lock=true (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Seed for the lesson's random numbers and random schedules (explore:
    /// the first run's; run i uses seed + i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Where a run or replay goes: the dashboard, or headless text/NDJSON.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print a log and a summary instead of drawing the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: one JSON object per line (records, then a summary).
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// With --headless: end the run after this many seconds (outcome `timeout`).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = positive_secs)]
    pub timeout: Option<Duration>,
    /// Record the dashboard as an asciicast v2 file (asciinema play FILE),
    /// with a marker at each step.
    #[arg(long, value_name = "FILE", conflicts_with = "headless")]
    pub cast: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lesson name (see `forkscope list`) or path to a .rhai lesson or a .py program.
    pub lesson: String,
    #[command(flatten)]
    pub with: ParamArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Start paused: main waits at its first op (the dashboard does so
    /// unless the lesson's manifest says start = "running").
    #[arg(long)]
    pub paused: bool,
    /// Open the dashboard running instead of paused on the first op.
    #[arg(long, conflicts_with = "paused")]
    pub run: bool,
    /// Step the processes one op at a time: rr (round robin), random (seeded),
    /// pct (seeded random priorities), or a comma list of lanes to step first
    /// (1 = main), then round robin.
    #[arg(long, value_name = "POLICY")]
    pub schedule: Option<Schedule>,
    /// Step by script statement instead of by op.
    #[arg(long)]
    pub statements: bool,
    /// Speed of sleeps: 2 = twice as fast, 0.5 = half.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = speed)]
    pub speed: f64,
    /// Advanced: size of the lane table, i.e. how many processes a run may
    /// have, the conductor's own lane included (default 1024). Starting one
    /// more process than that fails in the lesson with a clear error.
    #[arg(long, value_name = "N", hide = true, value_parser = lanes)]
    pub lanes: Option<u32>,
    /// Write the run's schedule and records to FILE (for `forkscope replay`);
    /// in the dashboard, when it closes.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write the run as Chrome trace event JSON to FILE (open it in Perfetto
    /// or chrome://tracing): a track per process, spans, ops, counters, flows.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// A line for `input()` (repeatable, in order; then end of input). Without
    /// it, a headless run's `input()` reads forkscope's standard input.
    #[arg(long, value_name = "TEXT")]
    pub input: Vec<String>,
    /// Python programs: run in the program's own folder (its files are read
    /// and written there) instead of the run's own scratch folder.
    #[arg(long)]
    pub in_place: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Lesson name (see `forkscope list`), path to a .rhai lesson or a .py
    /// program, or a recording (.fsrec, e.g. explore's counterexample: drawn
    /// after its steps, and the footer names it).
    pub lesson: String,
    #[command(flatten)]
    pub with: ParamArgs,
    /// Draw the frame after N steps (round robin, one op each); without
    /// --steps or --at, the frame at the end of the run.
    #[arg(long, value_name = "N", conflicts_with = "at")]
    pub steps: Option<u64>,
    /// Draw the frame after running freely for SECS seconds (not reproducible).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = positive_secs)]
    pub at: Option<Duration>,
    /// The picture: FILE.svg, FILE.png, FILE.html or FILE.txt.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Colours: light (white paper, for print) or dark (a terminal).
    #[arg(long, default_value = "light", value_parser = ["light", "dark"])]
    pub theme: String,
    /// Terminal size of the frame, COLUMNSxROWS.
    #[arg(long, default_value = "100x30", value_name = "WxH")]
    pub size: String,
    /// PNG pixels per SVG pixel (1-8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=crate::export::png::MAX_SCALE as i64))]
    pub scale: u32,
    /// Show the run's real pids (then two snapshots of the same run differ;
    /// by default pids are renumbered 1000 + lane so they do not).
    #[arg(long)]
    pub real_pids: bool,
    /// Show the variables pane (Python programs): of process PROCESS (its
    /// name, e.g. Process-2), or else of the process that stepped last.
    #[arg(long, value_name = "PROCESS", num_args = 0..=1, default_missing_value = "")]
    pub variables: Option<String>,
    /// Show the Console in the log pane: what the processes wrote, as a
    /// terminal shows it (the dashboard's `c`).
    #[arg(long)]
    pub console: bool,
    /// Draw a sequence diagram of the run instead of the dashboard (.svg or
    /// .png): one line per process, its ops down the page, an arrow for each
    /// hand-off; a counterexample's conflicting ops highlighted and said.
    #[arg(long, conflicts_with_all = ["at", "variables", "console", "panes"])]
    pub diagram: bool,
    /// Only these panes, top to bottom in this order, e.g. `--panes
    /// lanes,source` (of lanes, resources, source, variables, log,
    /// console); the header and the footer stay.
    #[arg(long, value_name = "PANES")]
    pub panes: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made by `run --record` or `explore`.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Lesson name or path to a .rhai lesson or a .py program.
    pub lesson: String,
    /// How many runs to try (default 100; with --all, no limit: a run
    /// budget, after which the result says "no bad schedule within N runs").
    #[arg(long, value_name = "N", value_parser = runs)]
    pub runs: Option<u32>,
    /// Try every inequivalent interleaving (partial-order reduction with sleep
    /// sets), not a sample: ends "verified" or with the shortest counterexample.
    #[arg(long)]
    pub all: bool,
    /// With --all: at most K preemptions (switches away from a process that
    /// could go on) per run, as in CHESS.
    #[arg(long, value_name = "K", requires = "all", allow_negative_numbers = true)]
    pub preemptions: Option<u32>,
    /// Print no progress, and one JSON object at the end.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub with: ParamArgs,
    /// Where to save the failing run (default: explore-LESSON-SEED.fsrec).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Hunt only this bad outcome: one of the lesson's `[[bad]]` by name
    /// (the ticket race's `oversold`), or `assertion`, `deadlock`, `error`.
    /// Runs that go wrong another way count as runs that went well.
    #[arg(long, value_name = "NAME")]
    pub bad: Option<String>,
    /// With --all: no seen-state or symmetry reduction (every inequivalent
    /// interleaving is run to its end, as the counts of interleavings in the
    /// docs are)
    #[arg(long)]
    pub no_reduce: bool,
    /// With --all: stop at the first counterexample, not the shortest: a few
    /// random and PCT schedules first and among the search's runs, and no
    /// looking on for a shorter one (what the dashboard's `x` wants: a
    /// verdict soon). "verified" still needs the whole search
    #[arg(long, requires = "all")]
    pub first: bool,
    /// With --all --json: progress as JSON lines too (the dashboard's `x` reads them).
    #[arg(long, hide = true, requires = "json")]
    pub progress_json: bool,
}

/// `--timeout`, `--at`: a positive number of seconds.
fn positive_secs(v: &str) -> Result<Duration, String> {
    match v.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t < 1e9 => Ok(Duration::from_secs_f64(t)),
        _ => Err("must be a positive number of seconds".into()),
    }
}

/// `--speed`: a factor in (0, 1000].
fn speed(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 1000.0 => Ok(s),
        _ => Err("must be a number in (0, 1000]".into()),
    }
}

/// `--lanes`: room for the conductor, main and at least one more.
fn lanes(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if (3..=65535).contains(&n) => Ok(n),
        _ => Err("must be between 3 and 65535 (the conductor, main and at least one more)".into()),
    }
}

/// `explore --runs`: at least one.
fn runs(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("nothing to explore in 0 runs: at least 1".into()),
        Err(_) => Err("expected a number of runs".into()),
    }
}
