//! `Process`: start, join, is_alive, terminate, kill — real child processes.
//!
//! `start` reserves a lane, writes the child's identity and arguments into the
//! segment, and asks the run's template for a fork on that lane (the fork
//! server, see `super::forkserver`); without one, for a child that must
//! inherit sockets, or should the request fail, it starts `forkscope worker`
//! (exec of this same binary; never a bare fork of the starter: it is
//! multi-threaded). Either way the child waits on its lane's
//! `go` word until the parent has written the `Spawn` record, so the record
//! always comes before anything the child does.
//!
//! A parent reaps a child (`waitpid`) only after the conductor has seen it end
//! and set `ended`: the conductor reads a zombie's exit status from
//! `/proc/PID/stat`, so it learns every end, of children and grandchildren alike,
//! before anyone reaps it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::*;

use serde::{Deserialize, Serialize};

use super::{ChildInfo, LessonError, LessonResult, LaneRuntime, WaitEnd};
use crate::codec::{self, Value};
use crate::shm::layout::{NONE, ProcState};
use crate::shm::record::{OpBody, Op, RawKind};

/// What a child reads from its lane's argument chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpawnPayload {
    pub args: Vec<Value>,
    /// Python's `_identity` of the child.
    pub identity: Vec<u32>,
}

/// Starts `exe worker --segment SEG --lane LANE`. `group_leader`: put it in a
/// new process group (the run's `main`).
pub fn spawn_worker(exe: &Path, seg: &str, lane: u32, group_leader: bool) -> std::io::Result<std::process::Child> {
    spawn_worker_inheriting(exe, seg, lane, group_leader, Vec::new())
}

/// [`spawn_worker`], and the child inherits the descriptors `inherit` (sockets
/// given as arguments) under the same numbers: they stay close-on-exec here,
/// and lose that flag only in the child, between fork and exec.
pub fn spawn_worker_inheriting(exe: &Path, seg: &str, lane: u32, group_leader: bool, inherit: Vec<i32>) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(exe);
    if !inherit.is_empty() {
        // SAFETY: the closure runs in the forked child before exec and only
        // calls fcntl, which is async-signal-safe; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                for &fd in &inherit {
                    // SAFETY: `fd` is one of the run's sockets, open in the parent
                    // and so in this child until exec.
                    let fd = std::os::fd::BorrowedFd::borrow_raw(fd);
                    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()))?;
                }
                Ok(())
            });
        }
    }
    cmd.arg("worker").arg("--segment").arg(seg).arg("--lane").arg(lane.to_string()).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.env(crate::sys::RUN_ENV, seg);
    if std::env::var_os("FORKSCOPE_DEBUG").is_none() {
        cmd.stderr(Stdio::null());
    }
    if group_leader {
        crate::sys::as_run_leader(&mut cmd);
    }
    cmd.spawn()
}

/// Reaps `pid` if it is our child; false if it is not (the fork server's
/// template is its OS parent).
pub fn reap(pid: i32) -> bool {
    matches!(crate::sys::wait_child(pid, true), crate::sys::ChildWait::Ended(_))
}

/// CPU seconds (user, system) of `who` (`RUSAGE_SELF`, `RUSAGE_CHILDREN`):
/// `getrusage`, zeros if it fails.
pub fn cpu_secs(who: nix::sys::resource::UsageWho) -> (f64, f64) {
    use nix::sys::time::TimeValLike;
    let Ok(u) = nix::sys::resource::getrusage(who) else { return (0.0, 0.0) };
    let secs = |t: nix::sys::time::TimeVal| t.num_microseconds() as f64 / 1e6;
    (secs(u.user_time()), secs(u.system_time()))
}

