//! Block chains: variable-length data (texts, arguments, mailboxes) in the
//! segment's data area, as linked fixed-size blocks with a lock-free free list.

use std::sync::atomic::Ordering::*;

use super::layout::*;
use super::{ShmError, View};

impl View<'_> {
    pub(super) fn pop_free_block(&self) -> Option<u32> {
        let c = self.control();
        let mut cur = c.free_blocks.load(Acquire);
        loop {
            let idx = cur as u32;
            let Some(block) = self.block(idx) else { return self.fresh_block() };
            let next = block.next.load(Relaxed);
            let new = ((cur >> 32).wrapping_add(1) << 32) | next as u64;
            match c.free_blocks.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => {
                    c.blocks_used.fetch_add(1, Relaxed);
                    return Some(idx);
                }
                Err(v) => cur = v,
            }
        }
    }

    /// A block never handed out before, if any is left.
    pub(super) fn fresh_block(&self) -> Option<u32> {
        let c = self.control();
        let idx = c.blocks_fresh.fetch_add(1, AcqRel);
        if idx >= self.geo.blocks {
            c.blocks_fresh.store(self.geo.blocks, Relaxed);
            return None;
        }
        c.blocks_used.fetch_add(1, Relaxed);
        Some(idx)
    }

    pub(super) fn push_free_block(&self, idx: u32) {
        let c = self.control();
        let Some(block) = self.block(idx) else { return };
        let mut cur = c.free_blocks.load(Acquire);
        loop {
            block.next.store(cur as u32, Relaxed);
            let new = ((cur >> 32).wrapping_add(1) << 32) | idx as u64;
            match c.free_blocks.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => {
                    c.blocks_used.fetch_sub(1, Relaxed);
                    return;
                }
                Err(v) => cur = v,
            }
        }
    }

    /// Stores `bytes` in a fresh chain of blocks; returns its first block
    /// (`NONE` for no bytes). The chain is private until the caller publishes
    /// the handle with release ordering.
    pub fn write_chain(&self, bytes: &[u8]) -> Result<u32, ShmError> {
        if bytes.is_empty() {
            return Ok(NONE);
        }
        let mut first = NONE;
        let mut prev: Option<&Block> = None;
        for part in bytes.chunks(BLOCK_DATA) {
            let Some(idx) = self.pop_free_block() else {
                self.free_chain(first);
                return Err(ShmError::DataFull {
                    used: self.control().blocks_used.load(Relaxed),
                    total: self.geo.blocks,
                });
            };
            let b = self.block(idx).expect("popped index is in range");
            // SAFETY: we own this freshly popped block; no one else reads it yet.
            unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), b.data.get() as *mut u8, part.len()) };
            b.len.store(part.len() as u32, Relaxed);
            b.next.store(NONE, Relaxed);
            match prev {
                Some(p) => p.next.store(idx, Relaxed),
                None => first = idx,
            }
            prev = Some(b);
        }
        std::sync::atomic::fence(Release);
        Ok(first)
    }

    /// Reads a chain of `len` bytes starting at `first`. `None` if the chain is
    /// broken (bad index, loop, wrong length): the caller treats that as corrupt.
    pub fn read_chain(&self, first: u32, len: u32) -> Option<Vec<u8>> {
        // A chain cannot hold more than the whole data area: a larger length
        // is a lie, and trusting it would mean gigabytes of copying.
        if len as usize > self.geo.blocks as usize * BLOCK_DATA {
            return None;
        }
        std::sync::atomic::fence(Acquire);
        let mut out = Vec::with_capacity(len as usize);
        let mut idx = first;
        let max_blocks = (len as usize).div_ceil(BLOCK_DATA);
        for _ in 0..max_blocks {
            let b = self.block(idx)?;
            let n = (b.len.load(Relaxed) as usize).min(BLOCK_DATA);
            let mut buf = [0u8; BLOCK_DATA];
            // SAFETY: the block is in range; its bytes were published before the
            // chain's handle. A hostile writer can only make us read garbage,
            // which the length checks and the decoder reject.
            unsafe { std::ptr::copy_nonoverlapping(b.data.get() as *const u8, buf.as_mut_ptr(), BLOCK_DATA) };
            out.extend_from_slice(&buf[..n]);
            idx = b.next.load(Relaxed);
            if out.len() >= len as usize {
                break;
            }
        }
        (out.len() == len as usize).then_some(out)
    }

    /// Returns a chain's blocks to the free list.
    pub fn free_chain(&self, first: u32) {
        let mut idx = first;
        let mut guard = self.geo.blocks;
        while idx != NONE && guard > 0 {
            let Some(b) = self.block(idx) else { return };
            let next = b.next.load(Relaxed);
            self.push_free_block(idx);
            idx = next;
            guard -= 1;
        }
    }
}
