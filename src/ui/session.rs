//! A live lesson on the dashboard: the [`Run`] (kept on the UI thread: it is
//! not `Send`) and the [`Dashboard`] it feeds. [`Session::tick`] drains the
//! run's records into the model and updates the run status; the intent
//! methods (pause, step, join, signals, restart, speed) act on the run.
//!
//! A step never blocks the UI: the grant is given, and each tick checks
//! whether the run is quiescent again (the header shows `STEP n…` meanwhile).
//! A join resumes the run and pauses it again when the model sees the
//! process end.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::conductor::{Run, RunOptions};
use crate::model::{PState, Record};
use crate::scenario::Lesson;

use super::state::{Dashboard, Mode, Tone};
use super::text::Lang;
use super::theme::Theme;

/// Fastest and slowest sleep speeds `+` and `-` reach.
const SPEED_RANGE: (f64, f64) = (1.0 / 16.0, 64.0);

/// Records per second over the last second.
#[derive(Debug, Default)]
struct RateMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    fn add(&mut self, now: Instant, n: u64) {
        self.samples.push_back((now, n));
        while self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(1)) {
            self.samples.pop_front();
        }
    }

    fn rate(&self) -> f64 {
        self.samples.iter().map(|(_, n)| *n).sum::<u64>() as f64
    }
}

/// A step in flight.
#[derive(Debug, Clone, Copy)]
struct Step {
    n: u64,
    since: Instant,
}

/// A live run on the dashboard.
pub struct Session {
    run: Run,
    options: RunOptions,
    pub dash: Dashboard,
    recs: Vec<Record>,
    step: Option<Step>,
    steps: u64,
    join: Option<u32>,
    rate: RateMeter,
    /// When the run ended (the clock stops there).
    ended_at: Option<Duration>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("run", &self.run).field("steps", &self.steps).finish()
    }
}

impl Session {
    /// Starts `lesson` with `options` and a dashboard for it.
    pub fn start(lesson: Lesson, options: RunOptions, lang: Lang, theme: Theme) -> anyhow::Result<Session> {
        let run = Run::start(options.clone())?;
        let dash = Dashboard::new(lesson, &options.params, options.seed, lang, theme);
        let mut s = Session { run, options, dash, recs: Vec::new(), step: None, steps: 0, join: None, rate: RateMeter::default(), ended_at: None };
        s.update_status();
        Ok(s)
    }

    pub fn is_paused(&self) -> bool {
        self.run.is_paused()
    }

    /// The run is doing something that the screen should follow closely.
    pub fn is_busy(&self) -> bool {
        self.ended_at.is_none() && (!self.run.is_paused() || self.step.is_some())
    }

    pub fn is_stepping(&self) -> bool {
        self.step.is_some()
    }

    /// Drains records into the model and refreshes the status; true if
    /// anything on screen may have changed.
    pub fn tick(&mut self) -> bool {
        let before = (self.dash.model.records, self.dash.status.mode, self.dash.status.settled);
        let ended = self.run.all_ended();
        let quiet = ended || (self.run.is_paused() && self.run.quiescent());
        // Everything published can be released in order once nothing is in flight.
        self.run.drain(&mut self.recs, quiet);
        let n = self.recs.len() as u64;
        for r in self.recs.drain(..) {
            self.dash.model.apply(&r);
        }
        self.rate.add(Instant::now(), n);
        if let Some(step) = self.step {
            if quiet {
                self.step = None;
                self.dash.say(format!("{} {} {}", self.dash.lang.pick("step", "第"), step.n, self.dash.lang.pick("done", "步完成")), Tone::Info);
            } else if step.since.elapsed() > crate::conductor::schedule::STEP_LIMIT {
                self.step = None;
                let msg = self.dash.lang.pick("the step did not finish: a process runs without reaching an op (space resumes, t/k end it)", "这一步没有结束:某个进程一直没有到达下一个操作(空格继续,t/k 结束它)");
                self.dash.say(msg, Tone::Bad);
            }
        }
        if let Some(lane) = self.join
            && let Some(p) = self.dash.model.processes.get(&lane).filter(|p| !p.state.is_live())
        {
            let (name, state) = (p.name.clone(), p.state);
            self.join = None;
            self.run.pause();
            self.say_exit(&name, state);
        }
        if ended && self.ended_at.is_none() {
            self.ended_at = Some(self.run.elapsed());
            self.join = None;
        }
        self.update_status();
        before != (self.dash.model.records, self.dash.status.mode, self.dash.status.settled)
    }

