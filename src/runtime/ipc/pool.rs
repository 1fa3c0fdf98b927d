//! `Pool(n)`: n real worker processes, children of the pool's creator,
//! taking tasks from a shared task queue; each task fills a part of an
//! `AsyncResult` (see [`super::result`]).
//!
//! Workers are daemonic (as Python's are: main's end terminates them), named
//! `ForkPoolWorker-N` with N from the creator's child counter, and run the
//! reserved target [`POOL_WORKER`] (see `crate::script::pool_worker`): take a task,
//! call the script function by name, store the outcome in the task's result,
//! repeat until the pool is closed and the queue empty.
//!
//! Pool slot: `capacity` = workers; `count` = tasks running; `aux[0..2]` = the
//! task [`Fifo`]; `aux[2]` = tasks pending in it; `aux[3]` = state ([`RUNNING`],
//! [`CLOSED`], [`TERMINATED`]). `waiters[0]` = idle workers waiting for a task
//! (a submit hands a task straight to the first one, mailbox and all);
//! `waiters[1]` = the creator in `join()`.
//!
//! **Callbacks** run in the process that submitted, like Python's (which runs
//! them in a helper thread of that process): when that process next touches
//! the pool or a result (any pool method, `get`, `ready`), and while it waits
//! in `pool.join()` — a worker finishing a task with a callback wakes a
//! creator blocked in `join`, which runs the callback and goes back to
//! waiting. They run in submission order, once each.
//!
//! Op records: `apply`/`apply_async`/`map` on the pool: `a` = pending after,
//! `b` = running after, `c` = tasks submitted, detail = `f(args)`. A worker's
//! `get` on the pool: took a task (`c` = 0 from the queue, 1 handed, −1 told
//! to stop); its `put` on the result: `a` = parts done, `b` = parts, detail =
//! the value; then `task_done` on the pool (`c` = [`POOL_TASK_DONE`]: it
//! changes only the count of tasks running, which no process waits on nor
//! reads by an op, so explore's footprint has it touch nothing another
//! process sees). `start` on the pool lists the
//! worker lanes in its detail.
//!
//! Digests (`d`, for explore's state key, `src/explore/state.rs`): a
//! submission's is of its tasks' encodings, its lowest bit whether the
//! result has a callback; a worker's `get` has its task's; its `put` on the
//! result the part's (index and outcome). A preview is cut short; these are not.

use std::sync::atomic::Ordering::*;

use serde::{Deserialize, Serialize};

use super::fifo::Fifo;
use super::result::{CALLBACK, IS_MAP, POOL, ResultPart};
use super::{bytes_digest, one_line, preview};
use crate::codec::{self, Handle, Value};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, WaitEnd, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// The target name of a pool worker (not a valid script function name).
pub const POOL_WORKER: &str = "<pool worker>";

/// `c` of a pool's `task_done` record (a queue's has 0).
pub const POOL_TASK_DONE: i64 = 1;

pub const RUNNING: u64 = 0;
pub const CLOSED: u64 = 1;
pub const TERMINATED: u64 = 2;

const PENDING: usize = 2;
const STATE: usize = 3;

/// One task in the pool's queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub func: String,
    pub args: Vec<Value>,
    /// The AsyncResult it fills, and which part of it.
    pub result: u32,
    pub index: u32,
}

impl Task {
    pub fn preview(&self) -> String {
        let args = preview(&Value::Array(self.args.clone()));
        // The list's brackets off; a long list ends with '…', not ']'.
        let inner = args.strip_prefix('[').unwrap_or(&args);
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        one_line(&format!("{}({inner})", self.func))
    }
}

/// What a step of `pool.join()` ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinStep {
    /// Every worker has ended.
    Done,
    /// A result with a callback is ready: run the callbacks, then join again.
    Callbacks,
}

