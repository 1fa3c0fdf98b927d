//! A frame as SVG whose text stays text.
//!
//! Geometry: each cell is [`CELL_W`]×[`CELL_H`] px, inside a [`PAD`] px margin.
//! Each row is one `<text>`; each run of same-style glyphs one `<tspan>` with an
//! `x` *list*: every glyph sits at its own cell, whatever font the viewer
//! substitutes, so a wide (CJK) glyph takes exactly two cells and the columns
//! after it line up. A wide glyph is inset by [`WIDE_INSET`] to centre a 1 em
//! ideograph in its two cells.
//!
//! Backgrounds that are not the page colour are rectangles, merged along a row.
//! Block elements (U+2580–259F: `█ ▀ ▌ ░ ▒ ▓ ▁`…) are drawn as rectangles, not
//! glyphs, so bars and timelines join without seams; they are left out of the
//! selectable text. Box drawing (`─ │ ┌`) stays text: DejaVu Sans Mono's box
//! glyphs are taller than a row, so they join.
//!
//! The font stack names the shipped fonts first (`assets/fonts/`), then common
//! CJK monospace fonts. Output depends only on the buffer and the theme.

use std::fmt::Write;

use ratatui::buffer::Buffer;

use super::Paper;
use super::grid::{self, Glyph};
use super::palette::{self, Paint, Rgb};

/// Width of a cell in px (at scale 1).
pub const CELL_W: u32 = 10;
/// Height of a cell (one row) in px.
pub const CELL_H: u32 = 20;
/// Margin around the grid, in px.
pub const PAD: u32 = 12;
/// Font size in px: DejaVu Sans Mono's advance (0.602 em) is then about one
/// cell and its line height (1.164 em) a little under a row, so box-drawing
/// glyphs (1.188 em tall) join from row to row.
pub const FONT_SIZE: f32 = 17.0;
/// Baseline below a row's top: the font's ascent (0.928 em) plus half the
/// spare room of the row.
pub const BASELINE: f32 = 15.9;
/// Left inset of a wide glyph: (two cells − 1 em) / 2.
pub const WIDE_INSET: f32 = 1.5;
/// The fonts asked for, first the ones shipped in `assets/fonts/`.
pub const FONT_FAMILY: &str = "'DejaVu Sans Mono', 'WenQuanYi Micro Hei Mono', 'Noto Sans Mono CJK SC', 'Sarasa Mono SC', monospace";

/// Size of the picture of `buf` in px at scale 1: (width, height).
pub fn size(buf: &Buffer) -> (u32, u32) {
    (buf.area.width as u32 * CELL_W + 2 * PAD, buf.area.height as u32 * CELL_H + 2 * PAD)
}

/// `buf` as a standalone SVG document.
pub fn svg(buf: &Buffer, theme: Paper) -> String {
    render(buf, theme, &|_| true)
}

/// `text` escaped for XML character data and attribute values. Characters
/// XML 1.0 forbids (most control characters) become U+FFFD.
pub(crate) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// A number as SVG wants it: no trailing zeros.
fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A filled rectangle in px.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rect {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    fill: Rgb,
}

/// Appends `r`, merging it with the previous one when they continue each other.
fn push_rect(rects: &mut Vec<Rect>, r: Rect) {
    if let Some(last) = rects.last_mut()
        && last.fill == r.fill
        && last.y0 == r.y0
        && last.y1 == r.y1
        && last.x1 == r.x0
    {
        last.x1 = r.x1;
        return;
    }
    rects.push(r);
}

