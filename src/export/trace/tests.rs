//! The trace of hand-written record sequences that follow the documented op
//! values: semaphore hand-off, queue items (queued, handed to a blocked
//! getter, moved in for a blocked putter), a duplex pipe, a killed waiter.

use serde_json::Value;

use super::*;
use crate::model::{Record, RecordKind};
use crate::vocab::{Op, ResKind};

struct Script {
    records: Vec<Record>,
}

impl Script {
    fn new() -> Script {
        Script { records: vec![] }
    }

    fn push(&mut self, lane: u32, kind: RecordKind) -> &mut Self {
        let seq = self.records.len() as u64 + 1;
        // 1 ms apart, so every record has its own time.
        self.records.push(Record { seq, t_ns: seq * 1_000_000, lane: Lane(lane), line: 1, gates: 0, kind });
        self
    }

    fn spawn(&mut self, by: u32, child: u32, pid: i32, ppid: i32, name: &str) -> &mut Self {
        self.push(by, RecordKind::Spawn { child: Lane(child), pid, ppid, daemon: false, name: name.into(), target: "t".into() })
    }

    fn res(&mut self, by: u32, res: u32, kind: ResKind, name: &str, capacity: i64) -> &mut Self {
        self.push(by, RecordKind::Resource { res: ResId(res), kind, name: name.into(), capacity })
    }

    #[allow(clippy::too_many_arguments)]
    fn op(&mut self, lane: u32, op: Op, res: u32, other: Option<u32>, a: i64, b: i64, c: i64) -> &mut Self {
        self.push(lane, RecordKind::Op { op, res: Some(ResId(res)), other: other.map(Lane), a, b, c, d: 0, detail: None })
    }

    fn block(&mut self, lane: u32, op: Op, res: u32) -> &mut Self {
        self.push(lane, RecordKind::Block { op, res: Some(ResId(res)), other: None, holder: None, timed: false })
    }

    fn wake(&mut self, lane: u32, op: Op, res: u32, woken: u32) -> &mut Self {
        self.push(lane, RecordKind::Wake { op, res: Some(ResId(res)), woken: Lane(woken) })
    }

    /// Time of the last record, in trace microseconds.
    fn now(&self) -> f64 {
        self.records.last().map_or(0.0, |r| r.t_ns as f64 / 1000.0)
    }
}

fn events<'a>(t: &'a Value, ph: &str) -> Vec<&'a Value> {
    t["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == ph).collect()
}

/// (start tid, start ts, end tid, end ts, name) of every flow.
fn flows(t: &Value) -> Vec<(i64, f64, i64, f64, String)> {
    let ends = events(t, "f");
    events(t, "s")
        .into_iter()
        .map(|s| {
            let f = ends.iter().find(|f| f["id"] == s["id"]).expect("paired");
            (s["tid"].as_i64().unwrap(), s["ts"].as_f64().unwrap(), f["tid"].as_i64().unwrap(), f["ts"].as_f64().unwrap(), s["name"].as_str().unwrap().to_string())
        })
        .collect()
}

fn counter(t: &Value, name: &str) -> Vec<i64> {
    events(t, "C").into_iter().filter(|e| e["name"] == name).map(|e| e["args"]["value"].as_i64().unwrap()).collect()
}

fn base() -> Script {
    let mut s = Script::new();
    s.spawn(0, 1, 100, 50, "MainProcess");
    s.spawn(1, 2, 101, 100, "a").spawn(1, 3, 102, 100, "b");
    s
}

