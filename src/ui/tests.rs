//! Widget tests: each pane rendered into a `Buffer` from a model built with
//! hand-written records, checked for what a viewer must see.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::model::{Record, RecordKind, ResourceState};
use crate::scenario::Lesson;
use crate::shm::record::{Op, ResKind};

use super::banner::BannerWidget;
use super::dashboard::{self, buffer_lines};
use super::lanes::LanesWidget;
use super::log::LogWidget;
use super::resources::ResourcesWidget;
use super::source::SourceWidget;
use super::state::{Dashboard, Pane, RunStatus};
use super::text::{self, Lang};
use super::theme::Theme;

const SCRIPT: &str = "fn worker(a, b) {\n    a.acquire();\n    b.acquire();\n}\nfn main() {\n    let p = 1;\n}\n";

struct Feed {
    d: Dashboard,
    seq: u64,
}

impl Feed {
    fn new(theme: Theme) -> Feed {
        let lesson = Lesson { name: "t".into(), origin: "t".into(), script_file: "t.rhai".into(), manifest_file: None, manifest_text: None, language: Default::default(), script: SCRIPT.into(), manifest: Default::default() };
        let mut d = Dashboard::new(lesson, &BTreeMap::new(), 0, Lang::En, theme);
        d.status = RunStatus { settled: true, ..RunStatus::default() };
        Feed { d, seq: 0 }
    }
    fn at(&mut self, lane: u32, line: u32, kind: RecordKind) -> &mut Self {
        self.seq += 1;
        // 100 ms apart: one timeline cell each at speed 1.
        self.d.apply(&Record { seq: self.seq, t_ns: self.seq * 100_000_000, lane, line, gates: 0, kind });
        self.d.status.clock_ns = self.d.model.now_ns;
        self
    }
    fn spawn(&mut self, parent: u32, child: u32, name: &str) -> &mut Self {
        self.at(parent, 1, RecordKind::Spawn { child, pid: 100 + child as i32, ppid: 100 + parent as i32, daemon: false, name: name.into(), target: "worker".into() })
    }
    fn lock(&mut self, res: u32, name: &str) -> &mut Self {
        self.at(1, 1, RecordKind::Resource { res, kind: ResKind::Lock, name: name.into(), capacity: 1 })
    }
    fn acquired(&mut self, lane: u32, res: u32, line: u32) -> &mut Self {
        self.at(lane, line, RecordKind::Op { op: Op::Acquire, res: Some(res), other: None, a: 1, b: 1, c: 0, detail: None })
    }
    fn blocks(&mut self, lane: u32, res: u32, holder: u32, line: u32) -> &mut Self {
        self.at(lane, line, RecordKind::Block { op: Op::Acquire, res: Some(res), other: None, holder: Some(holder), timed: false })
    }
    fn print(&mut self, lane: u32, text: &str) -> &mut Self {
        self.at(lane, 2, RecordKind::Print { text: text.into() })
    }
}

fn render(w: impl Widget, width: u16, height: u16) -> Vec<String> {
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    w.render(buf.area, &mut buf);
    buffer_lines(&buf)
}

/// Two workers holding one lock each and waiting for the other's.
fn crossed_locks(theme: Theme) -> Feed {
    let mut f = Feed::new(theme);
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "买票人甲").spawn(1, 3, "Process-2").lock(0, "Lock-A").lock(1, "Lock-B");
    f.acquired(2, 0, 2).acquired(3, 1, 2).blocks(2, 1, 3, 3).blocks(3, 0, 2, 3);
    f.at(1, 6, RecordKind::Block { op: Op::Join, res: None, other: Some(2), holder: None, timed: false });
    f
}

#[test]
fn lanes_line_up_with_wide_names() {
    let f = crossed_locks(Theme::colored());
    let lines = render(LanesWidget::new(&f.d), 90, 8);
    // The pid column starts at the same column in every row, whatever the
    // width of the name before it: "买票人甲" is 4 characters but 8 columns.
    let col = |l: &str, needle: &str| l.find(needle).map(|b| text::width(&l[..b]));
    let cols: Vec<usize> = [("MainProcess", "101"), ("买票人甲", "102"), ("Process-2", "103")]
        .iter()
        .map(|(name, pid)| {
            let row = lines.iter().find(|l| l.get(4..).is_some_and(|r| r.trim_start_matches(['└', ' ']).starts_with(name))).unwrap_or_else(|| panic!("{name} missing: {lines:#?}"));
            col(row, pid).unwrap()
        })
        .collect();
    assert!(cols.iter().all(|c| *c == cols[0]), "pid columns {cols:?}:\n{}", lines.join("\n"));
    for l in &lines {
        assert_eq!(text::width(l), 90, "{l}");
    }
    let row = lines.iter().find(|l| l.contains("└ 买票人甲")).unwrap();
    assert!(row.contains("blocked") && row.contains("acquire Lock-B, held by Process-2"), "{row}");
    assert!(row.contains('▓'), "the timeline shows it blocked: {row}");
}

