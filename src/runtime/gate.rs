//! The gate: where pause and step hold a process, and how it waits.
//!
//! - Running: [`LaneRuntime::checkpoint`] is one relaxed atomic load of the run mode.
//! - Paused: a process arriving at a checkpoint of the chosen granularity (an op,
//!   or a statement) parks in state `ready` on its lane's wake word until the
//!   conductor grants it a step or resumes the run. To consume a grant it first
//!   publishes `running`, then decrements `grant`; so when the conductor sees the
//!   grant gone, any later `ready` is the *next* checkpoint.
//! - A process woken inside a blocking op (handed a lock, an item) while paused
//!   parks as `ready` before the op returns: like the OS's blocked → ready →
//!   running, and it keeps one step = one process's progress.
//! - While paused, time is virtual: a granted `sleep` completes at once, and a
//!   blocked wait with a timeout times out only when that process is granted a
//!   step. When the run resumes, a sleep or timeout that was interrupted goes on
//!   with the time it had left.
//!
//! Every wait is on the process's own lane word ([`crate::shm::layout::LaneSlot::wake`]);
//! anyone who changes what a process waits for bumps that word and wakes it.

use std::cell::Cell;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

use super::{LaneRuntime, WaitEnd};
use crate::shm::futex;
use crate::shm::layout::{GRAN_OP, GRAN_STATEMENT, MODE_PAUSED, MODE_RUNNING, NONE, ProcState};
use crate::shm::record::{Op, TextTag};

/// Whether a signal handled in the main thread ends that thread's wait
/// (set by the Python side: its handler then runs, and may raise, as a
/// signal interrupts CPython's waits; Rhai lessons have no handlers).
pub static WAITS_INTERRUPTIBLE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// A wait of this thread ended by a signal (see [`take_interrupted`]).
    static INTERRUPTED: Cell<bool> = const { Cell::new(false) };
    /// This thread is in a wait that must not end early (its caller has no
    /// way back from it, see [`LaneRuntime::wait_until_uninterrupted`]).
    static UNINTERRUPTED: Cell<bool> = const { Cell::new(false) };
    /// What was left of the timeout of the wait a signal ended last, in
    /// nanoseconds of lesson time (`None`: it had none). See [`interrupted_left_ns`].
    static LEFT_NS: Cell<Option<u64>> = const { Cell::new(None) };
}

/// What was left of the timeout of this thread's wait that a signal ended
/// last, in nanoseconds of lesson time; `None` if it waited without one.
/// A handler that returns lets the wait go on with this, as CPython's
/// waits go on with the time left (PEP 475), not with the whole timeout again.
pub fn interrupted_left_ns() -> Option<u64> {
    LEFT_NS.get()
}

/// Whether a wait of this thread was ended by a signal since the last call
/// (the op then raised or timed out as it does on a timeout; the caller
/// lets the signal's handler run and makes the call again).
pub fn take_interrupted() -> bool {
    INTERRUPTED.replace(false)
}

/// Whether a wait of this thread was ended by a signal (not cleared).
pub fn interrupted() -> bool {
    INTERRUPTED.get()
}

/// What kind of checkpoint a process is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// Before an op of the lesson API.
    Op,
    /// Before a script statement.
    Statement,
}

/// A deadline that stops while the run is paused.
#[derive(Clone, Copy, Debug)]
struct VirtualDeadline {
    /// Real deadline (ns since run start) while running.
    at_ns: u64,
    /// Time left, frozen while paused.
    left_ns: Option<u64>,
}

impl VirtualDeadline {
    fn new(rt: &LaneRuntime, len_ns: u64) -> Self {
        VirtualDeadline { at_ns: rt.now_ns().saturating_add(len_ns), left_ns: None }
    }
    fn freeze(&mut self, now: u64) {
        if self.left_ns.is_none() {
            self.left_ns = Some(self.at_ns.saturating_sub(now));
        }
    }
    fn thaw(&mut self, now: u64) {
        if let Some(left) = self.left_ns.take() {
            self.at_ns = now.saturating_add(left);
        }
    }
}

/// Takes one from `word` unless it is zero: never below zero, whatever the
/// conductor stored in between (issue: a plain `fetch_sub` after a check
/// wrapped to u32::MAX when `resume` cleared the grant between the two, and
/// the process then ignored every later pause).
pub fn take_one(word: &std::sync::atomic::AtomicU32) -> bool {
    word.fetch_update(AcqRel, Acquire, |g| g.checked_sub(1)).is_ok()
}

