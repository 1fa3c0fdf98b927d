//! Scratch folders: each run works in one of its own, made here and swept
//! when its conductor is gone.

use super::*;

/// Where runs make their scratch folders: the system's temporary folder,
/// made absolute as Python's `tempfile` does (a relative `TMPDIR` is taken
/// from the current folder), since every process works inside its scratch
/// folder and a relative path would mean another place there.
pub fn scratch_parent() -> PathBuf {
    let t = std::env::temp_dir();
    std::path::absolute(&t).unwrap_or(t)
}

/// True if `p` looks like a scratch folder of ours (guards `remove_dir_all`).
pub fn is_scratch_dir(p: &Path) -> bool {
    p.parent() == Some(&scratch_parent()) && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(SCRATCH_PREFIX))
}

/// Removes scratch folders of runs whose conductor is gone.
pub fn sweep_stale_scratch() {
    sweep_scratch(&|pid, start| !sys::is_same_live_process(pid, start));
}

/// Removes the scratch folders of the conductor `pid` started at `start`
/// that no run holds (see [`crate::shm::sweep_of`]).
pub fn sweep_scratch_of(pid: i32, start: u64) {
    sweep_scratch(&|p, s| p == pid && s == start);
}

fn sweep_scratch(gone: &dyn Fn(i32, u64) -> bool) {
    let Ok(dir) = std::fs::read_dir(scratch_parent()) else { return };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(SCRATCH_PREFIX) else { continue };
        let mut it = rest.splitn(3, '-');
        // As for segments: only a folder no live run holds (in any pid
        // namespace) and whose conductor is gone.
        if let (Some(Ok(pid)), Some(Ok(start))) = (it.next().map(str::parse::<i32>), it.next().map(str::parse::<u64>))
            && !sys::is_held_alive(&e.path())
            && gone(pid, start) {
                let _ = std::fs::remove_dir_all(e.path());
            }
    }
}

pub(super) fn make_scratch() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let pid = std::process::id() as i32;
    let start = sys::start_time(pid).unwrap_or(0);
    let dir = scratch_parent().join(format!("{SCRATCH_PREFIX}{pid}-{start}-{:016x}", rand::random::<u64>()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}
