//! Model updates for the synchronisation primitives other than Lock: RLock,
//! Semaphore, BoundedSemaphore, Event, Condition, Barrier, Value, Array, and
//! a manager's objects (their reads and writes, as the manager serves them).
//! (Fields per kind: see [`super::ResourceState`]; the records each op
//! writes: see the `//!` header of its file in `runtime::sync`.)
//!
//! [`Model::apply`] handles what every kind shares (waiters from `Block`,
//! `Wake` and `Timeout` records; owner and holds of lock-like kinds) and then
//! calls [`apply`] for each completed op on one of these kinds, and
//! [`after_record`] after every record that touched a resource, to keep the
//! derived fields (a Value's lock holder, a Barrier's waiting count) in step.

use super::{ACCESS_CAP, Model, Place, ResOp, ValueAccess};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// Applies a completed op on resource `id`.
pub fn apply(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(kind) = model.resources.get(&id).map(|r| r.kind) else { return };
    match kind {
        ResKind::RLock => rlock(model, id, op),
        ResKind::Semaphore | ResKind::BoundedSemaphore => semaphore(model, id, op),
        ResKind::Event => event(model, id, op),
        ResKind::Condition => condition(model, id, op),
        ResKind::Barrier => barrier(model, id, op),
        ResKind::Value | ResKind::Array => shared(model, id, op),
        ResKind::Managed => managed(model, id, op),
        _ => {}
    }
}

fn rlock(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    match op.op {
        Op::Acquire if op.succeeded() => {
            if let Some(rs) = model.resources.get_mut(&id) {
                rs.count = op.count_after();
            }
        }
        Op::Release => {
            if let Some(rs) = model.resources.get_mut(&id) {
                rs.count = op.count_after();
                // Released one level of several: still the owner's.
                if op.other.is_none() && op.count_after() > 0 {
                    rs.owner = Some(op.lane);
                }
            }
            if op.other.is_none()
                && op.count_after() > 0
                && let Some(p) = model.processes.get_mut(&op.lane)
            {
                p.holds.insert(id);
            }
        }
        _ => {}
    }
}

fn semaphore(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(rs) = model.resources.get_mut(&id) else { return };
    if rs.capacity == 0 && matches!(op.op, Op::Acquire | Op::Release) {
        // Made with no units: a signal (a pool's `_signal`, a program's
        // "done" semaphore). Its units are made by `release` and used up by
        // `acquire`; who takes one holds nothing to give back, so ending
        // after it is no finding and waiting on it names no holder.
        rs.value = op.count_after();
        for lane in [Some(op.lane), op.other].into_iter().flatten() {
            if let Some(p) = model.processes.get_mut(&lane) {
                p.holds.remove(&id);
            }
        }
        return;
    }
    let still_holds = match op.op {
        Op::Acquire => {
            rs.value = op.count_after();
            // c = 1: handed over by a release, whose record already added it.
            if op.succeeded() && !op.was_handed() {
                rs.holders.push(op.lane);
            }
            return;
        }
        Op::Release => {
            rs.value = op.count_after();
            if let Some(i) = rs.holders.iter().position(|h| *h == op.lane) {
                rs.holders.remove(i);
            }
            if let Some(o) = op.other {
                rs.holders.push(o);
            }
            rs.holders.contains(&op.lane)
        }
        Op::Load => {
            rs.value = op.count_after();
            return;
        }
        _ => return,
    };
    // The generic release dropped the releaser's hold; it may hold another unit.
    if still_holds && let Some(p) = model.processes.get_mut(&op.lane) {
        p.holds.insert(id);
    }
}

fn event(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(rs) = model.resources.get_mut(&id) else { return };
    match op.op {
        Op::Set => rs.value = 1,
        Op::Clear => rs.value = 0,
        Op::IsSet => rs.value = op.flag(),
        _ => {}
    }
}

fn condition(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(rs) = model.resources.get_mut(&id) else { return };
    match op.op {
        // Notified processes leave `wait` and re-acquire the lock (waiters2)
        // until their `wait` returns. The `Wake` records follow this one.
        Op::Notify => {
            if let Some(o) = op.other {
                rs.waiters.retain(|w| *w != o);
                if !rs.waiters2.contains(&o) {
                    rs.waiters2.push(o);
                }
            }
        }
        Op::NotifyAll => {
            let all: Vec<Lane> = rs.waiters.drain(..).collect();
            for w in all {
                if !rs.waiters2.contains(&w) {
                    rs.waiters2.push(w);
                }
            }
        }
        Op::Wait => {
            rs.waiters.retain(|w| *w != op.lane);
            rs.waiters2.retain(|w| *w != op.lane);
        }
        _ => {}
    }
}

