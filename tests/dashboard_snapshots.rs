//! Whole-screen snapshots of the dashboard, fed from RECORDED records
//! (tests/fixtures/ticket-race-lock-rr.ndjson, captured once with
//! `forkscope run ticket-race --headless --json --schedule rr --param lock=true`),
//! so they are deterministic: no live process is involved.
//!
//! Update after an intended change of the screen with
//! `INSTA_UPDATE=always cargo test --release --test suite dashboard_snapshots::` and review the diff.

use std::time::Duration;

use forkscope::codec::Value;
use forkscope::model::{PState, Record};
use forkscope::scenario;
use forkscope::ui::common::buffer_lines;
use forkscope::ui::picker::{PickerFocus, PickerState};
use forkscope::ui::state::{Dashboard, Mode, Overlay, Pane, RunStatus};
use forkscope::ui::text::{self, Lang};
use forkscope::ui::theme::Theme;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use forkscope::vocab::Lane;

fn records() -> Vec<Record> {
    let text = include_str!("fixtures/ticket-race-lock-rr.ndjson");
    text.lines().filter(|l| !l.contains("\"type\":\"summary\"")).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad fixture line {l}: {e}"))).collect()
}

/// A dashboard after the first `n` recorded records, paused and settled.
fn dashboard(n: usize, lang: Lang, theme: Theme) -> Dashboard {
    let lesson = scenario::load("ticket-race").unwrap();
    let params = [("buyers", Value::Int(10)), ("lock", Value::Bool(true)), ("tickets", Value::Int(3))].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut d = Dashboard::new(lesson, &params, 0, lang, theme);
    for r in records().iter().take(n) {
        d.apply(r);
    }
    d.status = RunStatus { mode: Mode::Paused, settled: true, elapsed: Duration::from_secs(12), clock_ns: d.model.now_ns, received: n as u64, ..RunStatus::default() };
    d
}

/// The first point of the recording where three buyers wait on the lock.
fn contention() -> usize {
    let recs = records();
    let mut d = dashboard(0, Lang::En, Theme::mono());
    for (i, r) in recs.iter().enumerate() {
        d.apply(r);
        if d.model.processes.values().filter(|p| p.state == PState::Blocked && p.wait.as_ref().is_some_and(|w| w.res.is_some())).count() >= 3 {
            return i + 1;
        }
    }
    panic!("the recording never has three buyers blocked on the lock");
}

fn screen(d: &Dashboard, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(d, f.area())).unwrap();
    t
}

#[test]
fn contention_120x40() {
    let _share = crate::common::share();
    let mut d = dashboard(contention(), Lang::En, Theme::colored());
    d.view.selected_lane = Some(Lane(3));
    let t = screen(&d, 120, 40);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("blocked"), "{text}");
    assert!(text.contains("Lock-1 held by"), "the lock and its holder:\n{text}");
    assert_snapshot!(t.backend());
}

#[test]
fn contention_80x24() {
    let _share = crate::common::share();
    let d = dashboard(contention(), Lang::En, Theme::colored());
    let t = screen(&d, 80, 24);
    let lines = buffer_lines(t.backend().buffer());
    assert!(lines.iter().all(|l| text::width(l) == 80), "every row is exactly 80 columns: {lines:#?}");
    assert_snapshot!(t.backend());
}

#[test]
fn contention_in_chinese_120x40() {
    let _share = crate::common::share();
    let mut d = dashboard(contention(), Lang::Zh, Theme::colored());
    d.view.focus = Pane::Log;
    let t = screen(&d, 120, 40);
    let lines = buffer_lines(t.backend().buffer());
    // Wide characters take two columns: every row is still exactly 120 wide,
    // and the log pane's right border stays in the last column.
    for l in &lines {
        assert_eq!(text::width(l), 120, "{l}");
    }
    assert!(lines.iter().any(|l| l.contains("查询余票")), "{lines:#?}");
    assert_snapshot!(t.backend());
}

#[test]
fn ended_120x40() {
    let _share = crate::common::share();
    let all = records().len();
    let mut d = dashboard(all, Lang::En, Theme::colored());
    d.status.mode = Mode::Ended;
    let t = screen(&d, 120, 40);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("ENDED"));
    assert!(text.contains("sold = 3"), "reported values are shown:\n{text}");
    assert!(text.contains("exited 0"));
    assert_snapshot!(t.backend());
}

