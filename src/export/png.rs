//! A frame as PNG: the frame's SVG rendered in pure Rust (resvg), with a font
//! database holding ONLY the fonts in `assets/fonts/`, compiled into the
//! binary — never a system font — so a frame gives the same bytes on every
//! machine running the same build.
//!
//! DejaVu Sans Mono (regular and bold) draws Latin text, box drawing and
//! symbols; WenQuanYi Micro Hei Mono (a CJK subset) is the fallback for
//! Chinese. A character neither has is drawn as `□` in its cell (see
//! `assets/fonts/README.md`), so what follows it stays in its column.

use std::sync::{Arc, OnceLock};

use ratatui::buffer::Buffer;
use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use super::{ExportError, Paper, svg};

/// The shipped fonts: (file name, bytes).
pub const FONTS: [(&str, &[u8]); 3] = [
    ("DejaVuSansMono.ttf", include_bytes!("../../assets/fonts/DejaVuSansMono.ttf")),
    ("DejaVuSansMono-Bold.ttf", include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf")),
    ("WenQuanYiMicroHeiMono-CJK.ttf", include_bytes!("../../assets/fonts/WenQuanYiMicroHeiMono-CJK.ttf")),
];

/// Largest scale factor.
pub const MAX_SCALE: u32 = 8;
/// Most pixels a PNG may have (a guard against absurd `--size`).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// The font database: the shipped fonts and nothing else.
pub fn fontdb() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for (_, bytes) in FONTS {
            db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
        }
        // Generic names (`monospace`, and the serif that usvg adds as a last
        // resort) must land on a shipped font too.
        for set in [fontdb::Database::set_monospace_family, fontdb::Database::set_serif_family, fontdb::Database::set_sans_serif_family] {
            set(&mut db, "DejaVu Sans Mono");
        }
        Arc::new(db)
    })
    .clone()
}

/// Whether some shipped font has a glyph for `c`.
pub fn has_glyph(c: char) -> bool {
    use skrifa::MetadataProvider;
    static FACES: OnceLock<Vec<skrifa::FontRef<'static>>> = OnceLock::new();
    let faces = FACES.get_or_init(|| FONTS.iter().filter_map(|(_, bytes)| skrifa::FontRef::new(bytes).ok()).collect());
    faces.iter().any(|f| f.charmap().map(c).is_some())
}

/// Size of the PNG of `buf` at `scale`: (width, height) in px.
pub fn size(buf: &Buffer, scale: u32) -> (u32, u32) {
    let (w, h) = svg::size(buf);
    (w * scale, h * scale)
}

/// `buf` as PNG bytes, `scale` device pixels per SVG px (1 to [`MAX_SCALE`]).
pub fn png(buf: &Buffer, theme: Paper, scale: u32) -> Result<Vec<u8>, ExportError> {
    let (w, h) = svg::size(buf);
    check_size(w, h, scale)?;
    // Characters no shipped font has: looked up once each.
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for cell in &buf.content {
        for c in cell.symbol().chars() {
            if seen.insert(c) && !has_glyph(c) {
                missing.insert(c);
            }
        }
    }
    let text = svg::render(buf, theme, &|c| !missing.contains(&c));
    rasterize(&text, w, h, scale)
}

/// Refuses a scale outside 1 to [`MAX_SCALE`] and a picture of more than
/// [`MAX_PIXELS`].
fn check_size(w: u32, h: u32, scale: u32) -> Result<(), ExportError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(ExportError::Png(format!("scale {scale}: must be 1 to {MAX_SCALE}")));
    }
    let (w, h) = (w as u64 * scale as u64, h as u64 * scale as u64);
    if w * h > MAX_PIXELS {
        return Err(ExportError::Png(format!("{w}x{h} pixels is too large")));
    }
    Ok(())
}

/// An SVG document `w`×`h` px drawn as PNG bytes at `scale`, in the shipped
/// fonts only.
pub fn rasterize(text: &str, w: u32, h: u32, scale: u32) -> Result<Vec<u8>, ExportError> {
    check_size(w, h, scale)?;
    let opts = usvg::Options { fontdb: fontdb(), font_family: "DejaVu Sans Mono".into(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(text, &opts).map_err(|e| ExportError::Png(e.to_string()))?;
    let (w, h) = (w * scale, h * scale);
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| ExportError::Png(format!("cannot make a {w}x{h} image")))?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale as f32, scale as f32), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| ExportError::Png(e.to_string()))
}
