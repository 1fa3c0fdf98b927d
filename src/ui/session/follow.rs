//! Following a schedule: a recording being replayed (`forkscope replay`), or
//! the run's own schedule granted again up to a step (`b`, a rewind).

use std::time::{Duration, Instant};

use crate::conductor::{Action, GateError};

use super::super::state::Tone;
use super::super::text::Lang;
use super::clock::StepTimes;
use super::{HISTORY_MAX, Session, Step};

/// Time between two actions when a replay plays by itself (space), at speed 1.
pub(super) const PLAY_PACE: Duration = Duration::from_millis(250);

/// A schedule the session follows: a recording being replayed, or the
/// run's own schedule being granted again up to a step (a rewind).
#[derive(Clone, Debug, PartialEq)]
pub struct Follow {
    /// The whole schedule.
    pub plan: Vec<Action>,
    /// Index of the next action to perform.
    pub next: usize,
    /// Actions before this index are performed without waiting for a key (a rewind's target).
    pub auto_until: usize,
    /// The plan is a recording (`forkscope replay`): `n` continues it.
    pub replay: bool,
    /// A replay playing by itself (space): when it last acted.
    pub playing: Option<Instant>,
}

impl Follow {
    /// A rewind is under way (actions are granted without a key).
    pub fn rewinding(&self) -> bool {
        self.next < self.auto_until
    }
}

impl Session {
    /// Performs the followed schedule's next actions that are due: while
    /// rewinding, as many as settle within a few milliseconds (the screen
    /// still redraws in between); a playing replay, one per pace.
    pub(super) fn follow_on(&mut self) {
        let budget = Instant::now();
        loop {
            let Some(f) = self.follow.as_ref() else { return };
            // A new run's main is still starting: nothing can be granted until it parks.
            if self.step.is_some() || !self.run.is_paused() || self.ended_at.is_some() || !self.run.quiescent() {
                return;
            }
            let due = if f.rewinding() {
                true
            } else if let Some(last) = f.playing {
                last.elapsed() >= self.play_pace()
            } else {
                false
            };
            if !due || f.next >= f.plan.len() {
                self.follow_done();
                return;
            }
            if !self.follow_next() {
                return;
            }
            if let Some(f) = self.follow.as_mut().filter(|f| !f.rewinding()) {
                // The pace counts from this step: one step per pace, never a rush to the end.
                if f.playing.is_some() {
                    f.playing = Some(Instant::now());
                }
                return;
            }
            // Rewinding: settle this step here while the budget lasts.
            let left = Duration::from_millis(15).saturating_sub(budget.elapsed());
            if left.is_zero() || !self.run.settle(&mut self.recs, left) {
                self.absorb();
                return;
            }
            self.absorb();
            self.step = None;
        }
    }

    /// A followed schedule reached its end or its rewind target.
    pub(super) fn follow_done(&mut self) {
        let l = self.dash.lang;
        let Some(f) = self.follow.as_mut() else { return };
        if f.auto_until > 0 && f.next >= f.auto_until {
            // A rewind arrived.
            f.auto_until = 0;
            if let Some(since) = self.rewind_since.take() {
                self.rewind_secs.push(since.elapsed().as_secs_f64());
            }
            let msg = match self.free_ops.take() {
                // The steps now count every op of the free run: say so, or the
                // counter seems to jump forward on a step back.
                Some(n) => match l {
                    Lang::En => format!("back to step {} of {n}: the free run's ops count as steps now", self.steps),
                    Lang::Zh => format!("后退到第 {} 步(共 {n} 步):自由运行的每个操作现在都算一步", self.steps),
                },
                None => format!("{} {} {}", l.pick("back at step", "已回到第"), self.steps, l.pick("(the run was replayed to here; b goes further back)", "步(运行已重放到这里;b 继续后退)")),
            };
            if !f.replay || f.next >= f.plan.len() {
                self.follow = None;
            }
            self.dash.say(msg, Tone::Good);
            return;
        }
        if f.playing.is_some() && f.next >= f.plan.len() {
            f.playing = None;
        }
        if f.replay && f.next >= f.plan.len() && f.playing.is_none() {
            self.follow = None;
            // What went wrong (the step that completed the conflict) stays said.
            if self.dash.view.message.as_ref().is_none_or(|(_, tone)| *tone != Tone::Bad) {
                self.dash.say(l.pick("the recording is over: you are stepping freely now", "记录已经回放完毕:现在可以自由单步"), Tone::Good);
            }
        }
    }

    /// Performs the followed schedule's next action; false if it could not.
    pub(super) fn follow_next(&mut self) -> bool {
        let Some(f) = self.follow.as_mut() else { return false };
        let action = f.plan[f.next];
        f.next += 1;
        let l = self.dash.lang;
        match action {
            Action::Step { lane, granularity } => {
                if self.run.statements() != (granularity == 1) {
                    self.run.set_statements(granularity == 1);
                }
                let (replaying, playing) = (f.replay && !f.rewinding(), f.playing.is_some());
                match self.run.grant(Some(lane)) {
                    Ok(_) => {
                        self.steps += 1;
                        self.step = Some(Step { n: self.steps, since: Instant::now() });
                        if replaying {
                            self.follow_stepped(lane, playing);
                        }
                        true
                    }
                    Err(e) => {
                        let who = match &e {
                            GateError::NotSteppable(..) => self.gate_error(&e, lane),
                            _ => format!("{}: {}", self.dash.model.pname(lane), self.gate_error(&e, lane)),
                        };
                        self.follow = None;
                        self.dash.say(format!("{} {}: {who}", l.pick("the run went another way than recorded at step", "运行与记录不同,在第"), self.steps + 1), Tone::Bad);
                        false
                    }
                }
            }
            Action::Signal { lane, signal } => {
                self.run.signal(lane, signal);
                self.steps += 1;
                self.step = Some(Step { n: self.steps, since: Instant::now() });
                true
            }
        }
    }

