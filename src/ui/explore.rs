//! `x` in the dashboard: every inequivalent interleaving of the open lesson
//! (`explore --all`), while the dashboard goes on.
//!
//! The search runs in a child, `forkscope explore LESSON --all --json
//! --progress-json --runs N` with the session's parameters, seed and
//! language: its own conductor and runs, so that nothing of the dashboard's
//! run (its reaper, its process group) meets the search's hundreds of runs.
//! Its progress lines show in the banner; its summary object ends it.
//! Verified (or nothing bad within the budget) stays in the banner, and the
//! figures (`p`) name it in their footer; a counterexample opens as a replay
//! of the saved recording, named the same way, its banner saying which bad
//! outcome it is and why (the conflicting ops). `x` again stops the search
//! (SIGTERM: "stopped after N runs", never "verified").
//!
//! On a lesson that declares bad outcomes of its own (`[[bad]]`), `x` first
//! asks which to hunt ([`Choice`]: those, `assertion`, `deadlock`, `error`,
//! or `any`), keys only; esc cancels.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::codec::Value;
use crate::conductor::RunOptions;
use crate::scenario::Engine;

use super::text::Lang;

/// The run budget of a search started from the dashboard: a lesson too big
/// to finish within it ends "no bad schedule within N runs".
pub const BUDGET: u32 = 2000;

/// Where the search is, as its last progress line said.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub runs: u64,
    pub runs_per_s: f64,
    pub interleavings: u64,
    /// Interleavings known to be left to try (at least).
    pub open: u64,
    /// Bad interleavings met so far (the search looks on for a shorter one).
    pub bad: u64,
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every inequivalent interleaving ran, none bad.
    /// `bad`: the one bad outcome hunted (`--bad`), if one was.
    /// `seen`: runs that ended at a state searched before (the reductions); `cycles` of
    /// them came back to a state of their own run (a program that loops).
    Verified { interleavings: u64, runs: u64, secs: f64, bad: Option<String>, seen: u64, cycles: u64 },
    /// The budget cut the search: nothing bad within it.
    Bounded { interleavings: u64, runs: u64 },
    /// A bad schedule, minimised, saved: the shortest of the search's bad
    /// ones, or (`shortest` false: a Python lesson's search, which stops at
    /// the first bad run to give its verdict in class time) the first found.
    Counterexample {
        shortest: bool,
        kind: String,
        message: String,
        steps: u64,
        in_all: u64,
        saved: PathBuf,
        interleavings: u64,
        /// Why it went wrong (the conflicting ops and their good order), in English and in Chinese.
        why: Explanation,
    },
}

/// Why a counterexample went wrong, as the search said it (`why` of its summary).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    pub en: Vec<String>,
    pub zh: Vec<String>,
    /// The step of the replay that completes the conflict.
    pub completing_step: Option<u64>,
}

impl Explanation {
    pub fn sentences(&self, l: Lang) -> &[String] {
        match l {
            Lang::En => &self.en,
            Lang::Zh => if self.zh.is_empty() { &self.en } else { &self.zh },
        }
    }

    /// What the footer says when the replay reaches the completing step.
    pub fn mark(&self, l: Lang) -> Option<String> {
        let (n, first) = (self.completing_step?, self.sentences(l).first()?);
        Some(match l {
            Lang::En => format!("⚑ step {n} completes the conflict: {first}"),
            Lang::Zh => format!("⚑ 第 {n} 步完成了冲突:{first}"),
        })
    }
}

/// The choice before `x`: which bad outcome to hunt (a lesson's `[[bad]]`
/// names, then `assertion`, `deadlock`, `error`, and `any`).
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The names, `any` last.
    pub options: Vec<String>,
    /// What each means, in English and Chinese.
    pub labels: Vec<(String, String)>,
    pub selected: usize,
}

