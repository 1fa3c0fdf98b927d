//! CPython's own multiprocessing test suite as the bar: the fork-flavoured
//! suite (`test._test_multiprocessing`, unmodified, installed as CPython's
//! `test_multiprocessing_fork` installs it; driven by
//! tests/python/cpython_suite.py) runs under plain `python3` and under
//! `forkscope run … --headless` side by side, and every test that passes
//! under CPython must pass under forkscope — except those listed, each with
//! its reason, in tests/cpython-suite-known.txt (a reason that starts with
//! `flaky:` marks a test that passes in some runs only: either way is
//! accepted until its cause is found). A listed test that passes now
//! fails this test too (take it off the list: the list only shrinks).
//!
//! The suite's classes run in many runs at once (most of the suite sleeps),
//! the test alone (`heavy`: the runs load the machine);
//! every test has a time limit of its own (the driver's alarm), every run
//! one too, and a run a hung test ended is started again for the tests it had
//! not reached. A test passing on one side only is run again, alone, before it
//! counts (the suite times things, and this machine is shared).
//! `FS_SUITE_REPORT=1` prints every test's outcome on both sides.
//!
//! The same comparison runs CPython's `test_concurrent_futures` process-pool
//! classes (fork start method) on every CPython 3.9–3.13 here that has it,
//! forkscope with `--python` that interpreter; its list is
//! tests/cpython-futures-known.txt.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};


use crate::common::*;

const DRIVER: &str = "tests/python/cpython_suite.py";
const KNOWN: &str = "tests/cpython-suite-known.txt";
/// The same for test_concurrent_futures's process-pool classes.
const KNOWN_FUTURES: &str = "tests/cpython-futures-known.txt";
/// Seconds one test may take (the driver's alarm): CPython's slowest test
/// of this suite takes about 6 s here.
const TEST_LIMIT: u64 = 20;
/// Runs at once (each side's runs share the queue).
const AT_ONCE: usize = 10;
/// About how many tests one run takes on.
const CHUNK: usize = 12;

/// Which of CPython's suites, on which interpreter.
#[derive(Clone, Debug)]
struct Suite {
    /// The CPython both sides run (`python3`, or `--python` for forkscope).
    py: PathBuf,
    /// `test_concurrent_futures`'s process-pool classes (`FS_SUITE=futures`
    /// for the driver), else the multiprocessing suite.
    futures: bool,
}

