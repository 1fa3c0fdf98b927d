//! The source pane: the lesson's script with line numbers (the program's
//! own, also where forkscope's `# forkscope-fix:` notes are left out); the
//! selected process's current line is highlighted and marked `▶`, and every
//! other process's current line is marked with that process's mark (`●`,
//! `■`, … as in the lanes pane) in its lane colour.

use std::collections::BTreeMap;
use crate::vocab::Lane;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::ui::common::pane_block;
use crate::ui::state::{Dashboard, Pane};
use crate::ui::text;
use crate::ui::theme::Theme;

/// Marker columns before the line numbers.
pub const MARKS: usize = 3;

#[derive(Debug)]
pub struct SourceWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> SourceWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        SourceWidget { dash }
    }
}

impl Widget for SourceWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (m, l, th) = (&d.model, d.lang, &d.theme);
        let sel = d.selected_lane();
        let sel_p = sel.and_then(|s| m.processes.get(&s));
        let title = match sel_p {
            Some(p) if p.state.is_live() && p.line > 0 => format!("{} · {} {} {}", l.pick("Source", "源代码"), p.name, l.pick("at line", "在第"), p.line) + l.pick("", " 行"),
            Some(p) => format!("{} · {}", l.pick("Source", "源代码"), p.name),
            None => l.pick("Source", "源代码").into(),
        };
        let block = pane_block(title, d.has_focus(Pane::Source), th);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width < 8 {
            return;
        }
        // Lanes at each line; the selected one first.
        let mut at: BTreeMap<usize, Vec<Lane>> = BTreeMap::new();
        for p in m.live().filter(|p| p.line > 0) {
            at.entry(p.line as usize).or_default().push(p.lane);
        }
        for lanes in at.values_mut() {
            lanes.sort_by_key(|l| (Some(*l) != sel, *l));
        }
        let sel_line = sel_p.filter(|p| p.state.is_live()).map(|p| p.line as usize).filter(|l| *l > 0);
        let h = inner.height as usize;
        let top = d.view.source_scroll.unwrap_or_else(|| d.followed_source_top(h));
        let num_w = d.source.last().map_or(0, |(n, _)| n.to_string().len()).max(2);
        let code_w = (inner.width as usize).saturating_sub(MARKS + num_w + 1);
        for (row, (n, code)) in d.source.iter().skip(top).take(h).enumerate() {
            let n = *n;
            let mut spans = Vec::new();
            let lanes = at.get(&n).map(Vec::as_slice).unwrap_or(&[]);
            for k in 0..MARKS {
                match lanes.get(k) {
                    Some(_) if k == MARKS - 1 && lanes.len() > MARKS => spans.push(Span::raw("+")),
                    Some(&lane) if Some(lane) == sel => spans.push(Span::styled("▶", th.lane(lane))),
                    Some(&lane) => spans.push(Span::styled(Theme::mark(lane).to_string(), th.lane(lane))),
                    None => spans.push(Span::raw(" ")),
                }
            }
            spans.push(Span::styled(format!("{n:>num_w$} "), th.dim()));
            let code = text::fit(&text::one_line(code), code_w);
            if Some(n) == sel_line {
                spans.push(Span::styled(text::pad(&code, code_w), th.current_line()));
            } else {
                spans.push(Span::raw(code));
            }
            Line::from(spans).render(Rect { y: inner.y + row as u16, height: 1, ..inner }, buf);
        }
    }
}