fn write_rects(out: &mut String, rects: &[Rect]) {
    for r in rects {
        let _ = writeln!(out, r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#, num(r.x0), num(r.y0), num(r.x1 - r.x0), num(r.y1 - r.y0), r.fill.hex());
    }
}

/// Parts of a cell, in eighths: (x0, y0, x1, y1).
type Parts = &'static [(u8, u8, u8, u8)];

/// The parts of a cell a block element fills: (x0, y0, x1, y1) in eighths of
/// the cell, and the ink's strength (1 = solid; shades mix with the background).
fn block_element(symbol: &str) -> Option<(Parts, f32)> {
    let mut it = symbol.chars();
    let (Some(c), None) = (it.next(), it.next()) else { return None };
    const UL: (u8, u8, u8, u8) = (0, 0, 4, 4);
    const UR: (u8, u8, u8, u8) = (4, 0, 8, 4);
    const LL: (u8, u8, u8, u8) = (0, 4, 4, 8);
    const LR: (u8, u8, u8, u8) = (4, 4, 8, 8);
    const FULL: Parts = &[(0, 0, 8, 8)];
    Some(match c {
        '▀' => (&[(0, 0, 8, 4)], 1.0),
        '▁' => (&[(0, 7, 8, 8)], 1.0),
        '▂' => (&[(0, 6, 8, 8)], 1.0),
        '▃' => (&[(0, 5, 8, 8)], 1.0),
        '▄' => (&[(0, 4, 8, 8)], 1.0),
        '▅' => (&[(0, 3, 8, 8)], 1.0),
        '▆' => (&[(0, 2, 8, 8)], 1.0),
        '▇' => (&[(0, 1, 8, 8)], 1.0),
        '█' => (FULL, 1.0),
        '▉' => (&[(0, 0, 7, 8)], 1.0),
        '▊' => (&[(0, 0, 6, 8)], 1.0),
        '▋' => (&[(0, 0, 5, 8)], 1.0),
        '▌' => (&[(0, 0, 4, 8)], 1.0),
        '▍' => (&[(0, 0, 3, 8)], 1.0),
        '▎' => (&[(0, 0, 2, 8)], 1.0),
        '▏' => (&[(0, 0, 1, 8)], 1.0),
        '▐' => (&[(4, 0, 8, 8)], 1.0),
        '░' => (FULL, 0.25),
        '▒' => (FULL, 0.5),
        '▓' => (FULL, 0.75),
        '▔' => (&[(0, 0, 8, 1)], 1.0),
        '▕' => (&[(7, 0, 8, 8)], 1.0),
        '▖' => (&[LL], 1.0),
        '▗' => (&[LR], 1.0),
        '▘' => (&[UL], 1.0),
        '▙' => (&[UL, LL, LR], 1.0),
        '▚' => (&[UL, LR], 1.0),
        '▛' => (&[UL, UR, LL], 1.0),
        '▜' => (&[UL, UR, LR], 1.0),
        '▝' => (&[UR], 1.0),
        '▞' => (&[UR, LL], 1.0),
        '▟' => (&[UR, LL, LR], 1.0),
        _ => return None,
    })
}

/// What makes two glyphs belong to one `<tspan>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunKey {
    fg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
    strike: bool,
}

impl RunKey {
    fn of(p: &Paint) -> RunKey {
        RunKey { fg: p.fg, bold: p.bold, italic: p.italic, underline: p.underline, strike: p.strike }
    }
}

#[derive(Debug)]
struct Run {
    key: RunKey,
    xs: Vec<f32>,
    text: String,
}

struct RowWriter<'o> {
    out: &'o mut String,
    default_fg: Rgb,
    run: Option<Run>,
    /// Spaces after the current run: kept only if the run goes on after them.
    spaces: Vec<f32>,
    any: bool,
}

