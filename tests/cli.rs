//! The command line as a user meets it: lists, checks, bad input, no terminal,
//! and the guarantees about cleanup (conductor killed, stale segments, the
//! internal worker subcommand).

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn list_shows_the_built_in_lessons() {
    let _share = crate::common::share();
    let out = run(&["list"]);
    assert_eq!(out.status, 0);
    for name in ["hello", "join", "ticket-race"] {
        assert!(out.stdout.lines().any(|l| l.starts_with(name)), "{name} missing from:\n{}", out.stdout);
    }
    let zh = run(&["list", "--lang", "zh"]);
    assert!(zh.stdout.contains("模拟抢票"), "{}", zh.stdout);
}

/// `forkscope list | head -1`: a reader that stops early is no panic. (Here
/// the reader is gone before forkscope writes a line: its output is a pipe
/// whose other end is already closed.)
#[test]
fn list_into_a_reader_that_stops_early_ends_quietly() {
    let _share = crate::common::share();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(bin()).arg("list").stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("panicked"), "{:?}: {err}", out.status);
}

/// `forkscope snapshot … | head -0`, `replay … --headless | head -1`, `check
/// … | head -0`: the commands' own report lines into a closed pipe end
/// quietly (they panicked: println! on a broken pipe), the work done.
#[test]
fn reports_into_a_reader_that_went_away_end_quietly() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("forkscope-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("x.svg");
    let rec = dir.join("x.fsrec");
    let cases: [Vec<&str>; 4] = [
        vec!["snapshot", "deadlock", "--out", svg.to_str().unwrap()],
        vec!["run", "deadlock", "--headless", "--schedule", "rr", "--record", rec.to_str().unwrap(), "--timeout", "30"],
        vec!["replay", rec.to_str().unwrap(), "--headless", "--timeout", "30"],
        vec!["check", "deadlock"],
    ];
    for args in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(bin()).args(&args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && out.status.code() != Some(101), "{args:?}: {:?}: {err}", out.status);
    }
    assert!(svg.exists() && rec.exists(), "the work was done");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_accepts_every_built_in_lesson() {
    let _share = crate::common::share();
    let list = run(&["list"]);
    for line in list.stdout.lines() {
        let name = line.split_whitespace().next().unwrap();
        let out = run(&["check", name]);
        assert_eq!(out.status, 0, "{name}: {}", out.stderr);
    }
}

/// Each invalid lesson and the exact message it gets (file:line:column).
const INVALID: &[(&str, &str)] = &[
    ("bad_syntax.rhai", "tests/invalid/bad_syntax.rhai:2:13: Unexpected ';'"),
    ("no_main.rhai", "tests/invalid/no_main.rhai:1:1: the lesson has no `fn main()` (the main process runs it)"),
    ("unknown_target.rhai", "tests/invalid/unknown_target.rhai:2:21: unknown function 'nobody' used as a target of Process"),
    ("wrong_arity.rhai", "tests/invalid/wrong_arity.rhai:3:13: work() takes 1 argument but Process gives it 2"),
    ("unknown_param.rhai", "tests/invalid/unknown_param.rhai:2:17: unknown parameter 'tickets' (it declares none)"),
    ("out_of_range.rhai", "tests/invalid/out_of_range.toml:5:1: default of parameter tickets: 500 is out of range 0..=100"),
    ("bad_name_taken.rhai", "tests/invalid/bad_name_taken.toml:4:9: the [[bad]] name \"deadlock\" is taken: every lesson has the bad outcomes assertion, deadlock, error (explore --bad NAME)"),
    ("bad_name_twice.rhai", "tests/invalid/bad_name_twice.toml:8:9: two [[bad]] are named \"lost\": explore --bad NAME must tell them apart"),
    ("unknown_key.rhai", "tests/invalid/unknown_key.toml:2:1: unknown field `colour`, expected one of `order`, `title`, `story`, `notes`, `params`, `bad`, `goals`, `section`, `variants`, `start`"),
];

#[test]
fn invalid_lessons_get_their_exact_message() {
    let _share = crate::common::share();
    let dir = format!("{}/tests/invalid", env!("CARGO_MANIFEST_DIR"));
    let mut seen: Vec<String> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".rhai")).collect();
    seen.sort();
    let mut want: Vec<String> = INVALID.iter().map(|(f, _)| f.to_string()).collect();
    want.sort();
    assert_eq!(seen, want, "every fixture has an expected message");
    for (file, msg) in INVALID {
        let out = Command::new(bin()).args(["check", &format!("tests/invalid/{file}")]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), *msg, "{file}");
        // `run` refuses the same way before starting anything.
        let out = Command::new(bin()).args(["run", &format!("tests/invalid/{file}"), "--headless"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), *msg, "run {file}");
    }
}

