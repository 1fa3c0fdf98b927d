//! The gate: which processes can take a step, granting one, and waiting
//! for the run to settle; signals and freezing from the user.

use super::*;

/// How long [`Run::settle`] looks again at once (yielding) before it waits
/// on the settle bell: a step of the Rhai ticket-race takes about 0.2 ms, a
/// Python step about 0.8 ms. Explore --all ran 41 runs/s with sleeps
/// alone, 54 with 300 µs of looking before them. (100 µs with the bell was
/// no faster within the noise of a loaded machine.)
pub(super) const SETTLE_SPIN: Duration = Duration::from_micros(300);

/// The longest [`Run::settle`] waits on its bell before it looks again
/// (from 20 µs, doubling): what rings no bell (a wake-up taken, a kill
/// under way) is seen as soon as it was by the sleeps between looks.
pub(super) const SETTLE_WAIT: Duration = Duration::from_micros(250);

impl Run {
    /// What the conductor reads of every lane in use (lane 0 excluded).
    pub fn lanes(&self) -> Vec<LaneInfo> {
        let v = &self.seg.view();
        (1..v.lanes_in_use())
            .filter_map(|lane| {
                let l = v.lane(lane)?;
                let snap = l.status.read(64);
                Some(LaneInfo {
                    lane: Lane(lane),
                    pid: l.pid.load(Acquire),
                    state: snap.and_then(|s| ProcState::from_raw(s.state)),
                    deadline_ns: snap.map_or(0, |s| s.deadline_ns),
                    ended: l.ended.load(Acquire) != 0,
                    frozen: self.frozen.contains(&Lane(lane)),
                })
            })
            .collect()
    }

    /// The key of `lane`'s arguments, when its starter gave one (see
    /// [`crate::vocab::ARGS_KEY`]): children with equal keys, parents and
    /// targets run the same code on the same arguments, names aside.
    pub fn args_key(&self, lane: Lane) -> Option<String> {
        let raw = self.seg.view().lane(lane.0)?.target.get();
        crate::vocab::split_target(&raw).1.filter(|k| !k.is_empty()).map(str::to_string)
    }

    /// Every process has ended (and the reaper has seen it).
    pub fn all_ended(&self) -> bool {
        let v = &self.seg.view();
        (1..v.lanes_in_use()).all(|lane| v.lane(lane).is_none_or(|l| l.ended.load(Acquire) != 0 || l.pid.load(Acquire) < 0))
    }

