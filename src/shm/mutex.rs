//! The short internal mutex that guards each resource slot's fields.
//!
//! It is held only for the few stores of one op (never while a process blocks
//! on the lesson's Lock itself). The word holds `lane + 1` of the holder, so the
//! conductor can release it if the holder dies inside (see
//! [`force_unlock_if_held_by`]), and the `CONTENDED` bit tells the unlocker to
//! wake a waiter (Drepper's "mutex 2"). Waits are capped at 10 ms and retried, so
//! even a lost wake-up only costs time.

use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Duration;

use super::futex;

pub const CONTENDED: u32 = 1 << 31;

/// Locks `word` for `lane`.
pub fn lock(word: &AtomicU32, lane: u32) {
    let me = lane + 1;
    for _ in 0..64 {
        if word.compare_exchange_weak(0, me, Acquire, Relaxed).is_ok() {
            return;
        }
        std::hint::spin_loop();
    }
    loop {
        let cur = word.load(Relaxed);
        if cur == 0 {
            if word.compare_exchange(0, me | CONTENDED, Acquire, Relaxed).is_ok() {
                return;
            }
            continue;
        }
        if cur & CONTENDED == 0 && word.compare_exchange(cur, cur | CONTENDED, Relaxed, Relaxed).is_err() {
            continue;
        }
        futex::wait(word, cur | CONTENDED, Some(Duration::from_millis(10)));
    }
}

/// Tries once.
pub fn try_lock(word: &AtomicU32, lane: u32) -> bool {
    word.compare_exchange(0, lane + 1, Acquire, Relaxed).is_ok()
}

/// Unlocks `word` (held by the caller).
pub fn unlock(word: &AtomicU32) {
    if word.swap(0, Release) & CONTENDED != 0 {
        futex::wake(word, 1);
    }
}

/// Lane holding `word`, if any.
pub fn holder(word: &AtomicU32) -> Option<u32> {
    match word.load(Relaxed) & !CONTENDED {
        0 => None,
        v => Some(v - 1),
    }
}

/// Conductor: frees `word` if the dead `lane` held it. Returns whether it did.
pub fn force_unlock_if_held_by(word: &AtomicU32, lane: u32) -> bool {
    let cur = word.load(Relaxed);
    if cur & !CONTENDED == lane + 1 && word.compare_exchange(cur, 0, Release, Relaxed).is_ok() {
        futex::wake_all(word);
        return true;
    }
    false
}

/// Holds a resource mutex until dropped.
#[derive(Debug)]
pub struct Guard<'a> {
    word: &'a AtomicU32,
}

impl<'a> Guard<'a> {
    pub fn new(word: &'a AtomicU32, lane: u32) -> Guard<'a> {
        lock(word, lane);
        Guard { word }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        unlock(self.word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn excludes_and_counts_right_under_contention() {
        let word = Arc::new(AtomicU32::new(0));
        let counter = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (word, counter) = (word.clone(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        let _g = Guard::new(&word, t);
                        // A non-atomic read-modify-write: loses updates without the mutex.
                        let v = counter.load(Relaxed);
                        std::hint::spin_loop();
                        counter.store(v + 1, Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.load(Relaxed), 80_000);
        assert_eq!(holder(&word), None);
    }

    #[test]
    fn force_unlock_only_for_the_holder() {
        let word = AtomicU32::new(0);
        lock(&word, 5);
        assert_eq!(holder(&word), Some(5));
        assert!(!force_unlock_if_held_by(&word, 4));
        assert!(force_unlock_if_held_by(&word, 5));
        assert!(try_lock(&word, 4));
    }
}
