//! Hostile lessons, fuzzed with proptest: mutated built-in scripts and
//! manifests, random bytes, absurd nesting, and random `--param` values.
//! `scenario::load`, `scenario::check::check` and `Lesson::resolve_params`
//! must never panic, and every error about a lesson file must point at
//! file:line:column inside that file. Errors about a `--param` value name the
//! argument they are about (there is no file to point into).
//!
//! Cases: 1,200 mutated scripts, 600 mutated manifests, 300 files of random
//! bytes, 500 parameter sets (see each `ProptestConfig`).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use forkscope::scenario::{self, Lesson, ScenarioError};

fn builtin_sources() -> Vec<(String, String, Option<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
    let mut v: Vec<(String, String, Option<String>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rhai"))
        .map(|e| {
            let p = e.path();
            let toml = std::fs::read_to_string(p.with_extension("toml")).ok();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap(), toml)
        })
        .collect();
    v.sort();
    v
}

/// A private folder for one test's files, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("forkscope-fuzz-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Pieces that make mutations interesting to a parser.
const TOKENS: &[&str] = &[
    "(", ")", "{", "}", "[", "]", ";", ",", "\"", "`", "${", "fn ", "main", "let ", "=", "==", "#{", "Process(", "param(\"", "Fn(\"", "\n", "//", "/*", "*/", "0x", "9999999999999999999999", "-", ".", "..", "票", "\u{0}", "\\", "'",
    "[[params]]\n", "name = ", "default = ", "min = ", "max = ", "choices = [", "title = {", "en = ", "[[bad]]\nwhen = \"", "true", "1e999", "nan",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Duplicate(usize, usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(a, t)| Mutation::Insert(a, t.to_string())),
        (any::<usize>(), "\\PC{0,12}").prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), any::<usize>(), 1usize..60).prop_map(|(a, b, n)| Mutation::Duplicate(a, b, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, ms: &[Mutation]) -> String {
    let mut s = text.to_string();
    for m in ms {
        let n = s.len().max(1);
        match m {
            Mutation::Delete(a, k) => {
                let a = floor_boundary(&s, a % n);
                let b = floor_boundary(&s, a + k);
                s.replace_range(a..b, "");
            }
            Mutation::Insert(a, t) => {
                let a = floor_boundary(&s, a % n);
                s.insert_str(a, t);
            }
            Mutation::Duplicate(a, b, k) => {
                let a = floor_boundary(&s, a % n);
                let e = floor_boundary(&s, a + k);
                let piece = s[a..e].to_string();
                let at = floor_boundary(&s, b % n);
                s.insert_str(at, &piece);
            }
            Mutation::Truncate(a) => {
                let a = floor_boundary(&s, a % n);
                s.truncate(a);
            }
        }
    }
    s
}

/// Loads and checks the lesson at `script`; every error must point inside
/// one of `files` (name, content) at a real line and column.
fn load_and_check(script: &Path, files: &[(&Path, &[u8])]) -> Result<Option<Lesson>, TestCaseError> {
    let result = scenario::load(&script.to_string_lossy()).and_then(|l| scenario::check::check(&l).map(|_| l));
    match result {
        Ok(l) => Ok(Some(l)),
        Err(ScenarioError::At { file, line, column, message }) => {
            let Some((_, content)) = files.iter().find(|(p, _)| p.to_string_lossy() == file) else {
                return Err(TestCaseError::fail(format!("error names {file}, not one of the lesson's files: {message}")));
            };
            let lines = content.split(|&b| b == b'\n').count();
            prop_assert!(line >= 1 && line <= lines + 1, "{file}:{line}:{column}: line out of the file ({lines} lines): {message}");
            prop_assert!(column >= 1, "{file}:{line}:{column}: {message}");
            prop_assert!(!message.is_empty());
            Ok(None)
        }
        Err(ScenarioError::Plain(m)) => Err(TestCaseError::fail(format!("an error about a lesson file without file:line:column: {m}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scripts_never_panic_and_errors_have_a_place(which in 0usize..16, ms in prop::collection::vec(mutation(), 1..6)) {
        let sources = builtin_sources();
        let (name, script, _) = &sources[which % sources.len()];
        let dir = Dir::new("script");
        let text = apply(script, &ms);
        let path = dir.0.join(format!("{name}.rhai"));
        std::fs::write(&path, &text).unwrap();
        load_and_check(&path, &[(&path, text.as_bytes())])?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_never_panic_and_errors_have_a_place(which in 0usize..16, ms in prop::collection::vec(mutation(), 1..6)) {
        let sources = builtin_sources();
        let with_manifest: Vec<_> = sources.iter().filter(|s| s.2.is_some()).collect();
        let (name, script, manifest) = with_manifest[which % with_manifest.len()];
        let dir = Dir::new("manifest");
        let text = apply(manifest.as_deref().unwrap(), &ms);
        let rhai = dir.0.join(format!("{name}.rhai"));
        let toml = dir.0.join(format!("{name}.toml"));
        std::fs::write(&rhai, script).unwrap();
        std::fs::write(&toml, &text).unwrap();
        load_and_check(&rhai, &[(&rhai, script.as_bytes()), (&toml, text.as_bytes())])?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_and_errors_have_a_place(script in prop::collection::vec(any::<u8>(), 0..400), manifest in prop::option::of(prop::collection::vec(any::<u8>(), 0..300))) {
        let dir = Dir::new("bytes");
        let rhai = dir.0.join("x.rhai");
        let toml = dir.0.join("x.toml");
        std::fs::write(&rhai, &script).unwrap();
        let mut files: Vec<(&Path, &[u8])> = vec![(&rhai, &script)];
        if let Some(m) = &manifest {
            std::fs::write(&toml, m).unwrap();
            files.push((&toml, m));
        }
        load_and_check(&rhai, &files)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_parameters_never_panic_and_errors_name_the_argument(which in 0usize..16, given in prop::collection::vec(("[a-z_]{0,8}|lock|tickets|buyers|children|mode", prop::option::of("=|==| = "), "\\PC{0,12}|-?[0-9]{1,25}|[0-9]+\\.[0-9]*e?[0-9]*|true|yes|off|inf|NaN|1e400"), 0..4)) {
        let sources = scenario::builtins();
        let lesson = &sources[which % sources.len()];
        let args: Vec<String> = given.iter().map(|(k, eq, v)| match eq { Some(e) => format!("{k}{e}{v}"), None => format!("{k}{v}") }).collect();
        match lesson.resolve_params(&args) {
            Ok(params) => {
                for p in &lesson.manifest.params {
                    prop_assert!(params.contains_key(&p.name), "default of {} kept", p.name);
                }
            }
            Err(ScenarioError::Plain(m)) => {
                prop_assert!(m.starts_with("--param "), "names the argument: {m}");
                prop_assert!(args.iter().any(|a| m.starts_with(&format!("--param {a}:"))), "names one of {args:?}: {m}");
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error kind: {e}"))),
        }
    }
}

#[test]
fn absurd_nesting_and_size_are_errors_not_crashes() {
    let _share = crate::common::share();
    let dir = Dir::new("nesting");
    let cases: Vec<String> = vec![
        format!("fn main() {{ let x = {}1{}; }}", "(".repeat(20_000), ")".repeat(20_000)),
        format!("fn main() {{ let x = {}; }}", "[".repeat(20_000)),
        format!("fn main() {{ {} }}", "{".repeat(20_000)),
        format!("fn main() {{ {} }}", "if true { ".repeat(5_000)),
        format!("fn main() {{ let x = 1{}; }}", " + 1".repeat(50_000)),
        format!("fn main() {{ let s = \"{}\"; }}", "票".repeat(300_000)),
        "fn main() { ".repeat(10_000),
    ];
    for (i, text) in cases.iter().enumerate() {
        let path = dir.0.join(format!("n{i}.rhai"));
        std::fs::write(&path, text).unwrap();
        // Run on a thread with a normal (2 MiB) stack, like the CLI's main
        // thread would have at most: a parser that recursed without limit
        // would overflow it.
        let p = path.clone();
        let t = text.clone();
        let r = std::thread::Builder::new().stack_size(2 << 20).spawn(move || load_and_check(&p, &[(&p, t.as_bytes())]).map(|_| ())).unwrap().join();
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("case {i}: {e}"),
            Err(_) => panic!("case {i} panicked"),
        }
    }
}
