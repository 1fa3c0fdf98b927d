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

/// A fresh empty folder under the system's temporary folder.
fn fresh_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("forkscope-export-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn small_frame() -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, 8, 2));
    buf.set_string(0, 0, "lock", Style::default());
    buf
}

#[test]
fn screenshot_never_writes_through_a_planted_link() {
    let dir = fresh_dir("shot");
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    // Dangling links where the screenshot's names will be: following them
    // would create files in `elsewhere`.
    std::os::unix::fs::symlink(elsewhere.join("a.svg"), dir.join("shot.svg")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("b.png"), dir.join("shot-2.png")).unwrap();
    let stem = save_new_pictures(&small_frame(), &dir, "shot", Paper::Light, 1).unwrap();
    assert_eq!(stem, "shot-3", "names taken by links are skipped");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through a link");
    assert!(std::fs::symlink_metadata(dir.join("shot.svg")).unwrap().file_type().is_symlink());
    assert!(!dir.join("shot-2.svg").exists(), "the half of a taken pair is removed again");
    assert!(std::fs::read_to_string(dir.join("shot-3.svg")).unwrap().contains("<svg"));
    assert!(std::fs::metadata(dir.join("shot-3.png")).unwrap().len() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshot_out_refuses_a_symlink_and_replaces_a_file() {
    let dir = fresh_dir("out");
    let target = dir.join("target.svg");
    let link = dir.join("link.svg");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = write_picture(&small_frame(), &link, Paper::Light, 1).unwrap_err().to_string();
    assert!(err.contains("link.svg") && err.contains("symbolic link"), "{err}");
    assert!(!target.exists(), "nothing written through the dangling link");
    // A regular file there is replaced, and nothing else is left behind.
    let file = dir.join("figure.svg");
    std::fs::write(&file, "old").unwrap();
    write_picture(&small_frame(), &file, Paper::Light, 1).unwrap();
    assert!(std::fs::read_to_string(&file).unwrap().contains("<svg"));
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["figure.svg", "link.svg"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Export is a leaf: nothing in `export` knows the dashboard (the
/// `snapshot` command, which runs a lesson and builds one, lives in
/// `crate::snapshot`); the dashboard uses export, not the other way round.
#[test]
fn export_is_a_leaf() {
    let files = crate::sources::rust_files(&["export"]);
    for (p, text) in &files {
        for (i, line) in text.lines().enumerate() {
            let code = crate::sources::code(line);
            for module in ["ui", "snapshot", "conductor"] {
                let dep = format!("crate::{module}");
                assert!(!code.contains(&dep), "{}:{}: export uses {dep}: {line}", p.display(), i + 1);
            }
        }
    }
    let seen = files.len();
    assert!(seen >= 8, "read the export sources ({seen} files)");
}
