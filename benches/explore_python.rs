//! `explore` of Python programs: how many runs a second a search makes,
//! beside the same search of the Rhai lesson in the same run; the runs to a
//! verdict with the seen-state and symmetry reductions ÷ without; what a run of
//! a program that does nothing costs when its interpreter is forked from
//! explore's ready one (the zygote) and when it is a fresh start, beside a
//! plain `python3 -c pass`; and, when asked for by name
//! (`cargo bench --bench explore_python -- python_verdicts`), the time to a
//! verdict of `explore --all --first` on every built-in Python lesson and variant at
//! its defaults (one search each, outside criterion: minutes).
//!
//! `cargo bench --bench explore_python`

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Row, criterion, median_ns, report};
use forkscope::codec::Value;
use forkscope::explore::{self, AllExplored, ExploreOptions};
use forkscope::scenario::{self, Lesson};

/// Runs of each search below: enough to pass the start of the search (the
/// first runs are the longest), few enough for criterion's ten samples.
const BUDGET: u32 = 40;

fn options(lesson: &Lesson, params: &BTreeMap<String, Value>, budget: Option<u32>) -> ExploreOptions {
    ExploreOptions {
        spec: forkscope::conductor::RunSpec { params: params.clone(), ..forkscope::conductor::RunSpec::of(lesson.clone()) },
        bad: None,
        runs: 0,
        out: Some(std::env::temp_dir().join(format!("forkscope-bench-{}.fsrec", std::process::id()))),
        run_timeout: Duration::from_secs(30),
        exe: env!("CARGO_BIN_EXE_forkscope").into(),
        preemptions: None,
        budget,
        progress: false,
        progress_json: false,
        first: false,
        reduce: true,
        workers: explore::workers(),
    }
}

