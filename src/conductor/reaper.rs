//! The reaper thread: learns of every process's end, at once, and says so.
//!
//! It holds a pidfd for each process of the run (found by scanning the lane
//! table for newly published pids) and sleeps in `poll` on them. When one
//! becomes readable the process has ended and is a zombie; the reaper takes its
//! status — with `waitpid` if it is our own child (`main`, or an orphan that was
//! re-parented to us, the child subreaper), else from `/proc/PID/stat` (the
//! zombie's exit code; its parent only reaps after we set `ended`) — then:
//! stores the Python exitcode in the lane, sets `ended`, writes an `Ended`
//! record on the conductor's lane, frees any resource mutex the process died
//! holding, wakes its parent (who may be joining it), and wakes every blocked
//! process to look again (its end may have ended their wait, e.g. end of file
//! on a pipe whose last other holder it was).
//!
//! A lane whose parent ended inside `start()` (reserved, pid never published)
//! is marked as never launched, so that the run can still end.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use std::sync::{Arc, Mutex};

use crate::shm::{Segment, View};
use crate::shm::layout::{CONDUCTOR_LANE, NONE, ProcState};
use crate::shm::mutex;
use crate::shm::record::{OpBody, RawKind, RawRecord, TextTag, text_chunks};
use crate::sys;

/// Writes records on the conductor's lane; several threads share it, one at a time.
#[derive(Clone, Debug, Default)]
pub struct Lane0(pub Arc<Mutex<()>>);

impl Lane0 {
    pub fn emit(&self, v: &View<'_>, kind: RawKind, body: OpBody) {
        self.emit_with_detail(v, kind, body, None);
    }

    /// A record with a `Detail` text group (all or nothing, like any group).
    pub fn emit_with_detail(&self, v: &View<'_>, kind: RawKind, body: OpBody, detail: Option<&str>) {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut group = vec![RawRecord { kind: kind as u16, body: body.encode(), ..RawRecord::EMPTY }];
        for chunk in detail.map(|d| text_chunks(TextTag::Detail, d)).unwrap_or_default() {
            group.push(RawRecord { kind: RawKind::Text as u16, body: chunk, ..RawRecord::EMPTY });
        }
        v.emit(CONDUCTOR_LANE, &mut group);
    }
}

impl Lane0 {
    /// A text group (an error the conductor found) on the conductor's lane.
    pub fn emit_text(&self, v: &View<'_>, tag: TextTag, text: &str) {
        let _g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut group: Vec<RawRecord> = text_chunks(tag, text).into_iter().map(|body| RawRecord { kind: RawKind::Text as u16, body, ..RawRecord::EMPTY }).collect();
        v.emit(CONDUCTOR_LANE, &mut group);
    }
}

/// Bounds of the reaper's poll timeout (ms).
const IDLE_MIN_MS: i32 = 2;
const IDLE_MAX_MS: i32 = 20;

struct Tracked {
    pid: i32,
    fd: OwnedFd,
}

/// Starts the reaper. It runs until `stop` is set.
/// It owns a share of the segment, so the mapping outlives it whatever the
/// conductor does meanwhile.
/// `wake` (a pipe's read end) ends its wait at once when written to: the
/// conductor sets `stop`, then writes, and the reaper makes its last pass
/// and returns without sleeping out its poll.
/// `own`: the pids the conductor started itself (see `family::verdict`).
/// `ends`: bumped (and its waiters woken) after each round that reported an
/// end and left no process watched, so the conductor's free run learns of
/// the last end at once while it looks at the lanes only every few
/// milliseconds otherwise (`Run::wait_for_an_end`).
pub fn spawn(seg: Arc<Segment>, lane0: Lane0, stop: Arc<AtomicBool>, wake: std::io::PipeReader, own: Arc<std::sync::Mutex<Vec<i32>>>, ends: Arc<AtomicU32>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("reaper".into()).spawn(move || run(seg.view(), seg.name(), lane0, stop, wake, &own, &ends))
}

