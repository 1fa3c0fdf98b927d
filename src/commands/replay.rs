//! `forkscope replay`: a recording run again, in the dashboard or headless,
//! checked record for record against what was recorded.

use std::io::IsTerminal;

use super::{fail, secs_option};
use crate::cli::ReplayArgs;
use crate::conductor::schedule::Policy;
use crate::headless::{self, HeadlessOptions};
use crate::recording::{Recording, Shape, first_difference};

pub fn replay(args: ReplayArgs, lang: crate::vocab::Lang) -> i32 {
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
        let outputs = crate::ui::Outputs { cast: args.cast, record: None };
        return crate::ui::open_replay(&rec, lang, outputs).unwrap_or_else(fail);
    }
    let opts = rec.run_options(&lesson, lang);
    crate::sys::catch_stop_signals();
    let policy = Policy::Replay(rec.actions.iter().copied().collect());
    let h = HeadlessOptions { json: args.json, quiet: false, timeout, policy: Some(policy), lang, input: Some(Vec::new()), keep_records: true, tap: None };
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