#[test]
fn help_overlay_80x24() {
    let _share = crate::common::share();
    let mut d = dashboard(contention(), Lang::En, Theme::colored());
    d.view.overlay = Some(Overlay::Help);
    let top = buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n");
    assert!(top.contains("more · ↑↓ scroll"), "the help is taller than 80×24 and says so:\n{top}");
    assert_snapshot!(screen(&d, 80, 24).backend());
    // Scrolled to its end, the last keys and the legend show.
    for _ in 0..20 {
        d.move_by(1);
    }
    let end = buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n");
    assert!(end.contains("the lesson: its story") && end.contains("quit (ends every process") && end.contains("timeline:"), "{end}");
}

#[test]
fn details_of_a_blocked_process_100x30() {
    let _share = crate::common::share();
    let mut d = dashboard(contention(), Lang::En, Theme::colored());
    let blocked = d.model.processes.values().find(|p| p.state == PState::Blocked).unwrap().lane;
    d.view.selected_lane = Some(blocked);
    d.toggle_details();
    let t = screen(&d, 100, 30);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("acquire Lock-1, held by"), "{text}");
    assert_snapshot!(t.backend());
}

#[test]
fn too_small_says_so_and_never_panics() {
    let _share = crate::common::share();
    let d = dashboard(contention(), Lang::En, Theme::colored());
    assert_snapshot!(screen(&d, 60, 10).backend());
    // Every size from nothing to just below the minimum draws without a panic.
    for (w, h) in [(0, 0), (1, 1), (2, 50), (79, 24), (80, 23), (200, 5), (5, 200)] {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        (&d).render(buf.area, &mut buf);
    }
    for (w, h) in [(80, 24), (81, 25), (300, 100)] {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        (&d).render(buf.area, &mut buf);
        assert!(!buffer_lines(&buf).join("").contains("too small"), "{w}x{h}");
    }
}

#[test]
fn no_color_paints_nothing_in_colour() {
    let _share = crate::common::share();
    let d = dashboard(contention(), Lang::En, Theme::mono());
    let t = screen(&d, 120, 40);
    let buf = t.backend().buffer();
    for c in &buf.content {
        assert_eq!(c.fg, ratatui::style::Color::Reset, "{c:?}");
        assert_eq!(c.bg, ratatui::style::Color::Reset, "{c:?}");
    }
    // Still readable without colour: states have words and glyphs, and the
    // source marks each process's line with its lane number.
    let text = buffer_lines(buf).join("\n");
    assert!(text.contains("blocked") && text.contains("▓"), "{text}");
    assert!(!text.contains('●'), "coloured dots need colour: lane digits instead");
}

fn picker(lang: Lang) -> PickerState {
    let mut p = PickerState::new(scenario::builtins(), lang, Theme::colored());
    p.selected = p.lessons.iter().position(|l| l.name == "ticket-race").unwrap();
    p.focus = PickerFocus::Options;
    p
}

fn picker_screen(p: &PickerState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(p, f.area())).unwrap();
    t
}

#[test]
fn picker_80x24() {
    let _share = crate::common::share();
    let t = picker_screen(&picker(Lang::En), 80, 24);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("Buying tickets"));
    assert!(text.contains("buyers"));
    assert_snapshot!(t.backend());
}

#[test]
fn picker_in_chinese_100x30() {
    let _share = crate::common::share();
    let t = picker_screen(&picker(Lang::Zh), 100, 30);
    let lines = buffer_lines(t.backend().buffer());
    for l in &lines {
        assert_eq!(text::width(l), 100, "{l}");
    }
    let all = lines.join("\n");
    assert!(all.contains("模拟抢票"), "{all}");
    assert_snapshot!(t.backend());
}

