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
//! until a sweep finds nothing alive. They kill nothing else: the sweeper
//! itself and its ancestors are never of the family, whatever their
//! environment says, and a process is signalled through a pidfd only if it
//! still has the start time the sweep saw (not another that got its pid
//! since). A pid a process of the run wrote into the segment is watched or
//! signalled only if it is of the run ([`verdict`]): the segment is the
//! run's to scribble on, not a list of processes to kill. The pids the
//! conductor started itself (`main`, the template) are the run's without a
//! look at their environment, which is not theirs yet while their `exec` is
//! under way.
//!
//! A forkscope started inside a run inherits the outer mark; it drops it
//! from its own environment at start (`main.rs`), so that what it starts
//! carries its own run's mark only. It is still of the outer run itself.

use std::collections::HashMap;

use crate::sys;

pub use crate::sys::RUN_ENV;

/// A process seen by a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub pid: i32,
    pub ppid: i32,
    /// When it started (clock ticks since boot): with the pid, it names
    /// this process and no other that gets the pid later.
    pub start_time: u64,
    /// It has ended: a zombie, waiting for its parent to reap it.
    pub zombie: bool,
}

/// Whether `pid` was started with the mark of run `segment`.
pub fn is_marked(pid: i32, segment: &str) -> bool {
    mark_of(pid, segment) == Some(true)
}

/// [`is_marked`], or `None` if the environment cannot be read or is empty:
/// a process in the middle of `exec` shows none for a moment (its new
/// memory is in place before its environment is copied into it, and its
/// parent may already be told that the exec went well).
fn mark_of(pid: i32, segment: &str) -> Option<bool> {
    if pid <= 0 || segment.is_empty() {
        return Some(false);
    }
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok().filter(|e| !e.is_empty())?;
    Some(has_mark(&env, segment))
}

/// Whether an environment (as `/proc/PID/environ` shows it) holds the mark.
fn has_mark(env: &[u8], segment: &str) -> bool {
    let want = format!("{RUN_ENV}={segment}");
    env.split(|&b| b == 0).any(|entry| entry == want.as_bytes())
}

