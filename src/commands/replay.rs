//! `forkscope replay`: a recording run again, in the dashboard or headless,
//! checked record for record against what was recorded.

use std::io::IsTerminal;

use super::{fail, say};
use crate::cli::ReplayArgs;
use crate::conductor::schedule::Policy;
use crate::headless::{self, HeadlessOptions};
use crate::recording::{Recording, Shape, first_difference};

pub fn replay(args: ReplayArgs, lang: crate::vocab::Lang) -> i32 {
    let rec = match Recording::load(&args.file) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let opts = match rec.run_options(lang) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let out = &args.output;
    if !out.headless && !std::io::stdout().is_terminal() {
        return fail("stdout is not a terminal, so there is no dashboard to draw; use --headless (add --json for NDJSON)");
    }
    if !out.headless {
        if out.timeout.is_some() {
            return fail("--timeout is for --headless replays");
        }
        let outputs = crate::ui::Outputs { cast: out.cast.clone(), record: None };
        return crate::ui::open_replay(&rec, lang, outputs).unwrap_or_else(fail);
    }
    crate::sys::catch_stop_signals();
    let policy = Policy::Replay(rec.actions.iter().copied().collect());
    let h = HeadlessOptions { json: out.json, quiet: false, timeout: out.timeout, policy: Some(policy), input: Some(Vec::new()), keep_records: true, tap: None, bury: None };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match headless::run(opts, h, &mut w) {
        Ok(f) => {
            let shapes: Vec<Shape> = f.records.iter().map(Shape::of).collect();
            match first_difference(&rec.shapes, &shapes, rec.reconstructed) {
                None => {
                    if !out.json {
                        say(format!("replay matched the recording: {} records, same order", shapes.len()));
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