#[test]
fn free_running_timeline_120x40() {
    let _share = crate::common::share();
    // Recorded running freely: `--param lock=true --param buyers=4 --speed 2`.
    let text = include_str!("fixtures/ticket-race-lock-free.ndjson");
    let recs: Vec<Record> = text.lines().filter(|l| !l.contains("\"type\":\"summary\"")).map(|l| serde_json::from_str(l).unwrap()).collect();
    let lesson = scenario::load("ticket-race").unwrap();
    let params = [("buyers", Value::Int(4)), ("lock", Value::Bool(true)), ("tickets", Value::Int(3))].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut d = Dashboard::new(lesson, &params, 0, Lang::En, Theme::colored());
    for r in recs.iter().take_while(|r| r.t_ns <= 600_000_000) {
        d.apply(r);
    }
    d.status = RunStatus { mode: Mode::Running, speed: 2.0, elapsed: Duration::from_millis(600), clock_ns: 600_000_000, rate: 80.0, ..RunStatus::default() };
    let t = screen(&d, 120, 40);
    let lines = buffer_lines(t.backend().buffer());
    let text = lines.join("\n");
    assert!(text.contains("RUNNING"), "{text}");
    assert!(text.contains("50ms/c"), "at speed 2 a cell is 50 ms:\n{text}");
    // Some buyer slept (~) and then waited for the lock (▓) on its timeline.
    assert!(lines.iter().any(|l| l.contains("Process-") && l.contains('~') && l.contains('▓')), "{text}");
    assert_snapshot!(t.backend());
}

/// The lesson's explanation (`e`): title, story, what to look for and this
/// run's parameters, in either language, at the smallest and a usual size.
fn explanation(lang: Lang, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut d = dashboard(contention(), lang, Theme::colored());
    d.toggle_explanation();
    let t = screen(&d, w, h);
    let lines = buffer_lines(t.backend().buffer());
    for l in &lines {
        assert_eq!(text::width(l), w as usize, "{l}");
    }
    let all = lines.join("\n");
    let (story, look) = match lang {
        Lang::En => ("The story", "What to look for"),
        Lang::Zh => ("故事", "观察要点"),
    };
    assert!(all.contains(story) && all.contains(look) && all.contains("buyers=10"), "{all}");
    t
}

#[test]
fn explanation_80x24() {
    let _share = crate::common::share();
    assert_snapshot!(explanation(Lang::En, 80, 24).backend());
}

#[test]
fn explanation_120x40() {
    let _share = crate::common::share();
    assert_snapshot!(explanation(Lang::En, 120, 40).backend());
}

#[test]
fn explanation_in_chinese_80x24() {
    let _share = crate::common::share();
    assert_snapshot!(explanation(Lang::Zh, 80, 24).backend());
}

#[test]
fn explanation_in_chinese_120x40() {
    let _share = crate::common::share();
    assert_snapshot!(explanation(Lang::Zh, 120, 40).backend());
}

