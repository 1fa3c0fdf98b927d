//! Lessons ("scenarios"): a Rhai script or a Python program, plus a TOML manifest.
//!
//! Built-in lessons live in `assets/scenarios/NAME.rhai` + `NAME.toml` (named
//! `NAME`) and `assets/scenarios/py/NAME.py` + `NAME.toml` (named `NAME.py`),
//! compiled in (see `build.rs`). Any path works too: `lesson.rhai` (or a
//! Python program, `lesson.py`) with an optional `lesson.toml` beside it; a
//! file wins over a built-in of the same name. A bare script runs with its
//! file name as title and no parameters.
//!
//! A Python lesson's parameters set the program's top-level constants and
//! `[[variants]]` name further programs beside it (see [`program`]).
//!
//! Manifest:
//!
//! ```toml
//! order = 8                                   # place in `forkscope list`
//! title = { en = "…", zh = "…" }
//! story = { en = "…", zh = "…" }              # shown in the picker
//! notes = { en = "…", zh = "…" }              # what to look at
//!
//! [[params]]
//! name = "tickets"
//! default = 3                                 # bool, integer, float or string
//! min = 0                                     # numbers: optional range
//! max = 100
//! choices = ["loop", "after"]                 # strings: optional choices
//! help = { en = "…", zh = "…" }
//! only_if = { version = ["many"] }            # optional: applies only to these values of another parameter
//! constant = "TICKETS"                        # Python: the top-level constant it sets (default: NAME upper-cased, - → _)
//!
//! section = { en = "…", zh = "…" }            # Python built-ins: where in the course notes it comes from
//!
//! [[variants]]                                # Python: further programs; the first is the default
//! name = "loop"                               # a value of the `variant` parameter (made by the loader)
//! file = "join-loop.py"                       # beside the manifest
//! title = { en = "…", zh = "…" }
//! section = { en = "…", zh = "…" }            # optional
//! notes_program = "04_join_in_loop.py"        # optional: the tests/python/notes program it is
//!
//! [[bad]]                                     # a lesson-declared bad outcome
//! when = "sold > tickets"                     # Rhai expression over params and reported values
//! message = { en = "…", zh = "…" }
//! ```
//!
//! Every error names the file, line and column.

pub mod check;
pub mod condition;
pub mod copy;
pub mod program;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use crate::codec::Engine;
use crate::codec::Value;

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
include!(concat!(env!("OUT_DIR"), "/py_lessons.rs"));

/// Text in English and Chinese.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub zh: String,
}

impl Texts {
    /// The text in `lang`, falling back to the other one.
    pub fn get(&self, lang: crate::vocab::Lang) -> &str {
        let (first, second) = if lang == crate::vocab::Lang::Zh { (&self.zh, &self.en) } else { (&self.en, &self.zh) };
        if first.is_empty() { second } else { first }
    }
}

