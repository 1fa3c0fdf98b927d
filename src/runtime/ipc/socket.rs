//! Sockets: `listen(port)`, `srv.accept()`, `connect(port)`,
//! `conn.send(text)`, `conn.recv(n)`, `close()` — real TCP sockets, so a real
//! client from outside the run (`nc 127.0.0.1 PORT`) can talk to a lesson's
//! server. Rhai's are bound to 127.0.0.1 only and carry text. Python's are
//! the program's own `socket.socket()` objects (any address it binds, bytes):
//! Python makes, binds and connects the descriptor, and hands it here at
//! `listen` ([`LaneRuntime::sock_listen_fd`]) or once its non-blocking `connect` was
//! issued ([`LaneRuntime::sock_connected`]); from then on it is the same resource,
//! with the same waits, as a Rhai socket. With Python's fork start method a
//! child holds every socket its parent holds ([`LaneRuntime::sock_inherit_all`]).
//!
//! Descriptors are the process's own (`SOCK_CLOEXEC`). A socket given to a
//! child as a `Process` argument is inherited for real: the spawn clears
//! `FD_CLOEXEC` on exactly those descriptors in the child, between fork and
//! exec (see `runtime::process`), and the child checks, before using it, that
//! the descriptor under that number is the socket the handle names (same local
//! port). A socket sent in a queue or a pipe does not carry its descriptor:
//! using it there is `OSError: [Errno 9] Bad file descriptor`.
//!
//! Slot fields: `aux[0]` = local port; `aux[1]` = [`LISTENER`] or [`CONN`];
//! `aux[2]` = the peer connection's resource id + 1 when the peer is a
//! process of this run (0: a client from outside, or not connected); `aux[3]`
//! = the peer's port; `aux[4]` = 1 once closed; `aux[5]` = processes holding
//! the descriptor. `count` = connections accepted. `waiters[0]` = processes
//! in `accept`/`recv`.
//!
//! Blocking: a process in `accept`/`recv` is blocked on the socket's resource
//! and queued in its waiters. A process of the run that connects, sends or
//! closes the last descriptor wakes the first waiter on the other side itself
//! (recording the `Wake`), so under a schedule the run is as deterministic as
//! with queues. Anything else — a client from outside, a peer killed by a
//! signal — is noticed by polling the descriptor every [`SLICE`], paused or
//! not (as is a `connect` in progress, which only the kernel ends). Such
//! waits are recorded as *timed* (they can end without any process
//! of the run), so the stall detector never calls a server waiting for
//! outside clients stuck. `terminate()` works as for any process (SIGTERM).

use std::cell::RefCell;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::MsgFlags;