#[test]
fn bad_parameters_and_options_are_refused_clearly() {
    let _share = crate::common::share();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "ticket-race", "--headless", "--param", "tickets=1000"], "forkscope: --param tickets=1000: parameter tickets: 1000 is out of range 0..=100"),
        (&["run", "ticket-race", "--headless", "--param", "nope=1"], "forkscope: --param nope=1: lesson ticket-race has no parameter 'nope' (it has: lock, tickets, buyers)"),
        (&["run", "ticket-race", "--headless", "--param", "lock=maybe"], "forkscope: --param lock=maybe: lock must be true or false"),
        (&["run", "ticket-race", "--headless", "--param", "lock"], "forkscope: --param lock: expected NAME=VALUE"),
        (&["run", "no-such-lesson", "--headless"], "forkscope: no lesson named 'no-such-lesson' and no such file"),
        (&["run", "hello", "--headless", "--timeout", "-1"], "error: invalid value '-1' for '--timeout <SECS>': must be a positive number of seconds"),
        (&["run", "hello", "--headless", "--speed", "0"], "error: invalid value '0' for '--speed <SPEED>': must be a number in (0, 1000]"),
        (&["run", "hello", "--headless", "--schedule", "x,y"], "error: invalid value 'x,y' for '--schedule <POLICY>': expected rr, random, pct, or a comma list of process lanes (1 = main)"),
        (&["snapshot", "hello", "--out", "x.svg", "--scale", "9"], "error: invalid value '9' for '--scale <SCALE>': 9 is not in 1..=8"),
        (&["snapshot", "hello", "--out", "x.svg", "--at", "0"], "error: invalid value '0' for '--at <SECS>': must be a positive number of seconds"),
    ];
    for (args, msg) in cases {
        let out = run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.trim().starts_with(msg), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn without_a_terminal_it_says_use_headless() {
    let _share = crate::common::share();
    for args in [&[][..], &["run", "hello"]] {
        let out = run(args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stderr.contains("use") && out.stderr.contains("--headless"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn the_worker_subcommand_refuses_without_a_live_conductor() {
    let _share = crate::common::share();
    let out = run(&["worker", "--segment", "forkscope-1-1-00", "--lane", "1"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("forkscope worker:"), "{}", out.stderr);
    assert!(out.stderr.contains("internal"), "{}", out.stderr);
    let out = run(&["worker", "--segment", "/etc/passwd", "--lane", "1"]);
    assert_eq!(out.status, 2);
}

#[test]
fn stale_segments_of_a_dead_run_are_swept_at_the_next_start() {
    let _share = crate::common::share();
    // A leftover named after a conductor that no longer exists (pid 1 never
    // has this start time).
    let stale = format!("/dev/shm/forkscope-1-1-{:032x}", std::process::id());
    std::fs::write(&stale, b"leftover").unwrap();
    let out = run_json("hello", &["--param", "children=1"]);
    assert_eq!(out.summary()["outcome"], "completed");
    assert!(!std::path::Path::new(&stale).exists(), "the stale segment is gone");
}

#[test]
fn killing_the_conductor_leaves_no_process_and_no_segment() {
    let _share = crate::common::share();
    for delay_records in [3usize, 25] {
        let mut child = Command::new(bin())
            .args(["run", "ticket-race", "--headless", "--json", "--param", "lock=true"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let conductor = child.id() as i32;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut pids = Vec::new();
        let mut n = 0;
        let t0 = Instant::now();
        // Read until the run is well under way (buyers started, some records).
        while let Some(Ok(l)) = lines.next() {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            if v["type"] == "spawn" {
                pids.push(v["pid"].as_i64().unwrap() as i32);
            }
            n += 1;
            if pids.len() >= 5 && n >= delay_records {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "the run did not get going");
        }
        assert!(pids.len() >= 5);
        // SIGKILL (std's kill), not the `kill` program: procps may be missing.
        child.kill().expect("SIGKILL to the conductor");
        let _ = child.wait();
        assert_left_nothing(conductor, &pids, Duration::from_secs(2));
    }
}

/// A folder of its own for a test, removed when it ends.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("forkscope-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn write(&self, f: &str, text: &str) {
        std::fs::write(self.0.join(f), text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn forkscope_in(dir: &TempDir, args: &[&str]) -> Output {
    let out = Command::new(bin()).args(args).current_dir(&dir.0).stdin(Stdio::null()).output().unwrap();
    Output { status: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned(), pid: 0 }
}

#[test]
fn python_lessons_are_listed_first_by_their_file_name() {
    let _share = crate::common::share();
    let out = run(&["list"]);
    let names: Vec<&str> = out.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    let python = names.iter().take_while(|n| n.ends_with(".py")).count();
    assert!(python >= 1 && names.contains(&"ticket-race.py"), "{}", out.stdout);
    assert!(names[python..].iter().all(|n| !n.ends_with(".py")), "Python lessons first, then Rhai: {}", out.stdout);
    assert!(names[python..].contains(&"ticket-race"), "{}", out.stdout);
}

/// A lesson with two variants and a constant each, as a teacher writes one.
fn join_lesson(d: &TempDir) {
    d.write("j.toml", "title = { en = \"join\" }\n\n[[variants]]\nname = \"loop\"\nfile = \"j.py\"\n\n[[variants]]\nname = \"after\"\nfile = \"j-after.py\"\n\n[[params]]\nname = \"children\"\ndefault = 2\nmin = 1\nmax = 5\n");
    d.write("j.py", "from multiprocessing import Process\n\nCHILDREN = 2\n\ndef f(i):\n    print('child', i)\n\nif __name__ == '__main__':\n    for i in range(CHILDREN):\n        p = Process(target=f, args=(i,))\n        p.start()\n        p.join()\n    print('loop', CHILDREN)\n");
    d.write("j-after.py", "from multiprocessing import Process\n\nCHILDREN = 2\n\ndef f(i):\n    print('child', i)\n\nif __name__ == '__main__':\n    ps = [Process(target=f, args=(i,)) for i in range(CHILDREN)]\n    for p in ps:\n        p.start()\n    for p in ps:\n        p.join()\n    print('after', CHILDREN)\n");
}

#[test]
fn a_variant_and_a_constant_choose_what_runs() {
    let _share = crate::common::share();
    let d = TempDir::new("variants");
    join_lesson(&d);
    let out = forkscope_in(&d, &["check", "j.py"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "j.py: ok (2 parameters)");
    let out = forkscope_in(&d, &["run", "j.py", "--headless", "--param", "variant=after", "--param", "children=3"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains(": after 3") && out.stdout.contains("child 2") && !out.stdout.contains("loop"), "{}", out.stdout);
    let out = forkscope_in(&d, &["run", "j.py", "--headless"]);
    assert!(out.stdout.contains(": loop 2"), "the first variant is the default: {}", out.stdout);
    // A variant file run by itself is a program of its own.
    let out = forkscope_in(&d, &["run", "j-after.py", "--headless"]);
    assert!(out.stdout.contains(": after 2"), "{}", out.stdout);
    let out = forkscope_in(&d, &["run", "j.py", "--headless", "--param", "variant=x"]);
    assert_eq!(out.status, 2);
    assert_eq!(out.stderr.trim(), "forkscope: --param variant=x: parameter variant: 'x' is not one of loop, after");
    // The file must agree with the manifest's default: python3 runs it as written.
    d.write("j-after.py", "CHILDREN = 4\n");
    let out = forkscope_in(&d, &["check", "j.py"]);
    assert_eq!(out.status, 1);
    assert_eq!(out.stderr.trim(), "j-after.py:1:12: CHILDREN = 4, but the manifest's default for parameter children is 2 (`python3` runs the file as written, so the two must agree)");
    d.write("j-after.py", "print(1)\n");
    let out = forkscope_in(&d, &["run", "j.py", "--headless"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.trim().starts_with("j.toml:12:8: parameter children sets the constant CHILDREN, but"), "{}", out.stderr);
}

#[test]
fn python_conditions_judge_output_files_exit_codes_and_constants() {
    let _share = crate::common::share();
    let d = TempDir::new("conditions");
    d.write("c.py", "import sys\nfrom multiprocessing import Process\n\nLIMIT = 1\n\ndef child():\n    print('hello from the child')\n    sys.exit(3)\n\nif __name__ == '__main__':\n    with open('out.txt', 'w') as f:\n        f.write('first line\\n' + 'x' * 100 + '\\nsecond line\\n')\n    print('hello from main')\n    p = Process(target=child)\n    p.start()\n    p.join()\n    print('bye')\n");
    d.write("c.toml", "title = { en = \"c\" }\n\n[[params]]\nname = \"limit\"\ndefault = 1\n\n[[bad]]\nwhen = 'count(\"hello\") > LIMIT && exitcode(\"Process-1\") == 3 && exitcode(\"nobody\") == () && file(\"out.txt\").contains(\"second line\") && file(\"none\") == \"\" && output.ends_with(\"bye\") && limit == LIMIT'\nmessage = { en = \"too many hellos\" }\n");
    let out = forkscope_in(&d, &["run", "c.py", "--headless", "--json"]);
    let s = out.summary();
    let bad: Vec<&str> = s["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "bad").map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(bad, ["too many hellos (count(\"hello\") = 2, limit = 1, LIMIT = 1)"], "{s}");
    // With the limit raised (the program's constant set to 2), it does not hold.
    let out = forkscope_in(&d, &["run", "c.py", "--headless", "--json", "--param", "limit=2"]);
    let s = out.summary();
    assert!(s["findings"].as_array().unwrap().iter().all(|f| f["kind"] != "bad"), "{s}");
}

#[test]
fn copy_writes_a_built_in_lesson_out_and_never_overwrites() {
    let _share = crate::common::share();
    let d = TempDir::new("copy");
    let out = forkscope_in(&d, &["copy", "ticket-race.py", "lessons"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("wrote lessons/ticket-race.py\nwrote lessons/ticket-race.toml\n"), "{}", out.stdout);
    assert!(out.stdout.contains("run it: forkscope run lessons/ticket-race.py (or python3 lessons/ticket-race.py)"), "{}", out.stdout);
    let copied = out.stdout.clone();
    let out = forkscope_in(&d, &["check", "lessons/ticket-race.py"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // The copy runs as the built-in does, parameters and conditions included.
    let copy = forkscope_in(&d, &["run", "lessons/ticket-race.py", "--headless", "--json", "--schedule", "rr", "--param", "buyers=3"]);
    let builtin = forkscope_in(&d, &["run", "ticket-race.py", "--headless", "--json", "--schedule", "rr", "--param", "buyers=3"]);
    let (a, b) = (copy.summary(), builtin.summary());
    assert_eq!((&a["outcome"], &a["findings"], a["processes"].as_array().map(Vec::len)), (&b["outcome"], &b["findings"], b["processes"].as_array().map(Vec::len)));
    // And it is plain Python: python3 runs it as written (the defaults).
    let py = Command::new("python3").arg("lessons/ticket-race.py").current_dir(&d.0).stdin(Stdio::null()).output().expect("python3 is on PATH");
    let printed = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{printed}{}", String::from_utf8_lossy(&py.stderr));
    assert!(printed.lines().any(|l| l.contains("买到票")), "{printed}");
    // A second copy refuses, writes nothing and leaves the edited files alone
    // (the manifest kept, the program and its variants' programs moved away).
    d.write("lessons/ticket-race.toml", "edited");
    let written: Vec<&str> = copied.lines().filter_map(|l| l.strip_prefix("wrote ")).collect();
    assert!(written.len() > 2 && written.iter().all(|f| f.starts_with("lessons/ticket-race")), "the program, the manifest and the variants' programs: {written:?}");
    for f in written.iter().filter(|f| f.ends_with(".py")) {
        std::fs::remove_file(d.0.join(f)).unwrap();
    }
    let out = forkscope_in(&d, &["copy", "ticket-race.py", "lessons"]);
    assert_eq!(out.status, 2);
    assert_eq!(out.stderr.trim(), "forkscope: lessons/ticket-race.toml already exists: nothing written (copy into another folder, or move it away)");
    assert!(!d.0.join("lessons/ticket-race.py").exists());
    assert_eq!(std::fs::read_to_string(d.0.join("lessons/ticket-race.toml")).unwrap(), "edited");
    // A Rhai built-in, into the current folder.
    let out = forkscope_in(&d, &["copy", "join"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().take(2).collect::<Vec<_>>(), ["wrote ./join.rhai", "wrote ./join.toml"]);
    assert_eq!(forkscope_in(&d, &["check", "join.rhai"]).status, 0);
    let out = forkscope_in(&d, &["copy", "join.rhai"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("join.rhai is a file already, not a built-in lesson"), "{}", out.stderr);
    let out = forkscope_in(&d, &["copy", "nothing-like-it"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.starts_with("forkscope: no lesson named 'nothing-like-it'"), "{}", out.stderr);
}

/// explore judges a Python lesson's `[[bad]]` from what it printed: it finds
/// the oversell without the lock and nothing with it.
#[test]
fn explore_finds_a_python_oversell_from_its_output_and_nothing_in_the_fixed_version() {
    let _share = crate::common::share();
    let d = TempDir::new("explore");
    d.write("sell.py", "import time\nfrom multiprocessing import Process, Lock, Value, Barrier\n\nTICKETS = 1\nUSE_LOCK = False\n\ndef buy(left, lock, ready, name):\n    ready.wait()\n    if USE_LOCK:\n        lock.acquire()\n    n = left.value\n    time.sleep(0.01)\n    if n > 0:\n        left.value = n - 1\n        print(name, 'bought')\n    if USE_LOCK:\n        lock.release()\n\nif __name__ == '__main__':\n    left = Value('i', TICKETS)\n    lock = Lock()\n    ready = Barrier(2)\n    ps = [Process(target=buy, args=(left, lock, ready, 'buyer%d' % i)) for i in range(2)]\n    for p in ps:\n        p.start()\n    for p in ps:\n        p.join()\n");
    d.write("sell.toml", "title = { en = \"sell\" }\n\n[[params]]\nname = \"lock\"\nconstant = \"USE_LOCK\"\ndefault = false\n\n[[params]]\nname = \"tickets\"\ndefault = 1\n\n[[bad]]\nwhen = 'count(\"bought\") > TICKETS'\nmessage = { en = \"oversold\" }\n");
    // (The barrier gets both buyers started before either reads.)
    let out = forkscope_in(&d, &["explore", "sell.py", "--runs", "20", "--out", "found.fsrec"]);
    assert_eq!(out.status, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("found a bad in run") && out.stdout.contains("oversold (count(\"bought\") = 2, TICKETS = 1)"), "{}", out.stdout);
    // The saved run replays to the same oversell.
    let out = forkscope_in(&d, &["replay", "found.fsrec", "--headless"]);
    assert!(out.stdout.contains("[bad] oversold") && out.stdout.contains("replay matched the recording"), "{}", out.stdout);
    let out = forkscope_in(&d, &["explore", "sell.py", "--runs", "8", "--param", "lock=true"]);
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("nothing went wrong in 8 runs"), "{}", out.stdout);
}

/// A reported float reads as people write it (`0.3`, not
/// `0.30000000000000004`) in the log and the summary; `--json` keeps the
/// exact value.
#[test]
fn reported_floats_are_formatted_but_json_is_exact() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-cli-float-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lesson = dir.join("float.rhai");
    std::fs::write(&lesson, "fn main() {\n    report(\"x\", 0.1 + 0.2);\n    report(\"t\", 0.2283592299999988);\n    report(\"n\", 2.0);\n}\n").unwrap();
    let lesson = lesson.to_str().unwrap();
    let out = run(&["run", lesson, "--headless"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("report x = 0.3\n") || out.stdout.contains("report x = 0.3 "), "{}", out.stdout);
    assert!(out.stdout.contains("n = 2.0, t = 0.2284, x = 0.3"), "{}", out.stdout);
    assert!(!out.stdout.contains("0.30000000000000004") && !out.stdout.contains("99999"), "{}", out.stdout);
    let json = run(&["run", lesson, "--headless", "--json"]);
    assert_eq!(json.summary()["reported"]["x"], serde_json::json!(0.30000000000000004));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The headless summary's columns line up whatever the names: Chinese
/// characters take two columns, and a name longer than 16 widens the column.
#[test]
fn the_headless_summary_aligns_chinese_and_long_names() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-cli-names-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = "fn buy(who) {\n    print(who);\n}\nfn main() {\n    let a = Process(\"buy\", [\"x\"], #{name: \"买票人甲\"});\n    let b = Process(\"buy\", [\"y\"], #{name: \"a_buyer_with_a_long_name\"});\n    a.start();\n    b.start();\n    a.join();\n    b.join();\n}\n";
    let path = dir.join("names.rhai");
    std::fs::write(&path, script).unwrap();
    let out = run_limited(&["run", path.to_str().unwrap(), "--headless", "--timeout", "20"], Duration::from_secs(30));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let rows: Vec<&str> = out.stdout.lines().skip_while(|l| !l.starts_with("processes:")).skip(1).take_while(|l| l.starts_with("  ")).collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    let col = |l: &str| unicode_width::UnicodeWidthStr::width(&l[..l.find(" pid ").unwrap()]);
    let cols: Vec<usize> = rows.iter().map(|l| col(l)).collect();
    assert!(cols.iter().all(|c| *c == cols[0]), "the pid column moves: {cols:?}\n{}", rows.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