#[test]
fn deadlock_banner_names_processes_and_resources() {
    let f = crossed_locks(Theme::colored());
    let lines = render(BannerWidget::new(&f.d), 100, 3).join(" ");
    assert!(lines.contains("DEADLOCK"), "{lines}");
    for name in ["买票人甲", "Process-2", "Lock-A", "Lock-B"] {
        assert!(lines.contains(name), "{name} not in {lines}");
    }
    // Not settled (a wake-up may be on its way): no banner yet.
    let mut g = crossed_locks(Theme::colored());
    g.d.status.settled = false;
    assert_eq!(BannerWidget::new(&g.d).height(100), 0);
}

#[test]
fn misuse_finding_shows_as_a_banner() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess");
    f.at(1, 3, RecordKind::Finding { message: "MainProcess released Lock-1, which it does not hold".into() });
    let lines = render(BannerWidget::new(&f.d), 80, 3).join(" ");
    assert!(lines.contains("! misuse: MainProcess released Lock-1"), "{lines}");
}

fn res(id: u32, kind: ResKind, name: &str) -> ResourceState {
    ResourceState::new(id, kind, name, 0, 1)
}

#[test]
fn every_kind_is_drawn_from_the_generic_fields() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2").spawn(1, 4, "Process-3");
    let m = &mut f.d.model;
    let mut s = res(10, ResKind::Semaphore, "KTV");
    (s.value, s.capacity, s.holders, s.waiters) = (1, 4, vec![2, 3, 4], vec![1]);
    m.resources.insert(10, s);
    let mut e = res(11, ResKind::Event, "light");
    (e.value, e.waiters) = (0, vec![2]);
    m.resources.insert(11, e);
    let mut q = res(12, ResKind::JoinableQueue, "q");
    (q.value, q.capacity, q.count, q.items, q.waiters2) = (2, 4, 3, vec!["'bun 1'".into(), "'bun 2'".into()], vec![3]);
    m.resources.insert(12, q);
    let mut p = res(13, ResKind::Pool, "Pool-1");
    (p.capacity, p.value, p.count, p.holders) = (2, 5, 2, vec![3, 4]);
    m.resources.insert(13, p);
    let mut pipe = res(14, ResKind::Pipe, "Pipe-1");
    (pipe.value, pipe.items, pipe.closed) = (1, vec!["'hello'".into()], true);
    m.resources.insert(14, pipe);
    let mut v = res(15, ResKind::Value, "counter");
    v.text = "42".into();
    m.resources.insert(15, v);
    let all = render(ResourcesWidget::new(&f.d), 70, 20).join("\n");
    for want in ["KTV Semaphore", "███░░░░░░░░░ 1/4", "held by: Process-1, Process-2, Process-3", "waiting: MainProcess", "light Event", "○ clear", "q JoinableQueue", "2/4 · unfinished 3", "items: 'bun 1', 'bun 2'", "putters waiting: Process-2", "2 workers · 5 pending · 2 running", "workers: Process-2, Process-3", "1 in transit · closed", "counter Value  = 42"] {
        assert!(all.contains(want), "{want:?} missing in:\n{all}");
    }
}

#[test]
fn source_marks_the_selected_line_and_the_others_in_lane_colour() {
    let mut f = Feed::new(Theme::mono());
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").spawn(1, 3, "Process-2").lock(0, "L");
    f.acquired(2, 0, 2).blocks(3, 0, 2, 2).at(1, 6, RecordKind::Park);
    f.d.view.selected_lane = Some(2);
    let lines = render(SourceWidget::new(&f.d), 40, 9);
    let l2 = lines.iter().find(|l| l.contains(" 2     a.acquire")).unwrap();
    assert!(l2.starts_with("│▶3"), "selected first, then lane 3 (its digit without colour): {l2}");
    let l6 = lines.iter().find(|l| l.contains(" 6     let p")).unwrap();
    assert!(l6.starts_with("│1 "), "{l6}");
    assert!(lines[0].contains("Process-1 at line 2"), "{}", lines[0]);
}

