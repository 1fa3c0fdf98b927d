//! Small wrappers over Linux calls that std does not have: `/proc/PID/stat`,
//! pidfds, the monotonic clock, signal names, process-group kill.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

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
}

/// Reads `/proc/PID/stat`; `None` if the process does not exist (or was reaped).
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state).
    let field = |n: usize| f.get(n - 3).copied();
    Some(ProcStat {
        state: field(3)?.chars().next()?,
        ppid: field(4)?.parse().ok()?,
        pgrp: field(5)?.parse().ok()?,
        start_time: field(22)?.parse().ok()?,
        exit_code: field(52).and_then(|s| s.parse().ok()).unwrap_or(0),
    })
}

/// Start time of `pid` (clock ticks since boot).
pub fn start_time(pid: i32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_time)
}

/// True if `pid` exists, is not a zombie, and started at `start` (so it is the
/// same process, not a reused pid).
/// Whether our child `pid` has exited (a zombie not yet reaped), without
/// reaping it (`waitid` with `WNOWAIT`).
pub fn has_exited(pid: i32) -> bool {
    // SAFETY: `info` is a valid out-pointer; WNOWAIT leaves the child unreaped.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT);
        r == 0 && info.si_pid() == pid
    }
}

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
pub fn poll_readable(fds: &[i32], timeout_ms: i32) -> Vec<usize> {
    let mut pfds: Vec<libc::pollfd> = fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    // SAFETY: `pfds` is a valid array of `pfds.len()` pollfd structs.
    let n = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    if n <= 0 {
        return Vec::new();
    }
    pfds.iter()
        .enumerate()
        .filter(|(_, p)| p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0)
        .map(|(i, _)| i)
        .collect()
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
    // SAFETY: plain syscall.
    unsafe { libc::kill(pid, sig) == 0 }
}

/// Sends `sig` to every process of group `pgid`.
pub fn kill_group(pgid: i32, sig: i32) -> bool {
    if pgid <= 1 {
        return false;
    }
    // SAFETY: plain syscall; a negative pid addresses the group.
    unsafe { libc::kill(-pgid, sig) == 0 }
}

/// Takes a shared `flock` on `path` (a file or a folder) and keeps it while
/// the returned descriptor lives (close-on-exec: a child that execs does not
/// inherit it). It tells any process, in any pid namespace, that a live run
/// uses `path`: see [`is_held_alive`].
pub fn hold_alive(path: &std::path::Path) -> std::io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a valid NUL-terminated path; plain flags.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us; we own it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: a valid descriptor we own.
    if unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_SH) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

/// True if a process holds a [`hold_alive`] lock on `path` now (an exclusive
/// lock cannot be had). False if `path` cannot be opened.
pub fn is_held_alive(path: &std::path::Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else { return false };
    // SAFETY: a valid descriptor; LOCK_NB never blocks. The lock, if taken,
    // goes with the descriptor at the end of this function.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK)
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
    if libc::WIFSIGNALED(status) {
        -libc::WTERMSIG(status)
    } else if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        // Stopped/continued statuses are not ends; callers do not pass them.
        0
    }
}

/// Becomes the child subreaper: orphaned descendants are re-parented to us.
pub fn set_child_subreaper() -> bool {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
}

/// Sets the calling thread's name as `ps`/`top` show it (15 bytes at most).
pub fn set_process_name(name: &str) {
    let mut n = name.len().min(15);
    while !name.is_char_boundary(n) {
        n -= 1;
    }
    let mut buf = [0u8; 16];
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: `buf` is NUL-terminated and lives through the call.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) };
}

static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn note_signal(sig: libc::c_int) {
    STOP_SIGNAL.store(sig, std::sync::atomic::Ordering::SeqCst);
}

/// Turns SIGINT, SIGTERM and SIGHUP into a flag ([`stop_requested`]) so the
/// program can end its run and restore the terminal instead of dying.
pub fn catch_stop_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installing an async-signal-safe handler (one atomic store).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = note_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
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
            // SAFETY: PR_SET_TIMERSLACK takes a plain integer; it cannot fail harmfully.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong) };
        }
    });
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
    }

    #[test]
    fn own_stat_is_readable() {
        let me = std::process::id() as i32;
        let s = proc_stat(me).unwrap();
        assert!(is_same_live_process(me, s.start_time));
        assert!(!is_same_live_process(me, s.start_time + 1));
    }

    #[test]
    fn exitcodes_follow_python() {
        assert_eq!(exitcode_from_wait_status(3 << 8), 3);
        assert_eq!(exitcode_from_wait_status(libc::SIGTERM), -15);
        assert_eq!(signal_name(9), "SIGKILL");
    }
}
