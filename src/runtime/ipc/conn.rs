//! Python's `multiprocessing` connections on real file descriptors: a
//! `Pipe()`'s two ends (a socket pair, or `os.pipe()` one-way), a
//! `Listener`'s or `Client`'s connection, a `SimpleQueue`'s pipe. Python
//! makes the descriptors as CPython does; the bytes travel through the kernel
//! in CPython's framing (a 4-byte big-endian length, or -1 and an 8-byte one
//! for 2 GiB and more), so a message is bounded by memory only, and `fileno()`,
//! `wait()` and a process's sentinel are descriptors a program can select on.
//! What goes through here is what the dashboard sees and the gate steps: a
//! `send` is an op (with the `repr` its sender computed), a `recv`, `poll`
//! or `wait()` that would block is the lane blocked on the pipe.
//!
//! The resource is a [`ResKind::Pipe`] (shown as one): `count` = messages in
//! transit; `capacity` = 1 duplex, 0 one-way; `aux[0..2]` / `aux[2..4]` = the
//! lanes (as bits) waiting to read at end 0 / end 1 (a lane in `wait()` may
//! wait on several pipes at once, which the intrusive wait queues cannot
//! hold); `aux[4]` / `aux[5]` = messages sent toward end 0 / end 1 and not
//! yet read there (an end with one is ready: its bytes are on their way);
//! `aux[6]` = no holders chain (the kernel knows who holds an end:
//! end of file is the descriptors' own).
//!
//! Waking: a sender, before it writes, wakes every lane waiting at the
//! other end (an empty hand-off, recorded `Wake`), so who reads after whom
//! is fixed by the schedule as for the shared-memory pipe; the woken reader
//! then reads the message the sender is writing (a big one streams through
//! the kernel while both run). A `close` wakes both ends' waiters; a
//! process's end wakes every blocked lane (the reaper), which sees end of
//! file or a readable sentinel. Only a descriptor of no pipe of the run (a
//! socket, a `Listener`'s connection, any object with `fileno()`) is polled,
//! every [`SLICE`], and such waits are recorded as timed.
//!
//! Op records: send `a` = in transit after, `b` = end used, `c` = 0, `other`
//! = the first reader woken; recv `a` = in transit after, `b` = end, `c` = 0
//! (a message) or 2 (end of file); poll/wait `c` = how many are ready; close
//! `c` = 1 (other processes may hold the end: it is not shown closed).

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::*;

use super::net::{bad_fd, close_fd, os_error, with_fd};
use super::socket::SLICE;
use crate::runtime::{LessonError, LessonResult, LaneRuntime, WaitEnd};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// Lanes that can wait on a pipe end by hand-off (bits in three words); a
/// lane above them waits by polling.
const WAIT_LANES: u32 = 128;

/// `aux[6]` of a connection whose reader must poll (an empty holders chain
/// to the shared-memory pipe's code, whatever its first block).
const POLLED: u32 = NONE - 1;

/// One descriptor a `wait()` waits on: a pipe end of the run (`id`, `end`),
/// or only a descriptor (`id` = `NONE`).
#[derive(Clone, Copy, Debug)]
pub struct WaitOn {
    pub fd: i32,
    pub id: u32,
    pub end: u8,
}

fn bits(slot: &ResourceSlot, end: u8) -> &[AtomicU64] {
    let i = 2 * (end as usize & 1);
    &slot.aux[i..i + 2]
}

/// Messages sent toward `end` and not yet read whole there: a reader waits
/// for none of them (their bytes are on their way).
fn transit(slot: &ResourceSlot, end: u8) -> &AtomicU64 {
    &slot.aux[4 + (end as usize & 1)]
}

fn broken_pipe() -> LessonError {
    LessonError::new("BrokenPipeError", "[Errno 32] Broken pipe")
}