impl Choice {
    /// The choice for `lesson`; `None` when the lesson declares no bad
    /// outcome of its own (then `x` hunts any, as it always did).
    pub fn of(lesson: &crate::scenario::Lesson) -> Option<Choice> {
        let m = &lesson.manifest;
        if m.bad.is_empty() {
            return None;
        }
        let mut options = m.bad_names();
        options.push("any".into());
        let labels = options
            .iter()
            .enumerate()
            .map(|(i, name)| match (m.bad.get(i), name.as_str()) {
                (Some(b), _) => (b.message.get(Lang::En).to_string(), b.message.get(Lang::Zh).to_string()),
                (None, "assertion") => ("a failed assert".into(), "断言失败".into()),
                (None, "deadlock") => ("a deadlock (or every process stuck)".into(), "死锁(或所有进程都卡住)".into()),
                (None, "error") => ("an error: an uncaught exception, a crash".into(), "错误:未捕获的异常、崩溃".into()),
                _ => ("any of these".into(), "以上任何一种".into()),
            })
            .collect();
        Some(Choice { options, labels, selected: 0 })
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    pub fn down(&mut self) {
        self.selected = (self.selected + 1).min(self.options.len().saturating_sub(1));
    }

    /// What to pass as `--bad` (`None`: any).
    pub fn chosen(&self) -> Option<String> {
        self.options.get(self.selected).filter(|o| o.as_str() != "any").cloned()
    }

    /// The lines of the question, the selected one marked `▶`.
    pub fn lines(&self, l: Lang) -> Vec<(String, bool)> {
        let mut out = vec![(l.pick("Hunt which bad outcome? (↑↓ or 1-9, enter starts, esc cancels)", "找哪一种坏结果?(↑↓ 或 1-9,回车开始,esc 取消)").to_string(), false)];
        for (i, (o, (en, zh))) in self.options.iter().zip(&self.labels).enumerate() {
            let mark = if i == self.selected { "▶" } else { " " };
            out.push((format!("{mark} {}. {o} — {}", i + 1, l.pick(en, zh)), i == self.selected));
        }
        out
    }
}

/// The choice drawn over the dashboard, in a box at its middle.
#[derive(Debug)]
pub struct ChoiceWidget<'a> {
    pub choice: &'a Choice,
    pub lang: Lang,
    pub theme: &'a super::theme::Theme,
}

impl ratatui::widgets::Widget for ChoiceWidget<'_> {
    fn render(self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        use ratatui::widgets::{Block, Borders, Clear};
        let lines = self.choice.lines(self.lang);
        let w = (lines.iter().map(|(t, _)| super::text::width(t)).max().unwrap_or(20) + 4).min(area.width as usize) as u16;
        let h = (lines.len() as u16 + 2).min(area.height);
        let r = ratatui::layout::Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
        Clear.render(r, buf);
        let block = Block::default().borders(Borders::ALL).title(format!(" x: explore --all {}", self.lang.pick("— which bad outcome ", "—— 哪一种坏结果 ")));
        let inner = block.inner(r);
        block.render(r, buf);
        for (i, (t, sel)) in lines.iter().enumerate().take(inner.height as usize) {
            let style = if *sel { self.theme.bold() } else { ratatui::style::Style::new() };
            ratatui::text::Line::styled(super::text::fit(t, inner.width as usize), style).render(ratatui::layout::Rect { y: inner.y + i as u16, height: 1, ..inner }, buf);
        }
    }
}

/// What the dashboard shows of a search.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchView {
    Running(Progress),
    Done(Verdict),
}

impl Verdict {
    /// The figure footer's words (`explore --all: verified, 36 interleavings`).
    pub fn label(&self, l: Lang) -> String {
        match self {
            Verdict::Verified { interleavings, seen: 0, .. } => match l {
                Lang::En => format!("explore --all: verified, {}", crate::words::count(*interleavings, "interleaving")),
                Lang::Zh => format!("explore --all: 已验证,{interleavings} 种交错"),
            },
            Verdict::Verified { runs, .. } => match l {
                Lang::En => format!("explore --all: verified in {} (states seen before not searched again)", crate::words::count(*runs, "run")),
                Lang::Zh => format!("explore --all: 已验证,{runs} 次运行(已搜索过的状态不再重复)"),
            },
            Verdict::Bounded { runs, .. } => format!("explore --all: {} {runs} {}", l.pick("nothing bad within", "在"), l.pick("runs", "次运行内没有发现问题")),
            Verdict::Counterexample { steps, shortest: true, .. } => format!("explore --all: {} {steps} {}", l.pick("shortest counterexample,", "最短反例,"), l.pick("steps", "步")),
            Verdict::Counterexample { steps, .. } => format!("explore --all: {} {steps} {}", l.pick("counterexample,", "反例,"), l.pick("steps", "步")),
        }
    }

