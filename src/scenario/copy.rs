//! `forkscope copy LESSON [DIR]`: a built-in lesson's files (manifest,
//! program, variant programs; or `.rhai` + `.toml`) written out for a
//! teacher to edit, and to run from there as the built-in runs.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Lesson;

/// The lesson's files as (file name, text), as they are compiled in: the
/// program, the manifest, then each variant's program.
pub fn files(lesson: &Lesson) -> Vec<(String, String)> {
    let name = |f: &str| Path::new(f).file_name().map_or_else(|| f.to_string(), |n| n.to_string_lossy().into_owned());
    let mut out = vec![(name(&lesson.script_file), lesson.script.clone())];
    if let (Some(f), Some(t)) = (&lesson.manifest_file, &lesson.manifest_text) {
        out.push((name(f), t.clone()));
    }
    for v in &lesson.variants {
        let f = name(&v.file);
        if !out.iter().any(|(n, _)| *n == f) {
            out.push((f, v.text.clone()));
        }
    }
    out
}

/// Writes the files of built-in `lesson` into `dir` (made if missing).
/// Refuses, writing nothing, if the lesson is not a built-in or any of its
/// files exists there; returns the paths written.
pub fn copy(lesson: &Lesson, dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !lesson.is_builtin() {
        return Err(format!("{} is a file already, not a built-in lesson (`forkscope list` shows those); copy it with cp", lesson.origin));
    }
    let files = files(lesson);
    let taken: Vec<String> = files.iter().map(|(f, _)| dir.join(f)).filter(|p| std::fs::symlink_metadata(p).is_ok()).map(|p| p.display().to_string()).collect();
    if !taken.is_empty() {
        return Err(format!("{} already exist{}: nothing written (copy into another folder, or move {} away)", taken.join(", "), if taken.len() == 1 { "s" } else { "" }, if taken.len() == 1 { "it" } else { "them" }));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (f, text) in &files {
        let path = dir.join(f);
        // create_new: a file that appeared since the check is not overwritten either.
        let result = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(e) = result {
            // All or nothing: what this call wrote goes again.
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(format!("{}: {e}: nothing written", path.display()));
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rhai_builtin_is_written_out_once_and_loads_back_the_same() {
        let dir = std::env::temp_dir().join(format!("forkscope-copy-{}", std::process::id()));
        let lesson = super::super::load("ticket-race").unwrap();
        let written = copy(&lesson, &dir).unwrap();
        let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["ticket-race.rhai", "ticket-race.toml"]);
        let back = super::super::load(dir.join("ticket-race.rhai").to_str().unwrap()).unwrap();
        assert_eq!((back.script, back.manifest), (lesson.script.clone(), lesson.manifest.clone()));
        let before = std::fs::read_to_string(dir.join("ticket-race.toml")).unwrap();
        std::fs::write(dir.join("ticket-race.toml"), "edited").unwrap();
        std::fs::remove_file(dir.join("ticket-race.rhai")).unwrap();
        let e = copy(&lesson, &dir).unwrap_err();
        assert!(e.contains("ticket-race.toml already exists: nothing written"), "{e}");
        assert!(!dir.join("ticket-race.rhai").exists(), "nothing written");
        assert_ne!(before, "edited");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
