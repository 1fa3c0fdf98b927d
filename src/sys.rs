//! Small wrappers over Linux calls that std does not have: `/proc/PID/stat`,
//! pidfds, the monotonic clock, signal names, process-group kill, waiting for
//! a child. The calls go through `nix`'s safe wrappers; `libc` only where nix
//! has none (`pidfd_open`, `_exit`).

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// The environment variable that marks a run's processes; its value is the
/// run's segment name (unguessable, one per run). See `conductor::family`.
pub const RUN_ENV: &str = "FORKSCOPE_RUN";

static OWN_SESSION: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, every run this process starts is in a session of its own
/// (see [`as_run_leader`]). The dashboard asks for it: a person must be able
/// to stop a run whatever it does to the CPU.
pub fn runs_in_own_session() {
    OWN_SESSION.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether a run's processes get a session of their own (see [`as_run_leader`]).
pub fn own_session() -> bool {
    OWN_SESSION.load(std::sync::atomic::Ordering::Relaxed)
}

/// Starts `cmd`'s process as the leader of a run's process group: with
/// [`runs_in_own_session`] (the dashboard), of a session of its own, else
/// of a group in the conductor's session.
///
/// Why a session: where the scheduler groups tasks by session (autogroup,
/// the default of most Linux systems) it shares the CPU between sessions
/// first, so the conductor keeps half of it however many busy processes the
/// run makes; in one session a `Process` bomb of a thousand leaves it 0.1 %,
/// and the dashboard reads and acts on `q` in seconds, or minutes beside
/// other load. Why not always: a hand-off between the conductor and a
/// process of another session waits longer for the CPU when the machine is
/// loaded (start-up of 100 processes about 20 % slower at load 11, a replay
/// 15 %), which a headless run (explore, the tests, CI) pays on every step
/// and does not need: its time limit and its signals end a bomb by freezing
/// the group first. No privilege is needed.
pub fn as_run_leader(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    if !OWN_SESSION.load(std::sync::atomic::Ordering::Relaxed) {
        return cmd.process_group(0);
    }
    // SAFETY: the closure runs in the child between fork and exec and only
    // calls setsid, which is async-signal-safe; it allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// The fields of `/proc/PID/stat` we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// One-letter state: R S D Z T t X …
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    /// Start time in clock ticks since boot (field 22).
    pub start_time: u64,
    /// Wait status as `waitpid` would report it (field 52); meaningful for a zombie.
    pub exit_code: i32,
    /// CPU time used, user plus system, in clock ticks (fields 14 and 15;
    /// see [`ticks_per_second`]).
    pub cpu_ticks: u64,
}

/// Clock ticks per second, the unit of [`ProcStat::cpu_ticks`] (100 on
/// Linux almost always).
pub fn ticks_per_second() -> u64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(n)) if n > 0 => n as u64,
        _ => 100,
    }
}

/// Reads `/proc/PID/stat`; `None` if the process does not exist (or was reaped).
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    // One read into the stack, no allocation: a parent reads its new
    // child's start time right after the fork, when every page it writes
    // is copied first (`read_to_string` grew its buffer over six reads).
    use std::io::{Read, Write};
    let mut path = [0u8; 32];
    let n = {
        let mut w = &mut path[..];
        write!(w, "/proc/{pid}/stat").ok()?;
        32 - w.len()
    };
    let path = std::str::from_utf8(&path[..n]).ok()?;
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = [0u8; 2048];
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(k) => len += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    if len == buf.len() {
        // Longer than any stat line: read it whole.
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        file.read_to_string(&mut text).ok()?;
        return parse_stat(&text);
    }
    parse_stat(&String::from_utf8_lossy(&buf[..len]))
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let rest = &text[text.rfind(')')? + 1..];
    // Fields 3 (state) to 52, in order.
    let mut f = rest.split_whitespace();
    let mut at = 3;
    let mut field = |n: usize| {
        let v = f.nth(n.checked_sub(at)?);
        at = n + 1;
        v
    };
    let state = field(3)?.chars().next()?;
    let ppid = field(4)?.parse().ok()?;
    let pgrp = field(5)?.parse().ok()?;
    let cpu_ticks = field(14)?.parse::<u64>().ok()? + field(15)?.parse::<u64>().ok()?;
    let start_time = field(22)?.parse().ok()?;
    let exit_code = field(52).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(ProcStat { state, ppid, pgrp, start_time, exit_code, cpu_ticks })
}