fn run(v: View<'_>, seg_name: &str, lane0: Lane0, stop: Arc<AtomicBool>, wake: std::io::PipeReader, own: &std::sync::Mutex<Vec<i32>>, ends: &AtomicU32) {
    let mut tracked: HashMap<u32, Tracked> = HashMap::new();
    let mut done = vec![false; v.geometry().lanes as usize];
    let mut settled = vec![false; v.geometry().lanes as usize];
    let mut unsure: HashMap<u32, std::time::Instant> = HashMap::new();
    done[CONDUCTOR_LANE as usize] = true;
    // The poll's timeout only bounds how late a new process is noticed (an
    // end is noticed at once: its pidfd wakes the poll). It starts short and
    // backs off while nothing happens, so a paused run costs next to no CPU.
    let mut idle_ms = IDLE_MIN_MS;
    while !stop.load(Acquire) {
        let tracked_before = tracked.len();
        // A lane ended (or will never start) this round.
        let mut reported = false;
        // New processes: lanes whose pid is published.
        for lane in 1..v.lanes_in_use() {
            if done[lane as usize] || tracked.contains_key(&lane) {
                continue;
            }
            let Some(l) = v.lane(lane) else { continue };
            let pid = l.pid.load(Acquire);
            // Whether the process is the run's: asked once a round while it
            // cannot be said (see `family::verdict`).
            let judged = if pid > 0 { forked_by_watched(&v, &tracked, lane, pid).or_else(|| verdict(pid, seg_name, own)) } else { Some(true) };
            match pid {
                0 => {
                    if abandon_if_orphaned(&v, lane) {
                        done[lane as usize] = true;
                        reported = true;
                    }
                }
                pid if pid < 0 => {
                    done[lane as usize] = true;
                    reported = true;
                }
                _ if judged.is_none() && unsure.entry(lane).or_insert_with(std::time::Instant::now).elapsed() < UNSURE_FOR => {
                    // An exec under way: look again on the next round.
                }
                pid if judged != Some(true) => {
                    // A pid no process of the run can be (`fs_start_commit`
                    // called with anyone's pid): the lane had no process.
                    // Not watched, never signalled; its start failed.
                    let name = v.lane(lane).map(|l| l.name.get()).unwrap_or_default();
                    lane0.emit_text(&v, TextTag::Error, &format!("{name}: pid {pid} was given as this process, but it is not a process of this run: forkscope neither watches nor signals it"));
                    if let Some(l) = v.lane(lane) {
                        l.exit_status.store(255, Release);
                    }
                    let body = OpBody { other: lane as u16, res: NONE, a: 255, b: 1, ..Default::default() };
                    lane0.emit(&v, RawKind::Ended, body);
                    if let Some(l) = v.lane(lane) {
                        l.ended.store(1, SeqCst);
                        let parent = l.parent.load(Acquire);
                        if parent != NONE {
                            v.wake_lane(parent);
                        }
                    }
                    v.wake_lane(lane);
                    done[lane as usize] = true;
                    reported = true;
                }
                pid => match sys::pidfd_open(pid) {
                    Ok(fd) => {
                        tracked.insert(lane, Tracked { pid, fd });
                    }
                    Err(_) => {
                        // Gone before we looked: still report it.
                        on_end(&v, &lane0, lane, pid);
                        done[lane as usize] = true;
                        reported = true;
                    }
                },
            }
        }
        // A thread's lane ends when its thread says it has ended (its
        // process goes on); the pidfd below tells its process's end.
        let mut threads = false;
        for (lane, pid) in tracked.iter().map(|(l, t)| (*l, t.pid)).collect::<Vec<_>>() {
            let Some(l) = v.lane(lane) else { continue };
            if l.thread.load(Acquire) == 0 {
                continue;
            }
            threads = true;
            if l.status.read(64).is_some_and(|s| s.state == ProcState::Exiting as u32) {
                tracked.remove(&lane);
                on_end(&v, &lane0, lane, pid);
                done[lane as usize] = true;
                reported = true;
            }
        }
        // In lane order: a process's end is told before its threads'.
        let mut lanes: Vec<u32> = tracked.keys().copied().collect();
        lanes.sort_unstable();
        // The wake pipe last: indices below it are the lanes'.
        let mut fds: Vec<std::os::fd::BorrowedFd<'_>> = lanes.iter().map(|l| tracked[l].fd.as_fd()).collect();
        fds.push(wake.as_fd());
        let mut ready = sys::poll_readable(&fds, idle_ms);
        ready.retain(|&i| i < lanes.len());
        idle_ms = if ready.is_empty() && tracked.len() == tracked_before { (idle_ms * 2).min(IDLE_MAX_MS) } else { IDLE_MIN_MS };
        if threads {
            // A thread's end wakes no pidfd: look often while threads live.
            idle_ms = IDLE_MIN_MS;
        }
        for i in ready {
            let lane = lanes[i];
            if let Some(t) = tracked.remove(&lane) {
                on_end(&v, &lane0, lane, t.pid);
                done[lane as usize] = true;
                reported = true;
            }
        }
        reap_adopted_zombies(&v, &done, &mut settled);
        // Only when no process it knows of is left: the run may be over
        // (an end among many wakes no one: the loop looks soon anyway).
        if reported && tracked.is_empty() {
            ends.fetch_add(1, SeqCst);
            crate::shm::futex::wake_all(ends);
        }
    }
    // Stopped once every process had ended: their ends are all reported, and
    // the orphans among them re-parented to us; reap those now.
    reap_adopted_zombies(&v, &done, &mut settled);
}

