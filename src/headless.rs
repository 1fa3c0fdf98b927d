//! Runs without a screen: a readable log and a closing summary, or with
//! `--json` one JSON object per line (every record, then the summary).
//!
//! The text log is the program's output shown on forkscope's terminal, so
//! nothing a program says may act on that terminal or pass for forkscope's
//! own words: control characters (escape sequences: a clipboard write, a
//! title, clearing the screen; `\r`, backspace, bell) and the characters that
//! reorder text (bidirectional overrides, line separators) are shown escaped,
//! as Python's `repr` shows them (`\x1b`, `\r`, `\u202e`); a text of several
//! lines (a traceback) has its later lines indented, so that no line a
//! program writes can start like a line of the log. `--json` keeps the exact
//! text, escaped as JSON escapes it.

use std::io::Write;
use std::time::Duration;

use crate::conductor::schedule::{self, Policy};
use crate::conductor::{Run, RunOptions, Undertaker};
use crate::model::summary::{EndReason, Summary};
use crate::model::{LogKind, Model, Record};

#[derive(Debug)]
pub struct HeadlessOptions {
    pub json: bool,
    /// Print nothing while running (explore prints its own progress).
    pub quiet: bool,
    pub timeout: Option<Duration>,
    /// The policy that steps the run: the spec's `--schedule`, a replay's
    /// actions, explore's choices; `None`: it runs free.
    pub policy: Option<Policy>,
    /// What `input()` reads: these lines then end of input; `None`: forkscope's stdin.
    pub input: Option<Vec<String>>,
    /// Keep every record in [`Finished::records`] (for `--record`, `--trace`,
    /// a replay's comparison, explore's recordings). Memory then grows with
    /// the run; without it a headless run is bounded as the dashboard is (the
    /// model trims its log, `--json` streams each record as it comes): a
    /// chatty lesson used to grow the conductor by 22 MB/s.
    pub keep_records: bool,
    /// Every record also goes here as it comes (`explore --all` reads each
    /// step's records before it picks the next step).
    pub tap: Option<std::sync::mpsc::Sender<Record>>,
    /// Whether the caller will read the run's end: when `bury` says it will
    /// not (asked once the steps are over), the run is ended by an
    /// [`Undertaker`] while the caller goes on, and [`Finished`] holds what
    /// came before the end (its summary says how the steps ended; the
    /// lesson's conditions are not judged). `None`: always ended here.
    pub bury: Option<Bury>,
}

/// See [`HeadlessOptions::bury`].
pub struct Bury {
    /// True: the run's end will not be read.
    pub when: Box<dyn Fn() -> bool>,
    pub to: std::rc::Rc<Undertaker>,
}

impl std::fmt::Debug for Bury {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bury").finish_non_exhaustive()
    }
}

/// What a finished headless run leaves.
#[derive(Debug)]
pub struct Finished {
    pub summary: Summary,
    pub model: Model,
    pub schedule: Vec<crate::conductor::Action>,
    /// Every record, in order (empty unless [`HeadlessOptions::keep_records`]).
    pub records: Vec<Record>,
    pub reason: EndReason,
}