/// Start time of `pid` (clock ticks since boot).
pub fn start_time(pid: i32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_time)
}

/// Whether our child `pid` has exited (a zombie not yet reaped), without
/// reaping it (`waitid` with `WNOWAIT`).
pub fn has_exited(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    matches!(nix::sys::wait::waitid(Id::Pid(Pid::from_raw(pid)), flags), Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)))
}

/// What [`wait_child`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildWait {
    /// Reaped now; its Python exitcode (the exit code, or -N for signal N).
    Ended(i32),
    /// Still running (only without `block`).
    Running,
    /// Not our child (any more): another reaped it, or it never was.
    NotOurs,
}

/// Reaps our child `pid` (`waitpid`), waiting for it to end if `block`.
pub fn wait_child(pid: i32, block: bool) -> ChildWait {
    if pid <= 0 {
        return ChildWait::NotOurs;
    }
    let flags = if block { None } else { Some(WaitPidFlag::WNOHANG) };
    loop {
        match nix::sys::wait::waitpid(Pid::from_raw(pid), flags) {
            Err(Errno::EINTR) => continue,
            Ok(WaitStatus::StillAlive) => return ChildWait::Running,
            Ok(st) => match exitcode_of(st) {
                Some(code) => return ChildWait::Ended(code),
                // Stopped or continued: not an end (we never ask for those).
                None if block => continue,
                None => return ChildWait::Running,
            },
            Err(_) => return ChildWait::NotOurs,
        }
    }
}

fn exitcode_of(st: WaitStatus) -> Option<i32> {
    match st {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(-(sig as i32)),
        _ => None,
    }
}

/// True if `pid` exists, is not a zombie, and started at `start` (so it is the
/// same process, not a reused pid).
pub fn is_same_live_process(pid: i32, start: u64) -> bool {
    matches!(proc_stat(pid), Some(s) if s.start_time == start && s.state != 'Z' && s.state != 'X')
}

/// True if `pid` is `ancestor` or one of its descendants (following parents
/// in `/proc`, at most 64 steps). The conductor is the child subreaper, so
/// every process of a run, orphans included, is its descendant: a pid read
/// from the segment that is not cannot be one of the run's.
pub fn is_descendant_of(pid: i32, ancestor: i32) -> bool {
    let mut cur = pid;
    for _ in 0..64 {
        if cur == ancestor {
            return true;
        }
        match proc_stat(cur) {
            Some(s) if s.ppid > 0 => cur = s.ppid,
            _ => return false,
        }
    }
    false
}

/// `pidfd_open(pid)`: a descriptor that becomes readable when `pid` ends.
pub fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Polls `fds` for readability, `timeout_ms` (-1 = forever). Returns the
/// indices that are readable (or hung up).
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout_ms: i32) -> Vec<usize> {
    use nix::poll::{PollFd, PollFlags, PollTimeout};
    let mut pfds: Vec<PollFd<'_>> = fds.iter().map(|&fd| PollFd::new(fd, PollFlags::POLLIN)).collect();
    if !matches!(nix::poll::poll(&mut pfds, PollTimeout::try_from(timeout_ms).unwrap_or(PollTimeout::NONE)), Ok(n) if n > 0) {
        return Vec::new();
    }
    let ready = PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
    pfds.iter().enumerate().filter(|(_, p)| p.revents().is_some_and(|r| r.intersects(ready))).map(|(i, _)| i).collect()
}

/// Polls one descriptor for `events`, `timeout_ms` (-1 = forever): what it
/// reported (hang-up and errors included), or `None` when the time ran out.
pub fn poll_one(fd: BorrowedFd<'_>, events: nix::poll::PollFlags, timeout_ms: i32) -> Option<nix::poll::PollFlags> {
    use nix::poll::{PollFd, PollTimeout};
    let mut p = [PollFd::new(fd, events)];
    match nix::poll::poll(&mut p, PollTimeout::try_from(timeout_ms).unwrap_or(PollTimeout::NONE)) {
        Ok(n) if n > 0 => p[0].revents(),
        _ => None,
    }
}

