//! `forkscope snapshot`: run a lesson to a moment, draw that frame, write it.
//!
//! The moment is `--steps N` (started paused, then N steps granted round
//! robin, as `run --schedule rr`), `--at SECS` (running freely for SECS, then
//! paused and settled so the frame is consistent), or by default the end of a
//! round-robin run. The frame is drawn from the model *before* the run is shut
//! down, so it shows the processes as they were, not as forkscope ended them.
//!
//! Reproducible pictures: a stepped run gives the same records every time,
//! but pids differ from run to run. So unless `--real-pids` is given, pids are
//! renumbered: the conductor becomes 1000 and process lane N becomes 1000 + N
//! (main = 1001), everywhere the model holds them — process entries, and any
//! number in printed text, reported values, file previews and findings that
//! equals a real pid of the run. Same lesson, parameters, seed and steps →
//! byte-identical file.
//!
//! Time, for the same reason: a stepped run's records carry wall-clock times
//! (how long forkscope took to step, nothing the lesson did), so a stepped
//! moment is drawn on a virtual clock that counts steps — step N happens at
//! N × [`STEP_NS`], one timeline cell per step at speed 1. The header's time,
//! the timeline and the log's times all read that clock. `--at` keeps the
//! real clock (a free run is not reproducible anyway).
//!
//! The frame is the dashboard's own screen ([`frame`] of [`Captured::dashboard`]):
//! the run paused (or ended) and settled, so a deadlock shows its banner,
//! and the footer says which moment it is instead of key hints.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;

use crate::conductor::schedule::{Policy, STEP_LIMIT};
use crate::conductor::{Action, GateError, Run, RunOptions, RunSpec};
#[cfg(test)]
use crate::scenario;
use crate::model::{LogEvent, Model, Record, RecordKind, Said};
use crate::ui::state::{Dashboard, Mode, RunStatus};
use crate::ui::text::Lang;
use crate::ui::theme::Theme;

/// Steps after which a run drawn at its end is drawn anyway (a lesson that
/// never ends).
pub const END_STEP_LIMIT: u64 = 10_000;

/// Which moment of the run to draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Moment {
    /// After this many round-robin steps (or earlier, if the run ends).
    Steps(u64),
    /// After running freely this long.
    At(Duration),
    /// When a round-robin run is over (at most [`END_STEP_LIMIT`] steps).
    End,
}

/// Virtual time of one step in a stepped snapshot: one timeline cell at speed 1.
pub const STEP_NS: u64 = 100_000_000;

/// The run as it was at the moment.
#[derive(Debug)]
pub struct Captured {
    pub model: Model,
    /// The records the model was built from (on the virtual clock if stepped).
    pub records: Vec<Record>,
    /// `step 12`, `at 1.5 s`, `end`, with why it stopped early if it did.
    pub moment: Reached,
    /// Which run it is.
    pub run: RunSpec,
    /// Its sleep speed factor.
    pub speed: f64,
    /// Where the run came from, for the footer (a recording's [`figure_note`](crate::recording::Recording::figure_note)).
    pub note: Option<String>,
}

/// Which moment of the run a figure shows, said in the figure's language
/// (`Display`: English, as the command line reports it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reached {
    /// `--at SECS`: the run paused there (or ended before).
    At { secs: f64, all_ended: bool },
    /// `--steps N`, reached.
    Step(u64),
    /// The stepping stopped after `steps` (`end`: it was asked to go to the end).
    Stopped { steps: u64, why: Stop, end: bool },
    /// Stepped to the end, which the step limit cut short.
    Limit(u64),
}

/// Why stepping stopped before it was asked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    AllEnded,
    Deadlock,
    NothingSteppable,
}