/// A longer explanation (deadlock's, with its challenge) does not fit at
/// 80×24: the bottom border says how much more is below; scrolled to its
/// end, it shows what did not fit (its last line: this run's parameters).
#[test]
fn explanation_scrolls_to_its_end() {
    let _share = crate::common::share();
    let lesson = scenario::load("deadlock").unwrap();
    let params = [("fix", Value::Bool(false)), ("think", Value::Float(0.5))].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut d = Dashboard::new(lesson, &params, 0, Lang::En, Theme::colored());
    d.toggle_explanation();
    let all = buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n");
    assert!(all.contains("more · ↑↓ scroll") && !all.contains("This run:"), "{all}");
    for _ in 0..40 {
        d.move_by(1);
    }
    let all = buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n");
    assert!(all.contains("This run: fix=false") && all.contains("★ Step alex and egon") && all.contains(" ↑ 7 more") && !all.contains(" ↓ "), "{all}");
    // Closing and opening again starts from the top.
    d.toggle_explanation();
    d.toggle_explanation();
    assert!(buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n").contains("The story"));
}

/// The first point of the recording where three buyers have ended.
fn three_ended() -> usize {
    let recs = records();
    let mut d = dashboard(0, Lang::En, Theme::mono());
    for (i, r) in recs.iter().enumerate() {
        d.apply(r);
        if d.model.processes.values().filter(|p| !p.state.is_live()).count() >= 3 {
            return i + 1;
        }
    }
    panic!("the recording never has three buyers ended");
}

/// At 80×24 the eleven processes of ticket-race overflow the list: the
/// ended ones fold away (the title says how many and that `f` shows them),
/// so every live one is on screen; `f` brings them back. At 120×40 they fit
/// and nothing is folded.
fn folded(lang: Lang) {
    let mut d = dashboard(three_ended(), lang, Theme::colored());
    let t = screen(&d, 80, 24);
    let all = buffer_lines(t.backend().buffer()).join("\n");
    let live: Vec<String> = d.model.processes.values().filter(|p| p.state.is_live()).map(|p| p.name.clone()).collect();
    let ended: Vec<String> = d.model.processes.values().filter(|p| !p.state.is_live() && p.lane != d.selected_lane().unwrap()).map(|p| p.name.clone()).collect();
    let rows = |all: &str, name: &str| all.lines().filter(|l| l.split_whitespace().any(|w| w.trim_start_matches(['│', '>', '└']) == name && l.contains(&format!(" {name}")))).count();
    for n in &live {
        assert!(rows(&all, n) >= 1, "{n} is live and shown:\n{all}");
    }
    let hint = match lang {
        Lang::En => format!("{} ended folded: f shows", ended.len()),
        Lang::Zh => format!("{} 个已结束的已折叠:f 显示", ended.len()),
    };
    assert!(all.contains(&hint), "{hint}\n{all}");
    assert_snapshot!(format!("folded_{}_80x24", lang.code()), t.backend());
    // Moving the selection goes through the rows on screen, not the folded ones.
    d.view.lanes_capacity = 9;
    d.select_row(1);
    let second = all.lines().nth(4).and_then(|l| l.split_whitespace().nth(3)).unwrap().to_string();
    assert_eq!(d.model.pname(d.selected_lane().unwrap()), second, "{all}");
    d.toggle_ended();
    let all = buffer_lines(screen(&d, 80, 24).backend().buffer()).join("\n");
    assert!(!all.contains("folded") && !all.contains("折叠:"), "{all}");
    d.toggle_ended();
    let t = screen(&d, 120, 40);
    let all = buffer_lines(t.backend().buffer()).join("\n");
    for n in live.iter().chain(&ended) {
        assert!(rows(&all, n) >= 1, "{n} fits at 120×40:\n{all}");
    }
    assert_snapshot!(format!("folded_{}_120x40", lang.code()), t.backend());
}

#[test]
fn ended_processes_fold_away_when_the_list_overflows() {
    let _share = crate::common::share();
    folded(Lang::En);
}

#[test]
fn ended_processes_fold_away_in_chinese() {
    let _share = crate::common::share();
    folded(Lang::Zh);
}

/// `o`: the log shows the program's own output only (its prints), without
/// forkscope's events; the title says so and how to get everything back.
fn prints_only(lang: Lang, w: u16, h: u16) {
    let mut d = dashboard(contention(), lang, Theme::colored());
    d.toggle_prints_only();
    let t = screen(&d, w, h);
    let all = buffer_lines(t.backend().buffer()).join("\n");
    let (title, event) = match lang {
        Lang::En => ("program output only (o)", "started"),
        Lang::Zh => ("只看程序输出(o)", "started"),
    };
    assert!(all.contains(title), "{all}");
    assert!(all.contains("查询余票"), "the prints stay:\n{all}");
    let log: Vec<&str> = all.lines().filter(|l| l.contains(": · ") || l.contains(event) && l.contains("pid")).collect();
    assert!(log.is_empty(), "no event in the log: {log:?}\n{all}");
    assert_snapshot!(format!("prints_only_{}_{w}x{h}", lang.code()), t.backend());
}

#[test]
fn prints_only_in_the_log() {
    let _share = crate::common::share();
    prints_only(Lang::En, 80, 24);
    prints_only(Lang::En, 120, 40);
    prints_only(Lang::Zh, 80, 24);
    prints_only(Lang::Zh, 120, 40);
}

/// ASCII words (three letters or more) in `s` other than `keep`: English
/// that forkscope left in a Chinese screen. Names, API calls and signal
/// names are the program's or Python's, and stay.
fn english_words(s: &str, keep: &[&str]) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3 && !keep.contains(w)).map(str::to_string).collect()
}

