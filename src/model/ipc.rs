//! Model updates for the communication resources: Queue, JoinableQueue, Pipe,
//! Pool, AsyncResult, Socket. (Fields per kind: see [`super::ResourceState`];
//! what each op record's values mean: the `//!` docs of `runtime::ipc::*`.)

use super::{Model, ResOp, ResourceState};
use crate::vocab::{Lane, Op, ResId, ResKind};

/// Most messages a socket keeps for display.
const SOCKET_ITEMS: usize = 8;

/// Whether a process blocked in `op` on a resource of `kind` waits in the
/// second queue (`waiters2`) rather than the first.
pub fn second_queue(kind: ResKind, op: Op) -> bool {
    match kind {
        ResKind::Queue | ResKind::JoinableQueue => matches!(op, Op::Put | Op::PutNowait | Op::QueueJoin),
        ResKind::Pool => op == Op::PoolJoin,
        _ => false,
    }
}

/// Applies a completed op on resource `id`.
pub fn apply(model: &mut Model, id: ResId, op: &ResOp<'_>) {
    // An accepted connection is shown with its client's address (`b` is its id).
    if op.op == Op::Accept
        && model.resources.get(&id).is_some_and(|rs| rs.kind == ResKind::Socket)
        && let Some(conn) = op.connection().and_then(|c| model.resources.get_mut(&c))
    {
        conn.text = format!("← {}", op.detail.unwrap_or(""));
    }
    let Some(rs) = model.resources.get_mut(&id) else { return };
    // The op completed: whoever made it no longer waits here (a wait that
    // ended without a `Wake`, like a socket that became readable).
    rs.waiters.retain(|w| *w != op.lane);
    rs.waiters2.retain(|w| *w != op.lane);
    match rs.kind {
        ResKind::Queue | ResKind::JoinableQueue => queue(rs, op),
        ResKind::Pipe => pipe(rs, op),
        ResKind::Pool => pool(rs, op),
        ResKind::AsyncResult => result(rs, op),
        ResKind::Socket => socket(rs, op),
        _ => {}
    }
}

fn queue(rs: &mut ResourceState, op: &ResOp<'_>) {
    let detail = op.detail.unwrap_or("");
    match op.op {
        Op::Put | Op::PutNowait => {
            if op.through_buffer() {
                rs.items.push(detail.to_string());
            }
        }
        Op::Get | Op::GetNowait => {
            if op.through_buffer() {
                if !rs.items.is_empty() {
                    rs.items.remove(0);
                }
                // A putter's item moved in behind the one taken.
                if let Some((_, moved)) = detail.split_once('\t') {
                    rs.items.push(moved.to_string());
                }
            }
        }
        Op::TaskDone | Op::QueueJoin | Op::Qsize | Op::Empty | Op::Full => {}
        _ => return,
    }
    rs.value = op.depth_after();
    rs.count = op.unfinished_after();
}

fn pipe(rs: &mut ResourceState, op: &ResOp<'_>) {
    let detail = op.detail.unwrap_or("");
    let end = op.pipe_end();
    match op.op {
        Op::Send => {
            if op.through_buffer() {
                rs.items.push(format!("→{} {detail}", 1 - end));
            }
        }
        Op::Recv => {
            if op.through_buffer() {
                let prefix = format!("→{end} ");
                if let Some(i) = rs.items.iter().position(|m| m.starts_with(&prefix)) {
                    rs.items.remove(i);
                }
            }
        }
        Op::Close => {
            if op.through_buffer() {
                let prefix = format!("→{end} ");
                rs.items.retain(|m| !m.starts_with(&prefix));
                rs.closed = true;
                // Which ends are closed, as bits (end 0 = 1, end 1 = 2): the views say it.
                rs.count |= 1 << end.clamp(0, 1);
            }
        }
        Op::Poll => {}
        _ => return,
    }
    rs.value = op.depth_after();
}

fn pool(rs: &mut ResourceState, op: &ResOp<'_>) {
    match op.op {
        Op::Start => {
            rs.holders = op.detail.unwrap_or("").split(',').filter_map(|l| l.trim().parse().ok().map(Lane)).collect();
            return;
        }
        Op::Get => {
            if op.got_result() {
                rs.text = op.detail.unwrap_or("").to_string();
            }
        }
        Op::PoolClose | Op::PoolTerminate => rs.closed = true,
        Op::Apply | Op::ApplyAsync | Op::Map | Op::TaskDone | Op::PoolJoin => {}
        _ => return,
    }
    rs.value = op.depth_after();
    rs.count = op.unfinished_after();
}

