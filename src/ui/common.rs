//! What the panes of the dashboard share: a pane's frame, the too-small
//! screen, a buffer as text, a centred box, the process badges and waits,
//! scrolling and "more" hints, holders' names. Panes name this module (and
//! `state`, `text`, `theme`), not each other.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::model::{Model, PState, ProcessState};
use crate::vocab::{Lane, Op, ResKind};

use super::text::{self, Lang};
use super::theme::Theme;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// A pane's frame: its title, bold borders when it has the focus.
pub fn pane_block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    let t = if focused { format!("[{title}]") } else { title };
    Block::new().borders(Borders::ALL).border_style(theme.border(focused)).title(Line::styled(t, theme.bold()))
}

/// The message shown instead of the dashboard in a terminal that is too small.
pub fn render_too_small(area: Rect, buf: &mut Buffer, lang: Lang) {
    let msg = match lang {
        Lang::En => format!("The terminal is too small ({}×{}). forkscope needs at least {MIN_WIDTH}×{MIN_HEIGHT}: make the window bigger (or the font smaller). q quits.", area.width, area.height),
        Lang::Zh => format!("终端太小({}×{})。forkscope 至少需要 {MIN_WIDTH}×{MIN_HEIGHT}:请放大窗口(或缩小字体)。按 q 退出。", area.width, area.height),
    };
    let lines: Vec<Line> = text::wrap(&msg, area.width as usize).into_iter().map(Line::from).collect();
    Paragraph::new(lines).style(Style::new()).render(area, buf);
}

/// What a buffer shows, one string per row (a wide character once, not
/// followed by the blank cell it covers): for tests and text exports.
pub fn buffer_lines(buf: &Buffer) -> Vec<String> {
    let w = buf.area.width as usize;
    buf.content
        .chunks(w.max(1))
        .map(|row| {
            let mut s = String::new();
            let mut skip = 0usize;
            for c in row {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                s.push_str(c.symbol());
                skip = text::width(c.symbol()).saturating_sub(1);
            }
            s
        })
        .collect()
}

/// The state badge: `blocked`, `exited 0`, `killed by SIGTERM`, `stopped`.
pub fn badge(p: &ProcessState, frozen: bool, lang: Lang) -> String {
    if frozen && p.state.is_live() {
        return lang.pick("stopped", "已冻结").into();
    }
    crate::words::state(p.state, lang)
}

/// What a process waits for, and who holds it. `long` spells it out;
/// otherwise it is short enough for a narrow column.
pub fn wait_text(model: &Model, p: &ProcessState, lang: Lang, long: bool) -> Option<String> {
    let w = p.wait.as_ref()?;
    if w.op == Op::Sleep {
        return Some(lang.pick("sleep", "sleep").into());
    }
    if w.op == Op::Input {
        // Ended from outside (a line typed), not by a timeout.
        return Some(lang.pick("input: i to type a line", "input:按 i 输入一行").into());
    }
    let timed = if w.timed && long { lang.pick(" (with timeout)", "(有超时)") } else { "" };
    if let Some(res) = w.res {
        let rs = model.resources.get(&res);
        let name = model.rname(res);
        // The current owner of a lock-like resource, else who held it at the block.
        let owner = rs.filter(|r| matches!(r.kind, ResKind::Lock | ResKind::RLock | ResKind::Condition | ResKind::Value | ResKind::Array)).and_then(|r| r.owner).or(w.holder);
        return Some(match (owner, long) {
            (Some(o), true) => match lang {
                Lang::En => format!("{} {name}, held by {}{timed}", w.op.api_name(), holder_name(model, o, lang)),
                Lang::Zh => format!("{} {name},被 {} 持有{timed}", w.op.api_name(), holder_name(model, o, lang)),
            },
            (Some(o), false) => format!("{name} ({})", holder_name(model, o, lang)),
            (None, _) => format!("{} {name}{timed}", w.op.api_name()),
        });
    }
    if let Some(on) = w.on {
        return Some(format!("{} {}{timed}", w.op.api_name(), model.pname(on)));
    }
    Some(format!("{}{timed}", w.op.api_name()))
}

/// Time one timeline cell stands for: 0.1 s at speed 1, shorter when sleeps
/// are sped up, so a sleep keeps its length in cells.
pub fn timeline_tick_ns(speed: f64) -> u64 {
    ((100_000_000.0 / speed.max(0.001)) as u64).clamp(1_000_000, 1_000_000_000)
}

/// What a list hides above and below its window (` ↑ 2 · ↓ 5 more `), for
/// the pane's bottom border; `None` when all of it shows.
pub fn more_hint(above: usize, below: usize, lang: Lang) -> Option<String> {
    let more = lang.pick("more", "项未显示");
    match (above, below) {
        (0, 0) => None,
        (a, 0) => Some(format!(" ↑ {a} {more} ")),
        (0, b) => Some(format!(" ↓ {b} {more} ")),
        (a, b) => Some(format!(" ↑ {a} · ↓ {b} {more} ")),
    }
}

