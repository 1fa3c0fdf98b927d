//! Compiles the built-in lessons in: every `assets/scenarios/NAME.rhai` (with
//! its `NAME.toml`, if any) becomes an entry of `BUILTINS`.

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
}