#[test]
fn log_wraps_wide_text_and_scrolls_back() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess");
    for i in 0..30 {
        f.print(1, &format!("第{i}条:子进程的父进程的id是多少"));
    }
    let lines = render(LogWidget::new(&f.d), 30, 8);
    for l in &lines {
        assert_eq!(text::width(l), 30, "{l}");
        assert!(l.ends_with('│') || l.ends_with('┐') || l.ends_with('┘'), "the border stays put: {l}");
    }
    assert!(lines.iter().any(|l| l.contains("第29条")), "the newest entry is shown: {lines:#?}");
    f.d.view.log_scroll = 20;
    let back = render(LogWidget::new(&f.d), 30, 8).join("\n");
    assert!(!back.contains("第29条") && back.contains("↑20"), "{back}");
}

#[test]
fn clicks_select_lanes_and_resources() {
    let mut f = crossed_locks(Theme::colored());
    let area = Rect::new(0, 0, 120, 40);
    let areas = dashboard::layout(area, &f.d);
    // Lanes: border, column header, then MainProcess, 买票人甲, Process-2.
    f.d.click(&areas, areas.lanes.x + 5, areas.lanes.y + 4);
    assert_eq!(f.d.selected_lane(), Some(3));
    assert_eq!(f.d.view.focus, Pane::Lanes);
    f.d.click(&areas, areas.resources.x + 3, areas.resources.y + 1);
    assert_eq!(f.d.view.focus, Pane::Resources);
    assert_eq!(f.d.view.selected_res, 0);
    // Lock-A takes two lines (owner, then its waiter): the third line is Lock-B.
    f.d.click(&areas, areas.resources.x + 3, areas.resources.y + 3);
    assert_eq!(f.d.view.selected_res, 1);
    f.d.scroll_at(&areas, areas.lanes.x + 5, areas.lanes.y + 4, -1);
    assert_eq!(f.d.selected_lane(), Some(2), "the wheel moves the lane selection");
    assert_eq!(f.d.view.focus, Pane::Resources, "without taking the focus");
}

#[test]
fn keys_move_within_the_focused_pane() {
    let mut f = crossed_locks(Theme::colored());
    assert_eq!(f.d.selected_lane(), Some(1));
    f.d.move_by(1);
    f.d.move_by(1);
    f.d.move_by(1);
    assert_eq!(f.d.selected_lane(), Some(3), "clamped at the last process");
    f.d.next_pane();
    assert_eq!(f.d.view.focus, Pane::Resources);
    f.d.move_by(1);
    assert_eq!(f.d.view.selected_res, 1);
    f.d.prev_pane();
    f.d.prev_pane();
    assert_eq!(f.d.view.focus, Pane::Log);
    f.d.move_by(-2);
    assert_eq!(f.d.view.log_scroll, 2);
}

/// A screen full of wide characters, then a popup: the popup's left border
/// shows in every row, and no wide character starts just left of it (it
/// would cover the border in a terminal and run into the box).
#[test]
fn popups_over_wide_characters_keep_their_left_border() {
    use super::keymap::Scope;
    use super::overlay::{DetailsWidget, HelpWidget};
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
            _ => DetailsWidget::new(&f.d, Pane::Lanes).render(area, &mut buf),
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
    use super::overlay::DetailsWidget;
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess").spawn(1, 2, "Process-1").lock(0, "Lock-1");
    f.at(1, 1, RecordKind::Resource { res: 1, kind: ResKind::Semaphore, name: "Semaphore-1".into(), capacity: 2 });
    f.d.view.focus = Pane::Resources;
    f.d.toggle_details();
    let details = |d: &Dashboard| render(DetailsWidget::new(d, Pane::Resources), 80, 24).join("\n");
    let free = details(&f.d);
    assert!(free.contains("state") && free.contains("free"), "{free}");
    for raw in ["value", "count", "capacity"] {
        assert!(!free.contains(raw), "{raw} in\n{free}");
    }
    f.acquired(2, 0, 2);
    f.at(2, 3, RecordKind::Op { op: Op::Acquire, res: Some(1), other: None, a: 1, b: 1, c: 0, detail: None });
    let held = details(&f.d);
    assert!(held.contains("held by Process-1") && !held.contains("killed"), "{held}");
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: Some(vec![0]) });
    let dead = details(&f.d);
    assert!(dead.contains("held by Process-1 (killed)"), "{dead}");
    f.d.view.selected_res = 1;
    let sem = details(&f.d);
    assert!(sem.contains("free units") && sem.contains("1 / 2") && sem.contains("Process-1 (killed)"), "{sem}");
    let pane = render(ResourcesWidget::new(&f.d), 60, 8).join("\n");
    assert!(pane.contains("held by Process-1 (killed)") && pane.contains("held by: Process-1 (killed)"), "{pane}");
    // Both kills are flagged.
    let flagged: Vec<&str> = f.d.model.findings.iter().filter(|x| x.kind == "ended_holding").map(|x| x.message.as_str()).collect();
    assert!(flagged.iter().any(|m| m.contains("Lock-1") && m.contains("Semaphore-1")), "{flagged:?}");
}