impl RowWriter<'_> {
    fn flush(&mut self) {
        self.spaces.clear();
        let Some(run) = self.run.take() else { return };
        let xs: Vec<String> = run.xs.iter().map(|x| num(*x)).collect();
        let _ = write!(self.out, r#"<tspan x="{}""#, xs.join(" "));
        let k = run.key;
        if k.fg != self.default_fg {
            let _ = write!(self.out, r#" fill="{}""#, k.fg.hex());
        }
        if k.bold {
            self.out.push_str(r#" font-weight="bold""#);
        }
        if k.italic {
            self.out.push_str(r#" font-style="italic""#);
        }
        match (k.underline, k.strike) {
            (true, true) => self.out.push_str(r#" text-decoration="underline line-through""#),
            (true, false) => self.out.push_str(r#" text-decoration="underline""#),
            (false, true) => self.out.push_str(r#" text-decoration="line-through""#),
            (false, false) => {}
        }
        self.out.push('>');
        escape(&run.text, self.out);
        self.out.push_str("</tspan>");
        self.any = true;
    }

    /// A plain space: it joins whatever run surrounds it.
    fn space(&mut self, x: f32) {
        if self.run.is_some() {
            self.spaces.push(x);
        }
    }

    fn glyph(&mut self, key: RunKey, x: f32, symbol: &str) {
        let single = symbol.chars().count() == 1;
        if self.run.as_ref().is_some_and(|r| r.key != key) || !single {
            self.flush();
        }
        let run = self.run.get_or_insert_with(|| Run { key, xs: vec![], text: String::new() });
        for sx in self.spaces.drain(..) {
            run.xs.push(sx);
            run.text.push(' ');
        }
        // A multi-character symbol (a letter with combining marks) is one
        // run with one position: its characters must not be spread out.
        run.xs.push(x);
        run.text.push_str(symbol);
        if !single {
            self.flush();
        }
    }
}

/// The SVG of `buf`; `has_glyph` says which characters the renderer can draw
/// (the PNG path draws the others as `□`).
pub(crate) fn render(buf: &Buffer, theme: Paper, has_glyph: &dyn Fn(char) -> bool) -> String {
    let (w, h) = size(buf);
    let (page, ink) = palette::defaults(theme);
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#);
    let _ = writeln!(out, "<!-- forkscope frame, {}x{} cells, {} theme -->", buf.area.width, buf.area.height, theme.name());
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, page.hex());

    let rows: Vec<Vec<(Glyph<'_>, Paint)>> = (0..buf.area.height).map(|y| grid::row(buf, y).into_iter().map(|g| (g, palette::paint(g.cell, theme))).collect()).collect();

    // Backgrounds: whole cells, integer px, so no seams between rows.
    let mut backs = Vec::new();
    let mut blocks = Vec::new();
    for (y, row) in rows.iter().enumerate() {
        let top = (PAD + y as u32 * CELL_H) as f32;
        for (g, p) in row {
            let left = (PAD + g.x as u32 * CELL_W) as f32;
            if let Some(bg) = p.bg {
                push_rect(&mut backs, Rect { x0: left, y0: top, x1: left + (g.width as u32 * CELL_W) as f32, y1: top + CELL_H as f32, fill: bg });
            }
            if let (Some((parts, strength)), false) = (block_element(g.symbol), p.hidden) {
                let fill = if strength < 1.0 { p.bg.unwrap_or(page).mix(p.fg, strength as f64) } else { p.fg };
                let (cw, ch) = (CELL_W as f32 / 8.0, CELL_H as f32 / 8.0);
                for &(x0, y0, x1, y1) in parts {
                    push_rect(&mut blocks, Rect { x0: left + x0 as f32 * cw, y0: top + y0 as f32 * ch, x1: left + x1 as f32 * cw, y1: top + y1 as f32 * ch, fill });
                }
            }
        }
    }
    if !backs.is_empty() {
        out.push_str("<g shape-rendering=\"crispEdges\">\n");
        write_rects(&mut out, &backs);
        out.push_str("</g>\n");
    }
    if !blocks.is_empty() {
        out.push_str("<g>\n");
        write_rects(&mut out, &blocks);
        out.push_str("</g>\n");
    }

    let _ = writeln!(out, r#"<g font-family="{}" font-size="{}" fill="{}">"#, FONT_FAMILY.replace('\'', "&apos;"), num(FONT_SIZE), ink.hex());
    for (y, row) in rows.iter().enumerate() {
        let mut line = String::new();
        let mut rw = RowWriter { out: &mut line, default_fg: ink, run: None, spaces: vec![], any: false };
        for (g, p) in row {
            let x = (PAD + g.x as u32 * CELL_W) as f32 + if g.width == 2 { WIDE_INSET } else { 0.0 };
            let plain_space = g.symbol == " " && !p.underline && !p.strike;
            if p.hidden || plain_space || block_element(g.symbol).is_some() {
                rw.space(x);
                continue;
            }
            let symbol = if g.symbol.chars().all(has_glyph) { g.symbol } else { "□" };
            rw.glyph(RunKey::of(p), x, symbol);
        }
        rw.flush();
        if rw.any {
            let top = (PAD + y as u32 * CELL_H) as f32;
            // On each <text>: Chrome does not inherit xml:space from a <g>,
            // and collapsed spaces would shift every position after them.
            let _ = writeln!(out, r#"<text y="{}" xml:space="preserve">{line}</text>"#, num(top + BASELINE));
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect as R;
    use ratatui::style::{Color, Modifier, Style};

    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(27.9), "27.9");
        assert_eq!(num(1.25), "1.25");
        assert_eq!(num(-0.0), "0");
    }

    #[test]
    fn runs_split_on_style_and_join_over_spaces() {
        let mut buf = Buffer::empty(R::new(0, 0, 20, 1));
        buf.set_string(0, 0, "ab cd", Style::default());
        buf.set_string(6, 0, "EF", Style::new().fg(Color::Red).add_modifier(Modifier::BOLD));
        let s = svg(&buf, Paper::Light);
        assert!(s.contains(r#"<tspan x="12 22 32 42 52">ab cd</tspan>"#), "{s}");
        assert!(s.contains(r##"<tspan x="72 82" fill="#b3261e" font-weight="bold">EF</tspan>"##), "{s}");
        // Browsers collapse spaces unless each <text> says not to, and a
        // collapsed space would shift every x after it.
        assert_eq!(s.matches("<text ").count(), s.matches(r#"<text y="27.9" xml:space="preserve">"#).count());
    }

    #[test]
    fn wide_glyphs_take_two_cells() {
        let mut buf = Buffer::empty(R::new(0, 0, 10, 1));
        buf.set_string(0, 0, "买票x", Style::default());
        let s = svg(&buf, Paper::Dark);
        assert!(s.contains(r#"<tspan x="13.5 33.5 52">买票x</tspan>"#), "{s}");
    }

    #[test]
    fn blocks_are_rectangles_and_backgrounds_merge() {
        let mut buf = Buffer::empty(R::new(0, 0, 6, 1));
        buf.set_string(0, 0, "███", Style::new().fg(Color::Green).bg(Color::Blue));
        let s = svg(&buf, Paper::Light);
        // One background rect and one bar, both three cells wide; no text.
        assert_eq!(s.matches(r#"width="30" height="20""#).count(), 2, "{s}");
        assert!(!s.contains("<text"), "{s}");
    }

    #[test]
    fn markup_in_text_is_escaped() {
        let mut buf = Buffer::empty(R::new(0, 0, 12, 1));
        buf.set_string(0, 0, "<a & 'b'>", Style::default());
        let s = svg(&buf, Paper::Light);
        assert!(s.contains("&lt;a &amp; &apos;b&apos;&gt;"), "{s}");
    }
}