/// A parameter's default, which also fixes its type.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl ParamValue {
    pub fn to_value(&self) -> Value {
        match self {
            ParamValue::Bool(b) => Value::Bool(*b),
            ParamValue::Int(i) => Value::Int(*i),
            ParamValue::Float(f) => Value::Float(*f),
            ParamValue::Str(s) => Value::Str(s.clone()),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Bool(_) => "true or false",
            ParamValue::Int(_) => "an integer",
            ParamValue::Float(_) => "a number",
            ParamValue::Str(_) => "a string",
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Str(s) => write!(f, "{s}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    pub name: String,
    pub default: ParamValue,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub help: Texts,
    /// The parameter matters only when another (string) parameter has one of
    /// these values, e.g. `only_if = { version = ["many"] }`: the dashboard
    /// and figures leave it out of other variants' parameter lists.
    #[serde(default)]
    pub only_if: BTreeMap<String, Vec<String>>,
    /// Python: the top-level constant this parameter sets (see [`ParamSpec::constant_name`]).
    #[serde(default)]
    pub constant: Option<String>,
}

impl ParamSpec {
    /// The Python constant it sets: `constant`, else the name upper-cased
    /// with `-` as `_` (`tickets` → `TICKETS`).
    pub fn constant_name(&self) -> String {
        self.constant.clone().unwrap_or_else(|| self.name.to_uppercase().replace('-', "_"))
    }

    /// Whether it applies to the program of variant `variant` (its `only_if`
    /// on `variant`, if any, names it).
    pub fn applies_to_variant(&self, variant: &str) -> bool {
        self.only_if.get(VARIANT).is_none_or(|vs| vs.iter().any(|v| v == variant))
    }

    /// Whether this parameter applies to a run with `params`.
    pub fn applies(&self, params: &BTreeMap<String, Value>) -> bool {
        self.only_if.iter().all(|(other, values)| match params.get(other) {
            Some(Value::Str(v)) => values.contains(v),
            _ => true,
        })
    }
}

/// The parameter the loader makes for a lesson with `[[variants]]`.
pub const VARIANT: &str = "variant";

/// A further program of a Python lesson, chosen by its `variant` parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// The program, beside the manifest.
    pub file: String,
    #[serde(default)]
    pub title: Texts,
    /// Where in the course notes it comes from.
    #[serde(default)]
    pub section: Texts,
    /// The `tests/python/notes` program it is.
    #[serde(default)]
    pub notes_program: Option<String>,
}

/// A lesson-declared bad outcome: `when` holds over params and reported values.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadOutcome {
    /// What `explore --bad NAME` hunts it by (`oversold`): a word of
    /// letters, digits, `-` and `_`, unique in the lesson, none of the
    /// outcomes every lesson has (see [`RESERVED_BAD`]). Left out, it is
    /// `bad-N` (its place among the lesson's `[[bad]]`, from 1).
    #[serde(default)]
    pub name: String,
    pub when: String,
    #[serde(default)]
    pub message: Texts,
}

/// The bad outcomes every lesson has, beside its own `[[bad]]`: an assert
/// that failed, a deadlock, an error (an uncaught exception, a crash).
pub const RESERVED_BAD: [&str; 3] = ["assertion", "deadlock", "error"];

impl Manifest {
    /// The name of the `i`-th `[[bad]]` (its own, or `bad-N`).
    pub fn bad_name(&self, i: usize) -> String {
        match self.bad.get(i).map(|b| b.name.as_str()) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => format!("bad-{}", i + 1),
        }
    }

    /// Every bad outcome `explore --bad` can hunt in this lesson: its own
    /// `[[bad]]` names, then [`RESERVED_BAD`].
    pub fn bad_names(&self) -> Vec<String> {
        (0..self.bad.len()).map(|i| self.bad_name(i)).chain(RESERVED_BAD.iter().map(|s| s.to_string())).collect()
    }
}

/// A challenge: a goal the student reaches by stepping (see `when`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub when: String,
    #[serde(default)]
    pub title: Texts,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub order: i64,
    #[serde(default)]
    pub title: Texts,
    #[serde(default)]
    pub story: Texts,
    #[serde(default)]
    pub notes: Texts,
    #[serde(default)]
    pub params: Vec<ParamSpec>,
    #[serde(default)]
    pub bad: Vec<BadOutcome>,
    #[serde(default)]
    pub goals: Vec<Goal>,
    /// Where in the course notes the lesson comes from.
    #[serde(default)]
    pub section: Texts,
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// How the dashboard opens the lesson (`start = "running"`; `--run` and
    /// `--paused` override it).
    #[serde(default)]
    pub start: StartMode,
}

/// How the dashboard opens a lesson: paused on main's first op, so a class
/// can follow from the first step, or running (a lesson about timings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartMode {
    #[default]
    Paused,
    Running,
}

/// A loaded lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// `ticket-race`, or the file's stem.
    pub name: String,
    /// `builtin:NAME` or the script's path.
    pub origin: String,
    /// How errors name the script file.
    pub script_file: String,
    /// How errors name the manifest file.
    pub manifest_file: Option<String>,
    pub script: String,
    pub manifest: Manifest,
    /// The manifest's text, as read (kept so a recording can carry the lesson whole).
    pub manifest_text: Option<String>,
    /// What the script is written in (from its file name: `.py` is Python).
    pub engine: Engine,
    /// The programs of its `[[variants]]`, in the manifest's order (empty
    /// without variants, and in a lesson made ready to run by
    /// [`Lesson::for_run`], whose `script` is the one that runs).
    pub variants: Vec<Program>,
}

