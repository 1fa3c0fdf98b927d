//! A Python lesson's program as a run gets it: which file (`[[variants]]`,
//! chosen by the `variant` parameter the loader makes) and the top-level
//! constants its parameters set. `TICKETS = 3` in the file and
//! `--param tickets=5` run (and show) `TICKETS = 5`, so the file stays plain
//! Python that `python3 FILE` runs with the manifest's defaults.
//!
//! A constant is one top-level assignment `NAME = LITERAL` (an optional
//! annotation and a trailing comment allowed), LITERAL an int, a float,
//! `True`/`False` or a quoted string: what a teacher writes at the top of a
//! program, and what can be replaced without running it.

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Lesson, Manifest, ParamSpec, ParamValue, Program, ScenarioError, Texts, VARIANT, line_col};
use crate::codec::Value;

/// A Python identifier (ASCII: what a constant's name is in practice).
pub fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Byte offset of the `i`-th `[[variants]]` table in a manifest (0 if not
/// written that way), for errors about that variant.
fn variant_at(text: &str, i: usize) -> usize {
    text.match_indices("[[variants]]").nth(i).map_or(0, |(o, _)| o)
}

/// Where `key = "value"` is written in the `i`-th variant's table.
fn variant_key_at(text: &str, i: usize, value: &str) -> (usize, usize) {
    let from = variant_at(text, i);
    let off = text[from..].find(&format!("\"{value}\"")).map_or(from, |o| from + o);
    line_col(text, off)
}

/// Checks a manifest's `[[variants]]` and makes its `variant` parameter
/// (choices: the names; default: the first), first in the parameter list.
pub(super) fn add_variant_param(m: &mut Manifest, text: &str, file: &str) -> Result<(), ScenarioError> {
    if m.variants.is_empty() {
        return Ok(());
    }
    let err = |i: usize, value: &str, msg: String| {
        let (l, c) = variant_key_at(text, i, value);
        Err(ScenarioError::at(file, l, c, msg))
    };
    for (i, v) in m.variants.iter().enumerate() {
        if v.name.is_empty() || v.name.contains(char::is_whitespace) || v.name.contains('=') {
            return err(i, &v.name, format!("variant '{}': a name is one word (it is a value of --param variant=NAME)", v.name));
        }
        if m.variants[..i].iter().any(|w| w.name == v.name) {
            return err(i, &v.name, format!("variant '{}' is declared twice", v.name));
        }
        if !v.file.ends_with(".py") || v.file.contains('/') || v.file.starts_with('.') {
            return err(i, &v.file, format!("variant {}: file '{}' must be a .py file beside the manifest", v.name, v.file));
        }
    }
    if m.params.iter().any(|p| p.name == VARIANT) {
        let (l, c) = line_col(text, text.find("\"variant\"").unwrap_or(0));
        return Err(ScenarioError::at(file, l, c, "the `variant` parameter is made from [[variants]]; do not declare it"));
    }
    let spec = ParamSpec {
        name: VARIANT.into(),
        default: ParamValue::Str(m.variants[0].name.clone()),
        min: None,
        max: None,
        choices: m.variants.iter().map(|v| v.name.clone()).collect(),
        help: Texts { en: "which program runs".into(), zh: "运行哪个程序".into() },
        only_if: BTreeMap::new(),
        constant: None,
    };
    m.params.insert(0, spec);
    Ok(())
}

/// Fills `lesson.variants` with each variant's program: the lesson's own
/// program when the variant names its file, else what `read(file)` gives
/// (how errors name it, its text) or why it cannot.
pub(super) fn load_variants(lesson: &mut Lesson, read: impl Fn(&str) -> Result<(String, String), String>) -> Result<(), ScenarioError> {
    let own = std::path::Path::new(&lesson.script_file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mfile = lesson.manifest_file.clone().unwrap_or_default();
    let mtext = lesson.manifest_text.clone().unwrap_or_default();
    let mut programs = Vec::new();
    for (i, v) in lesson.manifest.variants.iter().enumerate() {
        let (file, text) = if v.file == own {
            (lesson.script_file.clone(), lesson.script.clone())
        } else {
            read(&v.file).map_err(|why| {
                let (l, c) = variant_key_at(&mtext, i, &v.file);
                ScenarioError::at(&mfile, l, c, format!("variant {}: {why}", v.name))
            })?
        };
        programs.push(Program { name: v.name.clone(), file, text });
    }
    lesson.variants = programs;
    Ok(())
}

/// A top-level assignment `NAME = …` in a Python program.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Bytes of the value as written (up to a comment or the line's end).
    pub value: Range<usize>,
    /// The value, when it is a literal a parameter can set.
    pub literal: Option<ParamValue>,
}

/// Every top-level assignment to `name` in `text`, in order (lines inside a
/// triple-quoted string are not code).
pub fn assignments(text: &str, name: &str) -> Vec<Assignment> {
    let mut out = Vec::new();
    let mut in_triple: Option<&str> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let here = start;
        start += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if in_triple.is_none()
            && let Some(rest) = body.strip_prefix(name)
            && let Some(value_at) = assigned_value(rest)
        {
            let from = body.len() - rest.len() + value_at;
            let v = &body[from..];
            let (literal, len) = match parse_literal(v) {
                Some((lit, len)) if only_comment_after(&v[len..]) => (Some(lit), len),
                _ => (None, v.find(" #").unwrap_or(v.len())),
            };
            out.push(Assignment { value: here + from..here + from + len, literal });
        }
        in_triple = triple_state(body, in_triple);
    }
    out
}

