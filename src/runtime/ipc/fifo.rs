//! A FIFO of encoded values kept in the segment's data blocks, for queues,
//! pipes, the pool's tasks and a result's parts.
//!
//! Each item is two chains: the value's bytes (any length, `View::write_chain`)
//! and a one-block *node* holding the value chain's first block and length. The
//! node's own `Block::next` word — unused by a one-block chain — links it to
//! the next item's node. The list's head and tail node indices live in two of
//! the owning resource's `aux` words (`NONE` when empty), so push and pop are
//! O(1) whatever the queue's length.
//!
//! Contract: every call is made while holding the owning resource's mutex; the
//! words are initialised to `NONE` by [`Fifo::init`] when the resource is made.
//! A node is unlinked (its `next` reset to `NONE`) before it is freed, so
//! freeing it never frees the items behind it. Every walk is bounded by the
//! block count, and a broken node reads as `None`: another process's bug can
//! make an item unreadable, never make this one loop or read out of bounds.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::*;

use crate::shm::layout::NONE;
use crate::shm::{ShmError, View};

/// Node payload: value chain's first block, then its length (little endian).
const NODE_LEN: u32 = 8;

/// A FIFO whose head and tail node indices are two `aux` words of a resource.
#[derive(Clone, Copy, Debug)]
pub struct Fifo<'a> {
    v: View<'a>,
    head: &'a AtomicU64,
    tail: &'a AtomicU64,
}

fn idx(w: &AtomicU64) -> u32 {
    let x = w.load(Relaxed);
    if x > u32::MAX as u64 { NONE } else { x as u32 }
}