    fn say_exit(&mut self, name: &str, state: PState) {
        let l = self.dash.lang;
        let (text, tone) = match state {
            PState::Exited(c) => (format!("{name} {} {c}", l.pick("exited with code", "已结束,退出码")), if c == 0 { Tone::Good } else { Tone::Bad }),
            PState::Killed(s) => (format!("{name} {} {} (exitcode -{s})", l.pick("was killed by", "被信号杀死:"), crate::sys::signal_name(s)), Tone::Bad),
            _ => return,
        };
        self.dash.say(text, tone);
    }

    fn update_status(&mut self) {
        let paused = self.run.is_paused();
        let st = &mut self.dash.status;
        st.mode = match (self.ended_at, self.step, self.join) {
            (Some(_), _, _) => Mode::Ended,
            (None, Some(s), _) => Mode::Stepping { n: s.n },
            (None, None, Some(lane)) => Mode::Joining { lane },
            (None, None, None) if paused => Mode::Paused,
            _ => Mode::Running,
        };
        st.statements = self.run.statements();
        st.speed = self.run.speed();
        st.elapsed = self.ended_at.unwrap_or_else(|| self.run.elapsed());
        st.rate = self.rate.rate();
        let stats = self.run.stats();
        st.received = stats.received;
        st.dropped = stats.dropped;
        st.corrupt = stats.corrupt;
        st.frozen = self.dash.model.processes.keys().copied().filter(|l| self.run.is_frozen(*l)).collect::<BTreeSet<u32>>();
        st.settled = self.step.is_none() && (self.ended_at.is_some() || self.run.quiescent());
        // The timeline's right edge: the run's clock while it runs; paused
        // (or ended) it stands still, and moves only with the records of steps.
        let running = matches!(st.mode, Mode::Running | Mode::Joining { .. });
        if running {
            st.clock_ns = st.clock_ns.max(st.elapsed.as_nanos() as u64);
        }
        st.clock_ns = st.clock_ns.max(self.dash.model.now_ns);
    }

    fn selected(&self) -> Option<(u32, String)> {
        let lane = self.dash.selected_lane()?;
        Some((lane, self.dash.model.pname(lane)))
    }

    // ── intents ─────────────────────────────────────────────────────────

    pub fn toggle_pause(&mut self) {
        let l = self.dash.lang;
        if self.join.take().is_some() {
            self.run.pause();
            self.dash.say(l.pick("join cancelled; paused", "已取消 join;已暂停"), Tone::Info);
        } else if self.run.is_paused() {
            self.step = None;
            self.run.resume();
            self.dash.say(l.pick("running", "运行中"), Tone::Info);
        } else {
            self.run.pause();
            self.dash.say(l.pick("paused: n steps the next ready process, s the selected one", "已暂停:n 单步下一个就绪进程,s 单步选中的进程"), Tone::Info);
        }
        self.update_status();
    }

    /// One step of `lane`, or of the next ready process (`None`).
    pub fn step(&mut self, lane: Option<u32>) {
        let l = self.dash.lang;
        if self.ended_at.is_some() {
            self.dash.say(l.pick("every process has ended: r restarts the lesson", "所有进程都已结束:r 重新开始"), Tone::Info);
            return;
        }
        if !self.run.is_paused() {
            self.join = None;
            self.run.pause();
            self.dash.say(l.pick("paused; press again to step", "已暂停;再按一次单步"), Tone::Info);
            self.update_status();
            return;
        }
        if let Some(s) = self.step {
            self.dash.say(format!("{} {} {}", l.pick("step", "第"), s.n, l.pick("is still under way", "步还在进行")), Tone::Info);
            return;
        }
        // With nothing ready, the next step lets the earliest timed wait expire.
        let lane = match lane {
            Some(x) => Some(x),
            None => crate::conductor::schedule::next_steppable(&self.run),
        };
        let Some(lane) = lane else {
            self.dash.say(l.pick("no process can be stepped: all are blocked, frozen or ended", "没有可以单步的进程:都在阻塞、冻结或已结束"), Tone::Bad);
            return;
        };
        match self.run.grant(Some(lane)) {
            Ok(_) => {
                self.steps += 1;
                self.step = Some(Step { n: self.steps, since: Instant::now() });
                self.dash.view.message = None;
            }
            Err(e) => self.dash.say(e.to_string(), Tone::Bad),
        }
        self.update_status();
    }