impl Reached {
    pub fn say(self, l: Lang) -> String {
        let why = |w: Stop| match w {
            Stop::AllEnded => l.pick("all ended", "全部结束"),
            Stop::Deadlock => l.pick("deadlock", "死锁"),
            Stop::NothingSteppable => l.pick("nothing can be stepped", "没有可以单步的进程"),
        };
        match (self, l) {
            (Reached::At { secs, all_ended }, Lang::En) => format!("at {secs:.1} s{}", if all_ended { " (all ended)" } else { "" }),
            (Reached::At { secs, all_ended }, Lang::Zh) => format!("第 {secs:.1} 秒{}", if all_ended { "(全部结束)" } else { "" }),
            (Reached::Step(n), Lang::En) => format!("step {n}"),
            (Reached::Step(n), Lang::Zh) => format!("第 {n} 步"),
            (Reached::Stopped { steps, why: w, end }, Lang::En) => format!("{}step {steps} ({})", if end { "end, " } else { "" }, why(w)),
            (Reached::Stopped { steps, why: w, end }, Lang::Zh) => format!("{}第 {steps} 步({})", if end { "结束," } else { "" }, why(w)),
            (Reached::Limit(n), Lang::En) => format!("step {n} (the run goes on; drawn at the step limit)"),
            (Reached::Limit(n), Lang::Zh) => format!("第 {n} 步(运行还在继续;画到步数上限为止)"),
        }
    }
}

impl std::fmt::Display for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.say(Lang::En))
    }
}

impl Captured {
    /// The dashboard showing this moment (see [`dashboard`]).
    pub fn dashboard(&self) -> Dashboard {
        let moment = self.moment.say(self.run.lang);
        let mut dash = dashboard(&self.run, self.model.clone(), &moment);
        dash.status.speed = self.speed;
        if self.note.is_some() {
            dash.figure_note = self.note.clone();
            crate::ui::figure::as_figure(&mut dash, &moment);
        }
        dash
    }
}

/// The dashboard at a captured moment, with only deterministic status:
/// paused (ended if every process has), settled (so a deadlock shows its
/// banner), the model's own time as the elapsed time, no rate, and in the
/// footer the moment (`ticket-race · step 26 · seed 0 · lock=true`) instead
/// of key hints, which mean nothing on paper. Colour always (NO_COLOR is for
/// terminals; the exporters choose the picture's colours).
pub fn dashboard(run: &RunSpec, model: Model, moment: &str) -> Dashboard {
    let mut dash = Dashboard::new(run.lesson.clone(), &run.params, run.seed, run.lang, Theme::colored());
    let ended = !model.processes.is_empty() && model.live().next().is_none();
    dash.status = RunStatus {
        mode: if ended { Mode::Ended } else { Mode::Paused },
        statements: run.statements,
        speed: 1.0,
        elapsed: Duration::from_nanos(model.now_ns),
        rate: 0.0,
        received: model.records,
        dropped: 0,
        corrupt: 0,
        frozen: Default::default(),
        cpu: Default::default(),
        settled: true,
        clock_ns: model.now_ns,
        steps: model.steps,
        follow: None,
        ran_free: moment.starts_with("at "),
        bad: Vec::new(),
        goals: Vec::new(),
    };
    dash.model = model;
    // Goals are won by a student stepping; a snapshot's schedule is the
    // tool's, so a figure shows bad outcomes only.
    (dash.status.bad, dash.status.goals) = dash.verdicts(&run.params, ended, false, None);
    crate::ui::figure::as_figure(&mut dash, moment);
    dash
}

/// The frame of a captured moment.
pub fn draw(shot: &Captured, width: u16, height: u16) -> Buffer {
    crate::ui::figure::frame(&shot.dashboard(), width, height)
}

/// Runs `opts` to `moment` and returns the model then.
pub fn capture(opts: RunOptions, moment: Moment) -> anyhow::Result<Captured> {
    capture_with(opts, moment, Policy::RoundRobin)
}