fn barrier(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(rs) = model.resources.get_mut(&id) else { return };
    match op.op {
        Op::Wait if !op.succeeded() => rs.count = 1,
        Op::Set => rs.count = op.flag(),
        _ => {}
    }
}

/// A shared number as its records carry it: an integer, or an `f64`'s bits.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn from_bits(bits: i64, float: bool) -> Num {
        if float { Num::Float(f64::from_bits(bits as u64)) } else { Num::Int(bits) }
    }
}

/// Python's way of showing a number: `3`, `1.5`, `3.0`.
fn show_num(n: Num) -> String {
    match n {
        Num::Int(i) => i.to_string(),
        Num::Float(f) => format!("{f:?}"),
    }
}

fn shared(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    let Some(rs) = model.resources.get_mut(&id) else { return };
    if !matches!(op.op, Op::Load | Op::Store) {
        return;
    }
    let float = op.is_float();
    let n = Num::from_bits(op.bits(), float);
    // Creation: the lock and every first value.
    if let Some(d) = op.detail.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) {
        if let Some(lock) = d["lock"].as_u64() {
            rs.count = lock as i64;
        }
        if let Some(vals) = d["values"].as_array() {
            rs.items = vals.iter().map(|v| if float { v.as_f64().map(|f| show_num(Num::Float(f))).unwrap_or_default() } else { v.to_string() }).collect();
        }
    }
    // A read or a write (not the creation, which carries the detail): in
    // the log, and in the resource's recent history.
    let place = match (rs.kind, op.index()) {
        (ResKind::Value, _) => Some(Place::Value),
        (ResKind::Array, i) if i >= 0 => Some(Place::Index(i)),
        _ => None,
    };
    let access = place.filter(|_| op.detail.is_none()).map(|place| ValueAccess { lane: op.lane, write: op.op == Op::Store, place, value: show_num(n), step: model.steps, t_ns: model.now_ns });
    let Some(rs) = model.resources.get_mut(&id) else { return };
    if let Some(a) = &access {
        keep_access(rs, a);
    }
    match (rs.kind, op.index()) {
        (ResKind::Value, _) => {
            rs.value = if float { 0 } else { op.bits() };
            rs.text = show_num(n);
        }
        (ResKind::Array, i) if i >= 0 => {
            let i = i as usize;
            if rs.items.len() <= i && i < rs.capacity.max(0) as usize {
                rs.items.resize(i + 1, String::new());
            }
            if let Some(slot) = rs.items.get_mut(i) {
                *slot = show_num(n);
            }
            rs.text = format!("[{}]", rs.items.join(", "));
        }
        (ResKind::Array, _) => rs.text = format!("[{}]", rs.items.join(", ")),
        _ => {}
    }
    if let Some(a) = access {
        model.shared_access(id, a);
    }
}

/// Keeps `a` in `rs`'s recent accesses (the oldest goes past [`ACCESS_CAP`]).
fn keep_access(rs: &mut super::ResourceState, a: &ValueAccess) {
    if rs.accesses.len() >= ACCESS_CAP {
        rs.accesses.remove(0);
    }
    rs.accesses.push(a.clone());
}

/// A manager's object (see `runtime::sync::managed`): its creation gives its
/// type and first repr; an access, written by the manager as it served a
/// request, is the asker's read or write, in the log and the history.
fn managed(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    if !matches!(op.op, Op::Load | Op::Store) {
        return;
    }
    let Some(d) = op.detail.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else { return };
    let text = |k: &str| d[k].as_str().map(str::to_string);
    let Some(rs) = model.resources.get_mut(&id) else { return };
    if let Some(now) = text("now") {
        rs.text = now;
    }
    if let Some(t) = text("type") {
        rs.items = vec![t];
    }
    let place = match (text("at"), text("call")) {
        (Some(at), _) => Place::At(at),
        (None, Some(call)) => Place::Call(call),
        // The creation.
        (None, None) => return,
    };
    let asker = op.other.unwrap_or(op.lane);
    let access = ValueAccess { lane: asker, write: op.op == Op::Store, place, value: text("value").unwrap_or_default(), step: model.steps, t_ns: model.now_ns };
    keep_access(rs, &access);
    model.shared_access(id, access);
}