/// What a process waits in reads as the lesson's call (`recv`), not as the
/// record's unique op name (`recv_socket`), on screen and in the stall banner.
#[test]
fn waits_read_as_the_lessons_call() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess");
    f.at(1, 1, RecordKind::Resource { res: 0, kind: ResKind::Socket, name: "conn".into(), capacity: 0 });
    f.at(1, 2, RecordKind::Block { op: Op::SockRecv, res: Some(0), other: None, holder: None, timed: false });
    let lanes = render(LanesWidget::new(&f.d), 100, 6).join("\n");
    assert!(lanes.contains("recv conn") && !lanes.contains("recv_socket"), "{lanes}");
    let banner = render(BannerWidget::new(&f.d), 100, 3).join("\n");
    assert!(banner.contains("MainProcess in recv on conn") && !banner.contains("_socket"), "{banner}");
}

/// At 80 columns a stall after the kill of a holder keeps its cause (the
/// kill) and summarises who waits, instead of a list cut mid-word.
#[test]
fn a_stall_banner_at_80_columns_says_the_kill_caused_it() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess").lock(0, "Lock-1");
    for lane in 2..=11 {
        f.spawn(1, lane, &format!("Process-{}", lane - 1));
    }
    f.acquired(2, 0, 2);
    for lane in 3..=11 {
        f.blocks(lane, 0, 2, 2);
    }
    f.at(1, 6, RecordKind::Block { op: Op::Join, res: None, other: Some(3), holder: None, timed: false });
    f.at(0, 0, RecordKind::Ended { process: 2, exitcode: -9, held: Some(vec![0]) });
    for lang in [Lang::En, Lang::Zh] {
        f.d.lang = lang;
        let lines = render(BannerWidget::new(&f.d), 80, 3);
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
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess");
    let n = 6;
    for i in 0..n {
        f.lock(i, &format!("fork-of-philosopher-{i}"));
        f.spawn(1, 2 + i, &format!("philosopher-{i}"));
    }
    for i in 0..n {
        f.acquired(2 + i, i, 2);
    }
    for i in 0..n {
        f.blocks(2 + i, (i + 1) % n, 2 + (i + 1) % n, 3);
    }
    let lines = render(BannerWidget::new(&f.d), 80, 3);
    let text = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    assert!(text.starts_with("DEADLOCK: 6 processes wait for each other in a circle (philosopher-"), "{lines:#?}");
    assert!(text.ends_with("over 6 resources") && !text.contains('…') || text.contains(" … "), "{lines:#?}");
    // Three philosophers: every name fits.
    let mut g = Feed::new(Theme::colored());
    g.spawn(0, 1, "MainProcess");
    for i in 0..3 {
        g.lock(i, &format!("fork-{i}"));
        g.spawn(1, 2 + i, &format!("philosopher-{i}"));
        g.acquired(2 + i, i, 2);
    }
    for i in 0..3 {
        g.blocks(2 + i, (i + 1) % 3, 2 + (i + 1) % 3, 3);
    }
    let text = render(BannerWidget::new(&g.d), 80, 3).iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    for i in 0..3 {
        assert!(text.contains(&format!("philosopher-{i}")) && text.contains(&format!("fork-{i}")), "{i}: {text}");
    }
}

/// Resources that do not fit in the pane are announced on its border.
#[test]
fn hidden_resources_are_announced() {
    let mut f = Feed::new(Theme::colored());
    f.spawn(0, 1, "MainProcess");
    for i in 0..8 {
        f.lock(i, &format!("Lock-{}", i + 1));
    }
    let lines = render(ResourcesWidget::new(&f.d), 50, 6);
    assert!(lines[5].contains("↓ 4 more"), "{lines:#?}");
    f.d.view.selected_res = 7;
    let lines = render(ResourcesWidget::new(&f.d), 50, 6);
    assert!(lines[5].contains("↑ 4 more"), "{lines:#?}");
    let lines = render(ResourcesWidget::new(&f.d), 50, 12);
    assert!(!lines[11].contains("more"), "all shown: {lines:#?}");
}
