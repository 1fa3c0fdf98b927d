use super::*;

struct Feed {
    m: Model,
    seq: u64,
}

impl Feed {
    fn new() -> Feed {
        Feed { m: Model::new(), seq: 0 }
    }
    fn at(&mut self, lane: u32, line: u32, kind: RecordKind) -> &mut Self {
        self.seq += 1;
        let r = Record { seq: self.seq, t_ns: self.seq * 1000, lane, line, gates: 0, kind };
        self.m.apply(&r);
        self
    }
    fn spawn(&mut self, parent: u32, child: u32, name: &str) -> &mut Self {
        self.at(parent, 1, RecordKind::Spawn { child, pid: 100 + child as i32, ppid: 100 + parent as i32, daemon: false, name: name.into(), target: "f".into() })
    }
    fn lock(&mut self, creator: u32, res: u32, name: &str) -> &mut Self {
        self.at(creator, 1, RecordKind::Resource { res, kind: ResKind::Lock, name: name.into(), capacity: 1 })
    }
    fn acquired(&mut self, lane: u32, res: u32) -> &mut Self {
        self.at(lane, 5, RecordKind::Op { op: Op::Acquire, res: Some(res), other: None, a: 1, b: 1, c: 0, detail: None })
    }
    fn blocks(&mut self, lane: u32, res: u32, holder: u32) -> &mut Self {
        self.at(lane, 5, RecordKind::Block { op: Op::Acquire, res: Some(res), other: None, holder: Some(holder), timed: false })
    }
}

fn two_workers() -> Feed {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2").lock(1, 0, "Lock-1").lock(1, 1, "Lock-2");
    f
}

#[test]
fn lock_handoff_moves_ownership_and_waiters() {
    let mut f = two_workers();
    f.acquired(2, 0).blocks(3, 0, 2);
    assert_eq!(f.m.resources[&0].owner, Some(2));
    assert_eq!(f.m.resources[&0].waiters, vec![3]);
    assert_eq!(f.m.processes[&3].state, PState::Blocked);
    f.at(2, 9, RecordKind::Op { op: Op::Release, res: Some(0), other: Some(3), a: 1, b: 0, c: 0, detail: None });
    f.at(2, 9, RecordKind::Wake { op: Op::Acquire, res: Some(0), woken: 3 });
    assert_eq!(f.m.resources[&0].owner, Some(3));
    assert!(f.m.resources[&0].waiters.is_empty());
    assert_eq!(f.m.processes[&3].state, PState::Ready);
    assert!(f.m.processes[&3].holds.contains(&0));
    assert!(!f.m.processes[&2].holds.contains(&0));
    assert!(f.m.log.iter().any(|l| l.text.contains("Process-1 woke Process-2")));
}

#[test]
fn opposite_order_locks_are_a_cycle() {
    let mut f = two_workers();
    f.acquired(2, 0).acquired(3, 1).blocks(2, 1, 3).blocks(3, 0, 2);
    f.at(1, 20, RecordKind::Block { op: Op::Join, res: None, other: Some(2), holder: None, timed: false });
    let d = f.m.deadlock().expect("a deadlock");
    assert_eq!(d.kind, "cycle");
    let mut ps = d.processes.clone();
    ps.sort();
    assert_eq!(ps, vec![2, 3]);
    assert!(d.message.contains("Lock-1 is held by Process-1"), "{}", d.message);
}

#[test]
fn a_timed_wait_is_not_a_deadlock() {
    let mut f = two_workers();
    f.acquired(2, 0).acquired(3, 1).blocks(2, 1, 3);
    f.at(3, 5, RecordKind::Block { op: Op::Acquire, res: Some(0), other: None, holder: Some(2), timed: true });
    assert_eq!(f.m.deadlock(), None);
}

#[test]
fn everyone_blocked_is_a_stall() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "consumer");
    f.at(0, 0, RecordKind::Resource { res: 0, kind: ResKind::Queue, name: "Queue-1".into(), capacity: 0 });
    f.at(2, 3, RecordKind::Block { op: Op::Get, res: Some(0), other: None, holder: None, timed: false });
    assert_eq!(f.m.deadlock(), None, "main still runs");
    f.at(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(2), holder: None, timed: false });
    let d = f.m.deadlock().unwrap();
    assert_eq!(d.kind, "stall");
    assert!(d.message.contains("consumer in get on Queue-1"), "{}", d.message);
}

#[test]
fn joining_an_ended_process_is_not_a_stall() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "child");
    f.at(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(2), holder: None, timed: false });
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: 0, held: None });
    assert_eq!(f.m.deadlock(), None, "main is about to be woken");
}

