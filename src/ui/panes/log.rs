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

use crate::ui::ansi::{self, Cell};
use crate::ui::common::pane_block;
use crate::ui::state::{Dashboard, Pane};
use crate::ui::text::{self, Lang};
use crate::ui::theme::Theme;

/// Lines of one entry at width `w`: `name: text`, wrapped, continuation
/// indented. What the program wrote is shown as a terminal shows it (its
/// colours as colours, no raw escape codes, `\r` overwriting), a traceback
/// with its paths relative to the program and Python's own frames folded;
/// an indented line keeps its indent when it wraps.
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
    let paragraphs: Vec<Vec<Cell>> = match &e.event {
        Some(ev) => crate::words::event(m, ev, lang).split('\n').map(|p| p.chars().map(|c| (c, Style::new())).collect()).collect(),
        None if is_program_output(e) => ansi::render(&tidy_traceback(&e.text, lang)),
        None => ansi::render(&e.text),
    };
    let first_w = w.saturating_sub(prefix_w).max(8);
    let rest_w = w.saturating_sub(2).max(8);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for (i, para) in paragraphs.into_iter().enumerate() {
        let para: Vec<Cell> = if i == 0 { tag.chars().map(|c| (c, Style::new())).chain(para).collect() } else { para };
        rows.extend(wrap_cells(&para, if i == 0 { first_w } else { rest_w }, rest_w));
    }
    let lane_style = if e.lane == Lane::CONDUCTOR { th.dim() } else { th.lane(e.lane) };
    // A cell the program styled keeps its style; the others take the entry's.
    let spans = |row: Vec<Cell>| -> Vec<Span<'static>> {
        let mut out: Vec<Span<'static>> = Vec::new();
        let mut run = String::new();
        let mut run_style: Option<Style> = None;
        for (c, st) in row {
            // Without colour (NO_COLOR) the program's colours go too.
            let st = if st == Style::new() || !th.color { style } else { style.patch(st) };
            if run_style != Some(st) && !run.is_empty() {
                out.push(Span::styled(std::mem::take(&mut run), run_style.unwrap_or_default()));
            }
            run_style = Some(st);
            run.push(c);
        }
        if !run.is_empty() {
            out.push(Span::styled(run, run_style.unwrap_or_default()));
        }
        out
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let mut head = if i == 0 { vec![Span::styled(time.clone(), th.dim()), Span::styled(who.clone(), lane_style), Span::raw(": ")] } else { vec![Span::raw("  ")] };
            head.extend(spans(row));
            Line::from(head)
        })
        .collect()
}

/// Rows of one line of text: the first at most `first_w` columns, the
/// others `rest_w` less the line's own indent, which they repeat. Latin
/// text breaks at the last space that fits (the space is not repeated);
/// a word longer than a row, or wide characters, break anywhere.
pub fn wrap_cells(cells: &[Cell], first_w: usize, rest_w: usize) -> Vec<Vec<Cell>> {
    let indent = cells.iter().take_while(|(c, _)| *c == ' ').count().min(rest_w / 2);
    let mut rows = Vec::new();
    let mut pos = 0;
    while pos < cells.len() || rows.is_empty() {
        let first = rows.is_empty();
        let avail = if first { first_w } else { rest_w.saturating_sub(indent).max(4) };
        let mut end = pos;
        let mut used = 0;
        while end < cells.len() && used + text::char_width(cells[end].0) <= avail {
            used += text::char_width(cells[end].0);
            end += 1;
        }
        if end == pos && end < cells.len() {
            end += 1; // one character wider than the row: it goes alone
        }
        let mut next = end;
        if end < cells.len() && cells[end].0 != ' ' {
            // Break at the last place that may break after the indent: a
            // space (which goes), or beside a wide character — but not before
            // punctuation that never starts a line.
            let from = pos + if first { indent } else { 0 };
            let wide = |k: usize| text::char_width(cells[k].0) > 1;
            let may = |k: usize| cells[k].0 == ' ' || ((wide(k) || wide(k - 1)) && !text::NO_LINE_START.contains(cells[k].0));
            if let Some(k) = (from + 1..=end).rev().find(|&k| may(k)) {
                end = k;
                next = if cells[k].0 == ' ' { k + 1 } else { k };
            }
        } else if end < cells.len() {
            next = end + 1; // the space at the break goes
        }
        let mut row: Vec<Cell> = if first { Vec::new() } else { vec![(' ', Style::new()); indent] };
        row.extend_from_slice(&cells[pos..end]);
        rows.push(row);
        pos = next;
    }
    rows
}

