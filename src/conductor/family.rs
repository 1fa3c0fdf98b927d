//! The run's family: every process that is the run's, however it detached.
//!
//! A program can leave the run's process group (`os.setsid()`,
//! `os.setpgid(0, 0)`, `subprocess.Popen(…, start_new_session=True)`) and
//! lose its parent (a double fork): it is then re-parented to the conductor
//! (the child subreaper) — or, once the conductor is gone, to pid 1. Neither
//! the group nor the parent links find it then. What it keeps is its
//! environment: every process of a run is started with [`RUN_ENV`]`=SEGMENT`
//! (the conductor sets it on `main` and on every process it execs, and a
//! fork or an exec inherits it), and `/proc/PID/environ` shows the
//! environment a process was started with, whatever it did to its own
//! copy since. So a run's family is every live process that carries the
//! run's mark, and every descendant of one (a child exec'd with an
//! environment of its own is found through its parent). No privilege,
//! cgroup or namespace is needed: this works for a normal user, and it
//! finds processes in any session, under any parent.
//!
//! The one way out left is a child exec'd with a cleared environment whose
//! parent then ends: it has neither the mark nor a marked ancestor. A
//! process of another user cannot be read (nor killed by us).
//!
//! The conductor sweeps the family at the end of a run, and the guard after
//! the conductor is killed; both kill what they find, round after round,
//! until a sweep finds nothing alive. A pid a process of the run wrote into
//! the segment is signalled only if it is of the family ([`is_of_run`]):
//! the segment is the run's to scribble on, not a list of processes to kill.

use std::collections::HashMap;

use crate::sys;

pub use crate::sys::RUN_ENV;

/// A process seen by a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub pid: i32,
    pub ppid: i32,
    /// It has ended: a zombie, waiting for its parent to reap it.
    pub zombie: bool,
}

/// Whether `pid` was started with the mark of run `segment`.
pub fn is_marked(pid: i32, segment: &str) -> bool {
    if pid <= 0 || segment.is_empty() {
        return false;
    }
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { return false };
    let want = format!("{RUN_ENV}={segment}");
    env.split(|&b| b == 0).any(|entry| entry == want.as_bytes())
}

/// Whether `pid` is a live process of run `segment`: marked, or a
/// descendant of a marked process (at most 64 steps up). Never `self`.
pub fn is_of_run(pid: i32, segment: &str) -> bool {
    if pid <= 1 || pid == std::process::id() as i32 {
        return false;
    }
    let mut cur = pid;
    for _ in 0..64 {
        if cur <= 1 {
            return false;
        }
        if is_marked(cur, segment) {
            return sys::proc_stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X');
        }
        match sys::proc_stat(cur) {
            Some(s) if s.ppid > 0 => cur = s.ppid,
            _ => return false,
        }
    }
    false
}

/// Every process of run `segment` now: one pass over `/proc` (the caller
/// itself left out). Zombies are listed too (flagged), so that their parent
/// can reap them.
pub fn members(segment: &str) -> Vec<Member> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut all: HashMap<i32, (i32, bool)> = HashMap::new();
    let mut marked = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Some(st) = sys::proc_stat(pid) else { continue };
        let zombie = st.state == 'Z' || st.state == 'X';
        all.insert(pid, (st.ppid, zombie));
        if pid != me && !zombie && is_marked(pid, segment) {
            marked.push(pid);
        }
    }
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (&pid, &(ppid, _)) in &all {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut todo = marked;
    while let Some(pid) = todo.pop() {
        if pid == me || !seen.insert(pid) {
            continue;
        }
        let (ppid, zombie) = all[&pid];
        out.push(Member { pid, ppid, zombie });
        if let Some(kids) = children.get(&pid) {
            todo.extend(kids.iter().copied());
        }
    }
    out
}

/// SIGKILL to every live process of run `segment`, then reaps those of the
/// dead that are the caller's children (an orphan adopted by the child
/// subreaper) and not in `keep` (a lane's process, whose end the reaper
/// reads). Returns how many were alive.
pub fn kill_all(segment: &str, keep: &[i32]) -> usize {
    let me = std::process::id() as i32;
    let found = members(segment);
    let mut alive = 0;
    for m in &found {
        if !m.zombie {
            // SIGSTOP first would stop a forking one from making more before
            // the kill; SIGKILL is as immediate, and the next round finds any
            // child it made meanwhile (it carries the mark too).
            sys::kill(m.pid, libc::SIGKILL);
            alive += 1;
        }
    }
    for m in found.iter().filter(|m| m.ppid == me && !keep.contains(&m.pid)) {
        sys::wait_child(m.pid, false);
    }
    alive
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_detached_grandchild_is_of_the_family_and_a_bystander_is_not() {
        let tag = format!("family-test-{}", std::process::id());
        // A marked shell starts a grandchild in a session of its own, and
        // with an environment of its own, then leaves it (a double fork).
        let mut marked = Command::new("sh")
            .arg("-c")
            .arg("setsid env -i sleep 30 & echo $!; sleep 30")
            .env(RUN_ENV, &tag)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut bystander = Command::new("sleep").arg("30").spawn().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(marked.stdout.take().unwrap()), &mut line).unwrap();
        let grandchild: i32 = line.trim().parse().unwrap();
        let found: Vec<i32> = members(&tag).iter().map(|m| m.pid).collect();
        assert!(found.contains(&(marked.id() as i32)), "{found:?}");
        assert!(found.contains(&grandchild), "the child with its own environment is found through its parent: {found:?}");
        assert!(!found.contains(&(bystander.id() as i32)));
        assert!(is_of_run(grandchild, &tag));
        assert!(!is_of_run(bystander.id() as i32, &tag));
        assert!(!is_of_run(std::process::id() as i32, &tag));
        // The shell, its own `sleep` and the grandchild.
        assert_eq!(kill_all(&tag, &[]), 3);
        let _ = marked.wait();
        let t = std::time::Instant::now();
        while sys::proc_stat(grandchild).is_some_and(|s| s.state != 'Z') && t.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(sys::proc_stat(grandchild).is_none_or(|s| s.state == 'Z'), "the grandchild lives on");
        assert!(bystander.try_wait().unwrap().is_none(), "the bystander was killed");
        let _ = bystander.kill();
        let _ = bystander.wait();
    }
}
