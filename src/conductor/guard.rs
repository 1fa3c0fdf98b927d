//! The guard: a tiny process that cleans up if the conductor dies abruptly.
//!
//! The conductor starts `forkscope guard --segment NAME --scratch DIR` in its own session,
//! with the read end of a pipe as its stdin; the conductor keeps the write end
//! (close-on-exec, so no scenario process holds it). When the conductor ends —
//! normally or by SIGKILL — the pipe reports end-of-file. If the conductor had
//! already cleaned up (`Control::clean`), the guard just exits; otherwise it
//! kills the run's process group and any process still listed in the lanes,
//! and removes the segment and the run's scratch folder. So even `kill -9` of
//! forkscope leaves nothing behind.
//!
//! It signals only what it can prove is the run's: the group the conductor
//! named on the pipe (not the segment, which the run's processes can write),
//! if its leader is still that process; a lane's pid only if that process
//! has the lane's start time and the segment's name on its command line;
//! and every process of the run's family (`conductor::family`: it carries
//! the run's mark in its environment, or descends from one that does),
//! however it left the group.

use std::io::Read;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use crate::shm::Segment;
use crate::sys;

/// Runs the guard of one run; returns the exit status.
pub fn main(segment: &str, scratch: &std::path::Path) -> i32 {
    // Failing (already a leader) is harmless.
    let _ = nix::unistd::setsid();
    let mut watched = Watched::new(segment, scratch);
    let mut buf = [0u8; 256];
    let mut stdin = std::io::stdin();
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => watched.said.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    watched.clean_up();
    0
}

/// Runs the guard of a session's runs (see [`Shared`]): one line a message
/// on stdin, tab-separated: `+ SEGMENT SCRATCH` (a run to watch), `g SEGMENT
/// PGID START` (its group), `- SEGMENT` (it ended clean: let go of it),
/// `.` (goodbye: the conductor is done with this guard). At the end of
/// stdin every run still watched is cleaned up as [`main`] cleans up its
/// one, all at once; and of a run let go, its segment and folder are
/// removed if they are still there (the conductor was killed between the
/// run's clean end and their removal: no one else will). Without goodbye
/// (the conductor was killed), what the conductor made and held and did
/// not tell of yet — a run's segment or folder made a moment before its
/// `+` — is removed too.
pub fn session_main() -> i32 {
    use std::io::BufRead;
    // The conductor, known while it lives.
    let conductor = nix::unistd::getppid().as_raw();
    let conductor_start = sys::start_time(conductor);
    let mut goodbye = false;
    let _ = nix::unistd::setsid();
    let mut runs: Vec<Watched> = Vec::new();
    // Names only: a run let go keeps no mapping or lock here (hundreds of
    // them would hold their memory until the search ends).
    let mut let_go: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut line = Vec::new();
    let mut stdin = std::io::stdin().lock();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        let text = String::from_utf8_lossy(&line);
        let mut it = text.trim_end_matches('\n').splitn(3, '\t');
        match (it.next(), it.next(), it.next()) {
            (Some("+"), Some(seg), Some(scratch)) => runs.push(Watched::new(seg, std::path::Path::new(scratch))),
            (Some("g"), Some(seg), Some(group)) => {
                if let Some(w) = runs.iter_mut().find(|w| w.segment == seg) {
                    w.said = group.as_bytes().to_vec();
                }
            }
            (Some("."), None, None) => goodbye = true,
            (Some("-"), Some(seg), None) => {
                if let Some(i) = runs.iter().position(|w| w.segment == seg) {
                    let w = runs.swap_remove(i);
                    let_go.push((w.segment.clone(), w.scratch.clone()));
                }
            }
            _ => {}
        }
    }
    // Every run's group first, then each run's whole clean-up, all at once
    // (as the guards of their own would).
    for w in &runs {
        w.first_kill();
    }
    std::thread::scope(|s| {
        for w in runs {
            let w = Moved(w);
            s.spawn(move || {
                let Moved(w) = w;
                w.clean_up()
            });
        }
    });
    for (segment, scratch) in let_go {
        crate::shm::unlink(&segment);
        if crate::conductor::is_scratch_dir(&scratch) {
            let _ = std::fs::remove_dir_all(&scratch);
        }
    }
    if !goodbye && let Some(start) = conductor_start {
        crate::shm::sweep_of(conductor, start);
        crate::conductor::sweep_scratch_of(conductor, start);
    }
    0
}

