//! The lanes pane: one row per process in tree order (children under their
//! parent), with pid, a state badge, what it waits for and who holds it, and
//! a timeline of its past states that scrolls with time (right edge = now).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{Model, PState, ProcessState};
use crate::vocab::Lane;

use crate::ui::common::{badge, scroll_offset, timeline_tick_ns, wait_text};
use crate::ui::common::pane_block;
use crate::ui::state::{Dashboard, Mode, Pane};
use crate::ui::text::{self, Lang};
use crate::ui::theme::Theme;

/// Who woke a process that was just woken: (long, short) — `woken by
/// Process-1 (Lock-1) · line 34`, `← Process-1`.
pub fn woken_text(model: &Model, p: &ProcessState, lang: Lang) -> Option<(String, String)> {
    let (by, res) = p.fresh_wake()?;
    let who = model.pname(by);
    let what = res.map(|r| format!(" ({})", model.rname(r))).unwrap_or_default();
    let long = match lang {
        Lang::En => format!("woken by {who}{what} · line {}", p.line),
        Lang::Zh => format!("被 {who} 唤醒{what} · 第 {} 行", p.line),
    };
    Some((long, format!("← {who}")))
}

/// Which of the states seen within one cell to show: the one that matters most.
fn rank(s: PState) -> u8 {
    match s {
        PState::Blocked => 6,
        PState::Killed(_) => 5,
        PState::Running => 4,
        PState::Sleeping => 3,
        PState::Ready => 2,
        PState::Starting => 1,
        PState::Exited(_) => 0,
    }
}

/// The state shown in each of `cells` cells ending at `now_ns`, oldest first;
/// `None` before the process existed or after it ended.
pub fn timeline(history: &[(u64, PState)], now_ns: u64, tick_ns: u64, cells: usize) -> Vec<Option<PState>> {
    let mut out = Vec::with_capacity(cells);
    let mut j = 0; // history[..j] started at or before the cell's start
    let mut cur: Option<PState> = None;
    for i in 0..cells {
        let back = (cells - i) as u64 * tick_ns;
        let start = now_ns as i128 - back as i128;
        let end = start + tick_ns as i128;
        while j < history.len() && (history[j].0 as i128) <= start {
            cur = Some(history[j].1);
            j += 1;
        }
        let mut best = cur.filter(|s| s.is_live());
        let mut k = j;
        while k < history.len() && (history[k].0 as i128) <= end {
            let s = history[k].1;
            if best.is_none_or(|b| rank(s) > rank(b)) {
                best = Some(s);
            }
            k += 1;
        }
        out.push(best);
    }
    out
}

/// What the lanes pane hides above and below its window, for its bottom
/// border: (hidden, of them live) each way; `↓ 2 more live ·` when every
/// hidden one is live. Empty when all of it shows.
pub fn hidden_hint(above: (usize, usize), below: (usize, usize), lang: Lang) -> String {
    let part = |arrow: &str, (n, live): (usize, usize)| match (lang, n == live) {
        (Lang::En, true) => format!("{arrow} {n} more live"),
        (Lang::En, false) => format!("{arrow} {n} more ({live} live)"),
        (Lang::Zh, true) => format!("{arrow} 还有 {n} 个存活"),
        (Lang::Zh, false) => format!("{arrow} 还有 {n} 个({live} 个存活)"),
    };
    let parts: Vec<String> = [("↑", above), ("↓", below)].into_iter().filter(|(_, h)| h.0 > 0).map(|(a, h)| part(a, h)).collect();
    if parts.is_empty() { String::new() } else { format!(" {} ·", parts.join(" · ")) }
}

#[derive(Debug)]
pub struct LanesWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> LanesWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        LanesWidget { dash }
    }
}

struct Row<'a> {
    lane: Lane,
    name: String,
    p: &'a ProcessState,
    badge: String,
    frozen: bool,
    on: (String, String),
}

