//! Conditions a lesson declares in its manifest (`[[bad]] when = "…"`,
//! `[[goals]] when = "…"`): small Rhai expressions over what a run shows.
//!
//! Variables: every parameter by name, every reported value by name (a
//! reported value wins over a parameter of the same name), `deadlock` (true if
//! the run is deadlocked or stalled now), `steps`, `ended` (processes that have
//! ended), `outcome` (`""` while running), `output` (what the processes
//! printed to stdout, lines joined by `\n`), and for a Python lesson every
//! parameter also under the name of the constant it sets (`TICKETS`). A
//! variable the run has not produced yet makes the condition false, not an
//! error.
//!
//! Functions, so that a Python program needs no forkscope call to be judged:
//! `count("text")` (printed lines that contain it), `file("name")` (the text
//! of that file in the run's folder as the run last saw it, `""` if none),
//! `exitcode("Process-2")` (that process's exit code; `()` while it is alive
//! or unknown).
//!
//! A [`Judge`] evaluates them: one engine per run (not one per call), with
//! the lesson engine's limits on string, array and map sizes, call levels
//! and expression depth, plus an operation limit. A condition that fails
//! (a limit hit, a type mismatch) is an error that says which condition and
//! why, never an abort, a hang or a silent `false`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};

use crate::codec::Value;
use crate::model::{LogKind, Model};

/// What a condition can look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub vars: BTreeMap<String, Value>,
    /// What the run printed, for `count`, `file` and `exitcode` (shared: a
    /// judge holds on to it while it evaluates).
    pub run: Rc<RunFacts>,
}

/// What a run printed, wrote and ended with, as the model saw it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// Lines printed to stdout, in order: (lane, line).
    pub printed: Vec<(crate::vocab::Lane, String)>,
    /// Files by the path the program used: their text as the run last saw
    /// it (the run's folder when it could be read, else the model's preview).
    pub files: BTreeMap<String, String>,
    /// Exit codes by process name (`None` while alive).
    pub exitcodes: BTreeMap<String, Option<i32>>,
}

/// Largest file `file("name")` reads from the run's folder.
const MAX_FILE_BYTES: u64 = 1 << 20;

impl Facts {
    /// Facts for `lesson`'s conditions from `params` and the run as `model`
    /// sees it: what it printed only if a condition reads it (a long run's
    /// output is not copied for conditions that never look at it).
    pub fn for_lesson(lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>) -> Facts {
        let conditions = || lesson.manifest.bad.iter().map(|b| &b.when).chain(lesson.manifest.goals.iter().map(|g| &g.when));
        let printed = conditions().any(|w| w.contains("count(") || mentions(w, "output"));
        Facts::gather(params, model, outcome, printed)
    }

    /// Facts from `params` and the run as `model` sees it.
    pub fn from_run(params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>) -> Facts {
        Facts::gather(params, model, outcome, true)
    }

