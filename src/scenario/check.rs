//! `forkscope check`: everything that can be known about a lesson before it
//! runs. Syntax; `fn main()`; every target named by a literal (`Process("f",
//! [..])`, `pool.apply("f", [..])`, `pool.map("f", ..)`, `Fn("f")`) exists and
//! takes that many arguments; every literal `param("x")` is declared; the
//! manifest's `bad`/`goals` expressions compile. Each error has file:line:column.

use rhai::{ASTNode, Expr, FnPtr};

use super::{Lesson, ScenarioError};
use crate::script::{self, FnTable};

/// A literal function name in an expression: `"f"` or `Fn("f")`.
fn literal_target(e: &Expr) -> Option<(String, rhai::Position)> {
    match e {
        Expr::StringConstant(s, pos) => Some((s.to_string(), *pos)),
        Expr::DynamicConstant(d, pos) => d.clone().try_cast::<FnPtr>().map(|f| (f.fn_name().to_string(), *pos)),
        Expr::FnCall(f, pos) if f.name == "Fn" && f.args.len() == 1 => match &f.args[0] {
            Expr::StringConstant(s, _) => Some((s.to_string(), *pos)),
            _ => None,
        },
        _ => None,
    }
}

fn at(file: &str, pos: rhai::Position, message: String) -> ScenarioError {
    ScenarioError::at(file, pos.line().unwrap_or(1), pos.position().unwrap_or(1), message)
}

/// Checks `lesson`; the first problem found is the error.
pub fn check(lesson: &Lesson) -> Result<(), ScenarioError> {
    check_size(lesson)?;
    match lesson.engine {
        super::Engine::Rhai => check_rhai(lesson)?,
        super::Engine::Python => check_python(lesson)?,
    }
    check_manifest(lesson)
}

/// A Python lesson: every program (the lesson's own and each variant's)
/// compiles, as checked by the interpreter that will run it, and has the
/// constants its parameters set (see [`super::program`]).
fn check_python(lesson: &Lesson) -> Result<(), ScenarioError> {
    use crate::python::check::{syntax_all, Problem};
    let own = std::path::Path::new(&lesson.script_file).file_name().map(|f| f.to_string_lossy().into_owned());
    let variants: Vec<&super::Program> = lesson.variants.iter().filter(|v| v.file != lesson.script_file).collect();
    // Every program, checked by the interpreter that will run it, with one
    // start of it (a start through a version manager's shim can take a
    // quarter of a second).
    let mut programs = vec![(lesson.script_file.as_str(), lesson.script.as_str())];
    programs.extend(variants.iter().map(|v| (v.file.as_str(), v.text.as_str())));
    syntax_all(&programs).map_err(|(i, p)| match p {
        Problem::Interpreter(why) => ScenarioError::Plain(why),
        Problem::At { line, column, message } => ScenarioError::at(programs[i].0, line, column, message),
    })?;
    if let Some(first) = lesson.manifest.variants.first()
        && Some(&first.file) != own.as_ref()
    {
        let text = lesson.manifest_text.as_deref().unwrap_or("");
        let (l, c) = super::line_col(text, text.find(&format!("\"{}\"", first.file)).unwrap_or(0));
        let own = own.unwrap_or_default();
        return Err(ScenarioError::at(lesson.manifest_file.as_deref().unwrap_or(""), l, c, format!("the first variant is the default, so its file is the lesson's own program {own} (`python3 {own}` runs it), not {}", first.file)));
    }
    for v in variants {
        let mut other = lesson.clone();
        other.script.clone_from(&v.text);
        other.script_file.clone_from(&v.file);
        check_size(&other)?;
    }
    super::program::check_constants(lesson)
}

/// Largest lesson script: every process of a run receives it (with the run's
/// other facts) through the segment, in one value of at most
/// [`codec::MAX_ENCODED`](crate::codec::MAX_ENCODED) bytes.
pub const MAX_SCRIPT_BYTES: usize = 512 << 10;

/// The script is small enough to reach every process; the error points at
/// where it passes the limit.
fn check_size(lesson: &Lesson) -> Result<(), ScenarioError> {
    let text = &lesson.script;
    if text.len() <= MAX_SCRIPT_BYTES {
        return Ok(());
    }
    let mut cut = MAX_SCRIPT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let (line, col) = super::line_col(text, cut);
    Err(ScenarioError::at(&lesson.script_file, line, col, format!("the script is {} KiB; a lesson script may be at most {} KiB (every process of the run receives it)", text.len().div_ceil(1024), MAX_SCRIPT_BYTES >> 10)))
}