/// Runs `opts` to `moment`, stepped by `policy` (a recording's schedule:
/// [`Policy::Replay`]; round robin where it has ended), and returns the
/// model then.
pub fn capture_with(mut opts: RunOptions, moment: Moment, mut policy: Policy) -> anyhow::Result<Captured> {
    let stepped = !matches!(moment, Moment::At(_));
    opts.paused = stepped;
    let (info, speed) = (opts.spec.clone(), opts.speed);
    let mut run = Run::start(opts)?;
    let mut model = Model::new();
    let mut records = Vec::new();
    let mut recs = Vec::new();
    // A stepped run is drawn on the virtual clock: step N at N × STEP_NS.
    let feed = |recs: &mut Vec<Record>, model: &mut Model, records: &mut Vec<Record>| {
        for mut r in recs.drain(..) {
            if stepped {
                let step = model.steps + matches!(r.kind, RecordKind::Grant { .. }) as u64;
                r.t_ns = step * STEP_NS;
            }
            model.apply(&r);
            records.push(r);
        }
    };
    let label = match moment {
        Moment::At(d) => {
            let t0 = Instant::now();
            while t0.elapsed() < d && !run.all_ended() {
                if let Some(sig) = crate::sys::stop_requested() {
                    anyhow::bail!("stopped by {}", crate::sys::signal_name(sig));
                }
                run.drain(&mut recs, false);
                feed(&mut recs, &mut model, &mut records);
                std::thread::sleep(Duration::from_millis(1));
            }
            // Hold everyone at the gate so the picture is one consistent moment.
            run.pause();
            run.settle(&mut recs, Duration::from_secs(2));
            feed(&mut recs, &mut model, &mut records);
            Reached::At { secs: d.as_secs_f64(), all_ended: run.all_ended() }
        }
        Moment::Steps(_) | Moment::End => {
            let limit = match moment {
                Moment::Steps(n) => n,
                _ => END_STEP_LIMIT,
            };
            let mut steps = 0u64;
            let why = loop {
                if let Some(sig) = crate::sys::stop_requested() {
                    anyhow::bail!("stopped by {}", crate::sys::signal_name(sig));
                }
                if !run.settle(&mut recs, STEP_LIMIT) {
                    feed(&mut recs, &mut model, &mut records);
                    anyhow::bail!("step {steps} did not finish in {}s (a process runs without reaching an op)", STEP_LIMIT.as_secs());
                }
                feed(&mut recs, &mut model, &mut records);
                if run.all_ended() {
                    break Some(Stop::AllEnded);
                }
                if model.deadlock().is_some() {
                    break Some(Stop::Deadlock);
                }
                if steps >= limit {
                    break None;
                }
                let action = match policy.pick(&run) {
                    // A recording played out: the rest of the run goes round robin.
                    None if matches!(policy, Policy::Replay(_)) => {
                        policy = Policy::RoundRobin;
                        policy.pick(&run)
                    }
                    a => a,
                };
                match action {
                    Some(Action::Step { lane, granularity }) => {
                        if run.statements() != (granularity == 1) {
                            run.set_statements(granularity == 1);
                        }
                        match run.grant(Some(lane)) {
                            Ok(_) => steps += 1,
                            Err(GateError::NotSteppable(..)) => {}
                            Err(e) => anyhow::bail!("{e}"),
                        }
                    }
                    Some(Action::Signal { lane, signal }) => {
                        run.signal(lane, signal);
                        steps += 1;
                    }
                    None => break Some(Stop::NothingSteppable),
                }
            };
            match (moment, why) {
                (Moment::Steps(n), None) => Reached::Step(n),
                (Moment::Steps(_), Some(why)) => Reached::Stopped { steps, why, end: false },
                (_, Some(why)) => Reached::Stopped { steps, why, end: true },
                (_, None) => Reached::Limit(steps),
            }
        }
    };
    drop(run);
    Ok(Captured { model, records, moment: label, run: info, speed, note: None })
}

/// Replaces every maximal run of digits in `text` that is a key of `map`.
fn renumber_text(text: &str, map: &HashMap<i64, i64>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        match digits.parse::<i64>().ok().and_then(|n| map.get(&n)) {
            Some(new) => out.push_str(&new.to_string()),
            None => out.push_str(digits),
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                flush(&mut digits, &mut out);
            }
            out.push(c);
        }
    }
    if !digits.is_empty() {
        flush(&mut digits, &mut out);
    }
    out
}

fn renumber_json(v: &mut serde_json::Value, map: &HashMap<i64, i64>) {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(new) = n.as_i64().and_then(|i| map.get(&i)) {
                *v = (*new).into();
            }
        }
        serde_json::Value::String(s) => *s = renumber_text(s, map),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| renumber_json(x, map)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| renumber_json(x, map)),
        _ => {}
    }
}

/// Stable stand-in pids: the conductor (main's parent) → 1000, lane N → 1000 + N.
pub fn pid_map(model: &Model) -> HashMap<i64, i64> {
    let mut map = HashMap::new();
    for p in model.processes.values() {
        if p.pid > 0 {
            map.insert(p.pid as i64, 1000 + p.lane.0 as i64);
        }
        if p.parent.is_none() && p.ppid > 0 {
            map.insert(p.ppid as i64, 1000);
        }
    }
    map
}

