//! Stress: 256 processes each doing 100,000 ops as fast as they can, through
//! the library (`Run`) with the real `forkscope` binary as workers.
//!
//! What must hold:
//! - nothing is dropped: a writer whose ring is full waits for the
//!   conductor's collector, so every record written is received;
//! - the conductor side never stalls: it keeps draining while every writer
//!   runs flat out, and no drain pass has more to do than the rings and the
//!   collector can hold (past its limit the writers wait);
//! - the accounting is exact: for every lane, records the conductor received
//!   equal records written (known from the lesson: `ops + 1` per worker),
//!   and overall received = published = Σ head over the lanes.
//!
//! The op is `compute(0)`: one gate pass, one status write, one record, and
//! no other work, so the test measures the machinery, not the lesson. In a
//! debug build the workers do 10,000 ops each (the interpreter is ~20× slower
//! there); `cargo test --release` (CI's command) runs the full 100,000.
//! `FORKSCOPE_STRESS_OPS` overrides the count.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use forkscope::codec::Value;
use forkscope::conductor::{Run, RunOptions};
use forkscope::model::Model;
use forkscope::vocab::Lane;

const LESSON: &str = r#"
fn worker(n) {
    for i in 0..n { compute(0); }
}
fn main() {
    let ps = [];
    for i in 0..param("procs") {
        let p = Process("worker", [param("ops")]);
        p.start();
        ps.push(p);
    }
    for p in ps { p.join(); }
}
"#;

const PROCS: i64 = 256;

fn ops() -> i64 {
    if let Some(n) = std::env::var("FORKSCOPE_STRESS_OPS").ok().and_then(|s| s.parse().ok()) {
        return n;
    }
    if cfg!(debug_assertions) { 10_000 } else { 100_000 }
}

#[test]
fn many_processes_flat_out_exact_accounting_and_no_stall() {
    let _alone = crate::common::heavy();
    let ops = ops();
    let mut opts = RunOptions::of_script("stress", "tests/stress.rs", LESSON);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    opts.spec.params = BTreeMap::from([("procs".to_string(), Value::Int(PROCS)), ("ops".to_string(), Value::Int(ops))]);
    let t0 = Instant::now();
    let mut run = Run::start(opts).expect("start");
    let cap = run.view().geometry().ring_cap as usize;
    let mut model = Model::new();
    let mut recs = Vec::new();
    let (mut passes, mut max_batch, mut max_pass) = (0u64, 0usize, Duration::ZERO);
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 600 } else { 300 });
    loop {
        let tp = Instant::now();
        let ended = run.all_ended();
        run.drain(&mut recs, ended);
        let lanes = run.view().lanes_in_use() as usize;
        // One pass takes what the rings and the collector held, plus what it
        // held back last time.
        let most = 2 * (lanes * cap + forkscope::conductor::collect::LIMIT);
        assert!(recs.len() <= most, "a drain pass took {} records (rings and collector hold {})", recs.len(), most / 2);
        max_batch = max_batch.max(recs.len());
        for r in recs.drain(..) {
            model.apply(&r);
        }
        max_pass = max_pass.max(tp.elapsed());
        passes += 1;
        if ended {
            break;
        }
        assert!(t0.elapsed() < limit, "the run did not end within {limit:?}");
        std::thread::sleep(Duration::from_micros(500));
    }
    let elapsed = t0.elapsed();
    let stats = run.stats();
    let v = run.view();
    // Per lane: received (what the model saw) + dropped = written.
    let workers: Vec<u32> = model.processes.values().filter(|p| p.target == "worker").map(|p| p.lane.0).collect();
    assert_eq!(workers.len(), PROCS as usize, "every worker started");
    let mut written_total = 0u64;
    for lane in 0..v.lanes_in_use() {
        let l = v.lane(lane).unwrap();
        written_total += l.head.0.load(Acquire) + l.dropped.load(Acquire);
    }
    for &lane in &workers {
        let l = v.lane(lane).unwrap();
        let (head, dropped) = (l.head.0.load(Acquire), l.dropped.load(Acquire));
        let written = ops as u64 + 1; // ops × compute, then the exit op
        assert_eq!(dropped, 0, "lane {lane}: a full ring waits, it does not drop");
        assert_eq!(head + dropped, written, "lane {lane}: head {head} + dropped {dropped}");
        let received = model.processes[&Lane(lane)].ops;
        assert_eq!(received + dropped, written, "lane {lane}: received {received} + dropped {dropped}");
        assert_eq!(model.processes[&Lane(lane)].exitcode, Some(0), "lane {lane} ended normally");
    }
    assert_eq!(stats.corrupt, 0);
    assert_eq!(stats.received, stats.published, "everything published was received");
    assert_eq!(stats.received + stats.dropped, written_total, "received + dropped = written");
    assert_eq!(model.records, stats.received, "every record received reached the model");
    let ended = model.processes.values().filter(|p| p.exitcode.is_some()).count();
    assert_eq!(ended, PROCS as usize + 1);
    assert!(!model.log.iter().any(|e| matches!(e.kind, forkscope::model::LogKind::Error)), "no script errors");
    drop(run);
    println!(
        "stress: {PROCS} processes × {ops} ops in {:.1}s; written {written_total}, received {}, dropped {} ({:.1}%); {passes} drain passes, largest {max_batch} records, longest {:.1} ms",
        elapsed.as_secs_f64(),
        stats.received,
        stats.dropped,
        stats.dropped as f64 * 100.0 / written_total.max(1) as f64,
        max_pass.as_secs_f64() * 1e3
    );
}