fn check_rhai(lesson: &Lesson) -> Result<(), ScenarioError> {
    let file = &lesson.script_file;
    let python_only = if !lesson.manifest.variants.is_empty() { Some("[[variants]]") } else { lesson.manifest.params.iter().any(|p| p.constant.is_some()).then_some("constant") };
    if let Some(key) = python_only {
        let text = lesson.manifest_text.as_deref().unwrap_or("");
        let (l, c) = super::line_col(text, text.find(key).unwrap_or(0));
        return Err(ScenarioError::at(lesson.manifest_file.as_deref().unwrap_or(file), l, c, format!("{key} is for Python lessons (a Rhai lesson reads its parameters with param(\"name\"))")));
    }
    let engine = script::base_engine();
    let ast = script::compile(&engine, &lesson.script).map_err(|e| {
        let pos = e.position();
        at(file, pos, script::parse_error_text(&e))
    })?;
    let fns = script::fn_table(&ast);
    if !fns.get("main").is_some_and(|a| a.contains(&0)) {
        return Err(ScenarioError::at(file, 1, 1, "the lesson has no `fn main()` (the main process runs it)"));
    }
    let mut problem: Option<ScenarioError> = None;
    let params: Vec<&str> = lesson.manifest.params.iter().map(|p| p.name.as_str()).collect();
    ast.walk(&mut |path: &[ASTNode]| {
        if problem.is_some() {
            return false;
        }
        let Some(ASTNode::Expr(e)) = path.last() else { return true };
        let call = match e {
            Expr::FnCall(f, _) | Expr::MethodCall(f, _) => f,
            _ => return true,
        };
        let name = call.name.as_str();
        let method = matches!(e, Expr::MethodCall(..));
        // (index of the target argument, index of the argument array or None, fixed arity)
        let shape: Option<(usize, Option<usize>, Option<usize>)> = match (name, method) {
            ("Process", false) => Some((0, Some(1), None)),
            ("apply" | "apply_async", true) => Some((0, Some(1), None)),
            ("map", true) => Some((0, None, Some(1))),
            ("Fn", false) => Some((0, None, None)),
            _ => None,
        };
        if let Some((ti, ai, fixed)) = shape
            && let Some((target, pos)) = call.args.get(ti).and_then(literal_target) {
                let site = TargetCall { call: name, args: call.args.get(ai.unwrap_or(usize::MAX)), fixed, takes_array: ai.is_some() };
                problem = target_problem(file, &fns, &target, pos, &site);
            }
        if name == "param" && !method
            && let Some(Expr::StringConstant(s, pos)) = call.args.first()
                && !params.contains(&s.as_str()) {
                    let has = if params.is_empty() { "it declares none".to_string() } else { format!("it declares: {}", params.join(", ")) };
                    problem = Some(at(file, *pos, format!("unknown parameter '{s}' ({has})")));
                }
        problem.is_none()
    });
    match problem {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// The manifest's `bad`/`goals` expressions compile, and evaluate without
/// failing over the default parameters (before the run has reported
/// anything): a condition that breaks a limit is caught here.
fn check_manifest(lesson: &Lesson) -> Result<(), ScenarioError> {
    let judge = super::condition::Judge::new();
    let params = lesson.resolve_params(&[]).unwrap_or_default();
    let facts = super::condition::Facts::from_run(&params, &crate::model::Model::new(), None);
    let mfile = lesson.manifest_file.as_deref().unwrap_or(&lesson.script_file);
    let manifest_text = lesson.manifest_text.clone().unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    for (i, b) in lesson.manifest.bad.iter().enumerate() {
        let name = lesson.manifest.bad_name(i);
        let problem = if !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            Some(format!("a [[bad]] name is one word of letters, digits, `-` and `_` (explore --bad NAME): {name:?}"))
        } else if super::RESERVED_BAD.contains(&name.as_str()) || name == "assert" {
            Some(format!("the [[bad]] name {name:?} is taken: every lesson has the bad outcomes {} (explore --bad NAME)", super::RESERVED_BAD.join(", ")))
        } else if !seen.insert(name.clone()) {
            Some(format!("two [[bad]] are named {name:?}: explore --bad NAME must tell them apart"))
        } else {
            None
        };
        if let Some(problem) = problem {
            // A second of one name is at its last mention; any other problem at its first.
            let quoted = format!("\"{}\"", b.name);
            let at = if b.name.is_empty() { manifest_text.find(b.when.as_str()) } else if problem.starts_with("two ") { manifest_text.rfind(&quoted).map(|o| o + 1) } else { manifest_text.find(&quoted).map(|o| o + 1) };
            let (line, col) = at.map_or((1, 1), |o| super::line_col(&manifest_text, o));
            return Err(ScenarioError::at(mfile, line, col, problem));
        }
    }
    let exprs = lesson.manifest.bad.iter().map(|b| &b.when).chain(lesson.manifest.goals.iter().map(|g| &g.when));
    for when in exprs {
        if let Err(e) = judge.holds_for(lesson, when, &facts) {
            let (line, col) = manifest_text.find(when.as_str()).map_or((1, 1), |o| super::line_col(&manifest_text, o));
            return Err(ScenarioError::at(mfile, line, col, e));
        }
    }
    Ok(())
}

/// A call that names a function as a process's or a task's target.
struct TargetCall<'a> {
    /// `Process`, `apply`, `map`, `Fn`…
    call: &'a str,
    /// Its argument list, if it gives one.
    args: Option<&'a Expr>,
    /// The target's arity when the call fixes it (`map`: 1).
    fixed: Option<usize>,
    /// The call takes an argument list (none given: no arguments).
    takes_array: bool,
}