#[test]
fn ended_while_holding_is_a_finding() {
    let mut f = two_workers();
    f.acquired(2, 0).blocks(3, 0, 2);
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: None });
    assert_eq!(f.m.processes[&2].state, PState::Killed(9));
    assert_eq!(f.m.resources[&0].owner, Some(2), "a dead owner keeps the lock, as in Python");
    let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").unwrap();
    assert!(fi.message.contains("Process-1 was killed by SIGKILL while holding Lock-1"), "{}", fi.message);
    assert_eq!(f.m.processes[&2].state.label(), "killed by SIGKILL");
}

#[test]
fn the_conductors_reading_of_what_a_dead_process_held_wins() {
    // Killed after taking the lock but before writing its record: the
    // records never say so, the resource table does.
    let mut f = two_workers();
    f.blocks(3, 0, 2);
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: Some(vec![0]) });
    assert_eq!(f.m.resources[&0].owner, Some(2));
    let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").expect("finding");
    assert!(fi.message.contains("Process-1 was killed by SIGKILL while holding Lock-1"), "{}", fi.message);
    // Killed after freeing the lock but before writing its release: no finding.
    let mut f = two_workers();
    f.acquired(2, 0);
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: Some(vec![]) });
    assert_eq!(f.m.resources[&0].owner, None);
    assert!(!f.m.findings.iter().any(|x| x.kind == "ended_holding"));
}

#[test]
fn killing_a_semaphore_holder_is_a_finding_as_for_a_lock() {
    // The resource table knows owners only (`held` has no semaphore), with
    // or without the conductor's reading.
    for truth in [None, Some(vec![])] {
        let mut f = Feed::new();
        f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1");
        f.at(1, 1, RecordKind::Resource { res: 0, kind: ResKind::Semaphore, name: "Semaphore-1".into(), capacity: 1 });
        f.at(2, 5, RecordKind::Op { op: Op::Acquire, res: Some(0), other: None, a: 1, b: 0, c: 0, detail: None });
        f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: truth.clone() });
        let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").unwrap_or_else(|| panic!("no finding with {truth:?}"));
        assert!(fi.message.contains("Process-1 was killed by SIGKILL while holding Semaphore-1"), "{}", fi.message);
        assert_eq!(f.m.resources[&0].holders, vec![2], "the unit is never given back");
    }
}

#[test]
fn a_join_is_over_when_the_joined_process_ends() {
    let mut f = two_workers();
    f.at(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(2), holder: None, timed: false });
    assert_eq!(f.m.processes[&1].state, PState::Blocked);
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: 0, held: None });
    let main = &f.m.processes[&1];
    assert_eq!((main.state, main.wait.is_none()), (PState::Ready, true), "no longer blocked in join of an exited process");
    assert_eq!(main.fresh_wake(), Some((2, None)));
}

#[test]
fn appends_show_the_end_of_the_file_without_tool_marks() {
    let mut f = two_workers();
    let write = |f: &mut Feed, op: Op, text: &str| {
        f.at(2, 3, RecordKind::Op { op, res: None, other: None, a: text.len() as i64, b: 0, c: 0, detail: Some(format!("guests.txt\t{text}")) });
    };
    write(&mut f, Op::WriteText, "guests:");
    write(&mut f, Op::AppendText, "person0");
    assert_eq!(f.m.files["guests.txt"].preview, "guests: person0");
    for i in 1..12 {
        write(&mut f, Op::AppendText, &format!("person{i}"));
    }
    let p = &f.m.files["guests.txt"].preview;
    assert!(p.starts_with('…') && p.ends_with("person10 person11") && !p.contains('+'), "{p}");
    assert!(p.chars().count() <= 60, "{p}");
}

#[test]
fn tree_order_puts_children_under_parents() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "a").spawn(1, 3, "b").spawn(2, 4, "a:1");
    assert_eq!(f.m.tree_order(), vec![(1, 0), (2, 1), (4, 2), (3, 1)]);
}

#[test]
fn records_serialize_as_tagged_json() {
    let r = Record { seq: 3, t_ns: 10, lane: 2, line: 7, gates: 1, kind: RecordKind::Op { op: Op::Acquire, res: Some(0), other: None, a: 1, b: 1, c: 0, detail: None } };
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["type"], "op");
    assert_eq!(j["op"], "acquire");
    assert_eq!(j["lane"], 2);
    let back: Record = serde_json::from_value(j).unwrap();
    assert_eq!(back, r);
}

#[test]
fn the_log_and_findings_stay_bounded() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess");
    for i in 0..(LOG_CAP + 10) {
        f.at(1, 2, RecordKind::Print { text: format!("line {i}") });
    }
    assert!(f.m.log.len() <= LOG_CAP);
    assert_eq!(f.m.log_trimmed as usize + f.m.log.len(), LOG_CAP + 11, "the spawn line and every print, counted");
    assert_eq!(f.m.log.last().unwrap().text, format!("line {}", LOG_CAP + 9));
    for _ in 0..50 {
        f.at(1, 3, RecordKind::Finding { message: "MainProcess released Lock-1 held by nobody".into() });
    }
    assert_eq!(f.m.findings.len(), 1, "the same finding once");
}