use super::net::{self, addr_of, bad_fd, check, close_fd, os_error, port_of, readable, timed_out, writable};
use super::one_line;
use crate::runtime::{LessonError, LessonResult, LaneRuntime, WaitEnd, waitq};
use crate::shm::layout::{NONE, ProcState, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

pub const LISTENER: u64 = 1;
pub const CONN: u64 = 2;
const PORT: usize = 0;
const ROLE: usize = 1;
const PEER: usize = 2;
const PEER_PORT: usize = 3;
const CLOSED: usize = 4;
const HOLDERS: usize = 5;

/// How often a blocked `accept`/`recv` polls its descriptor.
pub const SLICE: Duration = Duration::from_millis(20);
/// After a wake-up from a process of the run, how long to let its connection
/// or bytes land (loopback delivery finishes a moment after the syscall).
const LAND_MS: i32 = 200;

thread_local! {
    /// This process's open sockets: (resource id, descriptor). Closed at exit.
    static OPEN: RefCell<Vec<(u32, i32)>> = const { RefCell::new(Vec::new()) };
}

fn remember(id: u32, fd: i32) {
    OPEN.with(|o| o.borrow_mut().push((id, fd)));
}

fn forget(fd: i32) {
    OPEN.with(|o| o.borrow_mut().retain(|(_, f)| *f != fd));
}

fn init_slot(s: &ResourceSlot, port: u16, role: u64, peer_port: u16) {
    s.aux[PORT].store(port as u64, Relaxed);
    s.aux[ROLE].store(role, Relaxed);
    s.aux[PEER].store(0, Relaxed);
    s.aux[PEER_PORT].store(peer_port as u64, Relaxed);
    s.aux[CLOSED].store(0, Relaxed);
    s.aux[HOLDERS].store(1, Relaxed);
    s.count.store(0, Relaxed);
}

impl LaneRuntime {
    fn sock_slot(&self, id: u32) -> LessonResult<&'static ResourceSlot> {
        self.slot(id, ResKind::Socket)
    }

    /// The local port of socket `id` (`srv.port`), 0 if unknown.
    pub fn sock_port(&self, id: u32) -> i64 {
        self.sock_slot(id).map_or(0, |s| s.aux[PORT].load(Relaxed) as i64)
    }

    /// For a socket received as a `Process` argument: the descriptor if it is
    /// really that socket here (and remembers it as open), else -1.
    pub fn sock_adopt(&self, id: u32, fd: i32) -> i32 {
        let port = self.sock_port(id);
        // A server's connections share its port: the peer's tells them apart.
        let peer_ok = self.sock_slot(id).is_ok_and(|s| s.aux[ROLE].load(Relaxed) != CONN || port_of(fd, true).map(u64::from) == Some(s.aux[PEER_PORT].load(Relaxed)));
        if port > 0 && peer_ok && net::is_socket_on(fd, port as u16) {
            remember(id, fd);
            fd
        } else {
            -1
        }
    }

    /// Counts `child` as a holder of socket `id`'s descriptor (it inherits it).
    pub(crate) fn sock_share(&self, id: u32) {
        if let Ok(slot) = self.sock_slot(id) {
            let _g = Guard::new(&slot.mutex, self.lane);
            slot.aux[HOLDERS].fetch_add(1, Relaxed);
        }
    }

    /// Wakes the first process in `accept`/`recv` on `id` (empty hand-off).
    fn sock_wake_first(&self, id: u32, op: Op) {
        let Ok(slot) = self.sock_slot(id) else { return };
        let _g = Guard::new(&slot.mutex, self.lane);
        if let Some(w) = waitq::pop(&self.v, &slot.waiters[0]) {
            self.give(w, id, None);
            self.record_wake(op, id, w);
            self.v.wake_lane(w);
        }
    }

    /// Blocks in `op` until `fd` is readable (or, `writing`, writable: a
    /// connect in progress has ended), or a process of the run says it will
    /// be. `Err` on timeout.
    fn sock_wait(&self, id: u32, slot: &'static ResourceSlot, fd: i32, op: Op, timeout: Option<f64>, writing: bool) -> LessonResult<()> {
        let ready = |ms| if writing { writable(fd, ms) } else { readable(fd, ms) };
        {
            let _g = Guard::new(&slot.mutex, self.lane);
            self.expect_handoff();
            waitq::push(&self.v, &slot.waiters[0], self.lane);
            slot.version.fetch_add(1, Release);
            self.record_block(op, id, NONE, NONE, true);
        }
        let end = self.wait_until_every(op, id, NONE, timeout, Some(SLICE), || self.handed(id) || ready(0));
        let handed = {
            let _g = Guard::new(&slot.mutex, self.lane);
            self.handed(id) || {
                waitq::remove(&self.v, &slot.waiters[0], self.lane);
                slot.version.fetch_add(1, Release);
                false
            }
        };
        self.take_mailbox();
        self.set_state(ProcState::Running, None, NONE, NONE, 0);
        if ready(0) || (handed && ready(LAND_MS)) {
            return Ok(());
        }
        if end == WaitEnd::TimedOut {
            self.record_timeout(op, id, NONE);
            return Err(timed_out());
        }
        // Woken for a close that did not end the connection (another process
        // still holds it): the caller waits again.
        Ok(())
    }

    /// `listen(port)`: a listening socket on 127.0.0.1 (0 = any free port).
    pub fn sock_listen(&self, port: i64, line: u32) -> LessonResult<(u32, i32)> {
        if !(0..=65535).contains(&port) {
            return Err(LessonError::new("OverflowError", "bind(): port must be 0-65535."));
        }
        self.enter_op(Op::Listen, line);
        let fd = net::new_socket()?;
        let setup = || -> LessonResult<u32> {
            check(net::with_fd(fd, |fd| nix::sys::socket::setsockopt(&fd, nix::sys::socket::sockopt::ReuseAddr, &true)))?;
            net::bind_loopback(fd, port as u16)?;
            self.sock_listening(fd, 128)
        };
        match setup() {
            Ok(id) => Ok((id, fd)),
            Err(e) => {
                close_fd(fd);
                Err(e)
            }
        }
    }

    /// Python's `sock.listen(backlog)` on the program's bound socket `fd`:
    /// the socket becomes a resource (its id), shown with its address.
    pub fn sock_listen_fd(&self, fd: i32, backlog: i32, line: u32) -> LessonResult<u32> {
        self.enter_op(Op::Listen, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        self.sock_listening(fd, backlog)
    }

    /// `fd` (bound) listens, and becomes a listening socket resource.
    fn sock_listening(&self, fd: i32, backlog: i32) -> LessonResult<u32> {
        // As CPython: a negative backlog is 0; the kernel caps a large one.
        use nix::sys::socket::Backlog;
        let backlog = Backlog::new(backlog.clamp(0, i32::from(Backlog::MAXCONN))).unwrap_or(Backlog::MAXCONN);
        check(net::with_fd(fd, |fd| nix::sys::socket::listen(&fd, backlog)))?;
        net::set_nonblocking(fd)?;
        let port = port_of(fd, false).ok_or_else(|| os_error(std::io::Error::last_os_error()))?;
        let id = self.new_resource(ResKind::Socket, None, 0, |s| init_slot(s, port, LISTENER, 0))?;
        remember(id, fd);
        self.record_op(Op::Listen, id, NONE, port as i64, 0, 0, Some(&addr_of(fd, false).unwrap_or_default()));
        Ok(id)
    }

    /// `srv.accept()` / `srv.accept(secs)`: the new connection (id, descriptor).
    pub fn sock_accept(&self, id: u32, fd: i32, timeout: Option<f64>, line: u32) -> LessonResult<(u32, i32)> {
        let slot = self.sock_slot(id)?;
        self.enter_op(Op::Accept, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        if slot.aux[ROLE].load(Relaxed) != LISTENER {
            return Err(os_error(std::io::Error::from_raw_os_error(libc::EINVAL)));
        }
        // Python may have made it blocking again (`settimeout(None)`).
        net::set_nonblocking(fd)?;
        let conn = loop {
            match nix::sys::socket::accept4(fd, nix::sys::socket::SockFlag::SOCK_CLOEXEC) {
                Ok(c) => break c,
                Err(Errno::EAGAIN | Errno::EINTR) => self.sock_wait(id, slot, fd, Op::Accept, timeout, false)?,
                Err(e) => return Err(os_error(e.into())),
            }
        };
        let (local, peer) = (port_of(conn, false).unwrap_or(0), port_of(conn, true).unwrap_or(0));
        let cid = match self.new_resource(ResKind::Socket, None, 0, |s| init_slot(s, local, CONN, peer)) {
            Ok(c) => c,
            Err(e) => {
                close_fd(conn);
                return Err(e);
            }
        };
        remember(cid, conn);
        self.sock_link(cid);
        let count = {
            let _g = Guard::new(&slot.mutex, self.lane);
            slot.version.fetch_add(1, Release);
            slot.count.fetch_add(1, Relaxed) + 1
        };
        self.record_op(Op::Accept, id, NONE, count, cid as i64, peer as i64, Some(&addr_of(conn, true).unwrap_or_default()));
        Ok((cid, conn))
    }

    /// Links connection `id` with its other end when that is a socket of
    /// this run too (a client's connection and the one its server accepted:
    /// each one's port is the other's peer port). Whichever of the two is
    /// made second finds the first.
    fn sock_link(&self, id: u32) {
        let Ok(me) = self.sock_slot(id) else { return };
        let (port, peer_port) = (me.aux[PORT].load(Relaxed), me.aux[PEER_PORT].load(Relaxed));
        let Some(other) = self.sock_find(|s| s.aux[ROLE].load(Relaxed) == CONN && s.aux[PORT].load(Relaxed) == peer_port && s.aux[PEER_PORT].load(Relaxed) == port && s.aux[PEER].load(Relaxed) == 0, id) else { return };
        if let Ok(os) = self.sock_slot(other) {
            let _g = Guard::new(&os.mutex, self.lane);
            os.aux[PEER].store(id as u64 + 1, Relaxed);
        }
        let _g = Guard::new(&me.mutex, self.lane);
        me.aux[PEER].store(other as u64 + 1, Relaxed);
    }

    /// A process of the run connected to `port`: the first process in
    /// `accept` on a listener of the run on that port is woken.
    fn sock_wake_listener(&self, port: u64, except: u32) {
        if let Some(listener) = self.sock_find(|s| s.aux[ROLE].load(Relaxed) == LISTENER && s.aux[PORT].load(Relaxed) == port && s.aux[CLOSED].load(Relaxed) == 0, except) {
            self.sock_wake_first(listener, Op::Accept);
        }
    }

    /// The last socket resource (other than `except`) matching `pred`.
    fn sock_find(&self, pred: impl Fn(&ResourceSlot) -> bool, except: u32) -> Option<u32> {
        (0..self.v.resources_in_use()).rev().filter(|&i| i != except).find(|&i| self.v.resource(i).is_some_and(|s| s.kind.load(Acquire) == ResKind::Socket as u32 && pred(s)))
    }

    /// `connect(port)`: a connection to 127.0.0.1:port (id, descriptor).
    pub fn sock_connect(&self, port: i64, line: u32) -> LessonResult<(u32, i32)> {
        if !(0..=65535).contains(&port) {
            return Err(LessonError::new("OverflowError", "connect(): port must be 0-65535."));
        }
        self.enter_op(Op::Connect, line);
        let fd = net::new_socket()?;
        // Bound first, so our port is known (and our resource made) before
        // the server can accept us.
        let local = match net::bind_loopback(fd, 0).and_then(|_| port_of(fd, false).ok_or_else(|| os_error(std::io::Error::last_os_error()))) {
            Ok(p) => p,
            Err(e) => {
                close_fd(fd);
                return Err(e);
            }
        };
        let id = match self.new_resource(ResKind::Socket, None, 0, |s| init_slot(s, local, CONN, port as u16)) {
            Ok(id) => id,
            Err(e) => {
                close_fd(fd);
                return Err(e);
            }
        };
        if let Err(e) = nix::sys::socket::connect(fd, &net::loopback(port as u16)) {
            let e = os_error(e.into());
            close_fd(fd);
            if let Ok(s) = self.sock_slot(id) {
                s.aux[CLOSED].store(1, Relaxed);
            }
            self.record_op(Op::Connect, id, NONE, port, local as i64, -1, Some(&e.to_string()));
            return Err(e);
        }
        remember(id, fd);
        self.record_op(Op::Connect, id, NONE, port, local as i64, 0, Some(&format!("127.0.0.1:{port}")));
        self.sock_wake_listener(port as u64, id);
        Ok((id, fd))
    }

    /// The gate of a Python socket op whose system call Python makes itself
    /// (`connect`: CPython parses the address and starts the connection).
    pub fn sock_enter(&self, op: Op, line: u32) {
        self.enter_op(op, line);
    }

    /// Python's `sock.connect(addr)`, after its gate ([`LaneRuntime::sock_enter`]):
    /// the program's socket `fd` started a non-blocking connect to `port`,
    /// which ended at once with `err` (0: connected; `EINPROGRESS`: under
    /// way). The socket becomes a resource; while the connection is under
    /// way the process is blocked in `connect` on it. Returns its id.
    pub fn sock_connected(&self, fd: i32, port: i64, err: i32, timeout: Option<f64>) -> LessonResult<u32> {
        if fd < 0 {
            return Err(bad_fd());
        }
        if err != 0 && err != libc::EINPROGRESS {
            let e = os_error(std::io::Error::from_raw_os_error(err));
            self.record_op(Op::Connect, NONE, NONE, port, 0, -1, Some(&e.to_string()));
            return Err(e);
        }
        let local = port_of(fd, false).unwrap_or(0);
        let id = self.new_resource(ResKind::Socket, None, 0, |s| init_slot(s, local, CONN, port as u16))?;
        let slot = self.sock_slot(id)?;
        let failed = |e: LessonError| -> LessonResult<u32> {
            slot.aux[CLOSED].store(1, Relaxed);
            slot.aux[HOLDERS].store(0, Relaxed);
            self.record_op(Op::Connect, id, NONE, port, local as i64, -1, Some(&e.to_string()));
            Err(e)
        };
        if err == libc::EINPROGRESS {
            while !writable(fd, 0) {
                if let Err(e) = self.sock_wait(id, slot, fd, Op::Connect, timeout, true) {
                    return failed(e);
                }
            }
            let e = net::so_error(fd);
            if e != 0 {
                return failed(os_error(std::io::Error::from_raw_os_error(e)));
            }
        }
        remember(id, fd);
        self.sock_link(id);
        self.record_op(Op::Connect, id, NONE, port, local as i64, 0, Some(&addr_of(fd, true).unwrap_or_else(|| format!("port {port}"))));
        self.sock_wake_listener(port as u64, id);
        Ok(id)
    }

    /// `conn.send(data)` (`flags` as for send(2)): sends every byte;
    /// returns how many.
    pub fn sock_send(&self, id: u32, fd: i32, bytes: &[u8], flags: i32, line: u32) -> LessonResult<i64> {
        let slot = self.sock_slot(id)?;
        self.enter_op(Op::SockSend, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        let flags = MsgFlags::from_bits_retain(flags) | MsgFlags::MSG_NOSIGNAL;
        let mut sent = 0;
        while sent < bytes.len() {
            match nix::sys::socket::send(fd, &bytes[sent..], flags) {
                Ok(n) => sent += n,
                Err(Errno::EINTR) => continue,
                // A socket Python made non-blocking (a timeout), its buffer full.
                Err(Errno::EAGAIN) => {
                    writable(fd, SLICE.as_millis() as i32);
                }
                Err(e) => return Err(os_error(e.into())),
            }
        }
        self.record_op(Op::SockSend, id, NONE, sent as i64, 0, 0, Some(&one_line(&String::from_utf8_lossy(bytes))));
        let peer = slot.aux[PEER].load(Relaxed);
        if sent > 0 && peer > 0 {
            self.sock_wake_first(peer as u32 - 1, Op::SockRecv);
        }
        Ok(sent as i64)
    }

    /// `conn.recv(n)` (`flags` as for recv(2)): up to `n` bytes; none once
    /// the peer has closed.
    pub fn sock_recv(&self, id: u32, fd: i32, n: i64, flags: i32, timeout: Option<f64>, line: u32) -> LessonResult<Vec<u8>> {
        let slot = self.sock_slot(id)?;
        if n < 0 {
            return Err(LessonError::value("negative buffersize in recv"));
        }
        self.enter_op(Op::SockRecv, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        let mut buf = vec![0u8; (n as usize).min(1 << 20)];
        let got = loop {
            if buf.is_empty() {
                break 0;
            }
            match nix::sys::socket::recv(fd, &mut buf, MsgFlags::from_bits_retain(flags) | MsgFlags::MSG_DONTWAIT) {
                Ok(r) => break r,
                Err(Errno::EAGAIN | Errno::EINTR) => self.sock_wait(id, slot, fd, Op::SockRecv, timeout, false)?,
                Err(e) => return Err(os_error(e.into())),
            }
        };
        buf.truncate(got);
        self.record_op(Op::SockRecv, id, NONE, got as i64, 0, 0, Some(&one_line(&String::from_utf8_lossy(&buf))));
        Ok(buf)
    }

    /// `close()`: this process's descriptor closes; when no process holds it
    /// any more the connection ends and a peer of the run in `recv` is woken.
    pub fn sock_close(&self, id: u32, fd: i32, line: u32) -> LessonResult<()> {
        self.enter_op(Op::SockClose, line);
        self.sock_drop(id, fd, None)
    }

    /// A Python socket object closed by the garbage collector (CPython
    /// closes its descriptor then): as `close()`, but not an op of the program.
    pub fn sock_release(&self, id: u32, fd: i32) -> LessonResult<()> {
        self.sock_drop(id, fd, Some("closed (garbage collected)"))
    }

    /// Python's `sock.shutdown(how)`: the connection stops one way or both;
    /// a peer of the run in `recv` is woken (it reads the end). Recorded as
    /// a `close` that leaves the descriptor held.
    pub fn sock_shutdown(&self, id: u32, fd: i32, how: i32, line: u32) -> LessonResult<()> {
        let slot = self.sock_slot(id)?;
        self.enter_op(Op::SockClose, line);
        if fd < 0 {
            return Err(bad_fd());
        }
        use nix::sys::socket::Shutdown;
        let way = match how {
            libc::SHUT_RD => Shutdown::Read,
            libc::SHUT_WR => Shutdown::Write,
            libc::SHUT_RDWR => Shutdown::Both,
            _ => return Err(os_error(std::io::Error::from_raw_os_error(libc::EINVAL))),
        };
        check(nix::sys::socket::shutdown(fd, way))?;
        let held = slot.aux[HOLDERS].load(Relaxed).max(1);
        self.record_op(Op::SockClose, id, NONE, held as i64, 0, 0, Some(&format!("shutdown({})", ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"].get(how as usize).unwrap_or(&"?"))));
        let peer = slot.aux[PEER].load(Relaxed);
        if how != libc::SHUT_RD && peer > 0 {
            self.sock_wake_first(peer as u32 - 1, Op::SockRecv);
        }
        Ok(())
    }

    /// Before Python forks a child: it holds every socket this process holds
    /// (a forked child has a copy of every descriptor). Not an op.
    pub(crate) fn sock_inherit_all(&self) {
        let open: Vec<u32> = OPEN.with(|o| o.borrow().iter().map(|(id, _)| *id).collect());
        for id in open {
            self.sock_share(id);
        }
    }

    fn sock_drop(&self, id: u32, fd: i32, detail: Option<&str>) -> LessonResult<()> {
        let slot = self.sock_slot(id)?;
        if fd >= 0 {
            forget(fd);
            close_fd(fd);
        }
        let left = {
            let _g = Guard::new(&slot.mutex, self.lane);
            let left = slot.aux[HOLDERS].load(Relaxed).saturating_sub(1);
            slot.aux[HOLDERS].store(left, Relaxed);
            if left == 0 {
                slot.aux[CLOSED].store(1, Relaxed);
            }
            slot.version.fetch_add(1, Release);
            left
        };
        self.record_op(Op::SockClose, id, NONE, left as i64, 0, 0, detail);
        let peer = slot.aux[PEER].load(Relaxed);
        if left == 0 && peer > 0 {
            self.sock_wake_first(peer as u32 - 1, Op::SockRecv);
        }
        Ok(())
    }

    /// At the process's end: its open sockets close (the OS would close them).
    pub(crate) fn sock_release_all(&self) {
        let open: Vec<(u32, i32)> = OPEN.with(|o| o.borrow().clone());
        for (id, fd) in open {
            let _ = self.sock_drop(id, fd, Some("closed at exit"));
        }
    }
}
