//! A frame as a standalone HTML page: one `<pre>` with a small `<style>`, each
//! run of same-style cells a `<span>` with inline colours. A wide character is
//! written once, in a `<span class="w">` exactly two columns (`2ch`) wide:
//! CJK fonts draw ideographs 1 em wide, not the two columns a terminal gives
//! them, and without the box every column after one would shift. Copy the
//! `<pre>` (with the style) into notes.

use std::fmt::Write;

use ratatui::buffer::Buffer;

use super::Paper;
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
pub fn html(buf: &Buffer, theme: Paper) -> String {
    let (page, ink) = palette::defaults(theme);
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>forkscope</title>\n<style>\n");
    let _ = writeln!(out, "body {{ background: {}; margin: 1em; }}", page.hex());
    // Line height 1.15: under the height of DejaVu Sans Mono's box-drawing
    // glyphs (1.188 em), so borders join from line to line.
    let _ = writeln!(
        out,
        "pre.forkscope {{ font-family: {FONT_FAMILY}; font-size: 14px; line-height: 1.15; color: {}; background: {}; padding: 0.75em; display: inline-block; margin: 0; }}",
        ink.hex(),
        page.hex()
    );
    out.push_str("pre.forkscope .w { display: inline-block; width: 2ch; text-align: center; }\n");
    out.push_str("</style>\n</head>\n<body>\n<pre class=\"forkscope\">");
    for y in 0..buf.area.height {
        let glyphs = grid::row(buf, y);
        let painted: Vec<(&str, u16, String)> = glyphs.iter().map(|g| (g.symbol, g.width, span_style(&palette::paint(g.cell, theme), ink))).collect();
        // Trailing plain spaces carry nothing.
        let end = painted.iter().rposition(|(s, _, style)| *s != " " || !style.is_empty()).map_or(0, |i| i + 1);
        let mut i = 0;
        while i < end {
            let style = &painted[i].2;
            let mut text = String::new();
            while i < end && painted[i].2 == *style {
                let (symbol, width, _) = painted[i];
                if width == 2 {
                    text.push_str("<span class=\"w\">");
                    escape(symbol, &mut text);
                    text.push_str("</span>");
                } else {
                    escape(symbol, &mut text);
                }
                i += 1;
            }
            if style.is_empty() {
                out.push_str(&text);
            } else {
                let _ = write!(out, "<span style=\"{style}\">{text}</span>");
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
        let h = html(&buf, Paper::Light);
        assert!(h.contains("<pre class=\"forkscope\">a&lt;b&gt; <span style=\"color:#b3261e;\"><span class=\"w\">买</span><span class=\"w\">票</span></span>\n\n</pre>"), "{h}");
    }
}