impl Widget for LanesWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (m, l, th) = (&d.model, d.lang, &d.theme);
        let focused = d.has_focus(Pane::Lanes);
        let live = m.live().count();
        let visible = area.height.saturating_sub(3) as usize;
        let (shown, folded) = d.shown_rows(visible);
        let title = format!("{} · {} {} {live} {}", l.pick("Processes", "进程"), m.processes.len(), l.pick("total,", "个,"), l.pick("live", "存活"));
        // The bottom border: what is folded away (and the key), then the run's seed and parameters.
        let fold = if folded > 0 {
            match l {
                Lang::En => format!(" {folded} ended folded: f shows ·"),
                Lang::Zh => format!(" {folded} 个已结束的已折叠:f 显示 ·"),
            }
        } else if d.view.show_ended && d.lane_rows().len() > visible {
            l.pick(" f folds the ended ·", " f 折叠已结束的 ·").to_string()
        } else {
            String::new()
        };
        // Rows out of the window (the selection scrolls it) are said first.
        let selected = d.selected_lane();
        let missing = d.missing_selection();
        let sel_row = if missing.is_some() { shown.len() } else { shown.iter().position(|(r, _)| Some(*r) == selected).unwrap_or(0) };
        let offset = scroll_offset(sel_row, visible);
        let is_live = |lane: &Lane| m.processes.get(lane).is_some_and(|p| p.state.is_live());
        let hidden = |range: &[(Lane, usize)]| (range.len(), range.iter().filter(|(lane, _)| is_live(lane)).count());
        let above = hidden(&shown[..offset.min(shown.len())]);
        let below = hidden(&shown[(offset + visible).min(shown.len())..]);
        let scrolled = hidden_hint(above, below, l);
        // A figure says the seed and parameters in its footer; its border
        // keeps the room for the timeline's legend (drawn after the rows).
        let run_info = if d.view.figure {
            if scrolled.is_empty() && fold.is_empty() { String::new() } else { format!("{scrolled}{fold} ") }
        } else {
            format!("{scrolled}{fold} {} {}{}{} ", l.pick("seed", "种子"), d.seed, if d.params.is_empty() { "" } else { " · " }, d.params)
        };
        let block = pane_block(title, focused, th).title_bottom(Line::styled(text::fit(&run_info, area.width.saturating_sub(4) as usize), th.dim()));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width < 10 {
            return;
        }
        let rows: Vec<Row> = shown
            .into_iter()
            .filter_map(|(lane, depth)| {
                let p = m.processes.get(&lane)?;
                let indent = if depth == 0 { String::new() } else { format!("{}└ ", "  ".repeat(depth - 1)) };
                let frozen = d.status.frozen.contains(&lane);
                let on = match wait_text(m, p, l, true) {
                    Some(long) => (long, wait_text(m, p, l, false).unwrap_or_default()),
                    None if p.fresh_wake().is_some() => woken_text(m, p, l).unwrap_or_default(),
                    None if p.state.is_live() && p.line > 0 => {
                        let s = match l {
                            Lang::En => format!("line {}", p.line),
                            Lang::Zh => format!("第 {} 行", p.line),
                        };
                        (s.clone(), s)
                    }
                    None => Default::default(),
                };
                Some(Row { lane, name: format!("{indent}{} {}", Theme::mark(lane), text::one_line(short_name(m, p))), p, badge: badge(p, frozen, l), frozen, on })
            })
            .collect();

        // Column widths from the content, the rest to the "on" column and the timeline.
        let w = inner.width as usize;
        let name_w = rows.iter().map(|r| text::width(&r.name)).max().unwrap_or(0).clamp(7, 20);
        let pid_w = rows.iter().map(|r| r.p.pid.to_string().len()).max().unwrap_or(3).max(3);
        let state_w = rows.iter().map(|r| text::width(&r.badge)).max().unwrap_or(5).clamp(5, 17);
        // CPU% (htop's), while the conductor samples it, where it leaves
        // the "on" column and the timeline their room (not at 80 columns).
        let no_cpu = 1 + name_w + 1 + pid_w + 1 + state_w + 1;
        let cpu_w = if d.status.cpu.is_empty() || w < no_cpu + 5 + 24 { 0 } else { 5 };
        let fixed = no_cpu + cpu_w;
        let rest = w.saturating_sub(fixed);
        let on_label = l.pick("waits for / at", "等待 / 位置");
        let on_max = rows.iter().map(|r| text::width(&r.on.0)).max().unwrap_or(0).max(text::width(on_label));
        let (on_w, tl_w) = if rest < 24 { (rest, 0) } else { let on = on_max.min(rest * 6 / 10); (on, rest - on - 1) };

        let tick = timeline_tick_ns(d.status.speed);
        // Paused, the screen's clock moves one cell per step (see `session`);
        // a stepped run that ended keeps its scale.
        let stepped = !d.status.ran_free && d.status.steps > 0;
        let by_steps = (matches!(d.status.mode, Mode::Paused | Mode::Stepping { .. }) && !(d.status.ran_free && d.status.steps == 0)) || (d.status.mode == Mode::Ended && stepped);
        let cell_label = if by_steps { l.pick("1 step", "1 步").to_string() } else { text::span(tick) };
        let head = format!(
            " {} {} {}{} {} {}",
            text::pad(l.pick("process", "进程"), name_w),
            text::pad("pid", pid_w),
            if cpu_w > 0 { format!("{:>4} ", "cpu") } else { String::new() },
            text::pad(l.pick("state", "状态"), state_w),
            text::pad(on_label, on_w),
            timeline_head(&cell_label, tl_w, l),
        );
        Line::styled(text::fit(head.trim_end(), w), th.dim()).render(Rect { height: 1, ..inner }, buf);

        // The chosen process is not in this run (yet): a row after the last says so.
        if let Some(id) = missing.filter(|_| sel_row >= offset && sel_row - offset < visible) {
            let y = inner.y + 1 + (sel_row - offset) as u16;
            let why = if d.status.mode == Mode::Ended { l.pick("not in this run", "不在这次运行中") } else { l.pick("not in this run yet", "这次运行中还没有出现") };
            let line = Line::from(vec![Span::raw(">"), Span::styled(text::pad(&text::one_line(&id.name), name_w), th.dim()), Span::raw(" "), Span::styled(why.to_string(), th.dim())]);
            let row = Rect { y, height: 1, ..inner };
            line.render(row, buf);
            buf.set_style(Rect { width: (fixed + on_w).min(w) as u16, ..row }, if focused { th.selected() } else { th.selected_unfocused() });
        }
        // The states the shown timelines have, for a figure's legend.
        let mut seen = std::collections::HashSet::new();
        let mut stopped = false;
        for (i, r) in rows.iter().enumerate().skip(offset).take(visible) {
            let y = inner.y + 1 + (i - offset) as u16;
            let is_sel = Some(r.lane) == selected;
            let on = if text::width(&r.on.0) <= on_w { &r.on.0 } else { &r.on.1 };
            let state_style = th.state(r.p.state, r.frozen);
            let mut spans = vec![
                Span::raw(if is_sel && !d.view.figure { ">" } else { " " }),
                Span::styled(text::pad(&r.name, name_w), th.lane(r.lane)),
                Span::raw(" "),
                Span::raw(text::pad(&r.p.pid.to_string(), pid_w)),
                Span::raw(" "),
                Span::styled(cpu_text(d.status.cpu.get(&r.lane).copied(), cpu_w), th.dim()),
                Span::styled(text::pad(&r.badge, state_w), state_style),
                Span::raw(" "),
                Span::styled(text::pad(on, on_w), if r.p.state == PState::Blocked { state_style } else { Style::new() }),
            ];
            if tl_w > 0 {
                spans.push(Span::raw(" "));
                let cells = timeline(&r.p.history, d.status.clock_ns, tick, tl_w);
                seen.extend(cells.iter().flatten().map(std::mem::discriminant));
                spans.extend(timeline_spans(&cells, th));
            }
            stopped |= r.frozen;
            let row = Rect { y, height: 1, ..inner };
            Line::from(spans).render(row, buf);
            if is_sel && !d.view.figure {
                let sel_area = Rect { width: (fixed + on_w).min(w) as u16, ..row };
                buf.set_style(sel_area, if focused { th.selected() } else { th.selected_unfocused() });
            }
        }
        if d.view.figure && tl_w > 0 {
            // The legend of the marks the figure shows, on the bottom border
            // after what the border says already.
            let order = [PState::Running, PState::Ready, PState::Blocked, PState::Sleeping, PState::Starting, PState::Killed(9)];
            let states: Vec<PState> = order.into_iter().filter(|s| seen.contains(&std::mem::discriminant(s))).collect();
            let mut spans = crate::ui::common::timeline_legend(&states, stopped, false, l, th);
            if let Some(last) = spans.last_mut() {
                last.content = last.content.trim_end().to_string().into();
            }
            let x = area.x + 1 + text::width(&run_info) as u16;
            let room = area.right().saturating_sub(x + 2);
            let line = Line::from(spans);
            if line.width() as u16 <= room && !states.is_empty() {
                let at = Rect { x: x + 1, y: area.bottom() - 1, width: room, height: 1 };
                Line::from(vec![Span::raw(" ")]).render(Rect { x, width: 1, ..at }, buf);
                let w = line.width() as u16;
                line.render(at, buf);
                Span::raw(" ").render(Rect { x: at.x + w, width: 1, ..at }, buf);
            }
        }
    }
}