fn target_problem(file: &str, fns: &FnTable, target: &str, pos: rhai::Position, site: &TargetCall<'_>) -> Option<ScenarioError> {
    let TargetCall { call, args, fixed, takes_array } = *site;
    let Some(arities) = fns.get(target) else {
        return Some(at(file, pos, format!("unknown function '{target}' used as a target of {call}")));
    };
    let given = match (fixed, args) {
        (Some(n), _) => Some(n),
        (None, Some(Expr::Array(items, _))) => Some(items.len()),
        (None, Some(Expr::DynamicConstant(d, _))) if d.is_array() => Some(d.clone().cast::<rhai::Array>().len()),
        (None, None) if takes_array => Some(0),
        _ => None,
    };
    match given {
        Some(n) if !arities.contains(&n) => {
            let want = arities[0];
            let s = if want == 1 { "" } else { "s" };
            Some(at(file, pos, format!("{target}() takes {want} argument{s} but {call} gives it {n}")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Manifest;

    fn lesson(script: &str) -> Lesson {
        Lesson { name: "t".into(), origin: "t.rhai".into(), script_file: "t.rhai".into(), manifest_file: None, script: script.into(), manifest: Manifest::default(), manifest_text: None, engine: Default::default(), variants: vec![] }
    }

    #[test]
    fn finds_each_kind_of_problem_with_its_place() {
        let cases = [
            ("fn main() { let x = ; }", "t.rhai:1:21: "),
            ("fn helper() {}", "t.rhai:1:1: the lesson has no `fn main()`"),
            ("fn main() {\n  Process(\"nope\", []).start();\n}", "t.rhai:2:11: unknown function 'nope' used as a target of Process"),
            ("fn w(a) {}\nfn main() {\n  let p = Process(\"w\", [1, 2]);\n}", "t.rhai:3:19: w() takes 1 argument but Process gives it 2"),
            ("fn w(a) {}\nfn main() {\n  let p = Process(Fn(\"w\"));\n}", "w() takes 1 argument but Process gives it 0"),
            ("fn main() {\n  print(param(\"x\"));\n}", "t.rhai:2:15: unknown parameter 'x' (it declares none)"),
        ];
        for (src, want) in cases {
            let e = check(&lesson(src)).err().map(|e| e.to_string()).unwrap_or_else(|| format!("NO ERROR for {src}"));
            assert!(e.contains(want), "for {src:?}: got {e:?}, want {want:?}");
        }
        assert!(check(&lesson("fn w(a) {}\nfn main() { Process(\"w\", [1]).start(); }")).is_ok());
    }

    #[test]
    fn a_60000_entry_map_literal_is_refused_where_it_passes_the_limit() {
        // Rhai's parser takes seconds on it (each key against every earlier
        // one), in `check` and in every process; the limit stops it before.
        let entries: Vec<String> = (0..60_000).map(|i| format!("k{i:x}:0")).collect();
        let src = format!("fn main() {{\n    let m = #{{{}}};\n}}\n", entries.join(","));
        assert!(src.len() < MAX_SCRIPT_BYTES, "within the size limit: only the entry limit can refuse it");
        let e = check(&lesson(&src)).expect_err("refused").to_string();
        let col = "    let m = #{".len() + entries[..crate::script::cost::MAX_MAP_ENTRIES].iter().map(|e| e.len() + 1).sum::<usize>() + 1;
        assert!(e.starts_with(&format!("t.rhai:2:{col}: a map literal may have at most 256 entries")), "{e}");
    }
}
