//! The end of a run: every process at once, the reaper stopped, the
//! template reaped, the segment and the folder gone.

use super::*;

impl Run {
    /// Ends the template (if any) and reaps it, and then the processes it
    /// had not reaped yet: they are ours now (the child subreaper), and a
    /// dashboard that starts run after run must not collect zombies.
    pub(super) fn end_template(&mut self) {
        if let Some(pid) = self.template.take() {
            sys::kill(pid, libc::SIGKILL);
            sys::wait_child(pid, true);
            let v = self.seg.view();
            for lane in 1..v.lanes_in_use() {
                let pid = v.lane(lane).map_or(0, |l| l.pid.load(Acquire));
                // A zombie that is our child now is reaped; not ours: nothing.
                sys::wait_child(pid, false);
            }
        }
    }

    /// Ends every process (SIGKILL), waits for the reaper to see each end,
    /// drains what is left into `out`, and cleans up (but for the scratch
    /// folder, which goes with the `Run`). Idempotent.
    pub fn shutdown_into(&mut self, out: &mut Vec<Record>) {
        if self.shut {
            return;
        }
        self.shut = true;
        #[cfg(test)]
        assert!(!self.panic_in_shutdown, "test: a panic inside shutdown");
        let seg = self.seg.clone();
        let v = seg.view();
        if !self.all_ended() {
            self.lane0.emit(&v, RawKind::Closing, OpBody { other: NO_LANE, res: NONE, ..Default::default() });
        }
        // Every process at once: a run of a thousand busy processes (or a
        // fork bomb) ends within a moment, not one kill and wait after the
        // other. The group first, so that nothing forks meanwhile; what a
        // program made outside the lesson API (Python's `os.fork`,
        // `subprocess`) has no lane but is in the group too (the reaper, our
        // subreaper, reaps it). Then every lane whose process is provably
        // still the run's (same start time, of the family), in case it left
        // the group, and the whole family: what left the group and its
        // parent too (`setsid`, a double fork) still carries the run's mark.
        // The end waits until a sweep finds none of it alive.
        let from = out.len();
        let phase = sys::phases::start("end: kill and sweep");
        let t0 = Instant::now();
        let mut strays = usize::MAX;
        // Looks again soon at first (a run's few processes are gone within
        // a millisecond or two of the kill; `explore` ends thousands of
        // runs), then every 2 ms while a thousand are still dying.
        let mut pause = Duration::from_micros(100);
        let (mut killed, mut swept) = (None::<Instant>, None::<Instant>);
        loop {
            if killed.is_none_or(|k| k.elapsed() >= Duration::from_millis(100)) {
                self.kill_everything();
                killed = Some(Instant::now());
            }
            // A sweep reads every process's stat and environment: every
            // 20 ms, not at every look while a thousand processes are still
            // dying (it took the CPU their ends need).
            if swept.is_none_or(|s| s.elapsed() >= Duration::from_millis(20)) {
                let _phase = sys::phases::start("end: family sweep");
                strays = self.kill_family();
                swept = Some(Instant::now());
            }
            self.drain(out, false);
            if (self.all_ended() && strays == 0) || t0.elapsed() >= Duration::from_secs(5) {
                break;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        }
        phase.end();
        let phase = sys::phases::start("end: reaper stop");
        sys::forget_run_group(self.pgid);
        // Stop the reaper (it reaps the adopted zombies on its way out).
        self.stop_reaper();
        if let Some(h) = self.reaper.take() {
            let _ = h.join();
        }
        phase.end();
        let phase = sys::phases::start("end: drain, template, guard");
        self.drain(out, true);
        if let Some(closing) = out[from..].iter().position(|r| matches!(r.kind, crate::model::RecordKind::Closing)) {
            in_lane_order(&mut out[from + closing..]);
        }
        self.end_template();
        v.control().clean.store(1, SeqCst);
        match self.guard.take() {
            Some(GuardLink::Own(pid, writer)) => {
                drop(writer);
                sys::wait_child(pid, true);
            }
            Some(GuardLink::Shared(shared)) => {
                shared.say(&["-", self.seg.name()]);
            }
            None => {}
        }
        phase.end();
    }

    /// The ends of `lanes` that no record brought (a ring that was full when
    /// a thousand processes ended at once dropped them), read from the lanes
    /// after [`Run::shutdown_into`]: each process's end as the reaper saw it.
    /// Without them a summary would say a killed process "never ended".
    pub fn unrecorded_ends(&self, lanes: &[Lane]) -> Vec<Record> {
        let v = self.seg.view();
        let ctl = v.control();
        let now = sys::monotonic_ns().saturating_sub(ctl.run_start_ns.load(Relaxed));
        lanes
            .iter()
            .filter_map(|&lane| {
                let l = v.lane(lane.0)?;
                (l.ended.load(Acquire) != 0).then(|| Record {
                    seq: ctl.seq.0.fetch_add(1, SeqCst),
                    t_ns: now,
                    lane: Lane::CONDUCTOR,
                    line: 0,
                    gates: 0,
                    kind: crate::model::RecordKind::Ended { process: lane, exitcode: l.exit_status.load(Acquire), held: None },
                })
            })
            .collect()
    }

    /// The run's process group (0 before it has one).
    pub fn group(&self) -> i32 {
        self.pgid
    }

    /// SIGKILL to the run's process group and to every lane's process that
    /// is still the one the run started (its start time proves it) and of
    /// the run's family (a lane's pid is written by the run's processes: it
    /// may name anyone).
    pub(super) fn kill_everything(&self) {
        if self.pgid > 0 {
            sys::kill_group(self.pgid, libc::SIGKILL);
        }
        let v = self.seg.view();
        for lane in 1..v.lanes_in_use() {
            let Some(pid) = self.pid_of(Lane(lane)) else { continue };
            let l = v.lane(lane).expect("in range");
            if l.ended.load(Acquire) == 0 && sys::start_time(pid) == Some(l.start_time.load(Acquire)) && self.is_of_run(pid) {
                l.kill_pending.store(1, SeqCst);
                sys::kill(pid, libc::SIGKILL);
            }
        }
    }

    /// Whether `pid` is a live process of the run: one the conductor started
    /// itself (`main`, the template), or of the run's family.
    fn is_of_run(&self, pid: i32) -> bool {
        pid == self.main_pid || self.template == Some(pid) || family::is_of_run(pid, self.seg.name())
    }

    /// SIGKILL to every live process of the run's family (see `family`),
    /// and reaps the dead ones adopted by us that no lane stands for.
    /// Returns how many were alive.
    pub(super) fn kill_family(&self) -> usize {
        let v = self.seg.view();
        let mut lanes: Vec<i32> = (1..v.lanes_in_use()).filter_map(|l| v.lane(l)).map(|l| l.pid.load(Acquire)).filter(|&p| p > 0).collect();
        lanes.extend(self.template);
        family::kill_all(self.seg.name(), &lanes)
    }

    /// Tells the reaper to stop, and wakes it from its wait.
    pub(super) fn stop_reaper(&mut self) {
        self.reaper_stop.store(true, Release);
        if let Some(mut w) = self.reaper_wake.take() {
            use std::io::Write;
            let _ = w.write_all(b"x");
        }
    }

    pub fn shutdown(&mut self) {
        let mut sink = Vec::new();
        self.shutdown_into(&mut sink);
    }
}

/// The ends seen after a run's `Closing` record, put in lane order: every
/// process is killed at once, so the reaper sees their ends in whatever order
/// the kernel delivers them, but the records of a closing must come in a fixed
/// order (a replay compares them). Each record keeps the place (sequence
/// number and time) it had; only which end is said there changes.
pub(super) fn in_lane_order(records: &mut [Record]) {
    use crate::model::RecordKind;
    let at: Vec<usize> = (0..records.len()).filter(|&i| matches!(records[i].kind, RecordKind::Ended { .. })).collect();
    let mut ends: Vec<Record> = at.iter().map(|&i| records[i].clone()).collect();
    ends.sort_by_key(|r| match r.kind {
        RecordKind::Ended { process, .. } => process,
        _ => unreachable!("only ends were taken"),
    });
    for (&i, mut end) in at.iter().zip(ends) {
        end.seq = records[i].seq;
        end.t_ns = records[i].t_ns;
        records[i] = end;
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.shutdown();
        // Had shutdown been cut short (a panic inside it), the reaper would
        // still run: it owns the segment too, so nothing is unmapped under
        // it. Stop it, so that it lets go and the last owner unlinks the
        // segment.
        self.stop_reaper();
        // The folder goes last: after the end, a lesson's conditions still
        // read the files the run left there (`file("name")`).
        if is_scratch_dir(&self.scratch) {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}