impl Suite {
    fn env(&self, cmd: &mut Command) {
        if self.futures {
            cmd.env("FS_SUITE", "futures");
        } else {
            cmd.env_remove("FS_SUITE");
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    CPython,
    Forkscope,
}

/// A test's outcome (`pass`, `fail`, `error`, `skip`, `xfail`, `upass`;
/// `hang`: it passed its time limit, or its run ended in it; `missing`:
/// its run never reached it) and why.
type Outcomes = BTreeMap<String, (String, String)>;

/// The `@@` lines of one run of the driver on `tests`, on `side`, bounded by `limit`.
fn run_driver(suite: &Suite, side: Side, tests: &[String], limit: Duration) -> Vec<String> {
    let file = repo(DRIVER);
    let scratch = tempdir(&format!("suite-{}-{:?}", tests.len(), std::thread::current().id()).replace(['(', ')'], ""));
    let lines: Vec<String> = match side {
        Side::CPython => {
            let mut cmd = Command::new(&suite.py);
            suite.env(&mut cmd);
            cmd.arg(&file).current_dir(&scratch).env("FS_SUITE_TESTS", tests.join(" ")).env("FS_SUITE_LIMIT", TEST_LIMIT.to_string());
            run_bounded(cmd, limit).map(|(_, out)| out.lines().map(str::to_string).collect()).unwrap_or_default()
        }
        Side::Forkscope => {
            let secs = limit.as_secs().to_string();
            let mut cmd = Command::new(bin());
            suite.env(&mut cmd);
            cmd.args(["--python", suite.py.to_str().unwrap(), "run", file.to_str().unwrap(), "--headless", "--json", "--timeout", &secs])
                .current_dir(&scratch)
                .env("FS_SUITE_TESTS", tests.join(" "))
                .env("FS_SUITE_LIMIT", TEST_LIMIT.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("start forkscope");
            let out = wait_limited(&mut child, limit + Duration::from_secs(30));
            let records = out.json();
            let summary = records.last().filter(|s| s["type"] == "summary").unwrap_or_else(|| panic!("forkscope ended without a summary; stderr: {}", out.stderr));
            assert_left_nothing(child.id() as i32, &pids(summary), Duration::from_secs(10));
            records.iter().filter(|r| r["type"] == "print" && r["lane"] == 1).filter_map(|r| r["text"].as_str().map(str::to_string)).collect()
        }
    };
    let _ = std::fs::remove_dir_all(&scratch);
    lines.into_iter().filter(|l| l.starts_with("@@")).collect()
}

/// Every test of `tests` on `side`: runs the driver, and again on what a
/// hung test kept it from reaching, until every test has an outcome.
fn outcomes(suite: &Suite, side: Side, tests: &[String]) -> Outcomes {
    let mut out = Outcomes::new();
    let mut left: Vec<String> = tests.to_vec();
    while !left.is_empty() {
        // Enough for every test to reach its limit, and the start-up.
        let limit = Duration::from_secs(TEST_LIMIT * left.len().min(4) as u64 + 60);
        let lines = run_driver(suite, side, &left, limit);
        let mut started = None;
        let mut done = false;
        for l in &lines {
            if let Some(id) = l.strip_prefix("@@start ") {
                started = Some(id.trim().to_string());
            } else if let Some(rest) = l.strip_prefix("@@suite ") {
                let mut f = rest.splitn(3, ' ');
                let (id, what, why) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or("").trim());
                // A test's worst outcome (a subtest's failure, then its end).
                let e = out.entry(id.to_string()).or_insert((what.to_string(), why.to_string()));
                if e.0 == "pass" && what != "pass" {
                    *e = (what.to_string(), why.to_string());
                }
                if started.as_deref() == Some(id) {
                    started = None;
                }
            } else if l == "@@done" {
                done = true;
            }
        }
        if !done {
            match started {
                Some(id) if left.contains(&id) => {
                    out.insert(id, ("hang".into(), format!("its run ended in it ({side:?}: the time limit, a crash, or a deadlock found)")));
                }
                _ => {
                    // The run ended between tests (or never started):
                    // what it did not reach stays unreached.
                    for t in &left {
                        out.entry(t.clone()).or_insert(("missing".into(), format!("{side:?}: the run ended before this test")));
                    }
                }
            }
        }
        left.retain(|t| !out.contains_key(t));
        // A class's fixture failed: its tests have no outcome of their own.
        if done {
            for t in left.drain(..) {
                let class = t.split('.').next().unwrap_or("");
                let why = out.iter().find(|(k, _)| k.starts_with(&format!("{class}.setUp")) || k.as_str() == "setUpModule").map(|(_, v)| v.1.clone()).unwrap_or_default();
                out.insert(t, ("error".into(), format!("no outcome of its own (a fixture failed: {why})")));
            }
        }
    }
    out
}

/// The known differences of the list `file`: test id → reason.
fn known(file: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut m = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, why) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(!why.trim().is_empty(), "{file}:{}: {id} has no reason", n + 1);
        assert!(m.insert(id.to_string(), why.trim().to_string()).is_none(), "{file}:{}: {id} is listed twice", n + 1);
    }
    m
}

/// The driver's test ids, as CPython lists them; None when this
/// interpreter has not the suite's `test` package (Debian and Ubuntu ship
/// it apart; some builds leave test_concurrent_futures out).
fn all_tests(suite: &Suite) -> Option<Vec<String>> {
    let module = if suite.futures { "test.test_concurrent_futures" } else { "test._test_multiprocessing" };
    let probe = Command::new(&suite.py).args(["-c", &format!("import {module}")]).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
    if !probe.success() {
        return None;
    }
    let mut cmd = Command::new(&suite.py);
    suite.env(&mut cmd);
    let out = cmd.arg(repo(DRIVER)).env_remove("FS_SUITE_TESTS").stderr(Stdio::inherit()).output().unwrap();
    assert!(out.status.success(), "listing the suite's tests failed ({})", suite.py.display());
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.strip_prefix("@@test ")).map(str::to_string).collect();
    let least = if suite.futures { 30 } else { 100 };
    assert!(ids.len() > least, "CPython's suite on {} lists only {} tests", suite.py.display(), ids.len());
    Some(ids)
}

