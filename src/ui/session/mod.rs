//! A live lesson on the dashboard: the [`Run`] (kept on the UI thread: it is
//! not `Send`) and the [`Dashboard`] it feeds. [`Session::tick`] drains the
//! run's records into the model and updates the run status; the intent
//! methods (pause, step, join, signals, restart, speed) act on the run.
//!
//! A step never blocks the UI: the grant is given, and each tick checks
//! whether the run is quiescent again (the header shows `STEP n…` meanwhile).
//! A join resumes the run and pauses it again when the model sees the
//! process end.
//!
//! **Steps, rewind and replay.** Every gate action of the run (a step, or a
//! signal the user sent) counts as one step; the header shows the count.
//! `b` rewinds one step: the lesson is started again, paused, with the same
//! seed and parameters, and the run's own schedule minus its last action is
//! granted again, one action at a time as each settles (a [`Follow`]), so the
//! state reached is the state the run had then — real processes, not a saved
//! picture. A run that ran freely has no schedule of grants: its schedule is
//! rebuilt from its records (as `--record` does for free runs), so rewinding
//! after running freely lands on the op-by-op interleaving the free run took.
//! `forkscope replay FILE` opens a session that follows the recording: `n`
//! performs its next action, space plays the rest, and the header says where
//! in the recording the run is.
//!
//! Files: `follow` (replays and rewinds), `typing` (a line for `input()`),
//! `clock` (the time the screen shows, the record rate); this file starts,
//! ticks and steers the run.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::conductor::{Action, GateError, Run, RunOptions};
use crate::model::{PState, Record};
use crate::recording::Recording;
use crate::vocab::Lane;

mod clock;
mod follow;
mod typing;

use clock::{RateMeter, ScreenClock, StepTimes};
pub use follow::Follow;
use follow::PLAY_PACE;

/// Most records one tick takes from the run (a flood of output is shown
/// over several frames, never freezing one; the writers wait meanwhile).
const DRAIN_BUDGET: usize = 100_000;

use super::state::{Dashboard, Mode, Tone};
use super::text::Lang;
use super::theme::Theme;

/// Fastest and slowest sleep speeds `+` and `-` reach.
const SPEED_RANGE: (f64, f64) = (1.0 / 16.0, 64.0);

/// A step in flight.
#[derive(Debug, Clone, Copy)]
struct Step {
    n: u64,
    since: Instant,
}

/// Most records a session keeps to rebuild a free run's schedule (for `b`
/// and `--record`); a longer free run can no longer be rewound.
pub const HISTORY_MAX: usize = 100_000;

/// A live run on the dashboard.
pub struct Session {
    run: Run,
    options: RunOptions,
    pub dash: Dashboard,
    recs: Vec<Record>,
    step: Option<Step>,
    /// Gate actions performed in this run (steps and signals): where the run is.
    steps: u64,
    join: Option<Lane>,
    rate: RateMeter,
    /// When the run ended (the clock stops there).
    ended_at: Option<Duration>,
    /// Every record of this run, while there are at most [`HISTORY_MAX`].
    history: Vec<Record>,
    history_full: bool,
    /// The run went without the gate at some point (started running, resumed, joined).
    ran_free: bool,
    /// A rewind from a run that went free: how many ops it had (they are
    /// steps now), to say where `b` lands.
    free_ops: Option<usize>,
    /// The clock the screen shows (timeline, log times, header time).
    clock: ScreenClock,
    /// A rewind of a run that went free: the time each of its steps had.
    step_times: StepTimes,
    follow: Option<Follow>,
    /// A line being typed for a process waiting in `input()`: its lane, its
    /// name, the text so far.
    pub typing: Option<(Lane, String, String)>,
    /// The schedule is a tool's (a replay of explore's counterexample): it
    /// wins no goal, which are for a student stepping (until `r`).
    tools_schedule: bool,
    /// When the rewind under way was asked for (`b`).
    rewind_since: Option<std::time::Instant>,
    /// How long each rewind took, from the key to the step it went back to
    /// (seconds; for `FORKSCOPE_UI_STATS` and `cargo bench --bench render`).
    pub rewind_secs: Vec<f64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("run", &self.run).field("steps", &self.steps).finish()
    }
}

