//! The dashboard screen: where each pane goes ([`layout`], shared with mouse
//! hit-testing) and `impl Widget for &Dashboard`, which draws every pane from
//! the state alone. Below [`MIN_WIDTH`]×[`MIN_HEIGHT`] it says the terminal is
//! too small instead of drawing.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::widgets::Widget;

use crate::vocab::Lane;

use super::common::{render_too_small, too_small};
use super::panes::banner::BannerWidget;
use super::panes::explain::ExplainWidget;
use super::panes::header::{FooterWidget, HeaderWidget};
use super::panes::lanes::LanesWidget;
use super::common::scroll_offset;
use super::panes::log::LogWidget;
use super::panes::overlay::{DetailsWidget, HelpWidget};
use super::panes::resources::{self, ResourcesWidget};
use super::panes::source::{MARKS as SOURCE_MARKS, SourceWidget};
use super::state::{Dashboard, FigurePane, Overlay, Pane};
use super::panes::variables::VariablesWidget;
use super::panes::console::ConsoleWidget;
use super::keymap::Scope;

pub use super::common::{MIN_HEIGHT, MIN_WIDTH};

/// Where each part of the dashboard goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub banner: Rect,
    pub lanes: Rect,
    pub resources: Rect,
    pub source: Rect,
    /// The variables pane (`v`), under the source; empty when hidden.
    pub variables: Rect,
    pub log: Rect,
    pub footer: Rect,
}

impl Areas {
    /// The pane under a screen position.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        let p = ratatui::layout::Position { x, y };
        [(self.lanes, Pane::Lanes), (self.resources, Pane::Resources), (self.source, Pane::Source), (self.log, Pane::Log)].into_iter().find(|(r, _)| r.contains(p)).map(|(_, pane)| pane)
    }
}