/// `Some(true)` if `pid` (published in `lane`) is a child the process of
/// its parent lane forked — its OS parent is that process, which this
/// reaper judged of the run and still watches — so it is of the run, as a
/// descendant of one (`family::verdict` would read its environment and its
/// ancestors' to say so: this is one read of its `/proc/PID/stat`, and
/// nearly every start of a Python program is such a fork). `None`: ask
/// [`verdict`].
fn forked_by_watched(v: &View<'_>, tracked: &HashMap<u32, Tracked>, lane: u32, pid: i32) -> Option<bool> {
    let parent = v.lane(lane)?.parent.load(Acquire);
    let parent_pid = tracked.get(&parent)?.pid;
    (parent_pid != pid && sys::proc_stat(pid)?.ppid == parent_pid).then_some(true)
}

/// Whether `pid`, published in a lane (which any process of the run can
/// write), is a process of the run (see `family::verdict`).
fn verdict(pid: i32, seg_name: &str, own: &std::sync::Mutex<Vec<i32>>) -> Option<bool> {
    let own = own.lock().unwrap_or_else(|e| e.into_inner()).clone();
    super::family::verdict(pid, seg_name, &own)
}

/// How long a lane's pid may stay of unknown family (see [`verdict`]: a
/// child of the conductor that shows no environment) before it counts as
/// not the run's. An exec ends in a moment, but on a machine under heavy
/// load it can wait seconds for a CPU.
const UNSURE_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// A lane reserved by a process that ended before it published the child's
/// pid (killed inside `start()`): no one can finish that start now, so the
/// lane is marked as never launched (pid -1), as a failed launch is, and
/// counts as ended. A worker already exec'd on it sees that and gives up
/// (`attach::wait_released`). True if this call abandoned the lane.
fn abandon_if_orphaned(v: &View<'_>, lane: u32) -> bool {
    let Some(l) = v.lane(lane) else { return false };
    if l.used.load(Acquire) == 0 {
        return false;
    }
    let parent = l.parent.load(Acquire);
    // `main`'s lane (parent NONE) is the conductor's own: it publishes the pid itself.
    let parent_ended = parent != NONE && parent != lane && v.lane(parent).is_some_and(|p| p.ended.load(Acquire) != 0);
    if !parent_ended {
        return false;
    }
    // The parent may have published the pid just before it ended: then the
    // lane is a process like any other, tracked on the next round.
    let abandoned = l.pid.compare_exchange(0, -1, AcqRel, Acquire).is_ok();
    if abandoned {
        v.wake_lane(lane);
    }
    abandoned
}

