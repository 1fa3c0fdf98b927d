//! The primitives in one process, on a real segment: several `LaneRuntime`s stand for
//! several lanes. Waiters are queued by hand (a test cannot block), which is
//! enough to check hand-offs, FIFO order and Python's errors; blocking for
//! real is checked end to end in `tests/lessons_sync.rs`.

use std::sync::atomic::Ordering::*;

use super::token;
use crate::codec::RunInfo;
use crate::runtime::sync::value::Num;
use crate::runtime::{LaneRuntime, waitq};
use crate::shm::Segment;
use crate::shm::layout::{Geometry, NONE};
use crate::shm::record::ResKind;

/// Three runtimes (lanes 1, 2, 3) on one fresh segment, already unlinked
/// from /dev/shm (the mapping stays for the test's life).
fn rig() -> Vec<LaneRuntime> {
    let seg = Segment::create(Geometry { lanes: 8, ring_cap: 256, resources: 32, blocks: 64 }).unwrap();
    let name = seg.name().to_string();
    let v = seg.leak();
    crate::shm::unlink(&name);
    let info = RunInfo { lesson: "t".into(), origin: "t".into(), script: String::new(), params: Default::default(), scratch: "/tmp".into(), seed: 1, lang: Default::default(), engine: Default::default(), source_path: String::new(), in_place: None, fork_server: false };
    (1..=3).map(|lane| LaneRuntime::new(v, lane, std::sync::Arc::new(info.clone()), name.clone(), vec![], format!("P{lane}"), false)).collect()
}

/// Queues `lane` on `waiters[0]` of `id` as a blocked acquirer/waiter would be.
fn queue(rt: &LaneRuntime, id: u32, kind: ResKind, lane: u32) {
    let slot = rt.slot(id, kind).unwrap();
    waitq::push(&rt.v, &slot.waiters[0], lane);
}

fn handoff(rt: &LaneRuntime, lane: u32) -> u32 {
    rt.v.lane(lane).unwrap().handoff.load(Acquire)
}

#[test]
fn bounded_semaphore_refuses_over_release_a_plain_one_grows() {
    let rts = rig();
    let b = rts[0].semaphore_new(2, true, 1).unwrap();
    assert_eq!(rts[0].semaphore_release(b, 2).unwrap_err().to_string(), "ValueError: semaphore or lock released too many times");
    assert!(rts[0].semaphore_acquire(b, true, None, 3).unwrap());
    rts[1].semaphore_release(b, 4).unwrap();
    assert_eq!(rts[0].semaphore_value(b, 5).unwrap(), 2);
    let s = rts[0].semaphore_new(1, false, 6).unwrap();
    rts[0].semaphore_release(s, 7).unwrap();
    assert_eq!(rts[0].semaphore_value(s, 8).unwrap(), 2);
    assert_eq!(rts[0].semaphore_new(-1, false, 9).unwrap_err().to_string(), "OSError: [Errno 22] Invalid argument");
}

#[test]
fn semaphore_release_hands_the_unit_to_the_first_waiter() {
    let rts = rig();
    let s = rts[0].semaphore_new(1, false, 1).unwrap();
    assert!(rts[0].semaphore_acquire(s, true, None, 2).unwrap());
    assert!(!rts[1].semaphore_acquire(s, false, None, 3).unwrap(), "acquire(false) never waits");
    assert!(!rts[1].semaphore_acquire(s, true, Some(0.0), 3).unwrap(), "nor does a zero timeout");
    queue(&rts[0], s, ResKind::Semaphore, 3);
    queue(&rts[0], s, ResKind::Semaphore, 2);
    rts[0].semaphore_release(s, 4).unwrap();
    assert_eq!(handoff(&rts[0], 3), token(s), "first come, first served");
    assert_eq!(handoff(&rts[0], 2), 0);
    assert_eq!(rts[0].semaphore_value(s, 5).unwrap(), 0, "the unit went straight to the waiter");
    let slot = rts[0].slot(s, ResKind::Semaphore).unwrap();
    assert_eq!(waitq::lanes(&rts[0].v, &slot.waiters[0]), vec![2]);
}

