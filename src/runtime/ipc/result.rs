//! `AsyncResult`: what `apply`, `apply_async` and `map` return — filled by
//! the pool's workers (`LaneRuntime::pool_finish`), read by the submitter.
//!
//! AsyncResult slot (one per `apply`/`apply_async`, one per `map`):
//! `capacity` = parts (1, or the map's length); `count` = parts done;
//! `aux[0..2]` = the parts [`Fifo`] (each `(index, value or error text)`);
//! `aux[2]` = 1 if a callback waits for it; `aux[3]` = the pool; `aux[4]` = 1
//! for a map (its value is the list of parts); `creator` = the submitter.
//! `waiters[0]` = processes in `get()`.
//!
//! A worker's error travels as text (`Kind: message`) and `get()` raises it
//! again with its type, as Python's pool does.

use std::sync::atomic::Ordering::*;

use serde::{Deserialize, Serialize};

use super::fifo::Fifo;
use super::{one_line, preview};
use crate::codec::{self, Value};
use crate::runtime::{LessonError, LessonResult, LaneRuntime, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

pub(crate) const CALLBACK: usize = 2;
pub(crate) const POOL: usize = 3;
pub(crate) const IS_MAP: usize = 4;

/// One finished part of a result: the function's value, or its error (`Kind: message`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultPart {
    pub index: u32,
    pub outcome: Result<Value, String>,
}

/// An error text stored by a worker, raised again in the submitter.
fn reraise(text: &str) -> LessonError {
    match text.split_once(": ") {
        Some((kind, msg)) if !kind.contains(' ') => LessonError::new(kind, msg),
        _ => LessonError::new(text, ""),
    }
}

impl LaneRuntime {
    pub(crate) fn result_is_ready(slot: &ResourceSlot) -> bool {
        slot.count.load(Acquire) >= slot.capacity.load(Relaxed)
    }

    /// The value of a ready result (parts in order; the first error raised).
    fn result_value(&self, rid: u32, slot: &'static ResourceSlot) -> LessonResult<Value> {
        let items = {
            let _g = Guard::new(&slot.mutex, self.lane);
            Fifo::new(self.v, &slot.aux[0], &slot.aux[1]).peek_all()
        };
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            let bytes = item.ok_or_else(|| LessonError::os(format!("result {rid} in shared memory is unreadable")))?;
            parts.push(codec::decode::<ResultPart>(&bytes)?);
        }
        parts.sort_by_key(|p| p.index);
        let mut values = Vec::with_capacity(parts.len());
        for p in parts {
            values.push(p.outcome.map_err(|e| reraise(&e))?);
        }
        if slot.aux[IS_MAP].load(Relaxed) == 1 {
            Ok(Value::Array(values))
        } else {
            values.pop().ok_or_else(|| LessonError::runtime("a ready result without its value"))
        }
    }

    /// `r.get()` / `r.get(secs)` (and the wait inside `apply` and `map`).
    pub fn result_get(&self, rid: u32, timeout: Option<f64>, line: u32) -> LessonResult<Value> {
        let slot = self.slot(rid, ResKind::AsyncResult)?;
        self.enter_op(Op::ResultGet, line);
        let waited = {
            let _g = Guard::new(&slot.mutex, self.lane);
            if Self::result_is_ready(slot) {
                false
            } else {
                if timeout.is_some_and(|t| t <= 0.0) {
                    self.record_op(Op::ResultGet, rid, NONE, 0, 0, -1, Some("TimeoutError"));
                    return Err(LessonError::new("TimeoutError", ""));
                }
                self.expect_handoff();
                waitq::push(&self.v, &slot.waiters[0], self.lane);
                slot.version.fetch_add(1, Release);
                self.record_block(Op::ResultGet, rid, NONE, NONE, timeout.is_some());
                true
            }
        };
        if waited {
            self.wait_until(Op::ResultGet, rid, NONE, timeout, || self.handed(rid));
            let ok = {
                let _g = Guard::new(&slot.mutex, self.lane);
                self.handed(rid) || {
                    waitq::remove(&self.v, &slot.waiters[0], self.lane);
                    slot.version.fetch_add(1, Release);
                    self.record_timeout(Op::ResultGet, rid, NONE);
                    false
                }
            };
            self.take_mailbox();
            self.set_state(ProcState::Running, None, NONE, NONE, 0);
            if !ok {
                self.record_op(Op::ResultGet, rid, NONE, 0, 0, -1, Some("TimeoutError"));
                return Err(LessonError::new("TimeoutError", ""));
            }
        }
        let value = self.result_value(rid, slot);
        let detail = match &value {
            Ok(v) => preview(v),
            Err(e) => one_line(e.to_string().split('\0').next().unwrap_or("")),
        };
        self.record_op(Op::ResultGet, rid, NONE, 1, 0, waited as i64, Some(&detail));
        value
    }

    /// `r.ready()`.
    pub fn result_ready(&self, rid: u32, line: u32) -> LessonResult<bool> {
        let slot = self.slot(rid, ResKind::AsyncResult)?;
        self.enter_op(Op::Ready, line);
        let ready = Self::result_is_ready(slot);
        self.record_op(Op::Ready, rid, NONE, ready as i64, 0, 0, None);
        Ok(ready)
    }

    /// For callbacks: the value of `rid` if it is ready (no op, no record).
    pub fn result_if_ready(&self, rid: u32) -> Option<LessonResult<Value>> {
        let slot = self.slot(rid, ResKind::AsyncResult).ok()?;
        Self::result_is_ready(slot).then(|| self.result_value(rid, slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_errors_are_raised_again_with_their_type() {
        assert_eq!(reraise("ZeroDivisionError: division by zero"), LessonError::new("ZeroDivisionError", "division by zero"));
        assert_eq!(reraise("queue.Empty"), LessonError::new("queue.Empty", ""));
        assert_eq!(reraise("something odd: here").kind, "something odd: here");
    }
}