#[test]
fn tracks_sit_in_their_parents_group_and_are_named() {
    let mut s = base();
    s.spawn(2, 4, 103, 101, "grandchild");
    let t = trace(&s.records, "lesson");
    let stats = check(&t).unwrap();
    assert_eq!(stats.tracks, 5, "conductor, main, a, b, grandchild");
    let names: Vec<(i64, i64, String)> = events(&t, "M")
        .into_iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| (e["pid"].as_i64().unwrap(), e["tid"].as_i64().unwrap(), e["args"]["name"].as_str().unwrap().to_string()))
        .collect();
    assert!(names.contains(&(50, 1, "MainProcess · pid 100".into())), "{names:?}");
    assert!(names.contains(&(100, 2, "a · pid 101".into())));
    assert!(names.contains(&(101, 4, "grandchild · pid 103".into())));
    let groups: Vec<String> = events(&t, "M").into_iter().filter(|e| e["name"] == "process_name").map(|e| e["args"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(groups, ["forkscope: lesson", "children of MainProcess (pid 100)", "children of a (pid 101)"]);
}

#[test]
fn a_release_flows_to_the_acquire_it_unblocked_and_counters_follow_the_semaphore() {
    let mut s = base();
    s.res(1, 1, ResKind::Semaphore, "rooms", 1);
    s.op(2, Op::Acquire, 1, None, 1, 0, 0);
    s.block(3, Op::Acquire, 1);
    s.op(2, Op::Release, 1, Some(3), 0, 0, 0).wake(2, Op::Acquire, 1, 3);
    let woke = s.now();
    s.push(3, RecordKind::Park);
    s.op(3, Op::Acquire, 1, None, 1, 0, 0);
    let acquired = s.now();
    s.op(3, Op::Release, 1, None, 1, 0, 0);
    let t = trace(&s.records, "sem");
    check(&t).unwrap();
    assert_eq!(flows(&t), vec![(2, woke, 3, acquired, "acquire rooms".to_string())]);
    assert_eq!(counter(&t, "Semaphore rooms: value"), [1, 0, 1]);
    assert_eq!(counter(&t, "Semaphore rooms: waiting"), [0, 1, 0]);
    // b's track: starting, then blocked, ready after the wake, running after its acquire.
    let spans: Vec<String> = events(&t, "X").into_iter().filter(|e| e["tid"] == 3).map(|e| e["name"].as_str().unwrap().to_string()).collect();
    assert!(spans.iter().any(|n| n == "blocked: acquire rooms"), "{spans:?}");
    let i = spans.iter().position(|n| n == "blocked: acquire rooms").unwrap();
    assert_eq!(&spans[i + 1..], ["ready", "running"]);
}

#[test]
fn queue_items_flow_first_in_first_out_and_hand_offs_do_not_take_queued_items() {
    let mut s = base();
    s.res(1, 7, ResKind::Queue, "q", 0);
    s.op(2, Op::Put, 7, None, 1, 0, 0);
    let put_x = s.now();
    s.op(1, Op::Get, 7, None, 0, 0, 0);
    let got_x = s.now();
    // main waits on the empty queue; a's put hands its item straight over.
    s.block(1, Op::Get, 7);
    s.op(2, Op::Put, 7, Some(1), 0, 0, 1).wake(2, Op::Get, 7, 1);
    let handed = s.now();
    s.op(2, Op::Put, 7, None, 1, 0, 0);
    let put_y = s.now();
    s.op(1, Op::Get, 7, None, 1, 0, 1);
    let main_got = s.now();
    s.op(3, Op::Get, 7, None, 0, 0, 0);
    let got_y = s.now();
    let t = trace(&s.records, "q");
    check(&t).unwrap();
    let mut f = flows(&t);
    f.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(f, vec![(2, put_x, 1, got_x, "item".into()), (2, handed, 1, main_got, "get q".into()), (2, put_y, 3, got_y, "item".into())]);
    assert_eq!(counter(&t, "Queue q: depth"), [0, 1, 0, 1, 0]);
}

#[test]
fn an_item_moved_in_for_a_blocked_putter_flows_from_where_its_put_began() {
    let mut s = base();
    s.res(1, 7, ResKind::JoinableQueue, "jq", 1);
    s.op(2, Op::Put, 7, None, 1, 1, 0);
    s.block(2, Op::Put, 7);
    let put_began = s.now();
    // b's get takes the first item and moves a's waiting item in.
    s.op(3, Op::Get, 7, Some(2), 1, 2, 0).wake(3, Op::Put, 7, 2);
    s.op(2, Op::Put, 7, None, 1, 2, 2);
    s.op(1, Op::Get, 7, None, 0, 2, 0);
    let main_got = s.now();
    s.op(3, Op::TaskDone, 7, None, 0, 1, 0);
    let t = trace(&s.records, "jq");
    check(&t).unwrap();
    let f = flows(&t);
    assert!(f.contains(&(2, put_began, 1, main_got, "item".into())), "{f:?}");
    assert_eq!(f.len(), 3, "first item, the putter's wake-up, the moved item: {f:?}");
    assert_eq!(counter(&t, "JoinableQueue jq: unfinished"), [0, 1, 2, 1]);
}

#[test]
fn pipe_messages_flow_per_direction() {
    let mut s = base();
    s.res(1, 9, ResKind::Pipe, "p", 1);
    s.op(2, Op::Send, 9, None, 1, 0, 0);
    let a_sent = s.now();
    s.op(3, Op::Send, 9, None, 2, 1, 0);
    let b_sent = s.now();
    s.op(3, Op::Recv, 9, None, 1, 1, 0);
    let b_got = s.now();
    s.op(2, Op::Recv, 9, None, 0, 0, 0);
    let a_got = s.now();
    // End of file carries no message.
    s.op(2, Op::Recv, 9, None, 0, 0, 2);
    let t = trace(&s.records, "pipe");
    check(&t).unwrap();
    let mut f = flows(&t);
    f.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(f, vec![(2, a_sent, 3, b_got, "item".into()), (3, b_sent, 2, a_got, "item".into())]);
    assert_eq!(counter(&t, "Pipe p: in transit"), [0, 1, 2, 1, 0]);
}

#[test]
fn a_waiter_killed_before_it_resumes_leaves_no_half_flow_and_spans_close() {
    let mut s = base();
    s.res(1, 1, ResKind::Lock, "l", 1);
    s.op(2, Op::Acquire, 1, None, 1, 1, 0);
    s.block(3, Op::Acquire, 1);
    s.op(2, Op::Release, 1, Some(3), 1, 0, 0).wake(2, Op::Acquire, 1, 3);
    s.push(0, RecordKind::Ended { process: Lane(3), exitcode: -9, held: None });
    let t = trace(&s.records, "kill");
    let stats = check(&t).unwrap();
    assert_eq!(stats.flows, 0);
    // Main and a were never ended: their spans close at the last record.
    let end = s.now();
    let last: Vec<f64> = events(&t, "X").into_iter().filter(|e| e["tid"] == 1 || e["tid"] == 2).map(|e| e["ts"].as_f64().unwrap() + e["dur"].as_f64().unwrap()).collect();
    assert!(last.iter().any(|x| (x - end).abs() < 1e-6));
    let ended: Vec<&Value> = events(&t, "i").into_iter().filter(|e| e["tid"] == 3 && e["name"] == "killed by SIGKILL").collect();
    assert_eq!(ended.len(), 1);
}

#[test]
fn check_catches_broken_traces() {
    let bad = serde_json::json!({"traceEvents": [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "x"}},
        {"ph": "s", "id": 1, "name": "n", "cat": "flow", "ts": 1.0, "pid": 1, "tid": 1},
    ]});
    assert!(check(&bad).unwrap_err().contains("never ends"));
    let bad = serde_json::json!({"traceEvents": [{"ph": "C", "name": "c", "ts": 1.0, "pid": 1, "tid": 0, "args": {"value": "3"}}]});
    assert!(check(&bad).unwrap_err().contains("not a number"));
    let bad = serde_json::json!({"traceEvents": [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "x"}},
        {"ph": "B", "name": "b", "ts": 1.0, "pid": 1, "tid": 1},
    ]});
    assert!(check(&bad).unwrap_err().contains("never ends"));
}
