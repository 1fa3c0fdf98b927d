//! Cross-process futex wait and wake on a `u32` word in shared memory.
//!
//! These are the *shared* futex operations (no `FUTEX_PRIVATE_FLAG`): the kernel
//! keys the wait queue on the physical page, so a process that maps the segment
//! at another address still meets the waiter. Every wait has the usual futex
//! contract: it returns at once if the word no longer holds `expected`, and it may
//! return spuriously, so callers always re-check their condition in a loop.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// Waits while `word == expected`, at most `timeout` (forever when `None`).
/// Returns whether a signal handler interrupted the wait (`EINTR`).
pub fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a valid, aligned u32 for the duration of the call; the
    // kernel only reads it. A null timeout means "no timeout".
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            ts_ptr,
            std::ptr::null::<u32>(),
            0u32,
        )
    };
    r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
}

/// Wakes up to `n` waiters on `word`.
pub fn wake(word: &AtomicU32, n: u32) {
    // SAFETY: `word` is a valid, aligned u32; FUTEX_WAKE does not dereference
    // the other arguments.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            n.min(i32::MAX as u32),
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// Wakes every waiter on `word`.
pub fn wake_all(word: &AtomicU32) {
    wake(word, i32::MAX as u32);
}