#[test]
fn rlock_is_reentrant_and_only_its_owner_releases_it() {
    let rts = rig();
    let r = rts[0].rlock_new(1).unwrap();
    assert!(rts[0].rlock_acquire(r, true, None, 2).unwrap());
    assert!(rts[0].rlock_acquire(r, true, None, 3).unwrap());
    let slot = rts[0].slot(r, ResKind::RLock).unwrap();
    assert_eq!((slot.owner.load(Relaxed), slot.count.load(Relaxed)), (1, 2));
    assert!(!rts[1].rlock_acquire(r, false, None, 4).unwrap());
    assert_eq!(rts[1].rlock_release(r, 5).unwrap_err().to_string(), "AssertionError: attempt to release recursive lock not owned by thread");
    queue(&rts[0], r, ResKind::RLock, 2);
    rts[0].rlock_release(r, 6).unwrap();
    assert_eq!((slot.owner.load(Relaxed), slot.count.load(Relaxed), handoff(&rts[0], 2)), (1, 1, 0), "one level left: still ours");
    rts[0].rlock_release(r, 7).unwrap();
    assert_eq!((slot.owner.load(Relaxed), slot.count.load(Relaxed), handoff(&rts[0], 2)), (2, 1, token(r)), "handed to the waiter at depth 1");
    assert!(rts[1].holds_lock(r));
    assert_eq!(rts[0].rlock_release(r, 8).unwrap_err().to_string(), "AssertionError: attempt to release recursive lock not owned by thread");
}

#[test]
fn event_set_hands_every_waiter_the_token() {
    let rts = rig();
    let e = rts[0].event_new(1).unwrap();
    assert!(!rts[0].event_is_set(e, 2).unwrap());
    assert!(!rts[0].event_wait(e, Some(0.0), 3).unwrap());
    queue(&rts[0], e, ResKind::Event, 2);
    queue(&rts[0], e, ResKind::Event, 3);
    rts[0].event_set(e, 4).unwrap();
    assert_eq!((handoff(&rts[0], 2), handoff(&rts[0], 3)), (token(e), token(e)));
    assert!(rts[0].event_wait(e, None, 5).unwrap(), "set: wait returns at once");
    rts[0].event_clear(e, 6).unwrap();
    assert!(!rts[0].event_is_set(e, 7).unwrap());
}

#[test]
fn a_named_condition_keeps_its_name_not_its_own_rlock() {
    let rts = rig();
    // `cond = Condition()`: the name is the condition's; its RLock gets a default one.
    let (c, _, lock) = rts[0].named(Some("cond"), || rts[0].condition_new(None, 1)).unwrap();
    assert_eq!(rts[0].slot(c, ResKind::Condition).unwrap().name.get(), "cond");
    assert_ne!(rts[0].slot(lock, ResKind::RLock).unwrap().name.get(), "cond");
}

#[test]
fn condition_needs_its_lock_and_notify_wakes_the_first_n() {
    let rts = rig();
    let (c, kind, lock) = rts[0].condition_new(None, 1).unwrap();
    assert_eq!(kind, ResKind::RLock, "Condition() makes its own RLock, as Python does");
    assert_eq!(rts[0].condition_wait(c, None, 2).unwrap_err().to_string(), "AssertionError: must acquire() condition before using wait()");
    assert_eq!(rts[0].condition_notify(c, Some(1), 3).unwrap_err().to_string(), "AssertionError: lock is not owned");
    assert!(rts[0].rlock_acquire(lock, true, None, 4).unwrap());
    for lane in [2, 3] {
        queue(&rts[0], c, ResKind::Condition, lane);
    }
    assert_eq!(rts[0].condition_notify(c, Some(1), 5).unwrap(), 1);
    assert_eq!((handoff(&rts[0], 2), handoff(&rts[0], 3)), (token(c), 0));
    assert_eq!(rts[0].condition_notify(c, None, 6).unwrap(), 1, "notify_all wakes the rest");
    assert_eq!(handoff(&rts[0], 3), token(c));
    // A zero-timeout wait lets go of the lock and takes it back.
    assert!(!rts[0].condition_wait(c, Some(0.0), 7).unwrap());
    assert!(rts[0].holds_lock(lock));
    let l = rts[0].lock_new(None, 8).unwrap();
    assert_eq!(rts[0].condition_new(Some((ResKind::Lock, l)), 9).unwrap().1, ResKind::Lock);
    assert!(rts[0].condition_new(Some((ResKind::Event, l)), 9).is_err());
}