/// One program of a lesson with variants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The variant's name.
    pub name: String,
    /// How errors name its file.
    pub file: String,
    pub text: String,
}

/// A lesson error, pointing at file:line:column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}:{line}:{column}: {message}")]
    At { file: String, line: usize, column: usize, message: String },
    #[error("{0}")]
    Plain(String),
}

impl ScenarioError {
    pub fn at(file: &str, line: usize, column: usize, message: impl Into<String>) -> ScenarioError {
        ScenarioError::At { file: file.to_string(), line, column, message: message.into() }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |nl| before[nl + 1..].chars().count()) + 1;
    (line, col)
}

fn parse_manifest(text: &str, file: &str) -> Result<Manifest, ScenarioError> {
    let m: Manifest = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        ScenarioError::at(file, line, col, e.message().trim().to_string())
    })?;
    let mut m = m;
    program::add_variant_param(&mut m, text, file)?;
    for (i, p) in m.params.iter().enumerate() {
        let at = || {
            let needle = format!("\"{}\"", p.name);
            let off = text.find(&needle).unwrap_or(0);
            line_col(text, off)
        };
        if m.params[..i].iter().any(|q| q.name == p.name) {
            let (l, c) = at();
            return Err(ScenarioError::at(file, l, c, format!("parameter '{}' is declared twice", p.name)));
        }
        // Where this parameter's `key` is written.
        let key_at = |key: &str| {
            let name_at = text.find(&format!("\"{}\"", p.name)).unwrap_or(0);
            text[name_at..].find(key).map_or_else(at, |o| line_col(text, name_at + o))
        };
        let not_finite = [("min", p.min), ("max", p.max), ("default", if let ParamValue::Float(f) = p.default { Some(f) } else { None })]
            .into_iter()
            .find(|(_, v)| v.is_some_and(|v| !v.is_finite()));
        if let Some((key, Some(v))) = not_finite {
            let (l, c) = key_at(key);
            return Err(ScenarioError::at(file, l, c, format!("parameter {}: {key} must be a finite number, not {v}", p.name)));
        }
        for (other, values) in &p.only_if {
            let Some(q) = m.params.iter().find(|q| &q.name == other) else {
                let (l, c) = at();
                return Err(ScenarioError::at(file, l, c, format!("parameter '{}': only_if names '{other}', which is not a parameter", p.name)));
            };
            if let Some(v) = values.iter().find(|v| !q.choices.is_empty() && !q.choices.contains(v)) {
                let (l, c) = at();
                return Err(ScenarioError::at(file, l, c, format!("parameter '{}': only_if {other} = '{v}', which is not one of {}", p.name, q.choices.join(", "))));
            }
        }
        if let Some(c) = &p.constant
            && !program::is_identifier(c) {
                let (l, c2) = key_at("constant");
                return Err(ScenarioError::at(file, l, c2, format!("parameter {}: constant '{c}' is not a Python name", p.name)));
            }
        if let Err(msg) = check_value(p, &p.default) {
            // Point at this parameter's `default`.
            let (l, c) = key_at("default");
            return Err(ScenarioError::at(file, l, c, format!("default of {msg}")));
        }
    }
    Ok(m)
}

/// Checks `v` against the parameter's range/choices; `Err` says why.
fn check_value(p: &ParamSpec, v: &ParamValue) -> Result<(), String> {
    let n = match v {
        ParamValue::Int(i) => Some(*i as f64),
        ParamValue::Float(f) => Some(*f),
        _ => None,
    };
    if let Some(n) = n {
        let lo = p.min.unwrap_or(f64::NEG_INFINITY);
        let hi = p.max.unwrap_or(f64::INFINITY);
        if n < lo || n > hi {
            let range = match (p.min, p.max) {
                (Some(a), Some(b)) => format!("{a}..={b}"),
                (Some(a), None) => format!(">= {a}"),
                (None, Some(b)) => format!("<= {b}"),
                _ => String::new(),
            };
            return Err(format!("parameter {}: {v} is out of range {range}", p.name));
        }
    }
    if let ParamValue::Str(s) = v
        && !p.choices.is_empty() && !p.choices.contains(s) {
            return Err(format!("parameter {}: '{s}' is not one of {}", p.name, p.choices.join(", ")));
        }
    Ok(())
}