/// `waitpid(pid, WNOHANG)`: the wait status if `pid` is our child and has ended.
fn try_reap(pid: i32) -> Option<i32> {
    match sys::wait_child(pid, false) {
        sys::ChildWait::Ended(code) => Some(code),
        _ => None,
    }
}

/// The Python exitcode of ended process `pid` (see the module docs).
fn exitcode(v: &View<'_>, lane: u32, pid: i32) -> i32 {
    if let Some(code) = try_reap(pid) {
        return code;
    }
    let start = v.lane(lane).map_or(0, |l| l.start_time.load(Acquire));
    match sys::proc_stat(pid) {
        Some(st) if st.state == 'Z' && (start == 0 || st.start_time == start) => sys::exitcode_from_wait_status(st.exit_code),
        _ => {
            // Reaped already (by a parent that did not wait for us), or the
            // status is unreadable: use what the process said about itself.
            let snap = v.lane(lane).and_then(|l| l.status.read(64));
            match snap {
                Some(s) if s.state == ProcState::Exiting as u32 => s.exit_code,
                _ => -libc::SIGKILL,
            }
        }
    }
}

fn on_end(v: &View<'_>, lane0: &Lane0, lane: u32, pid: i32) {
    let Some(l) = v.lane(lane) else { return };
    let code = if l.thread.load(Acquire) != 0 {
        // A thread: 0 when it ended by itself, else its process's exitcode
        // (told first: lanes are handled in order).
        match l.status.read(64) {
            Some(s) if s.state == ProcState::Exiting as u32 => s.exit_code,
            _ => {
                let home = v.lane(l.parent.load(Acquire)).filter(|h| h.ended.load(Acquire) != 0);
                home.map_or_else(|| exitcode(v, lane, pid), |h| h.exit_status.load(Acquire))
            }
        }
    } else {
        exitcode(v, lane, pid)
    };
    l.exit_status.store(code, Release);
    // What it held, read from the resource table: the truth even if it died
    // inside an op, before or after writing its record. Free any slot mutex
    // it died holding first, so the slot is not mid-change while we read.
    let mut held = Vec::new();
    for id in 0..v.resources_in_use() {
        if let Some(r) = v.resource(id) {
            mutex::force_unlock_if_held_by(&r.mutex, lane);
            if r.kind.load(Acquire) != 0 && r.owner.load(Acquire) == lane {
                held.push(id.to_string());
            }
        }
    }
    // Record and repairs first, then `ended`: whoever sees `ended` (the
    // conductor deciding a step is over) must find the record already there.
    let body = OpBody { other: lane as u16, res: NONE, a: code as i64, b: 1, ..Default::default() };
    let detail = held.join(",");
    lane0.emit_with_detail(v, RawKind::Ended, body, (!detail.is_empty()).then_some(detail.as_str()));
    l.ended.store(1, SeqCst);
    l.kill_pending.store(0, SeqCst);
    let parent = l.parent.load(Acquire);
    if parent != NONE {
        v.wake_lane(parent);
    }
    v.wake_lane(lane);
    // A process's end can end others' waits without anyone waking them (the
    // last holder of a pipe end killed by a signal: its readers now see end of
    // file). Every blocked process looks again; one whose wait is not over
    // just goes on waiting. (The fence pairs with the one a waiter makes
    // between publishing `blocked` and looking at `ended`: one of the two
    // sees the other.)
    std::sync::atomic::fence(SeqCst);
    for other in 1..v.lanes_in_use() {
        let Some(o) = v.lane(other) else { continue };
        if other != lane && other != parent && o.ended.load(Acquire) == 0 && o.status.read(16).is_some_and(|st| st.state == ProcState::Blocked as u32) {
            v.wake_lane(other);
        }
    }
    // The conductor may be waiting for this end (a step settling).
    v.control().ring_settle();
}

