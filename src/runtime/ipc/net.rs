//! Thin wrappers over the socket system calls the lesson's sockets use
//! (IPv4: loopback only for Rhai; any address a Python program binds), and
//! Python's names for their errors.

use std::os::fd::{BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};

use nix::sys::socket::SockaddrIn;

use crate::runtime::{LessonError, LessonResult};

/// An I/O error as Python names it: `ConnectionRefusedError: [Errno 111] Connection refused`.
pub fn os_error(e: std::io::Error) -> LessonError {
    let n = e.raw_os_error().unwrap_or(0);
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let kind = match n {
        libc::ECONNREFUSED => "ConnectionRefusedError",
        libc::ECONNRESET => "ConnectionResetError",
        libc::ECONNABORTED => "ConnectionAbortedError",
        libc::EPIPE => "BrokenPipeError",
        _ => "OSError",
    };
    LessonError::new(kind, format!("[Errno {n}] {text}"))
}

/// `OSError: [Errno 9] Bad file descriptor` (a closed socket, or one not usable here).
pub fn bad_fd() -> LessonError {
    os_error(std::io::Error::from_raw_os_error(libc::EBADF))
}

/// Python's socket timeout: `TimeoutError: timed out`.
pub fn timed_out() -> LessonError {
    LessonError::new("TimeoutError", "timed out")
}

/// A call's result, its error as Python names it.
pub fn check<T>(r: nix::Result<T>) -> LessonResult<T> {
    r.map_err(|e| os_error(e.into()))
}

/// `127.0.0.1:port`.
pub fn loopback(port: u16) -> SockaddrIn {
    SockaddrIn::new(127, 0, 0, 1, port)
}

/// `f` with the socket `fd` of the run's handle table, borrowed for the call.
pub fn with_fd<R>(fd: i32, f: impl FnOnce(BorrowedFd<'_>) -> R) -> R {
    debug_assert!(fd >= 0);
    // SAFETY: the descriptors given here are the lesson's open sockets: this
    // thread holds them in its handle table and closes them only through
    // `close_fd`, never during `f`; the borrow cannot outlive the call.
    f(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// A new TCP socket (close-on-exec).
pub fn new_socket() -> LessonResult<i32> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socket};
    check(socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)).map(IntoRawFd::into_raw_fd)
}

pub fn bind_loopback(fd: i32, port: u16) -> LessonResult<()> {
    check(nix::sys::socket::bind(fd, &loopback(port)))
}

pub fn close_fd(fd: i32) {
    if fd >= 0 {
        // SAFETY: the handle table owned `fd` and gives it up here; nothing
        // uses the number after this call.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// A socket's own (`peer` false) or peer's IPv4 address.
fn inet_addr(fd: i32, peer: bool) -> Option<SockaddrIn> {
    use nix::sys::socket::{getpeername, getsockname};
    if peer { getpeername(fd).ok() } else { getsockname(fd).ok() }
}

/// The port of a socket's own (`peer` false) or peer's address.
pub fn port_of(fd: i32, peer: bool) -> Option<u16> {
    inet_addr(fd, peer).map(|a| a.port())
}

/// A socket's own (`peer` false) or peer's address as `ip:port`.
pub fn addr_of(fd: i32, peer: bool) -> Option<String> {
    inet_addr(fd, peer).map(|a| format!("{}:{}", a.ip(), a.port()))
}

/// Sets `O_NONBLOCK` on `fd` (a listening socket: a connection seen by poll
/// may be taken by another holder of the socket before our accept).
pub fn set_nonblocking(fd: i32) -> LessonResult<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    with_fd(fd, |fd| {
        let flags = OFlag::from_bits_retain(check(fcntl(fd, FcntlArg::F_GETFL))?);
        if !flags.contains(OFlag::O_NONBLOCK) {
            check(fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)))?;
        }
        Ok(())
    })
}

/// The pending error of a socket (`SO_ERROR`: how a non-blocking connect ended).
pub fn so_error(fd: i32) -> i32 {
    with_fd(fd, |fd| nix::sys::socket::getsockopt(&fd, nix::sys::socket::sockopt::SocketError)).unwrap_or_else(|e| e as i32)
}

/// Whether `fd` can be written to within `ms` (a connect in progress has ended).
pub fn writable(fd: i32, ms: i32) -> bool {
    use nix::poll::PollFlags;
    let ends = PollFlags::POLLOUT | PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL;
    with_fd(fd, |fd| crate::sys::poll_one(fd, PollFlags::POLLOUT, ms)).is_some_and(|r| r.intersects(ends))
}

pub fn readable(fd: i32, ms: i32) -> bool {
    with_fd(fd, |fd| !crate::sys::poll_readable(&[fd], ms).is_empty())
}

/// Whether `fd` in this process is the socket whose local port is `port` (an
/// inherited descriptor, checked before use; a number not open has no port).
pub fn is_socket_on(fd: i32, port: u16) -> bool {
    fd >= 0 && port_of(fd, false) == Some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_named_as_python_names_them() {
        let e = os_error(std::io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert_eq!(e.to_string(), "ConnectionRefusedError: [Errno 111] Connection refused");
        assert_eq!(os_error(std::io::Error::from_raw_os_error(libc::EADDRINUSE)).to_string(), "OSError: [Errno 98] Address already in use");
    }

    #[test]
    fn an_inherited_descriptor_is_checked_by_its_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        use std::os::fd::AsRawFd;
        assert!(is_socket_on(l.as_raw_fd(), port));
        assert!(!is_socket_on(l.as_raw_fd(), port.wrapping_add(1)));
        assert!(!is_socket_on(-1, port));
        assert!(!is_socket_on(9999, port));
        assert_eq!(addr_of(l.as_raw_fd(), false), Some(format!("127.0.0.1:{port}")));
        assert_eq!(addr_of(l.as_raw_fd(), true), None, "a listener has no peer");
    }
}
