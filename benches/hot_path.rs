//! The hot paths of a run, each beside the baseline it is judged against,
//! measured in the same run:
//!
//! - `record/emit`: one 64-byte record into a lane's ring, timestamp and global
//!   sequence included (`View::emit`), against `record/clock` (a bare
//!   `CLOCK_MONOTONIC` read) and `record/pipe64` (the same 64 bytes written
//!   into a pipe that a reader thread drains);
//! - `record/record_op`: the same through the runtime (`LaneRuntime::record_op`), as an
//!   op writes it;
//! - `gate/checkpoint`: `LaneRuntime::checkpoint` while running (one relaxed load);
//! - `lock/acquire_release`: an uncontended `LaneRuntime::lock_acquire` +
//!   `LaneRuntime::lock_release`, records and status included, against Python's
//!   `multiprocessing.Lock` (timeit in python3, when it exists);
//! - `queue/put_get`: `LaneRuntime::queue_put` + `LaneRuntime::queue_get` of a small item (an
//!   int) with no one waiting, records included: the path every small queue
//!   item takes through the data area's blocks (big ones spill), against
//!   Python's `multiprocessing.Queue` (timeit in python3, when it exists);
//! - `drain/drain_apply`: `Drainer::drain` + `Model::apply` of full rings.
//!
//! Rings are emptied between timed chunks (untimed), as the conductor would.
//! Run: `cargo bench --bench hot_path`. The table at the end compares each
//! figure with its target.

mod common;

use std::hint::black_box;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Throughput};

use common::{Row, median_ns, ns, python_figure, report};
use forkscope::codec::RunInfo;
use forkscope::conductor::Drainer;
use forkscope::model::Model;
use forkscope::runtime::LaneRuntime;
use forkscope::runtime::gate::Checkpoint;
use forkscope::shm::layout::{Geometry, NONE};
use forkscope::shm::record::{NO_LANE, Op, OpBody, RawKind, RawRecord, ResKind};
use forkscope::shm::{Segment, View};

/// A segment that lives for the rest of the bench (its name is unlinked at
/// the end, so nothing stays in /dev/shm).
fn segment(geo: Geometry) -> (View<'static>, String) {
    let seg = Segment::create(geo).expect("segment");
    let name = seg.name().to_string();
    let seg: &'static Segment = Box::leak(Box::new(seg));
    let v = seg.view();
    v.control().run_start_ns.store(forkscope::sys::monotonic_ns(), Relaxed);
    (v, name)
}

/// A runtime on lane 1 of a fresh segment, as a worker has it.
fn runtime(geo: Geometry) -> (LaneRuntime, String) {
    let (v, name) = segment(geo);
    let lane = v.alloc_lane(NONE).expect("lane");
    let info = RunInfo {
        lesson: "bench".into(),
        origin: "bench".into(),
        script: String::new(),
        params: Default::default(),
        scratch: std::env::temp_dir().to_string_lossy().into_owned(),
        seed: 0,
        lang: forkscope::vocab::Lang::En,
        engine: Default::default(),
        source_path: String::new(),
        in_place: None,
        fork_server: false,
    };
    (LaneRuntime::new(v, lane, info, name.clone(), vec![], "MainProcess".into(), false), name)
}

/// Runs `n` times `body` in chunks of at most `chunk`, timing only the chunks;
/// `between` runs untimed after each chunk (emptying a ring).
fn chunked(n: u64, chunk: u64, mut body: impl FnMut(), mut between: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk);
        let t = Instant::now();
        for _ in 0..k {
            body();
        }
        total += t.elapsed();
        between();
        left -= k;
    }
    total
}

fn record_benches(c: &mut criterion::Criterion) {
    let geo = Geometry { lanes: 4, ring_cap: 256, resources: 8, blocks: 64 };
    let (v, name) = segment(geo);
    let ring = v.producer(1).unwrap();
    let empty = || ring.lane().tail.0.store(ring.lane().head.0.load(Relaxed), Relaxed);
    let body = OpBody { op: Op::Compute as u16, other: NO_LANE, res: NONE, ..Default::default() }.encode();
    let mut g = c.benchmark_group("record");
    g.bench_function("emit", |b| {
        b.iter_custom(|n| {
            chunked(n, 200, || {
                let mut rec = [RawRecord { kind: RawKind::Op as u16, line: 7, body, ..RawRecord::EMPTY }];
                black_box(v.emit(1, black_box(&mut rec)));
            }, empty)
        })
    });
    g.bench_function("clock", |b| b.iter(|| black_box(forkscope::sys::monotonic_ns())));

    // The baseline: the same 64 bytes into a pipe, a reader thread draining it.
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    let rec = RawRecord { kind: RawKind::Op as u16, line: 7, body, ..RawRecord::EMPTY };
    let fd = writer.as_raw_fd();
    g.bench_function("pipe64", |b| {
        b.iter(|| {
            // SAFETY: `rec` is 64 readable bytes; `fd` is the open write end.
            let n = unsafe { libc::write(fd, black_box(&rec) as *const RawRecord as *const libc::c_void, 64) };
            black_box(n)
        })
    });
    drop(writer);
    let _ = drain.join();

    let (rt, rt_name) = runtime(geo);
    let rring = rt.v.producer(rt.lane).unwrap();
    g.bench_function("record_op", |b| {
        b.iter_custom(|n| {
            chunked(n, 200, || rt.record_op(Op::Compute, NONE, NONE, 0, 0, 0, None), || rring.lane().tail.0.store(rring.lane().head.0.load(Relaxed), Relaxed))
        })
    });
    g.finish();
    forkscope::shm::unlink(&name);
    forkscope::shm::unlink(&rt_name);
}

