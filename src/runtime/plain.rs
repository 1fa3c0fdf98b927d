//! The plain ops, which touch no shared resource, only time and output:
//! sleep, compute, print, report.

use std::sync::atomic::Ordering::*;

use super::{LessonError, LessonResult, LaneRuntime};
use crate::codec::Value;
use crate::shm::layout::NONE;
use crate::shm::record::{Op, TextTag};

/// CPU time of the calling thread, in seconds.
fn thread_cpu_secs() -> f64 {
    let Ok(ts) = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID) else { return 0.0 };
    ts.tv_sec() as f64 + ts.tv_nsec() as f64 / 1e9
}

/// Loop iterations of [`burn`] per millisecond of CPU on this machine
/// (measured in CPU time, not wall time: on a busy machine the thread is
/// preempted, and a wall-clock measure would make `compute(ms)` far less work).
pub fn calibrate_compute() -> u64 {
    // Once per conductor: `explore` starts hundreds of runs, and the machine
    // does not change speed between them (a few ms each).
    static CALIBRATED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *CALIBRATED.get_or_init(calibrate_now)
}

fn calibrate_now() -> u64 {
    let t = thread_cpu_secs();
    let n = 2_000_000;
    std::hint::black_box(burn(n));
    let ms = (thread_cpu_secs() - t) * 1000.0;
    ((n as f64 / ms.max(1e-3)) as u64).max(1000)
}

/// CPU work that the optimiser cannot remove: `n` steps of xorshift.
pub fn burn(n: u64) -> u64 {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    x
}

/// What a process waiting in `input()` is handed: a token of its own (no
/// resource slot: the run's standard input, which the conductor feeds).
pub const STDIN: u32 = u32::MAX - 2;

/// Set in the length of a piece of input handed to a process: the piece
/// ends its line (see `conductor::input`).
pub const LINE_ENDS: u32 = 1 << 31;

impl LaneRuntime {
    /// `input()`: waits until the conductor hands this process a line of the
    /// run's standard input (the user typing in the dashboard, `--input`,
    /// forkscope's own stdin); `None` at the end of input. A long line comes
    /// in pieces (see `conductor::input`): the process waits again after each
    /// until the one that ends the line. The wait can only end from outside
    /// the run, so it never counts as a stall.
    /// `secret` (`getpass`): the line is not echoed into the records either
    /// (a terminal does not show a password).
    pub fn input_op(&self, line: u32, secret: bool) -> LessonResult<Option<String>> {
        self.enter_op(Op::Input, line);
        // A line handed as an interrupted `input()` gave up (see below) is
        // this one's.
        if !self.handed(STDIN) {
            self.expect_handoff();
        }
        self.record_block(Op::Input, NONE, NONE, NONE, true);
        let mut got: Option<Vec<u8>> = None;
        loop {
            if got.is_none() {
                // Before any of the line came, a signal ends the wait, as
                // it ends CPython's read of stdin: the handler runs, and
                // raises (KeyboardInterrupt) or lets the call wait again.
                if self.wait_until(Op::Input, NONE, NONE, None, || self.handed(STDIN)) == super::WaitEnd::TimedOut {
                    // Not waiting any more (the conductor hands no line
                    // now), then looked at once more: a line handed just
                    // before is taken, the signal's handler runs after.
                    self.set_state(crate::shm::layout::ProcState::Running, None, NONE, NONE, 0);
                    if !self.handed(STDIN) {
                        self.record_op(Op::Input, NONE, NONE, -1, 0, 0, Some("interrupted by a signal"));
                        return Ok(None);
                    }
                    super::gate::take_interrupted();
                }
            } else {
                self.wait_until_uninterrupted(Op::Input, NONE, NONE, None, || self.handed(STDIN));
            }
            // Nothing handed: the end of input (a line cut short by it ends there).
            let Some((first, len)) = self.take_mailbox() else { break };
            let n = len & !LINE_ENDS;
            let bytes = self.v.read_chain(first, n);
            self.v.free_chain(first);
            got.get_or_insert_with(Vec::new).extend_from_slice(&bytes.unwrap_or_default());
            if len & LINE_ENDS != 0 {
                break;
            }
            self.expect_handoff();
        }
        let got = got.map(|b| String::from_utf8_lossy(&b).into_owned());
        self.set_state(crate::shm::layout::ProcState::Running, None, NONE, NONE, 0);
        let detail = match &got {
            None => "EOF".to_string(),
            Some(_) if secret => "(not echoed)".to_string(),
            Some(s) => super::ipc::one_line(s),
        };
        let len = got.as_ref().map_or(-1, |s| if secret { 0 } else { s.len() as i64 });
        self.record_op(Op::Input, NONE, NONE, len, 0, 0, Some(&detail));
        Ok(got)
    }

