//! Walks a row of a [`Buffer`] the way a terminal shows it: one glyph per
//! symbol, a wide (CJK) symbol covering two cells, the cell after it skipped.

use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use unicode_width::UnicodeWidthStr;

/// One glyph of a row: where it starts, how many cells it covers (1 or 2),
/// and the cell that styles it (for a wide glyph, its first cell: ratatui
/// resets the covered cell, but a terminal paints the glyph's colours over both).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Glyph<'a> {
    /// Column, from 0 at the buffer's left edge.
    pub x: u16,
    pub width: u16,
    pub symbol: &'a str,
    pub cell: &'a Cell,
}

/// The glyphs of row `y` (0 = the buffer's top row), left to right, covering
/// every column exactly once. A cell marked to be skipped (something else
/// draws there) and a symbol that takes no room show as a space.
pub(crate) fn row(buf: &Buffer, y: u16) -> Vec<Glyph<'_>> {
    let a = buf.area;
    let mut out = Vec::with_capacity(a.width as usize);
    let mut x = 0u16;
    while x < a.width {
        let cell = &buf[(a.x + x, a.y + y)];
        let sym = cell.symbol();
        let (symbol, w) = if cell.diff_option == CellDiffOption::Skip {
            (" ", 1)
        } else {
            match sym.width() {
                0 => (" ", 1),
                1 => (sym, 1),
                // Never past the right edge: a wide glyph in the last column
                // is cut to one cell, as terminals do.
                _ => (sym, if x + 1 < a.width { 2 } else { 1 }),
            }
        };
        out.push(Glyph { x, width: w, symbol, cell });
        x += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;

    use super::*;

    #[test]
    fn wide_symbols_cover_two_cells_and_the_next_is_skipped() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        buf.set_string(0, 0, "a买b", ratatui::style::Style::default());
        let g = row(&buf, 0);
        let got: Vec<(u16, u16, &str)> = g.iter().map(|g| (g.x, g.width, g.symbol)).collect();
        assert_eq!(&got[..4], &[(0, 1, "a"), (1, 2, "买"), (3, 1, "b"), (4, 1, " ")]);
        assert_eq!(g.iter().map(|g| g.width).sum::<u16>(), 8);
    }

    #[test]
    fn a_wide_symbol_in_the_last_column_is_cut() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf[(2, 0)].set_symbol("票");
        let g = row(&buf, 0);
        assert_eq!(g.last().map(|g| (g.x, g.width)), Some((2, 1)));
    }
}
