//! A frame as a standalone HTML page: one `<pre>` with a small `<style>`, each
//! run of same-style cells a `<span>` with inline colours. A wide character is
//! written once (the browser's monospace CJK font gives it two columns; the
//! font stack asks for fonts where that holds). Copy the `<pre>` into notes.

use std::fmt::Write;

use ratatui::buffer::Buffer;

use super::Theme;
use super::grid;
use super::palette::{self, Paint};
use super::svg::{FONT_FAMILY, escape};

fn span_style(p: &Paint, ink: palette::Rgb) -> String {
    let mut s = String::new();
    if p.fg != ink {
        let _ = write!(s, "color:{};", p.fg.hex());
    }
    if let Some(bg) = p.bg {
        let _ = write!(s, "background:{};", bg.hex());
    }
    if p.bold {
        s.push_str("font-weight:bold;");
    }
    if p.italic {
        s.push_str("font-style:italic;");
    }
    match (p.underline, p.strike) {
        (true, true) => s.push_str("text-decoration:underline line-through;"),
        (true, false) => s.push_str("text-decoration:underline;"),
        (false, true) => s.push_str("text-decoration:line-through;"),
        (false, false) => {}
    }
    if p.hidden {
        s.push_str("visibility:hidden;");
    }
    s
}

/// `buf` as an HTML page.
pub fn html(buf: &Buffer, theme: Theme) -> String {
    let (page, ink) = palette::defaults(theme);
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>forkscope</title>\n<style>\n");
    let _ = writeln!(out, "body {{ background: {}; margin: 1em; }}", page.hex());
    let _ = writeln!(
        out,
        "pre.forkscope {{ font-family: {FONT_FAMILY}; font-size: 14px; line-height: 1.2; color: {}; background: {}; padding: 0.75em; display: inline-block; margin: 0; }}",
        ink.hex(),
        page.hex()
    );
    out.push_str("</style>\n</head>\n<body>\n<pre class=\"forkscope\">");
    for y in 0..buf.area.height {
        let glyphs = grid::row(buf, y);
        let painted: Vec<(&str, String)> = glyphs.iter().map(|g| (g.symbol, span_style(&palette::paint(g.cell, theme), ink))).collect();
        // Trailing plain spaces carry nothing.
        let end = painted.iter().rposition(|(s, style)| *s != " " || !style.is_empty()).map_or(0, |i| i + 1);
        let mut i = 0;
        while i < end {
            let style = &painted[i].1;
            let mut text = String::new();
            while i < end && painted[i].1 == *style {
                text.push_str(painted[i].0);
                i += 1;
            }
            if style.is_empty() {
                escape(&text, &mut out);
            } else {
                let _ = write!(out, "<span style=\"{style}\">");
                escape(&text, &mut out);
                out.push_str("</span>");
            }
        }
        out.push('\n');
    }
    out.push_str("</pre>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    use super::*;

    #[test]
    fn styled_runs_are_spans_and_text_is_escaped() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 16, 2));
        buf.set_string(0, 0, "a<b>", Style::default());
        buf.set_string(5, 0, "买票", Style::new().fg(Color::Red));
        let h = html(&buf, Theme::Light);
        assert!(h.contains("<pre class=\"forkscope\">a&lt;b&gt; <span style=\"color:#b3261e;\">买票</span>\n\n</pre>"), "{h}");
    }
}
