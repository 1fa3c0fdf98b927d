//! Whole-screen snapshots of the dashboard, fed from RECORDED records
//! (tests/fixtures/ticket-race-lock-rr.ndjson, captured once with
//! `forkscope run ticket-race --headless --json --schedule rr --param lock=true`),
//! so they are deterministic: no live process is involved.
//!
//! Update after an intended change of the screen with
//! `INSTA_UPDATE=always cargo test --test dashboard_snapshots` and review the diff.

use std::time::Duration;

use forkscope::codec::Value;
use forkscope::model::{PState, Record};
use forkscope::scenario;
use forkscope::ui::dashboard::buffer_lines;
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
    let mut d = dashboard(contention(), Lang::En, Theme::colored());
    d.view.selected_lane = Some(3);
    let t = screen(&d, 120, 40);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("blocked"), "{text}");
    assert!(text.contains("Lock-1 held by"), "the lock and its holder:\n{text}");
    assert_snapshot!(t.backend());
}

#[test]
fn contention_80x24() {
    let d = dashboard(contention(), Lang::En, Theme::colored());
    let t = screen(&d, 80, 24);
    let lines = buffer_lines(t.backend().buffer());
    assert!(lines.iter().all(|l| text::width(l) == 80), "every row is exactly 80 columns: {lines:#?}");
    assert_snapshot!(t.backend());
}

#[test]
fn contention_in_chinese_120x40() {
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
    let mut d = dashboard(contention(), Lang::En, Theme::colored());
    d.view.overlay = Some(Overlay::Help);
    assert_snapshot!(screen(&d, 80, 24).backend());
}

#[test]
fn details_of_a_blocked_process_100x30() {
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
    let t = picker_screen(&picker(Lang::En), 80, 24);
    let text = buffer_lines(t.backend().buffer()).join("\n");
    assert!(text.contains("Buying tickets"));
    assert!(text.contains("buyers"));
    assert_snapshot!(t.backend());
}

#[test]
fn picker_in_chinese_100x30() {
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
