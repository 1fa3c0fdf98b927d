//! Test support: the crate's own sources, read as text, for the tests that
//! check its layering (which module may name which) without a build of
//! their own.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `src/DIR` for each of `dirs`, with its text.
pub fn rust_files(dirs: &[&str]) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut todo: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    let mut out = Vec::new();
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).expect("a source folder").flatten().map(|e| e.path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).expect("a source file");
            out.push((p, text));
        }
    }
    out.sort();
    out
}

/// A line without its `//` comment: the code on it.
pub fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}
