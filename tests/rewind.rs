//! Rewind (`b` in the dashboard) is exact: the dashboard's session is driven
//! here as the keys drive it (no terminal needed), with real processes, and
//! the state after stepping back equals the state the first time that step
//! was reached — processes, states, lines, waits, locks and their waiters,
//! files, reported values, the log and the findings (pids and clock times
//! aside: a rewind is a new run).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use forkscope::codec::Value;
use forkscope::conductor::{Action, RunOptions};
use forkscope::model::Model;
use forkscope::ui::session::Session;
use forkscope::ui::theme::Theme;

/// The session's run with `params`, started paused, workers from the real binary.
fn session(lesson: &str, params: &[(&str, Value)]) -> Session {
    let l = forkscope::scenario::load(lesson).expect("built-in lesson");
    let mut opts = RunOptions::of_lesson(&l);
    opts.exe = env!("CARGO_BIN_EXE_forkscope").into();
    opts.paused = true;
    opts.spec.params = l.resolve_params(&[]).unwrap();
    for (k, v) in params {
        opts.spec.params.insert(k.to_string(), v.clone());
    }
    Session::start(opts, Theme::mono()).expect("start")
}

/// Selects `lane` as a teacher does who looked before pressing `k`: not
/// within the last second (a signal key then asks for a second press).
fn select_long_ago(s: &mut Session, lane: forkscope::vocab::Lane) {
    s.dash.view.selected_lane = Some(lane);
    s.dash.view.selection_changed = None;
}

