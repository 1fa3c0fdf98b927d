//! Threads as lanes: a thread of a process (Python's `threading.Thread`) is
//! a schedulable unit like a process — its own lane under its process, its
//! own line, state, waits and records, stepped by the same gate.
//!
//! A thread's lane is reserved by the thread that starts it
//! ([`LaneRuntime::thread_prepare`], which also makes the new thread's runtime: it
//! shares the process's [`super::Family`] and pipe ends, through `home`),
//! then the OS thread is made, then [`LaneRuntime::thread_commit`] publishes the
//! lane (the process's pid, the `Spawn` record) and releases it; the new
//! thread waits for that in [`LaneRuntime::thread_attach`] before its first op.
//! Its end is [`LaneRuntime::thread_end`]: an `exit` op, a step of its own while
//! stepping, then the status `exiting`, which the conductor's reaper takes
//! as the lane's end (exitcode 0: a thread has none; an uncaught exception
//! is printed, as CPython's `threading.excepthook` does). The process's end
//! ends every thread lane it still has (they share its pid).
//! [`LaneRuntime::thread_join`] is `Thread.join()`: an op that waits for that end,
//! like a process's `join`.

use std::sync::atomic::Ordering::*;
use std::time::Duration;

use super::{LessonError, LessonResult, LaneRuntime, WaitEnd};
use crate::shm::futex;
use crate::shm::layout::{NONE, ProcState};
use crate::shm::record::Op;

impl LaneRuntime {
    /// `t.start()`, first half: the gate, the thread's lane (named `name`,
    /// under this process), and the runtime the new thread will use.
    pub fn thread_prepare(&self, name: &str, target: &str, daemon: bool, line: u32) -> LessonResult<(u32, LaneRuntime)> {
        self.enter_op(Op::Start, line);
        let lane = self.v.alloc_lane(self.home)?;
        let l = self.v.lane(lane).expect("allocated lane is in range");
        l.daemon.store(daemon as u32, Relaxed);
        l.thread.store(1, Relaxed);
        l.name.set(name);
        // `threading.Thread`, then its arguments' key (see `crate::vocab::ARGS_KEY`).
        l.target.set(if crate::vocab::split_target(target).0 == "threading.Thread" { target } else { "threading.Thread" });
        // The process's identity, name and daemon flag: what the thread's
        // `current_process()` is (its lane has the thread's own name).
        let (identity, process_name, process_daemon) = {
            let local = self.local.borrow();
            (local.identity.clone(), local.name.clone(), local.daemon)
        };
        let mut rt = LaneRuntime::new(self.v, lane, self.info.clone(), self.seg_name.clone(), identity, process_name, process_daemon);
        rt.home = self.home;
        rt.family = self.family.clone();
        Ok((lane, rt))
    }

    /// `t.start()`, second half, once the OS thread exists: its lane is
    /// published (this process's pid) and released.
    pub fn thread_commit(&self, lane: u32, daemon: bool) -> LessonResult<()> {
        self.start_launched(lane, daemon, Ok(std::process::id() as i32)).map(|_| ())
    }

    /// `t.start()` when the OS thread could not be made: the lane never runs.
    pub fn thread_failed(&self, lane: u32) {
        if let Some(l) = self.v.lane(lane) {
            l.pid.store(-1, Release);
            self.v.wake_lane(lane);
        }
    }

    /// In the new thread, before anything it does is an op: waits until
    /// its starter released the lane (bounded: its starter is in this very
    /// process, past the OS thread's start).
    pub fn thread_attach(&self) -> Result<(), String> {
        let t0 = std::time::Instant::now();
        loop {
            let w = self.me.wake.0.load(Acquire);
            if self.me.go.load(Acquire) != 0 {
                break;
            }
            if self.me.pid.load(Acquire) < 0 {
                return Err("the thread's start failed".into());
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err(format!("lane {} was never released by its starter", self.lane));
            }
            futex::wait(&self.me.wake.0, w, Some(Duration::from_millis(20)));
        }
        self.set_state(ProcState::Starting, None, NONE, NONE, 0);
        Ok(())
    }

    /// The end of the thread's code: an `exit` op (its own step while
    /// stepping, as a process's end is), then `exiting`, which the reaper
    /// takes as the lane's end.
    pub fn thread_end(&self) {
        self.enter_op(Op::Exit, 0);
        self.record_op(Op::Exit, NONE, NONE, 0, 0, 0, None);
        self.checkpoint(super::gate::Checkpoint::Op);
        self.local.borrow_mut().status.exit_code = 0;
        self.set_state(ProcState::Exiting, Some(Op::Exit), NONE, NONE, 0);
    }

    /// `t.join(timeout)`: waits until the thread on `lane` has ended; false
    /// if the timeout passed first.
    pub fn thread_join(&self, lane: u32, timeout: Option<f64>, line: u32) -> LessonResult<bool> {
        if timeout.is_none() {
            self.enter_wait_op(Op::Join, NONE, lane, line);
        } else {
            self.enter_op(Op::Join, line);
        }
        let l = self.v.lane(lane).filter(|l| l.thread.load(Acquire) != 0).ok_or_else(|| LessonError::runtime("cannot join a thread that has no lane"))?;
        if lane == self.lane {
            return Err(LessonError::runtime("cannot join current thread"));
        }
        let ended = || l.ended.load(Acquire) != 0 || l.pid.load(Acquire) < 0;
        if !ended() {
            if timeout.is_some_and(|t| t <= 0.0) {
                self.record_op(Op::Join, NONE, lane, 0, 1, 0, None);
                return Ok(false);
            }
            self.record_block(Op::Join, NONE, lane, NONE, timeout.is_some());
            if self.wait_until(Op::Join, NONE, lane, timeout, ended) == WaitEnd::TimedOut {
                self.record_timeout(Op::Join, NONE, lane);
                self.set_state(ProcState::Running, None, NONE, NONE, 0);
                return Ok(false);
            }
        }
        self.record_op(Op::Join, NONE, lane, 0, 0, 0, None);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(true)
    }
}