/// A [`Watched`] handed to the thread that cleans it up.
struct Moved(Watched);

// SAFETY: a `Segment` is not `Send` only because its mapping is a raw
// pointer (`shared_memory`'s `Shmem`): the mapping, its file descriptor and
// its lock belong to the process, not to a thread, and after the move only
// the receiving thread uses them (and drops them).
unsafe impl Send for Moved {}

/// One guard for many runs of this process, in turn or at once (explore's:
/// hundreds of runs, each of which would otherwise start a guard of its own,
/// an exec of forkscope): started once, told of each run on its pipe
/// ([`session_main`]), and ended when the last [`Arc`] of it goes (its pipe
/// closed with every run let go of: it exits). A run whose line cannot be
/// written (the guard is gone) starts a guard of its own.
#[derive(Debug)]
pub struct Shared {
    pid: i32,
    pipe: std::sync::Mutex<Option<std::io::PipeWriter>>,
}

impl Shared {
    /// The session guard in use in this process, or a new one (`None` if
    /// it cannot be started: each run then starts its own).
    pub fn current(exe: &std::path::Path) -> Option<std::sync::Arc<Shared>> {
        use std::sync::{Arc, Mutex, Weak};
        static CURRENT: Mutex<Weak<Shared>> = Mutex::new(Weak::new());
        let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(shared) = current.upgrade() {
            return Some(shared);
        }
        let (reader, writer) = std::io::pipe().ok()?;
        let child = std::process::Command::new(exe)
            .args(["guard", "--session"])
            .stdin(reader)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let shared = Arc::new(Shared { pid: child.id() as i32, pipe: Mutex::new(Some(writer)) });
        *current = Arc::downgrade(&shared);
        Some(shared)
    }

    /// Writes one message (a line shorter than a pipe's atomic write, so
    /// that lines from several threads never mix); false if the guard is gone.
    pub(super) fn say(&self, fields: &[&str]) -> bool {
        use std::io::Write;
        let line = fields.join("\t") + "\n";
        if line.len() > 4096 || fields.iter().any(|f| f.contains(['\t', '\n'])) {
            return false;
        }
        let mut pipe = self.pipe.lock().unwrap_or_else(|e| e.into_inner());
        pipe.as_mut().is_some_and(|w| w.write_all(line.as_bytes()).is_ok())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.say(&["."]);
        drop(self.pipe.lock().unwrap_or_else(|e| e.into_inner()).take());
        sys::wait_child(self.pid, true);
    }
}

/// What the guard holds of one run: its segment (kept from any sweep until
/// the guard is done with it), its folder, and what the conductor told it.
struct Watched {
    segment: String,
    scratch: std::path::PathBuf,
    seg: Option<Segment>,
    _scratch_alive: Option<Option<nix::fcntl::Flock<std::os::fd::OwnedFd>>>,
    /// `PGID START` lines from the conductor (the last one counts).
    said: Vec<u8>,
}

impl Watched {
    fn new(segment: &str, scratch: &std::path::Path) -> Watched {
        // Everything that needs a lookup is done now, while the conductor
        // lives: when it dies (perhaps amid a thousand busy processes, with
        // the CPU hard to get) only the kills are left to do. The locks keep
        // any sweep off the segment and the folder until the guard is done
        // with them.
        let seg = Segment::open(segment).ok().map(|mut s| {
            let _ = s.hold_alive();
            s
        });
        let _scratch_alive = crate::conductor::is_scratch_dir(scratch).then(|| sys::hold_alive(scratch).ok());
        Watched { segment: segment.to_string(), scratch: scratch.to_path_buf(), seg, _scratch_alive, said: Vec::new() }
    }

    /// The run's group killed at once, unless the run ended clean.
    fn first_kill(&self) {
        let Some(seg) = &self.seg else { return };
        if !seg.intact() || seg.view().control().clean.load(Acquire) == 0 {
            if let Some(g) = run_group(&String::from_utf8_lossy(&self.said)) {
                sys::kill_group(g, libc::SIGKILL);
            }
        }
    }