/// Children of ended processes become ours (child subreaper); reap the ones
/// that are already zombies.
fn reap_adopted_zombies(v: &View<'_>, done: &[bool], settled: &mut [bool]) {
    for lane in 1..v.lanes_in_use() {
        let Some(l) = v.lane(lane) else { continue };
        if !done[lane as usize] || settled[lane as usize] {
            continue;
        }
        let parent = l.parent.load(Relaxed);
        let parent_gone = parent == NONE || v.lane(parent).is_none_or(|p| p.ended.load(Relaxed) != 0);
        let pid = l.pid.load(Relaxed);
        if parent_gone && l.ended.load(Relaxed) != 0 {
            // Either we reap it now, or its parent already did: settled.
            if pid > 0 {
                try_reap(pid);
            }
            settled[lane as usize] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::shm::layout::Geometry;

    fn small() -> Geometry {
        Geometry { lanes: 8, ring_cap: 16, resources: 8, blocks: 64 }
    }

    /// A child started by this test, without any run's mark, ended and
    /// reaped at the end of its scope (the reaper may have reaped it first).
    struct Sleeper(std::process::Child);

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn sleeper() -> Sleeper {
        Sleeper(std::process::Command::new("sleep").arg("30").env_clear().spawn().expect("sleep starts"))
    }

    /// A lane's process whose OS parent is its parent lane's watched
    /// process is the run's on that alone (its environment is not read: a
    /// process the program forked carries its parent's anyway); any other
    /// is left to `verdict`.
    #[test]
    fn a_child_of_a_watched_parent_lane_is_the_runs_by_its_parent_alone() {
        let seg = Segment::create(small()).unwrap();
        let v = seg.view();
        let parent = v.alloc_lane(NONE).unwrap();
        let lane = v.alloc_lane(parent).unwrap();
        let orphan = v.alloc_lane(NONE).unwrap();
        let child = sleeper();
        let pid = child.0.id() as i32;
        let me = std::process::id() as i32;
        let mut tracked = HashMap::new();
        assert_eq!(forked_by_watched(&v, &tracked, lane, pid), None, "its parent lane is not watched: verdict says");
        tracked.insert(parent, Tracked { pid: me, fd: sys::pidfd_open(me).unwrap() });
        assert_eq!(forked_by_watched(&v, &tracked, lane, pid), Some(true));
        assert_eq!(forked_by_watched(&v, &tracked, lane, me), None, "the parent's own pid in its child's lane: verdict says");
        assert_eq!(forked_by_watched(&v, &tracked, orphan, pid), None, "a lane with no parent lane: verdict says");
        tracked.insert(parent, Tracked { pid: 1, fd: sys::pidfd_open(me).unwrap() });
        assert_eq!(forked_by_watched(&v, &tracked, lane, pid), None, "another process's child: verdict says");
    }

    /// The reaper bumps its count of ends (and wakes who waits on it) when a
    /// lane's process ends: the conductor's free run sees the run's end at
    /// once, though it looks at the lanes only every few milliseconds.
    #[test]
    fn an_end_wakes_who_waits_on_the_reapers_count_of_ends() {
        let seg = Arc::new(Segment::create(small()).unwrap());
        let v = seg.view();
        let lane = v.alloc_lane(NONE).unwrap();
        let mut child = sleeper();
        let pid = child.0.id() as i32;
        let ends = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (wake_r, mut wake_w) = std::io::pipe().unwrap();
        let reaper = spawn(seg.clone(), Lane0::default(), stop.clone(), wake_r, Arc::new(Mutex::new(vec![pid])), ends.clone()).unwrap();
        v.lane(lane).unwrap().pid.store(pid, Release);
        assert_eq!(ends.load(SeqCst), 0, "no end yet");
        child.0.kill().unwrap();
        // Bounded: a count never bumped fails the test rather than hanging it.
        let t0 = std::time::Instant::now();
        while ends.load(SeqCst) == 0 && t0.elapsed() < std::time::Duration::from_secs(20) {
            crate::shm::futex::wait(&ends, 0, Some(std::time::Duration::from_secs(20)));
        }
        assert_eq!(ends.load(SeqCst), 1, "one round reported the end");
        assert_ne!(v.lane(lane).unwrap().ended.load(SeqCst), 0);
        stop.store(true, SeqCst);
        wake_w.write_all(b"x").unwrap();
        reaper.join().unwrap();
    }
}
