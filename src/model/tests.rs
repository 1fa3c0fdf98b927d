use super::*;
use crate::words::Lang;

fn en_deadlock(m: &Model, d: &Deadlock) -> String {
    crate::words::deadlock(m, d, Lang::En)
}

use crate::model::feed::Feed;

fn two_workers() -> Feed {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2").res(1, 0, ResKind::Lock, "Lock-1", 1).res(1, 1, ResKind::Lock, "Lock-2", 1);
    f
}

#[test]
fn lock_handoff_moves_ownership_and_waiters() {
    let mut f = two_workers();
    f.acquired(2, 0, 5).blocks(3, 0, 2, 5);
    assert_eq!(f.m.resources[&ResId(0)].owner, Some(Lane(2)));
    assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(3)]);
    assert_eq!(f.m.processes[&Lane(3)].state, PState::Blocked);
    f.at_line(2, 9, RecordKind::Op { op: Op::Release, res: Some(ResId(0)), other: Some(Lane(3)), a: 1, b: 0, c: 0, d: 0, detail: None });
    f.at_line(2, 9, RecordKind::Wake { op: Op::Acquire, res: Some(ResId(0)), woken: Lane(3) });
    assert_eq!(f.m.resources[&ResId(0)].owner, Some(Lane(3)));
    assert!(f.m.resources[&ResId(0)].waiters.is_empty());
    assert_eq!(f.m.processes[&Lane(3)].state, PState::Ready);
    assert!(f.m.processes[&Lane(3)].holds.contains(&ResId(0)));
    assert!(!f.m.processes[&Lane(2)].holds.contains(&ResId(0)));
    assert!(f.m.log.iter().any(|l| l.lane == Lane(2) && l.event == Some(LogEvent::Woke { woken: Lane(3), op: Op::Acquire, res: ResId(0), handed: true })));
}

#[test]
fn opposite_order_locks_are_a_cycle() {
    let mut f = two_workers();
    f.acquired(2, 0, 5).acquired(3, 1, 5).blocks(2, 1, 3, 5).blocks(3, 0, 2, 5);
    f.at_line(1, 20, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    let d = f.m.deadlock().expect("a deadlock");
    assert_eq!(d.kind, "cycle");
    let mut ps = d.processes.clone();
    ps.sort();
    assert_eq!(ps, vec![Lane(2), Lane(3)]);
    assert!(en_deadlock(&f.m, &d).contains("Lock-1 is held by Process-1"), "{}", en_deadlock(&f.m, &d));
}

#[test]
fn a_timed_wait_is_not_a_deadlock() {
    let mut f = two_workers();
    f.acquired(2, 0, 5).acquired(3, 1, 5).blocks(2, 1, 3, 5);
    f.at_line(3, 5, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: true });
    assert_eq!(f.m.deadlock(), None);
}

#[test]
fn everyone_blocked_is_a_stall() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "consumer");
    f.at_line(0, 0, RecordKind::Resource { res: ResId(0), kind: ResKind::Queue, name: "Queue-1".into(), capacity: 0 });
    f.at_line(2, 3, RecordKind::Block { op: Op::Get, res: Some(ResId(0)), other: None, holder: None, timed: false });
    assert_eq!(f.m.deadlock(), None, "main still runs");
    f.at_line(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    let d = f.m.deadlock().unwrap();
    assert_eq!(d.kind, "stall");
    assert!(en_deadlock(&f.m, &d).contains("consumer in get on Queue-1"), "{}", en_deadlock(&f.m, &d));
}

#[test]
fn joining_an_ended_process_is_not_a_stall() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "child");
    f.at_line(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: 0, held: None });
    assert_eq!(f.m.deadlock(), None, "main is about to be woken");
}

#[test]
fn ended_while_holding_is_a_finding() {
    let mut f = two_workers();
    f.acquired(2, 0, 5).blocks(3, 0, 2, 5);
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: None });
    assert_eq!(f.m.processes[&Lane(2)].state, PState::Killed(9));
    assert_eq!(f.m.resources[&ResId(0)].owner, Some(Lane(2)), "a dead owner keeps the lock, as in Python");
    let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").unwrap();
    assert!(crate::words::finding(&f.m, fi, Lang::En).contains("Process-1 was killed by SIGKILL while holding Lock-1"), "{}", crate::words::finding(&f.m, fi, Lang::En));
    assert_eq!(crate::words::state(f.m.processes[&Lane(2)].state, Lang::En), "killed by SIGKILL");
}

