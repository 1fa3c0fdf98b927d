//! Widget tests: each pane rendered into a `Buffer` from a model built with
//! hand-written records, checked for what a viewer must see.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::model::{Record, RecordKind, ResourceState};
use crate::scenario::Lesson;
use crate::vocab::{Lane, Op, ResId, ResKind};

use super::panes::banner::BannerWidget;
use super::dashboard;
use super::common::buffer_lines;
use super::panes::lanes::LanesWidget;
use super::panes::log::LogWidget;
use super::panes::resources::ResourcesWidget;
use super::panes::source::SourceWidget;
use super::state::{Dashboard, Pane, RunStatus};
use super::text::{self, Lang};
use super::theme::Theme;

const SCRIPT: &str = "fn worker(a, b) {\n    a.acquire();\n    b.acquire();\n}\nfn main() {\n    let p = 1;\n}\n";

use crate::model::feed::{Feed, Takes};

impl Takes for Dashboard {
    fn take(&mut self, r: &Record) {
        self.apply(r);
        self.status.clock_ns = self.model.now_ns;
    }
}

/// A settled dashboard of a small lesson, fed records 100 ms apart (one
/// timeline cell each at speed 1).
fn feed(theme: Theme) -> Feed<Dashboard> {
    let lesson = Lesson { name: "t".into(), origin: "t".into(), script_file: "t.rhai".into(), manifest_file: None, manifest_text: None, engine: Default::default(), script: SCRIPT.into(), manifest: Default::default(), variants: vec![] };
    let mut d = Dashboard::new(lesson, &BTreeMap::new(), 0, Lang::En, theme);
    d.status = RunStatus { settled: true, ..RunStatus::default() };
    Feed::over(d, 100_000_000)
}

fn render(w: impl Widget, width: u16, height: u16) -> Vec<String> {
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    w.render(buf.area, &mut buf);
    buffer_lines(&buf)
}

/// Two workers holding one lock each and waiting for the other's.
fn crossed_locks(theme: Theme) -> Feed<Dashboard> {
    let mut f = feed(theme);
    f.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "买票人甲", "worker", false).spawn_as(1, 3, "Process-2", "worker", false).res(1, 0, ResKind::Lock, "Lock-A", 1).res(1, 1, ResKind::Lock, "Lock-B", 1);
    f.acquired(2, 0, 2).acquired(3, 1, 2).blocks(2, 1, 3, 3).blocks(3, 0, 2, 3);
    f.at_line(1, 6, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    f
}

#[test]
fn lanes_line_up_with_wide_names() {
    let f = crossed_locks(Theme::colored());
    let lines = render(LanesWidget::new(&f.m), 90, 8);
    // The pid column starts at the same column in every row, whatever the
    // width of the name before it: "买票人甲" is 4 characters but 8 columns.
    let col = |l: &str, needle: &str| l.find(needle).map(|b| text::width(&l[..b]));
    let cols: Vec<usize> = [("MainProcess", "101"), ("买票人甲", "102"), ("Process-2", "103")]
        .iter()
        .map(|(name, pid)| {
            let row = lines.iter().find(|l| l.get(4..).is_some_and(|r| r.trim_start_matches(|c: char| "└ ".contains(c) || super::theme::LANE_MARKS.contains(&c)).starts_with(name))).unwrap_or_else(|| panic!("{name} missing: {lines:#?}"));
            col(row, pid).unwrap()
        })
        .collect();
    assert!(cols.iter().all(|c| *c == cols[0]), "pid columns {cols:?}:\n{}", lines.join("\n"));
    for l in &lines {
        assert_eq!(text::width(l), 90, "{l}");
    }
    let row = lines.iter().find(|l| l.contains("└ ") && l.contains(" 买票人甲")).unwrap();
    assert!(row.contains("blocked") && row.contains("acquire Lock-B, held by Process-2"), "{row}");
    assert!(row.contains('▓'), "the timeline shows it blocked: {row}");
}

/// A thread's (or an `os.fork` child's) row under its process shows its own
/// name, not its process's again: `Thread-2 (func)`, not `MainProcess/Thr…`.
#[test]
fn a_thread_under_its_process_shows_its_own_name() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "MainProcess/Thread-1 (func)", "worker", false).spawn_as(1, 3, "MainProcess/Thread-2 (func)", "worker", false);
    let lines = render(LanesWidget::new(&f.m), 70, 6);
    for name in [" Thread-1 (func)", " Thread-2 (func)"] {
        assert!(lines.iter().any(|l| l.contains(name)), "{name}:\n{}", lines.join("\n"));
    }
    assert!(!lines.iter().any(|l| l.contains("MainProcess/")), "{}", lines.join("\n"));
}

#[test]
fn deadlock_banner_names_processes_and_resources() {
    let f = crossed_locks(Theme::colored());
    let lines = render(BannerWidget::new(&f.m), 100, 3).join(" ");
    assert!(lines.contains("DEADLOCK"), "{lines}");
    for name in ["买票人甲", "Process-2", "Lock-A", "Lock-B"] {
        assert!(lines.contains(name), "{name} not in {lines}");
    }
    // Not settled (a wake-up may be on its way): no banner yet.
    let mut g = crossed_locks(Theme::colored());
    g.m.status.settled = false;
    assert_eq!(BannerWidget::new(&g.m).height(100), 0);
}