/// Renumbers the pids in `model` (see the module docs).
pub fn renumber_pids(model: &mut Model) {
    let map = pid_map(model);
    let pid = |p: i32| map.get(&(p as i64)).map_or(p, |n| *n as i32);
    for p in model.processes.values_mut() {
        p.pid = pid(p.pid);
        p.ppid = pid(p.ppid);
    }
    for e in &mut model.log {
        e.text = renumber_text(&e.text, &map);
        match &mut e.event {
            Some(LogEvent::Started { pid: p, .. }) => *p = pid(*p),
            Some(LogEvent::Report { value, .. }) => renumber_json(value, &map),
            Some(LogEvent::Finding(said)) => renumber_said(said, &map),
            _ => {}
        }
    }
    for v in model.reported.values_mut() {
        renumber_json(v, &map);
    }
    for f in &mut model.findings {
        renumber_said(&mut f.said, &map);
    }
    let files: BTreeMap<String, _> = std::mem::take(&mut model.files);
    for (k, mut f) in files {
        f.preview = renumber_text(&f.preview, &map);
        model.files.insert(k, f);
    }
    for rs in model.resources.values_mut() {
        rs.text = renumber_text(&rs.text, &map);
        for i in &mut rs.items {
            *i = renumber_text(i, &map);
        }
    }
}

/// Renumbers the pids in the text of `records` (printed lines, reports,
/// errors) as [`renumber_pids`] does in a model; `model` is the run's.
pub fn renumber_records(records: &mut [Record], model: &Model) {
    let map = pid_map(model);
    for r in records {
        match &mut r.kind {
            RecordKind::Print { text, .. } | RecordKind::Stderr { text, .. } | RecordKind::Error { message: text } | RecordKind::Assert { message: text } | RecordKind::Finding { message: text } => *text = renumber_text(text, &map),
            RecordKind::Report { value, .. } => renumber_json(value, &map),
            _ => {}
        }
    }
}

/// The run's own text in a finding, renumbered.
fn renumber_said(said: &mut Said, map: &HashMap<i64, i64>) {
    match said {
        Said::Text(t) | Said::Of { text: t, .. } => *t = renumber_text(t, map),
        Said::EndedHolding { .. } | Said::ReleasedOthers { .. } => {}
    }
}