/// Waits until `cond` holds, at most `limit`, polling with a growing pause
/// (for what another process does next, with no word to wait on).
pub fn wait_bounded(limit: Duration, cond: impl Fn() -> bool) {
    let t0 = std::time::Instant::now();
    let mut pause = Duration::from_micros(10);
    while !cond() && t0.elapsed() < limit {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

impl LaneRuntime {
    pub fn paused(&self) -> bool {
        self.ctl.mode.load(Relaxed) == MODE_PAUSED
    }

    /// The gate. Returns at once while the run is running.
    #[inline]
    pub fn checkpoint(&self, at: Checkpoint) {
        if self.ctl.mode.load(Relaxed) == MODE_RUNNING {
            return;
        }
        let wanted = match at {
            Checkpoint::Op => GRAN_OP,
            Checkpoint::Statement => GRAN_STATEMENT,
        };
        if self.ctl.granularity.load(Relaxed) == wanted {
            // The variables at this step, once: a front-end may give them
            // more than once for one op (each `line()` it computes).
            let locals = self.local.borrow_mut().pending_locals.take();
            if let Some(text) = locals {
                self.record_text(TextTag::Locals, &text);
            }
            self.park(true);
        }
    }

    /// The variables of the op or statement this process is about to take
    /// (see `model::locals` for the text): kept until its checkpoint, and
    /// recorded there if it parks (a stepped run), so one step writes them
    /// once, however many times the front-end gave them.
    pub fn set_locals(&self, text: String) {
        self.local.borrow_mut().pending_locals = Some(text);
    }

    /// An op's entry: set the line, pass the gate, and show the op as running.
    pub fn enter_op(&self, op: Op, line: u32) {
        if line > 0 {
            self.set_line(line);
        }
        self.checkpoint(Checkpoint::Op);
        self.gates.set(self.gates.get() + 1);
        self.set_state(ProcState::Running, Some(op), NONE, NONE, 0);
    }

    /// [`LaneRuntime::enter_op`] for an op that waits on `res` (or on process `other`)
    /// for as long as it takes: while parked at the gate the process shows
    /// it (status op, res, other), so `explore --all` knows it would wait
    /// before it steps it (see `Run::next_wait`).
    pub fn enter_wait_op(&self, op: Op, res: u32, other: u32, line: u32) {
        {
            let mut l = self.local.borrow_mut();
            l.status.op = op as u32;
            l.status.res = res;
            l.status.other = other;
        }
        self.enter_op(op, line);
    }

    /// Parks as `ready` until granted a step or the run resumes. `record`:
    /// write a `Park` record (not after a wake-up: the waker's `Wake` record
    /// already says this process is ready, and only the stepped process may
    /// write records during a step, so that their order is fixed).
    pub fn park(&self, record: bool) {
        let (op, res, other) = {
            let l = self.local.borrow();
            (l.status.op, l.status.res, l.status.other)
        };
        // The record goes out before the state: once the conductor sees
        // `ready`, everything this process wrote is published.
        if record {
            let body = crate::shm::record::OpBody { op: op as u16, other: super::lane16(other), res, ..Default::default() };
            self.emit(crate::shm::record::RawKind::Park, body, None);
        }
        self.set_state(ProcState::Ready, crate::shm::record::Op::from_raw(op as u16), res, other, 0);
        self.me.parks.fetch_add(1, SeqCst);
        loop {
            let w = self.me.wake.0.load(Acquire);
            if self.ctl.mode.load(Acquire) == MODE_RUNNING {
                break;
            }
            if self.take_grant(res, other) {
                return;
            }
            futex::wait(&self.me.wake.0, w, None);
        }
        self.set_state(ProcState::Running, None, res, other, 0);
    }

    /// Uses one granted step, if there is one. Publishes `running` first.
    fn take_grant(&self, res: u32, other: u32) -> bool {
        if self.me.grant.load(Acquire) == 0 {
            return false;
        }
        self.set_state(ProcState::Running, None, res, other, 0);
        // Only the conductor adds grants, but it also clears them (resume):
        // a grant cleared since the check above is simply not there.
        take_one(&self.me.grant);
        true
    }

    /// After a wake-up inside a blocking op: parks as `ready` if the run is
    /// paused (whatever the granularity), so the op completes at its own step.
    pub fn ready_after_wake(&self) {
        if self.paused() {
            self.park(false);
        }
    }

    /// While paused, waits (bounded) until `cond` holds: used so that what an op
    /// sets off in another process (a child's first park, a signalled process's
    /// end) happens inside the same step, in a fixed order.
    pub fn settle_on(&self, cond: impl Fn() -> bool) {
        if self.paused() {
            wait_bounded(Duration::from_secs(10), cond);
        }
    }

    /// Blocks in `op` on `res` (or on lane `other`) until `done()` holds, or the
    /// timeout (seconds, scaled by the run's speed) passes. `done` is checked
    /// after every wake-up of this lane.
    pub fn wait_until(&self, op: Op, res: u32, other: u32, timeout: Option<f64>, done: impl Fn() -> bool) -> WaitEnd {
        self.wait_until_every(op, res, other, timeout, None, done)
    }

    /// [`LaneRuntime::wait_until`] that a signal does not end: for the waits
    /// whose callers take every end for `Done` (no timeout to clean up).
    pub fn wait_until_uninterrupted(&self, op: Op, res: u32, other: u32, timeout: Option<f64>, done: impl Fn() -> bool) -> WaitEnd {
        let before = UNINTERRUPTED.replace(true);
        let end = self.wait_until_every(op, res, other, timeout, None, done);
        UNINTERRUPTED.set(before);
        end
    }

    /// Whether a signal ends this thread's wait (as a timeout,
    /// [`take_interrupted`] saying why): one that interrupted its futex wait
    /// (`eintr`), or one counted since its call began or, outside a call,
    /// since `base` (see `signals`: it came to another thread, or between
    /// two futex waits).
    fn interrupted_by(&self, eintr: bool, base: u64) -> bool {
        (eintr || super::signals::since_call(base)) && WAITS_INTERRUPTIBLE.load(Relaxed) && !UNINTERRUPTED.get() && crate::sys::is_main_thread() && {
            INTERRUPTED.set(true);
            self.gates.set(self.gates.get() + 1);
            true
        }
    }

    /// [`LaneRuntime::wait_until`], also re-checking `done` every `every` (real time,
    /// paused or not): for waits that something outside the run's processes
    /// can end without waking this lane (a socket: a connection or bytes from
    /// another program).
    pub fn wait_until_every(&self, op: Op, res: u32, other: u32, timeout: Option<f64>, every: Option<Duration>, done: impl Fn() -> bool) -> WaitEnd {
        let base = super::signals::count();
        let mut deadline = timeout.map(|s| VirtualDeadline::new(self, self.scaled_ns(s)));
        self.set_state(ProcState::Blocked, Some(op), res, other, deadline.map_or(0, |d| d.at_ns.max(1)));
        loop {
            let w = self.me.wake.0.load(SeqCst);
            let wakes = self.me.wakes.load(SeqCst);
            if done() {
                // `running` is published before the wake-up is marked seen, so
                // the conductor never sees "blocked, nothing pending" here.
                self.set_state(ProcState::Running, None, res, other, 0);
                self.me.wakes_seen.store(wakes, SeqCst);
                break;
            }
            self.me.wakes_seen.store(wakes, SeqCst);
            let now = self.now_ns();
            if self.ctl.mode.load(Acquire) == MODE_PAUSED {
                if let Some(d) = deadline.as_mut() {
                    d.freeze(now);
                    if self.take_grant(res, other) {
                        self.me.wakes_seen.store(self.me.wakes.load(SeqCst), SeqCst);
                        self.gates.set(self.gates.get() + 1);
                        return if done() { WaitEnd::Done } else { WaitEnd::TimedOut };
                    }
                }
                if self.interrupted_by(futex::wait(&self.me.wake.0, w, every), base) {
                    self.note_left(deadline.as_ref());
                    return WaitEnd::TimedOut;
                }
            } else {
                match deadline.as_mut() {
                    Some(d) => {
                        d.thaw(now);
                        if now >= d.at_ns {
                            // Stepping, the timeout would be a step of its own.
                            self.gates.set(self.gates.get() + 1);
                            return WaitEnd::TimedOut;
                        }
                        let left = Duration::from_nanos(d.at_ns - now);
                        if self.interrupted_by(futex::wait(&self.me.wake.0, w, Some(every.map_or(left, |e| e.min(left)))), base) {
                            self.note_left(Some(d));
                            return WaitEnd::TimedOut;
                        }
                    }
                    None => {
                        if self.interrupted_by(futex::wait(&self.me.wake.0, w, every), base) {
                            self.note_left(None);
                            return WaitEnd::TimedOut;
                        }
                    }
                }
            }
        }
        // Stepping, completing after the wake-up is a step of its own.
        self.gates.set(self.gates.get() + 1);
        self.ready_after_wake();
        WaitEnd::Done
    }

    /// Notes what is left of an interrupted wait's timeout (`deadline`), in
    /// lesson time (see [`interrupted_left_ns`]).
    fn note_left(&self, deadline: Option<&VirtualDeadline>) {
        let left = deadline.map(|d| {
            let real = d.left_ns.unwrap_or_else(|| d.at_ns.saturating_sub(self.now_ns()));
            (real as f64 * self.speed()).min(u64::MAX as f64 / 2.0) as u64
        });
        LEFT_NS.set(left);
    }

    /// Seconds of lesson time to nanoseconds of real time, at the run's speed.
    pub fn scaled_ns(&self, secs: f64) -> u64 {
        let speed = self.ctl.speed_milli.load(Relaxed).max(1) as f64 / 1000.0;
        let ns = (secs.max(0.0) * 1e9 / speed).min(u64::MAX as f64 / 2.0);
        ns as u64
    }

    /// `sleep(secs)`. Returns the part of it, in seconds of lesson time,
    /// that was virtual (`Some`: it ended on a step; all of it when it
    /// began while stepping, what was left of it when the run was paused
    /// during it), or `None` when it was all real. A signal for the main
    /// thread of a Python process ends it early while the run goes free
    /// ([`interrupted`] then says so, [`interrupted_left_ns`] what is left).
    pub fn sleep_for(&self, secs: f64) -> Option<f64> {
        if self.paused() {
            // We passed the gate on a grant: the sleep is this step.
            return Some(secs.max(0.0));
        }
        let base = super::signals::count();
        let mut deadline = VirtualDeadline::new(self, self.scaled_ns(secs));
        self.record_block(Op::Sleep, NONE, NONE, NONE, true);
        self.set_state(ProcState::Sleeping, Some(Op::Sleep), NONE, NONE, deadline.at_ns.max(1));
        loop {
            let w = self.me.wake.0.load(Acquire);
            let now = self.now_ns();
            if self.ctl.mode.load(Acquire) == MODE_PAUSED {
                deadline.freeze(now);
                if self.take_grant(NONE, NONE) {
                    // What was left when the pause froze it, back in lesson time.
                    let left_ns = deadline.left_ns.unwrap_or(0) as f64;
                    return Some((left_ns * self.speed() / 1e9).min(secs.max(0.0)));
                }
                futex::wait(&self.me.wake.0, w, None);
                continue;
            }
            deadline.thaw(now);
            if now >= deadline.at_ns {
                break;
            }
            if self.interrupted_by(futex::wait(&self.me.wake.0, w, Some(Duration::from_nanos(deadline.at_ns - now))), base) {
                // A signal for the main thread: its handler runs (and may
                // raise, as in CPython's sleep), then the sleep goes on with
                // what is left (see `interrupted_left_ns`).
                self.note_left(Some(&deadline));
                break;
            }
        }
        self.set_state(ProcState::Running, Some(Op::Sleep), NONE, NONE, 0);
        None
    }

    /// The run's speed factor (`--speed`), as `scaled_ns` applies it.
    fn speed(&self) -> f64 {
        self.ctl.speed_milli.load(Relaxed).max(1) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering::*};

    use super::take_one;

    #[test]
    fn a_grant_cleared_under_the_taker_never_wraps() {
        let g = AtomicU32::new(1);
        // The taker saw 1; then `resume` stored 0; then the taker takes.
        g.store(0, SeqCst);
        assert!(!take_one(&g));
        assert_eq!(g.load(SeqCst), 0, "still zero, not u32::MAX");
        g.store(2, SeqCst);
        assert!(take_one(&g) && take_one(&g) && !take_one(&g));
        assert_eq!(g.load(SeqCst), 0);
    }
}