    /// `sleep(secs)`.
    /// Returns the part of the sleep that was virtual, as `sleep_for`.
    pub fn sleep_op(&self, secs: f64, line: u32) -> LessonResult<Option<f64>> {
        if !secs.is_finite() || secs < 0.0 {
            return Err(LessonError::value("sleep length must be non-negative"));
        }
        self.enter_op(Op::Sleep, line);
        let virtual_ = self.sleep_for(secs);
        // Ended early by a signal: what it slept (the caller sleeps the rest
        // after the handler, a sleep of its own).
        let slept = if super::gate::interrupted() { (secs - super::gate::interrupted_left_ns().map_or(0.0, |n| n as f64 / 1e9)).max(0.0) } else { secs };
        self.record_op(Op::Sleep, NONE, NONE, (slept * 1e6) as i64, virtual_.is_some() as i64, 0, None);
        Ok(virtual_)
    }

    /// `compute(ms)`: about `ms` milliseconds of real CPU work on an idle core
    /// (a fixed amount of work: with more processes than cores it takes longer).
    pub fn compute_op(&self, ms: f64, line: u32) -> LessonResult<()> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(LessonError::value("compute length must be non-negative"));
        }
        self.enter_op(Op::Compute, line);
        let per_ms = self.ctl.compute_per_ms.load(Relaxed).max(1000);
        std::hint::black_box(burn((ms * per_ms as f64) as u64));
        self.record_op(Op::Compute, NONE, NONE, ms as i64, 0, 0, None);
        Ok(())
    }

    /// `print(...)`: output goes into the log, coloured by process.
    pub fn print_op(&self, text: &str) {
        self.output_op(TextTag::Print, text);
    }

    /// Output to standard output (`Print`) or standard error (`Stderr`): one op.
    pub fn output_op(&self, tag: TextTag, text: &str) {
        self.enter_op(Op::Print, 0);
        self.local.borrow_mut().status.ops += 1;
        self.record_text(tag, text);
    }

    /// `report(key, value)`: a value the run's summary shows (last one per key wins).
    pub fn report_op(&self, key: &str, value: &Value, line: u32) -> LessonResult<()> {
        if key.is_empty() || key.contains('\t') {
            return Err(LessonError::value("report key must be a non-empty name without tabs"));
        }
        self.enter_op(Op::Report, line);
        let json = serde_json::to_string(&value.to_json()).map_err(|e| LessonError::type_error(e.to_string()))?;
        let text = format!("{key}\t{json}");
        // A report travels as one text record, which holds so much: a longer
        // one would arrive cut, unreadable, and be lost without a word.
        let cap = crate::shm::record::TEXT_CHUNK * crate::shm::record::MAX_CHUNKS;
        if text.len() > cap {
            return Err(LessonError::value(format!(
                "report '{key}' is too large: {} bytes as JSON with its key, a report may take at most {cap}; report a summary instead (its len, sum or a slice)",
                text.len()
            )));
        }
        self.local.borrow_mut().status.ops += 1;
        self.record_text(TextTag::Report, &text);
        Ok(())
    }
}