/// A traceback as a class reads it: the program's own frames with paths
/// relative to it (its file name), Python's own frames (the standard
/// library, forkscope's `multiprocessing`, `<frozen …>`) folded into one
/// line that counts them. Other text is returned as it is.
pub fn tidy_traceback(text: &str, lang: Lang) -> String {
    if !text.contains("File \"") {
        return text.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut folded = 0usize;
    let mut fold_indent = String::new();
    let mut in_fold: Option<usize> = None; // the indent of the folded File line
    let flush = |out: &mut Vec<String>, folded: &mut usize, indent: &str| {
        if *folded > 0 {
            out.push(match lang {
                Lang::En => format!("{indent}… {folded} {} inside Python", if *folded == 1 { "frame" } else { "frames" }),
                Lang::Zh => format!("{indent}…… Python 内部的 {folded} 层调用"),
            });
            *folded = 0;
        }
    };
    for line in text.split('\n') {
        let indent_n = line.len() - line.trim_start().len();
        if let Some(fi) = in_fold {
            if indent_n > fi && !line.trim_start().starts_with("File \"") {
                continue; // the folded frame's source line and its carets
            }
            in_fold = None;
        }
        match frame_path(line) {
            Some((path, rest)) => {
                let indent = &line[..indent_n];
                if is_python_own(path) {
                    if folded == 0 {
                        fold_indent = indent.to_string();
                    }
                    folded += 1;
                    in_fold = Some(indent_n);
                    continue;
                }
                flush(&mut out, &mut folded, &fold_indent);
                let short = path.rsplit('/').next().unwrap_or(path);
                out.push(format!("{indent}File \"{short}\"{rest}"));
            }
            None => {
                flush(&mut out, &mut folded, &fold_indent);
                out.push(line.to_string());
            }
        }
    }
    flush(&mut out, &mut folded, &fold_indent);
    out.join("\n")
}

/// `  File "PATH", line 4, in work` → (PATH, `, line 4, in work`).
fn frame_path(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let q = rest.find('"')?;
    let after = &rest[q + 1..];
    after.starts_with(", line ").then(|| (&rest[..q], after))
}

/// A frame of Python itself, not of the program: the standard library,
/// site-packages, forkscope's own modules, frozen modules.
fn is_python_own(path: &str) -> bool {
    path.starts_with('<') || path.contains("/lib/python") || path.contains("/site-packages/") || path.contains("/forkscope_rt/")
}

/// What the program itself wrote (its prints and its stderr), as opposed to
/// what forkscope notes about the run.
pub fn is_program_output(e: &LogEntry) -> bool {
    matches!(e.kind, LogKind::Print | LogKind::Stderr)
}

/// The log pane's frame (the Log's or the Console's): `title`, with how far
/// it is scrolled back, drawn; the room inside, or `None` when too small to
/// write in.
pub(super) fn log_pane(mut title: String, d: &Dashboard, area: Rect, buf: &mut Buffer) -> Option<Rect> {
    let scroll = d.view.log_scroll;
    if scroll > 0 {
        title.push_str(&format!(" · ↑{scroll}"));
    }
    let block = pane_block(title, d.has_focus(Pane::Log), &d.theme);
    let inner = block.inner(area);
    block.render(area, buf);
    (inner.height > 0 && inner.width >= 10).then_some(inner)
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
        let title = if d.view.prints_only {
            format!("{} · {} · {}", l.pick("Log", "日志"), l.pick("program output only (o)", "只看程序输出(o)"), m.log.iter().filter(own).count())
        } else {
            format!("{} · {}", l.pick("Log", "日志"), m.log.len())
        };
        let Some(inner) = log_pane(title, d, area, buf) else { return };
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