/// A process's CPU% in `w` columns (`  97%`, ` 3.2%`), blank when not
/// sampled or `w` is 0.
fn cpu_text(percent: Option<f32>, w: usize) -> String {
    match (w, percent) {
        (0, _) => String::new(),
        (_, Some(p)) if p >= 9.95 => format!("{:>3.0}% ", p.min(999.0)),
        (_, Some(p)) => format!("{p:>3.1}% "),
        (_, None) => " ".repeat(w),
    }
}

/// The timeline column's head: `timeline (1 step/cell)`, shortened to what
/// fits before it is cut (`(1 step/cell)`, `1 step`).
fn timeline_head(cell: &str, w: usize, l: Lang) -> String {
    let full = format!("{} ({cell}/{})", l.pick("timeline", "时间线"), l.pick("cell", "格"));
    [full, format!("({cell}/{})", l.pick("cell", "格")), cell.to_string()].into_iter().find(|s| text::width(s) <= w).unwrap_or_default()
}

/// The timeline as styled runs of glyphs.
fn timeline_spans(cells: &[Option<PState>], th: &Theme) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_state: Option<Option<PState>> = None;
    let flush = |spans: &mut Vec<Span<'static>>, run: &mut String, st: Option<PState>| {
        if !run.is_empty() {
            let style = st.map_or(Style::new(), |s| th.state(s, false));
            spans.push(Span::styled(std::mem::take(run), style));
        }
    };
    for &cell in cells {
        if run_state != Some(cell) {
            flush(&mut spans, &mut run, run_state.flatten());
            run_state = Some(cell);
        }
        run.push(cell.map_or(' ', |s| Theme::glyph(s, false)));
    }
    flush(&mut spans, &mut run, run_state.flatten());
    spans
}