    fn gather(params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, printed: bool) -> Facts {
        let mut vars = params.clone();
        for (k, v) in &model.reported {
            vars.insert(k.clone(), Value::from_json(v));
        }
        vars.insert("deadlock".into(), Value::Bool(model.deadlock().is_some() || outcome == Some("deadlock")));
        vars.insert("steps".into(), Value::Int(model.steps as i64));
        vars.insert("ended".into(), Value::Int(model.processes.values().filter(|p| !p.state.is_live()).count() as i64));
        vars.insert("outcome".into(), Value::Str(outcome.unwrap_or("").to_string()));
        let printed: Vec<(crate::vocab::Lane, String)> = if printed { model.log.iter().filter(|e| e.kind == LogKind::Print).map(|e| (e.lane, e.text.clone())).collect() } else { Vec::new() };
        vars.insert("output".into(), Value::Str(printed.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n")));
        let files = model.files.iter().map(|(k, f)| (k.clone(), f.preview.clone())).collect();
        let exitcodes = model.processes.values().map(|p| (p.name.clone(), if p.state.is_live() { None } else { p.exitcode })).collect();
        Facts { vars, run: Rc::new(RunFacts { printed, files, exitcodes }) }
    }

    /// The files the run touched as they are now in its folder `workdir`
    /// (what a preview cannot hold: every line, in full). Call it while the
    /// folder is still there; a file that cannot be read keeps its preview.
    pub fn read_files(&mut self, workdir: &Path) {
        let run = Rc::make_mut(&mut self.run);
        for (path, text) in run.files.iter_mut() {
            use std::io::Read;
            let Ok(f) = std::fs::File::open(workdir.join(path)) else { continue };
            let mut bytes = Vec::new();
            if f.take(MAX_FILE_BYTES).read_to_end(&mut bytes).is_ok() {
                *text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
}

/// A Python lesson's parameters under their constants' names (`TICKETS`),
/// where no fact has that name already.
fn constant_vars(lesson: &super::Lesson, facts: &Facts) -> Vec<(String, Value)> {
    if lesson.engine != super::Engine::Python {
        return Vec::new();
    }
    lesson
        .manifest
        .params
        .iter()
        .filter(|p| p.name != super::VARIANT)
        .filter_map(|p| {
            let c = p.constant_name();
            let v = facts.vars.get(&p.name)?;
            (!facts.vars.contains_key(&c)).then(|| (c, v.clone()))
        })
        .collect()
}

/// Operations one evaluation of a condition may take.
const MAX_OPERATIONS: u64 = 10_000;

/// Evaluates conditions: one engine (with limits) and each expression
/// compiled once.
pub struct Judge {
    engine: Engine,
    compiled: RefCell<HashMap<String, Result<AST, String>>>,
    /// What `count`, `file` and `exitcode` read: the facts being judged.
    current: Rc<RefCell<Rc<RunFacts>>>,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge").field("compiled", &self.compiled.borrow().len()).finish()
    }
}

impl Default for Judge {
    fn default() -> Judge {
        Judge::new()
    }
}

impl Judge {
    pub fn new() -> Judge {
        let mut engine = crate::script::base_engine();
        engine.set_max_operations(MAX_OPERATIONS);
        engine.set_strict_variables(false);
        let current: Rc<RefCell<Rc<RunFacts>>> = Rc::default();
        let run = current.clone();
        engine.register_fn("count", move |text: &str| -> i64 { run.borrow().printed.iter().filter(|(_, l)| l.contains(text)).count() as i64 });
        let run = current.clone();
        engine.register_fn("file", move |name: &str| -> String { run.borrow().files.get(name).cloned().unwrap_or_default() });
        let run = current.clone();
        engine.register_fn("exitcode", move |name: &str| -> Dynamic {
            match run.borrow().exitcodes.get(name) {
                Some(Some(code)) => Dynamic::from(*code as i64),
                _ => Dynamic::UNIT,
            }
        });
        Judge { engine, compiled: RefCell::new(HashMap::new()), current }
    }

    /// Whether `expr`, one of `lesson`'s conditions, holds over `facts` (a
    /// Python lesson's parameters also under their constants' names).
    pub fn holds_for(&self, lesson: &super::Lesson, expr: &str, facts: &Facts) -> Result<bool, String> {
        self.holds_with(expr, facts, &constant_vars(lesson, facts))
    }

    /// Whether `expr` holds over `facts`. A variable the run has not
    /// produced yet makes it false; `Err` says why the condition failed (it
    /// does not compile, or its evaluation failed, e.g. a limit).
    pub fn holds(&self, expr: &str, facts: &Facts) -> Result<bool, String> {
        self.holds_with(expr, facts, &[])
    }

    fn holds_with(&self, expr: &str, facts: &Facts, extra: &[(String, Value)]) -> Result<bool, String> {
        let mut cache = self.compiled.borrow_mut();
        let ast = cache
            .entry(expr.to_string())
            .or_insert_with(|| self.engine.compile_expression(expr).map_err(|err| format!("in `{expr}`: {}", err.err_type())))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut scope = Scope::new();
        // Only the variables it names: `output` may be long.
        for (k, v) in facts.vars.iter().chain(extra.iter().map(|(k, v)| (k, v))).filter(|(k, _)| mentions(expr, k)) {
            scope.push_dynamic(k.as_str(), crate::script::values::from_data(v.clone()));
        }
        *self.current.borrow_mut() = facts.run.clone();
        match self.engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast) {
            Ok(d) => Ok(d.as_bool().unwrap_or(false)),
            Err(e) if matches!(*e, EvalAltResult::ErrorVariableNotFound(..)) => Ok(false),
            Err(e) => Err(format!("in `{expr}`: {}", e.unwrap_inner())),
        }
    }
}

/// What the lesson's conditions say of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdicts {
    /// Bad outcomes that hold, as [`bad_holding`] words them.
    pub bad: Vec<String>,
    /// Their names (`Manifest::bad_name`), in the same order.
    pub bad_names: Vec<String>,
    /// Titles of the goals reached.
    pub goals: Vec<String>,
    /// Conditions that failed: `condition failed: in `…`: why`.
    pub errors: Vec<String>,
}

impl Verdicts {
    /// The errors as findings a summary lists (kind `error`).
    pub fn error_findings(&self) -> impl Iterator<Item = crate::model::summary::FindingOut> + '_ {
        self.errors.iter().map(|message| crate::model::summary::FindingOut { kind: "error".into(), message: message.clone(), processes: vec![], resources: vec![], name: None })
    }
}

fn failed(e: String) -> String {
    format!("condition failed: {e}")
}

/// The goal applies to a run with these parameters (a goal may name the
/// parameter values it is meant for, e.g. `lock = false`).
pub fn goal_applies(goal: &super::Goal, params: &BTreeMap<String, Value>) -> bool {
    goal.params.iter().all(|(k, want)| {
        let want = match want {
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Integer(i) => Value::Int(*i),
            toml::Value::Float(f) => Value::Float(*f),
            toml::Value::String(s) => Value::Str(s.clone()),
            _ => return false,
        };
        params.get(k) == Some(&want)
    })
}

/// Titles of the lesson's goals that hold over `facts` (goals that apply to
/// `params`), and the conditions that failed.
pub fn goals_holding(judge: &Judge, lesson: &super::Lesson, params: &BTreeMap<String, Value>, facts: &Facts, lang: crate::vocab::Lang, out: &mut Verdicts) {
    for g in lesson.manifest.goals.iter().filter(|g| goal_applies(g, params)) {
        match judge.holds_for(lesson, &g.when, facts) {
            Ok(true) => {
                let t = g.title.get(lang);
                out.goals.push(if t.is_empty() { g.when.clone() } else { t.to_string() });
            }
            Ok(false) => {}
            Err(e) => out.errors.push(failed(e)),
        }
    }
}

/// The lesson's bad outcomes (`[[bad]]`) that hold over `facts`, each as its
/// message with the values it looked at: `oversold: … (sold > tickets:
/// sold = 10, tickets = 3)`, and the conditions that failed.
pub fn bad_holding(judge: &Judge, lesson: &super::Lesson, facts: &Facts, lang: crate::vocab::Lang, out: &mut Verdicts) {
    let constants = constant_vars(lesson, facts);
    for (i, b) in lesson.manifest.bad.iter().enumerate() {
        match judge.holds_with(&b.when, facts, &constants) {
            Ok(true) => {
                out.bad_names.push(lesson.manifest.bad_name(i));
                let text = b.message.get(lang);
                if text.is_empty() {
                    out.bad.push(b.when.clone());
                    continue;
                }
                // The numbers a comparison looked at explain the message (`sold
                // = 10, tickets = 3`); a bare flag (`!finished`) or a word
                // (`outcome`) adds nothing to it, nor does the expression,
                // which is the lesson author's, not the class's.
                let compares = ["<", ">", "==", "!="].iter().any(|op| b.when.contains(op));
                let vals: Vec<String> = facts.vars.iter().chain(constants.iter().map(|(k, v)| (k, v))).filter(|(k, v)| compares && matches!(v, Value::Int(_) | Value::Float(_)) && mentions(&b.when, k)).map(|(k, v)| format!("{k} = {}", crate::model::summary::show_value(&v.to_json()))).collect();
                let mut vals = vals;
                vals.splice(0..0, counts_in(&b.when, &facts.run));
                out.bad.push(if vals.is_empty() { text.to_string() } else { format!("{text} ({})", vals.join(", ")) });
            }
            Ok(false) => {}
            Err(e) => out.errors.push(failed(e)),
        }
    }
}

/// Some condition of the lesson reads a file (`file("name")`): worth reading them.
pub fn reads_files(lesson: &super::Lesson) -> bool {
    lesson.manifest.bad.iter().map(|b| &b.when).chain(lesson.manifest.goals.iter().map(|g| &g.when)).any(|w| w.contains("file("))
}

/// What the lesson's conditions can see of a run as `model` shows it;
/// `workdir`, the run's folder if it is still there, gives files their full
/// text (read only if some condition reads a file).
pub fn facts_of_run(lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, workdir: Option<&Path>) -> Facts {
    let mut facts = Facts::for_lesson(lesson, params, model, outcome);
    if let Some(w) = workdir.filter(|_| reads_files(lesson)) {
        facts.read_files(w);
    }
    facts
}

/// Bad outcomes and goals of a finished run as `model` shows it.
/// `workdir`, the run's folder if it is still there, gives files their full text.
pub fn judge_run(judge: &Judge, lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, workdir: Option<&Path>, lang: crate::vocab::Lang) -> Verdicts {
    let facts = facts_of_run(lesson, params, model, outcome, workdir);
    let mut out = Verdicts::default();
    bad_holding(judge, lesson, &facts, lang, &mut out);
    goals_holding(judge, lesson, params, &facts, lang, &mut out);
    out
}

/// Each `count("text")` of `expr` with its value (`count("买到票") = 5`): the
/// number a bad outcome over printed lines compares.
fn counts_in(expr: &str, run: &RunFacts) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in expr.match_indices("count(") {
        let rest = &expr[i + "count(".len()..];
        let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let Some(end) = rest[1..].find(q) else { continue };
        let text = &rest[1..1 + end];
        if expr[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') || text.contains('\\') {
            continue;
        }
        let n = run.printed.iter().filter(|(_, l)| l.contains(text)).count();
        out.push(format!("count({q}{text}{q}) = {n}"));
    }
    out
}

