//! The source pane: the lesson's script with line numbers (the program's
//! own, also where forkscope's `# forkscope-fix:` notes are left out); the
//! selected process's current line is highlighted and marked `▶` (and its
//! own mark beside it where other processes share the line), and every
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
            for cell in marks(lanes, sel) {
                spans.push(match cell {
                    Mark::Selected(lane) => Span::styled("▶", th.lane(lane)),
                    Mark::Of(lane) => Span::styled(Theme::mark(lane).to_string(), th.lane(lane)),
                    Mark::More => Span::raw("+"),
                    Mark::None => Span::raw(" "),
                });
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

/// One of a line's [`MARKS`] marker cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// `▶`: the selected process is at this line.
    Selected(Lane),
    /// A process's own mark.
    Of(Lane),
    /// More processes than cells.
    More,
    None,
}

/// The marker cells of a line where `lanes` are (the selected one first):
/// the selected process's `▶`, and when others share the line its own mark
/// after it too (which of the marks is the selected one's), then the
/// others'; `+` in the last cell when they do not all fit.
fn marks(lanes: &[Lane], sel: Option<Lane>) -> [Mark; MARKS] {
    let mut cells = Vec::new();
    for &lane in lanes {
        if Some(lane) == sel {
            cells.push(Mark::Selected(lane));
            if lanes.len() > 1 {
                cells.push(Mark::Of(lane));
            }
        } else {
            cells.push(Mark::Of(lane));
        }
    }
    let mut out = [Mark::None; MARKS];
    for (k, cell) in cells.iter().take(MARKS).enumerate() {
        out[k] = *cell;
    }
    if cells.len() > MARKS {
        out[MARKS - 1] = Mark::More;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selected process sharing its line shows `▶` and its own mark,
    /// so the class sees which of the marks is the selected one.
    #[test]
    fn the_selected_process_keeps_its_mark_beside_the_arrow_when_it_shares_a_line() {
        let (a, b, c) = (Lane(2), Lane(3), Lane(4));
        assert_eq!(marks(&[b, a], Some(b)), [Mark::Selected(b), Mark::Of(b), Mark::Of(a)]);
        assert_eq!(marks(&[b], Some(b)), [Mark::Selected(b), Mark::None, Mark::None], "alone: the arrow says it");
        assert_eq!(marks(&[b, a, c], Some(b)), [Mark::Selected(b), Mark::Of(b), Mark::More]);
        assert_eq!(marks(&[a, c], Some(b)), [Mark::Of(a), Mark::Of(c), Mark::None]);
        assert_eq!(marks(&[a, b, c, Lane(5)], None), [Mark::Of(a), Mark::Of(b), Mark::More]);
    }
}