/// The deadlock lesson, recorded once with `forkscope run deadlock
/// --headless --json --schedule rr` up to forkscope's closing: alex holds
/// noodles and waits for fork, egon the other way round.
fn deadlocked(lang: Lang) -> Dashboard {
    let lesson = scenario::load("deadlock").unwrap();
    let params = [("fix", Value::Bool(false)), ("think", Value::Float(0.5))].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut d = Dashboard::new(lesson, &params, 0, lang, Theme::colored());
    let text = include_str!("fixtures/deadlock-rr.ndjson");
    for l in text.lines() {
        d.apply(&serde_json::from_str(l).unwrap_or_else(|e| panic!("bad fixture line {l}: {e}")));
    }
    d.status = RunStatus { mode: Mode::Paused, settled: true, elapsed: Duration::from_secs(3), clock_ns: d.model.now_ns, received: text.lines().count() as u64, ..RunStatus::default() };
    d.view.focus = Pane::Log;
    d
}

/// `l` from terminal column `col` on (wide characters take two).
fn from_column(l: &str, col: usize) -> String {
    let mut used = 0;
    l.chars()
        .skip_while(|c| {
            let skip = used < col;
            used += text::char_width(*c);
            skip
        })
        .collect()
}

/// The banner (rows under the header, above the panes) and the log pane's rows.
fn banner_and_log(lines: &[String]) -> (String, String) {
    let banner = lines.iter().skip(1).take_while(|l| !l.starts_with('┌')).cloned().collect::<Vec<_>>().join(" ");
    // The log is the last box of the lower half: from its top-left corner to the right.
    let top = lines.iter().rposition(|l| l.contains("日志 · ") || l.contains("Log · ")).expect("the log pane");
    let at = lines[top].rfind('┌').map(|i| text::width(&lines[top][..i])).unwrap();
    let log = lines[top + 1..lines.len() - 2].iter().map(|l| from_column(l, at)).collect::<Vec<_>>().join("\n");
    (banner, log)
}

fn deadlock_screen(lang: Lang, w: u16, h: u16) -> (Terminal<TestBackend>, Vec<String>) {
    let t = screen(&deadlocked(lang), w, h);
    let lines = buffer_lines(t.backend().buffer());
    for l in &lines {
        assert_eq!(text::width(l), w as usize, "{l}");
    }
    (t, lines)
}

#[test]
fn deadlock_80x24() {
    let _share = crate::common::share();
    let (t, lines) = deadlock_screen(Lang::En, 80, 24);
    let (banner, log) = banner_and_log(&lines);
    assert!(banner.contains("DEADLOCK: alex waits for fork, egon waits for noodles"), "{banner}");
    assert!(log.contains("blocked in acquire"), "{log}");
    assert_snapshot!(t.backend());
}

#[test]
fn deadlock_120x40() {
    let _share = crate::common::share();
    let (t, lines) = deadlock_screen(Lang::En, 120, 40);
    let (banner, log) = banner_and_log(&lines);
    assert!(banner.contains("fork is held by egon, noodles is held by alex"), "{banner}");
    assert!(log.contains("started alex"), "{log}");
    assert_snapshot!(t.backend());
}

/// Everything forkscope writes on the screen is Chinese: the banner, the
/// log's events, the header and the footer; the program's prints, names and
/// API calls stay as they are.
fn deadlock_in_chinese(w: u16, h: u16) {
    let (t, lines) = deadlock_screen(Lang::Zh, w, h);
    let (banner, log) = banner_and_log(&lines);
    assert!(banner.starts_with(" 死锁:alex 在等 fork"), "{banner}");
    assert!(log.contains("阻塞在 acquire") && log.contains("拿到"), "{log}");
    let keep = ["alex", "egon", "fork", "noodles", "acquire", "join", "MainProcess", "forkscope", "pid", "finished", "false"];
    assert_eq!(english_words(&banner, &keep), Vec::<String>::new(), "{banner}");
    assert_eq!(english_words(&log, &keep), Vec::<String>::new(), "{log}");
    let header_footer = format!("{}\n{}", lines[0], lines[lines.len() - 1]);
    // The lesson's name, keys (space, esc) and a sleep's speed unit stay.
    assert_eq!(english_words(&header_footer, &["deadlock", "space", "join"]), Vec::<String>::new(), "{header_footer}");
    assert_snapshot!(format!("deadlock_in_chinese_{w}x{h}"), t.backend());
}

