//! Files of a lesson: JSON and text, confined to the run's scratch folder.
//!
//! Every process's working directory is the scratch folder. A path must be
//! relative, without `..`, and may not go through a symbolic link; anything else
//! is refused with `PermissionError`. Files are opened with `O_NOFOLLOW`.
//! Writes are what Python's `open(path, "w")` + `json.dump` do: truncate, then
//! write — so an unlocked reader can really see the file mid-update.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use super::{LessonError, LessonResult, LaneRuntime};
use crate::codec::Value;
use crate::shm::layout::NONE;
use crate::shm::record::Op;

/// Most bytes a lesson file may hold.
pub const MAX_FILE: u64 = 4 << 20;

/// Most bytes the files of a run may hold in all (every process's writes,
/// in the run's folder). A class's lessons write kilobytes; a lesson
/// appending in a loop wrote 200 MiB in half a second before there was one.
pub const RUN_QUOTA: u64 = 64 << 20;

/// Bytes the files under `dir` hold (links are not followed).
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .filter_map(|e| Some((e.path(), std::fs::symlink_metadata(e.path()).ok()?)))
        .map(|(p, m)| if m.is_dir() { folder_bytes(&p) } else { m.len() })
        .sum()
}

/// Checks `path` against the confinement rules; returns it joined to `root`.
pub fn confine(root: &Path, path: &str) -> LessonResult<PathBuf> {
    let refuse = |why: &str| Err(LessonError::new("PermissionError", format!("{why}: '{path}' (files stay in the run's folder)")));
    if path.is_empty() {
        return Err(LessonError::new("FileNotFoundError", "[Errno 2] No such file or directory: ''"));
    }
    let p = Path::new(path);
    let mut full = root.to_path_buf();
    for c in p.components() {
        match c {
            Component::Normal(part) => {
                full.push(part);
                if let Ok(m) = std::fs::symlink_metadata(&full)
                    && m.file_type().is_symlink() {
                        return refuse("symbolic links are not followed");
                    }
            }
            Component::CurDir => {}
            Component::ParentDir => return refuse("'..' is not allowed"),
            Component::RootDir | Component::Prefix(_) => return refuse("absolute paths are not allowed"),
        }
    }
    // `sub/` names a directory: keep the slash (components drop it), so that
    // the system answers as it does to Python (`open("sub/", "w")`:
    // IsADirectoryError), instead of a file `sub` being made.
    if path.ends_with('/') || path.ends_with("/.") {
        full.as_mut_os_string().push("/");
    }
    Ok(full)
}

fn io_error(e: std::io::Error, path: &str) -> LessonError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => "FileNotFoundError",
        std::io::ErrorKind::PermissionDenied => "PermissionError",
        std::io::ErrorKind::AlreadyExists => "FileExistsError",
        std::io::ErrorKind::IsADirectory => "IsADirectoryError",
        std::io::ErrorKind::NotADirectory => "NotADirectoryError",
        _ => "OSError",
    };
    let errno = e.raw_os_error().unwrap_or(0);
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    LessonError::new(kind, format!("[Errno {errno}] {text}: '{path}'"))
}

/// A short preview of file content for the log.
fn preview(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 { format!("{}…", one_line.chars().take(59).collect::<String>()) } else { one_line }
}

impl LaneRuntime {
    fn scratch(&self) -> PathBuf {
        PathBuf::from(&self.info.scratch)
    }

    fn read_file(&self, path: &str) -> LessonResult<String> {
        let full = confine(&self.scratch(), path)?;
        let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&full).map_err(|e| io_error(e, path))?;
        let mut s = String::new();
        use std::io::Read;
        f.take(MAX_FILE).read_to_string(&mut s).map_err(|e| io_error(e, path))?;
        Ok(s)
    }

    fn write_file(&self, path: &str, text: &str, append: bool) -> LessonResult<()> {
        let root = self.scratch();
        let full = confine(&root, path)?;
        // The run's quota, like a full disk: what the folder holds, less what
        // truncating this file frees, plus what is written. (Processes writing
        // at the same moment may overshoot it by a write each; it bounds a
        // run, it is not an accountant.)
        let freed = if append { 0 } else { std::fs::symlink_metadata(&full).map_or(0, |m| m.len()) };
        if folder_bytes(&root).saturating_sub(freed) + text.len() as u64 > RUN_QUOTA {
            return Err(LessonError::os(format!(
                "[Errno 28] No space left on device: '{path}' (a run's files may hold at most {} MiB in all)",
                RUN_QUOTA >> 20
            )));
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).custom_flags(libc::O_NOFOLLOW).mode(0o600);
        if append {
            o.append(true);
        } else {
            o.truncate(true);
        }
        let mut f = o.open(&full).map_err(|e| io_error(e, path))?;
        f.write_all(text.as_bytes()).map_err(|e| io_error(e, path))
    }

    pub fn read_text(&self, path: &str, line: u32) -> LessonResult<String> {
        self.enter_op(Op::ReadText, line);
        let s = self.read_file(path)?;
        self.record_op(Op::ReadText, NONE, NONE, s.len() as i64, 0, 0, Some(&format!("{path}\t{}", preview(&s))));
        Ok(s)
    }

    pub fn read_json(&self, path: &str, line: u32) -> LessonResult<Value> {
        self.enter_op(Op::ReadJson, line);
        let s = self.read_file(path)?;
        let j: serde_json::Value = serde_json::from_str(&s).map_err(|e| LessonError::new("JSONDecodeError", format!("{e} (file '{path}')")))?;
        self.record_op(Op::ReadJson, NONE, NONE, s.len() as i64, 0, 0, Some(&format!("{path}\t{}", preview(&s))));
        Ok(Value::from_json(&j))
    }

    pub fn write_json(&self, path: &str, v: &Value, line: u32) -> LessonResult<()> {
        self.enter_op(Op::WriteJson, line);
        let s = serde_json::to_string(&v.to_json()).map_err(|e| LessonError::type_error(e.to_string()))?;
        self.write_file(path, &s, false)?;
        self.record_op(Op::WriteJson, NONE, NONE, s.len() as i64, 0, 0, Some(&format!("{path}\t{}", preview(&s))));
        Ok(())
    }

    pub fn write_text(&self, path: &str, text: &str, append: bool, line: u32) -> LessonResult<()> {
        let op = if append { Op::AppendText } else { Op::WriteText };
        self.enter_op(op, line);
        self.write_file(path, text, append)?;
        self.record_op(op, NONE, NONE, text.len() as i64, 0, 0, Some(&format!("{path}\t{}", preview(text))));
        Ok(())
    }

    /// `list_dir(path)`: sorted names (`"."` or `""` for the run's folder).
    pub fn list_dir(&self, path: &str, line: u32) -> LessonResult<Vec<String>> {
        self.enter_op(Op::ListDir, line);
        let full = if path.is_empty() || path == "." { self.scratch() } else { confine(&self.scratch(), path)? };
        let mut names: Vec<String> = std::fs::read_dir(&full)
            .map_err(|e| io_error(e, path))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        self.record_op(Op::ListDir, NONE, NONE, names.len() as i64, 0, 0, Some(&format!("{path}\t{}", preview(&names.join(" ")))));
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement_refuses_escapes() {
        let root = std::env::temp_dir().join(format!("fs-confine-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        assert!(confine(&root, "ticket").is_ok());
        assert!(confine(&root, "./a/b").is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x"] {
            let e = confine(&root, bad).unwrap_err();
            assert_eq!(e.kind, "PermissionError", "{bad}");
        }
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        assert!(confine(&root, "link/passwd").is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