#[test]
fn misuse_finding_shows_as_a_banner() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    f.at_line(1, 3, RecordKind::Finding { message: "MainProcess released Lock-1, which it does not hold".into() });
    let lines = render(BannerWidget::new(&f.m), 80, 3).join(" ");
    assert!(lines.contains("! misuse: MainProcess released Lock-1"), "{lines}");
}

fn res(id: u32, kind: ResKind, name: &str) -> ResourceState {
    ResourceState::new(ResId(id), kind, name, 0, Lane(1))
}

#[test]
fn every_kind_is_drawn_from_the_generic_fields() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "Process-1", "worker", false).spawn_as(1, 3, "Process-2", "worker", false).spawn_as(1, 4, "Process-3", "worker", false);
    let m = &mut f.m.model;
    let mut s = res(10, ResKind::Semaphore, "KTV");
    (s.value, s.capacity, s.holders, s.waiters) = (1, 4, vec![Lane(2), Lane(3), Lane(4)], vec![Lane(1)]);
    m.resources.insert(ResId(10), s);
    let mut e = res(11, ResKind::Event, "light");
    (e.value, e.waiters) = (0, vec![Lane(2)]);
    m.resources.insert(ResId(11), e);
    let mut q = res(12, ResKind::JoinableQueue, "q");
    (q.value, q.capacity, q.count, q.items, q.waiters2) = (2, 4, 3, vec!["'bun 1'".into(), "'bun 2'".into()], vec![Lane(3)]);
    m.resources.insert(ResId(12), q);
    let mut p = res(13, ResKind::Pool, "Pool-1");
    (p.capacity, p.value, p.count, p.holders) = (2, 5, 2, vec![Lane(3), Lane(4)]);
    m.resources.insert(ResId(13), p);
    let mut pipe = res(14, ResKind::Pipe, "Pipe-1");
    (pipe.value, pipe.items, pipe.closed) = (1, vec!["'hello'".into()], true);
    m.resources.insert(ResId(14), pipe);
    let mut v = res(15, ResKind::Value, "counter");
    v.text = "42".into();
    m.resources.insert(ResId(15), v);
    let all = render(ResourcesWidget::new(&f.m), 70, 20).join("\n");
    for want in ["KTV Semaphore", "███░░░░░░░░░ 1/4", "held by: Process-1, Process-2, Process-3", "waiting: MainProcess", "light Event", "○ clear", "q JoinableQueue", "2/4 · unfinished 3", "items: 'bun 1', 'bun 2'", "putters waiting: Process-2", "2 workers · 5 pending · 2 running", "workers: Process-2, Process-3", "1 in transit · closed", "counter Value  = 42"] {
        assert!(all.contains(want), "{want:?} missing in:\n{all}");
    }
}

#[test]
fn source_marks_the_selected_line_and_the_others_with_their_marks() {
    let mut f = feed(Theme::mono());
    f.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "Process-1", "worker", false).spawn_as(1, 3, "Process-2", "worker", false).res(1, 0, ResKind::Lock, "L", 1);
    f.acquired(2, 0, 2).blocks(3, 0, 2, 2).at_line(1, 6, RecordKind::Park);
    f.m.view.selected_lane = Some(Lane(2));
    let lines = render(SourceWidget::new(&f.m), 40, 9);
    let l2 = lines.iter().find(|l| l.contains(" 2     a.acquire")).unwrap();
    let mark = |lane: u32| Theme::mark(Lane(lane));
    assert!(l2.starts_with(&format!("│▶{}{}", mark(2), mark(3))), "the arrow and the selected lane's own mark first, then lane 3 (its mark, which reads without colour): {l2}");
    let l6 = lines.iter().find(|l| l.contains(" 6     let p")).unwrap();
    assert!(l6.starts_with(&format!("│{} ", mark(1))), "{l6}");
    assert!(lines[0].contains("Process-1 at line 2"), "{}", lines[0]);
}

#[test]
fn log_wraps_wide_text_and_scrolls_back() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    for i in 0..30 {
        f.at_line(1, 2, RecordKind::Print { text: format!("第{i}条:子进程的父进程的id是多少"), part: false });
    }
    let lines = render(LogWidget::new(&f.m), 30, 8);
    for l in &lines {
        assert_eq!(text::width(l), 30, "{l}");
        assert!(l.ends_with('│') || l.ends_with('┐') || l.ends_with('┘'), "the border stays put: {l}");
    }
    assert!(lines.iter().any(|l| l.contains("第29条")), "the newest entry is shown: {lines:#?}");
    f.m.view.log_scroll = 20;
    let back = render(LogWidget::new(&f.m), 30, 8).join("\n");
    assert!(!back.contains("第29条") && back.contains("↑20"), "{back}");
}