/// `expr` names the variable `name` (as a whole word: `sold` is not in `unsold`).
fn mentions(expr: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    expr.match_indices(name).any(|(i, _)| !expr[..i].ends_with(word) && !expr[i + name.len()..].starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_outcomes_read_as_their_message_with_the_numbers_compared() {
        let manifest = "[[bad]]\nwhen = \"sold > tickets\"\nmessage = { en = \"oversold\" }\n[[bad]]\nwhen = \"!finished\"\nmessage = { en = \"they never finished\" }\n";
        let lesson = crate::scenario::Lesson::from_parts("t", "t".into(), "t.rhai".into(), "fn main() {}".into(), Some("t.toml".into()), Some(manifest)).unwrap();
        let mut f = Facts::default();
        for (k, v) in [("sold", Value::Int(5)), ("tickets", Value::Int(3)), ("unsold", Value::Int(0)), ("finished", Value::Bool(false))] {
            f.vars.insert(k.into(), v);
        }
        let mut v = Verdicts::default();
        bad_holding(&Judge::new(), &lesson, &f, crate::vocab::Lang::En, &mut v);
        assert_eq!(v.bad, ["oversold (sold = 5, tickets = 3)", "they never finished"]);
    }

    #[test]
    fn conditions_over_what_a_python_program_printed_wrote_and_exited_with() {
        let run = RunFacts {
            printed: vec![(crate::vocab::Lane(2), "person1买到票了".into()), (crate::vocab::Lane(3), "person2没买到票".into()), (crate::vocab::Lane(4), "person3买到票了".into())],
            files: BTreeMap::from([("ticket".to_string(), "{\"count\": 0}\n".to_string())]),
            exitcodes: BTreeMap::from([("Process-1".to_string(), Some(3)), ("Process-2".to_string(), None)]),
        };
        let mut f = Facts { run: Rc::new(run), ..Facts::default() };
        f.vars.insert("tickets".into(), Value::Int(1));
        let j = Judge::new();
        assert_eq!(j.holds(r#"count("买到票了") == 2 && count("票") == 3 && count("nobody") == 0"#, &f), Ok(true));
        assert_eq!(j.holds(r#"file("ticket").contains("count") && file("ticket").ends_with("0}\n") && file("gone") == """#, &f), Ok(true));
        assert_eq!(j.holds(r#"exitcode("Process-1") == 3 && exitcode("Process-2") == () && exitcode("Process-9") == ()"#, &f), Ok(true));
        assert!(j.holds(r#"count(3) > 0"#, &f).is_err(), "count takes text");
        // Constants: a Python lesson's parameter under its constant's name.
        let manifest = "[[params]]\nname = \"tickets\"\ndefault = 1\n[[bad]]\nwhen = 'count(\"买到票了\") > TICKETS'\nmessage = { en = \"oversold\" }\n";
        let lesson = crate::scenario::Lesson::from_parts("t", "t.py".into(), "t.py".into(), "TICKETS = 1\n".into(), Some("t.toml".into()), Some(manifest)).unwrap();
        let mut v = Verdicts::default();
        bad_holding(&j, &lesson, &f, crate::vocab::Lang::En, &mut v);
        assert_eq!(v.bad, [r#"oversold (count("买到票了") = 2, TICKETS = 1)"#]);
    }

    #[test]
    fn conditions_over_params_and_reports() {
        let mut f = Facts::default();
        f.vars.insert("tickets".into(), Value::Int(3));
        f.vars.insert("sold".into(), Value::Int(5));
        let j = Judge::new();
        assert_eq!(j.holds("sold > tickets", &f), Ok(true));
        assert_eq!(j.holds("sold == tickets", &f), Ok(false));
        assert_eq!(j.holds("lost > 0", &f), Ok(false), "not reported yet: false");
        assert!(j.holds("sold >", &f).is_err());
        assert!(j.holds("loop { }", &f).is_err(), "expressions only: no loops");
    }

    #[test]
    fn a_padding_bomb_is_a_clear_error_within_the_lesson_limits() {
        let j = Judge::new();
        let f = Facts::default();
        let t = std::time::Instant::now();
        let e = j.holds(r#""".pad(3000000000,"x").len() > 0"#, &f).unwrap_err();
        assert!(e.contains("pad(3000000000") && e.contains("too large"), "{e}");
        let e = j.holds("[].pad(3000000000, 0).len() > 0", &f).unwrap_err();
        assert!(e.contains("too large"), "{e}");
        // The same engine answers the next condition.
        assert_eq!(j.holds("1 < 2", &f), Ok(true));
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
    }
}
