//! Turns a cell's ratatui colours and modifiers into the RGB a picture uses,
//! per [`Paper`].
//!
//! The 16 named colours come from a palette per theme: the light one is for
//! paper (dark, saturated text; pale tints for coloured backgrounds), the dark
//! one looks like a terminal. Indexed colours 16–255 follow xterm's 6×6×6 cube
//! and grey ramp; RGB colours are taken as they are. Whatever the source, text
//! is then pushed toward black (light) or white (dark) until it reaches a WCAG
//! contrast ratio of 4.5 with its own background, so nothing prints too faint.
//! `DIM` is applied after that (it is meant to be fainter), `REVERSED` before.

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};

use super::Paper;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = c as f64 / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// WCAG contrast ratio (1 to 21).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `self` moved a fraction `t` (0..=1) toward `to`.
    pub fn mix(self, to: Rgb, t: f64) -> Rgb {
        let m = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round().clamp(0.0, 255.0) as u8;
        Rgb(m(self.0, to.0), m(self.1, to.1), m(self.2, to.2))
    }
}

/// Contrast text must reach against its background.
pub const MIN_CONTRAST: f64 = 4.5;

struct Palette {
    fg: Rgb,
    bg: Rgb,
    /// Black, Red, Green, Yellow, Blue, Magenta, Cyan, Gray, DarkGray, LightRed,
    /// LightGreen, LightYellow, LightBlue, LightMagenta, LightCyan, White, as text.
    named: [Rgb; 16],
    /// The same sixteen as a background.
    named_bg: [Rgb; 16],
}

const DARK: Palette = Palette {
    fg: Rgb(0xd4, 0xd4, 0xd4),
    bg: Rgb(0x1e, 0x1e, 0x1e),
    named: [
        Rgb(0x3b, 0x3b, 0x3b),
        Rgb(0xf1, 0x4c, 0x4c),
        Rgb(0x23, 0xd1, 0x8b),
        Rgb(0xe5, 0xc0, 0x7b),
        Rgb(0x3b, 0x8e, 0xea),
        Rgb(0xd6, 0x70, 0xd6),
        Rgb(0x29, 0xb8, 0xdb),
        Rgb(0xb4, 0xb4, 0xb4),
        Rgb(0x80, 0x80, 0x80),
        Rgb(0xff, 0x7b, 0x72),
        Rgb(0x56, 0xd3, 0x64),
        Rgb(0xff, 0xd6, 0x8a),
        Rgb(0x79, 0xc0, 0xff),
        Rgb(0xe4, 0x9b, 0xf0),
        Rgb(0x7f, 0xd6, 0xe0),
        Rgb(0xff, 0xff, 0xff),
    ],
    named_bg: [
        Rgb(0x00, 0x00, 0x00),
        Rgb(0x8b, 0x1e, 0x24),
        Rgb(0x1a, 0x6b, 0x3a),
        Rgb(0x7a, 0x5c, 0x00),
        Rgb(0x1f, 0x4e, 0x8c),
        Rgb(0x6e, 0x2d, 0x7a),
        Rgb(0x13, 0x62, 0x72),
        Rgb(0x5a, 0x5a, 0x5a),
        Rgb(0x3a, 0x3a, 0x3a),
        Rgb(0xa8, 0x32, 0x32),
        Rgb(0x2b, 0x80, 0x3e),
        Rgb(0x8f, 0x73, 0x10),
        Rgb(0x2f, 0x6f, 0xb8),
        Rgb(0x8e, 0x4a, 0x9a),
        Rgb(0x2a, 0x84, 0x94),
        Rgb(0xd0, 0xd0, 0xd0),
    ],
};