#[test]
fn clicks_select_lanes_and_resources() {
    let mut f = crossed_locks(Theme::colored());
    let area = Rect::new(0, 0, 120, 40);
    let areas = dashboard::layout(area, &f.m);
    // Lanes: border, column header, then MainProcess, 买票人甲, Process-2.
    f.m.click(&areas, areas.lanes.x + 5, areas.lanes.y + 4);
    assert_eq!(f.m.selected_lane(), Some(Lane(3)));
    assert_eq!(f.m.view.focus, Pane::Lanes);
    f.m.click(&areas, areas.resources.x + 3, areas.resources.y + 1);
    assert_eq!(f.m.view.focus, Pane::Resources);
    assert_eq!(f.m.view.selected_res, 0);
    // Lock-A takes two lines (owner, then its waiter): the third line is Lock-B.
    f.m.click(&areas, areas.resources.x + 3, areas.resources.y + 3);
    assert_eq!(f.m.view.selected_res, 1);
    f.m.scroll_at(&areas, areas.lanes.x + 5, areas.lanes.y + 4, -1);
    assert_eq!(f.m.selected_lane(), Some(Lane(2)), "the wheel moves the lane selection");
    assert_eq!(f.m.view.focus, Pane::Resources, "without taking the focus");
}

#[test]
fn keys_move_within_the_focused_pane() {
    let mut f = crossed_locks(Theme::colored());
    assert_eq!(f.m.selected_lane(), Some(Lane(1)));
    f.m.move_by(1);
    f.m.move_by(1);
    f.m.move_by(1);
    assert_eq!(f.m.selected_lane(), Some(Lane(3)), "clamped at the last process");
    f.m.next_pane();
    assert_eq!(f.m.view.focus, Pane::Resources);
    f.m.move_by(1);
    assert_eq!(f.m.view.selected_res, 1);
    f.m.prev_pane();
    f.m.prev_pane();
    assert_eq!(f.m.view.focus, Pane::Log);
    f.m.move_by(-2);
    assert_eq!(f.m.view.log_scroll, 2);
}

/// A screen full of wide characters, then a popup: the popup's left border
/// shows in every row, and no wide character starts just left of it (it
/// would cover the border in a terminal and run into the box).
#[test]
fn popups_over_wide_characters_keep_their_left_border() {
    use super::keymap::Scope;
    use super::panes::overlay::{DetailsWidget, HelpWidget};
    let f = crossed_locks(Theme::colored());
    let theme = Theme::colored();
    for (name, width) in [("help", 80u16), ("help", 81), ("details", 80), ("details", 81), ("details", 120)] {
        let area = Rect::new(0, 0, width, 24);
        let mut buf = Buffer::empty(area);
        for y in 0..area.height {
            buf.set_string(0, y, "中文的源代码行".repeat(20), ratatui::style::Style::new());
        }
        match name {
            "help" => HelpWidget::new(Scope::Dashboard, Lang::Zh, &theme).render(area, &mut buf),
            _ => DetailsWidget::new(&f.m, Pane::Lanes).render(area, &mut buf),
        }
        // The box's top-left corner.
        let (bx, by) = (0..area.height).flat_map(|y| (0..area.width).map(move |x| (x, y))).find(|p| buf[*p].symbol() == "┌").unwrap_or_else(|| panic!("{name}: no box"));
        let bottom = (by..area.height).find(|y| buf[(bx, *y)].symbol() == "└").unwrap_or_else(|| panic!("{name}: no bottom"));
        for y in by..=bottom {
            assert!(["┌", "│", "└"].contains(&buf[(bx, y)].symbol()), "{name} {width}: row {y} has {:?} at the border", buf[(bx, y)].symbol());
            if bx > 0 {
                assert!(text::width(buf[(bx - 1, y)].symbol()) <= 1, "{name} {width}: a wide character covers the border in row {y}");
            }
        }
        // The text in rows outside the box is untouched.
        if by > 0 {
            assert!(buffer_lines(&buf)[by as usize - 1].starts_with("中文的源代码行"));
        }
    }
}

/// Details of a resource say what its fields mean for its kind: a Lock is
/// free or held by someone (not `value 0`/`1` and a bare `count`), and a dead
/// holder is named as dead, in the details and in the pane.
#[test]
fn resource_details_speak_of_holders_not_raw_fields() {
    use super::panes::overlay::DetailsWidget;
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "Process-1", "worker", false).res(1, 0, ResKind::Lock, "Lock-1", 1);
    f.at_line(1, 1, RecordKind::Resource { res: ResId(1), kind: ResKind::Semaphore, name: "Semaphore-1".into(), capacity: 2 });
    f.m.view.focus = Pane::Resources;
    f.m.toggle_details();
    let details = |d: &Dashboard| render(DetailsWidget::new(d, Pane::Resources), 80, 24).join("\n");
    let free = details(&f.m);
    assert!(free.contains("state") && free.contains("free"), "{free}");
    for raw in ["value", "count", "capacity"] {
        assert!(!free.contains(raw), "{raw} in\n{free}");
    }
    f.acquired(2, 0, 2);
    f.at_line(2, 3, RecordKind::Op { op: Op::Acquire, res: Some(ResId(1)), other: None, a: 1, b: 1, c: 0, d: 0, detail: None });
    let held = details(&f.m);
    assert!(held.contains("held by Process-1") && !held.contains("killed"), "{held}");
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: Some(vec![ResId(0)]) });
    let dead = details(&f.m);
    assert!(dead.contains("held by Process-1 (killed)"), "{dead}");
    f.m.view.selected_res = 1;
    let sem = details(&f.m);
    assert!(sem.contains("free units") && sem.contains("1 / 2") && sem.contains("Process-1 (killed)"), "{sem}");
    let pane = render(ResourcesWidget::new(&f.m), 60, 8).join("\n");
    assert!(pane.contains("held by Process-1 (killed)") && pane.contains("held by: Process-1 (killed)"), "{pane}");
    // Both kills are flagged.
    let flagged: Vec<String> = f.m.model.findings.iter().filter(|x| x.kind == "ended_holding").map(|x| crate::words::finding(&f.m.model, x, Lang::En)).collect();
    assert!(flagged.iter().any(|m| m.contains("Lock-1") && m.contains("Semaphore-1")), "{flagged:?}");
}

