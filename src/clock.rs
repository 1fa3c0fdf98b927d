//! The run's clock: `CLOCK_MONOTONIC` nanoseconds, cheap enough to stamp every
//! record.
//!
//! Every record and every status change carries a timestamp, so the clock is
//! the largest single cost of an op: `clock_gettime` through the vDSO takes
//! 20–35 ns on the machines this was measured on, more than the rest of a
//! record write. On x86-64, when the kernel itself keeps time with the TSC
//! (`current_clocksource` is `tsc`: the kernel has checked that the counter is
//! invariant and synchronised across CPUs), this reads the TSC (`rdtsc`, about
//! 10 ns) and interpolates between anchors taken with the real clock:
//!
//! - Each thread keeps its own anchors (no sharing, no atomics).
//! - The first millisecond of a thread reads the real clock every time; after
//!   that the ticks-to-nanoseconds factor is measured over everything seen
//!   since the thread's first anchor (so it gets more precise as time goes).
//! - It re-anchors to the real clock whenever the last anchor is more than
//!   [`REANCHOR_NS`] old, or the counter went backwards: the error against
//!   `CLOCK_MONOTONIC` stays within a microsecond or so, and never accumulates.
//! - Readings of one thread never go backwards (a re-anchor that lands a few
//!   nanoseconds behind the interpolation is clamped).
//!
//! Elsewhere (other CPUs, another clock source), it is `clock_gettime`.
//! Timestamps are for display: the order of records is their sequence number.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// How old an anchor may get before the real clock is read again.
pub const REANCHOR_NS: u64 = 2_000_000;
/// How long a thread reads the real clock before trusting its measured rate.
const LEARN_NS: u64 = 1_000_000;

/// `CLOCK_MONOTONIC` through `clock_gettime` (the vDSO): exact, slower.
#[inline]
pub fn exact_ns() -> u64 {
    // CLOCK_MONOTONIC cannot fail on Linux.
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap_or(nix::sys::time::TimeSpec::new(0, 0));
    ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64
}

/// 0 = not checked yet, 1 = TSC usable, 2 = not usable.
static TSC_OK: AtomicU8 = AtomicU8::new(0);

/// Whether the kernel keeps time with the TSC (checked once per process).
pub fn tsc_usable() -> bool {
    match TSC_OK.load(Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let ok = cfg!(target_arch = "x86_64")
                && std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource").is_ok_and(|s| s.trim() == "tsc")
                && std::env::var_os("FORKSCOPE_EXACT_CLOCK").is_none();
            TSC_OK.store(if ok { 1 } else { 2 }, Relaxed);
            ok
        }
    }
}

#[derive(Clone, Copy)]
struct Anchors {
    /// First anchor of the thread (the rate is measured from it).
    first_tsc: u64,
    first_ns: u64,
    /// Latest anchor.
    base_tsc: u64,
    base_ns: u64,
    /// Nanoseconds per tick, as a 32.32 fixed-point number (0 = not known yet).
    mult: u64,
    /// Ticks after `base_tsc` that the anchor stays good for.
    limit: u64,
}

thread_local! {
    static ANCHORS: Cell<Anchors> = const { Cell::new(Anchors { first_tsc: 0, first_ns: 0, base_tsc: 0, base_ns: 0, mult: 0, limit: 0 }) };
    static LAST: Cell<u64> = const { Cell::new(0) };
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn ticks() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and has no preconditions.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn ticks() -> u64 {
    0
}

/// `CLOCK_MONOTONIC` nanoseconds (see the module docs).
#[inline]
pub fn monotonic_ns() -> u64 {
    if TSC_OK.load(Relaxed) != 1 && !tsc_usable() {
        return exact_ns();
    }
    let tsc = ticks();
    let a = ANCHORS.with(Cell::get);
    let dt = tsc.wrapping_sub(a.base_tsc);
    let t = if dt < a.limit { a.base_ns + ((dt as u128 * a.mult as u128) >> 32) as u64 } else { reanchor() };
    LAST.with(|last| {
        let t = t.max(last.get());
        last.set(t);
        t
    })
}

#[cold]
fn reanchor() -> u64 {
    // Bracket the real clock between two counter reads: the anchor is the
    // middle. A thread preempted inside the bracket would make it wide and
    // the anchor off by up to half of it (milliseconds, under load, and the
    // rate learned from it wrong): the narrowest of a few brackets is kept.
    let (mut tsc, mut ns, mut width) = (0, 0, u64::MAX);
    for _ in 0..4 {
        let t1 = ticks();
        let n = exact_ns();
        let w = ticks().wrapping_sub(t1);
        if w < width {
            (tsc, ns, width) = (t1 + w / 2, n, w);
        }
    }
    ANCHORS.with(|cell| {
        let mut a = cell.get();
        if a.first_ns == 0 || tsc <= a.first_tsc || ns <= a.first_ns {
            a = Anchors { first_tsc: tsc, first_ns: ns, base_tsc: tsc, base_ns: ns, mult: 0, limit: 0 };
        } else {
            let (span_ns, span_tsc) = (ns - a.first_ns, tsc - a.first_tsc);
            a.base_tsc = tsc;
            a.base_ns = ns;
            if span_ns >= LEARN_NS {
                a.mult = (((span_ns as u128) << 32) / span_tsc as u128).min(u64::MAX as u128) as u64;
                a.limit = if a.mult == 0 { 0 } else { (((REANCHOR_NS as u128) << 32) / a.mult as u128).min(u64::MAX as u128) as u64 };
            }
        }
        cell.set(a);
    });
    ns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_real_clock_closely_and_never_goes_back() {
        let mut prev = monotonic_ns();
        let t0 = exact_ns();
        let mut worst = 0u64;
        // Long enough to learn the rate and re-anchor many times.
        while exact_ns() - t0 < 30_000_000 {
            let before = exact_ns();
            let fast = monotonic_ns();
            let after = exact_ns();
            assert!(fast >= prev, "went back: {prev} then {fast}");
            prev = fast;
            // How far outside the real clock's bracket the reading falls.
            let off = before.saturating_sub(fast).max(fast.saturating_sub(after));
            worst = worst.max(off);
        }
        println!("worst distance from clock_gettime: {worst} ns");
        // A wrong rate would be off by milliseconds within the 30 ms.
        assert!(worst < 100_000, "worst distance {worst} ns");
    }
}
