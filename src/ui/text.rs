//! Text measured in terminal columns: wide characters (Chinese) take two
//! columns, so every cut, pad and wrap here counts with `unicode-width`, the
//! same measure ratatui uses when it puts text into the buffer. Also the
//! interface language ([`Lang`], from `crate::words`).
//!
//! Invisible format characters (a soft hyphen, zero-width spaces and
//! joiners, bidirectional marks, a byte-order mark, tags) measure 0 columns,
//! but terminals do not agree: many draw a soft hyphen in a column of its
//! own, and ratatui appends a zero-width character to the cell before it,
//! so one of them in a line pushed that pane's right border out of line.
//! The text functions here ([`one_line`], [`fit`] and so [`pad`], [`wrap`])
//! leave them out: what reaches the screen is measured the same by us, by
//! ratatui and by the terminal. (A joiner inside an emoji sequence goes too:
//! its emoji are then drawn side by side, as most terminals draw them.)

use unicode_width::UnicodeWidthChar;

/// The interface language (lives with the sentences it chooses between).
pub use crate::words::Lang;

/// Columns a character takes (control characters: 0; we never print them).
pub fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Columns a string takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// An invisible format character (see the module doc): general category Cf
/// and the other zero-width default-ignorables a terminal may still draw.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{890}'..='\u{891}' | '\u{8e2}'
        | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}'
        | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

/// `s` without its invisible format characters (borrowed when it has none).
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_invisible) { s.chars().filter(|&c| !is_invisible(c)).collect::<String>().into() } else { s.into() }
}

