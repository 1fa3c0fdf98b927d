//! The guard: a tiny process that cleans up if the conductor dies abruptly.
//!
//! The conductor starts `forkscope guard --segment NAME --scratch DIR` in its own session,
//! with the read end of a pipe as its stdin; the conductor keeps the write end
//! (close-on-exec, so no scenario process holds it). When the conductor ends —
//! normally or by SIGKILL — the pipe reports end-of-file. If the conductor had
//! already cleaned up (`Control::clean`), the guard just exits; otherwise it
//! kills the run's process group and any process still listed in the lanes
//! (checked by pid *and* start time), and removes the segment and the run's
//! scratch folder. So even `kill -9` of forkscope leaves nothing behind.

use std::io::Read;
use std::sync::atomic::Ordering::*;

use crate::shm::Segment;
use crate::sys;

/// Runs the guard; returns the exit status.
pub fn main(segment: &str, scratch: &std::path::Path) -> i32 {
    // SAFETY: setsid has no preconditions; failing (already a leader) is harmless.
    unsafe { libc::setsid() };
    let mut buf = [0u8; 64];
    let mut stdin = std::io::stdin();
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let remove_scratch = || {
        if crate::conductor::is_scratch_dir(scratch) {
            let _ = std::fs::remove_dir_all(scratch);
        }
    };
    let Ok(seg) = Segment::open(segment) else {
        remove_scratch();
        return 0;
    };
    let v = seg.view();
    let ctl = v.control();
    if ctl.clean.load(Acquire) != 0 {
        return 0;
    }
    sys::kill_group(ctl.pgid.load(Acquire), libc::SIGKILL);
    for lane in 1..v.lanes_in_use() {
        let Some(l) = v.lane(lane) else { continue };
        let pid = l.pid.load(Acquire);
        if pid > 0 && l.ended.load(Acquire) == 0 && sys::start_time(pid) == Some(l.start_time.load(Acquire)) {
            sys::kill(pid, libc::SIGKILL);
        }
    }
    crate::shm::unlink(segment);
    remove_scratch();
    0
}