#[test]
fn barrier_last_party_lets_everyone_go_and_a_broken_one_refuses() {
    let rts = rig();
    let b = rts[0].barrier_new(3, 1).unwrap();
    let slot = rts[0].slot(b, ResKind::Barrier).unwrap();
    // Two parties are already waiting.
    slot.count.store(2, Relaxed);
    queue(&rts[0], b, ResKind::Barrier, 2);
    queue(&rts[0], b, ResKind::Barrier, 3);
    assert_eq!(rts[0].barrier_wait(b, None, false, 2).unwrap(), 2, "the last one gets index parties - 1");
    assert_eq!((handoff(&rts[0], 2), handoff(&rts[0], 3)), (token(b), token(b)));
    assert_eq!(slot.count.load(Relaxed), 0, "ready for the next round");
    rts[0].barrier_reset(b, true, 3).unwrap();
    assert_eq!(rts[0].barrier_info(b).unwrap(), (3, true));
    assert_eq!(rts[0].barrier_wait(b, None, false, 4).unwrap_err().to_string(), "BrokenBarrierError");
    rts[0].barrier_reset(b, false, 5).unwrap();
    assert_eq!(rts[0].barrier_info(b).unwrap(), (3, false));
    assert!(rts[0].barrier_new(0, 6).is_err());
    let one = rts[0].barrier_new(1, 7).unwrap();
    assert_eq!(rts[0].barrier_wait(one, None, false, 8).unwrap(), 0);
}

#[test]
fn values_and_arrays_live_in_shared_memory_with_their_lock() {
    let rts = rig();
    let (v, lock) = rts[0].value_new(Num::Int(5), false, 1).unwrap();
    assert_eq!(rts[1].shared_lock(v).unwrap(), lock);
    assert_eq!(rts[0].v.resource(lock).unwrap().name.get(), "Value-1 lock");
    rts[1].value_store(v, Num::Int(6), 2).unwrap();
    assert_eq!(rts[0].value_load(v, 3).unwrap(), Num::Int(6), "another lane's write is seen");
    assert_eq!(rts[0].value_store(v, Num::Float(1.5), 4).unwrap_err().to_string(), "TypeError: 'float' object cannot be interpreted as an integer");
    let (f, _) = rts[0].value_new(Num::Int(1), true, 5).unwrap();
    assert_eq!(rts[0].value_load(f, 6).unwrap(), Num::Float(1.0));

    let (a, _) = rts[0].array_new(&[Num::Int(0); 3], false, 7).unwrap();
    assert_eq!(rts[0].array_len(a).unwrap(), 3);
    rts[1].array_store(a, -1, Num::Int(9), 8).unwrap();
    rts[0].array_store(a, 0, Num::Int(4), 9).unwrap();
    assert_eq!(rts[1].array_all(a, 10).unwrap(), vec![Num::Int(4), Num::Int(0), Num::Int(9)]);
    assert_eq!(rts[0].array_load(a, 2, 11).unwrap(), Num::Int(9));
    assert_eq!(rts[0].array_load(a, 3, 12).unwrap_err().to_string(), "IndexError: invalid index");
    assert_eq!(rts[0].array_load(a, -4, 12).unwrap_err().to_string(), "IndexError: invalid index");
    // Rewriting the array returns its old blocks: no leak over many writes.
    let used = rts[0].v.control().blocks_used.load(Relaxed);
    for i in 0..200 {
        rts[0].array_store(a, 1, Num::Int(i), 13).unwrap();
    }
    assert_eq!(rts[0].v.control().blocks_used.load(Relaxed), used);
    let slot = rts[0].slot(a, ResKind::Array).unwrap();
    assert_ne!(slot.aux[2].load(Relaxed) as u32, NONE);
}
