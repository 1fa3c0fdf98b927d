//! The fork server's template for a Rhai run: `forkscope template --segment NAME`.
//!
//! Started by the conductor (see `runtime::forkserver` for the protocol), it
//! opens the segment, reads the run info, builds the engine and compiles the
//! lesson once; then every process of the run — `main` and each child — is a
//! fork of it that attaches to its lane and runs the compiled lesson
//! ([`super::run_attached`]), instead of an exec that builds and
//! compiles again.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::Ordering::*;

use crate::codec::{self, RunInfo};
use crate::runtime::{attach, forkserver};
use crate::script;
use crate::shm::Segment;
use crate::sys;

/// Runs the template; returns its exit status.
pub fn main(segment: &str) -> i32 {
    match prepare(segment) {
        Ok(status) => status,
        Err(why) => {
            eprintln!("forkscope template: {why}");
            eprintln!("(the template subcommand is internal: forkscope starts it for a run)");
            2
        }
    }
}

fn prepare(segment: &str) -> Result<i32, String> {
    let seg = Segment::open(segment).map_err(|e| e.to_string())?;
    let v = seg.leak();
    let ctl = v.control();
    let conductor = ctl.conductor_pid.load(Acquire);
    let pidfd = sys::pidfd_open(conductor).map_err(|_| "no live conductor for this segment".to_string())?;
    if !sys::is_same_live_process(conductor, ctl.conductor_start.load(Acquire)) {
        return Err("no live conductor for this segment".into());
    }
    // SAFETY: fd 0 is the listening socket the conductor gave us (checked
    // below: accept on anything else fails, and the conductor falls back).
    let listener = unsafe { OwnedFd::from_raw_fd(0) };
    if !is_listening_socket(&listener) {
        return Err("stdin is not the run's listening socket".into());
    }
    let info: RunInfo = v
        .read_chain(ctl.info_block.load(Acquire), ctl.info_len.load(Acquire))
        .and_then(|b| codec::decode(&b).ok())
        .ok_or("the run info in the segment is broken")?;
    let engine = script::base_engine();
    let ast = script::compile(&engine, &info.script);
    // Each forked child takes them (its own copy: the template never does).
    let mut prepared = Some((engine, ast));
    Ok(forkserver::serve(listener, v, pidfd, move |lane| match (attach::adopt_forked(v, segment, lane), prepared.take()) {
        (Ok(attached), Some((engine, ast))) => super::run_attached(attached, engine, ast),
        _ => 2,
    }))
}

fn is_listening_socket(fd: &OwnedFd) -> bool {
    nix::sys::socket::getsockopt(fd, nix::sys::socket::sockopt::AcceptConn).unwrap_or(false)
}