    /// The banner's sentence; `Some(true)` red, `Some(false)` green, `None` plain.
    pub fn banner(&self, l: Lang) -> (String, Option<bool>) {
        match self {
            Verdict::Verified { interleavings, runs, secs, bad, seen, cycles } if *seen > 0 => {
                // A run that came back to where it had been (a program that
                // loops forever) is said so: "a state already searched" reads
                // as if another run had been there.
                let searched = seen.saturating_sub(*cycles);
                let stopped = match (l, searched, *cycles) {
                    (Lang::En, s, 0) => format!("{s} stopped at a state already searched"),
                    (Lang::En, 0, c) => format!("{c} came back to where it had been (a loop: what follows repeats)"),
                    (Lang::En, s, c) => format!("{s} stopped at a state already searched, {c} came back to where it had been (a loop)"),
                    (Lang::Zh, s, 0) => format!("{s} 次在已搜索过的状态处停下"),
                    (Lang::Zh, 0, c) => format!("{c} 次回到了之前到过的状态(循环:之后都是重复)"),
                    (Lang::Zh, s, c) => format!("{s} 次在已搜索过的状态处停下,{c} 次回到了之前到过的状态(循环)"),
                };
                (
                    match (l, bad) {
                        (Lang::En, None) => format!("✔ VERIFIED (explore --all): every interleaving covered — {interleavings} ran to the end, {stopped} ({}, {secs:.1} s), none bad", crate::words::count(*runs, "run")),
                        (Lang::En, Some(b)) => format!("✔ VERIFIED (explore --all): every interleaving covered — {interleavings} ran to the end, {stopped} ({}, {secs:.1} s), none gives {b}", crate::words::count(*runs, "run")),
                        (Lang::Zh, None) => format!("✔ 已验证(explore --all):所有交错都覆盖了——{interleavings} 种运行到底,{stopped}({runs} 次运行,{secs:.1} 秒),没有一种是坏的"),
                        (Lang::Zh, Some(b)) => format!("✔ 已验证(explore --all):所有交错都覆盖了——{interleavings} 种运行到底,{stopped}({runs} 次运行,{secs:.1} 秒),没有一种得到 {b}"),
                    },
                    Some(false),
                )
            }
            Verdict::Verified { interleavings, runs, secs, bad, .. } => (
                match (l, bad) {
                    (Lang::En, None) if *interleavings == 1 => format!("✔ VERIFIED (explore --all): every interleaving is equivalent to the one that ran ({}, {secs:.1} s), not bad", crate::words::count(*runs, "run")),
                    (Lang::En, None) => format!("✔ VERIFIED (explore --all): all {interleavings} inequivalent interleavings ran ({}, {secs:.1} s), none bad", crate::words::count(*runs, "run")),
                    (Lang::En, Some(b)) if *interleavings == 1 => format!("✔ VERIFIED (explore --all): every interleaving is equivalent to the one that ran ({}, {secs:.1} s), it does not give {b}", crate::words::count(*runs, "run")),
                    (Lang::En, Some(b)) => format!("✔ VERIFIED (explore --all): all {interleavings} inequivalent interleavings ran ({}, {secs:.1} s), none gives {b}", crate::words::count(*runs, "run")),
                    (Lang::Zh, None) => format!("✔ 已验证(explore --all):全部 {interleavings} 种不等价的交错都运行过了({runs} 次运行,{secs:.1} 秒),没有一种是坏的"),
                    (Lang::Zh, Some(b)) => format!("✔ 已验证(explore --all):全部 {interleavings} 种不等价的交错都运行过了({runs} 次运行,{secs:.1} 秒),没有一种得到 {b}"),
                },
                Some(false),
            ),
            Verdict::Bounded { interleavings, runs } => (
                match l {
                    Lang::En => format!("explore --all: no bad schedule within {runs} runs ({interleavings} interleavings): not verified, there are more"),
                    Lang::Zh => format!("explore --all:{runs} 次运行内({interleavings} 种交错)没有坏的调度:未验证,交错还有更多"),
                },
                None,
            ),
            // What went wrong is the lesson's own banner once the replay gets there.
            // Which bad outcome it is (its message), and why, first of all.
            Verdict::Counterexample { steps, in_all, saved, message, why, shortest, .. } => {
                let file = saved.file_name().map_or_else(|| saved.display().to_string(), |f| f.to_string_lossy().into_owned());
                let because = why.sentences(l).first().map(|w| format!(" — {} {w}", l.pick("why:", "原因:"))).unwrap_or_default();
                let which = match (l, shortest) {
                    (Lang::En, true) => "the shortest bad schedule",
                    (Lang::En, false) => "the first bad schedule found, shortened",
                    (Lang::Zh, true) => "最短的坏调度",
                    (Lang::Zh, false) => "找到的第一个坏调度(已缩短)",
                };
                (
                    match l {
                        Lang::En => format!("✗ COUNTEREXAMPLE (explore --all): {message}{because}; {which}, {steps} steps chosen ({in_all} in all), replayed here; saved as {file}"),
                        Lang::Zh => format!("✗ 反例(explore --all):{message}{because};{which},选择 {steps} 步(共 {in_all} 步),在这里回放;已保存为 {file}"),
                    },
                    Some(true),
                )
            }
        }
    }
}