impl LaneRuntime {
    fn pool_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Pool)
    }

    fn pool_fifo(&self, slot: &'static ResourceSlot) -> Fifo<'static> {
        Fifo::new(self.v, &slot.aux[0], &slot.aux[1])
    }

    /// `Pool(n)`: the pool's id and its workers' lanes (Rhai workers).
    pub fn pool_new(&self, n: i64, line: u32) -> LessonResult<(u32, Vec<u32>)> {
        let id = self.pool_create(n, line)?;
        let mut lanes = Vec::with_capacity(n as usize);
        for i in 0..n {
            let (identity, _) = self.new_child_identity();
            let name = format!("ForkPoolWorker-{}", identity.last().copied().unwrap_or(0));
            let args = vec![Value::Handle(Handle::Resource { kind: ResKind::Pool as u32, id }), Value::Int(i)];
            let (lane, _pid) = self.process_start(POOL_WORKER, args, identity, &name, true, line)?;
            lanes.push(lane);
        }
        self.pool_started(id, &lanes);
        Ok((id, lanes))
    }

    /// The pool itself, before its workers: a front-end then starts `n`
    /// daemonic workers its own way and calls [`LaneRuntime::pool_started`].
    pub fn pool_create(&self, n: i64, line: u32) -> LessonResult<u32> {
        if n < 1 {
            return Err(LessonError::value("Number of processes must be at least 1"));
        }
        if n > 256 {
            return Err(LessonError::value("at most 256 pool workers"));
        }
        self.set_line(line);
        self.new_resource(ResKind::Pool, None, n, |s| {
            Fifo::init(&s.aux[0], &s.aux[1]);
            s.aux[PENDING].store(0, Relaxed);
            s.aux[STATE].store(RUNNING, Relaxed);
            s.count.store(0, Relaxed);
        })
    }

    /// Records the pool's start, with its workers' lanes.
    pub fn pool_started(&self, id: u32, lanes: &[u32]) {
        let list: Vec<String> = lanes.iter().map(u32::to_string).collect();
        self.record_op(Op::Start, id, NONE, lanes.len() as i64, 0, 0, Some(&list.join(",")));
    }

    /// Submits tasks: `apply`, `apply_async` (one task) or `map` (one per
    /// item). Returns the AsyncResult's id.
    pub fn pool_submit(&self, id: u32, op: Op, func: &str, calls: Vec<Vec<Value>>, callback: bool, line: u32) -> LessonResult<u32> {
        let slot = self.pool_slot(id)?;
        self.enter_op(op, line);
        if slot.aux[STATE].load(Acquire) != RUNNING {
            return Err(LessonError::value("Pool not running"));
        }
        for args in &calls {
            self.ipc_check_sendable(args)?;
        }
        let parts = calls.len() as i64;
        let is_map = op == Op::Map;
        let rid = self.new_resource(ResKind::AsyncResult, None, parts, |s| {
            Fifo::init(&s.aux[0], &s.aux[1]);
            s.count.store(0, Relaxed);
            s.aux[CALLBACK].store(callback as u64, Relaxed);
            s.aux[POOL].store(id as u64, Relaxed);
            s.aux[IS_MAP].store(is_map as u64, Relaxed);
        })?;
        let detail = match (is_map, calls.first()) {
            (true, _) => format!("{func} over {parts} items"),
            (false, Some(args)) => Task { func: func.into(), args: args.clone(), result: rid, index: 0 }.preview(),
            (false, None) => format!("{func}()"),
        };
        let mut encoded = Vec::with_capacity(calls.len());
        let mut all = Vec::new();
        for (index, args) in calls.into_iter().enumerate() {
            let bytes = codec::encode(&Task { func: func.to_string(), args, result: rid, index: index as u32 })?;
            all.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            all.extend_from_slice(&bytes);
            let chain = self.v.write_chain(&bytes);
            match chain {
                Ok(c) => encoded.push((c, bytes.len() as u32)),
                Err(e) => {
                    encoded.iter().for_each(|(c, _)| self.v.free_chain(*c));
                    return Err(e.into());
                }
            }
        }
        let _g = Guard::new(&slot.mutex, self.lane);
        let fifo = self.pool_fifo(slot);
        let mut handed = Vec::new();
        for (chain, len) in encoded {
            match waitq::pop(&self.v, &slot.waiters[0]) {
                Some(worker) => {
                    self.give(worker, id, Some((chain, len)));
                    slot.count.fetch_add(1, Relaxed);
                    handed.push(worker);
                }
                None => {
                    fifo.push_chain(chain, len).inspect_err(|_| self.v.free_chain(chain))?;
                    slot.aux[PENDING].fetch_add(1, Relaxed);
                }
            }
        }
        slot.version.fetch_add(1, Release);
        let d = (bytes_digest(&all) & !1) | callback as i64;
        self.record_op_d(op, id, NONE, slot.aux[PENDING].load(Relaxed) as i64, slot.count.load(Relaxed), parts, if d == 0 { 2 } else { d }, Some(&detail));
        for worker in handed {
            self.record_wake(Op::Get, id, worker);
            self.v.wake_lane(worker);
        }
        Ok(rid)
    }

    /// A worker takes its next task (`None`: the pool is closed and empty, stop).
    pub fn pool_take(&self, id: u32) -> LessonResult<Option<Task>> {
        let slot = self.pool_slot(id)?;
        self.enter_op(Op::Get, 0);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            if let Some(item) = self.pool_fifo(slot).pop_bytes() {
                slot.aux[PENDING].fetch_sub(1, Relaxed);
                slot.count.fetch_add(1, Relaxed);
                slot.version.fetch_add(1, Release);
                let bytes = item.ok_or_else(|| LessonError::os("a pool task in shared memory is unreadable"))?;
                let task: Task = codec::decode(&bytes)?;
                self.record_op_d(Op::Get, id, NONE, slot.aux[PENDING].load(Relaxed) as i64, slot.count.load(Relaxed), 0, bytes_digest(&bytes), Some(&task.preview()));
                return Ok(Some(task));
            }
            if slot.aux[STATE].load(Relaxed) != RUNNING {
                self.record_op(Op::Get, id, NONE, 0, slot.count.load(Relaxed), -1, Some("stop"));
                return Ok(None);
            }
            self.expect_handoff();
            waitq::push(&self.v, &slot.waiters[0], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(Op::Get, id, NONE, NONE, false);
        }
        self.wait_until_uninterrupted(Op::Get, id, NONE, None, || self.handed(id));
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        let (pending, running) = (slot.aux[PENDING].load(Relaxed) as i64, slot.count.load(Relaxed));
        match self.take_mailbox() {
            None => {
                self.record_op(Op::Get, id, NONE, pending, running, -1, Some("stop"));
                Ok(None)
            }
            Some((first, len)) => {
                let bytes = self.v.read_chain(first, len);
                self.v.free_chain(first);
                let bytes = bytes.ok_or_else(|| LessonError::os("a pool task in shared memory is unreadable"))?;
                let task: Task = codec::decode(&bytes)?;
                self.record_op_d(Op::Get, id, NONE, pending, running, 1, bytes_digest(&bytes), Some(&task.preview()));
                Ok(Some(task))
            }
        }
    }

    /// A worker stores a task's outcome in its result and tells the pool.
    pub fn pool_finish(&self, id: u32, task: &Task, outcome: Result<Value, String>) -> LessonResult<()> {
        let pool = self.pool_slot(id)?;
        let res = self.slot(task.result, ResKind::AsyncResult)?;
        self.enter_op(Op::Put, 0);
        let detail = match &outcome {
            Ok(v) => preview(v),
            // A front-end may carry more after a NUL (Python: the pickled exception).
            Err(e) => one_line(e.split('\0').next().unwrap_or("")),
        };
        let bytes = codec::encode(&ResultPart { index: task.index, outcome })?;
        // A value that cannot be stored fails the task, not the pool: its
        // result raises the error in `get()` (CPython's pool sends a result
        // it cannot pickle back as an error too), and whoever waits for it
        // is not left waiting for ever.
        let (chain, len, detail, digest) = match self.v.write_chain(&bytes) {
            Ok(chain) => (chain, bytes.len() as u32, detail, bytes_digest(&bytes)),
            Err(e) => {
                let e = LessonError::from(e).to_string();
                let bytes = codec::encode(&ResultPart { index: task.index, outcome: Err(e.clone()) })?;
                (self.v.write_chain(&bytes)?, bytes.len() as u32, one_line(&e), bytes_digest(&bytes))
            }
        };
        let wake_creator = {
            let _g = Guard::new(&res.mutex, self.lane);
            Fifo::new(self.v, &res.aux[0], &res.aux[1]).push_chain(chain, len).inspect_err(|_| self.v.free_chain(chain))?;
            let done = res.count.fetch_add(1, Relaxed) + 1;
            let parts = res.capacity.load(Relaxed);
            res.version.fetch_add(1, Release);
            self.record_op_d(Op::Put, task.result, NONE, done, parts, 0, digest, Some(&detail));
            let ready = done >= parts;
            if ready {
                while let Some(w) = waitq::pop(&self.v, &res.waiters[0]) {
                    self.give(w, task.result, None);
                    self.record_wake(Op::ResultGet, task.result, w);
                    self.v.wake_lane(w);
                }
            }
            (ready && res.aux[CALLBACK].load(Relaxed) == 1).then(|| res.creator.load(Relaxed))
        };
        let _g = Guard::new(&pool.mutex, self.lane);
        let running = (pool.count.load(Relaxed) - 1).max(0);
        pool.count.store(running, Relaxed);
        pool.version.fetch_add(1, Release);
        self.record_op(Op::TaskDone, id, NONE, pool.aux[PENDING].load(Relaxed) as i64, running, POOL_TASK_DONE, None);
        // The submitter waiting in join() runs the callback now.
        if let Some(creator) = wake_creator
            && waitq::remove(&self.v, &pool.waiters[1], creator)
        {
            self.give(creator, id, None);
            self.record_wake(Op::PoolJoin, id, creator);
            self.v.wake_lane(creator);
        }
        Ok(())
    }

    /// The tasks pending or running (a query: no op; a front-end that
    /// replaces workers asks it once the pool is closed).
    pub fn pool_work(&self, id: u32) -> LessonResult<i64> {
        let slot = self.pool_slot(id)?;
        let _g = Guard::new(&slot.mutex, self.lane);
        Ok(slot.aux[PENDING].load(Relaxed) as i64 + slot.count.load(Relaxed))
    }

    /// `pool.close()`: no more tasks; idle workers stop, busy ones finish the queue first.
    pub fn pool_close(&self, id: u32, line: u32) -> LessonResult<()> {
        let slot = self.pool_slot(id)?;
        self.enter_op(Op::PoolClose, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        if slot.aux[STATE].load(Relaxed) == RUNNING {
            slot.aux[STATE].store(CLOSED, Release);
        }
        slot.version.fetch_add(1, Release);
        self.record_op(Op::PoolClose, id, NONE, slot.aux[PENDING].load(Relaxed) as i64, slot.count.load(Relaxed), 0, None);
        while let Some(w) = waitq::pop(&self.v, &slot.waiters[0]) {
            self.give(w, id, None);
            self.record_wake(Op::Get, id, w);
            self.v.wake_lane(w);
        }
        Ok(())
    }

    /// `pool.terminate()`: drops the pending tasks and ends every worker (SIGTERM).
    pub fn pool_terminate(&self, id: u32, workers: &[u32], line: u32) -> LessonResult<()> {
        let slot = self.pool_slot(id)?;
        self.enter_op(Op::PoolTerminate, line);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            slot.aux[STATE].store(TERMINATED, Release);
            self.pool_fifo(slot).clear();
            slot.aux[PENDING].store(0, Relaxed);
            slot.version.fetch_add(1, Release);
            self.record_op(Op::PoolTerminate, id, NONE, 0, slot.count.load(Relaxed), 0, None);
        }
        let children = self.family().children.clone();
        for c in children.iter().filter(|c| workers.contains(&c.lane) && c.reaped.is_none()) {
            let Some(l) = self.v.lane(c.lane) else { continue };
            if l.ended.load(Acquire) == 0 {
                l.kill_pending.store(1, Release);
                crate::sys::kill(c.pid, libc::SIGTERM);
                // Stepping: the workers' ends belong to this step, one after
                // the other in lane order, so that a replay sees them so too.
                self.settle_on(|| l.ended.load(Acquire) != 0);
            }
        }
        Ok(())
    }

    /// One step of `pool.join()`: waits until every worker has ended, or a
    /// result in `callbacks` is ready (its callback must run first).
    pub fn pool_join_step(&self, id: u32, workers: &[u32], callbacks: &[u32], line: u32) -> LessonResult<JoinStep> {
        let slot = self.pool_slot(id)?;
        self.enter_op(Op::PoolJoin, line);
        if slot.aux[STATE].load(Acquire) == RUNNING {
            return Err(LessonError::value("Pool is still running"));
        }
        let callback_ready = || callbacks.iter().any(|r| self.v.resource(*r).is_some_and(Self::result_is_ready));
        let ended = |w: u32| self.v.lane(w).is_none_or(|l| l.ended.load(Acquire) != 0);
        for &w in workers {
            if ended(w) {
                continue;
            }
            {
                let _g = Guard::new(&slot.mutex, self.lane);
                // Checked under the pool's mutex: a worker finishing a task
                // stores the result, then takes this mutex to wake us.
                if callback_ready() {
                    return Ok(JoinStep::Callbacks);
                }
                self.expect_handoff();
                waitq::push(&self.v, &slot.waiters[1], self.lane);
                slot.version.fetch_add(1, Release);
                self.record_block(Op::PoolJoin, id, w, NONE, false);
            }
            // The status names the worker joined: its end wakes us (we are its
            // parent). Only a signal for the main thread ends it early (the
            // join is left and made again once the handler returned).
            let end = self.wait_until(Op::Join, id, w, None, || self.handed(id) || ended(w));
            let handed = {
                let _g = Guard::new(&slot.mutex, self.lane);
                self.handed(id) || {
                    waitq::remove(&self.v, &slot.waiters[1], self.lane);
                    false
                }
            };
            self.take_mailbox();
            self.set_state(ProcState::Running, None, NONE, NONE, 0);
            if handed {
                return Ok(JoinStep::Callbacks);
            }
            if end != WaitEnd::Done && !ended(w) {
                return Err(LessonError::new("InterruptedError", "a signal interrupted the wait"));
            }
        }
        for &w in workers {
            self.reap_child(w);
        }
        self.record_op(Op::PoolJoin, id, NONE, slot.aux[PENDING].load(Relaxed) as i64, slot.count.load(Relaxed), workers.len() as i64, None);
        Ok(JoinStep::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_preview_reads_like_a_call() {
        let t = Task { func: "task".into(), args: vec![Value::Int(3), Value::Str("x".into())], result: 0, index: 0 };
        assert_eq!(t.preview(), "task(3, 'x')");
    }

    #[test]
    fn a_long_task_preview_is_cut_on_a_character() {
        // A pool task given a manager's proxy: its long repr is cut with '…'.
        let long = "<AutoProxy[Queue] object, typeid 'Queue' at 0x7f58ed979b10> ".repeat(4);
        let t = Task { func: "writer".into(), args: vec![Value::Str(long)], result: 0, index: 0 };
        let p = t.preview();
        assert!(p.starts_with("writer('<AutoProxy[Queue]") && p.contains('…'), "{p}");
    }
}
