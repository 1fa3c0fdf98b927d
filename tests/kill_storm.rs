//! A kill storm: SIGKILL random processes of a running lesson at random
//! moments (seeded), many times over. The workers hammer one Lock (acquire
//! with a short timeout, a compute, release), so kills land mid-op, while
//! holding the lock, and in the middle of ring writes. The conductor must keep
//! going, report every death (an `Ended` record, exitcode -9) and what the
//! dead process held (the `ended_holding` finding), never hang, and leave
//! nothing behind.
//!
//! The oracle for "what it held" is independent of the records: once a holder
//! dies, the lock is never released again, so at the end of the run the lock's
//! owner in the resource table is exactly the process that died holding it
//! (or no one). The findings must name that process and lock, and only it.
//!
//! Runs through the library (`Run`, the real binary as workers): one test, so
//! one run at a time in this test binary.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use forkscope::conductor::{Run, RunOptions};
use forkscope::model::{Model, Record, RecordKind};
use forkscope::shm::layout::NONE;
use forkscope::shm::record::Op;
use forkscope::vocab::{Lane, ResId};

const LESSON: &str = r#"
fn worker(l, n) {
    let fails = 0;
    for i in 0..n {
        if l.acquire(0.002) {
            fails = 0;
            compute(0.3);                  // hold it a while: kills land on holders too
            l.release();
        } else {
            fails += 1;
            if fails >= 25 { return; }     // the lock is gone for good
        }
        compute(0);
    }
}
fn main() {
    let l = Lock();
    let ps = [];
    for i in 0..6 {
        let p = Process("worker", [l, 300]);
        p.start();
        ps.push(p);
    }
    for p in ps { p.join(); }
}
"#;

struct Storm {
    model: Model,
    records: Vec<Record>,
    /// Lanes we killed, and whether the kill went through `Run::signal` (as
    /// the dashboard's kill does) or a bare `kill(2)` from outside.
    killed: Vec<(u32, bool)>,
    lock_owner_at_end: u32,
}