/// Whether the calling thread is its process's main thread (the one whose
/// id is the process's: the only one where Python runs signal handlers).
/// Blocks, in the calling thread, every signal but the ones a fault raises
/// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP): for the library's own threads
/// inside a program's process (the conductor's watcher, the output
/// capture's), so that a signal sent to the process goes to a thread of the
/// program, as it would under plain `python3`. The kernel gives a
/// process's signal to any thread that does not block it; one given to a
/// thread of ours ran Python's C handler there and never ended the main
/// thread's wait (a `Pool.join()` that went on for seconds after a SIGALRM).
pub fn block_signals_in_this_thread() {
    // SAFETY: plain libc calls on a local, initialised signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP] {
            libc::sigdelset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

pub fn is_main_thread() -> bool {
    nix::unistd::gettid() == nix::unistd::getpid()
}

/// Ends this process at once with `code` (`_exit`: no destructors, no
/// atexit handlers, no flushing of what a forked child shares with its parent).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions; nix has no wrapper for it.
    unsafe { libc::_exit(code) }
}

/// `CLOCK_MONOTONIC` in nanoseconds, cheap (see [`crate::clock`]).
#[inline]
pub fn monotonic_ns() -> u64 {
    crate::clock::monotonic_ns()
}

/// Sends `sig` to `pid`; false if it failed (no such process).
pub fn kill(pid: i32, sig: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    nix::sys::signal::kill(Pid::from_raw(pid), Signal::try_from(sig).ok()).is_ok()
}

/// SIGKILL to `pid` only if it is still the process that started at
/// `start_time` (clock ticks since boot): a pidfd is taken first, so that
/// the process checked is the one signalled, never another that got its pid
/// since it was seen. Whether it was signalled.
pub fn kill_if_same(pid: i32, start_time: u64) -> bool {
    let Ok(fd) = pidfd_open(pid) else { return false };
    if self::start_time(pid) != Some(start_time) {
        return false;
    }
    // SAFETY: plain syscall: a pidfd we own, a signal number, no siginfo.
    unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), libc::SIGKILL, std::ptr::null::<libc::siginfo_t>(), 0) == 0 }
}

/// Sends `sig` to every process of group `pgid`.
pub fn kill_group(pgid: i32, sig: i32) -> bool {
    if pgid <= 1 {
        return false;
    }
    nix::sys::signal::killpg(Pid::from_raw(pgid), Signal::try_from(sig).ok()).is_ok()
}

/// Takes a shared `flock` on `path` (a file or a folder) and keeps it while
/// the returned descriptor lives (close-on-exec: a child that execs does not
/// inherit it). It tells any process, in any pid namespace, that a live run
/// uses `path`: see [`is_held_alive`].
pub fn hold_alive(path: &std::path::Path) -> std::io::Result<nix::fcntl::Flock<OwnedFd>> {
    use nix::fcntl::{Flock, FlockArg, OFlag};
    let fd = nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW, nix::sys::stat::Mode::empty())?;
    Flock::lock(fd, FlockArg::LockShared).map_err(|(_, e)| e.into())
}

/// True if a process holds a [`hold_alive`] lock on `path` now (an exclusive
/// lock cannot be had). False if `path` cannot be opened.
pub fn is_held_alive(path: &std::path::Path) -> bool {
    use nix::fcntl::{Flock, FlockArg};
    let Ok(f) = std::fs::File::open(path) else { return false };
    // The lock, if taken, goes with the file at the end of this function.
    matches!(Flock::lock(f, FlockArg::LockExclusiveNonblock), Err((_, Errno::EWOULDBLOCK)))
}

/// The command line of `pid` (`/proc/PID/cmdline`), its arguments joined by spaces.
pub fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(raw.split(|&b| b == 0).map(String::from_utf8_lossy).collect::<Vec<_>>().join(" "))
}

/// Python-style name of a signal (`SIGTERM`), or `SIG<n>`.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGCONT => "SIGCONT",
        _ => return format!("SIG{sig}"),
    };
    name.to_string()
}

/// Turns a wait status into a Python exitcode: the exit code, or -N for signal N.
pub fn exitcode_from_wait_status(status: i32) -> i32 {
    // Stopped/continued statuses are not ends; callers do not pass them.
    WaitStatus::from_raw(Pid::from_raw(0), status).ok().and_then(exitcode_of).unwrap_or(0)
}

