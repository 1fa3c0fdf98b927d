//! Test support: which module of the crate names which, read from the
//! sources. Every `use` tree (grouped ones expanded: `use crate::{a, b::c}`
//! names `a` and `b`) and every path written inline (`crate::a::f()`,
//! `super::b::X`) counts, resolved against the file's own module, with
//! comments, strings and `#[cfg(test)]` modules left out. The rules it checks
//! are the ones `docs/ARCHITECTURE.md` states; `cargo test --release --lib
//! layering` runs them, and `FORKSCOPE_LAYERS=1` prints the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path inside the crate, as segments (`["ui", "lanes"]`).
pub type ModPath = Vec<String>;

/// The module a file under `src/` is: `src/ui/panes/lanes.rs` → `ui::panes::lanes`,
/// `src/ui/mod.rs` → `ui`, `src/lib.rs` → the crate root (empty).
pub fn module_of(rel: &Path) -> ModPath {
    let mut segs: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let last = segs.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        segs.push(stem.to_string());
    }
    segs
}

/// The code of a Rust file without comments, string and char literals (each
/// replaced by a space) and without the items under `#[cfg(test)]`: what
/// the compiled crate names.
pub fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) && !ident_byte(b, i.wrapping_sub(1)) {
            // a raw string r"…" / r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push(' ');
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c == b'\'' {
            // a char literal ('a', '\n', '\u{..}') or a lifetime ('a)
            let close = if b.get(i + 1) == Some(&b'\\') { b[i + 2..].iter().position(|&x| x == b'\'').map(|p| i + 2 + p) } else if b.get(i + 2) == Some(&b'\'') { Some(i + 2) } else { None };
            match close {
                Some(end) => {
                    out.push(' ');
                    i = end + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    strip_test_items(&out)
}

fn ident_byte(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `out` without each item that follows a `#[cfg(test)]` (a `mod … { … }`,
/// a `mod …;`, a `fn`, a `use …;`).
fn strip_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let semi = after.find(';');
        let brace = after.find('{');
        let end = match (semi, brace) {
            (Some(s), Some(b)) if s < b => s + 1,
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, ch) in after[b..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(s), None) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path of the crate that `code` (from [`code_only`]) names, written
/// from module `here`: the leaves of every `use` tree and every inline path
/// starting with `crate::`, `super::` or `self::`, resolved to crate paths.
pub fn named_paths(here: &[String], code: &str) -> Vec<ModPath> {
    let mut out = Vec::new();
    let toks = tokens(code);
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == "use" && (i == 0 || toks[i - 1] != "::") {
            let mut j = i + 1;
            let mut tree = Vec::new();
            while j < toks.len() && toks[j] != ";" {
                tree.push(toks[j].as_str());
                j += 1;
            }
            for leaf in expand(&tree) {
                if let Some(p) = resolve(here, &leaf) {
                    out.push(p);
                }
            }
            i = j;
            continue;
        }
        if (toks[i] == "crate" || toks[i] == "super" || toks[i] == "self") && toks.get(i + 1).map(String::as_str) == Some("::") && (i == 0 || toks[i - 1] != "::") {
            let mut path = vec![toks[i].clone()];
            let mut j = i + 1;
            while toks.get(j).map(String::as_str) == Some("::") && toks.get(j + 1).is_some_and(|t| is_ident(t)) {
                path.push(toks[j + 1].clone());
                j += 2;
            }
            if toks.get(j).map(String::as_str) == Some("::") && toks.get(j + 1).map(String::as_str) == Some("{") {
                // an inline grouped path is a use tree's shape too
                let mut depth = 0;
                let mut k = j + 1;
                let mut tree: Vec<&str> = path.iter().map(String::as_str).collect();
                tree.push("::");
                while k < toks.len() {
                    if toks[k] == "{" {
                        depth += 1;
                    } else if toks[k] == "}" {
                        depth -= 1;
                    }
                    tree.push(toks[k].as_str());
                    k += 1;
                    if depth == 0 {
                        break;
                    }
                }
                for leaf in expand(&tree) {
                    if let Some(p) = resolve(here, &leaf) {
                        out.push(p);
                    }
                }
                i = k;
                continue;
            }
            if let Some(p) = resolve(here, &path) {
                out.push(p);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, braces, commas, `;` and `*`; everything else dropped.
fn tokens(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
            continue;
        }
        if matches!(c, '{' | '}' | ',' | ';' | '*') {
            out.push(c.to_string());
        } else if !c.is_whitespace() {
            out.push("·".into());
        }
        i += 1;
    }
    out
}

/// The leaves of a use tree given as tokens: `crate :: { a , b :: { c , d } }`
/// → `[crate, a]`, `[crate, b, c]`, `[crate, b, d]` (`as` renames and `*`
/// are dropped: the path before them counts).
fn expand(tree: &[&str]) -> Vec<Vec<String>> {
    fn walk(t: &[&str], prefix: &[String], out: &mut Vec<Vec<String>>) {
        // split t at top-level commas
        let mut depth = 0;
        let mut start = 0;
        let mut parts = Vec::new();
        for (k, tok) in t.iter().enumerate() {
            match *tok {
                "{" => depth += 1,
                "}" => depth -= 1,
                "," if depth == 0 => {
                    parts.push(&t[start..k]);
                    start = k + 1;
                }
                _ => {}
            }
        }
        parts.push(&t[start..]);
        for part in parts {
            let mut path = prefix.to_vec();
            let mut k = 0;
            let mut grouped = false;
            while k < part.len() {
                match part[k] {
                    "::" => {}
                    "{" => {
                        let inner = &part[k + 1..part.len().saturating_sub(1)];
                        walk(inner, &path, out);
                        grouped = true;
                        break;
                    }
                    "as" => break,
                    "self" if !path.is_empty() => {
                        if path.len() == prefix.len() {
                            out.push(path.clone());
                        }
                        grouped = true;
                    }
                    "*" => break,
                    tok if is_ident(tok) => path.push(tok.to_string()),
                    _ => {}
                }
                k += 1;
            }
            if !grouped && path.len() > prefix.len() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(tree, &[], &mut out);
    out
}

/// A path as written in module `here`, as a path from the crate root; None
/// for paths outside the crate (`std::…`, another crate).
fn resolve(here: &[String], path: &[String]) -> Option<ModPath> {
    let first = path.first()?;
    let mut base: Vec<String>;
    let mut rest = &path[1..];
    match first.as_str() {
        "crate" => base = Vec::new(),
        "self" => base = here.to_vec(),
        "super" => {
            base = here.to_vec();
            base.pop();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    if rest.first().map(String::as_str) == Some("self") {
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Who names whom: for every file under `src/`, the crate paths it names.
pub fn crate_uses() -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (p, text) in crate::sources::rust_files(&[""]) {
        let rel = p.strip_prefix(&root).expect("a file under src/");
        if rel == Path::new("main.rs") {
            continue; // the binary's crate, not this one
        }
        let here = module_of(rel);
        let code = code_only(&text);
        out.entry(here.clone()).or_default().extend(named_paths(&here, &code));
    }
    out
}


/// The layers of docs/ARCHITECTURE.md, bottom first.
pub const LAYERS: &[&[&str]] = &[
    &["clock"],
    &["sys"],
    &["vocab"],
    &["codec"],
    &["shm"],
    &["runtime"],
    &["script", "python"],
    &["worker", "model"],
    &["words"],
    &["scenario"],
    &["conductor"],
    &["recording", "headless", "export"],
    &["explore"],
    &["ui"],
    &["snapshot"],
    &["cli"],
    &["commands"],
];

/// Modules that are test support, outside the layers.
const TEST_SUPPORT: &[&str] = &["sources", "layering"];

/// The views: they speak `vocab`, never the wire format `shm`.
const VIEWS: &[&str] = &["model", "words", "ui", "export", "headless", "explore", "snapshot"];

/// The module graph: top-level edges (`ui` → `model`) and, inside each
/// module, the edges between its submodules at any depth (`ui::panes` →
/// `ui::state`, `ui::panes::overlay` → `ui::panes::resources`), each with one file that makes it.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub top: BTreeMap<(String, String), String>,
    pub siblings: BTreeMap<(String, String), String>,
}

impl Graph {
    pub fn of(uses: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Graph {
        let modules: BTreeSet<ModPath> = uses.keys().cloned().collect();
        let is_module = |m: &[String]| modules.iter().any(|k| k.starts_with(m));
        let mut g = Graph::default();
        for (m, named) in uses {
            let Some(a) = m.first() else { continue };
            if m.last().is_some_and(|l| l == "tests") {
                continue; // a test module in a file of its own
            }
            for u in named {
                let Some(b) = u.first() else { continue };
                let from = m.join("::");
                if a != b {
                    g.top.entry((a.clone(), b.clone())).or_insert(from);
                } else {
                    // Siblings at any depth: below their common parent,
                    // the two children the edge runs between.
                    let k = m.iter().zip(u.iter()).take_while(|(x, y)| x == y).count();
                    if k < m.len() && k < u.len() && is_module(&u[..=k]) {
                        g.siblings.entry((m[..=k].join("::"), u[..=k].join("::"))).or_insert(from);
                    }
                }
            }
        }
        g
    }

    /// Every broken rule, said as a sentence naming the file that breaks it.
    pub fn violations(&self) -> Vec<String> {
        let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
        let mut out = Vec::new();
        for ((a, b), file) in &self.top {
            if TEST_SUPPORT.contains(&a.as_str()) || TEST_SUPPORT.contains(&b.as_str()) {
                continue;
            }
            match (layer(a), layer(b)) {
                (Some(la), Some(lb)) if la <= lb => out.push(format!("one direction: {a} (layer {la}) names {b} (layer {lb}), in {file}")),
                (None, _) => out.push(format!("one direction: {a} is in no layer of docs/ARCHITECTURE.md (named in {file})")),
                (_, None) => out.push(format!("one direction: {b} is in no layer of docs/ARCHITECTURE.md (named by {file})")),
                _ => {}
            }
            if VIEWS.contains(&a.as_str()) && b == "shm" {
                out.push(format!("views speak vocab: {a} names the wire format shm, in {file}"));
            }
            if (a == "runtime" || a == "script") && b == "worker" {
                out.push(format!("entry above: {a} names worker, in {file}"));
            }
        }
        for cycle in cycles(&self.siblings) {
            let file = self.siblings.get(&(cycle[0].clone(), cycle[1 % cycle.len()].clone())).cloned().unwrap_or_default();
            out.push(format!("no sibling cycle: {} → {} (from {file})", cycle.join(" → "), cycle[0]));
        }
        out
    }
}

/// The cycles of a directed graph, one per strongly connected component of
/// more than one node: its members in a cycle's order.
fn cycles(edges: &BTreeMap<(String, String), String>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a).or_default().push(b);
    }
    let nodes: BTreeSet<&str> = edges.keys().flat_map(|(a, b)| [a.as_str(), b.as_str()]).collect();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for &m in next.get(n).into_iter().flatten() {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for &n in &nodes {
        if done.contains(n) {
            continue;
        }
        let from_n = reach(n);
        if !from_n.contains(n) {
            continue;
        }
        // the component: nodes reachable from n that reach n; walk it for a cycle through n
        let comp: BTreeSet<&str> = from_n.iter().copied().filter(|m| reach(m).contains(n)).collect();
        done.extend(comp.iter().copied());
        let mut path = vec![n];
        let mut at = n;
        loop {
            let step = next.get(at).into_iter().flatten().copied().find(|m| comp.contains(m) && (*m == n || !path.contains(m)));
            match step {
                Some(m) if m == n => break,
                Some(m) => {
                    path.push(m);
                    at = m;
                }
                None => break,
            }
        }
        out.push(path.into_iter().map(String::from).collect());
    }
    out
}

/// The Python side (`python/`, the package CPython imports) keeps the same
/// rules: one direction between its parts, no cycle among a package's
/// modules. Imports inside functions (loaded when first needed) count too.
pub mod python {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Its parts from the bottom up. A part is a module or, for
    /// `multiprocessing`, the whole package (its modules are checked for
    /// cycles among themselves).
    pub const LAYERS: &[&[&str]] = &[
        &["forkscope_rt._abi"],
        &["forkscope_rt"],
        &["forkscope_rt.hooks"],
        &["forkscope_rt.ending", "forkscope_rt.forks", "forkscope_rt.sockets", "forkscope_rt.libwait"],
        &["forkscope_rt.threads"],
        &["multiprocessing"],
        &["forkscope_rt.thread_sync"],
        &["forkscope_rt.install"],
        &["forkscope_rt.main"],
        &["forkscope_boot"],
    ];

    /// The part a module belongs to.
    pub fn part(module: &str) -> &str {
        if module == "multiprocessing" || module.starts_with("multiprocessing.") { "multiprocessing" } else { module }
    }

    /// The text of a Python file without its strings and comments (each
    /// replaced by a space, lines kept).
    pub fn code_only(text: &str) -> String {
        let b: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == '#' {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '"' || c == '\'' {
                let triple = i + 2 < b.len() && b[i + 1] == c && b[i + 2] == c;
                let q = if triple { 3 } else { 1 };
                i += q;
                while i < b.len() {
                    if b[i] == '\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == '\n' {
                        out.push('\n');
                        if !triple {
                            break;
                        }
                    }
                    if b[i] == c && (!triple || (i + 2 < b.len() && b[i + 1] == c && b[i + 2] == c)) {
                        i += q;
                        break;
                    }
                    i += 1;
                }
                out.push(' ');
                continue;
            }
            out.push(c);
            i += 1;
        }
        out
    }

    /// The modules of ours (`forkscope_rt`, `multiprocessing`) that `module`
    /// (a package if `package`) imports in `code`, among `known`.
    pub fn imports(module: &str, package: bool, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        // Statements, with parenthesised continuation lines joined.
        let mut stmts: Vec<String> = Vec::new();
        let mut open = 0i32;
        for line in code.lines() {
            if open > 0 {
                if let Some(last) = stmts.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            } else {
                stmts.push(line.trim().to_string());
            }
            open += line.matches('(').count() as i32 - line.matches(')').count() as i32;
            open = open.max(0);
        }
        let here: Vec<&str> = module.split('.').collect();
        let base = if package { here.clone() } else { here[..here.len() - 1].to_vec() };
        let mut add = |m: String| {
            let mut m = m;
            while !m.is_empty() {
                if known.contains(&m) {
                    out.insert(m);
                    return;
                }
                m = m.rsplit_once('.').map_or(String::new(), |(a, _)| a.to_string());
            }
        };
        for st in stmts {
            for st in st.split(';').map(str::trim) {
                if let Some(rest) = st.strip_prefix("import ") {
                    for item in rest.split(',') {
                        let name = item.split_whitespace().next().unwrap_or("");
                        add(name.to_string());
                    }
                } else if let Some(rest) = st.strip_prefix("from ") {
                    let Some((from, names)) = rest.split_once(" import ") else { continue };
                    let from = from.trim();
                    let dots = from.chars().take_while(|&c| c == '.').count();
                    let target = if dots == 0 {
                        from.to_string()
                    } else {
                        let up = base.len().saturating_sub(dots - 1);
                        let mut parts: Vec<&str> = base[..up].to_vec();
                        if from.len() > dots {
                            parts.push(&from[dots..]);
                        }
                        parts.join(".")
                    };
                    for item in names.trim_matches(|c| c == '(' || c == ')' || c == ' ').split(',') {
                        let name = item.split_whitespace().next().unwrap_or("").trim_matches(|c| c == '(' || c == ')');
                        if name.is_empty() || name == "*" {
                            continue;
                        }
                        // `from X import name`: the module X.name, or X
                        // itself; a module of CPython's own (`.util`) is not ours.
                        let sub = format!("{target}.{name}");
                        // `from . import util`: a submodule, ours or CPython's.
                        let submodule_only = dots > 0 && from.len() == dots;
                        if known.contains(&sub) {
                            add(sub);
                        } else if known.contains(&target) && !submodule_only {
                            add(target.clone());
                        }
                    }
                }
            }
        }
        out.remove(module);
        out
    }

    /// Every module of `python/` (not its tests) and what it imports of ours.
    pub fn uses() -> BTreeMap<String, BTreeSet<String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
        let mut files = Vec::new();
        let mut todo = vec![root.clone()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).expect("python/ is readable").flatten() {
                let p = e.path();
                if p.is_dir() {
                    if p.file_name().is_some_and(|n| n != "tests" && n != "__pycache__") {
                        todo.push(p);
                    }
                } else if p.extension().is_some_and(|x| x == "py") {
                    files.push(p);
                }
            }
        }
        let name = |p: &Path| {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            let package = parts.last().is_some_and(|l| l == "__init__");
            let parts = if package { &parts[..parts.len() - 1] } else { &parts[..] };
            (parts.join("."), package)
        };
        let known: BTreeSet<String> = files.iter().map(|p| name(p).0).collect();
        files.iter().map(|p| {
            let (m, package) = name(p);
            let code = code_only(&std::fs::read_to_string(p).expect("a python file"));
            let named = imports(&m, package, &code, &known);
            (m, named)
        }).collect()
    }

    /// Every broken rule, said as a sentence.
    pub fn violations(uses: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
        let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&part(m)));
        let mut out = Vec::new();
        let mut siblings = BTreeMap::new();
        for (a, named) in uses {
            for b in named {
                let (pa, pb) = (part(a), part(b));
                if pa == pb {
                    if pa == "multiprocessing" {
                        siblings.insert((a.clone(), b.clone()), a.clone());
                    }
                    continue;
                }
                match (layer(a), layer(b)) {
                    (Some(la), Some(lb)) if la <= lb => out.push(format!("one direction: {a} (layer {la}) imports {b} (layer {lb})")),
                    (None, _) => out.push(format!("one direction: {a} is in no layer of docs/ARCHITECTURE.md")),
                    (_, None) => out.push(format!("one direction: {b} is in no layer of docs/ARCHITECTURE.md (imported by {a})")),
                    _ => {}
                }
            }
        }
        for cycle in super::cycles(&siblings) {
            out.push(format!("no sibling cycle: {} → {}", cycle.join(" → "), cycle[0]));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ModPath {
        s.split("::").filter(|x| !x.is_empty()).map(String::from).collect()
    }

    #[test]
    fn print_graph() {
        if std::env::var_os("FORKSCOPE_LAYERS").is_none() { return; }
        let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (m, uses) in crate_uses() {
            let a = m.first().cloned().unwrap_or_else(|| "lib".into());
            for u in uses {
                let b = u.first().cloned().unwrap_or_default();
                if a != b { top.entry(a.clone()).or_default().insert(b); }
            }
        }
        for (a, bs) in top { println!("{a} -> {}", bs.into_iter().collect::<Vec<_>>().join(" ")); }
        let mut sib: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (m, uses) in crate_uses() {
            if m.len() < 2 { continue; }
            for u in uses {
                if u.len() >= 2 && u[0] == m[0] && u[1] != m[1] { sib.entry(format!("{}::{}", m[0], m[1])).or_default().insert(format!("{}::{}", u[0], u[1])); }
            }
        }
        for (a, bs) in sib { println!("  {a} -> {}", bs.into_iter().collect::<Vec<_>>().join(" ")); }
    }

    #[test]
    fn the_crate_keeps_every_layering_rule() {
        let uses = crate_uses();
        assert!(uses.len() > 100, "read the sources ({} modules)", uses.len());
        let broken = Graph::of(&uses).violations();
        assert!(broken.is_empty(), "the layering of docs/ARCHITECTURE.md is broken:\n{}", broken.join("\n"));
    }

    #[test]
    fn the_python_side_keeps_every_layering_rule() {
        let uses = python::uses();
        assert!(uses.len() > 20, "read python/ ({} modules)", uses.len());
        assert!(uses["multiprocessing.context"].contains("multiprocessing.process"), "{:?}", uses["multiprocessing.context"]);
        let broken = python::violations(&uses);
        if std::env::var_os("FORKSCOPE_LAYERS").is_some() {
            for (m, named) in &uses {
                eprintln!("{m} -> {}", named.iter().cloned().collect::<Vec<_>>().join(", "));
            }
        }
        assert!(broken.is_empty(), "the layering of python/ (docs/ARCHITECTURE.md) is broken:\n{}", broken.join("\n"));
        // Planted: a runtime module that imports multiprocessing, and a cycle.
        let mut planted = uses.clone();
        planted.get_mut("forkscope_rt.hooks").unwrap().insert("multiprocessing.synchronize".into());
        planted.get_mut("multiprocessing.process").unwrap().insert("multiprocessing.context".into());
        let v = python::violations(&planted);
        assert!(v.iter().any(|s| s.contains("one direction: forkscope_rt.hooks")), "{v:?}");
        assert!(v.iter().any(|s| s.contains("no sibling cycle") && s.contains("multiprocessing.context")), "{v:?}");
    }

    #[test]
    fn python_imports_are_read_as_python_reads_them() {
        let known: BTreeSet<String> = ["forkscope_rt", "forkscope_rt.hooks", "forkscope_rt._abi", "multiprocessing", "multiprocessing.context", "multiprocessing._common"].into_iter().map(String::from).collect();
        let code = python::code_only("import os\nfrom . import util\n\"\"\"\nfrom forkscope_rt import main\n\"\"\"\nfrom . import _common, context as c  # from forkscope_rt import x\nfrom forkscope_rt import (\n    _abi,\n    ok,\n)\ndef f():\n    import forkscope_rt.hooks\n");
        let got = python::imports("multiprocessing.queues", false, &code, &known);
        let want: BTreeSet<String> = ["multiprocessing._common", "multiprocessing.context", "forkscope_rt._abi", "forkscope_rt", "forkscope_rt.hooks"].into_iter().map(String::from).collect();
        assert_eq!(got, want);
    }

    /// Each rule fails on a violation planted into the real graph.
    #[test]
    fn each_rule_fails_on_a_planted_violation() {
        let base = Graph::of(&crate_uses());
        let plant = |top: Option<(&str, &str)>, sib: &[(&str, &str)]| {
            let mut g = base.clone();
            if let Some((a, b)) = top {
                g.top.insert((a.into(), b.into()), "planted.rs".into());
            }
            for (a, b) in sib {
                g.siblings.insert(((*a).into(), (*b).into()), "planted.rs".into());
            }
            g.violations()
        };
        let said = |v: Vec<String>, what: &str| assert!(v.iter().any(|s| s.contains(what) && s.contains("planted")), "{what}: {v:?}");
        said(plant(Some(("model", "ui")), &[]), "one direction: model");
        said(plant(Some(("snapshot", "snapshot2")), &[]), "no layer");
        said(plant(Some(("script", "python")), &[]), "one direction: script");
        said(plant(Some(("ui", "shm")), &[]), "views speak vocab");
        said(plant(Some(("runtime", "worker")), &[]), "entry above");
        said(plant(None, &[("planted::a", "planted::b"), ("planted::b", "planted::a")]), "no sibling cycle");
        said(plant(None, &[("planted::deep::a", "planted::deep::b"), ("planted::deep::b", "planted::deep::a")]), "no sibling cycle");
    }

    #[test]
    fn siblings_are_found_at_any_depth() {
        let mut uses: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        uses.entry(p("ui::panes::overlay")).or_default().insert(p("ui::panes::resources::file_line"));
        uses.entry(p("ui::panes::resources")).or_default().insert(p("ui::panes::overlay::x"));
        uses.entry(p("ui::panes::lanes")).or_default().insert(p("ui::state::View"));
        uses.entry(p("ui::state")).or_default();
        let g = Graph::of(&uses);
        assert!(g.siblings.contains_key(&("ui::panes::overlay".to_string(), "ui::panes::resources".to_string())), "{:?}", g.siblings);
        assert!(g.siblings.contains_key(&("ui::panes".to_string(), "ui::state".to_string())), "{:?}", g.siblings);
        assert!(g.violations().iter().any(|v| v.contains("no sibling cycle") && v.contains("ui::panes::overlay")), "{:?}", g.violations());
    }

    #[test]
    fn a_grouped_use_tree_names_each_of_its_leaves() {
        let here = p("ui::lanes");
        let code = code_only("use crate::{model::Model, shm, ui::{theme::Theme, text}};\nuse super::state::{self, View};\n");
        let got = named_paths(&here, &code);
        for want in ["model::Model", "shm", "ui::theme::Theme", "ui::text", "ui::state", "ui::state::View"] {
            assert!(got.contains(&p(want)), "{want} not in {got:?}");
        }
    }

    #[test]
    fn inline_paths_count_and_comments_strings_and_tests_do_not() {
        let here = p("model::summary");
        let text = "fn f() { crate::words::say(1); super::super::shm::x(); let s = \"crate::ui::y\"; } // crate::ui::z\n#[cfg(test)]\nmod tests { use crate::snapshot; }\nfn g() { crate::{a, b::c}::h(); }\n";
        let got = named_paths(&here, &code_only(text));
        assert!(got.contains(&p("words::say")), "{got:?}");
        assert!(got.contains(&p("shm::x")), "{got:?}");
        assert!(!got.iter().any(|x| x.first().map(String::as_str) == Some("ui")), "{got:?}");
        assert!(!got.contains(&p("snapshot")), "{got:?}");
    }
}