impl<'a> Fifo<'a> {
    pub fn new(v: View<'a>, head: &'a AtomicU64, tail: &'a AtomicU64) -> Fifo<'a> {
        Fifo { v, head, tail }
    }

    /// Makes the list empty (for a new resource: `aux` words start at 0, a valid block index).
    pub fn init(head: &AtomicU64, tail: &AtomicU64) {
        head.store(NONE as u64, Relaxed);
        tail.store(NONE as u64, Relaxed);
    }

    pub fn is_empty(&self) -> bool {
        idx(self.head) == NONE
    }

    /// Appends a value's bytes.
    pub fn push_bytes(&self, bytes: &[u8]) -> Result<(), ShmError> {
        let first = self.v.write_chain(bytes)?;
        self.push_chain(first, bytes.len() as u32).inspect_err(|_| self.v.free_chain(first))
    }

    /// Appends a value chain someone else wrote (a blocked putter's mailbox):
    /// the list takes it over.
    pub fn push_chain(&self, first: u32, len: u32) -> Result<(), ShmError> {
        let mut payload = [0u8; NODE_LEN as usize];
        payload[..4].copy_from_slice(&first.to_le_bytes());
        payload[4..].copy_from_slice(&len.to_le_bytes());
        let node = self.v.write_chain(&payload)?;
        let tail = idx(self.tail);
        match self.v.block(tail) {
            Some(t) if tail != NONE => t.next.store(node, Release),
            _ => self.head.store(node as u64, Relaxed),
        }
        self.tail.store(node as u64, Relaxed);
        Ok(())
    }

    /// The value chain a node points at.
    fn node_value(&self, node: u32) -> Option<(u32, u32)> {
        let b = self.v.read_chain(node, NODE_LEN)?;
        let first = u32::from_le_bytes(b[..4].try_into().ok()?);
        let len = u32::from_le_bytes(b[4..].try_into().ok()?);
        Some((first, len))
    }

    /// Unlinks the oldest item and returns its value chain (first block,
    /// length), which the caller now owns (read it, then free it, or hand it
    /// on). `None` when empty or broken (a broken list is emptied).
    pub fn pop_chain(&self) -> Option<(u32, u32)> {
        let node = idx(self.head);
        if node == NONE {
            return None;
        }
        let Some(block) = self.v.block(node) else {
            Fifo::init(self.head, self.tail);
            return None;
        };
        let next = block.next.load(Acquire);
        let value = self.node_value(node);
        self.head.store(next as u64, Relaxed);
        if next == NONE {
            self.tail.store(NONE as u64, Relaxed);
        }
        block.next.store(NONE, Relaxed);
        self.v.free_chain(node);
        value
    }

    /// Pops the oldest item's bytes (and frees its blocks). `Some(None)`: an
    /// item was there but its bytes are unreadable.
    pub fn pop_bytes(&self) -> Option<Option<Vec<u8>>> {
        let (first, len) = self.pop_chain()?;
        let bytes = self.v.read_chain(first, len);
        self.v.free_chain(first);
        Some(bytes)
    }

    /// Every item's bytes, oldest first, without removing them.
    pub fn peek_all(&self) -> Vec<Option<Vec<u8>>> {
        let mut out = Vec::new();
        let mut node = idx(self.head);
        for _ in 0..self.v.block_capacity() {
            if node == NONE {
                break;
            }
            let Some(block) = self.v.block(node) else { break };
            out.push(self.node_value(node).and_then(|(f, l)| self.v.read_chain(f, l)));
            node = block.next.load(Acquire);
        }
        out
    }

    /// Frees every item.
    pub fn clear(&self) {
        for _ in 0..self.v.block_capacity() {
            let Some((first, _)) = self.pop_chain() else { break };
            self.v.free_chain(first);
        }
        Fifo::init(self.head, self.tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::Segment;
    use crate::shm::layout::Geometry;

    #[test]
    fn fifo_order_long_values_and_no_leaks() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 8, resources: 2, blocks: 64 }).unwrap();
        let v = seg.view();
        let r = v.resource(0).unwrap();
        Fifo::init(&r.aux[0], &r.aux[1]);
        let f = Fifo::new(v, &r.aux[0], &r.aux[1]);
        assert!(f.is_empty());
        let long: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        f.push_bytes(b"one").unwrap();
        f.push_bytes(&long).unwrap();
        f.push_bytes(b"three").unwrap();
        assert_eq!(f.peek_all().len(), 3);
        assert_eq!(f.pop_bytes(), Some(Some(b"one".to_vec())));
        assert_eq!(f.pop_bytes(), Some(Some(long.clone())));
        f.push_bytes(b"four").unwrap();
        assert_eq!(f.peek_all(), vec![Some(b"three".to_vec()), Some(b"four".to_vec())]);
        assert_eq!(f.pop_bytes(), Some(Some(b"three".to_vec())));
        assert_eq!(f.pop_bytes(), Some(Some(b"four".to_vec())));
        assert_eq!(f.pop_bytes(), None);
        assert!(f.is_empty());
        assert_eq!(v.control().blocks_used.load(Relaxed), 0, "every block went back");
        f.push_bytes(b"x").unwrap();
        f.push_bytes(&long).unwrap();
        f.clear();
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
    }

    #[test]
    fn a_chain_handed_over_joins_the_list() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 8, resources: 2, blocks: 16 }).unwrap();
        let v = seg.view();
        let r = v.resource(1).unwrap();
        Fifo::init(&r.aux[2], &r.aux[3]);
        let f = Fifo::new(v, &r.aux[2], &r.aux[3]);
        let first = v.write_chain(b"mailbox item").unwrap();
        f.push_chain(first, 12).unwrap();
        assert_eq!(f.pop_bytes(), Some(Some(b"mailbox item".to_vec())));
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
    }

    #[test]
    fn a_queue_longer_than_the_data_area_grows_it_and_leaks_nothing() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 8, resources: 1, blocks: 3 }).unwrap();
        let v = seg.view();
        let r = v.resource(0).unwrap();
        Fifo::init(&r.aux[0], &r.aux[1]);
        let f = Fifo::new(v, &r.aux[0], &r.aux[1]);
        for i in 0..20_000u32 {
            f.push_bytes(&i.to_le_bytes()).unwrap();
        }
        assert_eq!(v.arenas_made(), 1);
        for i in 0..20_000u32 {
            assert_eq!(f.pop_bytes(), Some(Some(i.to_le_bytes().to_vec())));
        }
        assert_eq!(f.pop_bytes(), None);
        assert_eq!(v.control().blocks_used.load(Relaxed), 0);
    }
}