/// One line of `s` with control characters (tabs, newlines) made spaces and
/// invisible format characters left out.
pub fn one_line(s: &str) -> String {
    s.chars().filter(|&c| !is_invisible(c)).map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `s` cut to at most `w` columns; a cut string ends with `…`. Invisible
/// format characters are left out.
pub fn fit(s: &str, w: usize) -> String {
    let s = &*visible(s);
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if used + cw > w - 1 {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// `prefix` then `names` joined by commas, within `w` columns: the names
/// that do not fit are counted (`waiting: Process-2, Process-3, +7`), and a
/// lone name too long is shortened; never a name cut by the edge.
pub fn fit_names(prefix: &str, names: &[String], w: usize) -> String {
    let full = format!("{prefix}{}", names.join(", "));
    if width(&full) <= w || names.is_empty() {
        return fit(&full, w);
    }
    for k in (1..names.len()).rev() {
        let t = format!("{prefix}{}, +{}", names[..k].join(", "), names.len() - k);
        if width(&t) <= w {
            return t;
        }
    }
    let tail = if names.len() > 1 { format!(", +{}", names.len() - 1) } else { String::new() };
    let room = w.saturating_sub(width(prefix) + width(&tail)).max(4);
    fit(&format!("{prefix}{}{tail}", fit(&names[0], room)), w)
}

/// Shortens the parts of a line to fit `w` columns, the least needed
/// first: the `droppable` parts go (the last first), then the `names` are shortened (the
/// widest first, to no fewer than 4 columns each); what is said of them (a
/// state, a cause) stays whole. Parts are (text, kind, anything carried along: a style).
pub fn fit_parts<S>(parts: &mut Vec<(String, Part, S)>, w: usize) {
    let total = |p: &Vec<(String, Part, S)>| p.iter().map(|(t, _, _)| width(t)).sum::<usize>();
    if total(parts) <= w {
        return;
    }
    // The last droppable part first (the least needed is said last).
    while total(parts) > w {
        let Some(i) = parts.iter().rposition(|(_, k, _)| *k == Part::Droppable) else { break };
        parts.remove(i);
    }
    while total(parts) > w {
        let Some(i) = parts.iter().enumerate().filter(|(_, (t, k, _))| *k == Part::Name && width(t) > 4).max_by_key(|(_, (t, _, _))| width(t)).map(|(i, _)| i) else { break };
        let over = total(parts) - w;
        let cur = width(&parts[i].0);
        parts[i].0 = fit(&parts[i].0, cur.saturating_sub(over).max(4).min(cur - 1));
    }
}

/// What [`fit_parts`] may do with a part of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// A name: shortened with `…` when the line is too wide.
    Name,
    /// Left out first when the line is too wide.
    Droppable,
    /// Kept whole.
    Keep,
}

/// `s` cut to `w` columns at a word boundary, ending in `…` when cut (mid-word
/// only when the first word alone is wider than `w`).
pub fn fit_words(s: &str, w: usize) -> String {
    let s = &*visible(s);
    if width(s) <= w {
        return s.to_string();
    }
    let cut = fit(s, w);
    let body = cut.trim_end_matches('…');
    // Keep whole words only: up to the last space inside the cut, unless the
    // next character was a space anyway.
    let next_is_space = s[body.len()..].starts_with(' ');
    let kept = if next_is_space { body } else { body.rfind(' ').map_or(body, |i| &body[..i]) };
    let kept = kept.trim_end_matches([' ', ',', ';', ':', '(']);
    if kept.is_empty() { cut } else { format!("{kept}…") }
}

/// `s` cut to `w` columns and padded with spaces to exactly `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = fit(s, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// `s` right-aligned in `w` columns (cut if longer).
pub fn pad_left(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(width(&s))).collect();
    out.push_str(&s);
    out
}

/// Characters that must not begin a line of Chinese text.
pub const NO_LINE_START: &str = "，。、；：！？）」』》〉】,.;:!?)";

fn is_wide(c: char) -> bool {
    char_width(c) > 1
}

/// Wraps `s` into lines of at most `w` columns. Latin text breaks at spaces
/// (a word longer than a line is cut); Chinese breaks between any two
/// characters. Newlines in `s` start new lines.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        // Pieces: a run of non-space non-wide chars (a word), one wide char, or spaces.
        let mut pieces: Vec<String> = Vec::new();
        let mut cur = String::new();
        for c in para.chars().filter(|&c| !is_invisible(c)) {
            let c = if c.is_control() { ' ' } else { c };
            if c == ' ' || is_wide(c) {
                if !cur.is_empty() {
                    pieces.push(std::mem::take(&mut cur));
                }
                pieces.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            pieces.push(cur);
        }
        for piece in pieces {
            let pw = width(&piece);
            if piece == " " {
                if line_w > 0 && line_w < w {
                    line.push(' ');
                    line_w += 1;
                }
                continue;
            }
            if line_w + pw > w && line_w > 0 {
                // Chinese punctuation never starts a line: the character
                // before it moves down with it.
                let carry = match (piece.chars().next(), line.chars().last()) {
                    (Some(p), Some(last)) if NO_LINE_START.contains(p) && is_wide(last) && line.chars().count() > 1 => line.pop(),
                    _ => None,
                };
                out.push(line.trim_end().to_string());
                line = carry.map(String::from).unwrap_or_default();
                line_w = width(&line);
            }
            if pw > w {
                // A word wider than the line: cut it into line-sized parts.
                for c in piece.chars() {
                    let cw = char_width(c);
                    if line_w + cw > w && line_w > 0 {
                        out.push(std::mem::take(&mut line));
                        line_w = 0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            } else {
                line.push_str(&piece);
                line_w += pw;
            }
        }
        out.push(line.trim_end().to_string());
    }
    out
}

/// Joins the hard-wrapped lines of a manifest text into paragraphs: a single
/// newline becomes a space between Latin words and nothing between Chinese
/// characters; a blank line stays a paragraph break.
pub fn unwrap_paragraphs(s: &str) -> String {
    let mut out = String::new();
    for (i, para) in s.trim().split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut first = true;
        for line in para.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if !first {
                let prev_wide = out.chars().last().is_some_and(is_wide);
                let next_wide = line.chars().next().is_some_and(is_wide);
                if !(prev_wide || next_wide) {
                    out.push(' ');
                }
            }
            out.push_str(line);
            first = false;
        }
    }
    out
}

/// A short span of time: `50ms`, `0.1s` → `100ms`, `2s`.
pub fn span(ns: u64) -> String {
    if ns < 1_000_000_000 { format!("{}ms", ns / 1_000_000) } else { format!("{}s", (ns as f64 / 1e9 * 10.0).round() / 10.0) }
}