impl SearchView {
    pub fn banner(&self, l: Lang) -> (String, Option<bool>) {
        match self {
            SearchView::Running(p) => {
                let bad = match (p.bad, l) {
                    (0, _) => String::new(),
                    (n, Lang::En) => format!(", {n} bad (looking for a shorter one)"),
                    (n, Lang::Zh) => format!(",{n} 种是坏的(在找更短的)"),
                };
                (
                    match l {
                        // What is left is known only in part: the open
                        // choices; what lies beyond them is not.
                        Lang::En => format!(
                            "… explore --all: {} runs ({:.1} runs/s), {} interleaving{} run to the end{bad}; left: {} known, how many more unknown — x stops",
                            p.runs,
                            p.runs_per_s,
                            p.interleavings,
                            if p.interleavings == 1 { "" } else { "s" },
                            p.open
                        ),
                        Lang::Zh => format!("… explore --all:{} 次运行(每秒 {:.1} 次),{} 种交错跑完{bad};剩下:已知 {} 种,还有多少未知 —— x 停止", p.runs, p.runs_per_s, p.interleavings, p.open),
                    },
                    None,
                )
            }
            SearchView::Done(o) => o.banner(l),
        }
    }
}

/// What a poll of the search found.
#[derive(Debug)]
pub enum Polled {
    Progress(Progress),
    Done(Verdict),
    /// Stopped (`x`), or it could not explore: what it said.
    Ended(String),
}

/// A search under way.
#[derive(Debug)]
pub struct Job {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    stopping: bool,
    last: Progress,
}

/// `NAME=VALUE` as `--param` reads it.
fn param_arg(name: &str, v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{name}={s}"),
        other => format!("{name}={}", other.to_json()),
    }
}

/// A new file in `dir` for the counterexample: `forkscope-explore-LESSON-seedS.fsrec`,
/// `-2`, `-3`… if taken.
pub fn counterexample_path(dir: &Path, lesson: &str, seed: u64) -> PathBuf {
    let base = format!("forkscope-explore-{}-seed{seed}", lesson.replace(['/', ' '], "_"));
    (1..)
        .map(|k| dir.join(if k == 1 { format!("{base}.fsrec") } else { format!("{base}-{k}.fsrec") }))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("some name is free")
}