impl Session {
    /// Starts the run `options` start, and a dashboard for it.
    pub fn start(options: RunOptions, theme: Theme) -> anyhow::Result<Session> {
        let mut run = Run::start(options.clone())?;
        run.set_drain_budget(DRAIN_BUDGET);
        let spec = &options.spec;
        let dash = Dashboard::new(spec.lesson.clone(), &spec.params, spec.seed, spec.lang, theme);
        let ran_free = !options.paused;
        let mut s = Session {
            run,
            options,
            dash,
            recs: Vec::new(),
            step: None,
            steps: 0,
            join: None,
            rate: RateMeter::default(),
            ended_at: None,
            history: Vec::new(),
            history_full: false,
            ran_free,
            free_ops: None,
            clock: ScreenClock::default(),
            step_times: StepTimes::default(),
            follow: None,
            typing: None,
            tools_schedule: false,
            rewind_since: None,
            rewind_secs: Vec::new(),
        };
        s.update_status();
        Ok(s)
    }

    /// A session that replays `rec`: started paused, `n` performs the
    /// recording's next action, space plays the rest.
    pub fn replay(rec: &Recording, lang: Lang, theme: Theme) -> anyhow::Result<Session> {
        let mut s = Session::start(rec.run_options(lang)?, theme)?;
        s.follow = Some(Follow { plan: rec.actions.clone(), next: 0, auto_until: 0, replay: true, playing: None });
        // Rebuilt from a free run: nobody stepped it, so it wins no goal.
        s.ran_free = rec.reconstructed;
        s.dash.figure_note = rec.figure_note();
        s.tools_schedule = s.dash.figure_note.is_some();
        let l = lang;
        let how = if rec.reconstructed { l.pick(", rebuilt from a free run", ",由自由运行重建") } else { "" };
        s.dash.say(format!("{} {} {}{how}: {}", l.pick("replaying", "回放"), rec.actions.len(), l.pick("recorded steps", "个记录的步骤"), l.pick("n steps through them, space plays them, b steps back", "n 逐步执行,空格自动播放,b 后退一步")), Tone::Info);
        s.update_status();
        Ok(s)
    }

    /// How the run was started (lesson origin, parameters, seed).
    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// Gate actions performed so far in this run.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// What the session follows (a replay or a rewind), if anything.
    pub fn follow(&self) -> Option<&Follow> {
        self.follow.as_ref()
    }

    /// The schedule that reproduces this run so far: its gate actions if it
    /// was only ever stepped, else rebuilt from its records. `None` if a free
    /// run was too long to keep.
    pub fn schedule_so_far(&self) -> Option<Vec<Action>> {
        if !self.ran_free {
            return Some(self.run.schedule().to_vec());
        }
        if self.history_full {
            return None;
        }
        Some(crate::recording::actions_from_records(&self.history))
    }

    /// The run as a recording (`--record` in the dashboard), or why not.
    pub fn recording(&self, note: &str) -> Result<Recording, String> {
        let Some(actions) = self.schedule_so_far() else {
            return Err(format!("the run had more than {HISTORY_MAX} records: too long to record"));
        };
        Ok(Recording::of_actions(&self.options.spec, actions, self.ran_free, &self.history, None, note))
    }

    pub fn is_paused(&self) -> bool {
        self.run.is_paused()
    }

    /// The run is doing something that the screen should follow closely.
    pub fn is_busy(&self) -> bool {
        self.ended_at.is_none() && (!self.run.is_paused() || self.step.is_some())
    }

    /// The run alone is quiescent (see [`Run::quiescent`]), whether or not
    /// the dashboard has drawn its last records yet (tests wait on it).
    #[doc(hidden)]
    pub fn run_quiescent(&self) -> bool {
        self.run.quiescent()
    }

    /// A step is under way, or a rewind is granting the schedule again
    /// (its next step is due as soon as the last one settled, or its run's
    /// main has parked): the dashboard looks again within milliseconds.
    pub fn is_stepping(&self) -> bool {
        self.step.is_some() || self.follow.as_ref().is_some_and(|f| f.rewinding())
    }

