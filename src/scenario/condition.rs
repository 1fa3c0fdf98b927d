//! Conditions a lesson declares in its manifest (`[[bad]] when = "…"`,
//! `[[goals]] when = "…"`): small Rhai expressions over what a run shows.
//!
//! Variables: every parameter by name, every reported value by name (a
//! reported value wins over a parameter of the same name), `deadlock` (true if
//! the run is deadlocked or stalled now), `steps`, `ended` (processes that have
//! ended), `outcome` (`""` while running). A variable the run has not produced
//! yet makes the condition false, not an error.

use std::collections::BTreeMap;

use rhai::{Dynamic, Engine, Scope};

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

fn engine() -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(10_000);
    e.set_strict_variables(false);
    e
}

/// Whether `expr` holds. `Err` only for an expression that does not compile.
pub fn holds(expr: &str, facts: &Facts) -> Result<bool, String> {
    let e = engine();
    let ast = e.compile_expression(expr).map_err(|err| format!("in `{expr}`: {}", err.err_type()))?;
    let mut scope = Scope::new();
    for (k, v) in &facts.vars {
        scope.push_dynamic(k.as_str(), crate::script::values::from_value(v.clone()));
    }
    Ok(e.eval_ast_with_scope::<Dynamic>(&mut scope, &ast).ok().and_then(|d| d.as_bool().ok()).unwrap_or(false))
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

/// Titles of the lesson's goals that this run has reached.
pub fn goals_reached(lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, lang: &str) -> Vec<String> {
    goals_holding(lesson, params, &Facts::from_run(params, model, outcome), lang)
}

/// [`goals_reached`] on facts already gathered.
pub fn goals_holding(lesson: &super::Lesson, params: &BTreeMap<String, Value>, facts: &Facts, lang: &str) -> Vec<String> {
    lesson
        .manifest
        .goals
        .iter()
        .filter(|g| goal_applies(g, params) && holds(&g.when, facts).unwrap_or(false))
        .map(|g| {
            let t = g.title.get(lang);
            if t.is_empty() { g.when.clone() } else { t.to_string() }
        })
        .collect()
}

/// The lesson's bad outcomes (`[[bad]]`) that hold for this run, each as
/// its message with the values a comparison looked at: `oversold: … (sold
/// = 10, tickets = 3)` — never the expression itself, which is the lesson
/// author's, not the class's.
pub fn bad_outcomes(lesson: &super::Lesson, params: &BTreeMap<String, Value>, model: &Model, outcome: Option<&str>, lang: &str) -> Vec<String> {
    bad_holding(lesson, &Facts::from_run(params, model, outcome), lang)
}

/// [`bad_outcomes`] on facts already gathered.
pub fn bad_holding(lesson: &super::Lesson, facts: &Facts, lang: &str) -> Vec<String> {
    lesson
        .manifest
        .bad
        .iter()
        .filter(|b| holds(&b.when, facts).unwrap_or(false))
        .map(|b| {
            let text = b.message.get(lang);
            if text.is_empty() {
                return b.when.clone();
            }
            // The numbers a comparison looked at explain the message (`sold =
            // 10, tickets = 3`); a bare flag (`!finished`) or a word
            // (`outcome`) adds nothing to it.
            let compares = ["<", ">", "==", "!="].iter().any(|op| b.when.contains(op));
            let vals: Vec<String> = facts.vars.iter().filter(|(k, v)| compares && matches!(v, Value::Int(_) | Value::Float(_)) && mentions(&b.when, k)).map(|(k, v)| format!("{k} = {}", v.to_json())).collect();
            if vals.is_empty() { text.to_string() } else { format!("{text} ({})", vals.join(", ")) }
        })
        .collect()
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
        assert_eq!(bad_holding(&lesson, &f, "en"), ["oversold (sold = 5, tickets = 3)", "they never finished"]);
    }

    #[test]
    fn conditions_over_params_and_reports() {
        let mut f = Facts::default();
        f.vars.insert("tickets".into(), Value::Int(3));
        f.vars.insert("sold".into(), Value::Int(5));
        assert_eq!(holds("sold > tickets", &f), Ok(true));
        assert_eq!(holds("sold == tickets", &f), Ok(false));
        assert_eq!(holds("lost > 0", &f), Ok(false), "not reported yet: false");
        assert!(holds("sold >", &f).is_err());
        assert!(holds("loop { }", &f).is_err(), "expressions only: no loops");
    }
}
