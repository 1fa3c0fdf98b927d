//! Unit tests of the exporters on hand-made buffers.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::*;

#[test]
fn text_trims_and_writes_wide_characters_once() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
    buf.set_string(0, 0, "买票人 ok", Style::default());
    assert_eq!(text(&buf), "买票人 ok\n\n");
}

#[test]
fn formats_by_extension() {
    assert_eq!(Format::of_path(Path::new("a/b.SVG")), Some(Format::Svg));
    assert_eq!(Format::of_path(Path::new("x.htm")), Some(Format::Html));
    assert_eq!(Format::of_path(Path::new("x.jpeg")), None);
    assert_eq!(Format::of_path(Path::new("x")), None);
}
