//! The Python side's table of the boundary, `python/forkscope_rt/_abi.py`,
//! generated from the Rust side — every `extern "C"` function of `abi.rs`
//! with its ctypes signature, and every name of `names.rs` — and the tests
//! that hold the two sides together:
//!
//! - the file in the repository is what the generator makes now (a changed
//!   signature or constant fails here; `FORKSCOPE_BLESS=1 cargo test
//!   --release --lib abi_table` writes it again);
//! - every call of the library in `python/` names a function of the table
//!   with as many arguments as it takes, and passes no bare number where
//!   the function takes a selector (a named constant instead).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::names;

/// One exported function: its name, its parameters (name, Rust type), its result type.
#[derive(Debug)]
struct Function {
    name: String,
    params: Vec<(String, String)>,
    result: String,
}

/// The exported functions of `abi.rs`, in file order.
fn functions() -> Vec<Function> {
    let src = include_str!("abi.rs");
    let mut out = Vec::new();
    let mut lines = src.lines();
    while let Some(l) = lines.next() {
        if l.trim() != "#[unsafe(no_mangle)]" {
            continue;
        }
        let sig = lines.next().expect("a function after #[unsafe(no_mangle)]");
        let rest = sig.split("extern \"C\" fn ").nth(1).unwrap_or_else(|| panic!("not an extern \"C\" fn: {sig}"));
        let (name, rest) = rest.split_once('(').unwrap();
        let (params, rest) = rest.split_once(')').unwrap();
        let result = rest.split("->").nth(1).map(|r| r.trim().trim_end_matches('{').trim().to_string()).unwrap_or_else(|| "()".into());
        let params = params
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, t) = p.split_once(':').unwrap_or_else(|| panic!("{name}: parameter {p}"));
                (n.trim().to_string(), t.trim().to_string())
            })
            .collect();
        out.push(Function { name: name.trim().to_string(), params, result });
    }
    out
}

/// The ctypes type of a Rust parameter or result type.
fn ctype(t: &str) -> &'static str {
    match t {
        "u32" => "c_uint32",
        "i32" => "c_int32",
        "u8" => "c_uint8",
        "i64" => "c_int64",
        "f64" => "c_double",
        "usize" => "c_size_t",
        "*const u8" | "*mut u8" => "c_char_p",
        "*const u32" => "POINTER(c_uint32)",
        "*const i64" | "*mut i64" => "POINTER(c_int64)",
        "*mut usize" => "POINTER(c_size_t)",
        other => panic!("no ctypes type for the Rust type {other}: add it to abi_table::ctype"),
    }
}

/// Parameters that select among named values (`names.rs`): Python passes
/// a name there, never a bare number.
const SELECTORS: &[&str] = &["which", "what", "kind", "lock_kind", "stream", "tag", "op"];