/// A lesson with `given` parameters, ready to run.
fn lesson(spec: &str, given: &[&str]) -> (Lesson, BTreeMap<String, Value>) {
    let l = scenario::load(spec).expect("lesson");
    let params = l.resolve_params(&given.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("params");
    (l.for_run(&params).expect("the program"), params)
}

/// Runs a search made: the interleavings tried and the minimising runs.
fn runs_of(r: &AllExplored) -> u32 {
    r.runs + r.minimise_runs
}

fn bench_searches(c: &mut criterion::Criterion, counts: &mut BTreeMap<&'static str, u32>) {
    let mut g = c.benchmark_group("explore_python");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    // The race of the measure: 3 buyers, 2 tickets, no lock, in
    // Python and in Rhai; each search cut at BUDGET runs (then minimised).
    let (py, py_params) = lesson("ticket-race.py", &["variant=race", "buyers=3", "tickets=2"]);
    let (rhai, rhai_params) = lesson("ticket-race", &["lock=false", "buyers=3", "tickets=2"]);
    // The Python race again with one worker (no run made beside): the
    // baseline of the second worker, in the same run.
    let cases = [("python_race_3_buyers", &py, &py_params, explore::workers()), ("python_race_3_buyers_one_worker", &py, &py_params, 1), ("rhai_race_3_buyers", &rhai, &rhai_params, explore::workers())];
    for (id, l, p, workers) in cases {
        g.bench_function(id, |b| {
            b.iter(|| {
                let r = explore::explore_all(&ExploreOptions { workers, ..options(l, p, Some(BUDGET)) }, &mut std::io::sink()).expect("explore --all");
                assert!(r.found.is_some(), "{id}: the race has a counterexample");
                counts.insert(id, runs_of(&r));
            })
        });
    }
    g.finish();
}

fn bench_run_start(c: &mut criterion::Criterion) {
    let dir = std::env::temp_dir().join(format!("forkscope-bench-pass-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("folder");
    let file = dir.join("nothing.py");
    std::fs::write(&file, "pass\n").expect("program");
    let (l, params) = lesson(file.to_str().unwrap(), &[]);
    let opts = options(&l, &params, None);
    let mut g = c.benchmark_group("python_start");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for (id, zygote) in [("run_from_zygote", true), ("run_fresh", false)] {
        forkscope::python::launch::use_zygote(zygote);
        g.bench_function(id, |b| {
            b.iter(|| {
                let f = explore::run_once(&opts, 0, explore::minimise::run_on(), None).expect("run");
                assert_eq!(f.summary.outcome.name(), "completed");
            })
        });
    }
    forkscope::python::launch::use_zygote(false);
    let python = forkscope::python::launch::interpreter().expect("python3").path;
    g.bench_function("python3_c_pass", |b| {
        b.iter(|| {
            let st = std::process::Command::new(&python).args(["-c", "pass"]).status().expect("python3");
            assert!(st.success());
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The seen-state and symmetry reductions against `--no-reduce`, in the same
/// run: runs and seconds to the verdict of the safe ticket race with four
/// interchangeable buyers (runs are the same every time; seconds move with the load).
fn reductions() -> Vec<Row> {
    let (l, p) = lesson("ticket-race.py", &["variant=safe", "buyers=4", "tickets=2"]);
    let mut got = Vec::new();
    for reduce in [true, false] {
        let t = Instant::now();
        let r = explore::explore_all(&ExploreOptions { reduce, ..options(&l, &p, None) }, &mut std::io::sink()).expect("explore --all");
        assert_eq!(r.result(), "verified");
        got.push((r.runs, t.elapsed().as_secs_f64(), r.seen_states));
    }
    let ((on, on_s, seen), (off, off_s, _)) = (got[0], got[1]);
    let ratio = on as f64 / off as f64;
    vec![
        Row::new("explore --all ticket-race.py safe, 4 buyers, reductions on: runs to verified", format!("{on} runs ({seen} at a state seen before), {on_s:.1} s"), "—", None),
        Row::new("  the same with --no-reduce, same run", format!("{off} runs, {off_s:.1} s"), "(baseline)", None),
        Row::new("  runs with ÷ without the reductions (seconds)", format!("{ratio:.2}× ({:.2}×)", on_s / off_s), "< 1×", Some(ratio < 1.0)),
    ]
}

/// Time to a verdict of `explore --all --first` (a verdict soon: the first
/// counterexample, sampled schedules beside the search) on every built-in
/// Python lesson and variant at its defaults, cut at `limit` runs.
fn verdicts(limit: u32) -> Vec<Row> {
    let mut rows = Vec::new();
    for l in scenario::python_builtins() {
        let names: Vec<String> = if l.variants.is_empty() { vec![String::new()] } else { l.variants.iter().map(|v| v.name.clone()).collect() };
        for v in names {
            let given: Vec<String> = if v.is_empty() { vec![] } else { vec![format!("variant={v}")] };
            let Ok(params) = l.resolve_params(&given) else { continue };
            let Ok(run) = l.for_run(&params) else { continue };
            let t = Instant::now();
            let r = explore::explore_all(&ExploreOptions { first: true, ..options(&run, &params, Some(limit)) }, &mut std::io::sink());
            let secs = t.elapsed().as_secs_f64();
            let what = if v.is_empty() { l.name.clone() } else { format!("{} variant={v}", l.name) };
            let (said, ok) = match &r {
                Ok(r) if r.result() == "bounded" => (format!("no verdict within {limit} runs ({secs:.1} s)"), Some(false)),
                Ok(r) => (format!("{} in {secs:.1} s ({} runs)", r.result(), runs_of(r)), Some(secs <= 10.0)),
                Err(e) => (format!("error: {e}"), Some(false)),
            };
            println!("{what}: {said}");
            rows.push(Row::new(&what, said, "a verdict ≤ 10 s", ok));
        }
    }
    rows
}

fn main() {
    let mut c = criterion();
    let mut counts = BTreeMap::new();
    bench_searches(&mut c, &mut counts);
    bench_run_start(&mut c);
    c.final_summary();
    let rate = |id: &'static str| Some(*counts.get(id)? as f64 * 1e9 / median_ns("explore_python", id)?);
    let (py, rhai) = (rate("python_race_3_buyers"), rate("rhai_race_3_buyers"));
    let py_one = rate("python_race_3_buyers_one_worker");
    let per_s = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{v:.1} runs/s"));
    let zygote = median_ns("python_start", "run_from_zygote");
    let fresh = median_ns("python_start", "run_fresh");
    let pass = median_ns("python_start", "python3_c_pass");
    let ms = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{:.1} ms", v / 1e6));
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
    let times = |x: Option<f64>| x.map_or("not measured".into(), |v| format!("{v:.2}×"));
    let mut rows = vec![
        Row::new("explore --all ticket-race.py race, 3 buyers, 2 tickets (Python, zygote)", per_s(py), "≥ 50 runs/s", py.map(|v| v >= 50.0)),
        Row::new(&format!("  the same with one worker (FORKSCOPE_WORKERS=1; above: {})", explore::workers()), per_s(py_one), "(baseline)", None),
        Row::new("  Python runs/s, workers ÷ one worker", times(ratio(py, py_one)), "> 1×", ratio(py, py_one).map(|r| r > 1.0)),
        Row::new("  the same search of the Rhai lesson (lock=false), same run", per_s(rhai), "(baseline)", None),
        Row::new("  Python ÷ Rhai runs/s", times(ratio(py, rhai)), "—", None),
        Row::new("a Python run of `pass`, stepped to its end, from the zygote", ms(zygote), "—", None),
        Row::new("  the same run, a fresh python3 (--no-fork-server)", ms(fresh), "—", None),
        Row::new("  plain `python3 -c pass`", ms(pass), "—", None),
        Row::new("  zygote run ÷ python3 -c pass", times(ratio(zygote, pass)), "< 1×", ratio(zygote, pass).map(|r| r < 1.0)),
        Row::new("  fresh run ÷ zygote run", times(ratio(fresh, zygote)), "—", None),
    ];
    rows.extend(reductions());
    if std::env::args().skip(1).any(|a| a == "python_verdicts") {
        rows.extend(verdicts(2000));
    }
    report("explore of Python programs (cargo bench --bench explore_python)", &rows);
}