const LIGHT: Palette = Palette {
    fg: Rgb(0x1f, 0x23, 0x28),
    bg: Rgb(0xff, 0xff, 0xff),
    named: [
        Rgb(0x1f, 0x23, 0x28),
        Rgb(0xb3, 0x26, 0x1e),
        Rgb(0x1a, 0x7f, 0x37),
        Rgb(0x8a, 0x61, 0x00),
        Rgb(0x05, 0x50, 0xae),
        Rgb(0x82, 0x50, 0xdf),
        Rgb(0x0e, 0x70, 0x8a),
        Rgb(0x57, 0x60, 0x6a),
        Rgb(0x6e, 0x77, 0x81),
        Rgb(0xcf, 0x22, 0x2e),
        Rgb(0x1f, 0x88, 0x3d),
        Rgb(0x9a, 0x67, 0x00),
        Rgb(0x09, 0x69, 0xda),
        Rgb(0xa3, 0x3e, 0xc8),
        Rgb(0x1b, 0x7c, 0x83),
        // "White" text on paper: the strongest ink there is.
        Rgb(0x00, 0x00, 0x00),
    ],
    named_bg: [
        Rgb(0xd0, 0xd7, 0xde),
        Rgb(0xff, 0xd8, 0xd3),
        Rgb(0xd1, 0xf0, 0xd9),
        Rgb(0xff, 0xf1, 0xb8),
        Rgb(0xd6, 0xe8, 0xff),
        Rgb(0xec, 0xdd, 0xff),
        Rgb(0xcf, 0xf1, 0xf6),
        Rgb(0xea, 0xee, 0xf2),
        Rgb(0xd8, 0xdd, 0xe3),
        Rgb(0xff, 0xc1, 0xba),
        Rgb(0xaf, 0xe9, 0xbd),
        Rgb(0xff, 0xe5, 0x8f),
        Rgb(0xb6, 0xd8, 0xff),
        Rgb(0xe2, 0xc5, 0xff),
        Rgb(0xa8, 0xe6, 0xef),
        Rgb(0xf6, 0xf8, 0xfa),
    ],
};

fn palette(theme: Paper) -> &'static Palette {
    match theme {
        Paper::Light => &LIGHT,
        Paper::Dark => &DARK,
    }
}

/// Lane colours (the dashboard's, a figure's and a sequence diagram's), distinct on dark and light backgrounds, and from the
/// state colours (no red: red is blocked); lane N takes N mod len:
/// five of the terminal's named colours, then seven of xterm's 256
/// (orange, steel blue, lime, fuchsia, tan, two pinks), chosen far apart
/// from each other and from the state colours, as printed on either paper
/// (a named colour's light shade prints like its dark one). In grey print
/// each lane's mark (`ui::theme::LANE_MARKS`) tells them apart.
pub const LANE_COLORS: [Color; 12] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightBlue,
    Color::Indexed(202),
    Color::Indexed(68),
    Color::Indexed(70),
    Color::Indexed(201),
    Color::Indexed(137),
    Color::Indexed(198),
    Color::Indexed(213),
];

/// Lane `lane`'s colour as text on `theme`'s paper (as a figure paints it).
pub fn lane_ink(lane: crate::vocab::Lane, theme: Paper) -> Rgb {
    let (bg, fg) = defaults(theme);
    readable(resolve_color(LANE_COLORS[lane.index() % LANE_COLORS.len()], theme, false).unwrap_or(fg), bg)
}

/// The theme's page colour and default text colour.
pub fn defaults(theme: Paper) -> (Rgb, Rgb) {
    let p = palette(theme);
    (p.bg, p.fg)
}

fn named_index(c: Color) -> Option<usize> {
    Some(match c {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        _ => return None,
    })
}

/// xterm's colours 16–255.
fn xterm(i: u8) -> Rgb {
    if i >= 232 {
        let v = 8 + 10 * (i - 232);
        return Rgb(v, v, v);
    }
    let i = i - 16;
    let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
    Rgb(level(i / 36), level((i / 6) % 6), level(i % 6))
}

/// `c` as text (`bg == false`) or as a background; `None` for `Reset`.
fn resolve_color(c: Color, theme: Paper, bg: bool) -> Option<Rgb> {
    let p = palette(theme);
    let table = if bg { &p.named_bg } else { &p.named };
    match c {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some(Rgb(r, g, b)),
        Color::Indexed(i) if i < 16 => Some(table[i as usize]),
        Color::Indexed(i) => Some(xterm(i)),
        named => named_index(named).map(|i| table[i]),
    }
}