/// Becomes the child subreaper: orphaned descendants are re-parented to us.
pub fn set_child_subreaper() -> bool {
    nix::sys::prctl::set_child_subreaper(true).is_ok()
}

/// Sets the calling thread's name as `ps`/`top` show it (15 bytes at most).
pub fn set_process_name(name: &str) {
    let mut n = name.len().min(15);
    while !name.is_char_boundary(n) {
        n -= 1;
    }
    if let Ok(c) = std::ffi::CString::new(&name.as_bytes()[..n]) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn note_signal(sig: libc::c_int) {
    STOP_SIGNAL.store(sig, std::sync::atomic::Ordering::SeqCst);
    freeze_run_groups();
}

/// The process groups of the runs this process conducts (0: a free slot).
/// A stop signal freezes them at once, in its handler: a run of a thousand
/// busy processes (a `Process` bomb) then takes no more CPU from the
/// conductor, which ends the run as usual (SIGKILL ends a stopped process).
static RUN_GROUPS: [std::sync::atomic::AtomicI32; 64] = [const { std::sync::atomic::AtomicI32::new(0) }; 64];

/// Counts `pgid` among the run groups a stop signal freezes (until
/// [`forget_run_group`]).
pub fn note_run_group(pgid: i32) {
    use std::sync::atomic::Ordering::SeqCst;
    if pgid > 1 {
        let _ = RUN_GROUPS.iter().find(|s| s.compare_exchange(0, pgid, SeqCst, SeqCst).is_ok());
    }
}

pub fn forget_run_group(pgid: i32) {
    use std::sync::atomic::Ordering::SeqCst;
    for s in &RUN_GROUPS {
        let _ = s.compare_exchange(pgid, 0, SeqCst, SeqCst);
    }
}

/// SIGSTOP to every run group noted; async-signal-safe (loads and kill).
fn freeze_run_groups() {
    for s in &RUN_GROUPS {
        let g = s.load(std::sync::atomic::Ordering::SeqCst);
        if g > 1 {
            // SAFETY: kill has no memory preconditions and is async-signal-safe.
            unsafe { libc::kill(-g, libc::SIGSTOP) };
        }
    }
}

/// Turns SIGINT, SIGTERM and SIGHUP into a flag ([`stop_requested`]) so the
/// program can end its run and restore the terminal instead of dying.
pub fn catch_stop_signals() {
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        on_signal(sig, Some(note_signal));
    }
}

/// Installs `handler` for `sig` (restarting interrupted calls), or the
/// default action with `None`.
pub fn on_signal(sig: Signal, handler: Option<extern "C" fn(libc::c_int)>) {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet};
    let how = handler.map_or(SigHandler::SigDfl, SigHandler::Handler);
    // SAFETY: every handler given here is async-signal-safe (it stores to an
    // atomic and returns), and none is installed where another is relied on.
    unsafe { nix::sys::signal::sigaction(sig, &SigAction::new(how, SaFlags::SA_RESTART, SigSet::empty())) }.ok();
}

