//! The boundary between CPython and the runtime (`src/python/abi.rs`), end
//! to end with real CPython processes: results and errors are the calling
//! thread's, of any size; a selector outside its names is refused; a
//! shared number can be any value; a sleep paused midway moves the
//! program's clocks as the record says. (The table that ties the Python
//! side's signatures and names to the Rust side is checked by the library's
//! unit tests, `python::abi_table`.)

use crate::common;

use std::time::{Duration, Instant};

use forkscope::conductor::{Run, RunOptions};
use forkscope::shm::layout::ProcState;

use common::*;

fn program(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// Two threads of one process, each putting and getting its own items and
/// failing its own way (`queue.Empty` in one, `queue.Full` in the other),
/// thousands of times at once: neither ever gets the other's item or error.
#[test]
fn threads_of_one_process_never_get_each_others_results_or_errors() {
    let _share = common::share();
    python3();
    let dir = tempdir("abi-threads");
    let file = program(
        &dir,
        "threads.py",
        r#"import multiprocessing as mp
import queue
import threading

N = 3000


def worker(tag, q, full, bad):
    try:
        work(tag, q, full, bad)
    except BaseException as e:
        bad.append("%s raised %r" % (tag, e))


def work(tag, q, full, bad):
    for i in range(N):
        q.put((tag, i))
        got = q.get()
        if got != (tag, i):
            bad.append("%s got %r for %r" % (tag, got, (tag, i)))
        try:
            if tag == "a":
                q.get_nowait()
            else:
                full.put_nowait(i)
        except queue.Empty:
            if tag != "a":
                bad.append("b got queue.Empty")
        except queue.Full:
            if tag != "b":
                bad.append("a got queue.Full")
        else:
            bad.append("%s: no exception" % tag)


if __name__ == "__main__":
    full = mp.Queue(1)
    full.put("x")
    bad = []
    ts = [threading.Thread(target=worker, args=(tag, mp.Queue(), full, bad)) for tag in "ab"]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("mix-ups:", len(bad), bad[:3])
    raise SystemExit(min(len(bad), 100))
"#,
    );
    let (code, py) = cpython(&file, &dir, Duration::from_secs(60)).expect("CPython ends");
    assert_eq!((code, py.as_slice()), (0, ["mix-ups: 0 []".to_string()].as_slice()));
    let (s, lines, _) = forkscope(&file, &["--timeout", "60"], Duration::from_secs(90));
    // The exit status is the number of mix-ups. (The closing line can be
    // among the records a full ring drops while the threads run flat out.)
    assert_eq!(main_exitcode(&s), Some(0), "{lines:?} {s}");
    assert!(lines.is_empty() || lines == py, "{lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pool worker's exception reaches `get()` whole, however large (its
/// pickle travels inside the error text): 100 KB as under python3.
#[test]
fn a_pool_workers_exception_of_any_size_reaches_the_parent_whole() {
    let _share = common::share();
    python3();
    let dir = tempdir("abi-bigexc");
    let file = program(
        &dir,
        "bigexc.py",
        r#"import multiprocessing as mp


class Big(Exception):
    pass


def boom(n):
    raise Big("x" * n)


if __name__ == "__main__":
    with mp.Pool(1) as pool:
        for n in (10, 5000, 100_000):
            try:
                pool.apply(boom, (n,))
            except Big as e:
                print(n, type(e).__name__, len(str(e)), str(e) == "x" * n)
"#,
    );
    let (code, py) = cpython(&file, &dir, Duration::from_secs(60)).expect("CPython ends");
    assert_eq!(py, ["10 Big 10 True", "5000 Big 5000 True", "100000 Big 100000 True"]);
    let (s, lines, _) = forkscope(&file, &["--timeout", "60"], Duration::from_secs(90));
    assert_eq!(lines, py, "{s}");
    assert_eq!(main_exitcode(&s), Some(code as i64), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every selector of the library refuses a value it has no name for, with a
/// ValueError naming the function and the value, and does nothing (before:
/// an unknown lock kind was a Semaphore, an unknown event op `is_set`, an
/// unknown queue op `join`, an unknown submission a `map`).
#[test]
fn a_selector_without_a_name_is_refused_naming_the_function_and_value() {
    let _share = common::share();
    python3();
    let dir = tempdir("abi-selectors");
    let file = program(
        &dir,
        "refused.py",
        r#"import multiprocessing as mp

import forkscope_rt as rt

if __name__ == "__main__":
    lock, sem, ev, q = mp.Lock(), mp.Semaphore(1), mp.Event(), mp.Queue()
    pool = mp.Pool(1)
    for call in (
        lambda: rt.lib.fs_acquire_timed(7, sem._id, 1, -1.0, 0),
        lambda: rt.lib.fs_release(7, lock._id, 0),
        lambda: rt.lib.fs_event_op(ev._id, 7, 0),
        lambda: rt.lib.fs_queue_op(q._id, 7, 0),
        lambda: rt.lib.fs_pool_submit(pool._id, 7, b"f", 1, 0, 0),
        lambda: rt.lib.fs_barrier_op(0, 9, 0),
        lambda: rt.lib.fs_print(9, b"x", 1, 0),
        lambda: rt.lib.fs_run_text(99),
    ):
        try:
            rt.ok(call())
            print("accepted")
        except ValueError as e:
            print("ValueError:", e)
    print(sem.get_value(), ev.is_set(), q.empty())
    pool.terminate()
"#,
    );
    let (s, lines, _) = forkscope(&file, &["--timeout", "30"], Duration::from_secs(60));
    let names = "(the values are those of src/python/names.rs)";
    let want: Vec<String> = [
        "fs_acquire_timed: unknown lock kind 7",
        "fs_release: unknown lock kind 7",
        "fs_event_op: unknown event op 7",
        "fs_queue_op: unknown queue op 7",
        "fs_pool_submit: unknown pool submission 7",
        "fs_barrier_op: unknown barrier op 9",
        "fs_print: unknown stream 9",
        "fs_run_text: unknown fact (info) 99",
    ]
    .iter()
    .map(|m| format!("ValueError: {m} {names}"))
    .chain(["1 False True".to_string()])
    .collect();
    assert_eq!(lines, want, "{s}");
    assert_eq!(main_exitcode(&s), Some(0), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A shared number whose bits are those of the library's error marker
/// (`-0.0`, the smallest int64) or of `None`'s (`-5e-324`) is read back as
/// itself, as under python3, not taken for an error.
#[test]
fn a_shared_number_of_any_value_is_read_back_as_itself() {
    let _share = common::share();
    python3();
    let dir = tempdir("abi-bits");
    let file = program(
        &dir,
        "bits.py",
        r#"import multiprocessing as mp

if __name__ == "__main__":
    print(repr(mp.Value("d", -0.0).value))
    print(mp.Array("d", [-0.0, -5e-324])[:])
    v = mp.Value("q", -(1 << 63))
    print(v.value)
    v.value = -(1 << 63) + 1
    print(v.value)
"#,
    );
    let (_, py) = cpython(&file, &dir, Duration::from_secs(30)).expect("CPython ends");
    let (s, lines, _) = forkscope(&file, &["--timeout", "30"], Duration::from_secs(60));
    assert_eq!(lines, py, "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sleep begun while the run runs freely and ended by a step after a
/// pause (the dashboard's space, then n) was partly virtual, and its record
/// says so: the program's clock moves on by the whole sleep, as it does
/// when the sleep is stepped from its start. (Before, the Python side
/// guessed "real" from the mode before the call, and its clock moved on
/// only by the few milliseconds before the pause.)
#[test]
fn a_sleep_paused_midway_and_stepped_moves_the_programs_clock_by_all_of_it() {
    let _share = common::share();
    python3();
    let dir = tempdir("abi-sleep");
    let file = program(
        &dir,
        "sleeper.py",
        r#"import time

t0 = time.time()
time.sleep(5)
print("slept %.3f" % (time.time() - t0))
"#,
    );
    let lesson = forkscope::scenario::load(file.to_str().unwrap()).expect("the program loads");
    let mut opts = RunOptions::of_lesson(&lesson);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    let t0 = Instant::now();
    let mut run = Run::start(opts).expect("start");
    let mut recs = Vec::new();
    let sleeping = |run: &Run| run.lanes().iter().any(|l| l.state == Some(ProcState::Sleeping));
    while !sleeping(&run) {
        run.drain(&mut recs, false);
        assert!(t0.elapsed() < Duration::from_secs(20), "main never began its sleep");
        std::thread::sleep(Duration::from_millis(1));
    }
    run.pause();
    let main = run.lanes()[0].lane;
    // The sleeper sees the pause (its deadline freezes), then takes the step.
    let t_pause = Instant::now();
    loop {
        run.drain(&mut recs, false);
        if run.grant(Some(main)).is_ok() {
            break;
        }
        assert!(t_pause.elapsed() < Duration::from_secs(10), "the sleeping process never became steppable");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The step is taken (the sleep ends) before the run goes on: resuming
    // first would take back a grant not yet used.
    assert!(run.settle(&mut recs, Duration::from_secs(10)), "the step did not settle");
    let held = t_pause.elapsed().as_secs_f64();
    run.resume();
    while !run.all_ended() {
        run.drain(&mut recs, false);
        assert!(t0.elapsed() < Duration::from_secs(30), "the run did not end");
        std::thread::sleep(Duration::from_millis(2));
    }
    run.drain(&mut recs, true);
    run.shutdown_into(&mut recs);
    let json: Vec<serde_json::Value> = recs.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
    let sleep = json.iter().find(|r| r["type"] == "op" && r["op"] == "sleep").expect("the sleep's record");
    assert_eq!(sleep["b"], 1, "the record says the sleep ended virtually: {sleep}");
    let printed: Vec<&str> = json.iter().filter(|r| r["type"] == "print").filter_map(|r| r["text"].as_str()).collect();
    let slept: f64 = printed.first().and_then(|l| l.strip_prefix("slept ")).and_then(|x| x.parse().ok()).unwrap_or_else(|| panic!("{printed:?}"));
    assert!(slept >= 4.99 && slept <= 5.0 + held + 1.0, "the clock moved on by {slept} s across a 5 s sleep paused and stepped within {held:.3} s");
    assert!(t0.elapsed() < Duration::from_secs(4), "the sleep ended on the step, not after 5 s");
    let _ = std::fs::remove_dir_all(&dir);
}