    /// Drains records into the model and refreshes the status; true if
    /// anything on screen may have changed.
    pub fn tick(&mut self) -> bool {
        // The line being typed stays in the footer, whatever else was said.
        if self.typing.is_some() {
            let lane = self.typing.as_ref().map(|t| t.0);
            if lane.is_some_and(|l| !self.run.waiting_for_input().contains(&l)) {
                self.typing = None;
            } else {
                self.show_typing();
            }
        }
        let before = (self.dash.model.records, self.dash.status.mode, self.dash.status.settled);
        let ended = self.run.all_ended();
        let quiet = ended || (self.run.is_paused() && self.run.quiescent());
        // Everything published can be released in order once nothing is in flight.
        self.run.drain(&mut self.recs, quiet);
        self.absorb();
        self.dash.follow_selection(Instant::now());
        if let Some(step) = self.step {
            if quiet {
                self.step = None;
                // The mark of the step that completed a counterexample's conflict stays until a key.
                let marked = self.dash.view.message.as_ref().is_some_and(|(m, tone)| *tone == Tone::Bad && m.starts_with('⚑'));
                if !self.follow.as_ref().is_some_and(|f| f.rewinding()) && !marked {
                    self.dash.say(format!("{} {} {}", self.dash.lang.pick("step", "第"), step.n, self.dash.lang.pick("done", "步完成")), Tone::Info);
                }
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
            // What the footer said of the run ("running", "step 3 done") is
            // over; an exit code or a goal stays.
            if self.dash.view.message.as_ref().is_none_or(|(_, tone)| *tone == Tone::Info) {
                let l = self.dash.lang;
                self.dash.say(l.pick("every process has ended: r restarts the lesson, b steps back", "所有进程都已结束:r 重新开始,b 后退一步"), Tone::Info);
            }
            // A replay that has played out is over.
            if let Some(f) = self.follow.as_mut() {
                f.playing = None;
                if f.next >= f.plan.len() {
                    self.follow = None;
                }
            }
        }
        self.follow_on();
        self.update_status();
        // A join that can never end stops, and says why.
        if let Some(lane) = self.join
            && let Some(msg) = self.cannot_end(lane, &self.dash.model.pname(lane))
        {
            self.join = None;
            self.run.pause();
            self.dash.say(format!("{msg}{}", self.dash.lang.pick("; join stopped (k kills it)", ";已停止 join(k 杀死它)")), Tone::Bad);
            self.update_status();
        }
        if self.dash.status.settled && before.0 != self.dash.model.records {
            self.check_goals();
        }
        before != (self.dash.model.records, self.dash.status.mode, self.dash.status.settled)
    }

    /// Feeds drained records to the model and keeps them for the schedule.
    fn absorb(&mut self) {
        let n = self.recs.len() as u64;
        let step_ns = super::common::timeline_tick_ns(self.run.speed());
        self.clock.follow(!self.run.is_paused(), self.run.elapsed().as_nanos() as u64);
        for r in self.recs.drain(..) {
            // The model sees screen time; the history keeps the run's own.
            let shown = Record { t_ns: self.clock.place(&r, step_ns, &self.step_times), ..r.clone() };
            self.dash.model.apply(&shown);
            if self.history.len() < HISTORY_MAX {
                self.history.push(r);
            } else {
                self.history_full = true;
            }
        }
        self.rate.add(Instant::now(), n);
    }

    /// The viewer switched language (`L`): the goals reached and the bad
    /// outcomes, which are the manifest's words, are said again in it; a
    /// message on screen in the other language goes.
    pub fn relanguage(&mut self) {
        let (bad, reached) = self.dash.verdicts(&self.options.spec.params, self.ended_at.is_some(), !self.ran_free && !self.tools_schedule, Some(self.run.workdir()));
        self.dash.status.bad = bad;
        if reached.len() == self.dash.status.goals.len() {
            self.dash.status.goals = reached;
        }
        self.dash.view.message = None;
    }

    /// Announces goals of the lesson that the run has now reached.
    fn check_goals(&mut self) {
        let (bad, reached) = self.dash.verdicts(&self.options.spec.params, self.ended_at.is_some(), !self.ran_free && !self.tools_schedule, Some(self.run.workdir()));
        self.dash.status.bad = bad;
        for title in reached {
            if !self.dash.status.goals.contains(&title) {
                let l = self.dash.lang;
                self.dash.say(format!("★ {} {title} ({} {})", l.pick("Goal reached:", "挑战完成:"), l.pick("in", "用了"), format_steps(self.steps, l)), Tone::Good);
                self.dash.status.goals.push(title);
            }
        }
    }

    /// Why a step of `lane` was refused, in the viewer's language: the
    /// conductor's reason in English, in Chinese the process's state as the
    /// model shows it.
    fn gate_error(&self, e: &GateError, lane: Lane) -> String {
        let l = self.dash.lang;
        if l == Lang::En {
            return e.to_string();
        }
        match e {
            GateError::NotPaused => "运行没有暂停".into(),
            GateError::NothingReady => "没有就绪的进程可以单步".into(),
            GateError::NotSteppable(name, _) => {
                let why = match self.dash.model.processes.get(&lane) {
                    _ if self.dash.status.frozen.contains(&lane) => "已冻结".to_string(),
                    Some(p) => crate::words::state(p.state, l),
                    None => "没有这个进程".to_string(),
                };
                format!("{name} 现在不能单步({why})")
            }
        }
    }

    fn say_exit(&mut self, name: &str, state: PState) {
        let l = self.dash.lang;
        let (text, tone) = match state {
            PState::Exited(c) => (format!("{name} {} {c}", l.pick("exited with code", "已结束,退出码")), if c == 0 { Tone::Good } else { Tone::Bad }),
            PState::Killed(s) => (
                match l {
                    Lang::En => format!("{name} was killed by {} (exitcode -{s})", crate::sys::signal_name(s)),
                    Lang::Zh => format!("{name} 被 {} 杀死(退出码 -{s})", crate::sys::signal_name(s)),
                },
                Tone::Bad,
            ),
            _ => return,
        };
        self.dash.say(text, tone);
    }

    fn update_status(&mut self) {
        let paused = self.run.is_paused();
        let pace_ms = self.play_pace().as_millis() as u64;
        let st = &mut self.dash.status;
        st.mode = match (self.ended_at, self.step, self.join) {
            (Some(_), _, _) => Mode::Ended,
            (None, Some(s), _) => Mode::Stepping { n: s.n },
            (None, None, Some(lane)) => Mode::Joining { lane },
            (None, None, None) if paused => Mode::Paused,
            _ => Mode::Running,
        };
        st.steps = self.steps;
        st.ran_free = self.ran_free;
        st.follow = self.follow.as_ref().map(|f| super::state::FollowStatus { next: f.next, total: f.plan.len(), target: f.auto_until, replay: f.replay, playing: f.playing.is_some(), pace_ms });
        st.statements = self.run.statements();
        st.speed = self.run.speed();
        self.clock.follow(!self.run.is_paused(), self.run.elapsed().as_nanos() as u64);
        st.elapsed = match self.ended_at {
            Some(_) => Duration::from_nanos(st.clock_ns.max(self.dash.model.now_ns)),
            None => Duration::from_nanos(self.clock.now(self.run.elapsed().as_nanos() as u64).max(self.dash.model.now_ns)),
        };
        st.rate = self.rate.rate();
        let stats = self.run.stats();
        st.received = stats.received;
        st.dropped = stats.dropped;
        st.corrupt = stats.corrupt;
        st.frozen = self.dash.model.processes.keys().copied().filter(|l| self.run.is_frozen(*l)).collect::<BTreeSet<Lane>>();
        st.cpu = self.run.cpu_percent(self.dash.model.live().map(|p| p.lane));
        // Quiet now, and the model has every record: a process killed
        // between the last drain and now is quiet but its end not yet drawn.
        st.settled = self.step.is_none() && (self.ended_at.is_some() || (self.run.quiescent() && self.run.caught_up()));
        // The timeline's right edge: the run's clock while it runs; paused
        // (or ended) it stands still, and moves only with the records of steps.
        let running = matches!(st.mode, Mode::Running | Mode::Joining { .. });
        if running {
            st.clock_ns = st.clock_ns.max(st.elapsed.as_nanos() as u64);
        }
        st.clock_ns = st.clock_ns.max(self.dash.model.now_ns);
        st.elapsed = st.elapsed.max(Duration::from_nanos(st.clock_ns));
    }

    /// The selected process; if the one chosen is not in this run, the
    /// footer says so and there is none (no other process is acted on).
    fn selected(&mut self) -> Option<(Lane, String)> {
        let Some(lane) = self.dash.selected_lane() else {
            self.dash.say_missing();
            return None;
        };
        Some((lane, self.dash.model.pname(lane)))
    }

    // ── intents ─────────────────────────────────────────────────────────

    pub fn toggle_pause(&mut self) {
        let l = self.dash.lang;
        if let Some(f) = self.follow.as_mut().filter(|f| f.replay && !f.rewinding() && f.next < f.plan.len()) {
            // A replay plays (or stops playing) its recorded steps.
            if f.playing.take().is_some() {
                self.dash.say(l.pick("replay paused: n steps, space plays on", "回放已暂停:n 单步,空格继续播放"), Tone::Info);
            } else {
                f.playing = Some(Instant::now().checked_sub(PLAY_PACE * 64).unwrap_or_else(Instant::now));
                let pace = self.play_pace().as_secs_f64();
                self.dash.say(match l {
                    Lang::En => format!("playing the recording: a step every {pace} s (+ faster, - slower, space stops)"),
                    Lang::Zh => format!("正在播放记录:每 {pace} 秒一步(+ 加快,- 减慢,空格停止)"),
                }, Tone::Info);
            }
            self.update_status();
            return;
        }
        if self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            return;
        }
        if self.join.take().is_some() {
            self.run.pause();
            self.dash.say(l.pick("join cancelled; paused", "已取消 join;已暂停"), Tone::Info);
        } else if self.run.is_paused() {
            self.step = None;
            self.leave_recording();
            self.ran_free = true;
            self.run.resume();
            self.dash.say(l.pick("running", "运行中"), Tone::Info);
        } else {
            self.run.pause();
            self.dash.say(l.pick("paused: n steps the next ready process, s the selected one", "已暂停:n 单步下一个就绪进程,s 单步选中的进程"), Tone::Info);
        }
        self.update_status();
    }

