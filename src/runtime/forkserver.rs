//! The fork server: the processes of a run start as forks of one prepared
//! template process instead of each being a fresh `exec` that sets itself up.
//!
//! The conductor makes a listening Unix socket (an abstract name derived from
//! the segment's, so nothing appears in any folder) and execs the template
//! with that socket as its stdin, in a new process group: the run's group.
//! The template does once, per run, what every process used to do on its own
//! (for Rhai: build the engine and compile the lesson; see
//! `worker::template`), then serves: a request is the lane to start (4 bytes),
//! the answer the new process's pid (4 bytes; a negative value is `-errno`).
//! For each request it forks; the child drops the template's descriptors and
//! becomes the lane's process (`attach::adopt_forked`), exactly as an exec'd
//! worker would, from the same `go` handshake on.
//!
//! Only what is provably the run's gets a process: the peer (`SO_PEERCRED`)
//! must be the lane's parent — the conductor for `main`, else the process of
//! the lane that reserved it — and the lane must be reserved and not yet
//! launched. The template is single-threaded (forking is safe) and never runs
//! lesson code itself.
//!
//! The template is every process's OS parent, so it reaps them — but only
//! once the conductor has seen the end (`ended`), as any parent of a run's
//! process does: the conductor reads the exit status from the zombie. It ends
//! when the conductor does (it polls the conductor's pidfd) and with the run
//! (it is in the run's group). If it is gone, or a request fails, the starter
//! falls back to exec (`--no-fork-server` uses exec throughout).

use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::atomic::Ordering::*;
use std::time::Duration;

use crate::shm::View;
use crate::shm::layout::NONE;
use crate::sys;

fn address(segment: &str) -> std::io::Result<SocketAddr> {
    SocketAddr::from_abstract_name(format!("forkscope-template-{segment}").as_bytes())
}

/// The conductor's side: the listening socket the template serves on.
pub fn listen(segment: &str) -> std::io::Result<UnixListener> {
    UnixListener::bind_addr(&address(segment)?)
}

/// Asks the template of `segment` for a process on `lane` (already reserved
/// by the caller). Returns its pid.
pub fn request(segment: &str, lane: u32) -> std::io::Result<i32> {
    let mut s = UnixStream::connect_addr(&address(segment)?)?;
    // A template that stopped answering must not hang a start: fall back.
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(&lane.to_le_bytes())?;
    let mut b = [0u8; 4];
    s.read_exact(&mut b)?;
    match i32::from_le_bytes(b) {
        pid if pid > 0 => Ok(pid),
        e => Err(std::io::Error::from_raw_os_error(-e)),
    }
}

/// The pid of the peer of a connected Unix socket.
fn peer_pid(s: &UnixStream) -> Option<i32> {
    nix::sys::socket::getsockopt(s, nix::sys::socket::sockopt::PeerCredentials).ok().map(|c| c.pid())
}

/// Why a request is refused (as an errno for the answer), or `None` if the
/// lane is the requester's to start.
fn refusal(v: &View<'static>, lane: u32, peer: i32) -> Option<i32> {
    let Some(l) = v.lane(lane) else { return Some(libc::EINVAL) };
    if l.used.load(Acquire) == 0 || l.pid.load(Acquire) != 0 || l.ended.load(Acquire) != 0 {
        return Some(libc::EINVAL);
    }
    let parent = l.parent.load(Acquire);
    let parent_pid = if parent == NONE { v.control().conductor_pid.load(Acquire) } else { v.lane(parent).map_or(0, |p| p.pid.load(Acquire)) };
    (parent_pid <= 0 || parent_pid != peer).then_some(libc::EPERM)
}

/// The template's loop. `listener` is the socket the conductor made;
/// `become_lane` runs in each forked child and never returns. Returns when
/// the conductor is gone.
pub fn serve(listener: OwnedFd, v: View<'static>, conductor: OwnedFd, mut become_lane: impl FnMut(u32) -> i32) -> i32 {
    // SAFETY: the conductor handed us this descriptor as a listening socket.
    let listener = unsafe { UnixListener::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(listener)) };
    let mut children: Vec<(i32, u32)> = Vec::new();
    loop {
        // Reap the processes whose end the conductor has seen.
        children.retain(|&(pid, lane)| {
            if v.lane(lane).is_some_and(|l| l.ended.load(Acquire) == 0) {
                return true;
            }
            sys::wait_child(pid, false) == sys::ChildWait::Running
        });
        let wait = if children.is_empty() { -1 } else { 10 };
        let ready = sys::poll_readable(&[listener.as_fd(), conductor.as_fd()], wait);
        if ready.contains(&1) {
            return 0;
        }
        if !ready.contains(&0) {
            continue;
        }
        let Ok((mut conn, _)) = listener.accept() else { continue };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
        let mut b = [0u8; 4];
        if conn.read_exact(&mut b).is_err() {
            continue;
        }
        let lane = u32::from_le_bytes(b);
        let answer = match peer_pid(&conn).map_or(Some(libc::EPERM), |peer| refusal(&v, lane, peer)) {
            Some(errno) => -errno,
            // SAFETY: this process is single-threaded (see the module docs).
            None => match unsafe { nix::unistd::fork() } {
                Ok(nix::unistd::ForkResult::Child) => {
                    drop(conn);
                    drop(listener);
                    drop(conductor);
                    // stdin was the listener: the process gets /dev/null, as an exec'd worker does.
                    if let Ok(null) = std::fs::File::open("/dev/null") {
                        let _ = nix::unistd::dup2_stdin(&null);
                    }
                    let code = become_lane(lane);
                    // The child ends here; nothing of the template's may run on.
                    sys::exit_now(code)
                }
                Ok(nix::unistd::ForkResult::Parent { child }) => {
                    children.push((child.as_raw(), lane));
                    child.as_raw()
                }
                Err(e) => -(e as i32),
            },
        };
        let _ = conn.write_all(&answer.to_le_bytes());
    }
}