/// Writes all of `buf` to `fd` (blocking), retrying on `EINTR`.
fn write_all(fd: i32, mut buf: &[u8]) -> LessonResult<()> {
    while !buf.is_empty() {
        match with_fd(fd, |b| nix::unistd::write(b, buf)) {
            Ok(n) => buf = &buf[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(nix::errno::Errno::EPIPE) => return Err(broken_pipe()),
            Err(e) => return Err(os_error(e.into())),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` at end of file before the first.
fn read_exact(fd: i32, buf: &mut [u8]) -> LessonResult<bool> {
    let mut got = 0;
    while got < buf.len() {
        match with_fd(fd, |b| nix::unistd::read(b, &mut buf[got..])) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(LessonError::new("EOFError", "")),
            Ok(n) => got += n,
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(os_error(e.into())),
        }
    }
    Ok(true)
}

/// The entries of `on` that are ready now: readable (or at end of file),
/// or a pipe end with a message on its way (`slots[i]`: entry `i`'s pipe).
fn ready_now(on: &[WaitOn], slots: &[Option<&'static ResourceSlot>]) -> Vec<usize> {
    // SAFETY: the descriptors are the program's open connections, held by
    // their Python objects for the whole call.
    let fds: Vec<_> = on.iter().map(|w| unsafe { std::os::fd::BorrowedFd::borrow_raw(w.fd) }).collect();
    let mut r = crate::sys::poll_readable(&fds, 0);
    for (i, (w, s)) in on.iter().zip(slots).enumerate() {
        if let Some(s) = s
            && transit(s, w.end).load(Acquire) > 0
            && !r.contains(&i)
        {
            r.push(i);
        }
    }
    r
}

impl LaneRuntime {
    fn conn_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Pipe)
    }

    /// A new connection resource (`Pipe()`; `polled`: a `Listener`'s or
    /// `Client`'s connection, whose peer's sends wake no one here): its id.
    pub fn conn_new(&self, duplex: bool, polled: bool, line: u32) -> LessonResult<u32> {
        self.set_line(line);
        self.new_resource(ResKind::Pipe, None, duplex as i64, |s| {
            for w in &s.aux[0..6] {
                w.store(0, Relaxed);
            }
            s.aux[6].store(if polled { POLLED } else { NONE } as u64, Relaxed);
            s.aux[7].store(NONE as u64, Relaxed);
            s.count.store(0, Relaxed);
        })
    }

    /// Wakes every lane waiting to read at `end` of `id`. Under the mutex.
    fn conn_wake(&self, slot: &ResourceSlot, id: u32, end: u8, op: Op) -> u32 {
        let mut first = NONE;
        for (k, w) in bits(slot, end).iter().enumerate() {
            // The bits stay: a lane whose wait is not over (a close that
            // was not its end of file) waits on; each lane clears its own.
            let mut b = w.load(Relaxed);
            while b != 0 {
                let lane = k as u32 * 64 + b.trailing_zeros();
                b &= b - 1;
                if first == NONE {
                    first = lane;
                }
                self.give(lane, id, None);
                self.record_wake(op, id, lane);
                self.v.wake_lane(lane);
            }
        }
        first
    }

    /// `c.send_bytes(data)` on `end` of connection `id`, descriptor `fd`
    /// (`send(obj)` pickled it; `shown` is its repr).
    pub fn conn_send(&self, id: u32, end: u8, fd: i32, shown: &str, data: &[u8], line: u32) -> LessonResult<()> {
        let slot = self.conn_slot(id)?;
        let end = end & 1;
        self.enter_op(Op::Send, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        use nix::poll::PollFlags;
        let gone = PollFlags::POLLERR | PollFlags::POLLHUP;
        if with_fd(fd, |b| crate::sys::poll_one(b, PollFlags::POLLOUT, 0)).is_some_and(|r| r.intersects(gone)) {
            return Err(broken_pipe());
        }
        // One message at a time through a pipe (CPython's queues take a
        // lock for that): the hidden slot's mutex, held over the write.
        let writing = {
            let _g = Guard::new(&slot.mutex, self.lane);
            self.hidden_or_make(&slot.aux[7], ResKind::Pipe, id)?
        };
        let _w = Guard::new(&writing.mutex, self.lane);
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            let count = slot.count.fetch_add(1, Relaxed) + 1;
            transit(slot, 1 - end).fetch_add(1, Relaxed);
            slot.version.fetch_add(1, Release);
            // The record before the wakes: the reader's `Wake` follows the send.
            let first = bits(slot, 1 - end).iter().enumerate().find_map(|(k, w)| {
                let b = w.load(Relaxed);
                (b != 0).then(|| k as u32 * 64 + b.trailing_zeros())
            });
            self.record_op(Op::Send, id, first.unwrap_or(NONE), count, end as i64, 0, Some(shown));
            self.conn_wake(slot, id, 1 - end, Op::Recv);
        }
        let n = data.len();
        let r = if n <= 0x7fff_ffff {
            let mut head = (n as i32).to_be_bytes().to_vec();
            if n < 16384 {
                head.extend_from_slice(data);
                write_all(fd, &head)
            } else {
                write_all(fd, &head).and_then(|_| write_all(fd, data))
            }
        } else {
            let mut head = (-1i32).to_be_bytes().to_vec();
            head.extend_from_slice(&(n as u64).to_be_bytes());
            write_all(fd, &head).and_then(|_| write_all(fd, data))
        };
        if r.is_err() {
            let _g = Guard::new(&slot.mutex, self.lane);
            slot.count.fetch_sub(1, Relaxed);
            let t = transit(slot, 1 - end);
            t.store(t.load(Relaxed).saturating_sub(1), Relaxed);
        }
        r
    }

    /// `c.recv_bytes(maxlength)` (`maxlength` < 0: none) on `end` of `id`:
    /// blocks until a message is there, then reads it whole. `None`: it is
    /// longer than `maxlength` (left unread, as CPython leaves it).
    pub fn conn_recv(&self, id: u32, end: u8, fd: i32, maxlength: i64, line: u32) -> LessonResult<Option<Vec<u8>>> {
        let slot = self.conn_slot(id)?;
        let end = end & 1;
        let on = [WaitOn { fd, id, end }];
        self.conn_wait_in(Op::Recv, &on, None, false, line)?;
        if crate::runtime::gate::interrupted() {
            // Nothing to read yet: the caller lets the signal's handler run.
            return Err(LessonError::new("InterruptedError", ""));
        }
        let mut head = [0u8; 4];
        let eof = |slot: &ResourceSlot| -> LessonResult<Option<Vec<u8>>> {
            self.record_op(Op::Recv, id, NONE, slot.count.load(Relaxed), end as i64, 2, Some("EOFError"));
            Err(LessonError::new("EOFError", ""))
        };
        if !read_exact(fd, &mut head)? {
            return eof(slot);
        }
        let mut size = i32::from_be_bytes(head) as i64;
        if size == -1 {
            let mut big = [0u8; 8];
            read_exact(fd, &mut big)?;
            size = u64::from_be_bytes(big).min(i64::MAX as u64) as i64;
        }
        if size < 0 {
            return Err(LessonError::os("bad message length"));
        }
        if maxlength >= 0 && size > maxlength {
            return Ok(None);
        }
        let mut buf = vec![0u8; size as usize];
        if !read_exact(fd, &mut buf)? && size > 0 {
            return eof(slot);
        }
        let count = {
            let _g = Guard::new(&slot.mutex, self.lane);
            slot.version.fetch_add(1, Release);
            let c = slot.count.load(Relaxed).saturating_sub(1);
            slot.count.store(c, Relaxed);
            let t = transit(slot, end);
            t.store(t.load(Relaxed).saturating_sub(1), Relaxed);
            c
        };
        self.record_op(Op::Recv, id, NONE, count, end as i64, 0, None);
        Ok(Some(buf))
    }

    /// `multiprocessing.connection.wait(objects, timeout)` (and `c.poll`):
    /// which of `on` are ready, waiting up to `timeout` (None: for ever) for
    /// one. `polled`: some descriptor is of nothing the run wakes (a socket).
    pub fn conn_wait(&self, on: &[WaitOn], timeout: Option<f64>, polled: bool, line: u32) -> LessonResult<Vec<bool>> {
        let ready = self.conn_wait_in(Op::Poll, on, timeout, polled, line)?;
        let res = on.iter().find(|w| w.id != NONE).map_or(NONE, |w| w.id);
        let count = res_count(self, res);
        self.record_op(Op::Poll, res, NONE, count, on.iter().find(|w| w.id != NONE).map_or(0, |w| w.end as i64), ready.iter().filter(|r| **r).count() as i64, None);
        Ok(ready)
    }

    fn conn_wait_in(&self, op: Op, on: &[WaitOn], timeout: Option<f64>, mut polled: bool, line: u32) -> LessonResult<Vec<bool>> {
        let slots: Vec<Option<&'static ResourceSlot>> = on.iter().map(|w| if w.id == NONE { Ok(None) } else { self.conn_slot(w.id).map(Some) }).collect::<LessonResult<_>>()?;
        self.enter_op(op, line);
        if on.iter().any(|w| w.fd < 0) {
            return Err(bad_fd());
        }
        let flags = |idx: Vec<usize>| {
            let mut r = vec![false; on.len()];
            for i in idx {
                r[i] = true;
            }
            r
        };
        let now = ready_now(on, &slots);
        if !now.is_empty() || timeout.is_some_and(|t| t <= 0.0) {
            return Ok(flags(now));
        }
        let me = self.lane;
        if me >= WAIT_LANES || slots.iter().flatten().any(|s| s.aux[6].load(Relaxed) as u32 == POLLED) {
            polled = true;
        }
        let res = on.iter().find(|w| w.id != NONE).map_or(NONE, |w| w.id);
        self.expect_handoff();
        let set = |add: bool| {
            for (w, s) in on.iter().zip(&slots) {
                let Some(s) = s else { continue };
                if me >= WAIT_LANES {
                    continue;
                }
                let _g = Guard::new(&s.mutex, self.lane);
                let word = &bits(s, w.end)[(me / 64) as usize];
                let bit = 1u64 << (me % 64);
                if add {
                    word.fetch_or(bit, Relaxed);
                } else {
                    word.fetch_and(!bit, Relaxed);
                }
                s.version.fetch_add(1, Release);
            }
        };
        let end = loop {
            set(true);
            self.record_block(op, res, NONE, NONE, polled || timeout.is_some());
            // A close wakes every waiter of the pipe, and one whose end is
            // still held by someone (a child keeping its copy of the
            // parent's end) has nothing to read: its wait is not over, and
            // it says so again (a new block), or the run would see it woken
            // and never find the deadlock CPython hangs in.
            let seen = self.me.wakes.load(SeqCst);
            let again = timeout.is_none();
            let end = self.wait_until_every(op, res, NONE, timeout, polled.then_some(SLICE), || !ready_now(on, &slots).is_empty() || (again && self.me.wakes.load(SeqCst) != seen));
            set(false);
            self.take_mailbox();
            if !again || end != WaitEnd::Done || !ready_now(on, &slots).is_empty() {
                break end;
            }
            self.expect_handoff();
        };
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        let ready = flags(ready_now(on, &slots));
        if end == WaitEnd::TimedOut && !ready.iter().any(|r| *r) {
            self.record_timeout(op, res, NONE);
        }
        Ok(ready)
    }

    /// `c.close()` on `end` of `id` (`gc`: by the garbage collector, not an
    /// op): the descriptor closes, and the lanes waiting at either end look
    /// again (the last writer gone is their end of file).
    pub fn conn_close(&self, id: u32, end: u8, fd: i32, gc: bool, line: u32) -> LessonResult<()> {
        let slot = self.conn_slot(id)?;
        if !gc {
            self.enter_op(Op::Close, line);
        }
        if fd >= 0 {
            close_fd(fd);
        }
        let _g = Guard::new(&slot.mutex, self.lane);
        slot.version.fetch_add(1, Release);
        if !gc {
            self.record_op(Op::Close, id, NONE, slot.count.load(Relaxed), end as i64 & 1, 1, None);
        }
        self.conn_wake(slot, id, 0, Op::Recv);
        self.conn_wake(slot, id, 1, Op::Recv);
        Ok(())
    }
}

fn res_count(rt: &LaneRuntime, id: u32) -> i64 {
    if id == NONE {
        return 0;
    }
    rt.conn_slot(id).map_or(0, |s| s.count.load(Relaxed))
}
