//! Communication between processes, each in its own file: Queue /
//! JoinableQueue ([`queue`]), Pipe ([`pipe`]; Python's connections are on
//! real descriptors, [`conn`]), Pool ([`pool`], with the
//! workers' loop in `crate::script::pool_worker`) and AsyncResult ([`result`]), sockets
//! ([`socket`]), and the waits of `concurrent.futures` on its own threading
//! objects while stepping ([`libwait`]). Values travel as `codec` bytes in the segment's data blocks
//! ([`fifo`]), of any size: the data area grows and big values spill into
//! objects of their own (`crate::shm::companion`), so only memory caps them,
//! and a value that cannot be stored is a `MemoryError` where it is sent.
//!
//! The pattern is the Lock's (see `runtime::lock`): waiters queue FIFO in the
//! resource slot; whoever makes the wait end pops the first waiter, records
//! the op and a `Wake` while holding the slot's mutex, hands over what the
//! waiter waits for — a value goes into the waiter's lane *mailbox*
//! (`mailbox_block`/`mailbox_len`), then `handoff` is set to the resource id +
//! 1 — and wakes it. An *empty* hand-off (no mailbox) means "no value, stop
//! waiting" (end of file, pool closed). So who gets which item depends only on
//! the order of arrival, which the schedule fixes.
//!
//! Some waits need a third queue (a JoinableQueue's `join`, a pipe's `poll`):
//! it lives in a *hidden* slot of the same kind, made the first time someone
//! waits there and named after the resource, guarded by the resource's own
//! mutex. No record announces
//! it; every record names the resource itself.

pub mod conn;
pub mod fifo;
pub mod libwait;
pub mod net;
pub mod pipe;
pub mod pool;
pub mod queue;
pub mod result;
pub mod socket;

use std::sync::atomic::Ordering::*;

use super::{LessonError, LessonResult, LaneRuntime};
use crate::codec::{self, Value};
use crate::shm::layout::{NONE, ResourceSlot};
use crate::shm::record::ResKind;

/// Most characters of a value preview in records (the dashboard's item lists).
pub const PREVIEW: usize = 40;

/// A value as Python's `repr` would show it, on one line, cut to [`PREVIEW`]
/// characters: `'包子0'`, `None`, `[1, 2]`, `{'k': True}`.
pub fn preview(v: &Value) -> String {
    fn go(v: &Value, out: &mut String) {
        match v {
            Value::Unit => out.push_str("None"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&format!("{f:?}")),
            Value::Char(c) => out.push_str(&format!("'{c}'")),
            Value::Str(s) => {
                out.push('\'');
                out.push_str(s);
                out.push('\'');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    go(x, out);
                    if out.chars().count() > PREVIEW {
                        break;
                    }
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&format!("'{k}': "));
                    go(x, out);
                    if out.chars().count() > PREVIEW {
                        break;
                    }
                }
                out.push('}');
            }
            Value::Blob(b) => out.push_str(&format!("b<{} bytes>", b.len())),
            Value::Handle(h) => out.push_str(&format!("<{h:?}>")),
            Value::Pickled { repr, .. } => out.push_str(repr),
        }
    }
    let mut s = String::new();
    go(v, &mut s);
    one_line(&s)
}

/// `s` on one line (no tabs or newlines: records use them as separators), cut
/// to [`PREVIEW`] characters with an ellipsis.
pub fn one_line(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c == '\t' || c == '\n' || c == '\r' { ' ' } else { c }).collect();
    if flat.chars().count() > PREVIEW {
        let mut cut: String = flat.chars().take(PREVIEW - 1).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

/// A digest of a queue item (its pickled bytes, for a Python object; its
/// encoding otherwise), never 0: what explore's state key holds of an item
/// (`RecordKind::Op`'s `d`; a preview is cut short and a repr can hide
/// what differs). FNV-1a: the same in every run.
pub fn item_digest(v: &Value) -> i64 {
    match v {
        Value::Pickled { bytes, .. } => bytes_digest(bytes),
        other => codec::encode(other).map_or(1, |b| bytes_digest(&b)),
    }
}

/// FNV-1a of `bytes`, never 0 (a pool task's or result part's encoding:
/// see `pool`), the same in every run.
pub fn bytes_digest(bytes: &[u8]) -> i64 {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3));
    if h == 0 { 1 } else { h as i64 }
}

/// Decodes an item read from the data area.
pub fn decode_item(bytes: Option<Vec<u8>>) -> LessonResult<Value> {
    let bytes = bytes.ok_or_else(|| LessonError::os("an item in shared memory is unreadable (its blocks are broken)"))?;
    Ok(codec::decode::<Value>(&bytes)?)
}

/// Capacity of a hidden slot.
pub const HIDDEN: i64 = -1;

/// Token a waker leaves in a waiter's `handoff` word for resource `id`.
pub fn token(id: u32) -> u32 {
    id.wrapping_add(1)
}

impl LaneRuntime {
    /// Hands a value chain (or nothing) to lane `to` for resource `id`: fills
    /// its mailbox, then sets its `handoff`. Call under the resource's mutex,
    /// with `to` popped from the resource's waiters; record the `Wake`, then
    /// call `v.wake_lane(to)`.
    pub(crate) fn give(&self, to: u32, id: u32, chain: Option<(u32, u32)>) {
        let Some(l) = self.v.lane(to) else { return };
        let (first, len) = chain.unwrap_or((NONE, 0));
        l.mailbox_len.store(len, Relaxed);
        l.mailbox_block.store(first, Release);
        l.handoff.store(token(id), Release);
    }

    /// Whether this lane was handed resource `id` (the `done` test of a wait).
    pub(crate) fn handed(&self, id: u32) -> bool {
        self.me.handoff.load(Acquire) == token(id)
    }

