//! The log pane: what the processes printed and the notable records, newest
//! at the bottom (forkscope's own lines said by `crate::words` in the chosen
//! language, the program's as it wrote them), each line in its process's colour, wrapped to the pane's
//! width (wide characters counted as two columns). Scrolling goes back in
//! time; only the entries that fit are wrapped, so a long log costs nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{LogEntry, LogKind, Model};
use crate::vocab::Lane;

use super::dashboard::pane_block;
use super::state::{Dashboard, Pane};
use super::text::{self, Lang};
use super::theme::Theme;

/// Lines of one entry at width `w`: `name: text`, wrapped, continuation indented.
pub fn entry_lines(m: &Model, e: &LogEntry, w: usize, lang: Lang, th: &Theme, with_time: bool) -> Vec<Line<'static>> {
    let who = if e.lane == Lane::CONDUCTOR { "forkscope".to_string() } else { m.pname(e.lane) };
    let (tag, style) = match e.kind {
        LogKind::Print => ("", Style::new()),
        LogKind::Stderr => ("", th.bad()),
        LogKind::Event => ("· ", th.dim()),
        LogKind::Error => ("✗ ", th.bad()),
        LogKind::Finding => ("! ", th.warn()),
        LogKind::Report => ("= ", th.good()),
    };
    let time = if with_time { format!("{:>6} ", text::secs(e.t_ns)) } else { String::new() };
    let prefix_w = text::width(&time) + text::width(&who) + 2;
    // What the program wrote stays as written; what forkscope saw is said
    // in the viewer's language (the line names the process already).
    let text = e.event.as_ref().map_or_else(|| e.text.clone(), |ev| crate::words::event(m, ev, lang));
    let body = format!("{tag}{text}");
    let first_w = w.saturating_sub(prefix_w).max(8);
    let mut wrapped = text::wrap(&body, first_w);
    // Continuation lines get the full width less an indent.
    if wrapped.len() > 1 {
        // The rest of the text as it was (not the cut lines joined again,
        // which would put a space inside a cut word or between Chinese
        // characters), wrapped to the wider width.
        let first = wrapped[0].chars().count();
        let rest: String = body.chars().skip(first).collect();
        let rest = rest.trim_start_matches(' ');
        let rest = rest.strip_prefix('\n').unwrap_or(rest).to_string();
        wrapped.truncate(1);
        wrapped.extend(text::wrap(&rest, w.saturating_sub(2).max(8)));
    }
    let lane_style = if e.lane == Lane::CONDUCTOR { th.dim() } else { th.lane(e.lane) };
    wrapped
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 {
                Line::from(vec![Span::styled(time.clone(), th.dim()), Span::styled(who.clone(), lane_style), Span::raw(": "), Span::styled(t, style)])
            } else {
                Line::from(vec![Span::raw("  "), Span::styled(t, style)])
            }
        })
        .collect()
}

/// What the program itself wrote (its prints and its stderr), as opposed to
/// what forkscope notes about the run.
pub fn is_program_output(e: &LogEntry) -> bool {
    matches!(e.kind, LogKind::Print | LogKind::Stderr)
}

#[derive(Debug)]
pub struct LogWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> LogWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        LogWidget { dash }
    }
}

impl Widget for LogWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (m, l, th) = (&d.model, d.lang, &d.theme);
        let scroll = d.view.log_scroll;
        let own = |e: &&LogEntry| !d.view.prints_only || is_program_output(e);
        let mut title = if d.view.prints_only {
            format!("{} · {} · {}", l.pick("Log", "日志"), l.pick("program output only (o)", "只看程序输出(o)"), m.log.iter().filter(own).count())
        } else {
            format!("{} · {}", l.pick("Log", "日志"), m.log.len())
        };
        if scroll > 0 {
            title.push_str(&format!(" · ↑{scroll}"));
        }
        let block = pane_block(title, d.view.focus == Pane::Log, th);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width < 10 {
            return;
        }
        let (w, h) = (inner.width as usize, inner.height as usize);
        let with_time = w >= 50;
        // Newest entries first, until the screen plus the scroll is full.
        let mut lines: Vec<Line<'static>> = Vec::new();
        for e in m.log.iter().rev().filter(own) {
            let mut el = entry_lines(m, e, w, l, th, with_time);
            el.reverse();
            lines.extend(el);
            if lines.len() >= h + scroll {
                break;
            }
        }
        let skip = scroll.min(lines.len().saturating_sub(h));
        let shown: Vec<Line<'static>> = lines.into_iter().skip(skip).take(h).collect();
        for (row, line) in shown.into_iter().rev().enumerate() {
            line.render(Rect { y: inner.y + row as u16, height: 1, ..inner }, buf);
        }
    }
}
