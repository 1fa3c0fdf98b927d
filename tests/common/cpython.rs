//! Running a Python program with plain CPython and under forkscope, side by
//! side, and comparing what they print (the notes comparison of
//! tests/python.rs, and the built-in Python lessons of tests/python_lessons.rs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

pub fn python3() -> &'static str {
    let ok = Command::new("python3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(ok, "python3 is not on PATH: these tests run real CPython beside forkscope. Install python3 (3.9 or newer).");
    "python3"
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fs-py-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `cmd` in its own process group, bounded: on time out the whole group
/// is killed and `None` returned (the program hangs). (exit code, stdout).
pub fn run_bounded(mut cmd: Command, limit: Duration) -> Option<(i32, String)> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).process_group(0).spawn().expect("start");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let t0 = Instant::now();
    let pgid = child.id() as i32;
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st.code().unwrap_or(-1));
        }
        if t0.elapsed() > limit {
            // SAFETY: plain syscall; the group is the one we just made.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // SAFETY: as above: whatever of the group is left goes too.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let text = reader.join().unwrap();
    code.map(|c| (c, text))
}

/// `python3 FILE` in `dir`, on a pseudo-terminal when `script` is there (as a
/// student sees it: line-buffered output), else on a pipe.
pub fn cpython(file: &Path, dir: &Path, limit: Duration) -> Option<(i32, Vec<String>)> {
    let py = python3();
    let has_script = Command::new("script").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    let mut cmd = if has_script {
        let mut c = Command::new("script");
        c.arg("-qec").arg(format!("{py} '{}' 2>/dev/null", file.display())).arg("/dev/null");
        c
    } else {
        let mut c = Command::new(py);
        c.arg("-u").arg(file);
        c
    };
    cmd.current_dir(dir);
    run_bounded(cmd, limit).map(|(c, out)| (c, out.replace('\r', "").lines().map(str::to_string).collect()))
}

/// `forkscope run FILE --headless --json EXTRA`: (summary, printed lines, all records).
pub fn forkscope(file: &Path, extra: &[&str], limit: Duration) -> (Value, Vec<String>, Vec<Value>) {
    let mut args = vec!["run", file.to_str().unwrap(), "--headless", "--json"];
    args.extend_from_slice(extra);
    let out = run_limited(&args, limit);
    let summary = out.summary();
    let records = out.records();
    let lines = records.iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap_or("").to_string()).collect();
    assert_left_nothing(out.pid, &pids(&summary), Duration::from_secs(5));
    (summary, lines, records)
}

pub fn main_exitcode(summary: &Value) -> Option<i64> {
    summary["processes"].as_array()?.iter().find(|p| p["name"] == "MainProcess")?["exitcode"].as_i64()
}

/// A printed line with its numbers (pids, times, random values) made alike.
pub fn normalise(line: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in line.trim_end().chars() {
        if c.is_ascii_digit() || (in_num && c == '.') {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out
}

pub fn multiset<'a>(lines: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for l in lines {
        *m.entry(normalise(l)).or_insert(0) += 1;
    }
    m
}

/// Lines in one and not the other, counted.
pub fn difference(a: &[String], b: &[String]) -> (BTreeMap<String, i64>, i64) {
    let (ma, mb) = (multiset(a), multiset(b));
    let mut d = BTreeMap::new();
    let mut n = 0;
    for k in ma.keys().chain(mb.keys()) {
        let x = ma.get(k).copied().unwrap_or(0) - mb.get(k).copied().unwrap_or(0);
        if x != 0 && !d.contains_key(k) {
            d.insert(k.clone(), x);
            n += x.abs();
        }
    }
    (d, n)
}

/// CPython's lines (normalised) with those that two processes wrote at the
/// same instant taken apart again, as far as `known` (forkscope's lines)
/// tells how.
pub fn deinterleave_all(lines: &[String], known: &std::collections::BTreeSet<String>) -> Vec<String> {
    fn split(s: &str, known: &std::collections::BTreeSet<String>, out: &mut Vec<String>) -> bool {
        if s.is_empty() {
            return true;
        }
        for k in known.iter().filter(|k| !k.is_empty() && s.starts_with(k.as_str())) {
            out.push(k.clone());
            if split(&s[k.len()..], known, out) {
                return true;
            }
            out.pop();
        }
        false
    }
    let mut all = Vec::new();
    for l in lines.iter().map(|l| normalise(l)) {
        let mut parts = Vec::new();
        if !known.contains(&l) && split(&l, known, &mut parts) {
            all.extend(parts);
        } else if !l.is_empty() || known.contains(&l) {
            all.push(l);
        }
    }
    all
}

/// The kinds of line [`deinterleave_all`] finds.
pub fn deinterleave(lines: &[String], known: &std::collections::BTreeSet<String>) -> std::collections::BTreeSet<String> {
    deinterleave_all(lines, known).into_iter().collect()
}

/// `is_alive()` right after `terminate()` answers True or False as the
/// child happens to be scheduled, in CPython as under forkscope (the notes say
/// so): for a racy program, the two answers count as one.
pub fn alive_as_one(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| if l == "True" || l == "False" { "True|False".to_string() } else { l.clone() }).collect()
}

/// The same characters, however lines interleaved (numbers aside: two that
/// CPython's processes printed at the same instant run together).
pub fn same_characters(a: &[String], b: &[String]) -> bool {
    let chars = |v: &[String]| {
        let mut c: Vec<char> = v.iter().flat_map(|l| l.chars().collect::<Vec<_>>()).filter(|c| !c.is_whitespace() && !c.is_ascii_digit() && *c != '.').collect();
        c.sort_unstable();
        c
    };
    chars(a) == chars(b)
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Same,
    Different(String),
}