/// Parses `--size WxH` (columns x rows).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    use crate::ui::dashboard::{MIN_HEIGHT, MIN_WIDTH};
    let bad = || format!("--size {s}: expected COLUMNSxROWS, e.g. 100x30 (columns {MIN_WIDTH}-400, rows {MIN_HEIGHT}-200: the dashboard needs at least {MIN_WIDTH}x{MIN_HEIGHT})");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u16, u16) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if !(MIN_WIDTH..=400).contains(&w) || !(MIN_HEIGHT..=200).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::figure::frame;

    #[test]
    fn only_whole_numbers_that_are_pids_change() {
        let map: HashMap<i64, i64> = [(4242, 1002), (42, 1003)].into_iter().collect();
        assert_eq!(renumber_text("子进程的id=4242 父=42 x424 4242", &map), "子进程的id=1002 父=1003 x424 1002");
        let mut v = serde_json::json!({"pid": 4242, "list": [42, 7], "s": "pid 4242"});
        renumber_json(&mut v, &map);
        assert_eq!(v, serde_json::json!({"pid": 1002, "list": [1003, 7], "s": "pid 1002"}));
    }

    /// The recorded ticket-race run (lock=true, round robin) up to `n` records.
    fn recorded(n: usize) -> (RunSpec, Model) {
        let lesson = scenario::load("ticket-race").unwrap();
        let params = lesson.resolve_params(&["lock=true".into()]).unwrap();
        let run = RunSpec { params, ..RunSpec::of(lesson) };
        let mut model = Model::new();
        let text = include_str!("../tests/fixtures/ticket-race-lock-rr.ndjson");
        for l in text.lines().filter(|l| !l.contains("\"type\":\"summary\"")).take(n) {
            model.apply(&serde_json::from_str::<Record>(l).unwrap());
        }
        (run, model)
    }

    #[test]
    fn the_frame_is_the_dashboard_with_the_moment_instead_of_key_hints() {
        let (run, model) = recorded(60);
        let now = model.now_ns;
        let dash = dashboard(&run, model, "step 12");
        assert_eq!(dash.status.mode, Mode::Paused);
        assert!(dash.status.settled && dash.status.rate == 0.0 && dash.status.clock_ns == now);
        assert_eq!(dash.status.elapsed, Duration::from_nanos(now));
        let lines = crate::ui::common::buffer_lines(&frame(&dash, 100, 30));
        assert!(lines[0].contains("PAUSED") && lines[0].contains("ticket-race"), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("Lock-1")), "{lines:#?}");
        let footer = lines.last().unwrap();
        assert!(footer.contains("ticket-race · step 12 · seed 0 · buyers=10 lock=true tickets=3"), "{footer}");
        assert!(!footer.contains("quit"), "no key hints on paper: {footer}");
    }

    /// A figure has no tool noise (records/s, dropped, key hints) and the
    /// lesson's title and moment in full, at 80 columns too, in both languages.
    #[test]
    fn a_figure_has_the_title_and_moment_in_full_and_no_tool_counters() {
        for lang in [Lang::En, Lang::Zh] {
            let (mut run, model) = recorded(60);
            run.lang = lang;
            let moment = Reached::Step(12).say(lang);
            let dash = dashboard(&run, model, &moment);
            let title = format!("ticket-race — {}", run.lesson.title(lang));
            for (w, h) in [(80, 24), (120, 40)] {
                let lines = crate::ui::common::buffer_lines(&frame(&dash, w, h));
                let (header, footer) = (&lines[0], lines.last().unwrap());
                for noise in ["rec", "/s", "dropped", "条记录", "丢弃"] {
                    assert!(!header.contains(noise), "{noise} in {header}");
                }
                assert!(header.contains(&title), "{w}: the title in full: {header}");
                let want = format!("ticket-race · {moment} · {} 0 · buyers=10 lock=true tickets=3", lang.pick("seed", "种子"));
                assert!(footer.trim_end().ends_with(&want), "{footer}");
            }
        }
    }

    /// The moment a figure shows, in its language.
    #[test]
    fn the_moment_is_said_in_the_figures_language() {
        let end = Reached::Stopped { steps: 12, why: Stop::Deadlock, end: true };
        assert_eq!(end.to_string(), "end, step 12 (deadlock)");
        assert_eq!(end.say(Lang::Zh), "结束,第 12 步(死锁)");
        assert_eq!(Reached::At { secs: 1.0, all_ended: true }.say(Lang::Zh), "第 1.0 秒(全部结束)");
    }

    #[test]
    fn a_run_where_every_process_ended_is_drawn_ended() {
        let (run, model) = recorded(usize::MAX);
        let dash = dashboard(&run, model, "end");
        assert_eq!(dash.status.mode, Mode::Ended);
        assert!(crate::ui::common::buffer_lines(&frame(&dash, 80, 24))[0].contains("ENDED"));
    }

    /// Conditions see the outcome headless names (`completed`, not `ended`);
    /// a figure shows no goal (goals are a student's stepping, not the tool's).
    #[test]
    fn conditions_see_completed_and_figures_show_no_goal() {
        let (mut run, model) = recorded(usize::MAX);
        let when = "outcome == \"completed\"";
        run.lesson.manifest.bad = vec![scenario::BadOutcome { name: String::new(), when: when.into(), message: scenario::Texts { en: "it completed".into(), zh: "完成".into() } }];
        run.lesson.manifest.goals = vec![scenario::Goal { when: when.into(), title: scenario::Texts { en: "finish".into(), zh: "完成".into() }, params: Default::default() }];
        let dash = dashboard(&run, model, "end");
        assert_eq!(dash.status.bad, ["it completed"]);
        assert!(dash.status.goals.is_empty(), "{:?}", dash.status.goals);
        let text = crate::ui::common::buffer_lines(&frame(&dash, 80, 24)).join("\n");
        assert!(!text.contains("GOAL"), "{text}");
        // Stepped on screen, the same run reaches the goal.
        assert_eq!(dash.verdicts(&run.params, true, true, None).1, ["finish"]);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100x30"), Ok((100, 30)));
        assert_eq!(parse_size("80X24"), Ok((80, 24)));
        assert!(parse_size("79x30").is_err(), "narrower than the dashboard");
        assert!(parse_size("100x23").is_err(), "shorter than the dashboard");
        assert!(parse_size("100").is_err());
        assert!(parse_size("axb").is_err());
    }
}