/// After a record that touched resource `res` (or a process's end, `None`):
/// copies each lock's holder (and, for Value/Array, its waiters) onto the
/// Condition, Value and Array that use it; counts a Barrier's waiting
/// parties; forgets ended processes in a Condition's second queue.
pub fn after_record(model: &mut Model, res: Option<ResId>, ended: Option<Lane>) {
    if let Some(lane) = ended {
        for rs in model.resources.values_mut().filter(|r| r.kind == ResKind::Condition) {
            rs.waiters2.retain(|w| *w != lane);
        }
    }
    if let Some(rs) = res.and_then(|r| model.resources.get_mut(&r))
        && rs.kind == ResKind::Barrier
    {
        rs.value = rs.waiters.len() as i64;
    }
    let lock_changed = match res {
        Some(r) => model.resources.get(&r).is_some_and(|rs| matches!(rs.kind, ResKind::Lock | ResKind::RLock)),
        None => ended.is_some(),
    };
    if !lock_changed {
        return;
    }
    let links: Vec<(ResId, ResId, bool)> = model
        .resources
        .values()
        .filter_map(|rs| match rs.kind {
            ResKind::Condition => Some((rs.id, ResId(rs.capacity as u32), false)),
            // `count` is set (non-zero) once the creation record named the lock.
            ResKind::Value | ResKind::Array if rs.count > 0 => Some((rs.id, ResId(rs.count as u32), true)),
            _ => None,
        })
        .filter(|(_, lock, _)| res.is_none_or(|r| r == *lock))
        .collect();
    for (id, lock, with_waiters) in links {
        let Some((owner, waiters)) = model.resources.get(&lock).map(|l| (l.owner, l.waiters.clone())) else { continue };
        if let Some(rs) = model.resources.get_mut(&id) {
            rs.owner = owner;
            if with_waiters {
                rs.waiters = waiters;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PState, RecordKind};

    use crate::model::feed::Feed;

    /// `names` in lanes 1… (the first started by forkscope, the rest by it).
    fn feed(names: &[&str]) -> Feed {
        let mut f = Feed::new();
        for (i, n) in names.iter().enumerate() {
            let lane = i as u32 + 1;
            f.spawn(if lane == 1 { 0 } else { 1 }, lane, n);
        }
        f
    }

    /// A Lock released by a process that does not hold it (Python allows
    /// it): the model finds that from the records, as kinds and ids (the
    /// runtime used to send an English sentence), said in either language.
    #[test]
    fn a_lock_released_by_another_process_is_a_misuse_in_either_language() {
        use crate::model::Said;
        use crate::words::{self, Lang};
        let mut f = feed(&["MainProcess", "a", "b"]);
        f.res(1, 0, ResKind::Lock, "fork", 1);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 0, 0), None).op_at(3, 1, Op::Release, 0, None, (1, 0, 0), None);
        let found = &f.m.findings[0];
        assert_eq!((found.kind.as_str(), &found.said), ("misuse", &Said::ReleasedOthers { lane: Lane(3), res: ResId(0), holder: Lane(2) }));
        assert_eq!(words::finding(&f.m, found, Lang::En), "b released fork, which a holds");
        assert_eq!(words::finding(&f.m, found, Lang::Zh), "b 释放了 a 持有的 fork");
        assert_eq!(f.m.resources[&ResId(0)].owner, None);
        assert!(!f.m.processes[&Lane(2)].holds.contains(&ResId(0)));
        // The holder releasing its own lock is no misuse.
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 0, 0), None).op_at(2, 1, Op::Release, 0, None, (1, 0, 0), None);
        assert_eq!(f.m.findings.len(), 1);
    }

    #[test]
    fn rlock_depth_keeps_its_owner_until_the_last_release() {
        let mut f = feed(&["MainProcess", "a", "b"]);
        f.res(1, 0, ResKind::RLock, "RLock-1", 1);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(2, 1, Op::Acquire, 0, None, (1, 2, 0), None).block_at(3, 1, Op::Acquire, 0, Some(2));
        f.op_at(2, 1, Op::Release, 0, None, (1, 0, 0), None);
        let r = &f.m.resources[&ResId(0)];
        assert_eq!((r.owner, r.value, r.count), (Some(Lane(2)), 1, 1));
        assert!(f.m.processes[&Lane(2)].holds.contains(&ResId(0)));
        f.op_at(2, 1, Op::Release, 0, Some(3), (1, 0, 0), None).wake(2, Op::Acquire, 0, 3);
        let r = &f.m.resources[&ResId(0)];
        assert_eq!(r.owner, Some(Lane(3)));
        assert!(r.waiters.is_empty());
        assert!(!f.m.processes[&Lane(2)].holds.contains(&ResId(0)));
        assert!(f.m.processes[&Lane(3)].holds.contains(&ResId(0)));
    }

    #[test]
    fn two_rlocks_in_opposite_order_are_a_cycle() {
        let mut f = feed(&["MainProcess", "a", "b"]);
        f.res(1, 0, ResKind::RLock, "RLock-1", 1).res(1, 1, ResKind::RLock, "RLock-2", 1);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(2, 1, Op::Acquire, 0, None, (1, 2, 0), None).op_at(3, 1, Op::Acquire, 1, None, (1, 1, 0), None);
        // a let go of one level of RLock-1: still its owner.
        f.op_at(2, 1, Op::Release, 0, None, (1, 0, 0), None);
        f.block_at(2, 1, Op::Acquire, 1, Some(3)).block_at(3, 1, Op::Acquire, 0, Some(2));
        let d = f.m.deadlock().expect("a cycle");
        assert_eq!(d.kind, "cycle");
        let msg = crate::words::deadlock(&f.m, &d, crate::words::Lang::En);
        assert!(msg.contains("RLock-1 is held by a") && msg.contains("RLock-2 is held by b"), "{msg}");
    }

    #[test]
    fn two_single_unit_semaphores_in_opposite_order_are_a_cycle() {
        let mut f = feed(&["MainProcess", "a", "b"]);
        f.res(1, 0, ResKind::Semaphore, "Semaphore-1", 1).res(1, 1, ResKind::BoundedSemaphore, "BoundedSemaphore-2", 1);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 0, 0), None).op_at(3, 1, Op::Acquire, 1, None, (1, 0, 0), None);
        f.block_at(2, 1, Op::Acquire, 1, None);
        assert_eq!(f.m.deadlock(), None);
        f.block_at(3, 1, Op::Acquire, 0, None);
        let d = f.m.deadlock().expect("a cycle");
        assert_eq!(d.kind, "cycle");
        assert_eq!(d.resources.len(), 2);
    }

    #[test]
    fn a_semaphore_with_units_left_or_several_holders_names_no_single_waker() {
        let mut f = feed(&["MainProcess", "a", "b", "c"]);
        f.res(1, 0, ResKind::Semaphore, "Semaphore-1", 2).res(1, 1, ResKind::Lock, "Lock-2", 1);
        // a holds the lock; b and c hold the two units.
        f.op_at(2, 1, Op::Acquire, 1, None, (1, 1, 0), None).op_at(3, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(4, 1, Op::Acquire, 0, None, (1, 0, 0), None);
        f.block_at(2, 1, Op::Acquire, 0, None).block_at(3, 1, Op::Acquire, 1, Some(2));
        // a waits for the semaphore, whose units b and c hold: c could release, so no cycle.
        assert_eq!(f.m.deadlock(), None);
    }

    #[test]
    fn a_semaphore_taken_as_a_signal_is_no_cycle_of_its_waiter() {
        // Main takes the units others release (a signal), then waits for the
        // next: it holds every taken unit, yet a is alive to release one.
        let mut f = feed(&["MainProcess", "a"]);
        f.res(1, 0, ResKind::Semaphore, "Semaphore-1", 0);
        f.block_at(1, 1, Op::Acquire, 0, None);
        f.op_at(2, 1, Op::Release, 0, Some(1), (0, 0, 0), None).wake(2, Op::Acquire, 0, 1);
        f.op_at(1, 1, Op::Acquire, 0, None, (1, 0, 1), None);
        assert!(f.m.resources[&ResId(0)].holders.is_empty(), "a unit of a signal is used up, not held");
        assert!(!f.m.processes[&Lane(1)].holds.contains(&ResId(0)));
        f.block_at(1, 1, Op::Acquire, 0, None);
        assert_eq!(f.m.deadlock(), None);
        // Ending after taking signals is no "ended while holding".
        f.op_at(2, 1, Op::Release, 0, Some(1), (0, 0, 0), None).wake(2, Op::Acquire, 0, 1);
        f.op_at(1, 1, Op::Acquire, 0, None, (1, 0, 1), None);
        f.at(0, RecordKind::Ended { process: Lane(1), exitcode: 0, held: None });
        assert!(!f.m.findings.iter().any(|x| x.kind == "ended_holding"), "{:?}", f.m.findings);
    }

    #[test]
    fn semaphore_holders_follow_acquire_release_and_hand_off() {
        let mut f = feed(&["MainProcess", "a", "b", "c"]);
        f.res(1, 0, ResKind::Semaphore, "Semaphore-1", 2);
        assert_eq!(f.m.resources[&ResId(0)].value, 2);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(3, 1, Op::Acquire, 0, None, (1, 0, 0), None).block_at(4, 1, Op::Acquire, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].holders, vec![Lane(2), Lane(3)]);
        assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(4)]);
        f.op_at(2, 1, Op::Release, 0, Some(4), (0, 0, 0), None).wake(2, Op::Acquire, 0, 4);
        assert_eq!(f.m.resources[&ResId(0)].holders, vec![Lane(3), Lane(4)]);
        f.op_at(4, 1, Op::Acquire, 0, None, (1, 0, 1), None);
        assert_eq!(f.m.resources[&ResId(0)].holders, vec![Lane(3), Lane(4)], "a hand-off is counted once");
        assert_eq!(f.m.processes[&Lane(4)].state, PState::Running);
        f.op_at(3, 1, Op::Release, 0, None, (1, 0, 0), None);
        assert_eq!(f.m.resources[&ResId(0)].value, 1);
        assert!(!f.m.processes[&Lane(3)].holds.contains(&ResId(0)));
    }

    #[test]
    fn event_flag_and_waiters() {
        let mut f = feed(&["MainProcess", "car0", "car1"]);
        f.res(1, 0, ResKind::Event, "Event-1", 0);
        f.block_at(2, 1, Op::Wait, 0, None).block_at(3, 1, Op::Wait, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(2), Lane(3)]);
        f.op_at(1, 1, Op::Set, 0, Some(2), (2, 0, 0), None).wake(1, Op::Wait, 0, 2).wake(1, Op::Wait, 0, 3);
        assert_eq!(f.m.resources[&ResId(0)].value, 1);
        assert!(f.m.resources[&ResId(0)].waiters.is_empty());
        assert_eq!(f.m.processes[&Lane(3)].state, PState::Ready);
        f.op_at(1, 1, Op::Clear, 0, None, (0, 0, 0), None);
        assert_eq!(f.m.resources[&ResId(0)].value, 0);
    }

    #[test]
    fn condition_shows_its_locks_holder_and_who_was_notified() {
        let mut f = feed(&["MainProcess", "waiter", "notifier"]);
        f.res(1, 0, ResKind::RLock, "RLock-1", 1).res(1, 1, ResKind::Condition, "Condition-2", 0);
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(2, 1, Op::Release, 0, None, (0, 0, 0), None).block_at(2, 1, Op::Wait, 1, None);
        assert_eq!(f.m.resources[&ResId(1)].waiters, vec![Lane(2)]);
        f.op_at(3, 1, Op::Acquire, 0, None, (1, 1, 0), None);
        assert_eq!(f.m.resources[&ResId(1)].owner, Some(Lane(3)), "the condition shows its lock's holder");
        f.op_at(3, 1, Op::Notify, 1, Some(2), (1, 0, 0), None).wake(3, Op::Wait, 1, 2);
        assert!(f.m.resources[&ResId(1)].waiters.is_empty());
        assert_eq!(f.m.resources[&ResId(1)].waiters2, vec![Lane(2)]);
        // The notified process re-acquires: blocked on the lock its notifier holds.
        f.block_at(2, 1, Op::Acquire, 0, Some(3));
        f.op_at(3, 1, Op::Release, 0, Some(2), (1, 0, 0), None).wake(3, Op::Acquire, 0, 2);
        assert_eq!(f.m.resources[&ResId(1)].owner, Some(Lane(2)));
        f.op_at(2, 1, Op::Acquire, 0, None, (1, 1, 0), None).op_at(2, 1, Op::Wait, 1, None, (1, 0, 0), None);
        assert!(f.m.resources[&ResId(1)].waiters2.is_empty());
    }

    #[test]
    fn value_and_array_show_their_contents_and_lock() {
        let mut f = feed(&["MainProcess", "a", "b"]);
        f.res(1, 0, ResKind::Value, "Value-1", 1).res(1, 1, ResKind::RLock, "Value-1 lock", 1);
        f.at(1, RecordKind::Op { op: Op::Store, res: Some(ResId(0)), other: None, a: 0, b: -1, c: 0, d: 0, detail: Some(r#"{"lock":1,"values":[0]}"#.into()) });
        f.op_at(2, 1, Op::Store, 0, None, (41, -1, 0), None);
        assert_eq!((f.m.resources[&ResId(0)].value, f.m.resources[&ResId(0)].text.as_str()), (41, "41"));
        f.op_at(2, 1, Op::Acquire, 1, None, (1, 1, 0), None).block_at(3, 1, Op::Acquire, 1, Some(2));
        assert_eq!(f.m.resources[&ResId(0)].owner, Some(Lane(2)));
        assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(3)]);
        f.res(1, 2, ResKind::Array, "Array-3", 3).res(1, 3, ResKind::RLock, "Array-3 lock", 1);
        f.at(1, RecordKind::Op { op: Op::Store, res: Some(ResId(2)), other: None, a: 1.5f64.to_bits() as i64, b: -1, c: 1, d: 0, detail: Some(r#"{"lock":3,"values":[1.5,1.5,1.5]}"#.into()) });
        f.op_at(1, 1, Op::Store, 2, None, (7.0f64.to_bits() as i64, 2, 1), None);
        assert_eq!(f.m.resources[&ResId(2)].items, vec!["1.5", "1.5", "7.0"]);
        assert_eq!(f.m.resources[&ResId(2)].text, "[1.5, 1.5, 7.0]");
    }

    /// A lost update, step by step: each read and write is in the log with
    /// its value, and the Value keeps who read or wrote what, at which step.
    #[test]
    fn reads_and_writes_of_a_value_are_logged_with_their_values_and_kept() {
        use crate::model::LogEvent;
        let mut f = feed(&["MainProcess", "Process-1", "Process-2"]);
        f.res(1, 0, ResKind::Value, "balance", 1).res(1, 1, ResKind::RLock, "balance lock", 1);
        f.at(1, RecordKind::Op { op: Op::Store, res: Some(ResId(0)), other: None, a: 1000, b: -1, c: 0, d: 0, detail: Some(r#"{"lock":1,"values":[1000]}"#.into()) });
        f.op_at(2, 5, Op::Load, 0, None, (1000, -1, 0), None).op_at(3, 5, Op::Load, 0, None, (1000, -1, 0), None);
        f.op_at(2, 6, Op::Store, 0, None, (900, -1, 0), None).op_at(3, 6, Op::Store, 0, None, (900, -1, 0), None);
        let said: Vec<(Lane, bool, String)> = f.m.log.iter().filter_map(|e| match &e.event {
            Some(LogEvent::Shared { write, value, place: Place::Value, .. }) => Some((e.lane, *write, value.clone())),
            _ => None,
        }).collect();
        let want = [(2, false, "1000"), (3, false, "1000"), (2, true, "900"), (3, true, "900")].map(|(l, w, v)| (Lane(l), w, v.to_string()));
        assert_eq!(said, want, "the creation is not a read or a write; the four accesses are");
        let words: Vec<String> = f.m.log.iter().filter_map(|e| e.event.as_ref().map(|ev| crate::words::event_sentence(&f.m, e.lane, ev))).filter(|s| s.contains("balance")).collect();
        assert_eq!(words, ["Process-1 read balance.value = 1000", "Process-2 read balance.value = 1000", "Process-1 wrote balance.value = 900", "Process-2 wrote balance.value = 900"]);
        let kept: Vec<(Lane, bool, &str)> = f.m.resources[&ResId(0)].accesses.iter().map(|a| (a.lane, a.write, a.value.as_str())).collect();
        assert_eq!(kept.len(), 4);
        assert_eq!(kept[3], (Lane(3), true, "900"));
        // Bounded: the oldest go first.
        for i in 0..(crate::model::ACCESS_CAP as i64 + 5) {
            f.op_at(2, 6, Op::Store, 0, None, (i, -1, 0), None);
        }
        let acc = &f.m.resources[&ResId(0)].accesses;
        assert_eq!(acc.len(), crate::model::ACCESS_CAP);
        assert_eq!(acc.last().unwrap().value, (crate::model::ACCESS_CAP as i64 + 4).to_string());
    }

    /// A manager's dict: the manager (lane 2) writes each access it serves;
    /// the log and the history give it to the process that asked, with the
    /// item and the value; a method's call says the object after it.
    #[test]
    fn a_managers_object_gives_each_access_to_the_process_that_asked() {
        let mut f = feed(&["MainProcess", "SyncManager-1", "Process-2", "Process-3"]);
        f.res(2, 0, ResKind::Managed, "account", 0);
        f.op_at(2, 14, Op::Store, 0, None, (0, 0, 0), Some(r#"{"type":"dict","now":"{'balance': 1000}"}"#));
        f.op_at(2, 8, Op::Load, 0, Some(3), (0, 0, 0), Some(r#"{"at":"['balance']","value":"1000"}"#));
        f.op_at(2, 8, Op::Load, 0, Some(4), (0, 0, 0), Some(r#"{"at":"['balance']","value":"1000"}"#));
        f.op_at(2, 9, Op::Store, 0, Some(3), (0, 0, 0), Some(r#"{"at":"['balance']","value":"900","now":"{'balance': 900}"}"#));
        f.op_at(2, 9, Op::Store, 0, Some(4), (0, 0, 0), Some(r#"{"at":"['balance']","value":"900","now":"{'balance': 900}"}"#));
        f.op_at(2, 10, Op::Store, 0, Some(4), (0, 0, 0), Some(r#"{"call":".update(x=1)","value":"{'balance': 900, 'x': 1}","now":"{'balance': 900, 'x': 1}"}"#));
        let words: Vec<(Lane, String)> = f.m.log.iter().filter_map(|e| e.event.as_ref().map(|ev| (e.lane, crate::words::event_sentence(&f.m, e.lane, ev)))).filter(|(_, s)| s.contains("account")).collect();
        let want = [
            (3, "Process-2 read account['balance'] = 1000"),
            (4, "Process-3 read account['balance'] = 1000"),
            (3, "Process-2 wrote account['balance'] = 900"),
            (4, "Process-3 wrote account['balance'] = 900"),
            (4, "Process-3 called account.update(x=1): account is now {'balance': 900, 'x': 1}"),
        ]
        .map(|(l, s)| (Lane(l), s.to_string()));
        assert_eq!(words, want, "the creation is no access; each access is the asker's");
        let rs = &f.m.resources[&ResId(0)];
        assert_eq!((rs.text.as_str(), rs.items.as_slice()), ("{'balance': 900, 'x': 1}", &["dict".to_string()][..]));
        let kept: Vec<(Lane, bool, Place)> = rs.accesses.iter().map(|a| (a.lane, a.write, a.place.clone())).collect();
        assert_eq!(kept[0], (Lane(3), false, Place::At("['balance']".into())));
        assert_eq!(kept[4], (Lane(4), true, Place::Call(".update(x=1)".into())));
        assert_eq!(crate::words::event(&f.m, &crate::model::LogEvent::Shared { write: false, res: ResId(0), place: Place::At("['balance']".into()), value: "1000".into() }, crate::words::Lang::Zh), "读取 account['balance'] = 1000");
    }

    #[test]
    fn barrier_counts_its_waiting_parties() {
        let mut f = feed(&["MainProcess", "a", "b", "c"]);
        f.res(1, 0, ResKind::Barrier, "Barrier-1", 3);
        f.at(2, RecordKind::Block { op: Op::Wait, res: Some(ResId(0)), other: None, holder: None, timed: true });
        f.block_at(3, 1, Op::Wait, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].value, 2);
        f.op_at(4, 1, Op::Wait, 0, Some(2), (1, 2, 1), None).wake(4, Op::Wait, 0, 2).wake(4, Op::Wait, 0, 3);
        assert_eq!(f.m.resources[&ResId(0)].value, 0);
    }
}