/// What a process waits in reads as the lesson's call (`recv`), not as the
/// record's unique op name (`recv_socket`), on screen and in the stall banner.
#[test]
fn waits_read_as_the_lessons_call() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    f.at_line(1, 1, RecordKind::Resource { res: ResId(0), kind: ResKind::Socket, name: "conn".into(), capacity: 0 });
    f.at_line(1, 2, RecordKind::Block { op: Op::SockRecv, res: Some(ResId(0)), other: None, holder: None, timed: false });
    let lanes = render(LanesWidget::new(&f.m), 100, 6).join("\n");
    assert!(lanes.contains("recv conn") && !lanes.contains("recv_socket"), "{lanes}");
    let banner = render(BannerWidget::new(&f.m), 100, 3).join("\n");
    assert!(banner.contains("MainProcess in recv on conn") && !banner.contains("_socket"), "{banner}");
}

/// A listening socket shows its address and the connections it accepted;
/// an accepted connection its client's address (not a count of its own).
#[test]
fn sockets_show_their_addresses() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    f.at_line(1, 1, RecordKind::Resource { res: ResId(0), kind: ResKind::Socket, name: "sk".into(), capacity: 0 });
    f.at_line(1, 1, RecordKind::Op { op: Op::Listen, res: Some(ResId(0)), other: None, a: 9001, b: 0, c: 0, d: 0, detail: Some("127.0.0.1:9001".into()) });
    f.at_line(1, 2, RecordKind::Resource { res: ResId(1), kind: ResKind::Socket, name: "conn".into(), capacity: 0 });
    f.at_line(1, 2, RecordKind::Op { op: Op::Accept, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 40000, d: 0, detail: Some("127.0.0.1:40000".into()) });
    let pane = render(ResourcesWidget::new(&f.m), 60, 6).join("\n");
    assert!(pane.contains("127.0.0.1:9001 · 1 accepted"), "{pane}");
    assert!(pane.contains("← 127.0.0.1:40000") && pane.matches("accepted").count() == 1, "{pane}");
    use super::panes::overlay::DetailsWidget;
    f.m.view.focus = Pane::Resources;
    f.m.toggle_details();
    let details = |d: &Dashboard| render(DetailsWidget::new(d, Pane::Resources), 80, 24).join("\n");
    let sk = details(&f.m);
    assert!(sk.contains("127.0.0.1:9001") && sk.contains("accepted"), "{sk}");
    f.m.view.selected_res = 1;
    let conn = details(&f.m);
    assert!(conn.contains("← 127.0.0.1:40000") && !conn.contains("accepted"), "{conn}");
}

/// At 80 columns a stall after the kill of a holder keeps its cause (the
/// kill) and summarises who waits, instead of a list cut mid-word.
#[test]
fn a_stall_banner_at_80_columns_says_the_kill_caused_it() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false).res(1, 0, ResKind::Lock, "Lock-1", 1);
    for lane in 2..=11 {
        f.spawn(1, lane, &format!("Process-{}", lane - 1));
    }
    f.acquired(2, 0, 2);
    for lane in 3..=11 {
        f.blocks(lane, 0, 2, 2);
    }
    f.at_line(1, 6, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(3)), holder: None, timed: false });
    f.at_line(0, 0, RecordKind::Ended { process: Lane(2), exitcode: -9, held: Some(vec![ResId(0)]) });
    for lang in [Lang::En, Lang::Zh] {
        f.m.lang = lang;
        let lines = render(BannerWidget::new(&f.m), 80, 3);
        let text = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        let want: &[&str] = match lang {
            Lang::En => &["STALLED: Process-1 was killed while holding Lock-1, so it is never released", "9 processes in acquire on Lock-1, held by Process-1 (killed)", "MainProcess in join(Process-2)"],
            Lang::Zh => &["停滞", "Process-1 在持有 Lock-1 时被杀死了", "9 个进程 在 acquire Lock-1"],
        };
        for w in want {
            assert!(text.contains(w), "{w:?} not in {lines:#?}");
        }
        assert!(!text.contains("ended_holding"), "the kill is said once: {lines:#?}");
    }
}