fn result(rs: &mut ResourceState, op: &ResOp<'_>) {
    match op.op {
        Op::Put => {
            rs.count = op.parts().0;
            rs.value = {
                let (done, all) = op.parts();
                (done >= all) as i64
            };
            rs.text = op.detail.unwrap_or("").to_string();
        }
        Op::ResultGet if op.got_result() => {
            rs.value = 1;
            rs.text = op.detail.unwrap_or("").to_string();
        }
        Op::Ready => rs.value = op.flag(),
        _ => {}
    }
}

fn socket(rs: &mut ResourceState, op: &ResOp<'_>) {
    let detail = op.detail.unwrap_or("");
    match op.op {
        Op::Listen => rs.text = detail.to_string(),
        Op::Connect => {
            rs.text = format!("→ {detail}");
            rs.closed = op.refused();
        }
        Op::Accept => rs.value = op.depth_after(),
        Op::SockSend | Op::SockRecv => {
            let arrow = if op.op == Op::SockSend { "→" } else { "←" };
            rs.items.push(format!("{arrow} {detail}"));
            if rs.items.len() > SOCKET_ITEMS {
                rs.items.remove(0);
            }
        }
        Op::SockClose => rs.closed = op.flag() == 0,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PState, RecordKind};
    use super::*;

    use crate::model::feed::Feed;

    /// MainProcess (lane 1) and its children Process-1 and Process-2.
    fn feed() -> Feed {
        let mut f = Feed::new();
        f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2");
        f
    }

    /// Resource `res` of `kind`, made by main, named as the runtime names it.
    fn res(f: &mut Feed, res: u32, kind: ResKind, capacity: i64) {
        f.res(1, res, kind, &format!("{kind}-{}", res + 1), capacity);
    }

    #[test]
    fn a_bounded_queue_tracks_items_getters_and_putters() {
        let mut f = feed();
        res(&mut f, 0, ResKind::Queue, 1);
        f.block_at(2, 1, Op::Get, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(2)]);
        // Handed straight to the getter: never in the queue.
        f.op_at(1, 1, Op::Put, 0, Some(2), (0, 0, 1), Some("'包子0'")).wake(1, Op::Get, 0, 2);
        assert!(f.m.resources[&ResId(0)].items.is_empty());
        assert!(f.m.resources[&ResId(0)].waiters.is_empty());
        f.op_at(2, 1, Op::Get, 0, None, (0, 0, 1), Some("'包子0'"));
        f.op_at(1, 1, Op::Put, 0, None, (1, 0, 0), Some("'包子1'"));
        f.block_at(1, 1, Op::Put, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].waiters2, vec![Lane(1)], "a putter on a full queue waits in the second queue");
        assert_eq!(f.m.processes[&Lane(1)].state, PState::Blocked);
        // The getter takes 包子1 and moves the putter's 包子2 in.
        f.op_at(3, 1, Op::Get, 0, Some(1), (1, 0, 0), Some("'包子1'\t'包子2'")).wake(3, Op::Put, 0, 1);
        assert_eq!(f.m.resources[&ResId(0)].items, vec!["'包子2'".to_string()]);
        assert!(f.m.resources[&ResId(0)].waiters2.is_empty());
        f.op_at(1, 1, Op::Put, 0, None, (1, 0, 2), Some("'包子2'"));
        assert_eq!(f.m.resources[&ResId(0)].items.len(), 1, "the putter's completion does not add it twice");
        assert_eq!(f.m.resources[&ResId(0)].value, 1);
        // An error (queue.Empty) changes nothing.
        f.op_at(2, 1, Op::GetNowait, 0, None, (1, 0, -1), Some("queue.Empty"));
        assert_eq!(f.m.resources[&ResId(0)].items.len(), 1);
    }

    #[test]
    fn joinable_queue_counts_unfinished_and_joiners_wait_second() {
        let mut f = feed();
        res(&mut f, 0, ResKind::JoinableQueue, 0);
        f.op_at(2, 1, Op::Put, 0, None, (1, 1, 0), Some("'x'"));
        f.block_at(1, 1, Op::QueueJoin, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].waiters2, vec![Lane(1)]);
        assert_eq!(f.m.resources[&ResId(0)].count, 1);
        f.op_at(3, 1, Op::Get, 0, None, (0, 1, 0), Some("'x'")).op_at(3, 1, Op::TaskDone, 0, None, (0, 0, 0), None).wake(3, Op::QueueJoin, 0, 1);
        assert_eq!(f.m.resources[&ResId(0)].count, 0);
        assert!(f.m.resources[&ResId(0)].waiters2.is_empty());
    }

    #[test]
    fn pipe_messages_go_to_their_end_and_close_shows() {
        let mut f = feed();
        res(&mut f, 0, ResKind::Pipe, 1);
        f.op_at(1, 1, Op::Send, 0, None, (1, 0, 0), Some("'hello'")).op_at(2, 1, Op::Send, 0, None, (2, 1, 0), Some("'reply'"));
        assert_eq!(f.m.resources[&ResId(0)].items, vec!["→1 'hello'".to_string(), "→0 'reply'".to_string()]);
        f.op_at(1, 1, Op::Recv, 0, None, (1, 0, 0), Some("'reply'"));
        assert_eq!(f.m.resources[&ResId(0)].items, vec!["→1 'hello'".to_string()]);
        f.op_at(1, 1, Op::Close, 0, None, (1, 1, 1), None);
        assert!(!f.m.resources[&ResId(0)].closed, "another process still holds end 1");
        f.op_at(2, 1, Op::Close, 0, None, (0, 1, 0), None);
        assert!(f.m.resources[&ResId(0)].closed);
        assert_eq!(f.m.resources[&ResId(0)].count, 2, "end 1 closed");
        assert!(f.m.resources[&ResId(0)].items.is_empty());
    }

    #[test]
    fn pool_workers_pending_running_and_join_waiter() {
        let mut f = feed();
        res(&mut f, 0, ResKind::Pool, 2);
        f.op_at(1, 1, Op::Start, 0, None, (2, 0, 0), Some("2,3"));
        assert_eq!(f.m.resources[&ResId(0)].holders, vec![Lane(2), Lane(3)]);
        f.block_at(2, 1, Op::Get, 0, None);
        assert_eq!(f.m.resources[&ResId(0)].waiters, vec![Lane(2)]);
        f.op_at(1, 1, Op::ApplyAsync, 0, None, (0, 1, 1), Some("task(1)")).wake(1, Op::Get, 0, 2);
        assert_eq!((f.m.resources[&ResId(0)].value, f.m.resources[&ResId(0)].count), (0, 1));
        f.op_at(1, 1, Op::PoolClose, 0, None, (0, 1, 0), None);
        f.at(1, RecordKind::Block { op: Op::PoolJoin, res: Some(ResId(0)), other: Some(Lane(2)), holder: None, timed: false });
        assert_eq!(f.m.resources[&ResId(0)].waiters2, vec![Lane(1)]);
        assert!(f.m.resources[&ResId(0)].closed);
        res(&mut f, 1, ResKind::AsyncResult, 1);
        f.op_at(2, 1, Op::Put, 1, None, (1, 1, 0), Some("1"));
        assert_eq!((f.m.resources[&ResId(1)].value, f.m.resources[&ResId(1)].text.as_str()), (1, "1"));
    }

    #[test]
    fn a_socket_shows_its_address_and_last_messages() {
        let mut f = feed();
        res(&mut f, 0, ResKind::Socket, 0);
        f.op_at(1, 1, Op::Listen, 0, None, (9001, 0, 0), Some("127.0.0.1:9001"));
        f.block_at(1, 1, Op::Accept, 0, None);
        res(&mut f, 1, ResKind::Socket, 0);
        f.op_at(1, 1, Op::Accept, 0, None, (1, 1, 40000), Some("127.0.0.1:40000"));
        assert!(f.m.resources[&ResId(0)].waiters.is_empty(), "completing the op ends the wait, woken or not");
        assert_eq!((f.m.resources[&ResId(0)].text.as_str(), f.m.resources[&ResId(0)].value), ("127.0.0.1:9001", 1));
        assert_eq!(f.m.resources[&ResId(1)].text, "← 127.0.0.1:40000", "the accepted connection shows its client");
        for i in 0..10 {
            f.op_at(2, 1, Op::SockSend, 1, None, (5, 0, 0), Some(&format!("m{i}")));
        }
        assert_eq!(f.m.resources[&ResId(1)].items.len(), SOCKET_ITEMS);
        assert_eq!(f.m.resources[&ResId(1)].items.last().unwrap(), "→ m9");
        f.op_at(2, 1, Op::SockClose, 1, None, (0, 0, 0), None);
        assert!(f.m.resources[&ResId(1)].closed);
    }
}
