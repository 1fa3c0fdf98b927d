//! The README's and docs/'s examples still work: every `forkscope …` line
//! of their `sh` blocks parses as the command line does, names a lesson
//! that exists (or a file of the reader's own: a path that is not a
//! built-in name) with parameters and a `--bad` it has, and every headless
//! `run` of a built-in lesson among them runs to an ending that is not an
//! error or bad usage.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use forkscope::cli::{Cli, Command as Cmd};
use forkscope::scenario;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Shell words of one line: spaces split, quotes ('…', "…") keep spaces.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every `forkscope …` command of the `sh` blocks of `text`, without its
/// trailing `# comment`, with where it is.
fn examples(file: &str, text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("forkscope") {
            let cmd = match t.find(" # ") {
                Some(at) => &t[..at],
                None => t,
            };
            out.push((format!("{file}:{}", i + 1), cmd.trim().to_string()));
        }
    }
    out
}

fn all_examples() -> Vec<(String, String)> {
    let mut files = vec![repo("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo("docs")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
    docs.sort();
    files.extend(docs);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(repo("")).unwrap().display().to_string();
        out.extend(examples(&name, &text));
    }
    out
}

/// A lesson argument that is the reader's own file, not a built-in: a path
/// or a file name with an extension that no built-in has.
fn readers_own(spec: &str) -> bool {
    let builtin = scenario::python_builtins().iter().any(|l| l.name == spec || format!("{}.py", l.name) == spec) || scenario::builtins().iter().any(|l| l.name == spec);
    !builtin && (spec.contains('/') || spec.contains('.'))
}

/// What is wrong with one example, if anything (None: fine).
fn fault(cmd: &str) -> Option<String> {
    let argv = words(cmd);
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => return Some(format!("does not parse: {}", e.render().to_string().lines().next().unwrap_or(""))),
    };
    let (lesson, params, bad): (Option<&str>, &[String], Option<&str>) = match &cli.command {
        Some(Cmd::Run(a)) => (Some(&a.lesson), &a.with.params, None),
        Some(Cmd::Explore(a)) => (Some(&a.lesson), &a.with.params, a.bad.as_deref()),
        Some(Cmd::Snapshot(a)) => (Some(&a.lesson), &a.with.params, None),
        Some(Cmd::Check { file }) => (Some(file), &[], None),
        Some(Cmd::Copy { lesson, .. }) => (Some(lesson), &[], None),
        _ => (None, &[], None),
    };
    let lesson = lesson?;
    if lesson.ends_with(".fsrec") {
        return None; // a recording the reader made
    }
    let l = match scenario::load(lesson) {
        Ok(l) => l,
        Err(_) if readers_own(lesson) => return None,
        Err(e) => return Some(format!("no lesson {lesson}: {e}")),
    };
    if let Err(e) = l.resolve_params(params) {
        return Some(format!("parameters: {e}"));
    }
    if let Some(b) = bad
        && !l.manifest.bad_names().iter().any(|n| n == b)
        && !["assertion", "assert", "deadlock", "error"].contains(&b)
    {
        return Some(format!("--bad {b}: the lesson's bad outcomes are {:?}", l.manifest.bad_names()));
    }
    None
}

#[test]
fn every_example_parses_and_names_what_exists() {
    let all = all_examples();
    assert!(all.len() >= 40, "found the examples ({} of them)", all.len());
    let faults: Vec<String> = all.iter().filter_map(|(at, cmd)| fault(cmd).map(|f| format!("{at}: `{cmd}`: {f}"))).collect();
    assert!(faults.is_empty(), "examples that no longer work:\n{}", faults.join("\n"));
}

/// The check above fails on an example that went stale, each way.
#[test]
fn a_stale_example_is_caught() {
    assert!(fault("forkscope run ticket-race --headless --param lock=false").is_none());
    assert!(fault("forkscope run ticket-race --headless --frobnicate").unwrap().contains("does not parse"));
    assert!(fault("forkscope run ticket-rase --headless").unwrap().contains("no lesson"));
    assert!(fault("forkscope run ticket-race --param locks=true").unwrap().contains("parameters"));
    assert!(fault("forkscope explore ticket-race --bad undersold").unwrap().contains("--bad undersold"));
    assert!(fault("forkscope run my-own.py").is_none());
}

#[test]
fn the_headless_runs_of_built_in_lessons_end_well() {
    let runs: Vec<(String, Vec<String>)> = all_examples()
        .into_iter()
        .filter_map(|(at, cmd)| {
            let argv = words(&cmd);
            let cli = Cli::try_parse_from(&argv).ok()?;
            let Some(Cmd::Run(a)) = &cli.command else { return None };
            if !a.output.headless || readers_own(&a.lesson) || a.record.is_some() || a.trace.is_some() || a.output.cast.is_some() {
                return None;
            }
            Some((format!("{at}: `{cmd}`"), argv[1..].to_vec()))
        })
        .collect();
    assert!(runs.len() >= 5, "found the headless runs ({runs:?})");
    let handles: Vec<_> = runs
        .into_iter()
        .enumerate()
        .map(|(i, (what, args))| {
            std::thread::spawn(move || {
                let dir = std::env::temp_dir().join(format!("fs-docs-{}-{i}", std::process::id()));
                let _ = std::fs::create_dir_all(&dir);
                let out = Command::new(env!("CARGO_BIN_EXE_forkscope")).args(&args).args(["--timeout", "60"]).current_dir(&dir).stdin(std::process::Stdio::null()).output().expect("forkscope runs");
                let _ = std::fs::remove_dir_all(&dir);
                // 0 completed, 3 deadlock, 4 assertion: what a lesson may show;
                // 1 error, 2 bad usage, 5 timeout: the example is broken.
                let code = out.status.code();
                (![Some(0), Some(3), Some(4)].contains(&code)).then(|| format!("{what}: exit {code:?}\n{}", String::from_utf8_lossy(&out.stderr)))
            })
        })
        .collect();
    let broken: Vec<String> = handles.into_iter().filter_map(|h| h.join().unwrap()).collect();
    assert!(broken.is_empty(), "headless examples that fail:\n{}", broken.join("\n"));
}