    /// Nothing will change until the user acts: every live process is parked,
    /// blocked with no wake-up pending, sleeping while paused, or frozen; no
    /// grant or signal is still in flight.
    pub fn quiescent(&self) -> bool {
        let v = &self.seg.view();
        for lane in 1..v.lanes_in_use() {
            let Some(l) = v.lane(lane) else { continue };
            if l.ended.load(Acquire) != 0 {
                continue;
            }
            let pid = l.pid.load(Acquire);
            if pid < 0 {
                continue;
            }
            if pid == 0 || l.kill_pending.load(Acquire) != 0 {
                return false;
            }
            if self.frozen.contains(&Lane(lane)) {
                continue;
            }
            if l.grant.load(Acquire) != 0 {
                return false;
            }
            let Some(s) = l.status.read(64) else { return false };
            match ProcState::from_raw(s.state) {
                Some(ProcState::Ready) => {}
                Some(ProcState::Sleeping) if self.is_paused() => {}
                Some(ProcState::Blocked) => {
                    if l.wakes.load(SeqCst) != l.wakes_seen.load(SeqCst) {
                        return false;
                    }
                    // Joining a process that has ended: it is about to be woken.
                    if s.op == crate::shm::record::Op::Join as u32 && v.lane(s.other).is_some_and(|o| o.ended.load(Acquire) != 0) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    }

    /// Each live process as the conductor sees it in its lane (state, the
    /// op it is in, what it waits for, wake-ups not yet taken): said when no
    /// process can be stepped, so the message shows why.
    pub fn stuck(&self) -> String {
        let v = &self.seg.view();
        let name = |lane: u32| v.lane(lane).map(|l| l.name.get()).unwrap_or_else(|| format!("#{lane}"));
        let mut out = Vec::new();
        for lane in 1..v.lanes_in_use() {
            let Some(l) = v.lane(lane) else { continue };
            if l.ended.load(Acquire) != 0 || l.pid.load(Acquire) < 0 {
                continue;
            }
            let mut what = name(lane);
            if self.frozen.contains(&Lane(lane)) {
                what.push_str(" frozen");
            }
            match l.status.read(64) {
                Some(s) => {
                    let state = ProcState::from_raw(s.state).map_or("?", |p| p.name());
                    let op = u16::try_from(s.op).ok().and_then(crate::shm::record::Op::from_raw).map_or("?", |o| o.name());
                    what.push_str(&format!(" {state} in {op}"));
                    if s.res != NONE {
                        what.push_str(&format!(" of resource {}", s.res));
                    }
                    if s.other != NONE {
                        what.push_str(&format!(" with {}", name(s.other)));
                    }
                }
                None => what.push_str(" (status unreadable)"),
            }
            let (wakes, seen) = (l.wakes.load(SeqCst), l.wakes_seen.load(SeqCst));
            if wakes != seen {
                what.push_str(&format!(", {} wake-up(s) not taken", wakes.wrapping_sub(seen)));
            }
            out.push(what);
        }
        out.join("; ")
    }

    /// Whether `lane` can take a step now: parked, sleeping, or blocked with a
    /// timeout (the step makes the timeout expire).
    pub fn steppable(&self, lane: Lane) -> Result<(), GateError> {
        let frozen = self.frozen.contains(&lane);
        let lane = lane.0;
        let name = self.seg.view().lane(lane).map(|l| l.name.get()).unwrap_or_else(|| format!("#{lane}"));
        let l = self.seg.view().lane(lane).ok_or_else(|| GateError::NotSteppable(name.clone(), "no such process".into()))?;
        if lane == CONDUCTOR_LANE || lane >= self.seg.view().lanes_in_use() || l.pid.load(Acquire) <= 0 {
            return Err(GateError::NotSteppable(name, "no such process".into()));
        }
        if l.ended.load(Acquire) != 0 {
            return Err(GateError::NotSteppable(name, "it has ended".into()));
        }
        if frozen {
            return Err(GateError::NotSteppable(name, "it is frozen".into()));
        }
        let s = l.status.read(64).ok_or_else(|| GateError::NotSteppable(name.clone(), "its status is unreadable".into()))?;
        match ProcState::from_raw(s.state) {
            Some(ProcState::Ready | ProcState::Sleeping) => Ok(()),
            Some(ProcState::Blocked) if s.deadline_ns != 0 => Ok(()),
            Some(ProcState::Blocked) => Err(GateError::NotSteppable(name, "it is blocked with no timeout".into())),
            Some(st) => Err(GateError::NotSteppable(name, format!("it is {}", st.name()))),
            None => Err(GateError::NotSteppable(name, "it is starting".into())),
        }
    }

    /// What a parked process will wait for if stepped, as it shows at the
    /// gate: an op that waits for as long as it takes (`acquire`, `get`,
    /// `join`) with its resource or process. `None`: not parked at one.
    pub fn next_wait(&self, lane: Lane) -> Option<(crate::shm::record::Op, Option<ResId>, Option<Lane>)> {
        use crate::shm::record::Op;
        let l = self.seg.view().lane(lane.0)?;
        let s = l.status.read(64)?;
        if ProcState::from_raw(s.state) != Some(ProcState::Ready) {
            return None;
        }
        let op = Op::from_raw(s.op as u16).filter(|op| matches!(op, Op::Acquire | Op::Get | Op::Join))?;
        let some = |v: u32| (v != NONE).then_some(v);
        let (res, other) = (some(s.res).map(ResId), some(s.other).map(Lane));
        (res.is_some() || other.is_some()).then_some((op, res, other))
    }

    /// Lanes that are parked or sleeping (what "step the next ready one" picks from).
    pub fn ready_lanes(&self) -> Vec<Lane> {
        self.lanes()
            .into_iter()
            .filter(|i| !i.ended && !i.frozen && i.pid > 0 && matches!(i.state, Some(ProcState::Ready | ProcState::Sleeping)))
            .map(|i| i.lane)
            .collect()
    }

    /// The next ready lane after the last one granted, round robin.
    pub fn next_ready(&self) -> Option<Lane> {
        let ready = self.ready_lanes();
        ready.iter().copied().find(|&l| l > self.last_granted).or_else(|| ready.first().copied())
    }

    /// Grants one step to `lane` (or, with `None`, to the next ready one).
    /// Returns the lane granted. The step is over when [`Run::quiescent`].
    pub fn grant(&mut self, lane: Option<Lane>) -> Result<Lane, GateError> {
        if !self.is_paused() {
            return Err(GateError::NotPaused);
        }
        let lane = match lane {
            Some(l) => l,
            None => self.next_ready().ok_or(GateError::NothingReady)?,
        };
        self.steppable(lane)?;
        let gran = self.seg.view().control().granularity.load(Relaxed);
        self.lane0.emit(&self.seg.view(), RawKind::Grant, OpBody { other: lane.0 as u16, res: NONE, a: gran as i64, ..Default::default() });
        let l = self.seg.view().lane(lane.0).expect("checked");
        l.grant.fetch_add(1, SeqCst);
        self.seg.view().nudge_lane(lane.0);
        self.last_granted = lane;
        self.schedule.push(Action::Step { lane, granularity: gran });
        Ok(lane)
    }

    /// Waits (draining into `out`) until the run is quiescent or everything
    /// ended; false if `max` passed first or a stop was asked for.
    pub fn settle(&mut self, out: &mut Vec<Record>, max: Duration) -> bool {
        let _phase = sys::phases::start("step: settle");
        let t0 = Instant::now();
        let seg = self.seg.clone();
        let v = seg.view();
        let ctl = v.control();
        // A step is mostly done in well under a millisecond (`explore`
        // makes thousands): look again at once, yielding, for a moment,
        // then wait on the settle bell, which a process rings as it parks,
        // blocks or sleeps, and the reaper at an end (see
        // `Control::ring_settle`). The wait is bounded: what rings no bell
        // (a wake-up taken, a kill under way) is seen at the next look. The
        // bounded waits keep to their length (timer slack) rather than the
        // kernel's default 50 µs more.
        sys::fine_timer_slack();
        let mut waiting = false;
        let mut pause = Duration::from_micros(20);
        let settled = loop {
            let bell = ctl.settle_bell.0.load(SeqCst);
            if self.all_ended() || self.quiescent() {
                break true;
            }
            self.drain(out, false);
            // A stop asked for (SIGINT, SIGTERM): the run may be frozen by
            // now and will not settle; the caller ends it.
            if t0.elapsed() > max || sys::stop_requested().is_some() {
                break false;
            }
            if t0.elapsed() < SETTLE_SPIN {
                std::thread::yield_now();
                continue;
            }
            if !waiting {
                // From now on a process that changes rings; look once more
                // (it may have changed before it could see this).
                ctl.settle_waiting.store(1, SeqCst);
                waiting = true;
                continue;
            }
            crate::shm::futex::wait(&ctl.settle_bell.0, bell, Some(pause));
            pause = (pause * 2).min(SETTLE_WAIT);
        };
        if waiting {
            ctl.settle_waiting.store(0, SeqCst);
        }
        if settled {
            // Let the reaper finish reporting, then release everything in order.
            self.drain(out, true);
        }
        settled
    }

    /// The pid of live process `lane`, if it is one we may signal. Lane pids
    /// are untrusted (any process of the run can write any lane): only a
    /// process below the conductor, never the conductor itself, can be one of
    /// the run's (the conductor is the child subreaper, so orphans count).
    pub(super) fn pid_of(&self, lane: Lane) -> Option<i32> {
        let l = self.seg.view().lane(lane.0)?;
        let pid = l.pid.load(Acquire);
        let me = std::process::id() as i32;
        (pid > 0 && pid != me && l.ended.load(Acquire) == 0 && sys::is_descendant_of(pid, me)).then_some(pid)
    }

    /// Sends `signal` to process `lane` (terminate = SIGTERM, kill = SIGKILL).
    pub fn signal(&mut self, lane: Lane, signal: i32) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let l = self.seg.view().lane(lane.0).expect("checked");
        if signal == libc::SIGTERM || signal == libc::SIGKILL {
            l.kill_pending.store(1, SeqCst);
        }
        self.lane0.emit(&self.seg.view(), RawKind::Signal, OpBody { other: lane.0 as u16, res: NONE, a: signal as i64, ..Default::default() });
        self.schedule.push(Action::Signal { lane, signal });
        let ok = sys::kill(pid, signal);
        if signal == libc::SIGTERM && self.frozen.contains(&lane) {
            // A stopped process only acts on SIGTERM once continued.
            sys::kill(pid, libc::SIGCONT);
            self.frozen.remove(&lane);
        }
        ok
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) process `lane`.
    pub fn freeze(&mut self, lane: Lane, on: bool) -> bool {
        let Some(pid) = self.pid_of(lane) else { return false };
        let sig = if on { libc::SIGSTOP } else { libc::SIGCONT };
        if on {
            self.frozen.insert(lane);
        } else {
            self.frozen.remove(&lane);
        }
        self.lane0.emit(&self.seg.view(), RawKind::Signal, OpBody { other: lane.0 as u16, res: NONE, a: sig as i64, ..Default::default() });
        sys::kill(pid, sig)
    }

    /// Percent of one core each of `lanes` used lately (see `cpu`): live
    /// processes of the run only.
    pub fn cpu_percent(&mut self, lanes: impl Iterator<Item = Lane>) -> std::collections::BTreeMap<Lane, f32> {
        if !self.cpu.due() {
            return self.cpu.percent().clone();
        }
        let pids: Vec<(Lane, i32)> = lanes.filter_map(|l| self.pid_of(l).map(|p| (l, p))).collect();
        self.cpu.sample(pids.into_iter()).clone()
    }

    pub fn is_frozen(&self, lane: Lane) -> bool {
        self.frozen.contains(&lane)
    }
}