/// Whether a pid a lane names is a process of run `segment`, as the
/// conductor asks it (the reaper, before it watches a lane's process):
/// `Some(true)` if it is of the run (or gone already: its end is read as
/// any other's), `Some(false)` if it is not, `None` if that cannot be said
/// yet (ask again a moment later).
///
/// `own` are the pids the conductor started itself (`main`, the template):
/// they are the run's without a look at their environment, which is not
/// theirs yet while their `exec` is under way — posix_spawn returns while
/// the child still shows the conductor's environment, or none at all. A
/// process that ends while it is looked at shows no environment, then is a
/// zombie: it is judged by its parent then. Any other process is of the run
/// if it or an ancestor below the conductor carries the mark; a child of
/// the conductor that shows no environment (an adopted orphan in the middle
/// of its `exec`) is not known yet; anything else is not of the run.
pub fn verdict(pid: i32, segment: &str, own: &[i32]) -> Option<bool> {
    if pid > 0 && own.contains(&pid) {
        return Some(true);
    }
    let me = std::process::id() as i32;
    if pid <= 1 || pid == me {
        return Some(false);
    }
    for _ in 0..3 {
        let Some(st) = sys::proc_stat(pid) else { return Some(true) };
        if st.state == 'Z' || st.state == 'X' {
            // Ended: nothing can be signalled or waited for wrongly any more
            // (a zombie's parent may be mid-exit itself, at the end of a
            // run, and show nothing either).
            return Some(true);
        }
        if is_of_run(pid, segment) {
            return Some(true);
        }
        // One read, judged whole: it may exec between two reads.
        match std::fs::read(format!("/proc/{pid}/environ")).ok().filter(|e| !e.is_empty()) {
            Some(env) if has_mark(&env, segment) => return Some(true),
            // Our child still in our memory (posix_spawn's vfork): look again.
            Some(env) if st.ppid == me && std::fs::read("/proc/self/environ").is_ok_and(|ours| ours == env) => {}
            // An environment of its own without the mark, and no ancestor
            // of it below us carries one.
            Some(_) => return Some(false),
            // No environment: an exec under way, or an end; look again.
            None => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    match sys::proc_stat(pid) {
        None => Some(true),
        Some(st) if st.state == 'Z' || st.state == 'X' => Some(true),
        // A kernel thread has no environment ever.
        Some(st) if pid == 2 || st.ppid == 2 => Some(false),
        // Our child with no environment or ours (its exec under way), or a
        // process ending (its memory, environment included, is gone before
        // it is a zombie — at the end of a run its parent may be ending too,
        // not yet handing it to us): look again a moment later.
        Some(_) => None,
    }
}

/// Whether `pid` is a live process of run `segment`: marked, or a
/// descendant of a marked process (at most 64 steps up). Never the caller,
/// and never through it: the walk up stops at the caller (the conductor, or
/// the guard), which carries no mark of its own run — what is its own child
/// is judged by [`verdict`].
pub fn is_of_run(pid: i32, segment: &str) -> bool {
    let me = std::process::id() as i32;
    if pid <= 1 || pid == me {
        return false;
    }
    let mut cur = pid;
    for _ in 0..64 {
        if cur <= 1 || cur == me {
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

/// The caller and its ancestors: never of a run it conducts or guards,
/// whatever their environment says.
fn me_and_ancestors() -> std::collections::HashSet<i32> {
    let mut out = std::collections::HashSet::new();
    let mut cur = std::process::id() as i32;
    while cur > 1 && out.insert(cur) {
        match sys::proc_stat(cur) {
            Some(s) => cur = s.ppid,
            None => break,
        }
    }
    out
}

/// Every process of run `segment` now: one pass over `/proc` (the caller
/// itself left out). Zombies are listed too (flagged), so that their parent
/// can reap them.
pub fn members(segment: &str) -> Vec<Member> {
    let spared = me_and_ancestors();
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut all: HashMap<i32, (i32, u64, bool)> = HashMap::new();
    let mut marked = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Some(st) = sys::proc_stat(pid) else { continue };
        let zombie = st.state == 'Z' || st.state == 'X';
        all.insert(pid, (st.ppid, st.start_time, zombie));
        if pid > 1 && !spared.contains(&pid) && !zombie && is_marked(pid, segment) {
            marked.push(pid);
        }
    }
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (&pid, &(ppid, _, _)) in &all {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut todo = marked;
    while let Some(pid) = todo.pop() {
        if pid <= 1 || spared.contains(&pid) || !seen.insert(pid) {
            continue;
        }
        let Some(&(ppid, start_time, zombie)) = all.get(&pid) else { continue };
        out.push(Member { pid, ppid, start_time, zombie });
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
            // Only the process seen: not another that got its pid since.
            if sys::kill_if_same(m.pid, m.start_time) {
                alive += 1;
            }
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
        // The shell, its own `sleep` and the grandchild: the shell may not
        // have started its own `sleep` yet when it said the grandchild's pid.
        let t = std::time::Instant::now();
        while members(&tag).len() < 3 && t.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
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

    /// A child the conductor just started, and one that has ended as it is
    /// looked at, are never judged "not of the run": posix_spawn returns
    /// while the child still shows our environment or none, and a process
    /// that is ending shows none. (Such a verdict made a run refuse its own
    /// `main`, or a child that ended at once; here about one spawn in 300
    /// under load was still in our memory when it was looked at.)
    #[test]
    fn a_child_mid_exec_or_ending_is_never_judged_a_stranger() {
        let tag = format!("family-verdict-{}", std::process::id());
        for i in 0..1000 {
            let mut c = Command::new("true").env(RUN_ENV, &tag).spawn().unwrap();
            let pid = c.id() as i32;
            // Named by us (main, the template): the run's at once.
            assert_eq!(verdict(pid, &tag, &[pid]), Some(true), "spawn {i}");
            // Named by a process of the run (an adopted orphan): not a stranger.
            assert_ne!(verdict(pid, &tag, &[]), Some(false), "spawn {i}");
            let _ = c.wait();
        }
        // Ours but unmarked, showing an environment of its own: not of the run.
        let mut plain = Command::new("sleep").arg("30").env_remove(RUN_ENV).env("FAMILY_TEST_PLAIN", "1").spawn().unwrap();
        let t = std::time::Instant::now();
        while verdict(plain.id() as i32, &tag, &[]).is_none() && t.elapsed() < std::time::Duration::from_secs(30) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(verdict(plain.id() as i32, &tag, &[]), Some(false));
        let _ = plain.kill();
        let _ = plain.wait();
        // Not ours, no environment: a kernel thread.
        if std::fs::read_to_string("/proc/2/stat").is_ok_and(|s| s.contains("(kthreadd)")) {
            assert_eq!(verdict(2, &tag, &[]), Some(false));
        }
    }
}
