//! `forkscope snapshot`: a lesson or a recording drawn at a moment, written
//! as a picture.

use super::{fail, say, spec};
use crate::cli::SnapshotArgs;
use crate::conductor::RunOptions;

fn moment_is_free(m: &crate::snapshot::Moment) -> bool {
    matches!(m, crate::snapshot::Moment::At(_))
}

pub fn snapshot(args: SnapshotArgs, lang: crate::vocab::Lang) -> i32 {
    use crate::export::{self, Format};
    use crate::snapshot::Moment;
    if Format::of_path(&args.out).is_none() {
        return fail(format!("--out {}: unknown picture format (use .svg, .png, .html or .txt)", args.out.display()));
    }
    let stack = match args.panes.as_deref().map(crate::ui::state::FigurePane::parse_list).transpose() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let (width, height) = match crate::snapshot::parse_size(&args.size) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let moment = match (args.steps, args.at) {
        (Some(n), _) => Moment::Steps(n),
        (None, Some(d)) => Moment::At(d),
        (None, None) => Moment::End,
    };
    let theme: export::Paper = args.theme.parse().unwrap_or_default();
    // A recording (`explore`'s counterexample, `--record`): its schedule, its
    // parameters and seed, and the footer says where it came from.
    let (opts, policy, note) = if args.lesson.ends_with(".fsrec") {
        if !args.with.params.is_empty() || args.with.seed != 0 {
            return fail(format!("{}: a recording has its own parameters and seed (no --param or --seed with it)", args.lesson));
        }
        if moment_is_free(&moment) {
            return fail("--at: a recording is drawn after a number of its steps (--steps N) or at its end, not at a time");
        }
        let rec = match crate::recording::Recording::load(std::path::Path::new(&args.lesson)) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let opts = match rec.run_options(lang) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        let note = Some(rec.figure_note().unwrap_or_else(|| format!("replay of {}", args.lesson)));
        (opts, crate::conductor::schedule::Policy::Replay(rec.actions.into()), note)
    } else {
        let spec = match spec(&args.lesson, &args.with, lang) {
            Ok(s) => s,
            Err(code) => return code,
        };
        (RunOptions::new(spec), crate::conductor::schedule::Policy::RoundRobin, None)
    };
    crate::sys::catch_stop_signals();
    if args.diagram {
        return diagram(&args, opts, policy, note, moment, theme);
    }
    let mut shot = match crate::snapshot::capture_with(opts, moment, policy) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    shot.note = note;
    if !args.real_pids {
        crate::snapshot::renumber_pids(&mut shot.model);
    }
    let mut dash = shot.dashboard();
    if let Some(who) = &args.variables {
        let lane = if who.is_empty() { dash.model.last_stepped() } else { dash.model.processes.values().find(|p| &p.name == who).map(|p| p.lane) };
        match lane {
            Some(lane) => dash.view.selected_lane = Some(lane),
            None if who.is_empty() => {}
            None => return fail(format!("--variables {who}: no process of that name in this run (names: {})", dash.model.processes.values().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "))),
        }
        dash.view.show_vars = true;
    }
    dash.view.console = args.console;
    if let Some(stack) = stack {
        if stack.contains(&crate::ui::state::FigurePane::Variables) && !dash.view.show_vars {
            // Without --variables: of the process that stepped last.
            dash.view.selected_lane = dash.model.last_stepped().or(dash.view.selected_lane);
        }
        dash.view.stack = Some(stack);
    }
    let buf = crate::ui::figure::frame(&dash, width, height);
    match export::write_picture(&buf, &args.out, theme, args.scale) {
        Ok(()) => {
            say(format!("wrote {} ({width}x{height}, {}, {} theme)", args.out.display(), shot.moment, theme.name()));
            0
        }
        Err(e) => fail(e),
    }
}

/// `snapshot --diagram`: the run (a recording's schedule, or round robin)
/// as a sequence diagram, to `--steps N` or its end; a bad run's
/// conflicting ops highlighted and said.
fn diagram(args: &SnapshotArgs, opts: RunOptions, policy: crate::conductor::schedule::Policy, note: Option<String>, moment: crate::snapshot::Moment, theme: crate::export::Paper) -> i32 {
    use crate::export::{Format, diagram};
    let format = Format::of_path(&args.out);
    if !matches!(format, Some(Format::Svg | Format::Png)) {
        return fail(format!("--out {}: a diagram is written as .svg or .png", args.out.display()));
    }
    let spec = opts.spec.clone();
    let lang = spec.lang;
    let (run, bad, why) = match crate::explore::run_explained(opts.spec, opts.exe, policy) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let mut records = run.records;
    let stop = if run.summary.outcome == crate::model::summary::Outcome::Deadlock { crate::snapshot::Stop::Deadlock } else { crate::snapshot::Stop::AllEnded };
    let mut reached = crate::snapshot::Reached::Stopped { steps: run.summary.steps, why: stop, end: true }.say(lang);
    if let crate::snapshot::Moment::Steps(n) = moment
        && let Some(cut) = records.iter().enumerate().filter(|(_, r)| matches!(r.kind, crate::model::RecordKind::Grant { .. })).nth(n as usize).map(|(i, _)| i)
    {
        records.truncate(cut);
        reached = crate::snapshot::Reached::Step(n).say(lang);
    }
    if !args.real_pids {
        crate::snapshot::renumber_records(&mut records, &run.model);
    }
    let lesson = &spec.lesson;
    let mut subtitle = format!("{reached} · {} {}", lang.pick("seed", "种子"), spec.seed);
    let params = lesson.params_text(&spec.params);
    if !params.is_empty() {
        subtitle.push_str(&format!(" · {params}"));
    }
    if let Some(n) = note {
        subtitle.push_str(&format!(" · {n}"));
    }
    let dspec = diagram::Spec {
        title: format!("{} — {}", lesson.name, lesson.title(lang)),
        subtitle,
        verdict: bad.map(|(kind, message)| format!("{}: {message}", crate::words::finding_kind(&kind, lang))),
        lang,
        python: lesson.engine == crate::scenario::Engine::Python,
        conflicts: why,
    };
    let (d, bytes) = match format {
        Some(Format::Png) => match diagram::png(&records, &dspec, theme, args.scale) {
            Ok(x) => x,
            Err(e) => return fail(e),
        },
        _ => {
            let d = diagram::diagram(&records, &dspec, theme);
            let bytes = d.svg.clone().into_bytes();
            (d, bytes)
        }
    };
    match crate::export::replace_file(&args.out, &bytes) {
        Ok(()) => {
            say(format!("wrote {} (sequence diagram: {} rows, {} of them conflicting ops; {reached}, {} theme)", args.out.display(), d.rows, d.hot, theme.name()));
            0
        }
        Err(e) => fail(format!("{}: {e}", args.out.display())),
    }
}
