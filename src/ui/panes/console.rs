//! The Console view of the log pane (`c`): what the processes wrote to
//! their standard output and error, written one after the other as a
//! terminal receives them — a flushed partial line continued by whatever
//! comes next (from any process: `*#*#*#` when two processes print a
//! character each in turn), `\r` returning to the line's start, SGR colours
//! as colours, other escape sequences left out — and wrapped at the pane's
//! width as a terminal wraps, without word breaks. Only the writes that
//! fill the pane (and its scroll) are rendered.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{ConsoleWrite, Model};

use crate::ui::ansi::{self, Cell};
use crate::ui::state::Dashboard;
use crate::ui::text;

/// The rows a terminal `w` columns wide shows for `writes` (each line cut
/// every `w` columns, a wide character that does not fit going to the next
/// row), oldest first. A last line that is empty (the cursor after a final
/// newline) is not a row.
pub fn rows(writes: &[ConsoleWrite], w: usize) -> Vec<Vec<Cell>> {
    let mut stream = String::new();
    for wr in writes {
        stream.push_str(&wr.text);
        if wr.newline {
            stream.push('\n');
        }
    }
    let mut lines = ansi::render(&stream);
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let w = w.max(2);
    let mut out = Vec::new();
    for line in lines {
        let mut row: Vec<Cell> = Vec::new();
        let mut used = 0;
        for cell in line {
            let cw = text::char_width(cell.0);
            if used + cw > w {
                out.push(std::mem::take(&mut row));
                used = 0;
            }
            used += cw;
            row.push(cell);
        }
        out.push(row);
    }
    out
}

/// The writes to render for `need` rows: the newest ones, going back until
/// they hold `need` whole lines, starting where a line starts.
pub fn tail(m: &Model, need: usize) -> &[ConsoleWrite] {
    let c = &m.console;
    let mut lines = 0;
    let mut start = c.len();
    while start > 0 {
        if c[start - 1].newline {
            if lines > need {
                break;
            }
            lines += 1;
        }
        start -= 1;
    }
    &c[start..]
}

#[derive(Debug)]
pub struct ConsoleWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> ConsoleWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        ConsoleWidget { dash }
    }
}

impl Widget for ConsoleWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (m, l, th) = (&d.model, d.lang, &d.theme);
        let scroll = d.view.log_scroll;
        // A figure names no keys.
        let title = if d.view.figure { l.pick("Console", "控制台").to_string() } else { format!("{} · {}", l.pick("Console", "控制台"), l.pick("c: log", "c:日志")) };
        let Some(inner) = super::log::log_pane(title, d, area, buf) else { return };
        let (w, h) = (inner.width as usize, inner.height as usize);
        if m.console.is_empty() {
            let msg = l.pick("Nothing written yet.", "还没有输出。");
            Line::styled(msg, th.dim()).render(Rect { height: 1, ..inner }, buf);
            return;
        }
        // A long line takes several rows: whole lines enough for the rows.
        let all = rows(tail(m, h + scroll), w);
        let end = all.len().saturating_sub(scroll.min(all.len().saturating_sub(h)));
        let start = end.saturating_sub(h);
        for (i, row) in all[start..end].iter().enumerate() {
            line(row, th.color).render(Rect { y: inner.y + i as u16, height: 1, ..inner }, buf);
        }
    }
}

/// A row as spans: the program's styles (none without colour, `NO_COLOR`).
fn line(row: &[Cell], color: bool) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_style = Style::new();
    for &(c, st) in row {
        let st = if color { st } else { Style::new() };
        if st != run_style && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), run_style));
        }
        run_style = st;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, run_style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Lane;

    fn wr(lane: u32, text: &str, newline: bool) -> ConsoleWrite {
        ConsoleWrite { lane: Lane(lane), stderr: false, text: text.into(), newline }
    }

    fn plain(rows: &[Vec<Cell>]) -> Vec<String> {
        rows.iter().map(|r| ansi::plain(r)).collect()
    }

    #[test]
    fn partial_lines_of_two_processes_join_as_on_a_terminal() {
        let mut ws = Vec::new();
        for _ in 0..3 {
            ws.push(wr(1, "*", false));
            ws.push(wr(2, "#", false));
        }
        ws.push(wr(1, "", true));
        ws.push(wr(2, "", true));
        ws.push(wr(0, "done", true));
        assert_eq!(plain(&rows(&ws, 40)), ["*#*#*#", "", "done"]);
    }

    #[test]
    fn a_terminal_wraps_at_its_width_and_carriage_return_overwrites() {
        let ws = [wr(1, "0123456789abc", true), wr(1, "10%", false), wr(1, "\r55%", false), wr(1, "\r\x1b[32m100%\x1b[0m", true)];
        let r = rows(&ws, 10);
        assert_eq!(plain(&r), ["0123456789", "abc", "100%"]);
        assert_eq!(r[2][0].1.fg, Some(ratatui::style::Color::Indexed(2)));
    }

    #[test]
    fn the_tail_starts_where_a_line_starts() {
        let mut m = Model::new();
        m.console = vec![wr(1, "a", true), wr(1, "b", false), wr(2, "c", true), wr(1, "d", true)];
        assert_eq!(plain(&rows(tail(&m, 1), 10)), ["bc", "d"]);
        assert_eq!(tail(&m, 5).len(), 4);
    }
}