/// After the name: `= value` (or `: T = value`, not `==`); the value's offset in `rest`.
fn assigned_value(rest: &str) -> Option<usize> {
    if !rest.starts_with([' ', '\t', '=', ':']) {
        return None;
    }
    let mut r = rest.trim_start();
    if let Some(ann) = r.strip_prefix(':') {
        r = &ann[ann.find('=')?..];
    }
    let after = r.strip_prefix('=').filter(|a| !a.starts_with('='))?;
    let value = after.trim_start();
    Some(rest.len() - value.len())
}

fn only_comment_after(s: &str) -> bool {
    let s = s.trim_start();
    s.is_empty() || s.starts_with('#')
}

/// Whether a line ends inside a triple-quoted string (`"""`/`'''`), given
/// whether it began inside one. Comments end the scan; other strings are
/// taken as they come (good enough for the programs of a course).
fn triple_state<'a>(line: &str, mut open: Option<&'a str>) -> Option<&'a str> {
    let mut i = 0;
    let b = line.as_bytes();
    while i < b.len() {
        match open {
            Some(q) => match line[i..].find(q) {
                Some(o) => {
                    i += o + 3;
                    open = None;
                }
                None => return open,
            },
            None => {
                if line[i..].starts_with("\"\"\"") {
                    open = Some("\"\"\"");
                    i += 3;
                } else if line[i..].starts_with("'''") {
                    open = Some("'''");
                    i += 3;
                } else if b[i] == b'#' {
                    return None;
                } else if b[i] == b'"' || b[i] == b'\'' {
                    // A one-line string: skip it (a `#` in it is no comment).
                    i += parse_string(&line[i..]).map_or(1, |(_, n)| n);
                } else {
                    i += line[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }
    open
}

/// A Python literal at the start of `s`: its value and length in bytes.
pub fn parse_literal(s: &str) -> Option<(ParamValue, usize)> {
    for (word, b) in [("True", true), ("False", false)] {
        if s.starts_with(word) && !s[word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            return Some((ParamValue::Bool(b), word.len()));
        }
    }
    if s.starts_with(['"', '\'']) {
        return parse_string(s).map(|(t, n)| (ParamValue::Str(t), n));
    }
    let len = s.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))).unwrap_or(s.len());
    let num = &s[..len];
    // A sign only leads, or follows an exponent's `e`.
    let signs_ok = num.char_indices().all(|(i, c)| !matches!(c, '+' | '-') || i == 0 || matches!(num.as_bytes()[i - 1], b'e' | b'E'));
    if num.is_empty() || !signs_ok || num.contains("__") || num.ends_with('_') {
        return None;
    }
    let plain = num.replace('_', "");
    let digits = plain.trim_start_matches(['+', '-']);
    if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if let Ok(i) = plain.parse::<i64>() {
        // Python refuses `07` (a leading zero) but takes `0`.
        let leading_zero = digits.len() > 1 && digits.starts_with('0');
        return (!leading_zero).then_some((ParamValue::Int(i), len));
    }
    if digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) {
        return plain.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| (ParamValue::Float(f), len));
    }
    None
}