fn storm(seed: u64) -> Storm {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut opts = RunOptions::of_script("storm", "tests/kill_storm.rs", LESSON);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    let mut run = Run::start(opts).expect("start");
    let mut model = Model::new();
    let mut records = Vec::new();
    let mut batch = Vec::new();
    let mut killed = Vec::new();
    let mut spared: Vec<u32> = Vec::new();
    let kills = rng.random_range(2..=4);
    // The storm starts once main has started its six workers.
    let mut next_kill: Option<Instant> = None;
    let t0 = Instant::now();
    loop {
        let ended = run.all_ended();
        run.drain(&mut batch, ended);
        for r in batch.drain(..) {
            model.apply(&r);
            records.push(r);
        }
        if ended {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "seed {seed}: the run did not end (hang?)");
        if next_kill.is_none() && model.processes.len() >= 7 {
            next_kill = Some(Instant::now() + Duration::from_micros(rng.random_range(0..20_000)));
        }
        if killed.len() < kills && next_kill.is_some_and(|t| Instant::now() >= t) {
            // Any live process of the run, main included.
            let live: Vec<(u32, i32)> = run.lanes().into_iter().filter(|i| !i.ended && i.pid > 0).map(|i| (i.lane.0, i.pid)).filter(|(l, _)| !killed.iter().any(|(k, _)| k == l) && !spared.contains(l)).collect();
            if !live.is_empty() {
                // Half the time, whoever holds the lock right now.
                let owner = run.view().resource(0).map_or(NONE, |r| r.owner.load(Acquire));
                let (lane, pid) = match live.iter().find(|(l, _)| *l == owner) {
                    Some(&target) if rng.random_bool(0.5) => target,
                    _ => live[rng.random_range(0..live.len())],
                };
                let via_run = rng.random_bool(0.5);
                if via_run {
                    // Refused (false) when the process ended between the look
                    // at the lanes and now: then it was not killed, and the
                    // run rightly records no signal.
                    if run.signal(Lane(lane), libc::SIGKILL) {
                        killed.push((lane, true));
                    } else {
                        spared.push(lane);
                    }
                } else {
                    // SAFETY: plain kill of a process of our run.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    killed.push((lane, false));
                }
            }
            next_kill = Some(Instant::now() + Duration::from_micros(rng.random_range(200..30_000)));
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    let lock_owner_at_end = run.view().resource(0).map_or(NONE, |r| r.owner.load(Acquire));
    let seg = run.segment_name().to_string();
    let scratch = run.scratch().to_path_buf();
    let pids: Vec<i32> = model.processes.values().map(|p| p.pid).collect();
    drop(run);
    assert!(!std::path::Path::new(&format!("/dev/shm/{seg}")).exists(), "seed {seed}: segment left behind");
    assert!(!scratch.exists(), "seed {seed}: run folder left behind");
    for pid in pids {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|t| t.rsplit(')').next().and_then(|r| r.split_whitespace().next()) != Some("Z"));
        assert!(!alive, "seed {seed}: process {pid} left running");
    }
    Storm { model, records, killed, lock_owner_at_end }
}

#[test]
fn kill_storm_every_death_and_what_it_held_is_reported() {
    let _alone = crate::common::heavy();
    let (mut deaths, mut holders, mut total_kills) = (0, 0, 0);
    for seed in 0..16u64 {
        let s = storm(seed);
        let m = &s.model;
        assert_eq!(m.processes.len(), 7, "seed {seed}: the run got going");
        // Every process's end is reported exactly once.
        for p in m.processes.values() {
            let ends = s.records.iter().filter(|r| matches!(r.kind, RecordKind::Ended { process, .. } if process == p.lane)).count();
            assert_eq!(ends, 1, "seed {seed}: {} has {ends} Ended records", p.name);
            assert!(p.exitcode.is_some(), "seed {seed}: {} never ended", p.name);
        }
        // Every kill: exitcode -9, unless the process had already finished
        // its code (its exit op is recorded) and got out first.
        for &(lane, via_run) in &s.killed {
            let p = &m.processes[&Lane(lane)];
            let exited_first = s.records.iter().any(|r| r.lane == Lane(lane) && matches!(r.kind, RecordKind::Op { op: Op::Exit, .. }));
            match p.exitcode {
                Some(-9) => deaths += 1,
                Some(c) => assert!(exited_first && c >= 0, "seed {seed}: killed {} (via_run {via_run}) ended with {c}", p.name),
                None => unreachable!(),
            }
            if via_run {
                assert!(s.records.iter().any(|r| matches!(r.kind, RecordKind::Signal { process, signal: 9 } if process == Lane(lane))), "seed {seed}: the kill is in the records");
            }
        }
        total_kills += s.killed.len();
        // What it held: the lock's owner at the end is the one that died
        // holding it; the findings say exactly that.
        let holding: Vec<(u32, Vec<u32>)> = m.findings.iter().filter(|f| f.kind == "ended_holding").map(|f| (f.processes[0].0, f.resources.iter().map(|r| r.0).collect())).collect();
        if s.lock_owner_at_end == NONE {
            assert!(holding.is_empty(), "seed {seed}: nobody holds the lock, yet findings say {holding:?}");
        } else {
            let owner = s.lock_owner_at_end;
            let p = &m.processes[&Lane(owner)];
            assert!(p.exitcode.is_some(), "seed {seed}: the lock's owner {owner} ended");
            assert_eq!(holding, vec![(owner, vec![0])], "seed {seed}: the finding names {} and Lock-1", p.name);
            let f = m.findings.iter().find(|f| f.kind == "ended_holding").unwrap();
            let msg = forkscope::words::finding(m, f, forkscope::words::Lang::En);
            assert!(msg.contains(&format!("{} was killed by SIGKILL while holding Lock-1", p.name)) || msg.contains(&format!("{} ended while holding Lock-1", p.name)), "{msg}");
            assert_eq!(m.resources[&ResId(0)].owner, Some(Lane(owner)), "seed {seed}: the model agrees with the table");
            holders += 1;
        }
        let lanes: BTreeSet<u32> = s.killed.iter().map(|k| k.0).collect();
        assert_eq!(lanes.len(), s.killed.len());
    }
    println!("kill storm: {total_kills} kills over 16 runs, {deaths} ended by SIGKILL, {holders} died holding the lock");
    assert!(deaths > 0 && holders > 0, "the storm hit something");
}