impl Job {
    /// Starts `explore --all` of what `options` runs; the counterexample,
    /// if any, goes to `out`.
    /// `bad`: the one bad outcome to hunt (`--bad`), else any.
    pub fn start(options: &RunOptions, out: &Path, bad: Option<&str>) -> std::io::Result<Job> {
        let spec = options.spec.lesson.origin.strip_prefix("builtin:").unwrap_or(&options.spec.lesson.origin);
        let mut cmd = Command::new(&options.exe);
        if !options.fork_server {
            cmd.arg("--no-fork-server");
        }
        cmd.args(["explore", spec, "--all", "--json", "--progress-json", "--runs", &BUDGET.to_string(), "--seed", &options.spec.seed.to_string(), "--lang", options.spec.lang.code(), "--out"]);
        cmd.arg(out);
        if let Some(bad) = bad {
            cmd.arg("--bad").arg(bad);
        }
        // A Python lesson's verdict in class time: the search stops at the
        // first bad run, with seeded random runs beside it (`--first`).
        if options.spec.lesson.engine == Engine::Python {
            cmd.arg("--first");
        }
        for (k, v) in &options.spec.params {
            cmd.arg("--param").arg(param_arg(k, v));
        }
        if options.spec.lesson.engine == Engine::Python
            && let Ok(python) = crate::python::launch::chosen()
        {
            cmd.arg("--python").arg(python);
        }
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let lines = reader(child.stdout.take().expect("piped"));
        let stderr = reader(child.stderr.take().expect("piped"));
        Ok(Job { child, lines, stderr, stopping: false, last: Progress::default() })
    }

    /// Asks the search to stop (it says how far it got).
    pub fn stop(&mut self) {
        if !self.stopping {
            self.stopping = true;
            crate::sys::kill(self.child.id() as i32, libc::SIGTERM);
        }
    }

    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// What the search said since the last poll: its progress, its end.
    pub fn poll(&mut self) -> Option<Polled> {
        let mut fresh = None;
        loop {
            match self.lines.try_recv() {
                Ok(line) => {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                    if v["type"] == "progress" {
                        let n = |k: &str| v[k].as_u64().unwrap_or(0);
                        self.last = Progress { runs: n("runs"), runs_per_s: v["runs_per_s"].as_f64().unwrap_or(0.0), interleavings: n("interleavings"), open: n("open"), bad: n("bad") };
                        fresh = Some(Polled::Progress(self.last.clone()));
                    } else if v["type"] == "explore" {
                        let _ = self.child.wait();
                        return Some(match outcome(&v) {
                            Some(o) => Polled::Done(o),
                            None => Polled::Ended(format!("explore --all said: {line}")),
                        });
                    }
                }
                Err(TryRecvError::Empty) => return fresh,
                Err(TryRecvError::Disconnected) => {
                    // It ended without a summary: stopped, or refused the lesson.
                    let _ = self.child.wait();
                    let said: Vec<String> = self.stderr.try_iter().collect();
                    let said = said.join(" ");
                    let said = said.trim().trim_start_matches("forkscope: ").to_string();
                    return Some(Polled::Ended(if said.is_empty() { format!("stopped after {} runs: not verified", self.last.runs) } else { said }));
                }
            }
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            crate::sys::kill(self.child.id() as i32, libc::SIGTERM);
            let _ = self.child.wait();
        }
    }
}