/// A cycle too long for the banner names the processes and locks in it.
#[test]
fn a_long_deadlock_banner_keeps_every_name_at_80_columns() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    let n = 6;
    for i in 0..n {
        f.res(1, i, ResKind::Lock, &format!("fork-of-philosopher-{i}"), 1);
        f.spawn(1, 2 + i, &format!("philosopher-{i}"));
    }
    for i in 0..n {
        f.acquired(2 + i, i, 2);
    }
    for i in 0..n {
        f.blocks(2 + i, (i + 1) % n, 2 + (i + 1) % n, 3);
    }
    let lines = render(BannerWidget::new(&f.m), 80, 3);
    let text = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    assert!(text.starts_with("DEADLOCK: 6 processes wait for each other in a circle (philosopher-"), "{lines:#?}");
    assert!(text.ends_with("over 6 resources") && !text.contains('…') || text.contains(" … "), "{lines:#?}");
    // Three philosophers: every name fits.
    let mut g = feed(Theme::colored());
    g.spawn_as(0, 1, "MainProcess", "worker", false);
    for i in 0..3 {
        g.res(1, i, ResKind::Lock, &format!("fork-{i}"), 1);
        g.spawn(1, 2 + i, &format!("philosopher-{i}"));
        g.acquired(2 + i, i, 2);
    }
    for i in 0..3 {
        g.blocks(2 + i, (i + 1) % 3, 2 + (i + 1) % 3, 3);
    }
    let text = render(BannerWidget::new(&g.m), 80, 3).iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    for i in 0..3 {
        assert!(text.contains(&format!("philosopher-{i}")) && text.contains(&format!("fork-{i}")), "{i}: {text}");
    }
}

/// Resources that do not fit in the pane are announced on its border.
#[test]
fn hidden_resources_are_announced() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    for i in 0..8 {
        f.res(1, i, ResKind::Lock, &format!("Lock-{}", i + 1), 1);
    }
    let lines = render(ResourcesWidget::new(&f.m), 50, 6);
    assert!(lines[5].contains("↓ 4 more"), "{lines:#?}");
    f.m.view.selected_res = 7;
    let lines = render(ResourcesWidget::new(&f.m), 50, 6);
    assert!(lines[5].contains("↑ 4 more"), "{lines:#?}");
    let lines = render(ResourcesWidget::new(&f.m), 50, 12);
    assert!(!lines[11].contains("more"), "all shown: {lines:#?}");
}

/// The log says forkscope's events in the viewer's language, switching with
/// it (no English kept from when they happened), and leaves prints as printed.
#[test]
fn the_log_speaks_the_chosen_language() {
    let mut f = crossed_locks(Theme::mono());
    f.at_line(2, 2, RecordKind::Print { text: ("hello from the lesson").into(), part: false });
    f.at_line(0, 1, RecordKind::Signal { process: Lane(3), signal: 9 });
    let en = render(LogWidget::new(&f.m), 100, 14).join("\n");
    assert!(en.contains("started 买票人甲, pid 102") && en.contains("blocked in acquire on Lock-B held by Process-2") && en.contains("you sent SIGKILL to Process-2"), "{en}");
    f.m.toggle_lang();
    let zh = render(LogWidget::new(&f.m), 100, 14).join("\n");
    for want in ["启动了 买票人甲,pid 102", "阻塞在 acquire Lock-B(被 Process-2 持有)", "你向 Process-2 发送了 SIGKILL", "hello from the lesson"] {
        assert!(zh.contains(want), "{want} not in\n{zh}");
    }
    for gone in ["started", "blocked", "you sent"] {
        assert!(!zh.contains(gone), "{gone} left in\n{zh}");
    }
}

/// A Chinese event wrapped over lines comes back without spaces inside
/// its words (`持有`, not `持 有`), at any width.
#[test]
fn wrapped_chinese_events_keep_their_words_whole() {
    let mut f = crossed_locks(Theme::mono());
    f.m.toggle_lang();
    for w in [24u16, 30, 37, 45] {
        let lines = render(LogWidget::new(&f.m), w, 16);
        let joined: String = lines.iter().map(|l| l.trim_matches(|c| c == '│' || c == ' ')).collect::<Vec<_>>().join("");
        assert!(joined.replace(' ', "").contains("被Process-2持有"), "width {w}: {lines:#?}");
        for l in &lines {
            assert!(!l.contains("持 有") && !l.contains("阻 塞") && !l.contains(" ,"), "width {w}: a space inside a word: {l}");
        }
    }
}

/// The deadlock banner and a finding's banner in Chinese.
#[test]
fn banners_in_chinese() {
    let mut f = crossed_locks(Theme::mono());
    f.m.toggle_lang();
    let lines = render(BannerWidget::new(&f.m), 100, 3).join(" ");
    assert!(lines.contains("死锁:买票人甲 在等 Lock-B,Process-2 在等 Lock-A;Lock-B 被 Process-2 持有,Lock-A 被 买票人甲 持有"), "{lines}");
    let mut g = feed(Theme::mono());
    g.spawn_as(0, 1, "MainProcess", "worker", false).spawn_as(1, 2, "Process-1", "worker", false).res(1, 0, ResKind::Lock, "Lock-1", 1).acquired(2, 0, 2);
    g.at_line(0, 1, RecordKind::Ended { process: Lane(2), exitcode: -9, held: None });
    g.m.toggle_lang();
    let lines = render(BannerWidget::new(&g.m), 100, 3).join(" ");
    assert!(lines.contains("! 持有时结束:Process-1 持有 Lock-1 时被 SIGKILL 杀死"), "{lines}");
}