#[test]
fn the_conductors_reading_of_what_a_dead_process_held_wins() {
    // Killed after taking the lock but before writing its record: the
    // records never say so, the resource table does.
    let mut f = two_workers();
    f.blocks(3, 0, 2, 5);
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: Some(vec![ResId(0)]) });
    assert_eq!(f.m.resources[&ResId(0)].owner, Some(Lane(2)));
    let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").expect("finding");
    assert!(crate::words::finding(&f.m, fi, Lang::En).contains("Process-1 was killed by SIGKILL while holding Lock-1"), "{}", crate::words::finding(&f.m, fi, Lang::En));
    // Killed after freeing the lock but before writing its release: no finding.
    let mut f = two_workers();
    f.acquired(2, 0, 5);
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: Some(vec![]) });
    assert_eq!(f.m.resources[&ResId(0)].owner, None);
    assert!(!f.m.findings.iter().any(|x| x.kind == "ended_holding"));
}

#[test]
fn killing_a_semaphore_holder_is_a_finding_as_for_a_lock() {
    // The resource table knows owners only (`held` has no semaphore), with
    // or without the conductor's reading.
    for truth in [None, Some(vec![])] {
        let mut f = Feed::new();
        f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1");
        f.at_line(1, 1, RecordKind::Resource { res: ResId(0), kind: ResKind::Semaphore, name: "Semaphore-1".into(), capacity: 1 });
        f.at_line(2, 5, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 0, c: 0, d: 0, detail: None });
        f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: truth.clone() });
        let fi = f.m.findings.iter().find(|x| x.kind == "ended_holding").unwrap_or_else(|| panic!("no finding with {truth:?}"));
        assert!(crate::words::finding(&f.m, fi, Lang::En).contains("Process-1 was killed by SIGKILL while holding Semaphore-1"), "{}", crate::words::finding(&f.m, fi, Lang::En));
        assert_eq!(f.m.resources[&ResId(0)].holders, vec![Lane(2)], "the unit is never given back");
    }
}

#[test]
fn a_join_is_over_when_the_joined_process_ends() {
    let mut f = two_workers();
    f.at_line(1, 9, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    assert_eq!(f.m.processes[&Lane(1)].state, PState::Blocked);
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: 0, held: None });
    let main = &f.m.processes[&Lane(1)];
    assert_eq!((main.state, main.wait.is_none()), (PState::Ready, true), "no longer blocked in join of an exited process");
    assert_eq!(main.fresh_wake(), Some((Lane(2), None)));
}

#[test]
fn appends_show_the_end_of_the_file_without_tool_marks() {
    let mut f = two_workers();
    let write = |f: &mut Feed, op: Op, text: &str| {
        f.at_line(2, 3, RecordKind::Op { op, res: None, other: None, a: text.len() as i64, b: 0, c: 0, d: 0, detail: Some(format!("guests.txt\t{text}")) });
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
    assert_eq!(f.m.tree_order(), vec![(Lane(1), 0), (Lane(2), 1), (Lane(4), 2), (Lane(3), 1)]);
}

#[test]
fn records_serialize_as_tagged_json() {
    let r = Record { seq: 3, t_ns: 10, lane: Lane(2), line: 7, gates: 1, kind: RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 0, d: 0, detail: None } };
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
        f.at_line(1, 2, RecordKind::Print { text: format!("line {i}"), part: false });
    }
    assert!(f.m.log.len() <= LOG_CAP);
    assert_eq!(f.m.log_trimmed as usize + f.m.log.len(), LOG_CAP + 11, "the spawn line and every print, counted");
    assert_eq!(f.m.log.last().unwrap().text, format!("line {}", LOG_CAP + 9));
    for _ in 0..50 {
        f.at_line(1, 3, RecordKind::Finding { message: "MainProcess released Lock-1 held by nobody".into() });
    }
    assert_eq!(f.m.findings.len(), 1, "the same finding once");
}

#[test]
fn a_wake_names_the_call_the_lesson_made_not_the_record_name() {
    let mut f = Feed::new();
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1");
    f.at_line(1, 1, RecordKind::Resource { res: ResId(0), kind: ResKind::Socket, name: "conn".into(), capacity: 0 });
    f.at_line(2, 3, RecordKind::Block { op: Op::SockRecv, res: Some(ResId(0)), other: None, holder: None, timed: true });
    f.at_line(1, 4, RecordKind::Wake { op: Op::SockRecv, res: Some(ResId(0)), woken: Lane(2) });
    let said: Vec<String> = f.m.log.iter().filter_map(|l| l.event.as_ref().map(|e| crate::words::event_sentence(&f.m, l.lane, e))).collect();
    assert!(said.iter().any(|l| l == "MainProcess woke Process-1 (waiting in recv on conn)"), "{said:?}");
    assert!(!said.iter().any(|l| l.contains("recv_socket")), "{said:?}");
}