impl Lesson {
    /// Builds a lesson from its texts (the manifest is parsed and checked).
    pub fn from_parts(name: &str, origin: String, script_file: String, script: String, manifest_file: Option<String>, manifest_text: Option<&str>) -> Result<Lesson, ScenarioError> {
        let manifest = match (&manifest_file, manifest_text) {
            (Some(f), Some(t)) => parse_manifest(t, f)?,
            _ => Manifest { title: Texts { en: name.to_string(), zh: name.to_string() }, ..Default::default() },
        };
        let engine = Engine::of_path(&script_file);
        Ok(Lesson { name: name.to_string(), origin, script_file, manifest_file, script, manifest, manifest_text: manifest_text.map(str::to_string), engine, variants: Vec::new() })
    }

    pub fn title(&self, lang: crate::vocab::Lang) -> &str {
        let t = self.manifest.title.get(lang);
        if t.is_empty() { &self.name } else { t }
    }

    /// `buyers=10 lock=true`: the parameters that apply to the variant
    /// chosen (a `many`-only count is noise in `forever`), as a figure's
    /// footer says them.
    pub fn params_text(&self, params: &BTreeMap<String, Value>) -> String {
        let applies = |k: &String| self.manifest.params.iter().find(|p| &p.name == k).is_none_or(|p| p.applies(params));
        params.iter().filter(|(k, _)| applies(k)).map(|(k, v)| format!("{k}={}", v.to_json())).collect::<Vec<_>>().join(" ")
    }

    /// A built-in lesson (compiled in), not a file.
    pub fn is_builtin(&self) -> bool {
        self.origin.starts_with("builtin:")
    }

    /// Applies `k=v` strings over the defaults.
    pub fn resolve_params(&self, given: &[String]) -> Result<BTreeMap<String, Value>, ScenarioError> {
        let mut out: BTreeMap<String, Value> = self.manifest.params.iter().map(|p| (p.name.clone(), p.default.to_value())).collect();
        for kv in given {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(ScenarioError::Plain(format!("--param {kv}: expected NAME=VALUE")));
            };
            let (k, v) = (k.trim(), v.trim());
            let Some(spec) = self.manifest.params.iter().find(|p| p.name == k) else {
                let known: Vec<&str> = self.manifest.params.iter().map(|p| p.name.as_str()).collect();
                let has = if known.is_empty() { "it has no parameters".to_string() } else { format!("it has: {}", known.join(", ")) };
                return Err(ScenarioError::Plain(format!("--param {kv}: lesson {} has no parameter '{k}' ({has})", self.name)));
            };
            let parsed = match &spec.default {
                ParamValue::Bool(_) => match v.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => Some(ParamValue::Bool(true)),
                    "false" | "0" | "no" | "off" => Some(ParamValue::Bool(false)),
                    _ => None,
                },
                ParamValue::Int(_) => v.parse().ok().map(ParamValue::Int),
                ParamValue::Float(_) => v.parse::<f64>().ok().filter(|f| f.is_finite()).map(ParamValue::Float),
                ParamValue::Str(_) => Some(ParamValue::Str(v.to_string())),
            };
            let Some(parsed) = parsed else {
                return Err(ScenarioError::Plain(format!("--param {kv}: {k} must be {}", spec.default.type_name())));
            };
            check_value(spec, &parsed).map_err(|m| ScenarioError::Plain(format!("--param {kv}: {m}")))?;
            out.insert(k.to_string(), parsed.to_value());
        }
        Ok(out)
    }
}

/// Every built-in lesson, in `order`.
pub fn builtins() -> Vec<Lesson> {
    let mut v: Vec<Lesson> = BUILTINS
        .iter()
        .map(|(name, script, manifest)| {
            Lesson::from_parts(
                name,
                format!("builtin:{name}"),
                format!("assets/scenarios/{name}.rhai"),
                script.to_string(),
                manifest.map(|_| format!("assets/scenarios/{name}.toml")),
                *manifest,
            )
            .unwrap_or_else(|e| panic!("built-in lesson {name} is broken: {e}"))
        })
        .collect();
    v.sort_by(|a, b| a.manifest.order.cmp(&b.manifest.order).then(a.name.cmp(&b.name)));
    v
}