#[test]
fn the_selection_follows_its_process_into_a_new_run_and_says_when_it_is_missing() {
    use std::time::{Duration, Instant};
    let mut f = feed(Theme::mono());
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2");
    f.m.move_by(2);
    assert_eq!(f.m.selected_lane(), Some(Lane(3)));
    // A new run: the same processes start in another order (other lanes).
    f.m.reset();
    f.spawn(0, 1, "MainProcess");
    f.m.follow_selection(Instant::now());
    assert_eq!(f.m.selected_lane(), None, "not MainProcess: the chosen process is missing");
    assert_eq!(f.m.missing_selection().map(|i| i.name.as_str()), Some("Process-2"));
    let lanes = render(LanesWidget::new(&f.m), 80, 8).join("\n");
    assert!(lanes.contains(">Process-2") && lanes.contains("not in this run yet"), "{lanes}");
    f.spawn(1, 2, "Process-2").spawn(1, 3, "Process-1");
    let t0 = Instant::now();
    f.m.follow_selection(t0);
    assert_eq!(f.m.selected_lane(), Some(Lane(2)), "Process-2 again, on its new lane");
    // Its row just changed: t names the target first, the second t acts.
    assert!(!f.m.confirm_target('t', Lane(2), "SIGTERM to Process-2", t0 + Duration::from_millis(300)));
    let (msg, _) = f.m.view.message.clone().unwrap();
    assert!(msg.starts_with("SIGTERM to Process-2? The selection just changed: t again"), "{msg}");
    assert!(f.m.confirm_target('t', Lane(2), "SIGTERM to Process-2", t0 + Duration::from_millis(400)));
    // A second after the change, a key acts at once.
    assert!(f.m.confirm_target('k', Lane(2), "SIGKILL to Process-2", t0 + Duration::from_millis(1100)));
}

#[test]
fn lanes_and_resources_say_what_they_cannot_show() {
    let mut f = feed(Theme::mono());
    f.spawn(0, 1, "MainProcess").res(1, 0, ResKind::Lock, "noodle_lock", 1);
    for i in 2..=11 {
        f.spawn(1, i, &format!("Process-{}", i - 1));
    }
    f.acquired(2, 0, 2);
    for i in 3..=11 {
        f.blocks(i, 0, 2, 3);
    }
    // The lanes pane of an 80×24 screen: 9 process rows for 11 live processes.
    let lanes = render(LanesWidget::new(&f.m), 50, 12);
    assert!(lanes[11].contains("↓ 2 more live"), "{lanes:#?}");
    f.m.move_by(10);
    let lanes = render(LanesWidget::new(&f.m), 50, 12);
    assert!(lanes[11].contains("↑ 2 more live"), "scrolled to the last: {lanes:#?}");
    // A resource line too wide shortens the names, not what it says of them.
    let res = render(ResourcesWidget::new(&f.m), 30, 6);
    assert!(res[1].contains("held by Process-1"), "{res:#?}");
    assert!(res[2].contains("waiting: Process-2, +8"), "{res:#?}");
    let res = render(ResourcesWidget::new(&f.m), 24, 6);
    assert!(res[1].contains("noo…  held by Process…"), "{res:#?}");
}

#[test]
fn the_log_shows_output_as_a_terminal_does() {
    let mut f = feed(Theme::colored());
    f.spawn_as(0, 1, "MainProcess", "worker", false);
    f.at_line(1, 2, RecordKind::Print { text: "\x1b[1;31m红灯亮 \x1b[0m".into(), part: false });
    f.at_line(1, 3, RecordKind::Print { text: format!("    indented {}", "word ".repeat(12).trim_end()), part: false });
    let tb = "Process Process-1:\nTraceback (most recent call last):\n  File \"/usr/lib/python3.11/multiprocessing/process.py\", line 314, in _bootstrap\n    self.run()\n  File \"<forkscope>/multiprocessing/process.py\", line 92, in run\n    self._target(*self._args, **self._kwargs)\n  File \"/home/teacher/notes/crash.py\", line 4, in work\n    return x[n]\n           ~^^^\nKeyError: 1";
    f.at_line(1, 4, RecordKind::Stderr { text: tb.into(), part: false });
    let mut buf = Buffer::empty(Rect::new(0, 0, 44, 20));
    LogWidget::new(&f.m).render(buf.area, &mut buf);
    let lines = buffer_lines(&buf);
    let all = lines.join("\n");
    assert!(!all.contains("[1;31m") && !all.contains('\x1b') && all.contains("红灯亮"), "{all}");
    // The colour is the program's: red, bold.
    let row = lines.iter().position(|l| l.contains("红灯亮")).unwrap();
    let col = buf.content[row * 44..].iter().position(|c| c.symbol() == "红").unwrap();
    assert_eq!(buf.content[row * 44 + col].fg, ratatui::style::Color::Indexed(1), "{all}");
    // The indented line wraps under its indent, each word once.
    let words: usize = lines.iter().map(|l| l.matches("word").count()).sum();
    assert_eq!(words, 12, "no word repeated or lost:\n{all}");
    let cont = lines.iter().find(|l| l.contains("word") && !l.contains("indented")).unwrap();
    assert!(cont.starts_with("│      word"), "the continuation keeps the indent: {cont:?}\n{all}");
    // The traceback: the program's frame by its file name, Python's folded.
    assert!(all.contains("File \"crash.py\", line 4, in work") && all.contains("… 2 frames inside Python"), "{all}");
    assert!(!all.contains("/usr/lib") && !all.contains("self.run()"), "{all}");
}

