//! How a process of a run becomes one: attach to the segment and to its lane.
//!
//! Language-neutral: the Rhai worker (`forkscope worker`) and a Python process
//! (through the C ABI in `crate::python`) both start here. [`attach`] refuses
//! unless the segment exists, its conductor is alive (same pid *and* start
//! time as recorded), and the lane was reserved for this very pid; it waits
//! until the spawner has written the `Spawn` record and released the lane
//! (`go`), starts the watcher thread — which ends the run's process group the
//! moment the conductor is gone — and enters the run's working folder.
//! [`adopt_forked`] does the same for a process that is a `fork` of its
//! parent (Python's fork start method): it already has the segment mapped.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use super::LaneRuntime;
use super::process::SpawnPayload;
use crate::codec::{self, RunInfo};
use crate::shm::layout::{LaneSlot, NONE, ProcState};
use crate::shm::record::TextTag;
use crate::shm::{Segment, View, futex};
use crate::sys;

/// A process attached to its lane.
#[derive(Debug)]
pub struct Attached {
    pub rt: LaneRuntime,
    /// What the lane's spawn record asks it to run (a function name).
    pub target: String,
    pub payload: SpawnPayload,
}

/// Attaches the calling process to lane `lane` of segment `segment`.
pub fn attach(segment: &str, lane: u32) -> Result<Attached, String> {
    let seg = Segment::open(segment).map_err(|e| e.to_string())?;
    let v = seg.leak();
    let pidfd = conductor_pidfd(&v)?;
    attach_view(v, segment, lane, pidfd, true)
}

/// The conductor's pidfd, once it is proven to be the segment's live conductor.
fn conductor_pidfd(v: &View<'static>) -> Result<OwnedFd, String> {
    let ctl = v.control();
    let conductor = ctl.conductor_pid.load(Acquire);
    let pidfd = sys::pidfd_open(conductor).map_err(|_| "no live conductor for this segment".to_string())?;
    if !sys::is_same_live_process(conductor, ctl.conductor_start.load(Acquire)) {
        return Err("no live conductor for this segment".into());
    }
    Ok(pidfd)
}

/// The forked child's side of Python's fork start: the segment is already
/// mapped (inherited), the lane was reserved by the parent before `fork`.
pub fn adopt_forked(v: View<'static>, segment: &str, lane: u32) -> Result<Attached, String> {
    let pidfd = conductor_pidfd(&v)?;
    attach_view(v, segment, lane, pidfd, true)
}

/// [`adopt_forked`] for a child the program itself forked (a Python
/// `Process` with the fork start method, `os.fork()`): it keeps its parent's
/// working directory, as a fork does.
pub fn adopt_forked_in_place(v: View<'static>, segment: &str, lane: u32) -> Result<Attached, String> {
    let pidfd = conductor_pidfd(&v)?;
    attach_view(v, segment, lane, pidfd, false)
}

/// Waits until the spawner released `me` (its `go` word), bounded, giving up at
/// once if the conductor dies meanwhile: no process may outlive it.
fn wait_released(me: &LaneSlot, lane: u32, pidfd: &OwnedFd) -> Result<(), String> {
    let t0 = Instant::now();
    loop {
        let w = me.wake.0.load(Acquire);
        if me.go.load(Acquire) != 0 {
            return Ok(());
        }
        if me.pid.load(Acquire) < 0 {
            return Err("the process that started this one ended before releasing it".into());
        }
        if !sys::poll_readable(&[pidfd.as_fd()], 0).is_empty() {
            return Err("the conductor ended before this process was released".into());
        }
        if t0.elapsed() > Duration::from_secs(10) {
            return Err(format!("lane {lane} was never released by its parent"));
        }
        futex::wait(&me.wake.0, w, Some(Duration::from_millis(20)));
    }
}

/// `enter_workdir`: a process started afresh (main, a worker, a spawned
/// child) enters the run's folder.
fn attach_view(v: View<'static>, segment: &str, lane: u32, pidfd: OwnedFd, enter_workdir: bool) -> Result<Attached, String> {
    let ctl = v.control();
    let me = v.lane(lane).ok_or_else(|| format!("lane {lane} does not exist"))?;
    if me.used.load(Acquire) == 0 {
        return Err(format!("lane {lane} was not reserved"));
    }
    wait_released(me, lane, &pidfd)?;
    let pid = std::process::id() as i32;
    if me.pid.load(Acquire) != pid {
        return Err(format!("lane {lane} belongs to another process"));
    }
    let watcher = watch_conductor(pidfd, ctl.pgid.load(Acquire), &ctl.orphaned);
    // A signal the program handles wakes this process's main thread (its
    // waits sleep on its lane word): see `signals`.
    super::signals::set_main_wake(&me.wake.0);

    let info: RunInfo = v
        .read_chain(ctl.info_block.load(Acquire), ctl.info_len.load(Acquire))
        .ok_or("the run info in the segment is broken")
        .and_then(|b| codec::decode(&b).map_err(|_| "the run info in the segment is broken"))?;
    let payload: SpawnPayload = match me.args_block.load(Acquire) {
        NONE => SpawnPayload { args: Vec::new(), identity: Vec::new() },
        first => v
            .read_chain(first, me.args_len.load(Acquire))
            .ok_or("the arguments in the segment are broken")
            .and_then(|b| codec::decode(&b).map_err(|_| "the arguments in the segment are broken"))?,
    };
    if enter_workdir {
        std::env::set_current_dir(info.workdir()).map_err(|e| format!("cannot enter the run's folder {}: {e}", info.workdir()))?;
    }
    let name = me.name.get();
    let target = me.target.get();
    sys::set_process_name(&name);
    let daemon = me.daemon.load(Acquire) != 0;
    let rt = LaneRuntime::new(v, lane, info, segment.to_string(), payload.identity.clone(), name, daemon);
    rt.set_state(ProcState::Starting, None, NONE, NONE, 0);
    if let Err(e) = watcher {
        // Without its watcher the process could outlive the conductor: it
        // must not run. Say why on its lane (at the process limit, this is
        // where a start fails), then end like an uncaught exception.
        let errno = e.raw_os_error().unwrap_or(0);
        let text = e.to_string();
        let text = text.split(" (os error").next().unwrap_or(&text);
        let kind = if errno == libc::EAGAIN { "BlockingIOError" } else { "OSError" };
        rt.record_text(TextTag::Error, &format!("{kind}: [Errno {errno}] {text}: cannot start the process's watcher thread (is the limit on processes reached?)"));
        // At once: nothing needs unwinding.
        sys::exit_now(1)
    }
    Ok(Attached { rt, target, payload })
}

/// The watcher: a thread blocked on the conductor's pidfd. When the conductor
/// ends (even by SIGKILL), the first watcher to see it kills the run's
/// process group (the guard does too), so no process outlives the run; every
/// other watcher ends only its own process. The guard process removes the
/// segment and folder.
fn watch_conductor(pidfd: OwnedFd, pgid: i32, orphaned: &'static std::sync::atomic::AtomicU32) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("conductor-watch".into())
        .spawn(move || {
            sys::block_signals_in_this_thread();
            loop {
                if !sys::poll_readable(&[pidfd.as_fd()], -1).is_empty() {
                    break;
                }
            }
            if orphaned.swap(1, AcqRel) == 0 {
                sys::kill_group(pgid, libc::SIGKILL);
            }
            sys::exit_now(137)
        })
        .map(|_| ())
}