/// Every built-in Python lesson (named `NAME.py`), in `order`.
pub fn python_builtins() -> Vec<Lesson> {
    let mut v: Vec<Lesson> = PY_LESSONS
        .iter()
        .map(|(name, _)| python_builtin(name).unwrap_or_else(|e| panic!("built-in lesson {name}.py is broken: {e}")))
        .collect();
    v.sort_by(|a, b| a.manifest.order.cmp(&b.manifest.order).then(a.name.cmp(&b.name)));
    v
}

/// The built-in Python lesson `stem` (`ticket-race` for `ticket-race.py`).
fn python_builtin(stem: &str) -> Result<Lesson, ScenarioError> {
    let (_, manifest) = PY_LESSONS.iter().find(|(n, _)| *n == stem).ok_or_else(|| ScenarioError::Plain(format!("no built-in Python lesson {stem}.py")))?;
    let file = |f: &str| format!("assets/scenarios/py/{f}");
    let main = format!("{stem}.py");
    let read = |f: &str| PY_FILES.iter().find(|(n, _)| *n == f).map(|(_, t)| t.to_string()).ok_or_else(|| format!("{} does not exist", file(f)));
    let script = read(&main).map_err(|e| ScenarioError::at(&file(&format!("{stem}.toml")), 1, 1, format!("the lesson's program: {e}")))?;
    let mut lesson = Lesson::from_parts(&main, format!("builtin:{main}"), file(&main), script, Some(file(&format!("{stem}.toml"))), Some(manifest))?;
    program::load_variants(&mut lesson, |f| read(f).map(|t| (file(f), t)))?;
    Ok(lesson)
}

/// Loads a lesson by built-in name or by path (`x.rhai` or `x.py`, or `x.toml`
/// beside one). `NAME.py` is the built-in Python lesson when no such file exists.
/// The encoding a Python source declares (PEP 263): a comment in its first
/// line, or in its second when the first is blank or a comment, that matches
/// `coding[:=]\s*([-\w.]+)`. Lower case, `_` as `-`.
pub fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for (i, line) in bytes.split(|&b| b == b'\n').take(2).enumerate() {
        let line = line.strip_prefix(b"\xef\xbb\xbf".as_slice()).filter(|_| i == 0).unwrap_or(line);
        let t: &[u8] = {
            let start = line.iter().position(|&b| !matches!(b, b' ' | b'\t' | b'\x0c')).unwrap_or(line.len());
            &line[start..]
        };
        if t.first() == Some(&b'#') {
            let mut rest = t;
            while let Some(at) = rest.windows(6).position(|w| w == b"coding") {
                let after = &rest[at + 6..];
                if let Some((&(b':' | b'='), name)) = after.split_first() {
                    let start = name.iter().position(|&b| !matches!(b, b' ' | b'\t')).unwrap_or(name.len());
                    let name = &name[start..];
                    let len = name.iter().position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))).unwrap_or(name.len());
                    if len > 0 {
                        return Some(String::from_utf8_lossy(&name[..len]).to_ascii_lowercase().replace('_', "-"));
                    }
                }
                rest = after;
            }
        } else if !t.iter().all(|b| b.is_ascii_whitespace()) {
            // Code on the first line: the second is not looked at.
            return None;
        }
    }
    None
}

/// A Python source's bytes as UTF-8: decoded from the encoding it declares
/// (Latin-1 here; any other by the interpreter that will run it, with
/// Python's own codecs), or as they are when it declares none or UTF-8.
fn python_source_utf8(p: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, ScenarioError> {
    let Some(enc) = declared_encoding(&bytes) else { return Ok(bytes) };
    let family = |names: &[&str]| names.iter().any(|n| enc == *n || enc.starts_with(&format!("{n}-")));
    if family(&["utf-8", "utf8"]) {
        return Ok(bytes);
    }
    if family(&["latin-1", "iso-8859-1", "iso-latin-1"]) || ["latin1", "l1", "iso8859-1", "8859", "cp819", "latin", "iso-ir-100", "csisolatin1"].contains(&enc.as_str()) {
        return Ok(bytes.iter().map(|&b| b as char).collect::<String>().into_bytes());
    }
    const DECODE: &str = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode(sys.argv[1]).encode('utf-8', 'surrogatepass'))";
    let where_ = p.display().to_string();
    let python = crate::python::launch::chosen().map_err(ScenarioError::Plain)?;
    let mut child = std::process::Command::new(&python)
        .args(["-I", "-c", DECODE, &enc])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| ScenarioError::Plain(format!("{}: cannot run it: {e}", python.display())))?;
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().map_err(|e| ScenarioError::Plain(e.to_string()))?;
    let _ = feeder.join();
    if out.status.success() {
        return Ok(out.stdout);
    }
    // Python's words: `unknown encoding: x`, `'cp1252' codec can't decode …`.
    let why = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").split_once(": ").map_or(String::new(), |(_, m)| m.to_string());
    Err(ScenarioError::at(&where_, 1, 1, format!("SyntaxError: encoding problem: {enc} ({why})")))
}

