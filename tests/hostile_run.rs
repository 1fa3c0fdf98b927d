//! Hostile input against a live run (library `Run`, real workers):
//! - files stay in the run's folder: `..`, absolute paths and symbolic links
//!   (planted in the folder while the run is paused) are refused, and the
//!   target of a link is untouched;
//! - the hidden `worker` subcommand refuses to run without a live conductor,
//!   for a lane that was not reserved, or one that belongs to another process;
//! - a live run whose segment is scribbled on (seqlocks left odd, impossible
//!   indices, lying records, wait-queue loops, a lane claiming to be the
//!   conductor itself) keeps draining, answering and shutting down, and kills
//!   nothing that is not its own.
//!
//! Sockets (loopback only) are being built on another branch: not tested here.
//! The tests that start a run in this process take `common::heavy()`: they
//! run alone, as `Run::start` makes the test process the child subreaper.

use crate::common;

use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use forkscope::conductor::{Run, RunOptions};
use forkscope::model::Model;
use forkscope::shm::record::{RawKind, RawRecord};
use forkscope::vocab::Lane;
use serde_json::Value;

fn start(script: &str, paused: bool) -> Run {
    let mut opts = RunOptions::of_script("hostile", "tests/hostile_run.rs", script);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    opts.paused = paused;
    Run::start(opts).expect("start")
}

