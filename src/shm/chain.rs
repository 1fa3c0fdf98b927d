//! Block chains: variable-length data (texts, arguments, mailboxes) in the
//! segment's data area, as linked fixed-size blocks with a lock-free free list.
//!
//! The data area has no fixed size. Blocks come from the free list, then
//! from blocks never handed out (`blocks_fresh`), first in the segment, then
//! in extension arenas ([`super::companion`]): when every block is in use, the
//! process that wants one makes the next arena (one maker at a time, under
//! `Control::arena_maker`; the others wait for it, and take its place if it
//! died). A payload over [`SPILL_AT`] bytes — or any payload when no block
//! can be had for all of it — is *spilled*: its bytes go into an object of
//! their own and its chain is one block holding a reference (the spill's
//! number and length), marked by [`SPILLED`] in that block's `len`. Readers
//! and `free_chain` follow the mark, so every user of chains (queues,
//! pipes, pools, results, arguments) carries values of any size unchanged;
//! freeing a spilled chain removes its object. A payload may take at most
//! `u32::MAX` bytes (a chain's length is a `u32`): more is refused when it is
//! written, by the sender.

use std::sync::atomic::Ordering::*;

use super::companion::SPILL_AT;
use super::layout::*;
use super::{ShmError, View};

/// Set in the first block's `len` of a chain that holds a spill reference.
pub const SPILLED: u32 = 1 << 31;
/// A spill reference: the spill's number, then its length (little endian).
const SPILL_REF: usize = 16;

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

    /// A block never handed out before: in the main area, else in an arena,
    /// making the next arena when all are in use. `None` when no arena can
    /// be made (`/dev/shm` is full, or [`MAX_ARENAS`] are made).
    pub(super) fn fresh_block(&self) -> Option<u32> {
        let c = self.control();
        let mut cur = c.blocks_fresh.load(Relaxed);
        loop {
            if cur >= self.block_capacity() {
                if !self.grow(cur) {
                    return None;
                }
                cur = c.blocks_fresh.load(Relaxed);
                continue;
            }
            match c.blocks_fresh.compare_exchange_weak(cur, cur + 1, AcqRel, Relaxed) {
                Ok(_) => {
                    c.blocks_used.fetch_add(1, Relaxed);
                    return Some(cur);
                }
                Err(v) => cur = v,
            }
        }
    }

    /// Makes sure the data area holds block index `want`: makes the next
    /// arena, or waits for the process making it. False if it cannot grow.
    /// The words it goes by are untrusted (the conductor writes chains too):
    /// a `want` past the next arena is a broken counter, not a reason to
    /// make arenas, and a maker that takes more than a second is not waited for.
    #[cold]
    fn grow(&self, want: u32) -> bool {
        let c = self.control();
        let me = std::process::id() as i32;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            let made = self.arenas_made();
            if want < self.block_capacity() {
                return true;
            }
            if made >= MAX_ARENAS || want > self.block_capacity() || std::time::Instant::now() > deadline {
                return false;
            }
            match c.arena_maker.compare_exchange(0, me, Acquire, Relaxed) {
                Ok(_) => {
                    let ok = self.arenas_made() != made || self.comp.make_arena(made).is_ok();
                    if ok && self.arenas_made() == made {
                        c.arenas.store(made + 1, Release);
                    }
                    c.arena_maker.store(0, Release);
                    super::futex::wake_all(&c.arenas);
                    if !ok {
                        return false;
                    }
                }
                Err(maker) => {
                    // A maker that died (or a word no live process wrote) holds nothing.
                    if maker <= 0 || !crate::sys::proc_stat(maker).is_some_and(|s| s.state != 'Z' && s.state != 'X') {
                        let _ = c.arena_maker.compare_exchange(maker, 0, AcqRel, Relaxed);
                        continue;
                    }
                    super::futex::wait(&c.arenas, made, Some(std::time::Duration::from_millis(10)));
                }
            }
        }
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

    /// Stores `bytes` in a fresh chain; returns its first block (`NONE` for
    /// no bytes). Over [`SPILL_AT`] bytes, or when the blocks run out, the
    /// bytes are spilled (see the module docs). The chain is private until
    /// the caller publishes the handle with release ordering.
    pub fn write_chain(&self, bytes: &[u8]) -> Result<u32, ShmError> {
        if bytes.is_empty() {
            return Ok(NONE);
        }
        if bytes.len() > u32::MAX as usize {
            return Err(ShmError::TooLarge(bytes.len() as u64));
        }
        if bytes.len() > SPILL_AT {
            return self.write_spilled(bytes);
        }
        match self.write_blocks(bytes) {
            Err(ShmError::DataFull { .. }) => self.write_spilled(bytes),
            r => r,
        }
    }

    /// `bytes` as a chain of blocks.
    fn write_blocks(&self, bytes: &[u8]) -> Result<u32, ShmError> {
        let mut first = NONE;
        let mut prev: Option<&Block> = None;
        for part in bytes.chunks(BLOCK_DATA) {
            let Some(idx) = self.pop_free_block() else {
                self.free_chain(first);
                return Err(self.data_full());
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

    fn data_full(&self) -> ShmError {
        ShmError::DataFull { used: self.control().blocks_used.load(Relaxed), total: self.block_capacity() }
    }

    /// `bytes` in a spill of their own, and a one-block chain referring to it.
    fn write_spilled(&self, bytes: &[u8]) -> Result<u32, ShmError> {
        let Some(idx) = self.pop_free_block() else { return Err(self.data_full()) };
        let n = self.control().spill_next.fetch_add(1, Relaxed);
        if let Err(e) = self.comp.spill_write(n, bytes) {
            self.push_free_block(idx);
            return Err(e);
        }
        let b = self.block(idx).expect("popped index is in range");
        let mut r = [0u8; SPILL_REF];
        r[..8].copy_from_slice(&n.to_le_bytes());
        r[8..].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        // SAFETY: we own this freshly popped block; no one else reads it yet.
        unsafe { std::ptr::copy_nonoverlapping(r.as_ptr(), b.data.get() as *mut u8, SPILL_REF) };
        b.len.store(SPILLED | SPILL_REF as u32, Relaxed);
        b.next.store(NONE, Relaxed);
        std::sync::atomic::fence(Release);
        Ok(idx)
    }

    /// The spill a chain's first block refers to, if it is a spill reference.
    fn spill_ref(&self, b: &Block) -> Option<(u64, u64)> {
        if b.len.load(Relaxed) != SPILLED | SPILL_REF as u32 {
            return None;
        }
        let mut r = [0u8; SPILL_REF];
        // SAFETY: the block is in range; its bytes were published before the
        // chain's handle (a hostile writer can only make the reference wrong,
        // which names a spill that is missing or of another length).
        unsafe { std::ptr::copy_nonoverlapping(b.data.get() as *const u8, r.as_mut_ptr(), SPILL_REF) };
        Some((u64::from_le_bytes(r[..8].try_into().ok()?), u64::from_le_bytes(r[8..].try_into().ok()?)))
    }

    /// Whether the chain starting at `first` is a spill reference (for tests
    /// and the leak checks).
    pub fn is_spilled(&self, first: u32) -> bool {
        self.block(first).is_some_and(|b| self.spill_ref(b).is_some())
    }

    /// Reads a chain of `len` bytes starting at `first`. `None` if the chain is
    /// broken (bad index, loop, wrong length): the caller treats that as corrupt.
    pub fn read_chain(&self, first: u32, len: u32) -> Option<Vec<u8>> {
        std::sync::atomic::fence(Acquire);
        if let Some((n, spilled_len)) = self.block(first).and_then(|b| self.spill_ref(b)) {
            return (spilled_len == len as u64).then(|| self.comp.spill_read(n, len as usize)).flatten();
        }
        // A chain of blocks cannot hold more than the whole data area: a
        // larger length is a lie, and trusting it would mean gigabytes of copying.
        if len as usize > self.block_capacity() as usize * BLOCK_DATA {
            return None;
        }
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

    /// Returns a chain's blocks to the free list (and removes its spill).
    pub fn free_chain(&self, first: u32) {
        if let Some((n, _)) = self.block(first).and_then(|b| self.spill_ref(b)) {
            self.comp.spill_remove(n);
            if let Some(b) = self.block(first) {
                b.len.store(0, Relaxed);
            }
        }
        let mut idx = first;
        let mut guard = self.block_capacity();
        while idx != NONE && guard > 0 {
            let Some(b) = self.block(idx) else { return };
            let next = b.next.load(Relaxed);
            self.push_free_block(idx);
            idx = next;
            guard -= 1;
        }
    }
}