pub fn load(spec: &str) -> Result<Lesson, ScenarioError> {
    if let Some(&(name, script, manifest)) = BUILTINS.iter().find(|(n, _, _)| *n == spec) {
        return Lesson::from_parts(name, format!("builtin:{name}"), format!("assets/scenarios/{name}.rhai"), script.to_string(), manifest.map(|_| format!("assets/scenarios/{name}.toml")), manifest);
    }
    let path = Path::new(spec);
    if let Some(stem) = spec.strip_suffix(".py")
        && PY_LESSONS.iter().any(|(n, _)| *n == stem)
        && std::fs::symlink_metadata(path).is_err()
    {
        return python_builtin(stem);
    }
    let (rhai, toml) = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let py = path.with_extension("py");
            (if py.exists() { py } else { path.with_extension("rhai") }, Some(path.to_path_buf()))
        }
        Some("rhai" | "py") => (path.to_path_buf(), Some(path.with_extension("toml")).filter(|t| t.exists())),
        _ if path.exists() => (path.to_path_buf(), None),
        _ => {
            let names: Vec<String> = PY_LESSONS.iter().map(|(n, _)| format!("{n}.py")).chain(BUILTINS.iter().map(|(n, _, _)| n.to_string())).collect();
            return Err(ScenarioError::Plain(format!("no lesson named '{spec}' and no such file (built-in lessons: {}; `forkscope list` shows them)", names.join(", "))));
        }
    };
    let read = |p: &Path| -> Result<String, ScenarioError> {
        // Only a regular file: a directory, a FIFO or a device is refused
        // before it is opened (reading /dev/zero would never end).
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => return Err(ScenarioError::Plain(format!("{}: is a directory, not a lesson file", p.display()))),
            Ok(m) if !m.is_file() => return Err(ScenarioError::Plain(format!("{}: not a regular file", p.display()))),
            _ => {}
        }
        let bytes = std::fs::read(p).map_err(|e| ScenarioError::Plain(format!("{}: {e}", p.display())))?;
        // A Python source may declare its encoding (PEP 263), as Python reads it.
        let bytes = match p.extension().and_then(|e| e.to_str()) {
            Some("py") => python_source_utf8(p, bytes)?,
            _ => bytes,
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            // Point at the first byte that is not UTF-8.
            let good = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.as_bytes()[..good]);
            let (line, col) = line_col(&text, good);
            ScenarioError::at(&p.display().to_string(), line, col, format!("not UTF-8 text (byte 0x{:02x})", e.as_bytes()[good]))
        })?;
        // A byte order mark (editors on Windows write one) is not part of the text.
        Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        })
    };
    let script = read(&rhai)?;
    let manifest_text = match &toml {
        Some(t) => Some(read(t)?),
        None => None,
    };
    let name = rhai.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| spec.to_string());
    let mut lesson = Lesson::from_parts(&name, rhai.display().to_string(), rhai.display().to_string(), script, toml.map(|t| t.display().to_string()), manifest_text.as_deref())?;
    let dir = rhai.parent().map(Path::to_path_buf).unwrap_or_default();
    program::load_variants(&mut lesson, |f| {
        let p = dir.join(f);
        if std::fs::symlink_metadata(&p).is_err() {
            return Err(format!("{} does not exist", p.display()));
        }
        read(&p).map(|t| (p.display().to_string(), t)).map_err(|e| e.to_string())
    })?;
    Ok(lesson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_bad_outcome_has_a_name_of_its_own() {
        for lesson in builtins().into_iter().chain(python_builtins()) {
            for (i, b) in lesson.manifest.bad.iter().enumerate() {
                assert!(!b.name.is_empty(), "{}: [[bad]] {} has no name (explore --bad NAME hunts it by name)", lesson.name, i + 1);
            }
            assert!(check::check(&lesson).is_ok(), "{}", lesson.name);
        }
        let race = python_builtins().into_iter().find(|l| l.name == "ticket-race.py").unwrap();
        assert_eq!(race.manifest.bad_names(), ["oversold", "assertion", "deadlock", "error"]);
    }

    #[test]
    fn a_python_source_declares_its_encoding_as_pep_263_says() {
        assert_eq!(declared_encoding(b"# -*- coding: latin-1 -*-\nx = 1\n").as_deref(), Some("latin-1"));
        assert_eq!(declared_encoding(b"#!/usr/bin/env python3\n# vim: set fileencoding=ISO_8859_15 :\n").as_deref(), Some("iso-8859-15"));
        assert_eq!(declared_encoding(b"\n# coding=utf8\n").as_deref(), Some("utf8"));
        assert_eq!(declared_encoding(b"x = 1\n# coding: latin-1\n"), None, "code on the first line: the second is not read");
        assert_eq!(declared_encoding(b"print('coding: latin-1')\n"), None);
        assert_eq!(declared_encoding(b"# just a comment\nx = 1\n"), None);
    }

    #[test]
    fn a_latin_1_python_source_is_read_as_python_reads_it() {
        let dir = std::env::temp_dir().join(format!("fs-latin1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("caf.py");
        // "café" in Latin-1 (0xe9), and "Ã©" (0xc3 0xa9, which is UTF-8 for é).
        std::fs::write(&file, b"# -*- coding: latin-1 -*-\nprint('caf\xe9', '\xc3\xa9')\n").unwrap();
        let lesson = load(file.to_str().unwrap()).unwrap();
        assert!(lesson.script.contains("print('café', 'Ã©')"), "{}", lesson.script);
        std::fs::write(&file, b"print('caf\xe9')\n").unwrap();
        let e = load(file.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("not UTF-8 text (byte 0xe9)"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every built-in Python lesson loads with its variants, names the
    /// section of the notes it comes from (in both languages), and sets
    /// constants its programs have; its name is its file's.
    #[test]
    fn built_in_python_lessons_are_complete() {
        let all = python_builtins();
        assert!(!all.is_empty());
        for l in &all {
            assert!(l.name.ends_with(".py") && l.is_builtin() && l.engine == Engine::Python, "{}", l.name);
            assert!(!l.manifest.section.en.is_empty() && !l.manifest.section.zh.is_empty(), "{}: a built-in names its section of the notes", l.name);
            assert_eq!(l.variants.len(), l.manifest.variants.len(), "{}", l.name);
            program::check_constants(l).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(load(&l.name).unwrap(), *l, "`{}` names it", l.name);
        }
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("票价\nx", 7), (2, 1));
        assert_eq!(line_col("票价x", 6), (1, 3));
    }

    #[test]
    fn nan_and_infinite_numbers_in_a_manifest_are_refused_at_their_spot() {
        let m = |body: &str| parse_manifest(&format!("title = {{ en = \"x\" }}\n\n[[params]]\nname = \"speed\"\n{body}"), "m.toml").unwrap_err().to_string();
        assert_eq!(m("default = 1.0\nmax = nan\n"), "m.toml:6:1: parameter speed: max must be a finite number, not NaN");
        assert_eq!(m("default = inf\n"), "m.toml:5:1: parameter speed: default must be a finite number, not inf");
        assert_eq!(m("default = 2.0\nmin = -inf\n"), "m.toml:6:1: parameter speed: min must be a finite number, not -inf");
        assert!(parse_manifest("title = { en = \"x\" }\n[[params]]\nname = \"speed\"\ndefault = 1.5\nmax = 3\n", "m.toml").is_ok());
    }

    #[test]
    fn a_script_with_a_byte_order_mark_loads() {
        let dir = std::env::temp_dir().join(format!("forkscope-bom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bom.rhai");
        std::fs::write(&file, "\u{feff}fn main() {\n    print(\"hi\");\n}\n").unwrap();
        std::fs::write(dir.join("bom.toml"), "\u{feff}title = { en = \"bom\" }\n").unwrap();
        let lesson = load(file.to_str().unwrap()).unwrap();
        assert!(lesson.script.starts_with("fn main"));
        assert_eq!(lesson.title(crate::vocab::Lang::En), "bom");
        check::check(&lesson).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn manifest_errors_point_at_the_spot() {
        let e = parse_manifest("title = { en = \"x\" }\nbogus = 3\n", "m.toml").unwrap_err();
        assert!(e.to_string().starts_with("m.toml:2:1: unknown field `bogus`"), "{e}");
        let e = parse_manifest("[[params]]\nname = \"n\"\ndefault = 500\nmax = 100\n", "m.toml").unwrap_err();
        assert_eq!(e.to_string(), "m.toml:3:1: default of parameter n: 500 is out of range <= 100");
    }

    #[test]
    fn a_lesson_opens_paused_unless_its_manifest_says_running() {
        assert_eq!(parse_manifest("title = { en = \"x\" }\n", "m.toml").unwrap().start, StartMode::Paused);
        assert_eq!(parse_manifest("start = \"running\"\n", "m.toml").unwrap().start, StartMode::Running);
        let e = parse_manifest("start = \"fast\"\n", "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1:9: unknown variant `fast`, expected `paused` or `running`"), "{e}");
        let starts: Vec<(String, StartMode)> = builtins().into_iter().filter(|l| l.manifest.start == StartMode::Running).map(|l| (l.name, l.manifest.start)).collect();
        assert_eq!(starts, [("cpu-vs-io".to_string(), StartMode::Running)], "only the timing lesson opens running");
    }

    #[test]
    fn only_if_names_a_parameter_and_its_choices() {
        let head = "[[params]]\nname = \"version\"\ndefault = \"one\"\nchoices = [\"one\", \"many\"]\n[[params]]\nname = \"n\"\ndefault = 2\n";
        let m = parse_manifest(&format!("{head}only_if = {{ version = [\"many\"] }}\n"), "m.toml").unwrap();
        let n = &m.params[1];
        let with = |v: &str| BTreeMap::from([("version".to_string(), Value::Str(v.into()))]);
        assert!(n.applies(&with("many")) && !n.applies(&with("one")));
        let e = parse_manifest(&format!("{head}only_if = {{ verson = [\"many\"] }}\n"), "m.toml").unwrap_err();
        assert!(e.to_string().contains("only_if names 'verson', which is not a parameter"), "{e}");
        let e = parse_manifest(&format!("{head}only_if = {{ version = [\"lots\"] }}\n"), "m.toml").unwrap_err();
        assert!(e.to_string().contains("'lots', which is not one of one, many"), "{e}");
    }

    #[test]
    fn params_parse_by_type_and_range() {
        let m = parse_manifest(
            "[[params]]\nname = \"lock\"\ndefault = false\n[[params]]\nname = \"tickets\"\ndefault = 3\nmin = 0\nmax = 100\n[[params]]\nname = \"mode\"\ndefault = \"loop\"\nchoices = [\"loop\", \"after\"]\n",
            "m.toml",
        )
        .unwrap();
        let l = Lesson { name: "t".into(), origin: "x".into(), script_file: "x".into(), manifest_file: None, script: String::new(), manifest: m, manifest_text: None, engine: Engine::Rhai, variants: vec![] };
        let p = l.resolve_params(&["lock=true".into(), "tickets=7".into()]).unwrap();
        assert_eq!(p["lock"], Value::Bool(true));
        assert_eq!(p["tickets"], Value::Int(7));
        assert_eq!(p["mode"], Value::Str("loop".into()));
        let e = l.resolve_params(&["tickets=1000".into()]).unwrap_err().to_string();
        assert_eq!(e, "--param tickets=1000: parameter tickets: 1000 is out of range 0..=100");
        let e = l.resolve_params(&["nope=1".into()]).unwrap_err().to_string();
        assert!(e.contains("has no parameter 'nope' (it has: lock, tickets, mode)"), "{e}");
        assert!(l.resolve_params(&["lock=maybe".into()]).unwrap_err().to_string().contains("lock must be true or false"));
        assert!(l.resolve_params(&["mode=sideways".into()]).unwrap_err().to_string().contains("'sideways' is not one of loop, after"));
    }
}