#[test]
fn a_joinable_queue_join_waiter_is_not_a_putter() {
    let mut f = feed(Theme::mono());
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").res(1, 0, ResKind::JoinableQueue, "q", 0);
    f.block_at(1, 5, Op::QueueJoin, 0, None);
    let all = render(ResourcesWidget::new(&f.m), 60, 6).join("\n");
    assert!(all.contains("in join (tasks unfinished): MainProcess") && !all.contains("putters"), "{all}");
}

/// `v`: the selected process's variables under the source, a `*` on what
/// changed since its previous step; a Rhai lesson's pane says they are
/// shown for Python programs.
#[test]
fn the_variables_pane_shows_the_selected_process_frames_and_marks_changes() {
    let mut f = feed(Theme::mono());
    f.spawn_as(0, 1, "MainProcess", "main", false).spawn_as(1, 2, "Process-1", "withdraw", false);
    f.m.view.show_vars = true;
    let screen = |d: &Dashboard| {
        let mut buf = Buffer::empty(Rect::new(0, 0, 100, 30));
        d.render(buf.area, &mut buf);
        buffer_lines(&buf).join("\n")
    };
    assert!(screen(&f.m).contains("Variables are shown for Python programs."), "{}", screen(&f.m));
    f.m.lesson.engine = crate::codec::Engine::Python;
    f.m.view.selected_lane = Some(Lane(2));
    f.at_line(2, 5, RecordKind::Locals { text: "F\twithdraw\t5\nV\tbalance\t<Value balance>".into() });
    f.at_line(2, 6, RecordKind::Locals { text: "F\twithdraw\t6\nV\tbalance\t<Value balance>\nV\told\t1000".into() });
    let s = screen(&f.m);
    assert!(s.contains("Variables · Process-1"), "{s}");
    assert!(s.contains("withdraw · line 6"), "{s}");
    assert!(s.contains("* old = 1000"), "what changed is marked:\n{s}");
    assert!(s.contains("  balance = <Value balance>"), "what did not change is not:\n{s}");
    f.m.view.selected_lane = Some(Lane(1));
    assert!(screen(&f.m).contains("(none yet"), "{}", screen(&f.m));
}

/// A stepped run keeps its timeline's scale (a cell a step) when it ends; a
/// free run's cells are time, before and after its end.
#[test]
fn a_stepped_run_keeps_its_timeline_scale_when_it_ends() {
    use super::state::Mode;
    let mut f = crossed_locks(Theme::mono());
    f.m.status.steps = 6;
    for (mode, ran_free, want) in [(Mode::Paused, false, "1 step/cell"), (Mode::Ended, false, "1 step/cell"), (Mode::Ended, true, "100ms/cell")] {
        f.m.status.mode = mode;
        f.m.status.ran_free = ran_free;
        let rows = render(LanesWidget::new(&f.m), 120, 8);
        assert!(rows[1].contains(want), "{mode:?}, ran free {ran_free}: {rows:#?}");
    }
}

/// The Source pane leaves out forkscope's `# forkscope-fix:` notes (a line
/// that is only one, or its trailing part) and keeps the program's own line
/// numbers.
#[test]
fn the_source_pane_hides_forkscope_fix_notes_and_keeps_line_numbers() {
    let script = "import time\n# forkscope-fix: the notes say so\nN = 4  # forkscope-fix: lesson parameter\nx = 1  # the program's own comment\n";
    assert_eq!(super::state::shown_source(script), vec![(1, "import time".to_string()), (3, "N = 4".to_string()), (4, "x = 1  # the program's own comment".to_string())]);
    let mut f = feed(Theme::mono());
    f.m.source = super::state::shown_source(script);
    let all = render(SourceWidget::new(&f.m), 50, 6).join("\n");
    assert!(!all.contains("forkscope-fix") && all.contains(" 3 N = 4") && all.contains(" 4 x = 1"), "{all}");
}

/// A Python program's file op says Python's word (`read`, `write`), a Rhai
/// lesson's keeps the lesson API's (`read_text`).
#[test]
fn python_ops_are_said_in_python_words() {
    use crate::codec::Engine;
    use super::common::op_word;
    assert_eq!(op_word(Op::ReadText, Engine::Python), "read");
    assert_eq!(op_word(Op::WriteText, Engine::Python), "write");
    assert_eq!(op_word(Op::AppendText, Engine::Python), "write");
    assert_eq!(op_word(Op::Acquire, Engine::Python), "acquire");
    assert_eq!(op_word(Op::ReadText, Engine::default()), if Engine::default() == Engine::Python { "read" } else { "read_text" });
    let mut f = feed(Theme::mono());
    f.m.lesson.engine = Engine::Python;
    f.spawn(0, 1, "MainProcess");
    f.op_at(1, 3, Op::ReadText, 0, None, (0, 0, 0), Some("ticket\t{\"count\": 4}"));
    let all = render(ResourcesWidget::new(&f.m), 60, 4).join("\n");
    assert!(all.contains("(read · MainProcess)") && !all.contains("read_text"), "{all}");
}

