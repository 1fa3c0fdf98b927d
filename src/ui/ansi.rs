//! A program's output as a terminal shows it: SGR escape sequences
//! (`ESC [ … m`) become styles, `\r` returns to the line's start and what
//! follows overwrites it, `\b` steps back, tabs go to the next multiple of
//! eight; every other escape sequence (cursor moves, OSC titles, …) and
//! control character is left out, so nothing raw reaches the screen.

use ratatui::style::{Color, Modifier, Style};

/// One shown character and the style the program gave it (`Style::new()`
/// where it gave none).
pub type Cell = (char, Style);

/// The lines of `text` (split at `\n`) as a terminal would show them.
pub fn render(text: &str) -> Vec<Vec<Cell>> {
    let mut lines = Vec::new();
    let mut line: Vec<Cell> = Vec::new();
    let mut col = 0usize;
    let mut style = Style::new();
    let mut chars = text.chars().peekable();
    let put = |line: &mut Vec<Cell>, col: &mut usize, c: char, style: Style| {
        if *col < line.len() {
            line[*col] = (c, style);
        } else {
            line.push((c, style));
        }
        *col += 1;
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                lines.push(std::mem::take(&mut line));
                col = 0;
            }
            '\r' => col = 0,
            '\u{8}' => col = col.saturating_sub(1),
            '\t' => {
                let next = (col / 8 + 1) * 8;
                while col < next {
                    put(&mut line, &mut col, ' ', style);
                }
            }
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte.
                    let mut params = String::new();
                    let mut fin = None;
                    for d in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&d) {
                            fin = Some(d);
                            break;
                        }
                        params.push(d);
                    }
                    if fin == Some('m') {
                        style = sgr(style, &params);
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ESC \.
                    chars.next();
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    // ESC, intermediates (`(`, `#`, …), one final byte.
                    while chars.peek().is_some_and(|d| (' '..='/').contains(d)) {
                        chars.next();
                    }
                    chars.next();
                }
                None => {}
            },
            c if c.is_control() => {}
            c => put(&mut line, &mut col, c, style),
        }
    }
    lines.push(line);
    lines
}

/// The plain text of a rendered line.
pub fn plain(line: &[Cell]) -> String {
    line.iter().map(|(c, _)| *c).collect()
}

/// `style` after the SGR parameters `params` (`1;31`, `38;5;208`, empty = reset).
fn sgr(mut style: Style, params: &str) -> Style {
    let nums: Vec<u16> = params.split([';', ':']).map(|p| p.parse().unwrap_or(0)).collect();
    let mut i = 0;
    while i < nums.len() {
        let n = nums[i];
        match n {
            0 => style = Style::new(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            7 => style = style.add_modifier(Modifier::REVERSED),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            30..=37 => style = style.fg(Color::Indexed((n - 30) as u8)),
            90..=97 => style = style.fg(Color::Indexed((n - 90 + 8) as u8)),
            39 => style.fg = None,
            40..=47 => style = style.bg(Color::Indexed((n - 40) as u8)),
            100..=107 => style = style.bg(Color::Indexed((n - 100 + 8) as u8)),
            49 => style.bg = None,
            38 | 48 => {
                let color = match nums.get(i + 1) {
                    Some(5) => {
                        let c = nums.get(i + 2).map(|v| Color::Indexed(*v as u8));
                        i += 2;
                        c
                    }
                    Some(2) => {
                        let c = match (nums.get(i + 2), nums.get(i + 3), nums.get(i + 4)) {
                            (Some(r), Some(g), Some(b)) => Some(Color::Rgb(*r as u8, *g as u8, *b as u8)),
                            _ => None,
                        };
                        i += 4;
                        c
                    }
                    _ => None,
                };
                if let Some(c) = color {
                    style = if n == 38 { style.fg(c) } else { style.bg(c) };
                }
            }
            _ => {}
        }
        i += 1;
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_styles_and_no_escape_is_left() {
        let lines = render("\x1b[1;31m红灯亮 \x1b[0m");
        assert_eq!(lines.len(), 1);
        assert_eq!(plain(&lines[0]), "红灯亮 ");
        assert_eq!(lines[0][0].1, Style::new().add_modifier(Modifier::BOLD).fg(Color::Indexed(1)));
        let lines = render("\x1b]0;title\x07a\x1b[2Kb\x1b[38;5;208mc\x1b[38;2;1;2;3md\x1b(Be");
        assert_eq!(plain(&lines[0]), "abcde");
        assert_eq!(lines[0][2].1.fg, Some(Color::Indexed(208)));
        assert_eq!(lines[0][3].1.fg, Some(Color::Rgb(1, 2, 3)));
    }

    #[test]
    fn carriage_return_overwrites_and_tabs_align() {
        assert_eq!(plain(&render("loading 10%\rloading 99%")[0]), "loading 99%");
        assert_eq!(plain(&render("abcdef\rXY")[0]), "XYcdef");
        assert_eq!(plain(&render("ab\u{8}c")[0]), "ac");
        assert_eq!(plain(&render("a\tb")[0]), "a       b");
    }
}