/// A process's name as its row shows it: under its parent, a thread's or an
/// `os.fork` child's name without the parent's (`MainProcess/Thread-1
/// (worker)` → `Thread-1 (worker)`), whose row is right above.
fn short_name<'a>(m: &Model, p: &'a ProcessState) -> &'a str {
    let parent = p.parent.and_then(|l| m.processes.get(&l)).map(|q| q.name.as_str());
    match parent {
        Some(q) => p.name.strip_prefix(q).and_then(|r| r.strip_prefix('/')).filter(|r| !r.is_empty()).unwrap_or(&p.name),
        None => &p.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_cells_follow_the_history_and_end_at_now() {
        let ms = 1_000_000;
        let h = vec![(0, PState::Starting), (10 * ms, PState::Running), (25 * ms, PState::Blocked), (45 * ms, PState::Ready), (50 * ms, PState::Exited(0))];
        let cells = timeline(&h, 60 * ms, 10 * ms, 8);
        let glyphs: String = cells.iter().map(|c| c.map_or(' ', |s| Theme::glyph(s, false))).collect();
        // Cells: (-20,-10] (-10,0] (0,10] (10,20] (20,30] (30,40] (40,50] (50,60]
        assert_eq!(glyphs, " ·██▓▓▓ ");
        assert_eq!(cells[0], None, "before the process existed");
        assert_eq!(cells[1], Some(PState::Starting));
        assert_eq!(cells[2], Some(PState::Running), "started at 0, running at 10 ms: running wins");
        assert_eq!(cells[3], Some(PState::Running));
        assert_eq!(cells[4], Some(PState::Blocked), "blocked within the cell wins");
        assert_eq!(cells[5], Some(PState::Blocked));
        assert_eq!(cells[6], Some(PState::Blocked), "still blocked at its start");
        assert_eq!(cells[7], None, "ended: the timeline stops");
    }

    #[test]
    fn scroll_keeps_the_selection_visible() {
        assert_eq!(scroll_offset(0, 5), 0);
        assert_eq!(scroll_offset(4, 5), 0);
        assert_eq!(scroll_offset(5, 5), 1);
        assert_eq!(scroll_offset(10, 5), 6);
    }
}