    /// A replay stepped `lane`: while it plays by itself, the selection (and
    /// with it the Source pane) follows the process that just stepped (`n`
    /// leaves the selection to the hand); the step that completes a
    /// counterexample's conflict says so.
    fn follow_stepped(&mut self, lane: crate::vocab::Lane, playing: bool) {
        let d = &mut self.dash;
        if playing && d.model.processes.contains_key(&lane) {
            d.view.selected_lane = Some(lane);
            d.view.chosen = super::super::state::Identity::of(&d.model, lane);
            d.view.source_scroll = None;
        }
        if let Some(super::super::explore::SearchView::Done(super::super::explore::Verdict::Counterexample { why, .. })) = &d.explored
            && why.completing_step == Some(self.steps)
            && let Some(mark) = why.mark(d.lang)
        {
            d.say(mark, Tone::Bad);
        }
    }

    /// Time between two steps of a replay playing by itself: a quarter of a
    /// second at speed 1 (`+` and `-` halve and double it).
    pub fn play_pace(&self) -> Duration {
        PLAY_PACE.div_f64(self.run.speed().max(0.01))
    }

    /// The user went their own way: a replay stops following its recording.
    pub(super) fn leave_recording(&mut self) {
        if let Some(f) = self.follow.take().filter(|f| f.replay && f.next < f.plan.len()) {
            let l = self.dash.lang;
            self.dash.say(format!("{} {}/{}: {}", l.pick("left the recording at step", "在第"), f.next, f.plan.len(), l.pick("you are stepping freely now", "步离开了记录:现在自由单步")), Tone::Info);
        }
    }

    /// Steps back one step (`b`): the lesson starts again, paused, and the
    /// run's schedule up to the previous step is granted again.
    pub fn rewind(&mut self) -> anyhow::Result<()> {
        let l = self.dash.lang;
        if !self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            self.rewind_since = Some(Instant::now());
        }
        if self.follow.as_ref().is_some_and(|f| f.rewinding()) {
            // Pressed again while rewinding: one step further back.
            let f = self.follow.as_mut().expect("checked");
            if f.auto_until > 0 {
                f.auto_until -= 1;
                if f.next > f.auto_until {
                    let target = f.auto_until;
                    let plan = f.plan.clone();
                    let replay = f.replay;
                    return self.rewind_to(plan, target, replay);
                }
            }
            return Ok(());
        }
        let Some(schedule) = self.schedule_so_far() else {
            self.dash.say(format!("{} {HISTORY_MAX} {}", l.pick("this run ran freely for more than", "这次运行自由运行超过了"), l.pick("records: too long to rewind (r restarts)", "条记录:太长,无法后退(r 重新开始)")), Tone::Bad);
            return Ok(());
        };
        if schedule.is_empty() {
            self.dash.say(l.pick("at step 0: nothing to go back to", "已在第 0 步:无法再后退"), Tone::Info);
            return Ok(());
        }
        let target = schedule.len() - 1;
        let free_ops = self.ran_free.then_some(schedule.len());
        // A free run's ops become steps: each shows at the time it had (a
        // rewound one keeps the times of the run it came from).
        if !self.ran_free {
            self.step_times = StepTimes::default();
        } else if self.step_times.0.is_empty() {
            self.step_times = StepTimes(crate::recording::action_times(&self.history));
        }
        // In a replay, keep the rest of the recording to follow afterwards.
        let (plan, replay) = match self.follow.as_ref().filter(|f| f.replay) {
            Some(f) if f.plan.len() >= schedule.len() && f.plan[..schedule.len()] == schedule[..] => (f.plan.clone(), true),
            _ => (schedule, false),
        };
        self.rewind_to(plan, target, replay)?;
        self.free_ops = free_ops.filter(|_| target > 0);
        // Its ops replayed as steps are still the free run's: no goals.
        self.ran_free = free_ops.is_some();
        Ok(())
    }

    pub(super) fn rewind_to(&mut self, plan: Vec<Action>, target: usize, replay: bool) -> anyhow::Result<()> {
        let statements = self.run.statements();
        let mut options = self.options.clone();
        options.paused = true;
        options.speed = self.run.speed();
        options.spec.lang = self.dash.lang;
        self.fresh_run(options)?;
        self.ran_free = false;
        if target > 0 {
            self.follow = Some(Follow { plan, next: 0, auto_until: target, replay, playing: None });
        } else {
            self.follow = replay.then_some(Follow { plan, next: 0, auto_until: 0, replay, playing: None });
            if let Some(since) = self.rewind_since.take() {
                self.rewind_secs.push(since.elapsed().as_secs_f64());
            }
            let l = self.dash.lang;
            self.dash.say(l.pick("back at step 0: the lesson is about to start", "已回到第 0 步:课程即将开始"), Tone::Good);
        }
        if self.run.statements() != statements && target == 0 {
            self.run.set_statements(statements);
        }
        self.update_status();
        Ok(())
    }
}
