//! Conditions a lesson declares in its manifest (`[[bad]] when = "…"`,
//! `[[goals]] when = "…"`): small Rhai expressions over what a run shows.
//!
//! Variables: every parameter by name, every reported value by name (a
//! reported value wins over a parameter of the same name), `deadlock` (true if
//! the run is deadlocked or stalled now), `steps`, `ended` (processes that have
//! ended), `outcome` (`""` while running). A variable the run has not produced
//! yet makes the condition false, not an error.
//!
//! A [`Judge`] evaluates them: one engine per run (not one per call), with
//! the lesson engine's limits on string, array and map sizes, call levels
//! and expression depth, plus an operation limit. A condition that fails
//! (a limit hit, a type mismatch) is an error that says which condition and
//! why, never an abort, a hang or a silent `false`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};

use crate::codec::Value;
use crate::model::Model;

/// What a condition can look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub vars: BTreeMap<String, Value>,
}

impl Facts {
    /// Facts from `params` and the run as `model` sees it.
    pub fn from_run(params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>) -> Facts {
        let mut vars = params.clone();
        for (k, v) in &model.reported {
            vars.insert(k.clone(), Value::from_json(v));
        }
        vars.insert("deadlock".into(), Value::Bool(model.deadlock().is_some() || outcome == Some("deadlock")));
        vars.insert("steps".into(), Value::Int(model.steps as i64));
        vars.insert("ended".into(), Value::Int(model.processes.values().filter(|p| !p.state.is_live()).count() as i64));
        vars.insert("outcome".into(), Value::Str(outcome.unwrap_or("").to_string()));
        Facts { vars }
    }
}

/// Operations one evaluation of a condition may take.
const MAX_OPERATIONS: u64 = 10_000;

/// Evaluates conditions: one engine (with limits) and each expression
/// compiled once.
pub struct Judge {
    engine: Engine,
    compiled: RefCell<HashMap<String, Result<AST, String>>>,
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
        Judge { engine, compiled: RefCell::new(HashMap::new()) }
    }

    /// Whether `expr` holds over `facts`. A variable the run has not
    /// produced yet makes it false; `Err` says why the condition failed (it
    /// does not compile, or its evaluation failed, e.g. a limit).
    pub fn holds(&self, expr: &str, facts: &Facts) -> Result<bool, String> {
        let mut cache = self.compiled.borrow_mut();
        let ast = cache
            .entry(expr.to_string())
            .or_insert_with(|| self.engine.compile_expression(expr).map_err(|err| format!("in `{expr}`: {}", err.err_type())))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut scope = Scope::new();
        for (k, v) in &facts.vars {
            scope.push_dynamic(k.as_str(), crate::script::values::from_value(v.clone()));
        }
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
    /// Titles of the goals reached.
    pub goals: Vec<String>,
    /// Conditions that failed: `condition failed: in `…`: why`.
    pub errors: Vec<String>,
}

impl Verdicts {
    /// The errors as findings a summary lists (kind `error`).
    pub fn error_findings(&self) -> impl Iterator<Item = crate::model::summary::FindingOut> + '_ {
        self.errors.iter().map(|message| crate::model::summary::FindingOut { kind: "error".into(), message: message.clone(), processes: vec![], resources: vec![] })
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
pub fn goals_holding(judge: &Judge, lesson: &super::Lesson, params: &BTreeMap<String, Value>, facts: &Facts, lang: &str, out: &mut Verdicts) {
    for g in lesson.manifest.goals.iter().filter(|g| goal_applies(g, params)) {
        match judge.holds(&g.when, facts) {
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
pub fn bad_holding(judge: &Judge, lesson: &super::Lesson, facts: &Facts, lang: &str, out: &mut Verdicts) {
    for b in &lesson.manifest.bad {
        match judge.holds(&b.when, facts) {
            Ok(true) => {
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
                let vals: Vec<String> = facts.vars.iter().filter(|(k, v)| compares && matches!(v, Value::Int(_) | Value::Float(_)) && mentions(&b.when, k)).map(|(k, v)| format!("{k} = {}", v.to_json())).collect();
                out.bad.push(if vals.is_empty() { text.to_string() } else { format!("{text} ({})", vals.join(", ")) });
            }
            Ok(false) => {}
            Err(e) => out.errors.push(failed(e)),
        }
    }
}

/// Bad outcomes and goals of a finished run as `model` shows it.
pub fn judge_run(judge: &Judge, lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, lang: &str) -> Verdicts {
    let facts = Facts::from_run(params, model, outcome);
    let mut out = Verdicts::default();
    bad_holding(judge, lesson, &facts, lang, &mut out);
    goals_holding(judge, lesson, params, &facts, lang, &mut out);
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
        bad_holding(&Judge::new(), &lesson, &f, "en", &mut v);
        assert_eq!(v.bad, ["oversold (sold = 5, tickets = 3)", "they never finished"]);
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
    fn hostile_3_a_padding_bomb_is_a_clear_error_within_the_lesson_limits() {
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