/// The tests in runs of about CHUNK, a class never split, the largest
/// classes first (they start first).
fn chunks(ids: &[String]) -> Vec<Vec<String>> {
    let mut classes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for id in ids {
        classes.entry(id.split('.').next().unwrap()).or_default().push(id.clone());
    }
    let mut classes: Vec<Vec<String>> = classes.into_values().collect();
    classes.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut out: Vec<Vec<String>> = Vec::new();
    for c in classes {
        match out.last_mut() {
            Some(last) if last.len() + c.len() <= CHUNK => last.extend(c),
            _ => out.push(c),
        }
    }
    out
}

/// What one comparison found.
struct Figures {
    /// Tests in the suite.
    tests: usize,
    /// Passing under CPython.
    cpython: usize,
    /// Of those, passing under forkscope too.
    both: usize,
}

/// Runs `suite` on both sides (a listed test under forkscope alone), runs
/// again what would fail the comparison, prints the figures, and fails if a
/// test passing under CPython fails under forkscope and is not in `known`,
/// or a listed one (not `flaky:`) passes now.
fn compare(suite: &Suite, ids: &[String], known_file: &str, title: &str) -> Figures {
    let known = known(known_file);
    let t0 = Instant::now();
    // Under forkscope a listed test runs alone (several hang until their
    // limit: side by side, not one after another).
    let unlisted: Vec<String> = ids.iter().filter(|id| !known.contains_key(*id)).cloned().collect();
    let mut jobs: Vec<(Side, Vec<String>)> = ids.iter().filter(|id| known.contains_key(*id)).map(|id| (Side::Forkscope, vec![id.clone()])).collect();
    jobs.extend(chunks(&unlisted).into_iter().map(|c| (Side::Forkscope, c)));
    jobs.extend(chunks(ids).into_iter().map(|c| (Side::CPython, c)));
    let results = side_by_side(AT_ONCE, &jobs, |(side, tests)| (*side, outcomes(suite, *side, tests)));
    let (mut py, mut fs) = (Outcomes::new(), Outcomes::new());
    for (side, o) in results {
        if side == Side::CPython { py.extend(o) } else { fs.extend(o) }
    }
    let first_round = t0.elapsed();
    let passes = |o: &Outcomes, id: &str| o.get(id).is_some_and(|(w, _)| w == "pass");
    // What would fail this test (a test passing under CPython only and not
    // listed, a listed one passing under forkscope) and a test passing
    // under forkscope only is run again on both sides (the suite times
    // things, and the machine is shared): a test passes on a side if it
    // passed once, and a listed one is fixed only if it passed twice.
    let again: Vec<String> = ids
        .iter()
        .filter(|id| (passes(&py, id) && !passes(&fs, id) && !known.contains_key(*id)) || (known.contains_key(*id) && passes(&fs, id)) || (!passes(&py, id) && passes(&fs, id)))
        .cloned()
        .collect();
    let jobs: Vec<(Side, Vec<String>)> = chunks(&again).into_iter().flat_map(|c| [(Side::Forkscope, c.clone()), (Side::CPython, c)]).collect();
    let (mut py2, mut fs2) = (Outcomes::new(), Outcomes::new());
    for (side, o) in side_by_side(AT_ONCE, &jobs, |(side, tests)| (*side, outcomes(suite, *side, tests))) {
        if side == Side::CPython { py2.extend(o) } else { fs2.extend(o) }
    }
    // A test listed as `flaky:` passes in some runs and not in others (its
    // cause not found yet): neither its failing nor its passing counts.
    let fixed: Vec<&String> = known.iter().filter(|(_, why)| !why.starts_with("flaky:")).map(|(id, _)| id).filter(|id| passes(&fs, id) && passes(&fs2, id) && (passes(&py, id) || passes(&py2, id))).collect();
    for (first, second) in [(&mut py, py2), (&mut fs, fs2)] {
        for (id, o) in second {
            if o.0 == "pass" || !first.contains_key(&id) {
                first.insert(id, o);
            }
        }
    }

    let py_pass: Vec<&String> = ids.iter().filter(|id| passes(&py, id)).collect();
    let both: Vec<&&String> = py_pass.iter().filter(|id| passes(&fs, id)).collect();
    let ratio = 100.0 * both.len() as f64 / py_pass.len().max(1) as f64;
    eprintln!(
        "{title} on {} ({} tests): CPython passes {}, forkscope {} of those ({ratio:.1} %); {} listed as known; {:.0} s ({:.0} s the first round, {} tests run again)",
        suite.py.display(),
        ids.len(),
        py_pass.len(),
        both.len(),
        known.len(),
        t0.elapsed().as_secs_f64(),
        first_round.as_secs_f64(),
        again.len()
    );
    if std::env::var_os("FS_SUITE_REPORT").is_some() {
        for id in ids {
            let show = |o: &Outcomes| o.get(id).map(|(w, y)| if y.is_empty() { w.clone() } else { format!("{w} ({y})") }).unwrap_or_else(|| "-".into());
            eprintln!("{id}\tCPython {}\tforkscope {}", show(&py), show(&fs));
        }
    }
    let new: Vec<String> = py_pass.iter().filter(|id| !passes(&fs, id) && !known.contains_key(id.as_str())).map(|id| format!("{id}: {}", fs.get(id.as_str()).map(|(w, y)| format!("{w} {y}")).unwrap_or_default())).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{title} on {}: {} tests pass under CPython and not under forkscope (fix them, or list each with its reason in {known_file}):\n{}\n\
         {} listed tests pass now (take them off {known_file}):\n{}",
        suite.py.display(),
        new.len(),
        new.join("\n"),
        fixed.len(),
        fixed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    Figures { tests: ids.len(), cpython: py_pass.len(), both: both.len() }
}