/// The stop signal received, if any.
pub fn stop_requested() -> Option<i32> {
    match STOP_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// This thread's timers keep to 1 µs (the default slack lets a 20 µs sleep
/// last 70 µs); set once per thread.
pub fn fine_timer_slack() {
    thread_local!(static SET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    SET.with(|s| {
        if !s.replace(true) {
            let _ = nix::sys::prctl::set_timerslack(1000);
        }
    });
}

/// Where a run's time goes, when `FORKSCOPE_PHASES` is set: each phase's
/// count and wall time, added up over the runs of this process (the
/// conductor's start, steps, end and cleanup; `explore` prints the table at
/// its end). Off, a phase costs one relaxed load.
pub mod phases {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    static TABLE: Mutex<Vec<(&'static str, u64, Duration)>> = Mutex::new(Vec::new());

    /// Whether phases are measured (`FORKSCOPE_PHASES` set).
    pub fn on() -> bool {
        *ON.get_or_init(|| std::env::var_os("FORKSCOPE_PHASES").is_some())
    }

    /// Adds `took` to `name`.
    pub fn add(name: &'static str, took: Duration) {
        if !on() {
            return;
        }
        let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        match t.iter_mut().find(|(n, _, _)| *n == name) {
            Some(row) => {
                row.1 += 1;
                row.2 += took;
            }
            None => t.push((name, 1, took)),
        }
    }

    /// A phase from now until [`Phase::end`] (or its drop).
    #[derive(Debug)]
    pub struct Phase(&'static str, Option<Instant>);

    impl Phase {
        pub fn end(mut self) {
            self.stop();
        }
        fn stop(&mut self) {
            if let Some(t) = self.1.take() {
                add(self.0, t.elapsed());
            }
        }
    }

    impl Drop for Phase {
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// Starts measuring `name`.
    pub fn start(name: &'static str) -> Phase {
        Phase(name, on().then(Instant::now))
    }

    /// The table (phase, count, total, mean), in the order phases first came.
    pub fn table() -> String {
        let t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::from("phase                          count    total ms   mean ms\n");
        for (name, n, d) in t.iter() {
            out.push_str(&format!("{name:<30} {n:>6} {:>11.1} {:>9.3}\n", d.as_secs_f64() * 1e3, d.as_secs_f64() * 1e3 / (*n).max(1) as f64));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parens_in_comm() {
        let line = "4242 (we ir) d) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 9";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 1);
        assert_eq!(s.pgrp, 4242);
        assert_eq!(s.start_time, 98765);
        assert_eq!(s.exit_code, 9);
        assert_eq!(s.cpu_ticks, 0);
        // utime (14) and stime (15): the CPU time htop's CPU% is made of.
        let busy = line.replacen("1 0 0 0 0 0 0 0 20", "1 0 0 0 120 30 0 0 20", 1);
        assert_eq!(parse_stat(&busy).unwrap().cpu_ticks, 150);
    }

    #[test]
    fn own_stat_is_readable() {
        let me = std::process::id() as i32;
        let s = proc_stat(me).unwrap();
        assert!(is_same_live_process(me, s.start_time));
        assert!(!is_same_live_process(me, s.start_time + 1));
    }

    #[test]
    // The children are reaped by `wait_child`, the function under test.
    #[allow(clippy::zombie_processes)]
    fn wait_child_tells_an_end_from_a_running_child_and_from_a_stranger() {
        use std::process::Command;
        let ok = Command::new("true").spawn().unwrap();
        assert_eq!(wait_child(ok.id() as i32, true), ChildWait::Ended(0));
        let killed = Command::new("sh").args(["-c", "kill -9 $$"]).spawn().unwrap();
        assert_eq!(wait_child(killed.id() as i32, true), ChildWait::Ended(-9));
        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = sleeper.id() as i32;
        assert_eq!(wait_child(pid, false), ChildWait::Running);
        assert!(!has_exited(pid));
        assert!(kill(pid, libc::SIGTERM));
        while !has_exited(pid) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // has_exited leaves it for the reaper: still there to reap.
        assert_eq!(wait_child(pid, false), ChildWait::Ended(-15));
        assert!(sleeper.try_wait().is_err(), "wait_child reaped it");
        // The parent of this process is not its child.
        assert_eq!(wait_child(std::os::unix::process::parent_id() as i32, false), ChildWait::NotOurs);
        assert_eq!(wait_child(0, true), ChildWait::NotOurs);
    }

    #[test]
    fn a_held_path_is_seen_held_and_free_once_let_go() {
        let dir = std::env::temp_dir().join(format!("fs-sys-held-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!is_held_alive(&dir));
        let held = hold_alive(&dir).unwrap();
        assert!(is_held_alive(&dir));
        drop(held);
        assert!(!is_held_alive(&dir));
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn poll_sees_a_pipe_become_readable() {
        use std::io::Write;
        use std::os::fd::AsFd;
        let (r, mut w) = std::io::pipe().unwrap();
        assert!(poll_readable(&[r.as_fd()], 0).is_empty());
        w.write_all(b"x").unwrap();
        assert_eq!(poll_readable(&[r.as_fd()], 1000), vec![0]);
        assert!(poll_one(w.as_fd(), nix::poll::PollFlags::POLLOUT, 0).is_some());
    }

    #[test]
    fn exitcodes_follow_python() {
        assert_eq!(exitcode_from_wait_status(3 << 8), 3);
        assert_eq!(exitcode_from_wait_status(libc::SIGTERM), -15);
        assert_eq!(signal_name(9), "SIGKILL");
    }
}