#[test]
fn deadlock_in_chinese_80x24() {
    let _share = crate::common::share();
    deadlock_in_chinese(80, 24);
}

#[test]
fn deadlock_in_chinese_120x40() {
    let _share = crate::common::share();
    deadlock_in_chinese(120, 40);
}

#[test]
fn contention_in_chinese_80x24() {
    let _share = crate::common::share();
    let d = dashboard(contention(), Lang::Zh, Theme::colored());
    let t = screen(&d, 80, 24);
    let lines = buffer_lines(t.backend().buffer());
    let (_, log) = banner_and_log(&lines);
    assert!(log.contains("阻塞在 acquire Lock-1"), "{log}");
    assert_snapshot!(t.backend());
}

/// A process's details in Chinese: every label and value forkscope writes.
fn details_in_chinese(w: u16, h: u16) {
    let mut d = dashboard(contention(), Lang::Zh, Theme::colored());
    let blocked = d.model.processes.values().find(|p| p.state == PState::Blocked).unwrap().lane;
    d.view.selected_lane = Some(blocked);
    d.toggle_details();
    let t = screen(&d, w, h);
    let lines = buffer_lines(t.backend().buffer());
    // The box: from its top-left corner to its bottom.
    let top = lines.iter().position(|l| l.contains("┌[进程 Process-")).expect("the details box");
    let at = lines[top].find("┌[进程").map(|i| text::width(&lines[top][..i])).unwrap();
    // Up to the box's right border.
    let inner: Vec<String> = lines[top..].iter().map(|l| from_column(l, at)).take_while(|l| !l.starts_with('└')).map(|l| l.split('│').nth(1).unwrap_or(&l).to_string()).collect();
    let inner = inner.join("\n");
    assert!(inner.contains("目标函数") && inner.contains("操作数") && inner.contains("阻塞"), "{inner}");
    let keep = ["Process", "MainProcess", "Lock", "pid", "ppid", "acquire", "print", "ticket", "forkscope", "esc"];
    assert_eq!(english_words(&inner, &keep), Vec::<String>::new(), "{inner}");
    assert_snapshot!(format!("details_in_chinese_{w}x{h}"), t.backend());
}

#[test]
fn details_in_chinese_80x24() {
    let _share = crate::common::share();
    details_in_chinese(80, 24);
}

#[test]
fn details_in_chinese_120x40() {
    let _share = crate::common::share();
    details_in_chinese(120, 40);
}

/// A goal and a bad outcome above a deadlock at 80×24: the deadlock says
/// itself in the rows left to it (who waits for each other), not cut
/// in the middle of its cause.
#[test]
fn a_deadlock_under_other_banners_keeps_its_cause_at_80x24() {
    let _share = crate::common::share();
    let mut d = deadlocked(Lang::En);
    d.status.goals = vec!["Deadlock them".into()];
    d.status.bad = vec!["the noodles were never eaten".into()];
    let t = screen(&d, 80, 24);
    let lines = buffer_lines(t.backend().buffer());
    let (banner, _) = banner_and_log(&lines);
    assert!(banner.contains("DEADLOCK: alex, egon wait for each other (noodles, fork)") || banner.contains("DEADLOCK: alex, egon wait for each other (fork, noodles)"), "{banner}");
    assert!(!banner.contains('…'), "nothing cut: {banner}");
}

/// At 120 columns the header says the lesson's title whole: the tool's
/// counters (`dropped 0`, the record rate) give way to it first.
#[test]
fn the_header_keeps_the_lesson_title_whole_at_120_columns() {
    let _share = crate::common::share();
    let (_, lines) = deadlock_screen(Lang::En, 120, 40);
    assert!(lines[0].contains("Deadlock: two locks taken in opposite order") && lines[0].contains("op steps"), "{}", lines[0]);
    assert!(!lines[0].contains('…'), "{}", lines[0]);
}