    /// One step of `lane`, or of the next ready process (`None`).
    pub fn step(&mut self, lane: Option<Lane>) {
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
        if self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            return;
        }
        if let Some(f) = self.follow.as_mut().filter(|f| f.replay && f.next < f.plan.len()) {
            let recorded = match f.plan[f.next] {
                Action::Step { lane, .. } => Some(lane),
                Action::Signal { .. } => None,
            };
            if lane.is_none() || lane == recorded {
                f.playing = None;
                self.follow_next();
                self.dash.view.message = None;
                self.update_status();
                return;
            }
            self.leave_recording();
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
            Err(e) => self.dash.say(self.gate_error(&e, lane), Tone::Bad),
        }
        self.update_status();
    }

    /// Ends this run and starts `options` in its place, keeping the view.
    fn fresh_run(&mut self, options: RunOptions) -> anyhow::Result<()> {
        self.run.shutdown();
        self.run = Run::start(options.clone())?;
        self.run.set_drain_budget(DRAIN_BUDGET);
        // The options the run started with (rewinds and recordings start from them).
        self.options.speed = options.speed;
        self.options.spec.lang = options.spec.lang;
        self.dash.reset();
        self.recs.clear();
        self.history.clear();
        self.history_full = false;
        self.ran_free = !options.paused;
        self.step = None;
        self.steps = 0;
        self.join = None;
        self.ended_at = None;
        self.follow = None;
        self.clock = ScreenClock::default();
        self.rate = RateMeter::default();
        Ok(())
    }

    pub fn step_selected(&mut self) {
        if self.dash.missing_selection().is_some() {
            self.dash.say_missing();
            return;
        }
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
        if self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            return;
        }
        let key = if sig == libc::SIGKILL { 'k' } else { 't' };
        let what = format!("{sname} {} {name}", l.pick("to", "给"));
        if !self.dash.confirm_target(key, lane, &what, Instant::now()) {
            return;
        }
        self.leave_recording();
        if self.run.signal(lane, sig) {
            self.steps += 1;
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
        let what = format!("{} {name}", if on { l.pick("SIGSTOP (freeze)", "SIGSTOP(冻结)") } else { l.pick("SIGCONT (thaw)", "SIGCONT(解冻)") });
        if !self.dash.confirm_target('z', lane, &what, Instant::now()) {
            return;
        }
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
        if self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            return;
        }
        if let Some(msg) = self.cannot_end(lane, &name) {
            let l = self.dash.lang;
            self.dash.say(format!("{msg}{}", l.pick("; a join would wait for ever (k kills it)", ";join 会永远等下去(k 杀死它)")), Tone::Bad);
            return;
        }
        if self.run.is_frozen(lane) {
            let l = self.dash.lang;
            let msg = match l {
                Lang::En => format!("{name} is frozen (SIGSTOP): it cannot end, a join would wait for ever; z thaws it"),
                Lang::Zh => format!("{name} 已被冻结(SIGSTOP):它无法结束,join 会永远等下去;按 z 解冻"),
            };
            self.dash.say(msg, Tone::Bad);
            return;
        }
        self.leave_recording();
        self.join = Some(lane);
        self.step = None;
        if self.run.is_paused() {
            self.ran_free = true;
            self.run.resume();
        }
        let l = self.dash.lang;
        self.dash.say(format!("{} {name} {}", l.pick("running until", "运行到"), l.pick("ends (space cancels)", "结束为止(空格取消)")), Tone::Info);
        self.update_status();
    }

    /// Why process `lane` cannot end by itself, if the run has settled in a
    /// deadlock or stall: a join of it would wait for ever.
    fn cannot_end(&self, lane: Lane, name: &str) -> Option<String> {
        let d = self.dash.deadlock()?;
        let l = self.dash.lang;
        let how = match (d.kind.as_str(), d.processes.contains(&lane)) {
            ("cycle", true) => l.pick("it is in a deadlock", "它处在死锁中"),
            ("cycle", false) => l.pick("it waits on a deadlock", "它在等待一个死锁"),
            _ => l.pick("every process left is blocked and nothing can wake one", "剩下的进程都阻塞了,没有谁能唤醒它们"),
        };
        Some(match l {
            Lang::En => format!("{name} cannot end: {how}"),
            Lang::Zh => format!("{name} 无法结束:{how}"),
        })
    }

    /// Speeds sleeps up (`up`) or down by two.
    pub fn change_speed(&mut self, up: bool) {
        let s = self.run.speed();
        let s = if up { s * 2.0 } else { s / 2.0 }.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
        self.run.set_speed(s);
        self.options.speed = s;
        let l = self.dash.lang;
        if self.follow.as_ref().is_some_and(|f| f.replay) {
            // A replay steps: its sleeps take no time, its pace is what changes.
            let pace = self.play_pace().as_secs_f64();
            self.dash.say(match l {
                Lang::En => format!("replay pace: a step every {pace} s when space plays it (+ faster, - slower)"),
                Lang::Zh => format!("回放速度:空格播放时每 {pace} 秒一步(+ 加快,- 减慢)"),
            }, Tone::Info);
        } else {
            self.dash.say(format!("{} {}", l.pick("sleep speed", "sleep 速度"), crate::ui::panes::header::speed_label(s)), Tone::Info);
        }
        self.update_status();
    }

    /// Ends this run and starts the lesson again with the same seed and
    /// parameters, paused if this one is paused.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let mut options = self.options.clone();
        options.paused = if self.ended_at.is_some() { self.options.paused } else { self.run.is_paused() };
        options.spec.statements = self.run.statements();
        options.speed = self.run.speed();
        options.spec.lang = self.dash.lang;
        self.fresh_run(options.clone())?;
        self.step_times = StepTimes::default();
        self.options = options;
        self.tools_schedule = false;
        let l = self.dash.lang;
        self.dash.say(format!("{} ({} {})", l.pick("restarted", "已重新开始"), l.pick("seed", "种子"), self.options.spec.seed), Tone::Info);
        self.update_status();
        Ok(())
    }

    /// Ends every process and cleans up (also done when the session drops).
    /// The records of the ending (the closing record, the processes ended)
    /// go to the model and the history, so a recording saved afterwards
    /// ends as its replay will.
    pub fn shutdown(&mut self) {
        self.run.shutdown_into(&mut self.recs);
        self.absorb();
    }
}

/// `12 steps` / `12 步`.
fn format_steps(n: u64, l: Lang) -> String {
    match l {
        Lang::En if n == 1 => "1 step".into(),
        Lang::En => format!("{n} steps"),
        Lang::Zh => format!("{n} 步"),
    }
}
