//! Running out of something: the process limit (RLIMIT_NPROC), /dev/shm, the
//! lane table. Each time: a clear message, no panic, the run ends cleanly and
//! leaves nothing behind.
//!
//! The first two need root and util-linux (`prlimit`, `setpriv`, `unshare`),
//! as this project's machines and CI have: without them they fail and say
//! what is missing (they never pass without checking). Elsewhere, leave them
//! out by name: `cargo test --release -- --skip exhaustion::process_limit
//! --skip exhaustion::dev_shm`.

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Fails the test unless it runs as root with every tool of `tools`, naming
/// what this machine lacks; `what` says what the test does with them.
fn require_root_and(what: &str, tools: &[&str]) {
    let mut missing: Vec<String> = Vec::new();
    if euid() != 0 {
        missing.push(format!("root (the tests run as uid {})", euid()));
    }
    missing.extend(tools.iter().filter(|t| !have(t)).map(|t| format!("`{t}` (util-linux)")));
    let tools = tools.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
    assert!(
        missing.is_empty(),
        "this test {what}: it needs root and {tools}; missing here: {}. Run the tests as root with util-linux installed (`bash .ci/run` installs it), or leave this test out with --skip",
        missing.join(", ")
    );
}

/// Runs `prefix… forkscope args…` with the usual time limit.
fn run_under(prefix: &[&str], args: &[&str]) -> Output {
    let mut child = Command::new(prefix[0]).args(&prefix[1..]).arg(bin()).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    let pid = child.id() as i32;
    // prlimit, setpriv and `exec` in sh all exec: the pid is forkscope's.
    let out = wait_limited(&mut child, Duration::from_secs(60));
    Output { pid, ..out }
}

#[test]
fn process_limit_reached_is_a_python_error_and_the_run_ends() {
    let _alone = crate::common::heavy();
    // Root ignores RLIMIT_NPROC, so the run drops to an unused uid (which
    // owns no other process) with `setpriv`, under a limit of 9 processes and
    // threads: the conductor (2 threads), its guard and main (2) fit, then a
    // child or two, and the next start fails.
    require_root_and("runs forkscope as another uid under RLIMIT_NPROC", &["prlimit", "setpriv"]);
    let prefix = ["prlimit", "--nproc=9:9", "--", "setpriv", "--reuid=54321", "--regid=54321", "--clear-groups"];
    let out = run_under(&prefix, &["run", "hello", "--headless", "--json", "--param", "children=8"]);
    assert!(!out.stderr.contains("setpriv:") && !out.stderr.contains("prlimit:"), "prlimit/setpriv could not run forkscope as uid 54321 under the limit: {}", out.stderr.trim());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["outcome"], "error", "{s}");
    assert_eq!(out.status, 1);
    let findings: Vec<String> = s["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(
        findings.iter().any(|f| f.contains("BlockingIOError: [Errno 11] Resource temporarily unavailable")),
        "the failed start says why: {findings:?}"
    );
    for p in s["processes"].as_array().unwrap() {
        assert!(p["exitcode"].is_i64(), "every process ended: {p}");
    }
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn dev_shm_full_is_a_clear_error_before_anything_starts() {
    let _alone = crate::common::heavy();
    // A private mount namespace with a 2 MiB /dev/shm: the real one (shared
    // with everyone on the machine) is never filled.
    require_root_and("mounts a private, tiny /dev/shm", &["unshare"]);
    let prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=2m forkscope-test /dev/shm && exec \"$0\" \"$@\""];
    let out = run_under(&prefix, &["run", "hello", "--headless"]);
    assert!(!out.stderr.contains("unshare:") && !out.stderr.contains("mount:"), "no private mount namespace with a tmpfs /dev/shm here (root without CAP_SYS_ADMIN, e.g. in a container?): {}", out.stderr.trim());
    assert_eq!(out.status, 2, "{}", out.stderr);
    let err = out.stderr.trim();
    assert!(err.starts_with("forkscope: /dev/shm is full: the run needs"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.stdout.contains("started MainProcess"), "nothing started: {}", out.stdout);
    assert_left_nothing(out.pid, &[], Duration::from_secs(2));
}