    /// The conductor is gone: unless it ended the run clean, end every
    /// process of the run and remove its segment and folder.
    fn clean_up(self) {
        let (segment, scratch) = (self.segment.as_str(), self.scratch.as_path());
        let remove_scratch = || {
            if crate::conductor::is_scratch_dir(scratch) {
                let _ = std::fs::remove_dir_all(scratch);
            }
        };
        let Some(seg) = self.seg else {
            remove_scratch();
            return;
        };
        let group = run_group(&String::from_utf8_lossy(&self.said));
        if !seg.intact() {
            // Truncated under the run (reading a lane now would be a SIGBUS):
            // the group, and every live process started with the segment's
            // name on its command line, are known without it.
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(2) {
                if let Some(g) = group {
                    sys::kill_group(g, libc::SIGKILL);
                }
                // Those named with the segment, and what left the group
                // carrying the run's mark.
                if kill_named(segment) + crate::conductor::family::kill_all(segment, &[]) == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            crate::shm::unlink(segment);
            remove_scratch();
            return;
        }
        let v = seg.view();
        if v.control().clean.load(Acquire) != 0 {
            return;
        }
        // A few rounds, while a lane's process still lives (a process may have
        // been forking as the first kills went out). Killed processes may stay
        // zombies for a while (their reaper is gone with the conductor): those
        // count as ended.
        let t0 = Instant::now();
        for round in 0.. {
            if let Some(g) = group {
                sys::kill_group(g, libc::SIGKILL);
            }
            let mut live = false;
            for lane in 1..v.lanes_in_use() {
                let Some(l) = v.lane(lane) else { continue };
                let pid = l.pid.load(Acquire);
                if pid > 0 && l.ended.load(Acquire) == 0 && is_the_runs(pid, l.start_time.load(Acquire), segment) {
                    sys::kill(pid, libc::SIGKILL);
                    live = true;
                }
            }
            // What left the group and its parent (`setsid`, a double fork) was
            // re-parented away from the run; it still carries the run's mark.
            // A sweep reads every process's stat and environment: every fifth
            // round, not every one while a thousand processes are dying (it
            // took the CPU their ends need); the last round is always one.
            let sweep = round % 5 == 0;
            if sweep && crate::conductor::family::kill_all(segment, &[]) > 0 {
                live = true;
            }
            if (!live && round > 0 && sweep) || t0.elapsed() > Duration::from_secs(2) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        crate::shm::unlink(segment);
        remove_scratch();
    }
}

/// The run's process group, from what the conductor told the guard on its
/// pipe (`PGID START` lines; the last one counts), if it is provably still
/// the run's: its leader is alive with that start time, or no process has
/// that pid any more (the kernel never gives a process a pid that a group
/// still uses as its id, so a group of that id is still the run's). A
/// leader with another start time means the pid was reused: not ours.
fn run_group(said: &str) -> Option<i32> {
    let last = said.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut it = last.split_whitespace();
    let pgid: i32 = it.next()?.parse().ok()?;
    let start: u64 = it.next()?.parse().ok()?;
    if pgid <= 1 {
        return None;
    }
    match sys::proc_stat(pgid) {
        None => Some(pgid),
        Some(st) if start != 0 && st.start_time == start => Some(pgid),
        Some(_) => None,
    }
}

/// Whether `pid`, read from a lane (which any process of the run can
/// scribble on), is provably a process of this run: the same start time as
/// the lane says, and the segment's name on its command line (every
/// process of a run is started with it: `forkscope worker SEGMENT …`,
/// `python3 -c BOOT SEGMENT LANE`, or is a fork of one).
/// A zombie is not: it has ended already.
fn is_the_runs(pid: i32, start: u64, segment: &str) -> bool {
    sys::proc_stat(pid).is_some_and(|st| st.start_time == start && st.state != 'Z' && st.state != 'X') && sys::cmdline(pid).is_some_and(|c| c.contains(segment))
}

/// SIGKILLs every live process of this user (but the guard) whose command
/// line names `segment` (every process of a run is started with it, or is a
/// fork of one that was); returns how many it signalled.
fn kill_named(segment: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    let me = std::process::id() as i32;
    let mut n = 0;
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if pid == me || !sys::proc_stat(pid).is_some_and(|st| st.state != 'Z' && st.state != 'X') {
            continue;
        }
        if sys::cmdline(pid).is_some_and(|c| c.contains(segment)) && sys::kill(pid, libc::SIGKILL) {
            n += 1;
        }
    }
    n
}