/// Drains into `model` until every process ended (bounded).
fn finish(run: &mut Run, model: &mut Model, limit: Duration) {
    let t0 = Instant::now();
    let mut recs = Vec::new();
    loop {
        let ended = run.all_ended();
        run.drain(&mut recs, ended);
        for r in recs.drain(..) {
            model.apply(&r);
        }
        if ended {
            return;
        }
        assert!(t0.elapsed() < limit, "the run did not end within {limit:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

const ESCAPES: &str = r#"
fn attempt(key, f) {
    try { f.call(); report(key, "allowed"); } catch (e) { report(key, `${e}`); }
}
fn main() {
    write_text("ok", "fine");
    report("control", read_text("ok"));
    attempt("dotdot", || read_text("../x"));
    attempt("dotdot_inside", || read_text("a/../../x"));
    attempt("absolute", || read_text("/etc/hostname"));
    attempt("link_dir", || read_text("link/hostname"));
    attempt("link_file", || read_text("file_link"));
    attempt("write_link", || write_text("file_link", "overwritten"));
    attempt("append_link", || append_text("file_link", "more"));
    attempt("json_link", || write_json("file_link", #{a: 1}));
    attempt("list_up", || list_dir(".."));
    attempt("list_link", || list_dir("link"));
}
"#;

#[test]
fn files_stay_in_the_run_folder_even_with_planted_links() {
    let _alone = crate::common::heavy();
    let outside = std::env::temp_dir().join(format!("forkscope-outside-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("hostname"), "secret").unwrap();
    let mut run = start(ESCAPES, true);
    // While main waits at its first op, plant links to outside the folder.
    std::os::unix::fs::symlink(&outside, run.scratch().join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("hostname"), run.scratch().join("file_link")).unwrap();
    run.resume();
    let mut model = Model::new();
    finish(&mut run, &mut model, Duration::from_secs(30));
    drop(run);
    let got = |k: &str| model.reported.get(k).and_then(|v| v.as_str()).unwrap_or("(nothing)").to_string();
    assert_eq!(got("control"), "fine");
    for key in ["dotdot", "dotdot_inside", "absolute", "link_dir", "link_file", "write_link", "append_link", "json_link", "list_up", "list_link"] {
        let v = got(key);
        assert!(v.starts_with("PermissionError:"), "{key}: {v}");
    }
    assert_eq!(std::fs::read_to_string(outside.join("hostname")).unwrap(), "secret", "the link's target is untouched");
    std::fs::remove_dir_all(&outside).unwrap();
}

#[test]
fn the_worker_subcommand_refuses_without_a_live_conductor_or_a_reserved_lane() {
    let _alone = crate::common::heavy();
    let worker = |seg: &str, lane: &str| common::run(&["worker", "--segment", seg, "--lane", lane]);
    // A segment whose conductor is dead (a process that has exited).
    let seg = forkscope::shm::Segment::create(forkscope::shm::layout::Geometry { lanes: 4, ring_cap: 8, resources: 2, blocks: 8 }).unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id() as i32;
    gone.wait().unwrap();
    seg.view().control().conductor_pid.store(dead, Relaxed);
    seg.view().control().conductor_start.store(1, Relaxed);
    let out = worker(seg.name(), "1");
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("no live conductor for this segment"), "{}", out.stderr);
    // A live conductor (this test), but the start time does not match: a reused pid.
    seg.view().control().conductor_pid.store(std::process::id() as i32, Relaxed);
    let out = worker(seg.name(), "1");
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("no live conductor for this segment"), "{}", out.stderr);
    drop(seg);
    // A live run: lanes that are not ours to take.
    let mut run = start("fn main() { sleep(30); }", false);
    let name = run.segment_name().to_string();
    for (lane, why) in [("1", "belongs to another process"), ("7", "was not reserved"), ("99999", "does not exist")] {
        let out = worker(&name, lane);
        assert_eq!(out.status, 2, "lane {lane}");
        assert!(out.stderr.contains(why), "lane {lane}: {}", out.stderr);
        assert!(out.stderr.contains("internal"), "{}", out.stderr);
    }
    let mut model = Model::new();
    let mut recs = Vec::new();
    run.drain(&mut recs, false);
    run.shutdown();
    for r in recs.drain(..) {
        model.apply(&r);
    }
    assert!(!model.processes.values().any(|p| p.lane > Lane(1)), "no impostor joined the run");
}

const BUSY: &str = r#"
fn holder(l) { l.acquire(); sleep(30); }
fn waiter(l) { l.acquire(); }
fn chatter() { for i in 0..100000 { compute(0); sleep(0.001); } }
fn main() {
    let l = Lock();
    Process("holder", [l]).start();
    Process("waiter", [l]).start();
    Process("chatter").start();
    sleep(30);
}
"#;

#[test]
fn a_live_run_survives_a_scribbled_segment_and_kills_nothing_foreign() {
    let _alone = crate::common::heavy();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut run = start(BUSY, false);
    let me = std::process::id() as i32;
    let my_start = forkscope::sys::start_time(me).unwrap();
    let mut model = Model::new();
    let mut recs = Vec::new();
    // Let the run get going: 5 processes.
    let t0 = Instant::now();
    while model.processes.len() < 4 && t0.elapsed() < Duration::from_secs(20) {
        run.drain(&mut recs, false);
        for r in recs.drain(..) {
            model.apply(&r);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(model.processes.len() >= 4, "the run got going");
    // The hostile process's own mapping of the segment.
    let hostile = forkscope::shm::Segment::open(run.segment_name()).unwrap();
    let v = hostile.view();
    let lanes = v.lanes_in_use();
    let rounds = 300;
    let mut slowest = Duration::ZERO;
    for round in 0..rounds {
        let lane = v.lane(rng.random_range(0..lanes + 2).min(lanes)).unwrap_or_else(|| v.lane(1).unwrap());
        match rng.random_range(0..10) {
            // A writer "killed" mid-status-write: the seqlock stays odd.
            0 => lane.status.seq.store(rng.random::<u32>() | 1, Relaxed),
            1 => lane.status.state.store(rng.random(), Relaxed),
            2 => lane.head.0.store(rng.random(), Relaxed),
            3 => lane.tail.0.store(rng.random(), Relaxed),
            // Lies: another lane's name, a wild kind, a sequence from the past.
            4 => {
                let ring = v.producer(rng.random_range(1..lanes)).unwrap();
                let rec = RawRecord { seq: rng.random_range(0..1000), kind: rng.random_range(0..20), lane: rng.random(), line: rng.random(), body: rng.random(), ..RawRecord::EMPTY };
                ring.push(&[rec]);
            }
            5 => {
                // Claim to be the conductor itself, with its real start time.
                lane.pid.store(me, Relaxed);
                lane.start_time.store(my_start, Relaxed);
            }
            6 => {
                let r = v.resource(0).unwrap();
                r.waiters[0].head.store(1, Relaxed);
                v.lane(1).unwrap().wait_next.store(1, Relaxed); // a loop
            }
            7 => v.control().next_lane.store(rng.random(), Relaxed),
            8 => lane.kill_pending.store(rng.random(), Relaxed),
            _ => {
                let mut rec = [RawRecord { kind: RawKind::Ended as u16, lane: 0, body: rng.random(), ..RawRecord::EMPTY }];
                v.emit(rng.random_range(1..lanes), &mut rec);
            }
        }
        let t = Instant::now();
        run.drain(&mut recs, round % 7 == 0);
        for r in recs.drain(..) {
            model.apply(&r);
            let _ = serde_json::to_string(&r).unwrap();
        }
        let infos = run.lanes();
        let _ = run.quiescent();
        let _ = run.all_ended();
        let _ = run.ready_lanes();
        for i in &infos {
            let _ = run.steppable(i.lane);
        }
        let _ = model.deadlock();
        slowest = slowest.max(t.elapsed());
        // The conductor is still here to say so.
        assert!(forkscope::sys::is_same_live_process(me, my_start));
    }
    // Time spent inside the conductor's own calls: bounded (a hang would be
    // seconds; this is a liveness bound, not a performance target).
    assert!(slowest < Duration::from_secs(2), "a conductor call took {slowest:?}");
    drop(hostile);
    let pids: Vec<i32> = model.processes.values().map(|p| p.pid).filter(|&p| p > 0 && p != me).collect();
    let seg = run.segment_name().to_string();
    let t = Instant::now();
    drop(run);
    assert!(t.elapsed() < Duration::from_secs(10), "shutdown took {:?}", t.elapsed());
    assert!(forkscope::sys::is_same_live_process(me, my_start), "the conductor did not kill itself");
    assert!(!std::path::Path::new(&format!("/dev/shm/{seg}")).exists(), "segment removed");
    common::assert_left_nothing(me, &pids, Duration::from_secs(2));
}

/// Main's half-made child, as `Process.start()` leaves it when main is killed
/// between reserving the lane and publishing the pid: the lane reserved by
/// main, and a worker already exec'd on it, waiting to be released. Returns
/// the lane and the worker.
fn half_started_child(run: &Run) -> (u32, std::process::Child) {
    let v = run.view();
    let t0 = Instant::now();
    while v.lane(1).unwrap().pid.load(Acquire) <= 0 {
        assert!(t0.elapsed() < Duration::from_secs(10), "main started");
        std::thread::sleep(Duration::from_millis(1));
    }
    let lane = v.alloc_lane(1).expect("a free lane");
    let worker = std::process::Command::new(common::bin())
        .args(["worker", "--segment", run.segment_name(), "--lane", &lane.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("FORKSCOPE_DEBUG", "1")
        .spawn()
        .expect("start a worker");
    (lane, worker)
}

#[test]
fn a_process_killed_inside_start_lets_the_run_end() {
    let _alone = crate::common::heavy();
    // Headless: main killed mid-start, the run ends on its own.
    let mut run = start("fn main() { sleep(30); }", false);
    let (lane, mut worker) = half_started_child(&run);
    assert!(run.signal(Lane(1), libc::SIGKILL));
    let mut model = Model::new();
    finish(&mut run, &mut model, Duration::from_secs(3));
    assert_eq!(run.view().lane(lane).unwrap().pid.load(Acquire), -1, "the half-made lane is marked as never launched");
    // The worker waiting on that lane gives up at once, with a reason.
    let out = common::wait_limited(&mut worker, Duration::from_secs(3));
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("ended before releasing it"), "{}", out.stderr);
    let t = Instant::now();
    run.shutdown();
    assert!(t.elapsed() < Duration::from_secs(2), "shutdown took {:?}", t.elapsed());

    // Dashboard: quit (shutdown) with the half-made lane still there does not wait.
    let mut run = start("fn main() { sleep(30); }", false);
    let (_, mut worker) = half_started_child(&run);
    let t = Instant::now();
    run.shutdown();
    assert!(t.elapsed() < Duration::from_secs(2), "quit took {:?}", t.elapsed());
    let _ = common::wait_limited(&mut worker, Duration::from_secs(3));
}

/// A private folder for one test's lesson files.
fn lesson_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("forkscope-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_padding_bomb_in_a_condition_is_a_clear_error_and_the_conductor_lives() {
    let _share = crate::common::share();
    let dir = lesson_dir("pad");
    // A bomb that needs nothing from the run: `check` evaluates it and refuses.
    std::fs::write(dir.join("bomb.rhai"), "fn main() { report(\"n\", 3000000000); }\n").unwrap();
    std::fs::write(dir.join("bomb.toml"), "title = { en = \"bomb\" }\n\n[[bad]]\nwhen = '\"\".pad(3000000000, \"x\").len() > 0'\n").unwrap();
    let bomb = dir.join("bomb.rhai");
    let out = common::run_limited(&["check", bomb.to_str().unwrap()], Duration::from_secs(20));
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("bomb.toml:4:") && out.stderr.contains("too large"), "{}", out.stderr);
    // A bomb whose size comes from the run: it passes `check`, and the run
    // ends with a clear error instead of an abort.
    std::fs::write(dir.join("late.rhai"), "fn main() { report(\"n\", 3000000000); }\n").unwrap();
    std::fs::write(dir.join("late.toml"), "title = { en = \"late\" }\n\n[[bad]]\nwhen = '\"\".pad(n, \"x\").len() > 0'\n").unwrap();
    let late = dir.join("late.rhai");
    let out = common::run_limited(&["check", late.to_str().unwrap()], Duration::from_secs(20));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let t = Instant::now();
    let out = common::run_limited(&["run", late.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    assert_eq!(out.status, 1, "an error exit, not a signal: {}", out.stderr);
    assert!(t.elapsed() < Duration::from_secs(20));
    let s = out.summary();
    assert_eq!(s["outcome"], "error", "{s}");
    let msg = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "error").map(|f| f["message"].as_str().unwrap().to_string()).unwrap_or_default();
    assert!(msg.contains("condition failed") && msg.contains("pad(n") && msg.contains("too large"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_outside_the_lesson_is_refused() {
    let _share = crate::common::share();
    let dir = lesson_dir("import");
    // A module that would load if `import` resolved files.
    std::fs::create_dir_all(dir.join("lesson")).unwrap();
    std::fs::write(dir.join("planted.rhai"), "fn hi() { \"planted code ran\" }\n").unwrap();
    let planted = dir.join("planted");
    let cases = [
        ("absolute", format!("fn main() {{\n    import \"{}\" as m;\n    report(\"m\", m::hi());\n}}\n", planted.display()), 2),
        ("dotdot", "import \"../planted\" as m;\nfn main() { report(\"m\", m::hi()); }\n".to_string(), 1),
        ("generated", "fn main() {\n    write_text(\"gen.rhai\", \"fn hi() { 1 }\");\n    import \"gen\" as m;\n    report(\"m\", m::hi());\n}\n".to_string(), 3),
    ];
    for (name, script, line) in cases {
        let file = dir.join("lesson").join(format!("{name}.rhai"));
        std::fs::write(&file, script).unwrap();
        let path = file.to_str().unwrap();
        let want = format!("{path}:{line}:");
        let out = common::run_limited(&["check", path], Duration::from_secs(20));
        assert_ne!(out.status, 0, "{name}: {}", out.stdout);
        assert!(out.stderr.contains(&want) && out.stderr.contains("`import` is not available in a lesson"), "{name}: {}", out.stderr);
        let out = common::run_limited(&["run", path, "--headless", "--json"], Duration::from_secs(20));
        assert_ne!(out.status, 0, "{name}: {}", out.stdout);
        assert!(!out.stdout.contains("planted code ran"), "{name}: {}", out.stdout);
        assert!(out.stderr.contains("`import` is not available in a lesson"), "{name}: {}", out.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_3_mb_recording_replays() {
    let _share = crate::common::share();
    let dir = lesson_dir("bigrec");
    // The recording carries the lesson whole: a 3 MB manifest makes a 3 MB recording.
    let lesson = dir.join("big.rhai");
    std::fs::write(&lesson, "fn main() { print(\"hello\"); report(\"done\", true); }\n").unwrap();
    let filler: String = (0..50_000).map(|i| format!("# filler line {i:06} for a large recording, seventy bytes long...\n")).collect();
    std::fs::write(dir.join("big.toml"), format!("title = {{ en = \"big\" }}\n{filler}")).unwrap();
    let rec = dir.join("big.fsrec");
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json", "--record", rec.to_str().unwrap()], Duration::from_secs(30));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let size = std::fs::metadata(&rec).unwrap().len();
    assert!(size >= 3 << 20, "a {size}-byte recording");
    let out = common::run_limited(&["replay", rec.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.summary()["outcome"], "completed");
    assert_eq!(out.summary()["reported"]["done"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_script_too_large_for_the_run_is_refused_clearly() {
    let _alone = crate::common::heavy();
    let dir = lesson_dir("bigscript");
    let padding: String = (0..12_000).map(|i| format!("// padding line {i:05} of a script that is far too long\n")).collect();
    let script = format!("fn main() {{ print(\"hi\"); }}\n{padding}");
    assert!(script.len() > 600 << 10);
    let file = dir.join("big.rhai");
    std::fs::write(&file, &script).unwrap();
    let path = file.to_str().unwrap();
    for args in [vec!["check", path], vec!["run", path, "--headless", "--json"]] {
        let out = common::run_limited(&args, Duration::from_secs(20));
        assert_ne!(out.status, 0, "{args:?}");
        assert!(out.stderr.contains(&format!("{path}:")) && out.stderr.contains("a lesson script may be at most 512 KiB"), "{args:?}: {}", out.stderr);
    }
    // What `check` cannot see (a run started through the library): the
    // conductor refuses before any process is made, and says why.
    let mut opts = RunOptions::of_script("big", "tests/hostile_run.rs", &format!("fn main() {{ }}\n{padding}{padding}"));
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    let err = Run::start(opts).expect_err("refused").to_string();
    assert!(err.contains("too large to run"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_text_to_a_folder_path_is_refused_as_python_does() {
    let _share = crate::common::share();
    let dir = lesson_dir("slash");
    let lesson = dir.join("slash.rhai");
    std::fs::write(&lesson, r#"
fn attempt(key, f) {
    try { f.call(); report(key, "allowed"); } catch (e) { report(key, `${e}`); }
}
fn main() {
    attempt("new", || write_text("sub/", "x"));
    attempt("append", || append_text("sub/", "x"));
    attempt("json", || write_json("sub/", 1));
    write_text("file", "text");
    attempt("read_file_slash", || read_text("file/"));
    report("listed", list_dir("."));
}
"#).unwrap();
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    let s = out.summary();
    let r = &s["reported"];
    for key in ["new", "append", "json"] {
        assert_eq!(r[key], "IsADirectoryError: [Errno 21] Is a directory: 'sub/'", "{key}: {s}");
    }
    assert_eq!(r["read_file_slash"], "NotADirectoryError: [Errno 20] Not a directory: 'file/'", "{s}");
    assert_eq!(r["listed"], serde_json::json!(["file"]), "no file `sub` was made: {s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_10000_deep_value_is_a_recursion_error_everywhere_it_goes() {
    let _share = crate::common::share();
    let dir = lesson_dir("deep");
    let lesson = dir.join("deep.rhai");
    std::fs::write(&lesson, r#"
fn child(x) { report("child_ran", true); }
fn attempt(key, f) {
    try { f.call(); report(key, "allowed"); } catch (e) { report(key, `${e}`); }
}
fn main() {
    let a = [];
    for i in 0..10000 { a = [take(a)]; }
    attempt("print", || print(a));
    attempt("report", || report("deep", a));
    attempt("write_json", || write_json("deep.json", a));
    let q = Queue();
    attempt("queue", || q.put(a));
    let ends = Pipe();
    attempt("pipe", || ends[0].send(a));
    attempt("argument", || { let p = Process(child, [a]); p.start(); p.join(); });
    let fine = [];
    for i in 0..99 { fine = [take(fine)]; }
    attempt("depth_100", || { q.put(fine); report("came_back", q.get() == fine); });
}
"#).unwrap();
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(90));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let s = out.summary();
    let r = &s["reported"];
    assert_eq!(r["print"], "RecursionError: maximum recursion depth exceeded while printing a value (a value may nest at most 100 deep)", "{s}");
    for key in ["report", "write_json", "queue", "pipe", "argument"] {
        assert_eq!(r[key], "RecursionError: maximum recursion depth exceeded while encoding a value (a value may nest at most 100 deep)", "{key}: {s}");
    }
    assert_eq!(r["depth_100"], "allowed", "{s}");
    assert_eq!(r["came_back"], true, "{s}");
    assert!(r.get("child_ran").is_none() && r.get("deep").is_none(), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_report_that_cannot_travel_is_an_error_in_the_lesson_not_a_lost_value() {
    let _share = crate::common::share();
    let dir = lesson_dir("bigreport");
    let lesson = dir.join("big.rhai");
    std::fs::write(&lesson, r#"
fn attempt(key, f) {
    try { f.call(); report(key, "allowed"); } catch (e) { report(key, `${e}`); }
}
fn main() {
    let ints = [];
    for i in 0..1000 { ints.push(i); }
    attempt("thousand", || report("ints", ints));
    let deep = [];
    for i in 0..126 { deep = [take(deep)]; }
    attempt("deep127", || report("deep", deep));
    report("hundred", ints.extract(0, 100));
    report("ints", ints);
}
"#).unwrap();
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(30));
    assert_eq!(out.status, 1, "the uncaught error ends the run as an error: {}", out.stderr);
    let s = out.summary();
    let r = &s["reported"];
    let thousand = r["thousand"].as_str().unwrap_or_default();
    assert!(thousand.starts_with("ValueError: report 'ints' is too large: 3896 bytes as JSON with its key, a report may take at most 2304"), "{s}");
    assert_eq!(r["deep127"], "RecursionError: maximum recursion depth exceeded while encoding a value (a value may nest at most 100 deep)", "{s}");
    assert_eq!(r["hundred"].as_array().map(Vec::len), Some(100), "a report under the cap travels: {s}");
    assert_eq!(s["corrupt"], 0, "nothing arrived unreadable: {s}");
    let error = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "error").map(|f| f["message"].as_str().unwrap().to_string()).unwrap_or_default();
    assert!(error.contains("report 'ints' is too large"), "the uncaught one is the run's error: {s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn g_is_held_to_the_engine_size_limits() {
    let _share = crate::common::share();
    let dir = lesson_dir("globals");
    let lesson = dir.join("globals.rhai");
    // Each store is within the limits (a 600,000-byte string, a 600,000-int
    // array); two of them are not, as in a map. Before, G took them all: a
    // worker held 2.5 GB.
    std::fs::write(&lesson, r#"
fn strings() {
    let s = "x";
    s.pad(600000, "y");
    for i in 0..50 { G[`s${i}`] = s + i; report("strings", i + 1); }
}
fn arrays() {
    for i in 0..50 { let a = []; a.pad(600000, i); G[`a${i}`] = a; report("arrays", i + 1); }
}
fn main() {
    G.n = 1;
    G.n += 1;
    G.list = [];
    for i in 0..3 { G.list.push(i); }
    G.list = ();
    report("small", `${G.n} ${G.list}`);
    let p = Process(strings);
    let q = Process(arrays);
    p.start(); q.start();
    p.join(); q.join();
    report("codes", [p.exitcode, q.exitcode]);
}
"#).unwrap();
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    let s = out.summary();
    let r = &s["reported"];
    assert_eq!(r["small"], "2 ", "small stores, `+=` and a push through G still work: {s}");
    assert_eq!(r["strings"], 1, "{s}");
    assert_eq!(r["arrays"], 1, "{s}");
    assert_eq!(r["codes"], serde_json::json!([1, 1]), "{s}");
    let errors: Vec<String> = s["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "error").map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(errors.iter().any(|e| e.contains("Length of string too large")), "{s}");
    assert!(errors.iter().any(|e| e.contains("Size of array/BLOB too large")), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_may_write_only_so_much() {
    let _share = crate::common::share();
    let dir = lesson_dir("quota");
    let lesson = dir.join("quota.rhai");
    // Two processes append 1 MiB at a time (80 MiB if nothing stops them).
    std::fs::write(&lesson, r#"
fn filler(name) {
    let mib = "x";
    mib.pad(1048576, "x");
    let n = 0;
    try {
        for i in 0..40 { append_text(name, mib); n += 1; }
        report(name, "allowed");
    } catch (e) { report(name, `${e}`); }
    report(`${name}_mib`, n);
}
fn main() {
    let p = Process(filler, ["a"]);
    let q = Process(filler, ["b"]);
    p.start(); p.join();
    q.start(); q.join();
    write_text("a", "small again");
    report("rewritten", read_text("a"));
}
"#).unwrap();
    let out = common::run_limited(&["run", lesson.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let s = out.summary();
    let r = &s["reported"];
    assert_eq!(r["a_mib"], 40, "one process alone stays under the quota: {s}");
    assert_eq!(r["b_mib"], 24, "the run's 64 MiB are shared: {s}");
    assert_eq!(r["b"], "OSError: [Errno 28] No space left on device: 'b' (a run's files may hold at most 64 MiB in all)", "{s}");
    assert_eq!(r["rewritten"], "small again", "rewriting a file frees what it held: {s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_relative_tmpdir_still_gives_working_files() {
    let _share = crate::common::share();
    let dir = lesson_dir("reltmp");
    std::fs::create_dir_all(dir.join("rel-tmp")).unwrap();
    let lesson = dir.join("files.rhai");
    std::fs::write(&lesson, "fn main() {\n    write_text(\"a\", \"hello\");\n    append_text(\"a\", \"!\");\n    report(\"read\", read_text(\"a\"));\n    report(\"listed\", list_dir(\".\"));\n}\n").unwrap();
    let mut child = std::process::Command::new(common::bin())
        .args(["run", "files.rhai", "--headless", "--json"])
        .current_dir(&dir)
        .env("TMPDIR", "rel-tmp")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = common::wait_limited(&mut child, Duration::from_secs(30));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["reported"]["read"], "hello!", "{s}");
    assert_eq!(s["reported"]["listed"], serde_json::json!(["a"]), "{s}");
    assert_eq!(std::fs::read_dir(dir.join("rel-tmp")).unwrap().count(), 0, "the run's folder was made there and removed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process in a group of its own that sleeps, with `tag` on its command line.
fn sleeper(tag: &str) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    std::process::Command::new("python3").args(["-c", "import time; time.sleep(60)", tag]).process_group(0).spawn().expect("python3 (the guard test's sleepers are python3 processes)")
}

fn alive(child: &mut std::process::Child) -> bool {
    child.try_wait().unwrap().is_none()
}

/// Hostile #1: the guard used to SIGKILL whatever group id and lane pids it
/// read from the segment, which the run's own processes can write: after pid
/// reuse (or a scribble), an unrelated group. Now it kills the group only if
/// the conductor named it on the guard's pipe and its leader is still that
/// process, and a lane's pid only if that process carries the run's segment
/// name. Here a bystander's pid is planted in the segment (as the group and
/// as a lane, with its true start time); a stale group that the conductor
/// named before its pid was reused is named too: the guard spares both, and
/// still kills what is provably the run's.
#[test]
fn the_guard_spares_a_bystander_group_planted_in_the_segment() {
    let _alone = crate::common::heavy();
    use std::io::Write;
    use forkscope::shm::Segment;
    use forkscope::shm::layout::Geometry;
    let seg = Segment::create(Geometry { lanes: 8, ring_cap: 16, resources: 8, blocks: 64 }).expect("segment");
    let name = seg.name().to_string();
    let mut bystander = sleeper("bystander");
    let mut reused = sleeper("reused");
    let mut ours = sleeper(&name);
    let start = |c: &std::process::Child| std::fs::read_to_string(format!("/proc/{}/stat", c.id())).unwrap().rsplit(')').next().unwrap().split_whitespace().nth(19).unwrap().parse::<u64>().unwrap();
    let v = seg.view();
    v.control().pgid.store(bystander.id() as i32, SeqCst);
    for (pid, st) in [(bystander.id() as i32, start(&bystander)), (ours.id() as i32, start(&ours))] {
        let lane = v.alloc_lane(forkscope::shm::layout::NONE).expect("lane");
        let l = v.lane(lane).unwrap();
        l.start_time.store(st, SeqCst);
        l.pid.store(pid, SeqCst);
    }
    let mut guard = std::process::Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["guard", "--segment", &name, "--scratch", "/nonexistent-forkscope-scratch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The conductor named `reused`'s group, but with another start time:
    // the pid has been reused since.
    writeln!(guard.stdin.as_mut().unwrap(), "{} {}", reused.id(), start(&reused) + 1).unwrap();
    drop(guard.stdin.take());
    let out = common::wait_limited(&mut guard, Duration::from_secs(10));
    assert_eq!(out.status, 0, "{}", out.stderr);
    std::thread::sleep(Duration::from_millis(100));
    let (b, r, o) = (alive(&mut bystander), alive(&mut reused), alive(&mut ours));
    for c in [&mut bystander, &mut reused, &mut ours] {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert!(b, "the guard killed a bystander whose pid was planted in the segment");
    assert!(r, "the guard killed a group whose leader is no longer the run's");
    assert!(!o, "the guard spared a process of the run");
    assert!(!std::path::Path::new("/dev/shm").join(&name).exists(), "the guard left the segment");
}

/// Hostile #12: the stale sweep judged a segment and a scratch folder by the
/// pid in their names, so it removed those of a live run in another pid
/// namespace (where that pid means another process, or none). Now a live run
/// holds a lock on both, seen from every namespace.
#[test]
fn a_run_in_another_pid_namespace_keeps_its_segment_and_folder() {
    let _alone = crate::common::heavy();
    let can = std::process::Command::new("unshare").args(["--pid", "--fork", "--mount-proc", "true"]).status().is_ok_and(|s| s.success());
    assert!(can, "this test needs `unshare --pid --fork --mount-proc` (util-linux, run as root, as CI does)");
    let dir = lesson_dir("pidns");
    let lesson = dir.join("wait.rhai");
    std::fs::write(&lesson, "fn main() {\n    write_text(\"mine\", \"kept\");\n    sleep(3);\n    report(\"read\", read_text(\"mine\"));\n}\n").unwrap();
    let before: std::collections::BTreeSet<String> = std::fs::read_dir("/dev/shm").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let mut inner = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", env!("CARGO_BIN_EXE_forkscope"), "run", lesson.to_str().unwrap(), "--headless", "--json", "--timeout", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its segment, once made: the name holds its pid in its namespace, 1
    // (`unshare --fork` makes forkscope the namespace's first process).
    let t0 = Instant::now();
    let seg = loop {
        let now: Vec<String> = std::fs::read_dir("/dev/shm").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("forkscope-1-") && !before.contains(n)).collect();
        if let [one] = &now[..] {
            break one.clone();
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the run in the new namespace made no segment: {now:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    // A run here sweeps stale segments and folders as it starts.
    let out = common::run_limited(&["run", "hello", "--headless"], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(std::path::Path::new("/dev/shm").join(&seg).exists(), "the sweep removed the segment of a live run in another pid namespace");
    let out = common::wait_limited(&mut inner, Duration::from_secs(60));
    let summary = out.summary();
    assert_eq!(summary["outcome"], "completed", "{summary}");
    assert_eq!(summary["reported"]["read"], "kept", "the run's folder was removed under it");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fork server's template is every process's OS parent, and it reaps
/// one only after the conductor has seen its end. Ending a run kills the
/// template too; the processes it had not reaped then became the
/// conductor's (the subreaper) and stayed zombies: a dashboard restarting
/// run after run collected them. Now ending the run reaps them.
#[test]
fn ending_a_run_leaves_no_zombie_of_the_template_behind() {
    let _alone = crate::common::heavy();
    let script = r#"
fn napper() { sleep(100); }
fn main() {
    for i in 0..12 { Process("napper", []).start(); }
    sleep(100);
}
"#;
    for _ in 0..3 {
        let mut run = start(script, false);
        let mut model = Model::new();
        let mut recs = Vec::new();
        let t0 = Instant::now();
        // Every process started and asleep.
        while model.processes.values().filter(|p| p.pid > 0 && p.state == forkscope::model::PState::Sleeping).count() < 13 {
            run.drain(&mut recs, false);
            for r in recs.drain(..) {
                model.apply(&r);
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "the processes did not all start");
            std::thread::sleep(Duration::from_millis(2));
        }
        let pids: Vec<i32> = model.processes.values().map(|p| p.pid).collect();
        drop(run);
        let zombies: Vec<i32> = pids.iter().copied().filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists()).collect();
        assert!(zombies.is_empty(), "left behind (zombies of ours): {zombies:?}");
    }
}

#[test]
fn the_processes_of_a_fork_bomb_killed_at_the_end_say_so_in_the_summary() {
    let _alone = common::heavy();
    let bomb = common::lesson_fixture("fork_bomb.rhai");
    let out = common::run_limited(&["run", &bomb, "--headless", "--json", "--timeout", "3"], Duration::from_secs(60));
    let s = out.summary();
    assert_eq!(s["outcome"], "timeout", "{s}");
    let procs = s["processes"].as_array().unwrap();
    assert!(procs.len() > 500, "the bomb filled the lane table: {} processes", procs.len());
    // Each end is known, though a thousand came at once at the close.
    let unknown: Vec<&str> = procs.iter().filter(|p| p["exitcode"].is_null()).map(|p| p["name"].as_str().unwrap()).collect();
    assert!(unknown.is_empty(), "{} processes 'never ended': {:?}", unknown.len(), &unknown[..unknown.len().min(5)]);
    // The sleepers were killed by forkscope at the end (the others failed
    // to start a child: the lane table was full, exitcode 1).
    let killed: Vec<&Value> = procs.iter().filter(|p| p["exitcode"] == -9).collect();
    assert!(killed.len() > 100, "{} killed", killed.len());
    assert!(killed.iter().all(|p| p["killed_at_end"] == true), "{killed:?}");
    common::assert_left_nothing(out.pid, &common::pids(&s), Duration::from_secs(5));
    // The text summary says what happened to them.
    let out = common::run_limited(&["run", &bomb, "--headless", "--timeout", "3"], Duration::from_secs(60));
    assert!(!out.stdout.contains("never ended"), "{}", &out.stdout[out.stdout.len().saturating_sub(2000)..]);
    assert!(out.stdout.contains("killed by forkscope at the end of the run (SIGKILL)"));
    common::assert_left_nothing(out.pid, &[], Duration::from_secs(5));
}