/// The text of `python/forkscope_rt/_abi.py`.
fn generate() -> String {
    let mut py = String::from(
        "\"\"\"The boundary between forkscope's Python side and libforkscope.so: every
function's ctypes signature and every named number, generated from
src/python/abi.rs and src/python/names.rs. Do not edit: a test fails when
this file is out of date, and `FORKSCOPE_BLESS=1 cargo test --release --lib
abi_table` writes it again.
\"\"\"
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p

# name: (argument types, result type)
SIGNATURES = {
",
    );
    let fns = functions();
    for f in &fns {
        let args: Vec<&str> = f.params.iter().map(|(_, t)| ctype(t)).collect();
        let args = if args.len() == 1 { format!("({},)", args[0]) } else { format!("({})", args.join(", ")) };
        let result = if f.result == "i64" { "c_int64" } else if f.result.starts_with('*') { "c_void_p" } else { panic!("{}: result {}", f.name, f.result) };
        writeln!(py, "    {:?}: ({args}, {result}),", f.name).unwrap();
    }
    py.push_str("}\n\n# Functions whose arguments are all integers of 32 bits or fewer: Python may\n# call them without ctypes' argument conversion (a Python int goes as a C int).\nNARROW = (\n");
    for f in fns.iter().filter(|f| f.result == "i64" && f.params.iter().all(|(_, t)| matches!(t.as_str(), "u32" | "i32" | "u8"))) {
        writeln!(py, "    {:?},", f.name).unwrap();
    }
    py.push_str(")\n");
    let mut group = "";
    for (g, n, v) in names::ALL {
        if *g != group {
            writeln!(py, "\n# {g}").unwrap();
            group = g;
        }
        writeln!(py, "{}_{n} = {v}", g.to_uppercase()).unwrap();
    }
    py
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

#[test]
fn the_python_table_is_generated_from_the_rust_side() {
    let path = python_dir().join("forkscope_rt/_abi.py");
    let want = generate();
    if std::env::var_os("FORKSCOPE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let at = have.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "{} is out of date with src/python/abi.rs / names.rs (first difference at line {}: have {:?}, want {:?}); run `FORKSCOPE_BLESS=1 cargo test --release --lib abi_table` to write it again",
            path.display(),
            at + 1,
            have.lines().nth(at).unwrap_or(""),
            want.lines().nth(at).unwrap_or("")
        );
    }
}

/// The arguments of the call whose `(` is at the start of `s`: their texts,
/// split at top-level commas.
fn call_args(s: &str) -> Vec<String> {
    let mut depth = 0;
    let mut args = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if let Some(q) = quote {
            args.last_mut().unwrap().push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                args.last_mut().unwrap().push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > 1 {
                    args.last_mut().unwrap().push(c);
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                args.last_mut().unwrap().push(c);
            }
            ',' if depth == 1 => args.push(String::new()),
            _ => args.last_mut().unwrap().push(c),
        }
    }
    let args: Vec<String> = args.into_iter().map(|a| a.trim().to_string()).collect();
    if args.len() == 1 && args[0].is_empty() { Vec::new() } else { args }
}

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if !matches!(p.file_name().and_then(|n| n.to_str()), Some("tests" | "__pycache__")) {
                python_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "py") {
            out.push(p);
        }
    }
}

#[test]
fn every_python_call_of_the_library_matches_a_function_and_names_its_selectors() {
    let table: BTreeMap<String, Function> = functions().into_iter().map(|f| (f.name.clone(), f)).collect();
    let mut files = Vec::new();
    python_files(&python_dir(), &mut files);
    let mut calls = 0;
    let mut wrong = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, _) in text.match_indices("lib.fs_").chain(text.match_indices("fast.fs_")) {
            let at = i + text[i..].find('.').unwrap() + 1;
            let name: String = text[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let after = &text[at + name.len()..];
            if !after.starts_with('(') {
                continue; // a declaration (`lib.fs_x.restype = ...`), not a call
            }
            calls += 1;
            let line = text[..i].lines().count();
            let place = format!("{}:{line}: {name}", file.strip_prefix(python_dir()).unwrap().display());
            let Some(f) = table.get(&name) else {
                wrong.push(format!("{place}: no such function in abi.rs"));
                continue;
            };
            let args = call_args(after);
            if args.len() != f.params.len() {
                wrong.push(format!("{place}: {} arguments, abi.rs takes {} ({:?})", args.len(), f.params.len(), f.params));
                continue;
            }
            for ((pname, _), arg) in f.params.iter().zip(&args) {
                let bare = arg.trim_start_matches('-').chars().all(|c| c.is_ascii_hexdigit() || c == 'x' || c == 'X') && arg.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '-');
                if SELECTORS.contains(&pname.as_str()) && bare {
                    wrong.push(format!("{place}: the selector `{pname}` is the bare number {arg}; pass its name from forkscope_rt._abi"));
                }
            }
        }
    }
    assert!(calls > 50, "the scan found only {calls} calls of the library in python/");
    assert!(wrong.is_empty(), "calls that do not match abi.rs:\n{}", wrong.join("\n"));
}

#[test]
fn the_arguments_of_a_call_are_split_at_top_level_commas() {
    assert_eq!(call_args("(a, f(b, c), [1, 2], \"x, y\")"), ["a", "f(b, c)", "[1, 2]", "\"x, y\""]);
    assert_eq!(call_args("()"), Vec::<String>::new());
}