/// Ticks until the step in flight and any rewind are over (as the app's loop does).
fn settle(s: &mut Session) {
    let t0 = Instant::now();
    loop {
        s.tick();
        let rewinding = s.follow().is_some_and(|f| f.rewinding());
        if !s.is_stepping() && !rewinding && s.dash.status.settled {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the session did not settle");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What must be equal between two runs at the same step: the model with pids
/// renumbered and every clock time and counter of timing left out.
fn essence(m: &Model) -> serde_json::Value {
    let mut m = m.clone();
    forkscope::snapshot::renumber_pids(&mut m);
    let mut v = serde_json::to_value(&m).unwrap();
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                for k in ["history", "since_ns", "t_ns", "now_ns", "seq", "log_trimmed"] {
                    o.remove(k);
                }
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn assert_same(got: &serde_json::Value, want: &serde_json::Value, what: &str) {
    if got != want {
        let (g, w) = (serde_json::to_string_pretty(got).unwrap(), serde_json::to_string_pretty(want).unwrap());
        let line = g.lines().zip(w.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!("{what}: the state differs from the first time, from line {line}:\n got: {}\nwant: {}", g.lines().skip(line).take(8).collect::<Vec<_>>().join("\n"), w.lines().skip(line).take(8).collect::<Vec<_>>().join("\n"));
    }
}

/// Steps `n` times with `n` (the next ready process), keeping the state after each step.
fn forward(s: &mut Session, n: u64, states: &mut BTreeMap<u64, serde_json::Value>) {
    for _ in 0..n {
        s.step(None);
        settle(s);
        states.insert(s.steps(), essence(&s.dash.model));
    }
}

fn back(s: &mut Session) {
    let timed = s.rewind_secs.len();
    s.rewind().expect("rewind");
    // The dashboard looks again within milliseconds while a rewind is under
    // way (it waited a frame, or a quarter second, between its steps).
    assert!(s.is_stepping(), "a rewind under way wants quick looks");
    settle(s);
    assert_eq!(s.rewind_secs.len(), timed + 1, "the rewind's time is kept for FORKSCOPE_UI_STATS");
}

/// Rewinding at several points of an unlocked ticket race (buyers reading
/// the same count, a lock nobody takes) lands on the states seen going forward.
#[test]
fn rewind_lands_on_the_state_first_seen_at_that_step() {
    let _share = crate::common::share();
    let mut s = session("ticket-race", &[("lock", Value::Bool(false)), ("buyers", Value::Int(3))]);
    settle(&mut s);
    let mut states = BTreeMap::from([(0, essence(&s.dash.model))]);
    forward(&mut s, 24, &mut states);
    assert_eq!(s.steps(), 24);
    assert!((19..24).all(|k| states[&k] != states[&(k + 1)]), "each step changes the state (else this test could not fail)");

    back(&mut s);
    assert_eq!(s.steps(), 23);
    assert_same(&essence(&s.dash.model), &states[&23], "b at step 24");
    back(&mut s);
    assert_same(&essence(&s.dash.model), &states[&22], "b again, at step 23");

    // Forward again from the rewound run: the same states as the first time.
    let mut again = BTreeMap::new();
    forward(&mut s, 2, &mut again);
    assert_same(&again[&24], &states[&24], "stepping on after a rewind");

    // Far back in one go: b pressed while a rewind is under way goes further.
    s.rewind().unwrap();
    s.rewind().unwrap();
    s.rewind().unwrap();
    settle(&mut s);
    assert_eq!(s.steps(), 21);
    assert_same(&essence(&s.dash.model), &states[&21], "b three times at once");

    // Down to the start.
    for _ in 0..3 {
        s.rewind().unwrap();
    }
    settle(&mut s);
    assert_eq!(s.steps(), 18);
    assert_same(&essence(&s.dash.model), &states[&18], "b from 21 to 18");
    s.shutdown();
}

/// A signal the user sent is a step too: rewinding across a kill brings the
/// killed process back at the state it had, and stepping on repeats the kill.
#[test]
fn rewind_across_a_kill_and_into_a_deadlock() {
    let _share = crate::common::share();
    let mut s = session("deadlock", &[]);
    settle(&mut s);
    let mut states = BTreeMap::new();
    while s.dash.model.deadlock().is_none() {
        assert!(s.steps() < 40, "round-robin steps deadlock alex and egon");
        forward(&mut s, 1, &mut states);
    }
    let n = s.steps();
    assert_eq!(s.dash.status.goals.len(), 1, "the lesson's goal is announced: {:?}", s.dash.status.goals);

    // Kill egon (lane 3) with k: the schedule holds the signal.
    let egon = s.dash.model.processes.values().find(|p| p.name == "egon").map(|p| p.lane).expect("egon");
    select_long_ago(&mut s, egon);
    s.signal(libc::SIGKILL);
    settle(&mut s);
    assert_eq!(s.steps(), n + 1);
    let killed = essence(&s.dash.model);
    assert!(s.schedule_so_far().unwrap().last() == Some(&Action::Signal { lane: egon, signal: libc::SIGKILL }));

    back(&mut s);
    assert_same(&essence(&s.dash.model), &states[&n], "back across the kill");
    assert!(s.dash.model.processes[&egon].state.is_live(), "egon lives again");
    assert!(s.dash.model.deadlock().is_some(), "and the deadlock is back");
    assert_eq!(s.dash.status.goals.len(), 1, "the goal is reached again in the replayed run");

    back(&mut s);
    assert_same(&essence(&s.dash.model), &states[&(n - 1)], "one step before the deadlock closed");
    assert!(s.dash.model.deadlock().is_none());

    // The kill is not replayed past the point rewound to, but a new kill gives the same state.
    s.step(None);
    settle(&mut s);
    select_long_ago(&mut s, egon);
    s.signal(libc::SIGKILL);
    settle(&mut s);
    assert_same(&essence(&s.dash.model), &killed, "killing egon again");
    s.shutdown();
}

/// A kill is settled only once its end is drawn: the dashboard that looks
/// after the killed process was reaped, but before it drained the end, does
/// not call the run settled (it did, and a rewind test then kept a state
/// without the kill's `ended_holding` finding, on a loaded CI machine).
#[test]
fn a_killed_process_is_settled_only_once_its_end_is_in_the_model() {
    let _share = crate::common::share();
    let mut s = session("deadlock", &[]);
    settle(&mut s);
    while s.dash.model.deadlock().is_none() {
        assert!(s.steps() < 40, "round-robin steps deadlock alex and egon");
        s.step(None);
        settle(&mut s);
    }
    let egon = s.dash.model.processes.values().find(|p| p.name == "egon").map(|p| p.lane).expect("egon");
    select_long_ago(&mut s, egon);
    s.signal(libc::SIGKILL);
    // The reaper has written egon's end and the run is quiescent again, but
    // nothing has drained since: a status taken now must not say settled.
    let t0 = Instant::now();
    while !s.run_quiescent() {
        assert!(t0.elapsed() < Duration::from_secs(30), "egon's end is reaped");
        std::thread::sleep(Duration::from_millis(1));
    }
    s.toggle_statements();
    s.toggle_statements();
    assert!(s.dash.model.processes[&egon].state.is_live(), "the model has not seen egon's end yet");
    assert!(!s.dash.status.settled, "settled before egon's end was drawn");
    settle(&mut s);
    assert!(!s.dash.model.processes[&egon].state.is_live(), "settled with egon's end drawn");
    assert!(s.dash.model.findings.iter().any(|f| f.kind == "ended_holding"), "and the lock it died holding named: {:?}", s.dash.model.findings);
    s.shutdown();
}

/// The rewound schedule is the run's own: stepping the selected process (s)
/// and switching to statement steps (l) are replayed as they were taken.
#[test]
fn rewind_replays_chosen_processes_and_statement_steps() {
    let _share = crate::common::share();
    let mut s = session("counter", &[("processes", Value::Int(2)), ("times", Value::Int(2))]);
    settle(&mut s);
    let mut states = BTreeMap::new();
    forward(&mut s, 6, &mut states);
    // Step the second worker twice, then the first, by statement.
    let rows = s.dash.lane_rows();
    let (w1, w2) = (rows[1].0, rows[2].0);
    s.toggle_statements();
    for lane in [w2, w2, w1] {
        s.step(Some(lane));
        settle(&mut s);
        states.insert(s.steps(), essence(&s.dash.model));
    }
    assert_eq!(s.steps(), 9);
    back(&mut s);
    assert_same(&essence(&s.dash.model), &states[&8], "statement step of a chosen process");
    back(&mut s);
    back(&mut s);
    assert_same(&essence(&s.dash.model), &states[&6], "back to op steps");
    s.shutdown();
}
