//! The resources pane: every shared resource drawn from the generic
//! [`ResourceState`] fields as the model documents them per kind (owner and
//! waiters of locks, value/capacity gauges of semaphores, event flags, queue
//! depth bars with the unfinished count, pipes, shared values, pool workers
//! and pending tasks), then the files the lesson uses, then reported values.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::ui::describe::{file_line, resource_lines};
use crate::ui::common::pane_block;
use crate::ui::common::scroll_offset;
use crate::ui::state::{Dashboard, Pane, ResItem};

/// Every line of the pane at width `w`, with the item it belongs to (`None`:
/// not selectable). Drawing and mouse hit-testing both use it.
pub fn pane_lines(d: &Dashboard, w: usize) -> Vec<(Line<'static>, Option<usize>)> {
    let (m, l, th) = (&d.model, d.lang, &d.theme);
    let mut lines: Vec<(Line<'static>, Option<usize>)> = Vec::new();
    for (i, item) in d.res_items().iter().enumerate() {
        match item {
            ResItem::Res(id) => {
                if let Some(rs) = m.resources.get(id) {
                    for line in resource_lines(m, rs, l, th, w) {
                        lines.push((line, Some(i)));
                    }
                }
            }
            ResItem::File(p) => {
                if let Some(f) = m.files.get(p) {
                    lines.push((file_line(m, f, d.lesson.engine, l, th, w), Some(i)));
                }
            }
        }
    }
    if !m.reported.is_empty() {
        let r = m.reported.iter().map(|(k, v)| format!("{k} = {}", crate::model::summary::show_value(v))).collect::<Vec<_>>().join(" · ");
        lines.push((Line::from(vec![Span::styled(format!("{}: ", l.pick("reported", "报告")), th.dim()), Span::styled(r, th.good())]), None));
    }
    lines
}

/// First line shown so that every line of item `sel` is visible (its first
/// line if they do not all fit).
pub fn pane_offset(lines: &[(Line<'static>, Option<usize>)], sel: usize, visible: usize) -> usize {
    let first = lines.iter().position(|(_, it)| *it == Some(sel)).unwrap_or(0);
    let last = lines.iter().rposition(|(_, it)| *it == Some(sel)).unwrap_or(first);
    scroll_offset(last, visible).min(first)
}

/// The item at row `row` of the pane's inside (mouse selection).
pub fn item_at(d: &Dashboard, inner: Rect, row: u16) -> Option<usize> {
    let lines = pane_lines(d, inner.width as usize);
    let sel = d.view.selected_res.min(d.res_items().len().saturating_sub(1));
    let offset = pane_offset(&lines, sel, inner.height as usize);
    lines.get(offset + row as usize).and_then(|(_, it)| *it)
}

#[derive(Debug)]
pub struct ResourcesWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> ResourcesWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        ResourcesWidget { dash }
    }
}

impl Widget for ResourcesWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (l, th) = (d.lang, &d.theme);
        let focused = d.has_focus(Pane::Resources);
        let block = pane_block(l.pick("Resources & files", "资源与文件").into(), focused, th);
        let inner = block.inner(area);
        if inner.height == 0 || inner.width < 4 {
            block.render(area, buf);
            return;
        }
        let lines = pane_lines(d, inner.width as usize);
        let items = d.res_items();
        if lines.is_empty() {
            block.render(area, buf);
            Line::styled(l.pick("(none yet)", "(暂无)"), th.dim()).render(inner, buf);
            return;
        }
        let sel = d.view.selected_res.min(items.len().saturating_sub(1));
        let offset = pane_offset(&lines, sel, inner.height as usize);
        // Rows out of the window say so on the border (the selection scrolls).
        let below = lines.len().saturating_sub(offset + inner.height as usize);
        let block = match crate::ui::common::more_hint(offset, below, l) {
            Some(h) => block.title_bottom(Line::styled(h, th.dim())),
            None => block,
        };
        block.render(area, buf);
        for (row, (line, item)) in lines.into_iter().skip(offset).take(inner.height as usize).enumerate() {
            let r = Rect { y: inner.y + row as u16, height: 1, ..inner };
            line.render(r, buf);
            if item == Some(sel) && !items.is_empty() && !d.view.figure {
                buf.set_style(r, if focused { th.selected() } else { Style::new() });
            }
        }
    }
}