/// First row shown when row `selected` must be visible in `visible` rows.
pub fn scroll_offset(selected: usize, visible: usize) -> usize {
    if visible == 0 || selected < visible { 0 } else { selected + 1 - visible }
}

/// A box of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// [`render_box`] into the box `r`.
pub fn render_lines_in(r: Rect, buf: &mut Buffer, title: String, lines: Vec<Line<'static>>, scroll: usize, th: &Theme, lang: Lang) {
    clear_box(r, buf);
    let visible = r.height.saturating_sub(2) as usize;
    let top = scroll.min(lines.len().saturating_sub(visible));
    let below = lines.len().saturating_sub(top + visible);
    let mut block = pane_block(title, true, th);
    if let Some(hint) = more_hint(top, below, lang) {
        block = block.title_bottom(Line::styled(format!("{hint}· {} ", lang.pick("↑↓ scroll", "↑↓ 滚动")), th.dim()).right_aligned());
    }
    let inner = block.inner(r);
    block.render(r, buf);
    for (i, l) in lines.into_iter().skip(top).take(inner.height as usize).enumerate() {
        let row = Rect { x: inner.x + 1, y: inner.y + i as u16, width: inner.width.saturating_sub(1), height: 1 };
        l.render(row, buf);
    }
}

/// A holder's name, marked when it has ended: a dead holder never gives
/// the resource back, and the pane must not read as if it were still at work.
pub fn holder_name(m: &Model, lane: Lane, l: Lang) -> String {
    let name = m.pname(lane);
    match m.processes.get(&lane).map(|p| p.state) {
        Some(PState::Killed(_)) => format!("{name} ({})", l.pick("killed", "已被杀死")),
        Some(PState::Exited(_)) => format!("{name} ({})", l.pick("ended", "已结束")),
        _ => name,
    }
}

pub fn holder_names(m: &Model, lanes: &[Lane], l: Lang) -> Vec<String> {
    lanes.iter().map(|h| holder_name(m, *h, l)).collect()
}

/// Clears `r` for a popup, and blanks a wide character (CJK) that starts just
/// left of it: such a character covers the box's first column, so a terminal
/// would draw it over the left border (the buffer diff skips the cell it
/// covers) and the text underneath would run into the box.
pub fn clear_box(r: Rect, buf: &mut Buffer) {
    Clear.render(r, buf);
    if r.x <= buf.area.x {
        return;
    }
    for y in r.top()..r.bottom() {
        if let Some(cell) = buf.cell_mut((r.x - 1, y))
            && text::width(cell.symbol()) > 1
        {
            cell.set_symbol(" ");
        }
    }
}

/// An op as the program's own language says it: a Python program's
/// `open(…).read()` is `read`, not the lesson API's `read_text`; a Rhai
/// lesson's ops keep their API names.
pub fn op_word(op: crate::vocab::Op, engine: crate::codec::Engine) -> &'static str {
    use crate::vocab::Op as O;
    if engine != crate::codec::Engine::Python {
        return op.api_name();
    }
    match op {
        O::ReadText | O::ReadJson | O::Load => "read",
        O::WriteText | O::WriteJson | O::AppendText | O::Store => "write",
        O::ListDir => "listdir",
        other => other.api_name(),
    }
}

/// The timeline's marks and what they mean (`█ running  ▓ blocked …`), for
/// the help screen and a figure's lanes pane: of `states` (in this order),
/// and `‖ stopped` when `stopped` (a process frozen with `z`, SIGSTOP).
pub fn timeline_legend(states: &[crate::model::PState], stopped: bool, with_key: bool, lang: Lang, th: &Theme) -> Vec<ratatui::text::Span<'static>> {
    use crate::model::PState;
    use ratatui::text::Span;
    let mut spans = Vec::new();
    for &s in states {
        let name = match s {
            PState::Killed(_) => lang.pick("killed", "被杀死"),
            PState::Running => lang.pick("running", "运行"),
            PState::Ready => lang.pick("ready", "就绪"),
            PState::Blocked => lang.pick("blocked", "阻塞"),
            PState::Sleeping => lang.pick("sleeping", "睡眠"),
            PState::Starting => lang.pick("starting", "启动中"),
            PState::Exited(_) => continue,
        };
        spans.push(Span::styled(Theme::glyph(s, false).to_string(), th.state(s, false)));
        spans.push(Span::raw(format!(" {name}  ")));
    }
    if stopped {
        spans.push(Span::styled(Theme::glyph(PState::Running, true).to_string(), th.state(PState::Running, true)));
        spans.push(Span::raw(format!(" {}  ", if with_key { lang.pick("stopped (z)", "已冻结(z)") } else { lang.pick("stopped", "已冻结") })));
    }
    spans
}