/// Twelve processes, twelve looks: colour and mark differ for every pair
/// of the first twelve lanes, and the marks alone (what grey print keeps)
/// differ too.
#[test]
fn twelve_lanes_have_distinct_colours_and_marks() {
    let th = Theme::colored();
    let lanes: Vec<Lane> = (0..12).map(Lane).collect();
    let marks: std::collections::HashSet<char> = lanes.iter().map(|l| Theme::mark(*l)).collect();
    assert_eq!(marks.len(), 12, "marks {marks:?}");
    let colours: std::collections::HashSet<String> = lanes.iter().map(|l| format!("{:?}", th.lane(*l).fg)).collect();
    assert_eq!(colours.len(), 12, "colours {colours:?}");
    // As printed (either paper), every two lanes differ clearly in colour.
    for paper in [crate::export::Paper::Light, crate::export::Paper::Dark] {
        let ink: Vec<crate::export::palette::Rgb> = lanes
            .iter()
            .map(|l| {
                let mut cell = ratatui::buffer::Cell::default();
                cell.set_style(th.lane(*l));
                crate::export::palette::paint(&cell, paper).fg
            })
            .collect();
        for i in 0..12 {
            for j in i + 1..12 {
                let (a, b) = (ink[i], ink[j]);
                let d = (a.0 as i32 - b.0 as i32).abs() + (a.1 as i32 - b.1 as i32).abs() + (a.2 as i32 - b.2 as i32).abs();
                assert!(d >= 60, "lanes {i} and {j} print alike on {paper:?}: {a:?} {b:?}");
            }
        }
    }
    for m in &marks {
        assert_eq!(text::width(&m.to_string()), 1, "{m} takes one column");
    }
}

/// A figure has no selection bar and no focus bracket, and its lanes pane's
/// border has the legend of the timeline marks it shows.
#[test]
fn a_figure_has_no_selection_or_focus_and_a_legend() {
    let mut f = crossed_locks(Theme::mono());
    f.m.view.selected_lane = Some(Lane(2));
    let shown = buffer_lines(&super::figure::frame(&f.m, 100, 24)).join("\n");
    assert!(shown.contains(">└ ") && shown.contains("[Processes"), "the dashboard marks both:\n{shown}");
    super::figure::as_figure(&mut f.m, "step 7");
    let fig = buffer_lines(&super::figure::frame(&f.m, 100, 24)).join("\n");
    assert!(!fig.contains(">└ ") && !fig.contains("│>") && !fig.contains('['), "no selection or focus marks:\n{fig}");
    let border = fig.lines().find(|l| l.starts_with("└ ") && l.contains("running")).unwrap_or_else(|| panic!("no legend:\n{fig}"));
    assert!(border.contains("▓ blocked"), "{border}");
}

/// `snapshot --panes`: names in order; an unknown or repeated one says
/// which there are.
#[test]
fn figure_panes_parse_in_order_and_name_the_choices() {
    use super::state::FigurePane;
    assert_eq!(FigurePane::parse_list("source,lanes").unwrap(), vec![FigurePane::Source, FigurePane::Lanes]);
    let e = FigurePane::parse_list("lanes,graph").unwrap_err();
    assert!(e.contains("\"graph\"") && e.contains("lanes, resources, source, variables, log, console"), "{e}");
    assert!(FigurePane::parse_list("log,log").unwrap_err().contains("twice"));
    let mut f = crossed_locks(Theme::mono());
    super::figure::as_figure(&mut f.m, "step 7");
    f.m.view.stack = Some(vec![FigurePane::Source, FigurePane::Lanes]);
    let fig = buffer_lines(&super::figure::frame(&f.m, 80, 24)).join("\n");
    let (src, lanes) = (fig.find("Source").unwrap(), fig.find("Processes").unwrap());
    assert!(src < lanes && !fig.contains("Resources") && !fig.contains("Log ·"), "{fig}");
}

/// A click on a line of the Source pane where a process is selects that
/// process and asks for its step; elsewhere it asks for nothing.
#[test]
fn a_click_on_a_process_line_in_the_source_asks_to_step_it() {
    let mut f = crossed_locks(Theme::mono());
    f.m.view.selected_lane = Some(Lane(1));
    let areas = dashboard::layout(Rect::new(0, 0, 100, 30), &f.m);
    let inner = areas.source.inner(ratatui::layout::Margin::new(1, 1));
    let top = f.m.followed_source_top(inner.height as usize);
    let source = f.m.source.clone();
    let row_of = |n: usize| inner.y + (source.iter().position(|(k, _)| *k == n).unwrap() - top) as u16;
    // Line 3 is where 买票人甲 (lane 2) waits.
    assert_eq!(f.m.click(&areas, inner.x + 10, row_of(3)), Some(Lane(2)));
    assert_eq!(f.m.selected_lane(), Some(Lane(2)), "the clicked process is selected");
    f.m.view.source_scroll = Some(top);
    assert_eq!(f.m.click(&areas, inner.x + 10, row_of(1)), None, "no process on line 1");
}
