//! The variables pane (`v`): the selected process's (or thread's) variables
//! at its current step, as Python Tutor shows them — each frame of the
//! program's own file, innermost first, with its function and line, then
//! `name = repr`, a `*` and colour on what changed since its previous step.
//! Python programs write them while the run is paused or stepped (see
//! `model::locals`); a Rhai lesson has none, and the pane says so.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::codec::Engine;

use crate::ui::common::pane_block;
use crate::ui::state::Dashboard;
use crate::ui::text::{self, Lang};

/// The pane's lines at width `w` (without its frame).
pub fn lines(d: &Dashboard, w: usize) -> Vec<Line<'static>> {
    let (m, l, th) = (&d.model, d.lang, &d.theme);
    let note = |s: &str| vec![Line::styled(s.to_string(), th.dim())];
    if d.lesson.engine != Engine::Python {
        return note(l.pick("Variables are shown for Python programs.", "变量只对 Python 程序显示。"));
    }
    let Some(lane) = d.selected_lane() else {
        return note(l.pick("(select a process)", "(请选择一个进程)"));
    };
    let Some(vars) = m.locals.get(&lane).filter(|v| !v.frames.is_empty()) else {
        return note(l.pick("(none yet: variables are taken at each step while the run is paused)", "(暂无:运行暂停时,每一步都会记下变量)"));
    };
    let mut out = Vec::new();
    for f in &vars.frames {
        let head = match l {
            Lang::En => format!("{} · line {}", f.function, f.line),
            Lang::Zh => format!("{} · 第 {} 行", f.function, f.line),
        };
        out.push(Line::styled(text::fit(&head, w), th.bold()));
        if f.vars.is_empty() {
            out.push(Line::styled(format!("  {}", l.pick("(no variables)", "(没有变量)")), th.dim()));
        }
        for v in &f.vars {
            let mark = if v.changed { "*" } else { " " };
            let name_style = if v.changed { th.good() } else { Style::new() };
            let room = w.saturating_sub(text::width(&v.name) + 5);
            out.push(Line::from(vec![
                Span::styled(format!("{mark} "), th.good()),
                Span::styled(v.name.clone(), name_style),
                Span::styled(" = ", th.dim()),
                Span::styled(text::fit(&text::one_line(&v.repr), room), name_style),
            ]));
        }
        if f.more > 0 {
            let more = match l {
                Lang::En => format!("  … {} more", f.more),
                Lang::Zh => format!("  … 还有 {} 个", f.more),
            };
            out.push(Line::styled(more, th.dim()));
        }
    }
    out
}

#[derive(Debug)]
pub struct VariablesWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> VariablesWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        VariablesWidget { dash }
    }
}

impl Widget for VariablesWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (l, th) = (d.lang, &d.theme);
        let who = d.selected_lane().map(|lane| d.model.pname(lane));
        let title = match who {
            Some(n) => format!("{} · {n}", l.pick("Variables", "变量")),
            None => l.pick("Variables", "变量").to_string(),
        };
        let block = pane_block(title, false, th);
        let inner = block.inner(area);
        let all = lines(d, inner.width as usize);
        let h = inner.height as usize;
        let block = if all.len() > h { block.title_bottom(Line::styled(more_below(all.len() - h, l), th.dim())) } else { block };
        block.render(area, buf);
        for (row, line) in all.into_iter().take(h).enumerate() {
            line.render(Rect { y: inner.y + row as u16, height: 1, ..inner }, buf);
        }
    }
}

fn more_below(n: usize, l: Lang) -> String {
    match l {
        Lang::En => format!("↓ {n} more"),
        Lang::Zh => format!("↓ 还有 {n} 行"),
    }
}
