//! FIFO queues of waiting lanes, linked through `Lane::wait_next`, kept in a
//! resource slot. Callers hold the resource's mutex.
//!
//! Waiters are served first come, first served, and a releasing process hands
//! the resource straight to the first waiter (setting its `handoff` word):
//! so the same schedule always gives the same owner. Lanes whose process has
//! ended are skipped when popping. Every walk is bounded by the lane count, so
//! a corrupt link cannot loop forever.

use std::sync::atomic::Ordering::*;

use crate::shm::View;
use crate::shm::layout::{NONE, WaitQueue};

/// Appends `lane` to `q`.
pub fn push(v: &View<'_>, q: &WaitQueue, lane: u32) {
    let Some(me) = v.lane(lane) else { return };
    me.wait_next.store(NONE, Relaxed);
    let tail = q.tail.load(Relaxed);
    match v.lane(tail) {
        Some(t) if tail != NONE => t.wait_next.store(lane, Relaxed),
        _ => q.head.store(lane, Relaxed),
    }
    q.tail.store(lane, Relaxed);
    q.len.fetch_add(1, Relaxed);
}

/// Removes and returns the first waiter whose process is still alive.
pub fn pop(v: &View<'_>, q: &WaitQueue) -> Option<u32> {
    for _ in 0..v.geometry().lanes {
        let head = q.head.load(Relaxed);
        let lane = v.lane(head)?;
        let next = lane.wait_next.load(Relaxed);
        q.head.store(next, Relaxed);
        if next == NONE {
            q.tail.store(NONE, Relaxed);
        }
        q.len.store(q.len.load(Relaxed).saturating_sub(1), Relaxed);
        lane.wait_next.store(NONE, Relaxed);
        if lane.ended.load(Acquire) == 0 {
            return Some(head);
        }
    }
    None
}

/// Removes `lane` from `q` (after its wait timed out). Returns whether it was there.
pub fn remove(v: &View<'_>, q: &WaitQueue, lane: u32) -> bool {
    let mut prev = NONE;
    let mut cur = q.head.load(Relaxed);
    for _ in 0..v.geometry().lanes {
        let Some(l) = v.lane(cur) else { return false };
        let next = l.wait_next.load(Relaxed);
        if cur == lane {
            match v.lane(prev) {
                Some(p) if prev != NONE => p.wait_next.store(next, Relaxed),
                _ => q.head.store(next, Relaxed),
            }
            if q.tail.load(Relaxed) == lane {
                q.tail.store(prev, Relaxed);
            }
            q.len.store(q.len.load(Relaxed).saturating_sub(1), Relaxed);
            l.wait_next.store(NONE, Relaxed);
            return true;
        }
        prev = cur;
        cur = next;
    }
    false
}

/// The waiting lanes in order (for display and checks).
pub fn lanes(v: &View<'_>, q: &WaitQueue) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cur = q.head.load(Relaxed);
    for _ in 0..v.geometry().lanes {
        let Some(l) = v.lane(cur) else { break };
        out.push(cur);
        cur = l.wait_next.load(Relaxed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::Segment;
    use crate::shm::layout::Geometry;

    #[test]
    fn fifo_order_remove_and_skip_ended() {
        let seg = Segment::create(Geometry { lanes: 8, ring_cap: 8, resources: 2, blocks: 8 }).unwrap();
        let v = seg.view();
        let r = v.resource(0).unwrap();
        let q = &r.waiters[0];
        q.head.store(NONE, Relaxed);
        q.tail.store(NONE, Relaxed);
        for l in [3, 5, 2, 6] {
            push(&v, q, l);
        }
        assert_eq!(lanes(&v, q), vec![3, 5, 2, 6]);
        assert!(remove(&v, q, 2));
        assert!(!remove(&v, q, 7));
        assert_eq!(lanes(&v, q), vec![3, 5, 6]);
        v.lane(3).unwrap().ended.store(1, Relaxed);
        assert_eq!(pop(&v, q), Some(5));
        assert!(remove(&v, q, 6));
        assert_eq!(q.len.load(Relaxed), 0);
        assert_eq!(pop(&v, q), None);
        push(&v, q, 4);
        assert_eq!(lanes(&v, q), vec![4]);
    }
}