/// How a program that ends compares with CPython: `py` is CPython's exit
/// code and lines (`None`: it did not end in time), `s` and `fs_lines`
/// forkscope's summary and printed lines, `features` the program's (those of
/// tests/python/notes/catalogue.json: `random`, `daemon`, `terminate` make
/// it racy, and the comparison as lenient as CPython's own runs need).
pub fn compare_completed(py: Option<(i32, Vec<String>)>, s: &Value, fs_lines: &[String], features: &[&str]) -> Verdict {
    match py {
        None => Verdict::Different("CPython did not end in time".into()),
        Some((code, py_lines)) => {
            let (diff, n) = difference(&py_lines, fs_lines);
            let fs_code = main_exitcode(s);
            // Where the output depends on random numbers, or on how a
            // daemon's last print races with main's end (a real race in
            // CPython too), the same kinds of lines must be there.
            let random = features.contains(&"random");
            let racy = features.iter().any(|f| f.contains("daemon") || f.contains("terminate"));
            let fs_distinct = fs_lines.iter().map(|l| normalise(l)).collect::<std::collections::BTreeSet<_>>();
            // With random numbers, who does what differs from run to run:
            // forkscope printed no kind of line that CPython did not
            // (however CPython's lines interleaved), about as many.
            let py_text: String = py_lines.iter().map(|l| normalise(l)).collect::<Vec<_>>().join("");
            let same_kinds = deinterleave(&py_lines, &fs_distinct) == fs_distinct || (fs_distinct.iter().all(|l| py_text.contains(l.as_str())) && py_lines.len().abs_diff(fs_lines.len()) <= 3);
            if fs_code != Some(code as i64) {
                Verdict::Different(format!("exit code: CPython {code}, forkscope {fs_code:?} (outcome {})", s["outcome"]))
            } else if s["outcome"] != "completed" && code == 0 {
                Verdict::Different(format!("forkscope's outcome is {}", s["outcome"]))
            } else if py_lines.is_empty() != fs_lines.is_empty() {
                Verdict::Different(format!("CPython printed {} lines, forkscope {}", py_lines.len(), fs_lines.len()))
            } else if n == 0 || same_characters(&py_lines, fs_lines) || (random && same_kinds) || (racy && (n <= 2 || difference(&alive_as_one(&py_lines), &alive_as_one(fs_lines)).1 == 0 || difference(&deinterleave_all(&py_lines, &fs_distinct), &fs_lines.iter().map(|l| normalise(l)).collect::<Vec<_>>()).1 <= 1)) {
                Verdict::Same
            } else {
                Verdict::Different(format!("printed lines differ (+ only CPython, - only forkscope): {diff:?}\nCPython: {py_lines:?}\nforkscope: {fs_lines:?}"))
            }
        }
    }
}

/// How a program that CPython never ends compares: `py` is CPython's exit
/// code if it did end after all, `want` the outcome forkscope must give
/// (`deadlock` when every process waits for what no one will do, `timeout`
/// for a program that loops for ever).
pub fn compare_hang(py: Option<i32>, s: &Value, want: &str) -> Verdict {
    match py {
        Some(code) => Verdict::Different(format!("CPython did not hang: it exited {code}")),
        None if s["outcome"] != want => Verdict::Different(format!("CPython hangs; forkscope's outcome is {} (want {want})", s["outcome"])),
        None => Verdict::Same,
    }
}

/// Runs `compare` on every case, ten side by side (the programs mostly
/// sleep); a difference must show twice to count, since these programs race
/// as CPython runs them too (sleeps, a daemon's last print, terminate right
/// after start). Fails naming every case that still differs.
pub fn compare_side_by_side<T: Sync>(what: &str, cases: &[T], label: impl Fn(&T) -> String + Sync, compare: impl Fn(&T) -> Verdict + Sync) {
    let results = super::side_by_side(10, cases, |c| {
        let v = match compare(c) {
            Verdict::Same => Verdict::Same,
            Verdict::Different(_) => compare(c),
        };
        (label(c), v)
    });
    let bad: Vec<String> = results.iter().filter(|(_, v)| *v != Verdict::Same).map(|(f, v)| format!("{f}: {v:?}")).collect();
    assert!(bad.is_empty(), "{} of {} {what} differ from CPython:\n{}", bad.len(), results.len(), bad.join("\n"));
}

/// Every CPython 3.9–3.13 this machine has, one per version: `python3` and
/// `python3.X` on PATH, and pyenv's versions under `$PYENV_ROOT` or
/// `~/.pyenv` — only those that answer with a supported version.
pub fn supported_cpythons() -> BTreeMap<u32, PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let on_path = |name: &str| std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()));
    found.extend(on_path("python3"));
    for minor in 9..=13 {
        found.extend(on_path(&format!("python3.{minor}")));
    }
    let pyenv = std::env::var_os("PYENV_ROOT").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(root) = &pyenv
        && let Ok(rd) = std::fs::read_dir(root.join("versions"))
    {
        let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path().join("bin/python3")).filter(|p| p.is_file()).collect();
        dirs.sort();
        found.extend(dirs);
    }
    let mut versions = BTreeMap::new();
    for py in found {
        let out = Command::new(&py).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stderr(Stdio::null()).output();
        let v = out.ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if let Some(minor) = v.as_deref().and_then(|v| v.strip_prefix("3.")).and_then(|m| m.parse::<u32>().ok())
            && (9..=13).contains(&minor)
        {
            versions.entry(minor).or_insert(py);
        }
    }
    versions
}