fn reader(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// The summary object of `explore --all --json` (see `explore::report`).
fn outcome(v: &serde_json::Value) -> Option<Verdict> {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let (interleavings, runs) = (n(v, "interleavings"), n(v, "runs"));
    match v["result"].as_str()? {
        "verified" => Some(Verdict::Verified { interleavings, runs, secs: v["elapsed_s"].as_f64().unwrap_or(0.0), bad: v["bad"].as_str().map(str::to_string), seen: n(v, "seen_states"), cycles: n(v, "cycles") }),
        "bounded" => Some(Verdict::Bounded { interleavings, runs }),
        "counterexample" => {
            let c = &v["counterexample"];
            Some(Verdict::Counterexample {
                shortest: !v["first"].as_bool().unwrap_or(false),
                kind: c["kind"].as_str()?.to_string(),
                message: c["message"].as_str().unwrap_or_default().to_string(),
                steps: n(c, "steps"),
                in_all: n(c, "steps_in_all"),
                saved: PathBuf::from(c["saved"].as_str()?),
                interleavings,
                why: Explanation {
                    en: strings(&c["why"]["en"]),
                    zh: strings(&c["why"]["zh"]),
                    completing_step: c["completing_step"].as_u64(),
                },
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_object_reads_as_its_outcome() {
        let v = serde_json::json!({"type": "explore", "mode": "all", "result": "verified", "interleavings": 36, "runs": 84, "elapsed_s": 6.5});
        assert_eq!(outcome(&v), Some(Verdict::Verified { interleavings: 36, runs: 84, secs: 6.5, bad: None, seen: 0, cycles: 0 }));
        let hunted = outcome(&serde_json::json!({"result": "verified", "interleavings": 36, "runs": 84, "elapsed_s": 6.5, "bad": "oversold"})).unwrap();
        assert!(hunted.banner(Lang::En).0.ends_with("none gives oversold"), "{:?}", hunted.banner(Lang::En));
        let v = serde_json::json!({"type": "explore", "mode": "all", "result": "counterexample", "interleavings": 3, "runs": 5,
            "counterexample": {"kind": "bad", "message": "sold 3 of 2", "steps": 9, "steps_in_all": 30, "saved": "x.fsrec"}});
        let o = outcome(&v).unwrap();
        assert_eq!(o.label(Lang::En), "explore --all: shortest counterexample, 9 steps");
        assert!(o.banner(Lang::Zh).0.contains("最短的坏调度,选择 9 步(共 30 步)"), "{:?}", o.banner(Lang::Zh));
        assert!(o.banner(Lang::En).0.ends_with("saved as x.fsrec"), "{:?}", o.banner(Lang::En));
        // A search that stopped at its first bad run (--first) does not call it the shortest.
        let v = serde_json::json!({"result": "counterexample", "first": true,
            "counterexample": {"kind": "bad", "message": "sold 3 of 2", "steps": 11, "steps_in_all": 127, "saved": "x.fsrec", "shortest_of_all": false}});
        // (shortest_of_all false alone: the search looked on, not to its end, and kept the shortest it saw.)
        let looked_on = serde_json::json!({"result": "counterexample", "first": false,
            "counterexample": {"kind": "bad", "message": "sold 3 of 2", "steps": 11, "steps_in_all": 127, "saved": "x.fsrec", "shortest_of_all": false}});
        assert_eq!(outcome(&looked_on).unwrap().label(Lang::En), "explore --all: shortest counterexample, 11 steps");
        let o = outcome(&v).unwrap();
        assert_eq!(o.label(Lang::En), "explore --all: counterexample, 11 steps");
        assert!(o.banner(Lang::En).0.contains("the first bad schedule found, shortened, 11 steps chosen (127 in all)"), "{:?}", o.banner(Lang::En));
        assert!(o.banner(Lang::Zh).0.contains("找到的第一个坏调度(已缩短),选择 11 步"), "{:?}", o.banner(Lang::Zh));
        let v = serde_json::json!({"result": "counterexample", "counterexample": {"kind": "bad", "message": "oversold: more", "steps": 9, "steps_in_all": 30, "saved": "x.fsrec",
            "completing_step": 24, "why": {"en": ["P1 read ticket (line 16) before P2 wrote it (line 22)"], "zh": ["P1 在 P2 写入它之前读取了 ticket"]}}});
        let o = outcome(&v).unwrap();
        assert!(o.banner(Lang::En).0.starts_with("✗ COUNTEREXAMPLE (explore --all): oversold: more — why: P1 read ticket (line 16) before P2 wrote it (line 22);"), "{:?}", o.banner(Lang::En));
        let Verdict::Counterexample { why, .. } = &o else { panic!() };
        assert_eq!(why.mark(Lang::Zh).unwrap(), "⚑ 第 24 步完成了冲突:P1 在 P2 写入它之前读取了 ticket");
        assert_eq!(outcome(&serde_json::json!({"result": "bounded", "interleavings": 10, "runs": 2000})).unwrap().label(Lang::En), "explore --all: nothing bad within 2000 runs");
        assert_eq!(outcome(&serde_json::json!({"result": "what"})), None);
    }

    /// One interleaving is "the one there is", never "all 1 … interleavings",
    /// with or without an outcome hunted.
    #[test]
    fn one_interleaving_is_not_called_all_1() {
        for bad in [None, Some("oversold".to_string())] {
            let one = Verdict::Verified { interleavings: 1, runs: 1, secs: 0.1, bad: bad.clone(), seen: 0, cycles: 0 }.banner(Lang::En).0;
            assert!(one.contains("every interleaving is equivalent to the one that ran") && !one.contains("all 1"), "{one}");
            let many = Verdict::Verified { interleavings: 36, runs: 84, secs: 6.5, bad: bad.clone(), seen: 0, cycles: 0 }.banner(Lang::En).0;
            assert!(many.contains("all 36 inequivalent interleavings"), "{many}");
            // Runs that stopped at a state searched before: not "the one
            // interleaving there is" (the safe race, four buyers: 1 ran to
            // its end, 10 stopped at a seen state).
            let reduced = Verdict::Verified { interleavings: 1, runs: 13, secs: 1.2, bad: bad.clone(), seen: 10, cycles: 0 };
            // A program that loops forever, verified by its run coming back
            // to where it had been: said so, not "a state already searched".
            let looped = Verdict::Verified { interleavings: 0, runs: 1, secs: 0.2, bad: bad.clone(), seen: 1, cycles: 1 };
            let (en, zh) = (looped.banner(Lang::En).0, looped.banner(Lang::Zh).0);
            assert!(en.contains("0 ran to the end, 1 came back to where it had been (a loop") && !en.contains("already searched"), "{en}");
            assert!(zh.contains("1 次回到了之前到过的状态") && !zh.contains("已搜索过"), "{zh}");
            let both = Verdict::Verified { interleavings: 2, runs: 6, secs: 0.9, bad: bad.clone(), seen: 4, cycles: 1 }.banner(Lang::En).0;
            assert!(both.contains("3 stopped at a state already searched, 1 came back to where it had been"), "{both}");
            let (en, zh) = (reduced.banner(Lang::En).0, reduced.banner(Lang::Zh).0);
            assert!(en.contains("every interleaving covered — 1 ran to the end, 10 stopped at a state already searched") && !en.contains("the one interleaving"), "{en}");
            assert!(zh.contains("10 次在已搜索过的状态处停下"), "{zh}");
            assert!(reduced.label(Lang::En).contains("verified in 13 runs"), "{}", reduced.label(Lang::En));
        }
    }

    /// The progress line does not read as nearly done: what is left
    /// beyond the open choices is said to be unknown (it once said "at
    /// least 11 to try" for hundreds of seconds).
    #[test]
    fn the_progress_line_says_what_is_left_is_known_only_in_part() {
        let p = SearchView::Running(Progress { runs: 249, runs_per_s: 12.8, interleavings: 1, open: 20, bad: 0 });
        let (en, zh) = (p.banner(Lang::En).0, p.banner(Lang::Zh).0);
        assert!(en.contains("1 interleaving run to the end; left: 20 known, how many more unknown"), "{en}");
        assert!(zh.contains("剩下:已知 20 种,还有多少未知"), "{zh}");
        let p = SearchView::Running(Progress { runs: 9, runs_per_s: 3.0, interleavings: 4, open: 2, bad: 1 });
        assert!(p.banner(Lang::En).0.contains("4 interleavings run to the end, 1 bad"), "{}", p.banner(Lang::En).0);
    }

    #[test]
    fn parameters_are_passed_as_the_command_line_reads_them() {
        assert_eq!(param_arg("variant", &Value::Str("race".into())), "variant=race");
        assert_eq!(param_arg("lock", &Value::Bool(true)), "lock=true");
        assert_eq!(param_arg("n", &Value::Int(3)), "n=3");
    }

    #[test]
    fn a_counterexample_never_takes_a_name_in_use() {
        let dir = std::env::temp_dir().join(format!("forkscope-cx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = counterexample_path(&dir, "ticket-race", 0);
        assert_eq!(first.file_name().unwrap(), "forkscope-explore-ticket-race-seed0.fsrec");
        std::os::unix::fs::symlink("/nonexistent/planted", &first).unwrap();
        assert_eq!(counterexample_path(&dir, "ticket-race", 0).file_name().unwrap(), "forkscope-explore-ticket-race-seed0-2.fsrec");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
