//! asciicast v2 recordings (what `asciinema play` and the asciinema web
//! player show), written one frame at a time.
//!
//! The file is a header line — `{"version": 2, "width": W, "height": H, …}` —
//! then one JSON array per line: `[seconds, "o", data]` (terminal output),
//! `[seconds, "m", label]` (a marker: the player can jump between them; the
//! dashboard puts one at each step) and `[seconds, "r", "WxH"]` (a resize).
//! Times never go backwards.
//!
//! A frame's output is the ANSI that turns the previous frame into this one:
//! ratatui's own cell diff (which knows about wide characters), cursor moves
//! only where the next cell is not where the cursor already is, SGR codes only
//! where the style changes. The first frame, and any frame of another size,
//! clears the screen and draws everything.

use std::io::{self, Write};
use std::time::Instant;

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Writes an asciicast v2 stream to `W`.
#[derive(Debug)]
pub struct CastWriter<W: Write> {
    out: W,
    /// The last frame written (what the player's screen shows).
    prev: Option<Buffer>,
    size: (u16, u16),
    started: Instant,
    last_t: f64,
}

/// The SGR parameters that set a colour (`fg`: 30s/90s/38, else 40s/100s/48).
fn color_sgr(c: Color, fg: bool, out: &mut String) {
    use std::fmt::Write as _;
    let base = if fg { 30 } else { 40 };
    let _ = match c {
        Color::Reset => write!(out, ";{}", base + 9),
        Color::Black => write!(out, ";{base}"),
        Color::Red => write!(out, ";{}", base + 1),
        Color::Green => write!(out, ";{}", base + 2),
        Color::Yellow => write!(out, ";{}", base + 3),
        Color::Blue => write!(out, ";{}", base + 4),
        Color::Magenta => write!(out, ";{}", base + 5),
        Color::Cyan => write!(out, ";{}", base + 6),
        Color::Gray => write!(out, ";{}", base + 7),
        Color::DarkGray => write!(out, ";{}", base + 60),
        Color::LightRed => write!(out, ";{}", base + 61),
        Color::LightGreen => write!(out, ";{}", base + 62),
        Color::LightYellow => write!(out, ";{}", base + 63),
        Color::LightBlue => write!(out, ";{}", base + 64),
        Color::LightMagenta => write!(out, ";{}", base + 65),
        Color::LightCyan => write!(out, ";{}", base + 66),
        Color::White => write!(out, ";{}", base + 67),
        Color::Indexed(i) => write!(out, ";{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => write!(out, ";{};2;{r};{g};{b}", base + 8),
    };
}

/// One SGR sequence setting exactly this style (from a reset).
fn sgr(cell: &Cell) -> String {
    let mut s = String::from("\x1b[0");
    for (m, code) in [
        (Modifier::BOLD, 1),
        (Modifier::DIM, 2),
        (Modifier::ITALIC, 3),
        (Modifier::UNDERLINED, 4),
        (Modifier::SLOW_BLINK, 5),
        (Modifier::RAPID_BLINK, 6),
        (Modifier::REVERSED, 7),
        (Modifier::HIDDEN, 8),
        (Modifier::CROSSED_OUT, 9),
    ] {
        if cell.modifier.contains(m) {
            s.push_str(&format!(";{code}"));
        }
    }
    if cell.fg != Color::Reset {
        color_sgr(cell.fg, true, &mut s);
    }
    if cell.bg != Color::Reset {
        color_sgr(cell.bg, false, &mut s);
    }
    s.push('m');
    s
}

/// The ANSI that draws `next` over a screen showing `prev` (`None`: unknown,
/// so clear and draw everything).
pub fn frame_ansi(prev: Option<&Buffer>, next: &Buffer) -> String {
    let area = next.area;
    let blank;
    let (base, mut out) = match prev.filter(|p| p.area == area) {
        Some(p) => (p, String::new()),
        None => {
            blank = Buffer::empty(area);
            // Home, clear, hide the cursor (a dashboard draws none).
            (&blank, String::from("\x1b[0m\x1b[H\x1b[2J\x1b[?25l"))
        }
    };
    let mut cursor: Option<(u16, u16)> = None;
    let mut style: Option<(Color, Color, Modifier)> = None;
    for (x, y, cell) in base.diff(next) {
        if cursor != Some((x, y)) {
            out.push_str(&format!("\x1b[{};{}H", y - area.y + 1, x - area.x + 1));
        }
        let st = (cell.fg, cell.bg, cell.modifier);
        if style != Some(st) {
            out.push_str(&sgr(cell));
            style = Some(st);
        }
        let sym = cell.symbol();
        let sym = if sym.chars().any(char::is_control) { " " } else { sym };
        out.push_str(sym);
        cursor = Some((x + (sym.width().max(1) as u16), y));
    }
    if style.is_some() {
        out.push_str("\x1b[0m");
    }
    out
}

impl<W: Write> CastWriter<W> {
    /// Starts a recording of a `width`×`height` terminal: writes the header.
    /// `timestamp` (Unix seconds) and `title` go into the header if given.
    pub fn new(mut out: W, width: u16, height: u16, title: Option<&str>, timestamp: Option<u64>) -> io::Result<CastWriter<W>> {
        let mut header = serde_json::json!({
            "version": 2,
            "width": width,
            "height": height,
            "env": {"TERM": "xterm-256color"},
        });
        if let Some(t) = timestamp {
            header["timestamp"] = t.into();
        }
        if let Some(t) = title {
            header["title"] = t.into();
        }
        writeln!(out, "{header}")?;
        Ok(CastWriter { out, prev: None, size: (width, height), started: Instant::now(), last_t: 0.0 })
    }

    /// Seconds since the recording started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn event(&mut self, t: f64, code: &str, data: &str) -> io::Result<()> {
        // Never backwards, and rounded so the file stays readable.
        let t = (t.max(self.last_t) * 1e6).round() / 1e6;
        self.last_t = t;
        let line = serde_json::json!([t, code, data]);
        writeln!(self.out, "{line}")
    }

    /// Records `buf` as the screen at `t` seconds.
    pub fn frame_at(&mut self, t: f64, buf: &Buffer) -> io::Result<()> {
        let area: Rect = buf.area;
        if (area.width, area.height) != self.size {
            self.size = (area.width, area.height);
            self.event(t, "r", &format!("{}x{}", area.width, area.height))?;
            self.prev = None;
        }
        let data = frame_ansi(self.prev.as_ref(), buf);
        if !data.is_empty() {
            self.event(t, "o", &data)?;
        }
        self.prev = Some(buf.clone());
        Ok(())
    }

    /// Records `buf` as the screen now.
    pub fn frame(&mut self, buf: &Buffer) -> io::Result<()> {
        self.frame_at(self.elapsed(), buf)
    }

    /// A marker at `t` seconds (the player lists them; e.g. "step 12").
    pub fn marker_at(&mut self, t: f64, label: &str) -> io::Result<()> {
        self.event(t, "m", label)
    }

    /// A marker now.
    pub fn marker(&mut self, label: &str) -> io::Result<()> {
        self.marker_at(self.elapsed(), label)
    }

    /// Flushes and gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::Style;

    use super::*;

    fn screen(lines: &[&str]) -> Buffer {
        Buffer::with_lines(lines.iter().copied())
    }

    #[test]
    fn first_frame_clears_then_later_frames_send_only_changes() {
        let a = screen(&["ab  ", "    "]);
        let mut b = a.clone();
        b.set_string(1, 1, "Z", Style::new().fg(Color::Red));
        let first = frame_ansi(None, &a);
        assert!(first.starts_with("\x1b[0m\x1b[H\x1b[2J"), "{first:?}");
        assert!(first.contains("ab"));
        let second = frame_ansi(Some(&a), &b);
        assert_eq!(second, "\x1b[2;2H\x1b[0;31mZ\x1b[0m");
        assert_eq!(frame_ansi(Some(&b), &b), "");
    }

    #[test]
    fn a_wide_character_moves_the_cursor_two_columns() {
        let a = screen(&["      "]);
        let mut b = a.clone();
        b.set_string(0, 0, "买x", Style::default());
        // 买 at column 1 covers 1-2; x follows at column 3 without a move.
        assert_eq!(frame_ansi(Some(&a), &b), "\x1b[1;1H\x1b[0m买x\x1b[0m");
    }

    #[test]
    fn header_events_and_resize() {
        let mut w = CastWriter::new(Vec::new(), 4, 2, Some("t"), None).unwrap();
        w.frame_at(0.5, &screen(&["ab  ", "    "])).unwrap();
        w.marker_at(0.4, "step 1").unwrap();
        w.frame_at(1.0, &screen(&["abc", "   ", "   "])).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 4);
        assert_eq!(lines[1][1], "o");
        assert_eq!(lines[2], serde_json::json!([0.5, "m", "step 1"]), "time never goes back");
        assert_eq!(lines[3], serde_json::json!([1.0, "r", "3x3"]));
        assert!(lines[4][2].as_str().unwrap().contains("\x1b[2J"), "a resize redraws everything");
    }
}
