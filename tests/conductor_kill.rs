//! SIGKILL of the conductor at random moments (seeded): from the first
//! milliseconds of start-up (segment made, guard not yet started) to the
//! middle of a run with processes holding a lock. Each time, no process of the
//! run survives it by more than a second, and the next start removes whatever
//! the killed run left in /dev/shm and the temp folder.

use crate::common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use common::*;

fn leftovers(conductor: i32) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/dev/shm").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(&format!("forkscope-{conductor}-"))).collect();
    v.extend(std::fs::read_dir(std::env::temp_dir()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(&format!("forkscope-run-{conductor}-"))));
    v
}

#[test]
fn conductor_killed_at_random_moments_leaves_nothing_alive_and_next_start_sweeps() {
    let _alone = crate::common::heavy();
    let mut rng = ChaCha8Rng::seed_from_u64(20241);
    let rounds = 24;
    let mut worst = Duration::ZERO;
    let mut swept = 0;
    for round in 0..rounds {
        // A third of the kills land in the first 15 ms (start-up), the rest
        // anywhere in the first 600 ms of a run with five buyers and a lock.
        let delay = if round % 3 == 0 { rng.random_range(0..15) } else { rng.random_range(15..600) };
        let mut child = Command::new(bin())
            .args(["run", "ticket-race", "--headless", "--json", "--param", "lock=true", "--param", "buyers=5", "--speed", "4"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let conductor = child.id() as i32;
        let mut out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        std::thread::sleep(Duration::from_millis(delay));
        let before = processes_of_run(conductor, "");
        // SAFETY: plain kill of our own child.
        unsafe { libc::kill(conductor, libc::SIGKILL) };
        let killed_at = Instant::now();
        let _ = child.wait();
        let _ = reader.join();
        loop {
            let alive = processes_of_run(conductor, "");
            if alive.is_empty() {
                break;
            }
            assert!(killed_at.elapsed() <= Duration::from_secs(1), "round {round} (killed after {delay} ms): still alive a second later: {alive:?} (run had {before:?})");
            std::thread::sleep(Duration::from_millis(5));
        }
        worst = worst.max(killed_at.elapsed());
        // The guard cleans up if it was started; if the kill came before it
        // existed, the next start must sweep.
        std::thread::sleep(Duration::from_millis(50));
        let left = leftovers(conductor);
        if !left.is_empty() {
            swept += 1;
        }
        let next = run_json("hello", &["--param", "children=1"]);
        assert_eq!(next.summary()["outcome"], "completed");
        assert_eq!(leftovers(conductor), Vec::<String>::new(), "round {round} (killed after {delay} ms): the next start removed {left:?}");
        assert_left_nothing(next.pid, &pids(&next.summary()), Duration::from_secs(2));
    }
    println!("{rounds} conductors killed; the last process of a run ended at most {:.0} ms after; {swept} runs left files that the next start swept", worst.as_secs_f64() * 1e3);
}

/// The children of `pid` whose command line has `word` as an argument.
fn children_with(pid: i32, word: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|t| t.rsplit(')').next().and_then(|r| r.split_whitespace().nth(1)) == Some(&pid.to_string())))
        .filter(|p| std::fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == word.as_bytes())))
        .collect()
}

/// `explore` tells one guard of all its runs (the current one, the one
/// started ahead, those an undertaker is ending): SIGKILL of the conductor
/// mid-search ends every process of every run within a second, and that
/// guard removes every segment and folder itself (no next start needed),
/// then exits.
#[test]
fn explore_killed_mid_search_leaves_nothing_its_one_guard_cleans_every_run() {
    let _alone = crate::common::heavy();
    let mut rng = ChaCha8Rng::seed_from_u64(20261207);
    for round in 0..3 {
        let mut child = Command::new(bin())
            .args(["explore", "ticket-race.py", "--param", "variant=race", "--param", "buyers=3", "--param", "tickets=2", "--all", "--json", "--out", "/dev/null"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let conductor = child.id() as i32;
        // Until a run of the search is under way (bounded), then a while into it.
        let t0 = Instant::now();
        while processes_of_run(conductor, "").is_empty() && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(50..600)));
        let guards = children_with(conductor, "--session");
        assert_eq!(guards.len(), 1, "round {round}: one guard for the whole search: {guards:?}");
        let runs_before = leftovers(conductor);
        // SAFETY: plain kill of our own child.
        unsafe { libc::kill(conductor, libc::SIGKILL) };
        let killed_at = Instant::now();
        let _ = child.wait();
        loop {
            let alive_ = processes_of_run(conductor, "");
            if alive_.is_empty() {
                break;
            }
            assert!(killed_at.elapsed() <= Duration::from_secs(1), "round {round}: still alive a second later: {alive_:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
        loop {
            let left = leftovers(conductor);
            let guard_on = alive(guards[0]);
            if left.is_empty() && !guard_on {
                break;
            }
            assert!(killed_at.elapsed() <= Duration::from_secs(5), "round {round}: the guard left {left:?} (runs then: {runs_before:?}), guard alive: {guard_on}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A conductor killed between making a run's segment and folder and
/// telling its session guard of them (explore makes a run every few
/// milliseconds, on two threads): the guard, whose pipe ended without the
/// conductor's goodbye, removes what that conductor made that no run
/// holds. After a goodbye it leaves the conductor's things alone (they may
/// be a later guard's run, a moment before its `+`).
#[test]
fn a_session_guard_without_goodbye_removes_what_its_conductor_had_not_told_it_of() {
    // Alone: the guard's conductor is this test process, whose runs made
    // in other tests would have the same prefix.
    let _alone = crate::common::heavy();
    let me = std::process::id() as i32;
    let start = forkscope::sys::start_time(me).unwrap();
    for goodbye in [false, true] {
        let tag = if goodbye { "b" } else { "a" };
        let seg = format!("/dev/shm/{}{me}-{start}-{tag}0000000000000000000000000000000f", forkscope::shm::NAME_PREFIX);
        let dir = forkscope::conductor::scratch_parent().join(format!("{}{me}-{start}-{tag}00000000000000f", forkscope::conductor::SCRATCH_PREFIX));
        std::fs::write(&seg, b"").unwrap();
        std::fs::create_dir(&dir).unwrap();
        let mut guard = Command::new(bin()).args(["guard", "--session"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        {
            use std::io::Write;
            let mut pipe = guard.stdin.take().unwrap();
            if goodbye {
                pipe.write_all(b".\n").unwrap();
            }
        }
        let t0 = Instant::now();
        while guard.try_wait().unwrap().is_none() {
            assert!(t0.elapsed() < Duration::from_secs(10), "the guard did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
        let left = (std::path::Path::new(&seg).exists(), dir.exists());
        let _ = std::fs::remove_file(&seg);
        let _ = std::fs::remove_dir(&dir);
        if goodbye {
            assert_eq!(left, (true, true), "after goodbye the guard left its conductor's things alone");
        } else {
            assert_eq!(left, (false, false), "(segment, folder) still there after the guard without goodbye");
        }
    }
}