#[test]
fn cpython_multiprocessing_suite_passes_under_forkscope() {
    // Alone: twenty runs at once of a suite that starts processes all the
    // time made the lessons' comparisons beside it pass their time limits.
    let _heavy = heavy();
    let suite = Suite { py: PathBuf::from(python3()), futures: false };
    let Some(ids) = all_tests(&suite) else {
        eprintln!(
            "note: CPython's multiprocessing suite is not tested here: this python3 has no `test` package \
             (`import test._test_multiprocessing` fails; Debian/Ubuntu: apt install libpython3-testsuite, or use pyenv's CPython)"
        );
        return;
    };
    let f = compare(&suite, &ids, KNOWN, "CPython's multiprocessing suite");
    // The bar: forkscope passes at least 95 % of what CPython passes.
    assert!(f.both * 100 >= f.cpython * 95, "forkscope passes {} of the {} tests CPython passes: under 95 %", f.both, f.cpython);
    assert!(f.tests >= f.cpython);
}

/// CPython's `test_concurrent_futures`, its process-pool classes with the
/// fork start method (ProcessPoolExecutor: submit, map, as_completed, wait,
/// initializers, shutdown, a broken pool's deadlock cases), under forkscope
/// and under the same CPython side by side, on every CPython 3.9–3.13 here
/// that has the module (3.9–3.11 have one file, 3.12 and later a package;
/// a build without it is left out, with a note).
#[test]
fn cpython_concurrent_futures_process_pool_passes_under_forkscope() {
    let _heavy = heavy();
    python3();
    let mut tested = 0;
    for py in supported_cpythons().into_values() {
        let suite = Suite { py, futures: true };
        let Some(ids) = all_tests(&suite) else {
            eprintln!("note: {} has no test.test_concurrent_futures: its process-pool classes are not tested on it", suite.py.display());
            continue;
        };
        let f = compare(&suite, &ids, KNOWN_FUTURES, "CPython's test_concurrent_futures (ProcessPoolFork classes)");
        // (CPython skips a few on Linux or for fork; most pass.)
        assert!(f.cpython * 2 > f.tests, "CPython passes only {} of {} tests on {}: is the driver reading its outcomes?", f.cpython, f.tests, suite.py.display());
        tested += 1;
    }
    if tested == 0 {
        eprintln!("note: no CPython 3.9–3.13 here has test.test_concurrent_futures: the process-pool classes are not tested");
    }
}