/// `text` made harmless for the text log (see the module doc); tabs stay.
pub fn harmless(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\n    "),
            '\t' => out.push('\t'),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\x1b"),
            c if (c as u32) < 0x100 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn fmt_t(ns: u64) -> String {
    format!("{:>8.3}s", ns as f64 / 1e9)
}

/// Prints new log entries of `model` (from `from` on) as text lines.
fn print_log(out: &mut dyn Write, model: &Model, from: usize) {
    for e in &model.log[from..] {
        let who = if e.lane == crate::vocab::Lane::CONDUCTOR { "forkscope".to_string() } else { model.pname(e.lane) };
        let pid = model.processes.get(&e.lane).map(|p| format!("({})", p.pid)).unwrap_or_default();
        let tag = match e.kind {
            LogKind::Print | LogKind::Stderr => "",
            LogKind::Event => "· ",
            LogKind::Error => "✗ ",
            LogKind::Finding => "! ",
            LogKind::Report => "= ",
        };
        let line = if e.line > 0 { format!(" L{}", e.line) } else { String::new() };
        // English, whatever `--lang` says: this output is read by programs too.
        let text = e.event.as_ref().map_or_else(|| e.text.clone(), |ev| crate::words::event_sentence(model, e.lane, ev));
        let (who, text) = (harmless(&who), harmless(&text));
        let _ = writeln!(out, "[{}] {who}{pid}{line}: {tag}{text}", fmt_t(e.t_ns));
    }
}

/// Runs `opts.spec` headless, writing to `out`.
pub fn run(mut opts: RunOptions, h: HeadlessOptions, out: &mut dyn Write) -> anyhow::Result<Finished> {
    if h.policy.is_some() {
        opts.paused = true;
    }
    let spec = opts.spec.clone();
    let (lesson, params, seed, lang) = (&spec.lesson, &spec.params, spec.seed, spec.lang);
    let params_json: std::collections::BTreeMap<String, serde_json::Value> = params.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    if !h.json && !h.quiet {
        let ps: Vec<String> = params_json.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let ps = if ps.is_empty() { String::new() } else { format!(", {}", ps.join(" ")) };
        let _ = writeln!(out, "forkscope: {} — {} (seed {seed}{ps})", harmless(&lesson.name), harmless(lesson.title(lang)));
    }
    let phase = crate::sys::phases::start("run start (all)");
    let run = Run::start(opts)?;
    phase.end();
    run_started(run, h, out)
}

/// [`run`] of a run started already (paused if `h` has a policy; see
/// [`crate::conductor::Ahead`]), without the header line.
pub fn run_started(mut run: Run, h: HeadlessOptions, out: &mut dyn Write) -> anyhow::Result<Finished> {
    anyhow::ensure!(h.policy.is_none() || run.is_paused(), "a stepped run must start paused");
    let spec = run.options().spec.clone();
    let (lesson, params, seed, lang) = (&spec.lesson, &spec.params, spec.seed, spec.lang);
    let params_json: std::collections::BTreeMap<String, serde_json::Value> = params.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    run.set_input(match h.input {
        Some(lines) => crate::conductor::Input::new(lines, false),
        None => crate::conductor::Input::new(Vec::new(), true),
    });
    let mut model = Model::new();
    let (json, quiet, keep) = (h.json, h.quiet, h.keep_records);
    let tap = h.tap;
    // Log entries printed so far, counted from the run's start (the model may
    // have trimmed the oldest ones since).
    let mut printed = 0u64;
    let mut records = Vec::new();
    let mut on_record = |r: &Record, m: &Model| {
        if keep {
            records.push(r.clone());
        }
        if let Some(t) = &tap {
            let _ = t.send(r.clone());
        }
        if quiet {
            return;
        }
        if json {
            if let Ok(s) = serde_json::to_string(r) {
                let _ = writeln!(out, "{s}");
            }
        } else {
            print_log(out, m, printed.saturating_sub(m.log_trimmed) as usize);
            printed = m.log_trimmed + m.log.len() as u64;
        }
    };
    // Goals are for a student's stepping: only a replayed recording has one.
    let stepped_by_someone = matches!(h.policy, Some(schedule::Policy::Replay(_)));
    let phase = crate::sys::phases::start("run steps and end (all)");
    let reason = schedule::drive_steps(&mut run, &mut model, h.policy, h.timeout, &mut on_record);
    // A run that wrote in the user's folder (in place) is always ended here:
    // the caller's next run may use the same files.
    if let Some(b) = h.bury.as_ref().filter(|b| run.workdir() == run.scratch() && (b.when)()) {
        let sched = run.schedule().to_vec();
        let summary = crate::words::summary(&model, &reason, &lesson.name, seed, params_json);
        b.to.bury(run);
        phase.end();
        return Ok(Finished { summary, model, schedule: sched, records, reason });
    }
    schedule::end_run(&mut run, &mut model, &mut on_record);
    phase.end();
    let phase = crate::sys::phases::start("judge and drop");
    let stats = run.stats();
    let elapsed = run.elapsed();
    let sched = run.schedule().to_vec();
    let mut summary = crate::words::summary(&model, &reason, &lesson.name, seed, params_json);
    let judge = crate::scenario::condition::Judge::new();
    // Judged before the run goes, while its folder holds the files it wrote.
    let verdicts = crate::scenario::condition::judge_run(&judge, lesson, params, &model, Some(summary.outcome.name()), Some(run.workdir()), lang);
    let dropping = crate::sys::phases::start("run drop");
    drop(run);
    dropping.end();
    for (message, name) in verdicts.bad.iter().zip(&verdicts.bad_names) {
        summary.findings.push(crate::model::summary::FindingOut { kind: "bad".into(), message: message.clone(), processes: vec![], resources: vec![], name: Some(name.clone()) });
    }
    let goals: &[String] = if stepped_by_someone { &verdicts.goals } else { &[] };
    for title in goals {
        summary.findings.push(crate::model::summary::FindingOut { kind: "goal".into(), message: format!("goal reached: {title}"), processes: vec![], resources: vec![], name: None });
    }
    // A lesson whose conditions fail is a broken lesson: say so, and the run
    // counts as an error unless something worse already happened.
    summary.findings.extend(verdicts.error_findings());
    if !verdicts.errors.is_empty() && summary.outcome == crate::model::summary::Outcome::Completed {
        summary.outcome = crate::model::summary::Outcome::Error;
    }
    summary.dropped = stats.dropped;
    summary.corrupt = stats.corrupt;
    if let Some(message) = crate::words::lost_records(stats.dropped, stats.corrupt) {
        summary.findings.push(crate::model::summary::FindingOut { kind: "lost".into(), message, processes: vec![], resources: vec![], name: None });
    }
    if let Some(message) = unexplained_error(&model, &summary, stats.corrupt) {
        summary.findings.push(crate::model::summary::FindingOut { kind: "error".into(), message, processes: vec![model.pname(crate::vocab::Lane::MAIN)], resources: vec![], name: None });
    }
    phase.end();
    summary.elapsed_s = (elapsed.as_secs_f64() * 1000.0).round() / 1000.0;
    if quiet {
    } else if json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        print_summary(out, &model, &summary, &reason);
    }
    Ok(Finished { summary, model, schedule: sched, records, reason })
}

