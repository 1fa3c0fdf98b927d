//! Compiles the built-in lessons in: every `assets/scenarios/NAME.rhai` (with
//! its `NAME.toml`, if any) becomes an entry of `BUILTINS`; every
//! `assets/scenarios/py/NAME.toml` an entry of `PY_LESSONS` and every `.py`
//! beside them (lesson and variant programs) one of `PY_FILES`; and
//! forkscope's Python side (`python/`), served to CPython by the library.

use std::fmt::Write;

fn main() {
    let dir = std::path::Path::new("assets/scenarios");
    println!("cargo::rerun-if-changed=assets/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let p = e.path();
                    if p.extension()? != "rhai" {
                        return None;
                    }
                    Some(p.file_stem()?.to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("/// Built-in lessons: (name, script, manifest).\npub static BUILTINS: &[(&str, &str, Option<&str>)] = &[\n");
    for n in &names {
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        let rhai = format!("{root}/assets/scenarios/{n}.rhai");
        let toml = format!("{root}/assets/scenarios/{n}.toml");
        println!("cargo::rerun-if-changed={rhai}");
        println!("cargo::rerun-if-changed={toml}");
        let manifest = if std::path::Path::new(&toml).exists() { format!("Some(include_str!({toml:?}))") } else { "None".into() };
        writeln!(out, "    ({n:?}, include_str!({rhai:?}), {manifest}),").unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(dest, out).unwrap();
    python_lessons();
    python_sources();
}

/// The built-in Python lessons: `assets/scenarios/py/NAME.toml` manifests
/// (`PY_LESSONS`: name, manifest) and the programs beside them (`PY_FILES`:
/// file name, text), which the manifests name as `NAME.py` and variant files.
fn python_lessons() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let dir = std::path::Path::new(&root).join("assets/scenarios/py");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    entries.sort();
    let mut lessons = String::from("/// Built-in Python lessons: (name without `.py`, manifest).\npub static PY_LESSONS: &[(&str, &str)] = &[\n");
    let mut files = String::from("/// Programs of the built-in Python lessons: (file name, text).\npub static PY_FILES: &[(&str, &str)] = &[\n");
    for p in &entries {
        let (Some(stem), Some(ext)) = (p.file_stem().and_then(|s| s.to_str()), p.extension().and_then(|s| s.to_str())) else { continue };
        println!("cargo::rerun-if-changed={}", p.display());
        match ext {
            "toml" => writeln!(lessons, "    ({stem:?}, include_str!({:?})),", p.display().to_string()).unwrap(),
            "py" => writeln!(files, "    (\"{stem}.py\", include_str!({:?})),", p.display().to_string()).unwrap(),
            _ => {}
        }
    }
    lessons.push_str("];\n");
    files.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("py_lessons.rs");
    std::fs::write(dest, lessons + &files).unwrap();
}

/// Compiles forkscope's Python side in: every `python/**.py` but the tests
/// becomes an entry of `PY_SOURCES` (path relative to `python/`, text), which
/// the library serves to the interpreter (see `src/python/abi.rs`).
fn python_sources() {
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("python");
    println!("cargo::rerun-if-changed=python");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        println!("cargo::rerun-if-changed={}", d.display());
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "tests" && name != "__pycache__" {
                    dirs.push(p);
                }
            } else if name.ends_with(".py") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = String::from("/// forkscope's Python side: (path under `python/`, source).\npub static PY_SOURCES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        println!("cargo::rerun-if-changed={}", f.display());
        writeln!(out, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("python_sources.rs");
    std::fs::write(dest, out).unwrap();
}