    pub fn step_selected(&mut self) {
        match self.selected() {
            Some((lane, _)) => self.step(Some(lane)),
            None => self.step(None),
        }
    }

    pub fn toggle_statements(&mut self) {
        let on = !self.run.statements();
        self.run.set_statements(on);
        let l = self.dash.lang;
        self.dash.say(if on { l.pick("steps are now one script statement", "现在每步是一条语句") } else { l.pick("steps are now one op (an API call)", "现在每步是一个操作(一次 API 调用)") }, Tone::Info);
        self.update_status();
    }

    /// Sends SIGTERM or SIGKILL to the selected process.
    pub fn signal(&mut self, sig: i32) {
        let Some((lane, name)) = self.selected() else { return };
        let l = self.dash.lang;
        let sname = crate::sys::signal_name(sig);
        if self.run.signal(lane, sig) {
            self.dash.say(format!("{} {sname} {} {name}", l.pick("sent", "已发送"), l.pick("to", "给")), Tone::Info);
        } else {
            self.dash.say(format!("{name} {}", l.pick("has already ended", "已经结束了")), Tone::Bad);
        }
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the selected process.
    pub fn toggle_freeze(&mut self) {
        let Some((lane, name)) = self.selected() else { return };
        let l = self.dash.lang;
        let on = !self.run.is_frozen(lane);
        if self.run.freeze(lane, on) {
            self.dash.say(format!("{name} {}", if on { l.pick("frozen (SIGSTOP): z thaws it", "已冻结(SIGSTOP):z 解冻") } else { l.pick("thawed (SIGCONT)", "已解冻(SIGCONT)") }), Tone::Info);
        } else {
            self.dash.say(format!("{name} {}", l.pick("has already ended", "已经结束了")), Tone::Bad);
        }
        self.update_status();
    }

    /// Runs until the selected process ends, then pauses and shows its exit code.
    pub fn join_selected(&mut self) {
        let Some((lane, name)) = self.selected() else { return };
        if let Some(p) = self.dash.model.processes.get(&lane).filter(|p| !p.state.is_live()) {
            let state = p.state;
            self.say_exit(&name, state);
            return;
        }
        self.join = Some(lane);
        self.step = None;
        if self.run.is_paused() {
            self.run.resume();
        }
        let l = self.dash.lang;
        self.dash.say(format!("{} {name} {}", l.pick("running until", "运行到"), l.pick("ends (space cancels)", "结束为止(空格取消)")), Tone::Info);
        self.update_status();
    }

    /// Speeds sleeps up (`up`) or down by two.
    pub fn change_speed(&mut self, up: bool) {
        let s = self.run.speed();
        let s = if up { s * 2.0 } else { s / 2.0 }.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
        self.run.set_speed(s);
        self.options.speed = s;
        let l = self.dash.lang;
        self.dash.say(format!("{} {}", l.pick("sleep speed", "sleep 速度"), super::header::speed_label(s)), Tone::Info);
        self.update_status();
    }

    /// Ends this run and starts the lesson again with the same seed and
    /// parameters, paused if this one is paused.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let mut options = self.options.clone();
        options.paused = if self.ended_at.is_some() { self.options.paused } else { self.run.is_paused() };
        options.statements = self.run.statements();
        options.speed = self.run.speed();
        options.lang = self.dash.lang.code().to_string();
        self.run.shutdown();
        self.run = Run::start(options.clone())?;
        self.options = options;
        self.dash.reset();
        self.recs.clear();
        self.step = None;
        self.steps = 0;
        self.join = None;
        self.ended_at = None;
        self.rate = RateMeter::default();
        let l = self.dash.lang;
        self.dash.say(format!("{} (seed {})", l.pick("restarted", "已重新开始"), self.options.seed), Tone::Info);
        self.update_status();
        Ok(())
    }

    /// Ends every process and cleans up (also done when the session drops).
    pub fn shutdown(&mut self) {
        self.run.shutdown();
    }
}
