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
use std::sync::Arc;
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
    attach_view(v, segment, lane, pidfd, true, None)
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
    attach_view(v, segment, lane, pidfd, true, None)
}

/// [`adopt_forked`] for a child the program itself forked (a Python
/// `Process` with the fork start method, `os.fork()`): it keeps its parent's
/// working directory, as a fork does.
pub fn adopt_forked_in_place(v: View<'static>, segment: &str, lane: u32, info: Arc<RunInfo>) -> Result<Attached, String> {
    let pidfd = match inherited_conductor_pidfd() {
        Some(fd) => fd,
        None => conductor_pidfd(&v)?,
    };
    attach_view(v, segment, lane, pidfd, false, Some(info))
}

/// The pidfd of the conductor that this process's parent watched, which a
/// forked child holds too (a fork copies every descriptor): the child's
/// watcher takes it rather than opening one and proving again, from
/// `/proc`, that the conductor is the segment's (a pidfd names one
/// process for good). None if the parent had none or it no longer names
/// a live process (the program closed the descriptor, or the conductor
/// ended): the caller then proves it anew.
fn inherited_conductor_pidfd() -> Option<OwnedFd> {
    let fd = WATCHED_PIDFD.swap(-1, SeqCst);
    if fd < 0 || WATCHED_BY.load(SeqCst) != std::os::unix::process::parent_id() as i32 {
        return None;
    }
    // SAFETY: signal 0 sends nothing; it fails unless `fd` is a pidfd of a
    // live process.
    let live = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd, 0, std::ptr::null::<libc::siginfo_t>(), 0) } == 0;
    // SAFETY: the descriptor was the parent watcher's, copied by the fork;
    // nothing else in this process owns it.
    live.then(|| unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// The descriptor of the pidfd this process's watcher waits on, and the
/// process whose watcher it is (a forked child reads its parent's).
static WATCHED_PIDFD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
static WATCHED_BY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

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
/// `info`: the run's facts as the parent decoded them (a forked child),
/// else read from the segment.
fn attach_view(v: View<'static>, segment: &str, lane: u32, pidfd: OwnedFd, enter_workdir: bool, info: Option<Arc<RunInfo>>) -> Result<Attached, String> {
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

    let info: Arc<RunInfo> = match info {
        Some(info) => info,
        None => Arc::new(
            v.read_chain(ctl.info_block.load(Acquire), ctl.info_len.load(Acquire))
                .ok_or("the run info in the segment is broken")
                .and_then(|b| codec::decode(&b).map_err(|_| "the run info in the segment is broken"))?,
        ),
    };
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
///
/// It also waits on the output capture's pipes once they are handed to it
/// ([`hand_capture_to_watcher`]): one thread a process where the capture had
/// a thread of its own waiting (a thread's start and end at every start of
/// a child, 0.1 ms of CPU).
fn watch_conductor(pidfd: OwnedFd, pgid: i32, orphaned: &'static std::sync::atomic::AtomicU32) -> std::io::Result<()> {
    // The bell the capture rings when it hands its pipes over; without one
    // (no descriptor left), the capture starts a thread of its own.
    // SAFETY: eventfd takes no pointer; a descriptor it returns is ours.
    let bell = unsafe {
        let fd = libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK);
        (fd >= 0).then(|| <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd))
    };
    let raw = bell.as_ref().map_or(-1, |b| std::os::fd::AsRawFd::as_raw_fd(b));
    let watched = std::os::fd::AsRawFd::as_raw_fd(&pidfd);
    HANDOFF.fds.store(NO_PIPES, SeqCst);
    let spawned = std::thread::Builder::new().name("conductor-watch".into()).spawn(move || {
        sys::block_signals_in_this_thread();
        watch(&pidfd, bell.as_ref());
        if orphaned.swap(1, AcqRel) == 0 {
            sys::kill_group(pgid, libc::SIGKILL);
        }
        sys::exit_now(137)
    });
    if spawned.is_ok() {
        WATCHED_PIDFD.store(watched, SeqCst);
        WATCHED_BY.store(std::process::id() as i32, SeqCst);
    }
    if spawned.is_ok() && raw >= 0 {
        HANDOFF.bell.store(raw, SeqCst);
        HANDOFF.owner.store(std::process::id() as i32, SeqCst);
    }
    spawned.map(|_| ())
}

