//! Deadlocks: the wait-for graph of the blocked processes, checked for a
//! cycle, then for a stall.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Model, PState, ProcessState, Wait};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// One process of a deadlock, as it waited when the deadlock was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadWait {
    pub lane: Lane,
    pub op: Op,
    /// The resource it waits on, and who owned it then.
    pub res: Option<ResId>,
    pub owner: Option<Lane>,
    /// The process it joins.
    pub on: Option<Lane>,
}

/// A deadlock: a cycle in the wait-for graph, or a stall (every live process
/// waits, untimed, and none of them can be woken by anyone outside the set).
/// `crate::words::deadlock` says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadlock {
    /// `cycle` or `stall`.
    pub kind: String,
    pub processes: Vec<Lane>,
    pub resources: Vec<ResId>,
    /// Each process of the cycle (in its order) or of the stall.
    pub waits: Vec<DeadWait>,
}

impl Model {
    /// Who could end `lane`'s wait: the lock's owner (a Lock, an RLock —
    /// also the lock a Condition's waiter takes back, or a Value's lock, since
    /// those waits are on the lock itself), the one process holding every
    /// taken unit of a Semaphore (unless that is `lane` itself: a semaphore
    /// has no owner, and one taken as a signal, released by others, is held
    /// by its waiter), the joined process. `None`: anyone might (an Event's
    /// `set`, a Condition's `notify`, a Barrier's last party).
    fn wakers(&self, lane: Lane, w: &Wait) -> Option<Vec<Lane>> {
        if let Some(on) = w.on {
            return Some(vec![on]);
        }
        let rs = self.resources.get(&w.res?)?;
        match rs.kind {
            ResKind::Lock | ResKind::RLock => rs.owner.map(|o| vec![o]),
            ResKind::Semaphore | ResKind::BoundedSemaphore if rs.value == 0 => {
                let holders: BTreeSet<Lane> = rs.holders.iter().copied().collect();
                (holders.len() == 1 && !holders.contains(&lane)).then(|| holders.into_iter().collect())
            }
            _ => None,
        }
    }

    /// How `lane` waits, for a [`Deadlock`].
    fn dead_wait(&self, lane: Lane, w: &Wait) -> DeadWait {
        let owner = w.res.and_then(|r| self.resources.get(&r)).and_then(|rs| rs.owner);
        DeadWait { lane, op: w.op, res: w.res, owner, on: if w.res.is_some() { None } else { w.on } }
    }

    /// Checks the wait-for graph for a cycle, then for a stall.
    pub fn deadlock(&self) -> Option<Deadlock> {
        let blocked: BTreeMap<Lane, &Wait> = self
            .live()
            .filter(|p| p.state == PState::Blocked)
            .filter_map(|p| p.wait.as_ref().filter(|w| !w.timed).map(|w| (p.lane, w)))
            // Joining a process that has ended is not stuck: the wake-up is on its way.
            .filter(|(_, w)| w.on.is_none_or(|on| self.processes.get(&on).is_some_and(|q| q.state.is_live())))
            .collect();
        // Cycle: follow the single waker of each blocked process.
        for &start in blocked.keys() {
            let mut path = vec![start];
            let mut cur = start;
            while let Some(next) = blocked.get(&cur).and_then(|w| self.wakers(cur, w)).and_then(|v| (v.len() == 1).then(|| v[0])) {
                if let Some(pos) = path.iter().position(|&p| p == next) {
                    let cycle: Vec<Lane> = path[pos..].to_vec();
                    let resources: Vec<ResId> = cycle.iter().filter_map(|p| blocked.get(p).and_then(|w| w.res)).collect();
                    let waits = cycle.iter().map(|p| self.dead_wait(*p, blocked[p])).collect();
                    return Some(Deadlock { kind: "cycle".into(), processes: cycle, resources, waits });
                }
                if !blocked.contains_key(&next) {
                    break;
                }
                path.push(next);
                cur = next;
            }
        }
        // Stall: everyone left waits without a timeout.
        let live: Vec<&ProcessState> = self.live().collect();
        if !live.is_empty() && live.len() == blocked.len() {
            let processes: Vec<Lane> = live.iter().map(|p| p.lane).collect();
            let resources: Vec<ResId> = blocked.values().filter_map(|w| w.res).collect::<BTreeSet<_>>().into_iter().collect();
            let waits = live.iter().map(|p| self.dead_wait(p.lane, blocked[&p.lane])).collect();
            return Some(Deadlock { kind: "stall".into(), processes, resources, waits });
        }
        None
    }
}
