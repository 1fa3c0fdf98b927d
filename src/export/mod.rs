//! Export: pictures and recordings of a run for course notes and slides.
//!
//! Everything here works from a drawn frame (a ratatui [`Buffer`]) or from the
//! run's [`Record`](crate::model::Record)s, never from the terminal, so the
//! dashboard's screenshot key, `forkscope snapshot` (the command, in
//! [`crate::snapshot`], which runs a lesson and builds the dashboard it
//! draws) and tests share one path. It is a leaf: nothing here knows the
//! dashboard (`tests::export_is_a_leaf`).
//!
//!
//! - [`svg`]: text stays text (one `<tspan>` per run of same-style cells, each
//!   glyph placed at its cell, so CJK lines up), backgrounds as rectangles.
//! - [`png`]: that SVG rendered in pure Rust (resvg) with only the fonts in
//!   `assets/fonts/` (compiled in), so every machine draws the same pixels.
//! - [`html`]: a styled `<pre>`; [`text`]: plain text.
//! - [`CastWriter`]: an asciicast v2 recording, one frame at a time.
//! - [`trace()`]: Chrome trace event JSON (Perfetto, chrome://tracing).
//! - [`diagram`]: a sequence diagram of the run (SVG, PNG), from its records.
//!   The trace's flows and the diagram's arrows are the same hand-offs
//!   (`handoff`).
//!
//! Same buffer and theme → byte-identical SVG, PNG, HTML and text.
//!
//! Files are never written through a symbolic link (one planted in the
//! current folder must not redirect a figure): the screenshot key makes new
//! files only (`O_CREAT|O_EXCL|O_NOFOLLOW`, the next free name if one is
//! taken); `snapshot --out` refuses a link and replaces a file by renaming a
//! new one over it.

pub mod cast;
pub mod diagram;
mod grid;
mod handoff;
pub mod html;
pub mod palette;
pub mod png;
pub mod svg;
pub mod trace;

use std::path::Path;

use ratatui::buffer::Buffer;

pub use cast::CastWriter;
pub use html::html;
pub use png::png;
pub use svg::svg;
pub use trace::trace;

/// The paper of an exported picture: its colours (`--theme light|dark`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Paper {
    /// White background, dark text, colours darkened for contrast: for print.
    Light,
    /// A dark terminal, as on screen.
    #[default]
    Dark,
}

impl Paper {
    pub fn name(self) -> &'static str {
        match self {
            Paper::Light => "light",
            Paper::Dark => "dark",
        }
    }
}

impl std::str::FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Paper, String> {
        match s {
            "light" => Ok(Paper::Light),
            "dark" => Ok(Paper::Dark),
            _ => Err(format!("theme {s:?}: expected light or dark")),
        }
    }
}

/// Plain text of a frame: one line per row, trailing spaces trimmed, a wide
/// (CJK) character once (it covers two cells).
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for g in grid::row(buf, y) {
            line.push_str(g.symbol);
        }
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out
}

/// What a picture file is, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Html,
    Text,
}

impl Format {
    /// `.svg`, `.png`, `.html`/`.htm`, `.txt` (any case).
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "svg" => Format::Svg,
            "png" => Format::Png,
            "html" | "htm" => Format::Html,
            "txt" => Format::Text,
            _ => return None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}: unknown picture format (use .svg, .png, .html or .txt)")]
    Format(String),
    #[error("PNG: {0}")]
    Png(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// The bytes of `buf` as `format` (`scale` is for PNG only).
pub fn encode(buf: &Buffer, format: Format, theme: Paper, scale: u32) -> Result<Vec<u8>, ExportError> {
    Ok(match format {
        Format::Svg => svg(buf, theme).into_bytes(),
        Format::Png => png(buf, theme, scale)?,
        Format::Html => html(buf, theme).into_bytes(),
        Format::Text => text(buf).into_bytes(),
    })
}

/// Writes `buf` to `path` in the format its extension names, replacing a
/// file that is there; a symbolic link there is refused, never followed.
pub fn write_picture(buf: &Buffer, path: &Path, theme: Paper, scale: u32) -> Result<(), ExportError> {
    let format = Format::of_path(path).ok_or_else(|| ExportError::Format(path.display().to_string()))?;
    let bytes = encode(buf, format, theme, scale)?;
    replace_file(path, &bytes).map_err(|source| ExportError::Io { path: path.display().to_string(), source })
}

/// Creates `path` with `bytes`; fails (`AlreadyExists`) if anything is there,
/// a dangling symbolic link included.
pub fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).custom_flags(libc::O_NOFOLLOW).mode(0o644).open(path)?;
    f.write_all(bytes)
}

/// Writes `bytes` as `path`: into a new file beside it, then renamed over it
/// (a rename replaces the name, it does not write through it). A symbolic
/// link at `path` is refused.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other("is a symbolic link: refusing to write through it"));
    }
    let name = path.file_name().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::IsADirectory))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for i in 0..100u32 {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.{i}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        match create_new(&tmp, bytes) {
            Ok(()) => {
                return std::fs::rename(&tmp, path).inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
    }
    Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
}

/// Saves `buf` as new files `STEM.svg` and `STEM.png` in `dir`, with the
/// first free stem of `base`, `base-2`, `base-3`…; a name taken by anything
/// (a dangling link included) is skipped, never written through. Returns the stem.
pub fn save_new_pictures(buf: &Buffer, dir: &Path, base: &str, theme: Paper, scale: u32) -> Result<String, ExportError> {
    let svg_bytes = encode(buf, Format::Svg, theme, scale)?;
    let png_bytes = encode(buf, Format::Png, theme, scale)?;
    let io = |path: &Path, source| ExportError::Io { path: path.display().to_string(), source };
    for i in 1..1000 {
        let stem = if i == 1 { base.to_string() } else { format!("{base}-{i}") };
        let svg_path = dir.join(format!("{stem}.svg"));
        let png_path = dir.join(format!("{stem}.png"));
        match create_new(&svg_path, &svg_bytes) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&svg_path, e)),
        }
        match create_new(&png_path, &png_bytes) {
            Ok(()) => return Ok(stem),
            Err(e) => {
                let _ = std::fs::remove_file(&svg_path);
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(io(&png_path, e));
                }
            }
        }
    }
    Err(io(&dir.join(base), std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
}

#[cfg(test)]
mod tests;