/// Splits `area`: header, banner, lanes | resources over source | log, footer.
pub fn layout(area: Rect, dash: &Dashboard) -> Areas {
    let banner_h = BannerWidget::new(dash).height(area.width);
    let [header, banner, body, footer] = Layout::vertical([Constraint::Length(1), Constraint::Length(banner_h), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    // Lanes want a row per process (plus borders and the column header);
    // the source and the log keep at least 8 rows.
    let want = dash.lane_rows().len() as u16 + 3 + u16::from(dash.missing_selection().is_some());
    let top_h = want.max(dash.res_items().len() as u16 + 3).max(6).min(body.height * 55 / 100).min(body.height.saturating_sub(8));
    let [top, bottom] = Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(body);
    let [lanes, resources] = Layout::horizontal([Constraint::Percentage(62), Constraint::Fill(1)]).areas(top);
    let [source, log] = Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(bottom);
    let (source, variables) = if dash.view.show_vars {
        let [s, v] = Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(source);
        (s, v)
    } else {
        (source, Rect::default())
    };
    Areas { header, banner, lanes, resources, source, variables, log, footer }
}

impl Dashboard {
    /// A left click at (x, y): focuses the pane there and selects the
    /// process or resource under the pointer. On a line of the Source pane
    /// where processes are (The Deadlock Empire's way), it selects the one
    /// whose mark was clicked (or the first there) and returns it: the
    /// caller steps it.
    pub fn click(&mut self, areas: &Areas, x: u16, y: u16) -> Option<Lane> {
        let pane = areas.pane_at(x, y)?;
        self.view.focus = pane;
        match pane {
            Pane::Lanes => {
                let inner = areas.lanes.inner(Margin::new(1, 1));
                // The first inner row is the column header.
                if y > inner.y && y < inner.bottom() {
                    let visible = inner.height.saturating_sub(1) as usize;
                    let rows = self.shown_rows(visible).0;
                    let sel = self.selected_lane().and_then(|l| rows.iter().position(|(r, _)| *r == l)).unwrap_or(0);
                    let row = scroll_offset(sel, visible) + (y - inner.y - 1) as usize;
                    if row < rows.len() {
                        self.select_row(row as isize);
                    }
                }
            }
            Pane::Resources => {
                let inner = areas.resources.inner(Margin::new(1, 1));
                if let Some(i) = (y >= inner.y).then(|| resources::item_at(self, inner, y - inner.y)).flatten() {
                    self.view.selected_res = i;
                }
            }
            Pane::Source => {
                let inner = areas.source.inner(Margin::new(1, 1));
                if y < inner.y || y >= inner.bottom() {
                    return None;
                }
                let top = self.view.source_scroll.unwrap_or_else(|| self.followed_source_top(inner.height as usize));
                let (n, _) = self.source.get(top + (y - inner.y) as usize)?;
                let at = self.lanes_at_line(*n);
                let mark = (x.saturating_sub(inner.x)) as usize;
                let lane = *at.get(mark).filter(|_| mark < SOURCE_MARKS).or(at.first())?;
                if Some(lane) != self.selected_lane() {
                    self.select_lane(lane);
                }
                return Some(lane);
            }
            Pane::Log => {}
        }
        None
    }

    /// The mouse wheel over a pane scrolls it (moves the selection in lists),
    /// without moving the focus.
    pub fn scroll_at(&mut self, areas: &Areas, x: u16, y: u16, delta: isize) {
        let Some(pane) = areas.pane_at(x, y) else { return };
        let keep = self.view.focus;
        self.view.focus = pane;
        self.move_by(if matches!(pane, Pane::Lanes | Pane::Resources) { delta } else { delta * 3 });
        self.view.focus = keep;
    }
}

impl Widget for &Dashboard {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if too_small(area) {
            render_too_small(area, buf, self.lang);
            return;
        }
        if let Some(stack) = &self.view.stack {
            return render_stack(self, stack, area, buf);
        }
        let a = layout(area, self);
        HeaderWidget::new(self).render(a.header, buf);
        BannerWidget::new(self).render(a.banner, buf);
        LanesWidget::new(self).render(a.lanes, buf);
        ResourcesWidget::new(self).render(a.resources, buf);
        SourceWidget::new(self).render(a.source, buf);
        if !a.variables.is_empty() {
            VariablesWidget::new(self).render(a.variables, buf);
        }
        if self.view.console {
            ConsoleWidget::new(self).render(a.log, buf);
        } else {
            LogWidget::new(self).render(a.log, buf);
        }
        FooterWidget::new(&self.view.message, Scope::Dashboard, self.lang, &self.theme).mode(self.status.mode).render(a.footer, buf);
        match self.view.overlay {
            Some(Overlay::Help) => HelpWidget::new(Scope::Dashboard, self.lang, &self.theme).scroll(self.view.overlay_scroll).render(area, buf),
            Some(Overlay::Details(pane)) => DetailsWidget::new(self, pane).render(area, buf),
            Some(Overlay::Lesson) => ExplainWidget::new(self).render(area, buf),
            None => {}
        }
    }
}

/// A figure of chosen panes (`snapshot --panes`): the header and banner, the
/// panes top to bottom in the order given — a list pane (lanes, resources,
/// variables) as tall as its rows, the text panes (source, log, console)
/// sharing the rest — and the footer.
fn render_stack(d: &Dashboard, stack: &[FigurePane], area: Rect, buf: &mut Buffer) {
    let banner_h = BannerWidget::new(d).height(area.width);
    let [header, banner, body, footer] = Layout::vertical([Constraint::Length(1), Constraint::Length(banner_h), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    HeaderWidget::new(d).render(header, buf);
    BannerWidget::new(d).render(banner, buf);
    let inner_w = body.width.saturating_sub(2) as usize;
    let texts = stack.iter().filter(|p| matches!(p, FigurePane::Source | FigurePane::Log | FigurePane::Console)).count();
    let want = |p: &FigurePane| -> Constraint {
        let rows = match p {
            FigurePane::Lanes => d.lane_rows().len() + 3 + usize::from(d.missing_selection().is_some()),
            FigurePane::Resources => resources::pane_lines(d, inner_w).len().max(1) + 2,
            FigurePane::Variables => super::panes::variables::lines(d, inner_w).len().max(1) + 2,
            FigurePane::Source | FigurePane::Log | FigurePane::Console => return Constraint::Fill(1),
        };
        // With no text pane to take the rest, the last pane does.
        if texts == 0 { Constraint::Max(rows as u16) } else { Constraint::Length((rows as u16).min(body.height * 55 / 100)) }
    };
    let areas = Layout::vertical(stack.iter().map(want)).split(body);
    for (p, r) in stack.iter().zip(areas.iter().copied()) {
        match p {
            FigurePane::Lanes => LanesWidget::new(d).render(r, buf),
            FigurePane::Resources => ResourcesWidget::new(d).render(r, buf),
            FigurePane::Source => SourceWidget::new(d).render(r, buf),
            FigurePane::Variables => VariablesWidget::new(d).render(r, buf),
            FigurePane::Log => LogWidget::new(d).render(r, buf),
            FigurePane::Console => ConsoleWidget::new(d).render(r, buf),
        }
    }
    FooterWidget::new(&d.view.message, Scope::Dashboard, d.lang, &d.theme).mode(d.status.mode).render(footer, buf);
}