/// Why a run whose outcome is `error` ended so, when no finding says it
/// (every such end must): how main ended as far as the records say, and
/// whether the run's shared memory was damaged by one of its processes
/// (main's end may then be among what could not be read).
fn unexplained_error(model: &Model, s: &Summary, corrupt: u64) -> Option<String> {
    use crate::model::PState;
    if s.outcome != crate::model::summary::Outcome::Error || s.findings.iter().any(|f| f.kind != "lost") {
        return None;
    }
    let main = model.pname(crate::vocab::Lane::MAIN);
    let how = match model.processes.get(&crate::vocab::Lane::MAIN).map(|p| p.state) {
        Some(PState::Exited(code)) => format!("{main} exited with code {code}"),
        Some(PState::Killed(sig)) => format!("{main} was killed by {}", crate::sys::signal_name(sig)),
        Some(_) => format!("{main}'s end was never recorded"),
        None => "MainProcess never started as far as the records say".to_string(),
    };
    Some(if corrupt > 0 {
        format!("{how}; the run's shared memory was damaged by a process of the run ({corrupt} records unreadable), so what the run did is not fully known")
    } else {
        how
    })
}

fn print_summary(out: &mut dyn Write, model: &Model, s: &Summary, reason: &EndReason) {
    let _ = writeln!(out, "── summary ──────────────────────────────");
    let _ = writeln!(out, "outcome:   {}", s.outcome.name());
    if let EndReason::Deadlock(d) = reason {
        let _ = writeln!(out, "           {}", harmless(&crate::words::deadlock(model, d, crate::words::Lang::En)));
    }
    let _ = writeln!(out, "processes: {}", s.processes.len());
    // The name column is as wide as the widest name (in terminal columns:
    // a Chinese character takes two), at least 16.
    let col = |t: &str| unicode_width::UnicodeWidthStr::width(t);
    let name_w = s.processes.iter().map(|p| col(&harmless(&p.name))).max().unwrap_or(0).max(16);
    for p in &s.processes {
        let code = match p.exitcode {
            Some(c) if c < 0 && p.killed_at_end => format!("killed by forkscope at the end of the run ({})", crate::sys::signal_name(-c)),
            Some(c) if c < 0 => format!("killed by {}", crate::sys::signal_name(-c)),
            Some(c) => format!("exitcode {c}"),
            None => "never ended".into(),
        };
        let d = if p.daemon { " daemon" } else { "" };
        let name = harmless(&p.name);
        let pad = " ".repeat(name_w - col(&name));
        let _ = writeln!(out, "  {name}{pad} pid {:<7} ppid {:<7} {code}{d}", p.pid, p.ppid);
    }
    if s.reported.is_empty() {
        let _ = writeln!(out, "reported:  (nothing)");
    } else {
        let r: Vec<String> = s.reported.iter().map(|(k, v)| format!("{k} = {}", crate::model::summary::show_value(v))).collect();
        let _ = writeln!(out, "reported:  {}", harmless(&r.join(", ")));
    }
    if s.findings.is_empty() {
        let _ = writeln!(out, "findings:  none");
    } else {
        let _ = writeln!(out, "findings:");
        for f in &s.findings {
            let _ = writeln!(out, "  [{}] {}", f.kind, harmless(&f.message));
        }
    }
    let mut drops = if s.dropped > 0 { format!(", {} dropped", s.dropped) } else { String::new() };
    if s.corrupt > 0 {
        // Records that arrived unreadable: say so, or a missing report looks like a lesson's bug.
        drops.push_str(&format!(", {} corrupt", s.corrupt));
    }
    let _ = writeln!(out, "records:   {}{drops}; steps: {}; {:.3}s", s.records, s.steps, s.elapsed_s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_carriage_returns_cannot_forge_log_lines() {
        // A clipboard write (OSC 52), a title, clearing the screen, a bell, a
        // carriage return that would overwrite the line's own prefix.
        let hostile = "\x1b]52;c;ZXZpbA==\x07\x1b]0;title\x07\x1b[2J\x1b[H\r[   0.001s] forkscope: · all is well\x08\u{9b}";
        let shown = harmless(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(shown, "\\x1b]52;c;ZXZpbA==\\x07\\x1b]0;title\\x07\\x1b[2J\\x1b[H\\r[   0.001s] forkscope: · all is well\\x08\\x9b");
        // Bidirectional overrides and separators are shown, not obeyed.
        assert_eq!(harmless("a\u{202e}b\u{2028}c"), "a\\u202eb\\u2028c");
        // A later line of a text (a traceback, an exception's message) is
        // indented: it cannot pass for a line of the log.
        assert_eq!(harmless("Traceback:\n[   0.002s] forkscope: · forged"), "Traceback:\n    [   0.002s] forkscope: · forged");
        // What is harmless stays as it is.
        assert_eq!(harmless("子进程 hello\tworld é"), "子进程 hello\tworld é");
    }

    #[test]
    fn the_text_log_shows_a_program_line_escaped() {
        use crate::model::{Record, RecordKind};
        use crate::vocab::Lane;
        let mut m = Model::new();
        let rec = |seq, kind| Record { seq, t_ns: 0, lane: Lane(1), line: 3, gates: 0, kind };
        m.apply(&Record { lane: Lane::CONDUCTOR, ..rec(1, RecordKind::Spawn { child: Lane(1), pid: 42, ppid: 1, daemon: false, name: "Main\x1b[31m".into(), target: "main".into() }) });
        m.apply(&rec(2, RecordKind::Print { text: "\x1b[2J\rforged".into(), part: false }));
        let mut out = Vec::new();
        print_log(&mut out, &m, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        assert!(text.ends_with("Main\\x1b[31m(42) L3: \\x1b[2J\\rforged\n"), "{text:?}");
    }

    #[test]
    fn processes_killed_at_the_end_of_the_run_say_so() {
        use crate::model::summary::ProcessSummary;
        use crate::vocab::Lane;
        let mut s = crate::words::summary(&Model::new(), &EndReason::Timeout, "x", 0, Default::default());
        let p = |name: &str, exitcode, killed_at_end| ProcessSummary { name: name.into(), pid: 7, ppid: 1, exitcode, killed_at_end, lane: Lane(1), parent: None, daemon: false };
        s.processes = vec![p("bomb-1", Some(-9), true), p("victim", Some(-15), false), p("gone", None, false)];
        let mut out = Vec::new();
        print_summary(&mut out, &Model::new(), &s, &EndReason::Timeout);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("bomb-1           pid 7       ppid 1       killed by forkscope at the end of the run (SIGKILL)"), "{text}");
        assert!(text.contains("victim           pid 7       ppid 1       killed by SIGTERM"), "{text}");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["processes"][0]["killed_at_end"], true);
        assert!(json["processes"][1].get("killed_at_end").is_none());
    }

    #[test]
    fn the_summary_says_how_many_records_arrived_corrupt() {
        let mut s = crate::words::summary(&Model::new(), &EndReason::AllEnded, "x", 0, Default::default());
        let text = |s: &Summary| {
            let mut out = Vec::new();
            print_summary(&mut out, &Model::new(), s, &EndReason::AllEnded);
            String::from_utf8(out).unwrap()
        };
        assert!(!text(&s).contains("corrupt"));
        s.corrupt = 64;
        assert!(text(&s).contains(", 64 corrupt;"), "{}", text(&s));
    }
}
