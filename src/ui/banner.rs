//! The banner under the header: a deadlock (cycle or stall, with the
//! processes and resources involved) in red, else the latest misuse or error
//! finding. Nothing when all is well.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::state::Dashboard;
use super::text;

/// Most banner lines.
const MAX_LINES: usize = 3;

#[derive(Debug)]
pub struct BannerWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> BannerWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        BannerWidget { dash }
    }

    /// (text, tone) of every banner entry: a reached goal (`Some(false)`,
    /// green), a deadlock (`Some(true)`, red), a finding (`None`).
    fn entries(&self) -> Vec<(String, Option<bool>)> {
        let l = self.dash.lang;
        let mut out = Vec::new();
        if let Some(g) = self.dash.status.goals.last() {
            out.push((format!("★ {} {g}", l.pick("GOAL REACHED:", "挑战完成:")), Some(false)));
        }
        for b in &self.dash.status.bad {
            out.push((format!("✗ {b}"), Some(true)));
        }
        if let Some(d) = self.dash.deadlock() {
            let what = if d.kind == "cycle" { l.pick("DEADLOCK", "死锁") } else { l.pick("STALLED", "停滞") };
            // The model's message names the kind already ("deadlock: alex waits…").
            let msg = ["deadlock: ", "stalled: "].iter().find_map(|p| d.message.strip_prefix(p)).unwrap_or(&d.message);
            out.push((format!("{what}: {msg}"), Some(true)));
        }
        let f = &self.dash.model.findings;
        if let Some(last) = f.last() {
            let more = if f.len() > 1 { format!(" (+{} {})", f.len() - 1, l.pick("more in the log", "条见日志")) } else { String::new() };
            out.push((format!("! {}: {}{more}", last.kind, last.message), None));
        }
        out
    }

    fn lines(&self, width: u16) -> Vec<(String, Option<bool>)> {
        let mut out = Vec::new();
        for (t, bad) in self.entries() {
            for l in text::wrap(&text::one_line(&t), (width as usize).saturating_sub(2)) {
                out.push((format!(" {l}"), bad));
            }
        }
        out.truncate(MAX_LINES);
        out
    }

    /// Rows the banner takes at `width`.
    pub fn height(&self, width: u16) -> u16 {
        self.lines(width).len() as u16
    }
}

impl Widget for BannerWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let th = &self.dash.theme;
        for (i, (l, tone)) in self.lines(area.width).into_iter().enumerate().take(area.height as usize) {
            let row = Rect { y: area.y + i as u16, height: 1, ..area };
            let style = match tone {
                Some(false) => th.goal(),
                Some(true) => th.banner(true),
                None => th.banner(false),
            };
            buf.set_style(row, style);
            Line::styled(l, style).render(row, buf);
        }
    }
}