/// How one cell is painted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Paint {
    pub fg: Rgb,
    /// `None`: the page colour (nothing to draw).
    pub bg: Option<Rgb>,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    /// `HIDDEN`: the cell's text is not drawn.
    pub hidden: bool,
}

/// Pushes `fg` away from `bg` until the pair reaches [`MIN_CONTRAST`].
pub fn readable(fg: Rgb, bg: Rgb) -> Rgb {
    if fg.contrast(bg) >= MIN_CONTRAST {
        return fg;
    }
    let toward = if bg.luminance() > 0.18 { Rgb(0, 0, 0) } else { Rgb(255, 255, 255) };
    for step in 1..=20 {
        let c = fg.mix(toward, step as f64 / 20.0);
        if c.contrast(bg) >= MIN_CONTRAST {
            return c;
        }
    }
    toward
}

/// The paint of `cell` under `theme`.
pub fn paint(cell: &Cell, theme: Paper) -> Paint {
    let p = palette(theme);
    let m = cell.modifier;
    let mut fg = resolve_color(cell.fg, theme, false).unwrap_or(p.fg);
    let mut bg = resolve_color(cell.bg, theme, true);
    if m.contains(Modifier::REVERSED) {
        // The text colour becomes the background at full strength, and the
        // text takes the background's colour (the page, if there was none).
        let new_bg = resolve_color(cell.fg, theme, false).unwrap_or(p.fg);
        fg = resolve_color(cell.bg, theme, false).unwrap_or(p.bg);
        bg = Some(new_bg);
    }
    let under = bg.unwrap_or(p.bg);
    fg = readable(fg, under);
    if m.contains(Modifier::DIM) {
        fg = fg.mix(under, 0.4);
    }
    Paint {
        fg,
        bg: bg.filter(|b| *b != p.bg),
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        underline: m.contains(Modifier::UNDERLINED),
        strike: m.contains(Modifier::CROSSED_OUT),
        hidden: m.contains(Modifier::HIDDEN),
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::Style;

    use super::*;

    fn cell(style: Style) -> Cell {
        let mut c = Cell::default();
        c.set_symbol("x").set_style(style);
        c
    }

    #[test]
    fn every_named_colour_is_readable_on_both_pages() {
        for theme in [Paper::Light, Paper::Dark] {
            let (page, _) = defaults(theme);
            for i in 0..16u8 {
                let p = paint(&cell(Style::new().fg(Color::Indexed(i))), theme);
                assert!(p.fg.contrast(page) >= MIN_CONTRAST, "{theme:?} colour {i}: {:?}", p.fg);
            }
        }
    }

    #[test]
    fn light_theme_darkens_pale_rgb_text() {
        let p = paint(&cell(Style::new().fg(Color::Rgb(255, 255, 120))), Paper::Light);
        assert!(p.fg.contrast(Rgb(255, 255, 255)) >= MIN_CONTRAST);
        let p = paint(&cell(Style::new().fg(Color::Indexed(230))), Paper::Light);
        assert!(p.fg.contrast(Rgb(255, 255, 255)) >= MIN_CONTRAST);
    }

    #[test]
    fn reversed_swaps_and_dim_fades() {
        let (page, ink) = defaults(Paper::Light);
        let p = paint(&cell(Style::new().add_modifier(Modifier::REVERSED)), Paper::Light);
        assert_eq!((p.fg, p.bg), (page, Some(ink)));
        let p = paint(&cell(Style::new().add_modifier(Modifier::DIM)), Paper::Light);
        assert!(p.fg.contrast(page) < ink.contrast(page));
        assert_eq!(p.bg, None);
    }

    #[test]
    fn xterm_cube_and_greys() {
        assert_eq!(xterm(16), Rgb(0, 0, 0));
        assert_eq!(xterm(196), Rgb(255, 0, 0));
        assert_eq!(xterm(231), Rgb(255, 255, 255));
        assert_eq!(xterm(232), Rgb(8, 8, 8));
        assert_eq!(xterm(255), Rgb(238, 238, 238));
    }
}