/// A one-line quoted string at the start of `s` (no prefix): its text and length.
fn parse_string(s: &str) -> Option<(String, usize)> {
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut out = String::new();
    let mut it = s.char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        match c {
            c if c == q => return Some((out, i + 1)),
            '\n' => return None,
            '\\' => {
                let (_, e) = it.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '\\' | '\'' | '"' => out.push(e),
                    // Python keeps an unknown escape as written.
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// `v` written as a Python literal; a string in the quotes of `like` (the
/// literal it replaces), so the line reads as the teacher wrote it.
pub fn python_literal(v: &Value, like: &str) -> String {
    match v {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        // Debug keeps the `.0` that makes it a float in Python (`2.0`, `1e100`).
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => {
            let q = if like.starts_with('\'') { '\'' } else { '"' };
            let mut out = String::from(q);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c == q => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push(q);
            out
        }
        other => other.to_json().to_string(),
    }
}

/// Whether the literal written in the file is the manifest's default.
fn same_value(written: &ParamValue, default: &ParamValue) -> bool {
    match (written, default) {
        (ParamValue::Int(a), ParamValue::Float(b)) => *a as f64 == *b,
        (a, b) => a == b,
    }
}

/// Where the manifest declares parameter `name`.
fn param_at(lesson: &Lesson, name: &str) -> ScenarioError {
    let mfile = lesson.manifest_file.as_deref().unwrap_or(&lesson.script_file);
    let text = lesson.manifest_text.as_deref().unwrap_or("");
    let (l, c) = line_col(text, text.find(&format!("\"{name}\"")).unwrap_or(0));
    ScenarioError::at(mfile, l, c, String::new())
}

fn with_message(e: ScenarioError, message: String) -> ScenarioError {
    match e {
        ScenarioError::At { file, line, column, .. } => ScenarioError::At { file, line, column, message },
        ScenarioError::Plain(_) => ScenarioError::Plain(message),
    }
}

/// The one settable assignment of `p`'s constant in `program` (its file
/// `file`), or the error a check reports for it.
fn the_constant(lesson: &Lesson, p: &ParamSpec, file: &str, program: &str) -> Result<Assignment, ScenarioError> {
    let name = p.constant_name();
    let found = assignments(program, &name);
    let at = |a: &Assignment, msg: String| {
        let (l, c) = line_col(program, a.value.start);
        ScenarioError::at(file, l, c, msg)
    };
    match found.as_slice() {
        [] => Err(with_message(param_at(lesson, &p.name), format!("parameter {} sets the constant {name}, but {file} has no top-level `{name} = …` (add one, with the default {})", p.name, python_literal(&p.default.to_value(), "\"")))),
        [a] => match &a.literal {
            None => Err(at(a, format!("{name} = {} is not a literal (an int, float, True/False or a quoted string), so parameter {} cannot set it", &program[a.value.clone()], p.name))),
            Some(_) => Ok(a.clone()),
        },
        [first, again, ..] => {
            let (l, _) = line_col(program, first.value.start);
            Err(at(again, format!("{name} is assigned at top level again (first at line {l}): parameter {} sets one constant, so assign it once", p.name)))
        }
    }
}

/// Every program of a Python lesson (each variant's, or its own) has, for
/// each parameter that applies to it, its constant, once, as a literal
/// equal to the manifest's default.
pub fn check_constants(lesson: &Lesson) -> Result<(), ScenarioError> {
    let own = [Program { name: String::new(), file: lesson.script_file.clone(), text: lesson.script.clone() }];
    let programs: &[Program] = if lesson.variants.is_empty() { &own } else { &lesson.variants };
    for prog in programs {
        for p in lesson.manifest.params.iter().filter(|p| p.name != VARIANT && (lesson.variants.is_empty() || p.applies_to_variant(&prog.name))) {
            let a = the_constant(lesson, p, &prog.file, &prog.text)?;
            let written = a.literal.expect("the_constant gives a literal");
            if !same_value(&written, &p.default) {
                let (l, c) = line_col(&prog.text, a.value.start);
                let text = &prog.text[a.value.clone()];
                return Err(ScenarioError::at(&prog.file, l, c, format!("{} = {text}, but the manifest's default for parameter {} is {} (`python3` runs the file as written, so the two must agree)", p.constant_name(), p.name, python_literal(&p.default.to_value(), text))));
            }
        }
    }
    Ok(())
}

impl Lesson {
    /// The lesson as a run with `params` gets it: a Python lesson's `script`
    /// is its variant's program (`script_file`, and for a file its `origin`,
    /// name that file) with each applying parameter's constant set to the
    /// parameter's value. A Rhai lesson is returned as it is.
    pub fn for_run(&self, params: &BTreeMap<String, Value>) -> Result<Lesson, ScenarioError> {
        let mut l = self.clone();
        if self.engine != super::Engine::Python {
            return Ok(l);
        }
        let variant = match params.get(VARIANT) {
            Some(Value::Str(v)) if !self.variants.is_empty() => Some(v.as_str()),
            _ => None,
        };
        if let Some(v) = variant {
            let p = self.variants.iter().find(|p| p.name == v).ok_or_else(|| ScenarioError::Plain(format!("--param variant={v}: lesson {} has no such variant (it has: {})", self.name, self.variants.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "))))?;
            l.script = p.text.clone();
            l.script_file = p.file.clone();
            if !self.is_builtin() {
                l.origin = p.file.clone();
            }
        }
        for p in self.manifest.params.iter().filter(|p| p.name != VARIANT && variant.is_none_or(|v| p.applies_to_variant(v))) {
            let Some(value) = params.get(&p.name) else { continue };
            let a = the_constant(self, p, &l.script_file, &l.script)?;
            let literal = python_literal(value, &l.script[a.value.clone()]);
            l.script.replace_range(a.value, &literal);
        }
        l.variants.clear();
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Option<ParamValue> {
        parse_literal(s).map(|(v, _)| v)
    }

    #[test]
    fn literals_as_python_reads_them() {
        assert_eq!(lit("3"), Some(ParamValue::Int(3)));
        assert_eq!(lit("-3"), Some(ParamValue::Int(-3)));
        assert_eq!(lit("1_000"), Some(ParamValue::Int(1000)));
        assert_eq!(lit("0.5"), Some(ParamValue::Float(0.5)));
        assert_eq!(lit("1e3"), Some(ParamValue::Float(1000.0)));
        assert_eq!(lit(".5"), Some(ParamValue::Float(0.5)));
        assert_eq!(lit("True"), Some(ParamValue::Bool(true)));
        assert_eq!(lit("False  # off"), Some(ParamValue::Bool(false)));
        assert_eq!(lit("'a\\'b'"), Some(ParamValue::Str("a'b".into())));
        assert_eq!(lit("\"票\""), Some(ParamValue::Str("票".into())));
        for not in ["Truex", "07", "1__0", "x", "3-1", "'open", "int(3)", "None", "[1]"] {
            assert_eq!(lit(not), None, "{not}");
        }
    }

    #[test]
    fn top_level_assignments_only() {
        let src = "TICKETS = 3  # how many\nTICKETS_MAX = 9\n    TICKETS = 4\nTICKETS == 3\ns = '''\nTICKETS = 5\n'''\nN: int = 2\nM = 1 + 1\n";
        let a = assignments(src, "TICKETS");
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(&src[a[0].value.clone()], "3");
        assert_eq!(a[0].literal, Some(ParamValue::Int(3)));
        let n = assignments(src, "N");
        assert_eq!((n.len(), n[0].literal.clone()), (1, Some(ParamValue::Int(2))));
        let m = assignments(src, "M");
        assert_eq!((&src[m[0].value.clone()], m[0].literal.clone()), ("1 + 1", None));
    }

    #[test]
    fn values_are_written_as_python_literals() {
        assert_eq!(python_literal(&Value::Bool(true), "False"), "True");
        assert_eq!(python_literal(&Value::Float(2.0), "1.5"), "2.0");
        assert_eq!(python_literal(&Value::Int(-4), "3"), "-4");
        assert_eq!(python_literal(&Value::Str("it's \"x\"\n".into()), "'a'"), "'it\\'s \"x\"\\n'");
        assert_eq!(python_literal(&Value::Str("a\\b".into()), "\"a\""), "\"a\\\\b\"");
        // What is written reads back as the same value.
        for v in [Value::Str("é'\"\\\t".into()), Value::Float(0.1), Value::Float(1e100), Value::Int(i64::MIN + 1)] {
            let text = python_literal(&v, "'");
            assert_eq!(lit(&text).map(|p| p.to_value()), Some(v), "{text}");
        }
    }

    fn lesson(dir: &std::path::Path, manifest: &str, files: &[(&str, &str)]) -> Result<Lesson, ScenarioError> {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("l.toml"), manifest).unwrap();
        for (f, t) in files {
            std::fs::write(dir.join(f), t).unwrap();
        }
        super::super::load(dir.join("l.py").to_str().unwrap())
    }

    struct Tmp(std::path::PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn tmp(tag: &str) -> Tmp {
        Tmp(std::env::temp_dir().join(format!("forkscope-program-{tag}-{}", std::process::id())))
    }

    const MANIFEST: &str = "title = { en = \"l\" }\n\n[[variants]]\nname = \"one\"\nfile = \"l.py\"\n\n[[variants]]\nname = \"two\"\nfile = \"l-two.py\"\n\n[[params]]\nname = \"tickets\"\ndefault = 3\n\n[[params]]\nname = \"who\"\ndefault = \"ann\"\nconstant = \"WHO\"\nonly_if = { variant = [\"two\"] }\n";

    #[test]
    fn variants_choose_the_program_and_params_set_its_constants() {
        let d = tmp("variants");
        let l = lesson(&d.0, MANIFEST, &[("l.py", "TICKETS = 3\nprint(TICKETS)\n"), ("l-two.py", "TICKETS = 3  # n\nWHO = 'ann'\nprint(WHO * TICKETS)\n")]).unwrap();
        assert_eq!(l.manifest.params[0].name, "variant");
        assert_eq!(l.manifest.params[0].choices, ["one", "two"]);
        assert_eq!(l.variants.len(), 2);
        check_constants(&l).unwrap();
        let run = l.for_run(&l.resolve_params(&["tickets=5".into()]).unwrap()).unwrap();
        assert_eq!(run.script, "TICKETS = 5\nprint(TICKETS)\n");
        let run = l.for_run(&l.resolve_params(&["variant=two".into(), "who=bob's".into()]).unwrap()).unwrap();
        assert_eq!(run.script, "TICKETS = 3  # n\nWHO = 'bob\\'s'\nprint(WHO * TICKETS)\n");
        assert!(run.script_file.ends_with("l-two.py") && run.origin.ends_with("l-two.py") && run.variants.is_empty());
        let e = l.resolve_params(&["variant=three".into()]).unwrap_err().to_string();
        assert!(e.contains("'three' is not one of one, two"), "{e}");
    }

    #[test]
    fn constants_are_checked_at_their_spot() {
        let d = tmp("constants");
        let two = "TICKETS = 3\nWHO = 'ann'\n";
        let err = |one: &str, two: &str| check_constants(&lesson(&d.0, MANIFEST, &[("l.py", one), ("l-two.py", two)]).unwrap()).unwrap_err().to_string();
        let e = err("print(1)\n", two);
        assert!(e.contains("l.toml:12:8: parameter tickets sets the constant TICKETS, but") && e.contains("l.py has no top-level `TICKETS = …` (add one, with the default 3)"), "{e}");
        let e = err("TICKETS = int('3')\n", two);
        assert!(e.contains("l.py:1:11: TICKETS = int('3') is not a literal"), "{e}");
        let e = err("TICKETS = 3\nTICKETS = 3\n", two);
        assert!(e.contains("l.py:2:11: TICKETS is assigned at top level again (first at line 1)"), "{e}");
        let e = err("TICKETS = 4\n", two);
        assert!(e.contains("l.py:1:11: TICKETS = 4, but the manifest's default for parameter tickets is 3"), "{e}");
        let e = err("TICKETS = 3\n", "TICKETS = 3\nWHO = \"bo\"\n");
        assert!(e.contains("l-two.py:2:7: WHO = \"bo\", but the manifest's default for parameter who is \"ann\""), "{e}");
        let e = err("TICKETS = '3'\n", two);
        assert!(e.contains("l.py:1:11: TICKETS = '3', but"), "{e}");
        // `who` applies only to variant two: the first program needs no WHO.
        check_constants(&lesson(&d.0, MANIFEST, &[("l.py", "TICKETS = 3\n"), ("l-two.py", two)]).unwrap()).unwrap();
    }

    #[test]
    fn variants_parse_with_their_place() {
        let d = tmp("parse");
        let e = lesson(&d.0, "[[variants]]\nname = \"a\"\nfile = \"gone.py\"\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains("l.toml:3:8: variant a: ") && e.contains("gone.py does not exist"), "{e}");
        let e = lesson(&d.0, "[[variants]]\nname = \"a\"\nfile = \"l.py\"\n[[variants]]\nname = \"a\"\nfile = \"l.py\"\n", &[("l.py", "")]).unwrap_err().to_string();
        assert_eq!(e, format!("{}:5:8: variant 'a' is declared twice", d.0.join("l.toml").display()));
        let e = lesson(&d.0, "[[variants]]\nname = \"a\"\nfile = \"../x.py\"\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains(":3:8: variant a: file '../x.py' must be a .py file beside the manifest"), "{e}");
        let e = lesson(&d.0, "[[variants]]\nname = \"a\"\nfile = \"l.py\"\n[[params]]\nname = \"variant\"\ndefault = \"a\"\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains(":5:8: the `variant` parameter is made from [[variants]]"), "{e}");
        let e = lesson(&d.0, "[[variants]]\nname = \"a\"\nfile = \"l.py\"\ncolour = 1\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains(":4:1: unknown field `colour`"), "{e}");
        let e = lesson(&d.0, "section = 3\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains("l.toml:1:11: invalid type: integer `3`"), "{e}");
        let e = lesson(&d.0, "[[params]]\nname = \"n\"\ndefault = 1\nconstant = \"not a name\"\n", &[("l.py", "")]).unwrap_err().to_string();
        assert!(e.contains(":4:1: parameter n: constant 'not a name' is not a Python name"), "{e}");
    }
}