    /// Prepares this lane to wait for a hand-off: clears `handoff` and the mailbox.
    pub(crate) fn expect_handoff(&self) {
        self.me.handoff.store(0, Relaxed);
        self.me.mailbox_len.store(0, Relaxed);
        self.me.mailbox_block.store(NONE, Relaxed);
    }

    /// Takes what was handed to this lane: the value chain (owned by the
    /// caller now), or `None` for an empty hand-off. Clears the hand-off.
    pub(crate) fn take_mailbox(&self) -> Option<(u32, u32)> {
        let first = self.me.mailbox_block.swap(NONE, Acquire);
        let len = self.me.mailbox_len.swap(0, Relaxed);
        self.me.handoff.store(0, Relaxed);
        (first != NONE || len != 0).then_some((first, len))
    }

    /// Reads and frees a value chain someone handed over.
    pub(crate) fn read_handed(&self, chain: (u32, u32)) -> LessonResult<Value> {
        let bytes = self.v.read_chain(chain.0, chain.1);
        self.v.free_chain(chain.0);
        decode_item(bytes)
    }

    /// A hidden slot for a third queue of waiters (see the module docs). Its
    /// capacity is [`HIDDEN`], which tells it from a real resource of its kind.
    fn hidden_slot(&self, kind: ResKind, of: u32) -> LessonResult<u32> {
        let name = format!("{} (waiters)", self.v.resource(of).map(|s| s.name.get()).unwrap_or_default());
        Ok(self.v.alloc_resource(kind, &name, self.lane, HIDDEN, |_| {})?)
    }

    /// The hidden slot whose id `word` holds, made on first use (so resources
    /// that never need one do not take a slot). Under the resource's mutex.
    pub(crate) fn hidden_or_make(&self, word: &std::sync::atomic::AtomicU64, kind: ResKind, of: u32) -> LessonResult<&'static ResourceSlot> {
        if let Some(s) = self.hidden(word) {
            return Ok(s);
        }
        let id = self.hidden_slot(kind, of)?;
        word.store(id as u64, Release);
        self.v.resource(id).ok_or_else(|| LessonError::runtime("a new resource slot is out of range"))
    }

    /// The slot behind an `aux` word holding a hidden slot's id.
    pub(crate) fn hidden(&self, word: &std::sync::atomic::AtomicU64) -> Option<&'static ResourceSlot> {
        let id = word.load(Relaxed);
        if id > u32::MAX as u64 { None } else { self.v.resource(id as u32) }
    }

    /// Python's exit, as far as communication goes: the process's pipe ends
    /// and sockets close (like its file descriptors would), waking whoever
    /// waits for the end of file. Called once the process's code and exit
    /// handling are over.
    pub fn ipc_at_exit(&self) {
        self.pipe_release_all();
        self.sock_release_all();
    }

    /// Refuses to send `values` (to a child, in a queue or a pipe) if one of
    /// them is a pipe end this process has closed, or a socket it cannot use
    /// — Python cannot pickle a closed connection either.
    pub fn ipc_check_sendable(&self, values: &[Value]) -> LessonResult<()> {
        let mut stack: Vec<&Value> = values.iter().collect();
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(a) => stack.extend(a.iter()),
                Value::Map(m) => stack.extend(m.values()),
                Value::Handle(codec::Handle::PipeEnd { id, end, .. }) if !self.pipe_holds(*id, *end) => return Err(LessonError::os("handle is closed")),
                Value::Handle(codec::Handle::Socket { fd, .. }) if *fd < 0 => return Err(net::bad_fd()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Before a `fork` (Python's fork start method): the child holds every
    /// pipe end and socket this process holds, as a forked child has a copy
    /// of every descriptor. Not an op: part of the start.
    pub fn ipc_inherit_all(&self, child: u32) {
        self.sock_inherit_all();
        for id in 0..self.v.resources_in_use() {
            let Some(slot) = self.v.resource(id) else { continue };
            if slot.kind.load(Acquire) != ResKind::Pipe as u32 {
                continue;
            }
            for end in 0..2u8 {
                if self.pipe_holds(id, end) {
                    self.pipe_adopt_for(id, end, child);
                }
            }
        }
    }

    /// Before starting a child with `args`: it will hold every pipe end among
    /// them from the start (as an inherited descriptor would), and inherit
    /// every socket. Returns the socket descriptors to keep open across exec.
    pub fn ipc_before_spawn(&self, child: u32, args: &[Value]) -> Vec<i32> {
        let mut fds = Vec::new();
        let mut stack: Vec<&Value> = args.iter().collect();
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(a) => stack.extend(a.iter()),
                Value::Map(m) => stack.extend(m.values()),
                Value::Handle(codec::Handle::PipeEnd { id, end, .. }) => self.pipe_adopt_for(*id, *end, child),
                Value::Handle(codec::Handle::Socket { fd, id, .. }) if *fd >= 0 && !fds.contains(fd) => {
                    self.sock_share(*id);
                    fds.push(*fd);
                }
                _ => {}
            }
        }
        fds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_read_like_python_repr() {
        assert_eq!(preview(&Value::Str("包子0".into())), "'包子0'");
        assert_eq!(preview(&Value::Unit), "None");
        assert_eq!(preview(&Value::Array(vec![Value::Int(1), Value::Bool(true), Value::Float(0.5)])), "[1, True, 0.5]");
        assert_eq!(preview(&Value::Map([("k".to_string(), Value::Unit)].into())), "{'k': None}");
        let long = preview(&Value::Str("x\ty\n".repeat(30)));
        assert_eq!(long.chars().count(), PREVIEW);
        assert!(long.ends_with('…') && !long.contains('\t') && !long.contains('\n'));
    }
}
