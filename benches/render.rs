//! Rendering one dashboard frame (TestBackend, 200×60) with 200 and 1,000
//! lanes, against the targets of issue 7 (≤ 2 ms and ≤ 8 ms), and how many
//! explore runs of ticket-race a class waits for per second (issue 5).
//!
//! The frame is fed from records built like a real run's: main starts N
//! processes, half of them block on a lock held by one of them, the others
//! print and sleep, every process has a timeline of state changes.
//!
//! `cargo bench --bench render`

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Row, criterion, median_ns, report};
use forkscope::codec::Value;
use forkscope::model::{Record, RecordKind};
use forkscope::scenario;
use forkscope::shm::record::{Op, ResKind};
use forkscope::ui::state::{Dashboard, Mode, RunStatus};
use forkscope::ui::text::Lang;
use forkscope::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use forkscope::vocab::{Lane, ResId};

fn dashboard(lanes: u32) -> Dashboard {
    let lesson = scenario::load("ticket-race").expect("built-in lesson");
    let params: BTreeMap<String, Value> = lesson.resolve_params(&[]).expect("defaults");
    let mut d = Dashboard::new(lesson, &params, 0, Lang::En, Theme::colored());
    let mut seq = 0u64;
    let mut push = |d: &mut Dashboard, lane: u32, line: u32, kind: RecordKind| {
        seq += 1;
        d.apply(&Record { seq, t_ns: seq * 2_000_000, lane: Lane(lane), line, gates: 1, kind });
    };
    push(&mut d, 0, 0, RecordKind::Spawn { child: Lane(1), pid: 1000, ppid: 999, daemon: false, name: "MainProcess".into(), target: "main".into() });
    push(&mut d, 1, 54, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "Lock-1".into(), capacity: 1 });
    for i in 0..lanes - 1 {
        let child = i + 2;
        push(&mut d, 1, 58, RecordKind::Spawn { child: Lane(child), pid: 2000 + child as i32, ppid: 1000, daemon: false, name: format!("Process-{}", i + 1), target: "ticket".into() });
    }
    push(&mut d, 2, 46, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 0, detail: None });
    for round in 0..6 {
        for child in 3..lanes + 1 {
            if child % 2 == 0 {
                push(&mut d, child, 27, RecordKind::Print { text: format!("person{child}查询余票 3 (round {round})") });
                push(&mut d, child, 26, RecordKind::Block { op: Op::Sleep, res: None, other: None, holder: None, timed: true });
            } else if round == 0 {
                push(&mut d, child, 46, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: false });
            }
        }
    }
    d.status = RunStatus { mode: Mode::Running, elapsed: Duration::from_secs(30), clock_ns: seq * 2_000_000, received: seq, ..RunStatus::default() };
    d
}

fn bench_frames(c: &mut criterion::Criterion) {
    let mut g = c.benchmark_group("render");
    for lanes in [200u32, 1000] {
        let d = dashboard(lanes);
        let mut t = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        g.bench_function(format!("frame_200x60_{lanes}_lanes"), |b| {
            b.iter(|| {
                t.draw(|f| f.render_widget(&d, f.area())).expect("draw");
            })
        });
    }
    g.finish();
}

/// `explore`'s options for the benches: `runs` runs from `seed`, quiet.
fn explore_options(params: &std::collections::BTreeMap<String, forkscope::codec::Value>, seed: u64, runs: u32) -> forkscope::explore::ExploreOptions {
    forkscope::explore::ExploreOptions {
        runs,
        seed,
        params: params.clone(),
        lang: "en".into(),
        out: None,
        run_timeout: Duration::from_secs(30),
        exe: env!("CARGO_BIN_EXE_forkscope").into(),
        preemptions: None,
        budget: None,
        progress: false,
        progress_json: false,
    }
}

/// One explore run of ticket-race (real processes, stepped to the end with a
/// seeded random or PCT schedule), as criterion samples it.
fn bench_explore(c: &mut criterion::Criterion) {
    let lesson = scenario::load("ticket-race").expect("built-in lesson");
    let params = lesson.resolve_params(&["lock=true".into()]).expect("params");
    let mut seed = 0u64;
    let mut g = c.benchmark_group("explore");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("ticket_race_run", |b| {
        b.iter(|| {
            seed += 1;
            let opts = explore_options(&params, seed, 1);
            let r = forkscope::explore::explore(&lesson, &opts, &mut std::io::sink()).expect("explore");
            assert!(matches!(r, forkscope::explore::Explored::Clean { .. }), "the locked version has no bug to find");
        })
    });
    // The whole `explore --all` of ticket-race with 3 buyers, 2 tickets and
    // the lock: 84 runs, 36 interleavings, verified.
    let small = lesson.resolve_params(&["lock=true".into(), "buyers=3".into(), "tickets=2".into()]).expect("params");
    let small_lesson = lesson.for_run(&small).expect("the program");
    g.bench_function("ticket_race_all_3_buyers", |b| {
        b.iter(|| {
            let opts = explore_options(&small, 0, 0);
            let r = forkscope::explore::explore_all(&small_lesson, &opts, &mut std::io::sink()).expect("explore --all");
            assert_eq!((r.result(), r.runs, r.interleavings), ("verified", ALL_RUNS, 36));
        })
    });
    g.finish();
}

/// Runs of `explore --all` of ticket-race, 3 buyers, 2 tickets, lock.
const ALL_RUNS: u32 = 84;

fn main() {
    let mut c = criterion();
    bench_frames(&mut c);
    bench_explore(&mut c);
    c.final_summary();
    let f200 = median_ns("render", "frame_200x60_200_lanes");
    let f1000 = median_ns("render", "frame_200x60_1000_lanes");
    let ms = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{:.2} ms", v / 1e6));
    let run = median_ns("explore", "ticket_race_run");
    let rate = run.map_or("not measured".into(), |ns| format!("{:.1} runs/s ({:.0} ms a run)", 1e9 / ns, ns / 1e6));
    let all = median_ns("explore", "ticket_race_all_3_buyers");
    let all_rate = all.map_or("not measured".into(), |ns| format!("{:.1} runs/s ({:.2} s for the {ALL_RUNS} runs)", ALL_RUNS as f64 * 1e9 / ns, ns / 1e9));
    report(
        "dashboard frames and explore (cargo bench --bench render)",
        &[
            Row::new("one frame, TestBackend 200×60, 200 lanes", ms(f200), "≤ 2 ms", f200.map(|v| v <= 2e6)),
            Row::new("one frame, TestBackend 200×60, 1,000 lanes", ms(f1000), "≤ 8 ms", f1000.map(|v| v <= 8e6)),
            Row::new("explore ticket-race (lock=true, 11 processes, stepped to the end)", rate, "a class can wait for it", None),
            Row::new("explore --all ticket-race (3 buyers, 2 tickets, lock: 84 runs)", all_rate, "≥ 50 runs/s", all.map(|ns| ALL_RUNS as f64 * 1e9 / ns >= 50.0)),
        ],
    );
}