#[test]
fn values_that_do_not_fit_in_dev_shm_are_a_memory_error_at_the_sender() {
    let _alone = crate::common::heavy();
    // A private 40 MiB /dev/shm: room for the segment (6 MiB of its 21 MiB
    // reserved at the start: the rings of lanes past the 64th are reserved
    // as those lanes are handed out) and an arena or two (16 MiB each,
    // reserved when made), not for a 40 MiB item.
    require_root_and("mounts a private, small /dev/shm", &["unshare"]);
    let prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=40m forkscope-test /dev/shm && exec \"$0\" \"$@\""];
    let file = repo("tests/python/programs/large_data_no_room.py");
    let out = run_under(&prefix, &["run", file.to_str().unwrap(), "--headless", "--json"]);
    assert!(!out.stderr.contains("unshare:") && !out.stderr.contains("mount:"), "no private mount namespace with a tmpfs /dev/shm here (root without CAP_SYS_ADMIN, e.g. in a container?): {}", out.stderr.trim());
    let s = out.summary();
    let printed: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        printed,
        ["then: small True", "result: MemoryError"],
        "each refused where it was sent, then the run goes on: {s}"
    );
    // The queue's item is sent by its feeder thread, which says why on its lane.
    let feeder = s["processes"].as_array().unwrap().iter().find(|p| p["name"] == "MainProcess/QueueFeederThread").expect("the feeder's lane")["lane"].clone();
    let said: Vec<String> = out.records().iter().filter(|r| r["type"] == "stderr" && r["lane"] == feeder).map(|r| r["text"].as_str().unwrap_or("").to_string()).collect();
    assert!(said.iter().any(|l| l == "MemoryError: out of memory for a value of 40.0 MiB crossing processes: /dev/shm has no room for it (No space left on device (os error 28))"), "{said:?}");
    assert_eq!(s["outcome"], "completed", "no deadlock, no error: {s}");
    assert_eq!(out.status, 0);
    // The private /dev/shm went with its namespace; nothing in the real one.
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

/// /dev/shm filled by someone else during the run: a page of the segment
/// first touched after that (a new process's lane and ring) used to be a
/// SIGBUS that killed forkscope (exit 135, no word) and the process. Every
/// page is reserved at the start now: the run goes on, and only a value
/// that needs new room is refused, as a MemoryError where it is sent.
#[test]
fn dev_shm_filled_during_the_run_faults_nothing() {
    let _alone = crate::common::heavy();
    require_root_and("mounts a private, small /dev/shm", &["unshare"]);
    let prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=32m forkscope-test /dev/shm && exec \"$0\" \"$@\""];
    let file = repo("tests/python/programs/dev_shm_filled_during_the_run.py");
    let out = run_under(&prefix, &["run", file.to_str().unwrap(), "--headless", "--json"]);
    assert!(!out.stderr.contains("unshare:") && !out.stderr.contains("mount:"), "no private mount namespace with a tmpfs /dev/shm here (root without CAP_SYS_ADMIN, e.g. in a container?): {}", out.stderr.trim());
    assert_eq!(out.status, 0, "{}", out.stderr);
    let s = out.summary();
    let printed: Vec<String> = out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap().to_string()).collect();
    assert_eq!(printed.iter().filter(|p| p.starts_with("child ")).count(), 40 * 50, "every child's every line: {s}");
    let main: Vec<&String> = printed.iter().filter(|p| !p.starts_with("child ")).collect();
    assert_eq!(main, ["filled: True", "back: True True", "big: sent"], "{s}");
    let feeder = s["processes"].as_array().unwrap().iter().find(|p| p["name"] == "MainProcess/QueueFeederThread").expect("the feeder's lane")["lane"].clone();
    assert!(out.records().iter().any(|r| r["type"] == "stderr" && r["lane"] == feeder && r["text"].as_str().is_some_and(|t| t.starts_with("MemoryError"))), "the feeder says MemoryError: {s}");
    assert_eq!(s["outcome"], "completed", "{s}");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn lane_table_full_is_a_python_error_and_the_run_ends() {
    let _alone = crate::common::heavy();
    // 4 lanes: the conductor, main and two children; the third start fails.
    let out = run_json("hello", &["--lanes", "4", "--param", "children=5"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["outcome"], "error");
    assert_eq!(out.status, 1);
    let procs = s["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 3, "main and the two children that fit");
    let err = out.records().into_iter().find(|r| r["type"] == "error").expect("an error record");
    assert_eq!(err["message"], "OSError: too many processes: at most 3 per run (the lane table is full) (line 22)");
    assert_eq!(err["line"], 22, "the line of p.start()");
    for p in procs {
        assert!(p["exitcode"].is_i64(), "every process ended: {p}");
    }
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    // An impossible table is refused before anything starts.
    let out = run(&["run", "hello", "--headless", "--lanes", "2"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.starts_with("error: invalid value '2' for '--lanes <N>': must be between 3 and 65535 (the conductor, main and at least one more)"), "{}", out.stderr);
}