/// Seconds as `1.234s`, or `m:ss` past a minute.
pub fn secs(ns: u64) -> String {
    let s = ns as f64 / 1e9;
    if s < 60.0 { format!("{s:.1}s") } else { format!("{}:{:02}", (s / 60.0) as u64, (s as u64) % 60) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_names_counts_what_does_not_fit_instead_of_cutting_a_name() {
        let names: Vec<String> = (2..=10).map(|i| format!("Process-{i}")).collect();
        assert_eq!(fit_names("  waiting: ", &names, 28), "  waiting: Process-2, +8");
        assert_eq!(fit_names("  waiting: ", &names[..1], 28), "  waiting: Process-2");
        assert_eq!(fit_names("  waiting: ", &["a_rather_long_process_name".to_string(), "b".to_string()], 24), "  waiting: a_rather…, +1");
    }

    #[test]
    fn a_line_too_wide_drops_the_extras_then_shortens_names_never_the_state() {
        let mut parts = vec![("noodle_lock".to_string(), Part::Name, ()), (" Lock".into(), Part::Droppable, ()), ("  held by ".into(), Part::Keep, ()), ("alexander".into(), Part::Name, ())];
        fit_parts(&mut parts, 28);
        let line: String = parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(line, "noodle_l…  held by alexander", "the widest name is shortened first");
        fit_parts(&mut parts, 22);
        let line: String = parts.iter().map(|p| p.0.as_str()).collect();
        assert!(width(&line) <= 22 && line.contains("  held by ") && line.starts_with("nood"), "{line}");
    }

    #[test]
    fn a_soft_hyphen_or_a_zero_width_character_cannot_push_a_border_out() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::text::{Line, Span};
        use ratatui::widgets::Widget;
        let hostile = ["soft\u{ad}hyphen\u{ad}\u{ad}", "zero\u{200b}width\u{200d}join\u{feff}", "rtl\u{202e}mark\u{2066}", "emoji \u{1f468}\u{200d}\u{1f469} \u{2764}\u{fe0f}"];
        for text in hostile {
            for cut in [fit(text, 30), pad(text, 30), one_line(text), fit_words(text, 30)] {
                assert!(!cut.chars().any(is_invisible), "{text:?} → {cut:?}");
            }
            // A pane's row: the padded text, then its right border. Each cell
            // holds what it shows, so the border is where it was measured.
            let mut buf = Buffer::empty(Rect::new(0, 0, 32, 1));
            Line::from(vec![Span::raw(pad(text, 30)), Span::raw("│")]).render(Rect::new(0, 0, 32, 1), &mut buf);
            assert_eq!(buf[(30, 0)].symbol(), "│", "{text:?}");
            for x in 0..32 {
                let cell = buf[(x, 0)].symbol();
                assert!(!cell.chars().any(is_invisible), "{text:?}: cell {x} holds {cell:?}");
                // What the terminal is sent measures what ratatui counted.
                assert!(width(cell) <= 2, "{text:?}: cell {x} holds {cell:?}");
            }
        }
        let wrapped = wrap("a\u{ad}b c\u{200b}d", 10);
        assert_eq!(wrapped, ["ab cd"]);
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("买到票了"), 8);
        assert_eq!(width("person0买到票了"), 15);
        assert_eq!(pad("票", 4), "票  ");
        assert_eq!(width(&pad("person0买到票了", 10)), 10);
        // A wide char that does not fit whole is dropped, never half-drawn.
        assert_eq!(fit("买到票了", 6), "买到…");
        assert_eq!(fit("买到票了", 5), "买到…");
        assert_eq!(width(&fit("买到票了", 5)), 5);
        assert_eq!(pad_left("票", 3), " 票");
    }

    #[test]
    fn wrap_breaks_latin_at_spaces_and_chinese_anywhere() {
        assert_eq!(wrap("the quick brown fox", 10), vec!["the quick", "brown fox"]);
        let lines = wrap("文件中保存着余票数", 8);
        assert_eq!(lines, vec!["文件中保", "存着余票", "数"]);
        for l in wrap("Ten buyers 十个买票人(十个进程)各自读文件 and so on", 9) {
            assert!(width(&l) <= 9, "{l:?}");
        }
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        // "、" does not start a line; "件" goes down with it.
        assert_eq!(wrap("读文件、稍等", 6), vec!["读文", "件、稍", "等"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }

    #[test]
    fn manifest_paragraphs_are_joined() {
        assert_eq!(unwrap_paragraphs("A file holds\nthe count.\n\nNext."), "A file holds the count.\nNext.");
        assert_eq!(unwrap_paragraphs("十个买票人\n各自读文件"), "十个买票人各自读文件");
    }
}
