//! Thin wrappers over the socket system calls the lesson's sockets use
//! (IPv4: loopback only for Rhai; any address a Python program binds), and
//! Python's names for their errors.

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

/// A syscall's return code, or its error.
pub fn check(rc: libc::c_int) -> LessonResult<libc::c_int> {
    if rc < 0 { Err(os_error(std::io::Error::last_os_error())) } else { Ok(rc) }
}

pub fn loopback(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
        sin_zero: [0; 8],
    }
}

pub const ADDR_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;

/// A new TCP socket (close-on-exec).
pub fn new_socket() -> LessonResult<i32> {
    // SAFETY: plain syscall with integer arguments.
    check(unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })
}

pub fn bind_loopback(fd: i32, port: u16) -> LessonResult<()> {
    let addr = loopback(port);
    // SAFETY: `addr` is a valid sockaddr_in of ADDR_LEN bytes.
    check(unsafe { libc::bind(fd, &addr as *const libc::sockaddr_in as *const libc::sockaddr, ADDR_LEN) }).map(|_| ())
}

pub fn close_fd(fd: i32) {
    // SAFETY: closing a descriptor this process owns.
    unsafe { libc::close(fd) };
}

/// The port of a socket's own (`peer` false) or peer's address.
pub fn port_of(fd: i32, peer: bool) -> Option<u16> {
    // SAFETY: sockaddr_in is plain old data; all zeros is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = ADDR_LEN;
    let p = &mut addr as *mut libc::sockaddr_in as *mut libc::sockaddr;
    // SAFETY: `p` points at `len` writable bytes.
    let rc = unsafe { if peer { libc::getpeername(fd, p, &mut len) } else { libc::getsockname(fd, p, &mut len) } };
    (rc == 0 && addr.sin_family == libc::AF_INET as libc::sa_family_t).then(|| u16::from_be(addr.sin_port))
}

/// A socket's own (`peer` false) or peer's address as `ip:port`.
pub fn addr_of(fd: i32, peer: bool) -> Option<String> {
    // SAFETY: sockaddr_in is plain old data; all zeros is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = ADDR_LEN;
    let p = &mut addr as *mut libc::sockaddr_in as *mut libc::sockaddr;
    // SAFETY: `p` points at `len` writable bytes.
    let rc = unsafe { if peer { libc::getpeername(fd, p, &mut len) } else { libc::getsockname(fd, p, &mut len) } };
    (rc == 0 && addr.sin_family == libc::AF_INET as libc::sa_family_t).then(|| format!("{}:{}", std::net::Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)), u16::from_be(addr.sin_port)))
}

/// Sets `O_NONBLOCK` on `fd` (a listening socket: a connection seen by poll
/// may be taken by another holder of the socket before our accept).
pub fn set_nonblocking(fd: i32) -> LessonResult<()> {
    // SAFETY: plain fcntl calls on a descriptor number.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above.
        check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

/// The pending error of a socket (`SO_ERROR`: how a non-blocking connect ended).
pub fn so_error(fd: i32) -> i32 {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` is a writable c_int of `len` bytes.
    let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err as *mut libc::c_int as *mut libc::c_void, &mut len) };
    if rc < 0 { std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EBADF) } else { err }
}

/// Whether `fd` can be written to within `ms` (a connect in progress has ended).
pub fn writable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 && p.revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 }
}

pub fn readable(fd: i32, ms: i32) -> bool {
    !crate::sys::poll_readable(&[fd], ms).is_empty()
}

/// Whether `fd` in this process is the socket whose local port is `port` (an
/// inherited descriptor, checked before use).
pub fn is_socket_on(fd: i32, port: u16) -> bool {
    // SAFETY: F_GETFD on any integer is harmless; -1 means no such descriptor.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0 && port_of(fd, false) == Some(port)
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