fn gate_and_lock_benches(c: &mut criterion::Criterion) {
    let geo = Geometry { lanes: 4, ring_cap: 256, resources: 8, blocks: 64 };
    let (rt, name) = runtime(geo);
    let mut g = c.benchmark_group("gate");
    g.bench_function("checkpoint", |b| b.iter(|| rt.checkpoint(black_box(Checkpoint::Op))));
    g.finish();

    let id = rt.lock_new(None, 1).expect("lock");
    let ring = rt.v.producer(rt.lane).unwrap();
    let mut g = c.benchmark_group("lock");
    g.bench_function("acquire_release", |b| {
        b.iter_custom(|n| {
            chunked(n, 100, || {
                black_box(rt.lock_acquire(id, true, None, 3).expect("acquire"));
                rt.lock_release(id, 4).expect("release");
            }, || ring.lane().tail.0.store(ring.lane().head.0.load(Relaxed), Relaxed))
        })
    });
    g.finish();

    let q = rt.queue_new(false, 0, 1).expect("queue");
    let item = forkscope::codec::Value::Int(12345);
    let how = forkscope::runtime::ipc::queue::Blocking::FOREVER;
    let mut g = c.benchmark_group("queue");
    g.bench_function("put_get", |b| {
        b.iter_custom(|n| {
            chunked(n, 100, || {
                rt.queue_put(q, black_box(&item), how, 3).expect("put");
                black_box(rt.queue_get(q, how, 4).expect("get"));
            }, || ring.lane().tail.0.store(ring.lane().head.0.load(Relaxed), Relaxed))
        })
    });
    g.finish();
    forkscope::shm::unlink(&name);
}

/// Records as a busy run writes them: lock traffic, computes, sleeps, joins.
fn fill(v: &View<'_>, lanes: u32, per_lane: u32) {
    for i in 0..per_lane {
        for lane in 2..2 + lanes {
            let (kind, body) = match i % 6 {
                0 => (RawKind::Op, OpBody { op: Op::Acquire as u16, other: NO_LANE, res: 0, a: 1, b: 1, ..Default::default() }),
                1 => (RawKind::Op, OpBody { op: Op::Compute as u16, other: NO_LANE, res: NONE, a: 1, ..Default::default() }),
                2 => (RawKind::Op, OpBody { op: Op::Release as u16, other: NO_LANE, res: 0, ..Default::default() }),
                3 => (RawKind::Block, OpBody { op: Op::Sleep as u16, other: NO_LANE, res: NONE, a: -1, b: 1, ..Default::default() }),
                4 => (RawKind::Op, OpBody { op: Op::Sleep as u16, other: NO_LANE, res: NONE, a: 1000, ..Default::default() }),
                _ => (RawKind::Op, OpBody { op: Op::IsAlive as u16, other: 1, res: NONE, a: 1, ..Default::default() }),
            };
            let mut rec = [RawRecord { kind: kind as u16, line: 10 + (i % 7), body: body.encode(), ..RawRecord::EMPTY }];
            v.emit(lane, &mut rec);
        }
    }
}

fn drain_benches(c: &mut criterion::Criterion) {
    let lanes = 64u32;
    let geo = Geometry { lanes: lanes + 2, ring_cap: 256, resources: 8, blocks: 64 };
    let (v, name) = segment(geo);
    v.control().next_lane.store(lanes + 2, Relaxed);
    // The model knows the processes and the lock, as after their Spawn records.
    let mut drainer = Drainer::new();
    let mut model = Model::new();
    let mut out = Vec::new();
    for lane in 1..lanes + 2 {
        v.lane(lane).unwrap().name.set(&format!("Process-{lane}"));
        let mut rec = [RawRecord { kind: RawKind::Spawn as u16, body: OpBody { other: lane as u16, res: NONE, a: 1000 + lane as i64, b: 999, ..Default::default() }.encode(), ..RawRecord::EMPTY }];
        v.emit(0, &mut rec);
    }
    v.resource(0).unwrap().name.set("Lock-1");
    let mut rec = [RawRecord { kind: RawKind::ResourceNew as u16, body: OpBody { other: NO_LANE, res: 0, a: ResKind::Lock as i64, b: 1, ..Default::default() }.encode(), ..RawRecord::EMPTY }];
    v.emit(1, &mut rec);
    drainer.drain(&v, &mut out, true);
    for r in out.drain(..) {
        model.apply(&r);
    }
    let per_lane = 256u32;
    let batch = (lanes * per_lane) as u64;
    let mut g = c.benchmark_group("drain");
    g.throughput(Throughput::Elements(batch));
    g.bench_function(BenchmarkId::new("drain_apply", batch), |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                fill(&v, lanes, per_lane);
                let t = Instant::now();
                drainer.drain(&v, &mut out, true);
                for r in out.drain(..) {
                    model.apply(&r);
                }
                total += t.elapsed();
                assert_eq!(model.processes.len(), lanes as usize + 1);
                model.log.clear();
            }
            total
        })
    });
    g.finish();
    assert_eq!(drainer.stats.corrupt, 0);
    assert_eq!(drainer.stats.dropped, 0);
    forkscope::shm::unlink(&name);
}