/// The watcher's loop: returns when the conductor has ended. Meanwhile it
/// waits on the capture's pipes once they are handed over, and when one has
/// something to read (or hangs up) starts the thread that runs the
/// capture's reader (`serve`), as `fs_capture_watch`'s own thread did.
fn watch(pidfd: &OwnedFd, bell: Option<&OwnedFd>) {
    use std::os::fd::BorrowedFd;
    // The pipes handed over (read ends of fd 1's and 2's) and the reader.
    let mut pipes: Option<(i32, i32, usize)> = None;
    // Their reader could not be started (at the limit on threads): tried
    // again every 10 ms, the pipes not waited on meanwhile.
    let mut to_serve: Option<usize> = None;
    loop {
        let mut fds = vec![pidfd.as_fd()];
        fds.extend(bell.map(|b| b.as_fd()));
        let first_pipe = fds.len();
        if let (Some((out, err, _)), None) = (pipes, to_serve) {
            // SAFETY: the capture keeps them open while they are its own;
            // if the program closes one first, poll reports it (POLLNVAL)
            // and the reader starts early, which is harmless.
            fds.extend(unsafe { [BorrowedFd::borrow_raw(out), BorrowedFd::borrow_raw(err)] });
        }
        let ready = sys::poll_readable(&fds, if to_serve.is_some() { 10 } else { -1 });
        if ready.contains(&0) {
            return;
        }
        if bell.is_some() && ready.contains(&1) {
            let mut n = 0u64;
            // SAFETY: reads 8 bytes into `n` from the bell (an eventfd).
            unsafe { libc::read(std::os::fd::AsRawFd::as_raw_fd(bell.expect("checked")), (&raw mut n).cast(), 8) };
            let fds = HANDOFF.fds.load(SeqCst);
            if fds != NO_PIPES {
                pipes = Some((fds as u32 as i32, (fds >> 32) as u32 as i32, HANDOFF.serve.load(SeqCst)));
            }
            continue;
        }
        if let Some((_, _, serve)) = pipes
            && (to_serve.is_some() || ready.iter().any(|&i| i >= first_pipe))
        {
            to_serve = Some(serve);
        }
        if let Some(serve) = to_serve {
            // SAFETY: per `hand_capture_to_watcher`'s contract, `serve` is a
            // live C function taking nothing and returning nothing.
            let serve: extern "C" fn() = unsafe { std::mem::transmute::<usize, extern "C" fn()>(serve) };
            let started = std::thread::Builder::new().name("capture".into()).spawn(move || {
                // (A thread python3 would not have takes no signal of the program's.)
                sys::block_signals_in_this_thread();
                serve();
            });
            if started.is_ok() {
                to_serve = None;
                pipes = None;
            }
        }
    }
}

/// What the capture hands to this process's watcher (see
/// [`hand_capture_to_watcher`]). Atomics, not a lock: a fork may copy it at
/// any moment, and the child attaches anew before it uses it.
struct Handoff {
    /// The process whose watcher rings on `bell` (a forked child has its
    /// parent's here until it attaches: it hands nothing to that one).
    owner: std::sync::atomic::AtomicI32,
    /// The watcher's bell (an eventfd), -1 if none.
    bell: std::sync::atomic::AtomicI32,
    /// The pipes' read ends, fd 1's in the low half, fd 2's in the high
    /// one; `NO_PIPES` before any hand-over.
    fds: std::sync::atomic::AtomicU64,
    /// The reader's address (a C function taking and returning nothing).
    serve: std::sync::atomic::AtomicUsize,
}

const NO_PIPES: u64 = u64::MAX;

static HANDOFF: Handoff = Handoff {
    owner: std::sync::atomic::AtomicI32::new(0),
    bell: std::sync::atomic::AtomicI32::new(-1),
    fds: std::sync::atomic::AtomicU64::new(NO_PIPES),
    serve: std::sync::atomic::AtomicUsize::new(0),
};

/// Hands the output capture's pipes (`out` and `err`, the read ends for fd
/// 1 and 2) to this process's watcher, which waits on them and, when one
/// has something to read, starts a thread that calls `serve` (the reader).
/// False if this process has no watcher to take them (the caller then
/// starts a thread of its own).
///
/// # Safety
/// `serve` is the address of a C function taking and returning nothing
/// (a ctypes callback) that stays alive for as long as the process runs.
pub unsafe fn hand_capture_to_watcher(out: i32, err: i32, serve: usize) -> bool {
    let bell = HANDOFF.bell.load(SeqCst);
    if bell < 0 || HANDOFF.owner.load(SeqCst) != std::process::id() as i32 || out < 0 || err < 0 {
        return false;
    }
    HANDOFF.serve.store(serve, SeqCst);
    HANDOFF.fds.store(out as u32 as u64 | (err as u32 as u64) << 32, SeqCst);
    let one = 1u64;
    // SAFETY: writes 8 bytes from `one` to the bell (an eventfd).
    unsafe { libc::write(bell, (&raw const one).cast(), 8) == 8 }
}