/// CPU time (user, system) of this process and of its reaped descendants,
/// in milliseconds.
pub fn cpu_ms_with_children() -> (u32, u32) {
    let (su, ss) = cpu_secs(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let (cu, cs) = cpu_secs(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    let ms = |s: f64| (s * 1000.0).min(u32::MAX as f64) as u32;
    (ms(su + cu), ms(ss + cs))
}

impl LaneRuntime {
    fn child(&self, lane: u32) -> Option<ChildInfo> {
        self.family().children.iter().find(|c| c.lane == lane).cloned()
    }

    /// Python's `_identity` and default name for the next `Process(...)` this
    /// process creates: names are given at creation, as in Python.
    pub fn new_child_identity(&self) -> (Vec<u32>, String) {
        let mut l = self.local.borrow_mut();
        l.child_counter += 1;
        let mut id = l.identity.clone();
        id.push(l.child_counter);
        let n = format!("Process-{}", id.iter().map(u32::to_string).collect::<Vec<_>>().join(":"));
        (id, n)
    }

    /// `p.start()` of a Rhai process: reserve a lane, exec a worker on it,
    /// release it. Returns the child's lane and pid.
    pub fn process_start(&self, target: &str, args: Vec<Value>, identity: Vec<u32>, name: &str, daemon: bool, line: u32) -> LessonResult<(u32, i32)> {
        self.enter_op(Op::Start, line);
        self.ipc_check_sendable(&args)?;
        let (lane, inherit) = self.start_reserve(target, args, identity, name, daemon)?;
        // A fork of the run's template (sockets to inherit aside: those go
        // by exec, which keeps their numbers); else, or should it fail, exec.
        if self.info.fork_server
            && inherit.is_empty()
            && let Ok(pid) = super::forkserver::request(&self.seg_name, lane)
        {
            return self.start_launched(lane, daemon, Ok(pid));
        }
        // The same binary as ours, even if the file was replaced since.
        let exe = std::path::PathBuf::from("/proc/self/exe");
        let launched = spawn_worker_inheriting(&exe, &self.seg_name, lane, false, inherit).map(|child| {
            let pid = child.id() as i32;
            // We reap with waitpid ourselves; std's handle is not needed.
            drop(child);
            pid
        });
        self.start_launched(lane, daemon, launched)
    }

    /// The first half of a start, after its gate: checks that this process may
    /// have children, reserves the child's lane and writes what it must run.
    /// Returns the lane and the socket descriptors the child must inherit.
    /// The caller then launches the process (exec or fork) and calls
    /// [`LaneRuntime::start_launched`].
    pub fn start_reserve(&self, target: &str, args: Vec<Value>, identity: Vec<u32>, name: &str, daemon: bool) -> LessonResult<(u32, Vec<i32>)> {
        if self.local.borrow().daemon {
            return Err(LessonError::assertion("daemonic processes are not allowed to have children"));
        }
        self.reserve_child_lane(target, args, identity, name, daemon)
    }

    /// [`LaneRuntime::start_reserve`] without its check: a bare `os.fork()` is
    /// allowed in a daemonic process (a Pool's worker too), as in CPython.
    pub fn reserve_child_lane(&self, target: &str, args: Vec<Value>, identity: Vec<u32>, name: &str, daemon: bool) -> LessonResult<(u32, Vec<i32>)> {
        let lane = self.v.alloc_lane(self.lane)?;
        // Pipe ends and sockets among the arguments are the child's from its start.
        let inherit = self.ipc_before_spawn(lane, &args);
        let bytes = codec::encode(&SpawnPayload { args, identity })?;
        let chain = self.v.write_chain(&bytes)?;
        let l = self.v.lane(lane).expect("allocated lane is in range");
        l.daemon.store(daemon as u32, Relaxed);
        l.name.set(name);
        l.target.set(target);
        l.args_len.store(bytes.len() as u32, Relaxed);
        l.args_block.store(chain, Release);
        Ok((lane, inherit))
    }

    /// The second half of a start: `launched` is the new process's pid, or why
    /// it could not be made. Publishes the pid, writes the `Spawn` record and
    /// releases the child.
    pub fn start_launched(&self, lane: u32, daemon: bool, launched: std::io::Result<i32>) -> LessonResult<(u32, i32)> {
        let l = self.v.lane(lane).expect("a reserved lane is in range");
        let pid = match launched {
            Ok(pid) => pid,
            Err(e) => {
                l.pid.store(-1, Release);
                let chain = l.args_block.swap(NONE, AcqRel);
                if chain != NONE {
                    self.v.free_chain(chain);
                }
                // Python's words: `BlockingIOError: [Errno 11] Resource
                // temporarily unavailable` when fork hits the process limit.
                let errno = e.raw_os_error().unwrap_or(0);
                let text = e.to_string();
                let text = text.split(" (os error").next().unwrap_or(&text).to_string();
                return Err(if errno == libc::EAGAIN {
                    LessonError::new("BlockingIOError", format!("[Errno {errno}] {text} (the limit on processes is reached)"))
                } else {
                    LessonError::os(format!("[Errno {errno}] {text}"))
                });
            }
        };
        l.start_time.store(crate::sys::start_time(pid).unwrap_or(0), Relaxed);
        l.pid.store(pid, Release);
        let body = OpBody { op: Op::Start as u16, other: super::lane16(lane), res: NONE, a: pid as i64, b: std::process::id() as i64, c: daemon as i64, d: 0 };
        self.emit(RawKind::Spawn, body, None);
        l.go.store(1, Release);
        self.v.wake_lane(lane);
        // A thread is no child process: nothing to join, reap or signal.
        if l.thread.load(Acquire) == 0 {
            self.family().children.push(ChildInfo { lane, pid, daemon, bare: false, reaped: None });
        }
        // Stepping: the child's first park belongs to this step, before ours.
        // Stepped by statement, a child whose first code is not the user's (a
        // manager's server, `target=q.get`) may wait in an op before any park.
        let waiting = |st: crate::shm::layout::StatusSnapshot| st.state == ProcState::Blocked as u32 || st.state == ProcState::Sleeping as u32;
        self.settle_on(|| l.parks.load(SeqCst) > 0 || l.ended.load(Acquire) != 0 || l.status.read(16).is_some_and(waiting));
        Ok((lane, pid))
    }

    /// Exitcode of `lane` if the conductor saw it end.
    pub fn exitcode_of(&self, lane: u32) -> Option<i32> {
        let l = self.v.lane(lane)?;
        (l.ended.load(Acquire) != 0).then(|| l.exit_status.load(Acquire))
    }

    /// Exitcode of `lane` if it has ended — for our own child, as Python's
    /// `poll()` (`waitpid(WNOHANG)`) answers: a child that has exited counts
    /// as ended at once, and the answer waits (bounded) only for the
    /// conductor to record the end, so that its record comes first.
    pub fn child_exitcode(&self, lane: u32) -> Option<i32> {
        let l = self.v.lane(lane)?;
        if l.ended.load(Acquire) == 0
            && let Some(child) = self.child(lane)
            && child.reaped.is_none()
            && crate::sys::has_exited(child.pid)
        {
            super::gate::wait_bounded(std::time::Duration::from_secs(2), || l.ended.load(Acquire) != 0);
        }
        self.exitcode_of(lane)
    }

    pub(crate) fn reap_child(&self, lane: u32) {
        let mut guard = self.family();
        let local = &mut *guard;
        if let Some(c) = local.children.iter_mut().find(|c| c.lane == lane)
            && c.reaped.is_none() {
                if !reap(c.pid) && let Some(l) = self.v.lane(lane) {
                    // Not our OS child: its CPU time is not in our
                    // RUSAGE_CHILDREN; it said what it used as it exited.
                    local.children_cpu_ms.0 += l.cpu_user_ms.load(Acquire) as u64;
                    local.children_cpu_ms.1 += l.cpu_system_ms.load(Acquire) as u64;
                }
                c.reaped = Some(self.v.lane(lane).map_or(0, |l| l.exit_status.load(Acquire)));
            }
    }

    /// `p.join()` / `p.join(secs)`. Returns the exitcode if the child ended.
    pub fn process_join(&self, lane: u32, timeout: Option<f64>, line: u32) -> LessonResult<Option<i32>> {
        if timeout.is_none() {
            self.enter_wait_op(Op::Join, NONE, lane, line);
        } else {
            self.enter_op(Op::Join, line);
        }
        if self.child(lane).is_none() {
            return Err(LessonError::assertion("can only join a child process"));
        }
        let l = self.v.lane(lane).expect("a child's lane is in range");
        if l.ended.load(Acquire) == 0 {
            if timeout.is_some_and(|t| t <= 0.0) {
                self.record_op(Op::Join, NONE, lane, 0, 1, 0, None);
                return Ok(None);
            }
            self.record_block(Op::Join, NONE, lane, NONE, timeout.is_some());
            if self.wait_until(Op::Join, NONE, lane, timeout, || l.ended.load(Acquire) != 0) == WaitEnd::TimedOut {
                self.record_timeout(Op::Join, NONE, lane);
                self.set_state(ProcState::Running, None, NONE, NONE, 0);
                return Ok(None);
            }
        }
        self.reap_child(lane);
        let code = l.exit_status.load(Acquire);
        self.record_op(Op::Join, NONE, lane, code as i64, 0, 0, None);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(Some(code))
    }

    /// Marks the child on `lane` as made by a bare `os.fork()` (see
    /// [`ChildInfo::bare`]).
    pub fn mark_bare_fork(&self, lane: u32) {
        if let Some(c) = self.family().children.iter_mut().find(|c| c.lane == lane) {
            c.bare = true;
        }
    }

    /// `os.wait()` / `os.waitpid()` on children made by `os.fork()`: the
    /// first of `lanes` (in their order) that has ended is reaped, and its
    /// lane and exitcode returned; with `block`, waits (a `join` op, shown
    /// waiting on the first lane) until one has; without, `None` if none
    /// has (as `WNOHANG`, a child that has exited counts as ended: see
    /// [`LaneRuntime::child_exitcode`]). The same schedule reaps the same child.
    pub fn process_wait_any(&self, lanes: &[u32], block: bool, line: u32) -> LessonResult<Option<(u32, i32)>> {
        let no_child = || LessonError::new("ChildProcessError", "[Errno 10] No child processes");
        let &first = lanes.first().ok_or_else(no_child)?;
        if block {
            self.enter_wait_op(Op::Join, NONE, first, line);
        } else {
            self.enter_op(Op::Join, line);
        }
        if lanes.iter().any(|&l| self.child(l).is_none_or(|c| c.reaped.is_some())) {
            return Err(no_child());
        }
        let ended = || lanes.iter().copied().find(|&l| self.v.lane(l).is_some_and(|x| x.ended.load(Acquire) != 0));
        let lane = match ended() {
            Some(l) => l,
            None if !block => match lanes.iter().copied().find(|&l| self.child_exitcode(l).is_some()) {
                Some(l) => l,
                None => {
                    self.record_op(Op::Join, NONE, first, 0, 1, 0, None);
                    return Ok(None);
                }
            },
            None => {
                self.record_block(Op::Join, NONE, first, NONE, false);
                self.wait_until_uninterrupted(Op::Join, NONE, first, None, || ended().is_some());
                ended().expect("a wait without timeout ends with a child ended")
            }
        };
        self.reap_child(lane);
        let code = self.v.lane(lane).map_or(0, |l| l.exit_status.load(Acquire));
        self.record_op(Op::Join, NONE, lane, code as i64, 0, 0, None);
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        Ok(Some((lane, code)))
    }

    /// `p.is_alive()`.
    pub fn process_is_alive(&self, lane: u32, line: u32) -> LessonResult<bool> {
        self.enter_op(Op::IsAlive, line);
        let alive = match self.v.lane(lane) {
            Some(l) => l.pid.load(Acquire) > 0 && self.child_exitcode(lane).is_none(),
            None => false,
        };
        if !alive && self.child(lane).is_some() {
            self.reap_child(lane);
        }
        self.record_op(Op::IsAlive, NONE, lane, alive as i64, 0, 0, None);
        Ok(alive)
    }

    /// `p.terminate()` (SIGTERM) / `p.kill()` (SIGKILL).
    pub fn process_signal(&self, lane: u32, sig: i32, line: u32) -> LessonResult<()> {
        let op = if sig == libc::SIGKILL { Op::Kill } else { Op::Terminate };
        self.enter_op(op, line);
        let Some(child) = self.child(lane) else {
            return Err(LessonError::new("AttributeError", format!("'NoneType' object has no attribute '{}'", op.name())));
        };
        let l = self.v.lane(lane).expect("a child's lane is in range");
        // The record first: the child's end (written by the reaper) must come after it.
        self.record_op(op, NONE, lane, sig as i64, 0, 0, None);
        if l.ended.load(Acquire) == 0 && child.reaped.is_none() {
            l.kill_pending.store(1, Release);
            crate::sys::kill(child.pid, sig);
        }
        // Stepping: the child's end belongs to this step.
        self.settle_on(|| l.ended.load(Acquire) != 0);
        Ok(())
    }

    /// The end of the process's code: Python's exit handling (terminate daemonic
    /// children, then join every child), then exit with `code`.
    pub fn finish(&self, code: i32) -> ! {
        self.enter_op(Op::Exit, 0);
        self.record_op(Op::Exit, NONE, NONE, code as i64, 0, 0, None);
        let children = self.family().children.clone();
        for c in children.iter().filter(|c| c.daemon && !c.bare && c.reaped.is_none()) {
            if self.exitcode_of(c.lane).is_none() {
                let _ = self.process_signal(c.lane, libc::SIGTERM, 0);
            }
        }
        for c in children.iter().filter(|c| !c.bare && c.reaped.is_none()) {
            let _ = self.process_join(c.lane, None, 0);
        }
        // Then its descriptors close: pipe ends and sockets it still holds.
        self.ipc_at_exit();
        {
            let mut l = self.local.borrow_mut();
            l.status.exit_code = code;
        }
        // The end itself is a step of its own: while stepping, the process waits
        // here (ready, at "exit") and ends when stepped. A process's end is what
        // a joining parent waits for, so it must have its own place in the
        // schedule for a replay to reach the same interleaving.
        self.checkpoint(super::gate::Checkpoint::Op);
        self.set_state(ProcState::Exiting, Some(Op::Exit), NONE, NONE, 0);
        let (user, system) = cpu_ms_with_children();
        let (cu, cs) = self.family().children_cpu_ms;
        self.me.cpu_user_ms.store(user.saturating_add(cu.min(u32::MAX as u64) as u32), Release);
        self.me.cpu_system_ms.store(system.saturating_add(cs.min(u32::MAX as u64) as u32), Release);
        // At once: nothing of ours needs unwinding (the segment is shared
        // memory and stays for the conductor).
        crate::sys::exit_now(code)
    }
}