/// Python's Lock, timed by timeit: `sys.argv[1]` is the statement.
const PY_LOCK: &str = "
import multiprocessing as mp, statistics, sys, timeit
if __name__ == '__main__':
    l = mp.Lock()
    runs = timeit.repeat(sys.argv[1], globals={'l': l}, number=200000, repeat=7)
    print(statistics.median(runs) / 200000 * 1e9)
";

/// Python's Queue, a put and a get of a small item, timed by timeit.
const PY_QUEUE: &str = "
import multiprocessing as mp, statistics, timeit
if __name__ == '__main__':
    q = mp.Queue()
    runs = timeit.repeat('q.put(12345); q.get()', globals={'q': q}, number=20000, repeat=5)
    print(statistics.median(runs) / 20000 * 1e9)
";

fn main() {
    let mut c = common::criterion();
    record_benches(&mut c);
    gate_and_lock_benches(&mut c);
    drain_benches(&mut c);
    c.final_summary();

    let py_lock = python_figure(PY_LOCK, &["l.acquire(); l.release()"], "Python's multiprocessing.Lock");
    let py_with = python_figure(PY_LOCK, &["with l: pass"], "Python's multiprocessing.Lock (with)");
    let py_queue = python_figure(PY_QUEUE, &[], "Python's multiprocessing.Queue");
    let emit = median_ns("record", "emit");
    let clock = median_ns("record", "clock");
    let pipe = median_ns("record", "pipe64");
    let record_op = median_ns("record", "record_op");
    let checkpoint = median_ns("gate", "checkpoint");
    let lock = median_ns("lock", "acquire_release");
    let queue = median_ns("queue", "put_get");
    let drain = median_ns("drain", "drain_apply/16384").map(|t| 16384.0 / t * 1e9);
    let ratio = match (emit, pipe) {
        (Some(e), Some(p)) => Some(p / e),
        _ => None,
    };
    let rows = vec![
        Row::new("one record into a lane (`View::emit`, clock included)", ns(emit), "≤ 40 ns", emit.map(|e| e <= 40.0)),
        Row::new("  the same through `LaneRuntime::record_op`", ns(record_op), "(for reference)", None),
        Row::new("  baseline: clock read (`sys::monotonic_ns`)", ns(clock), "(for reference)", None),
        Row::new("  baseline: 64-byte pipe write, reader draining", ns(pipe), "(for reference)", None),
        Row::new("  pipe write ÷ lane record", ratio.map_or("not measured".into(), |r| format!("{r:.1}×")), "≥ 20×", ratio.map(|r| r >= 20.0)),
        Row::new("gate checkpoint while running (`LaneRuntime::checkpoint`)", ns(checkpoint), "≤ 5 ns", checkpoint.map(|c| c <= 5.0)),
        Row::new("Lock acquire+release, records included", ns(lock), "≤ 150 ns", lock.map(|l| l <= 150.0)),
        Row::new("  Python multiprocessing.Lock: `l.acquire(); l.release()`", ns(py_lock), "slower than ours", match (lock, py_lock) {
            (Some(l), Some(p)) => Some(l < p),
            _ => None,
        }),
        Row::new("  Python multiprocessing.Lock: `with l: pass`", ns(py_with), "slower than ours", match (lock, py_with) {
            (Some(l), Some(p)) => Some(l < p),
            _ => None,
        }),
        Row::new("Queue put+get of a small item, records included", ns(queue), "≤ 3 µs", queue.map(|q| q <= 3000.0)),
        Row::new("  Python multiprocessing.Queue: `q.put(12345); q.get()`", ns(py_queue), "slower than ours", match (queue, py_queue) {
            (Some(q), Some(p)) => Some(q < p),
            _ => None,
        }),
        Row::new("drain lanes + apply to the model", drain.map_or("not measured".into(), |d| format!("{:.1} M records/s", d / 1e6)), "≥ 10 M records/s", drain.map(|d| d >= 10e6)),
    ];
    report("hot paths (cargo bench --bench hot_path)", &rows);
}
