//! The Rhai engine of a lesson: building it, registering the lesson API,
//! the statement hook (current line + statement-granularity gate), and turning
//! script errors into Python-style messages with a line.

pub mod api;
pub mod api_ipc;
pub mod api_names;
pub mod api_pool;
pub mod api_sync;
pub mod common;
pub mod cost;
pub mod objects;
pub mod pool_worker;
pub mod values;

use std::collections::HashMap;
use std::rc::Rc;

use rhai::{AST, ASTNode, Engine, EvalAltResult, ParseError};

use crate::runtime::LaneRuntime;
use crate::runtime::gate::Checkpoint;

/// Script functions by name, with the parameter counts they are defined with.
pub type FnTable = HashMap<String, Vec<usize>>;

pub fn fn_table(ast: &AST) -> FnTable {
    let mut t: FnTable = HashMap::new();
    for f in ast.iter_functions() {
        t.entry(f.name.to_string()).or_default().push(f.params.len());
    }
    t
}

/// An engine with the language's limits set, and no lesson API (for checks).
pub fn base_engine() -> Engine {
    let mut e = Engine::new();
    e.set_max_call_levels(128);
    e.set_max_expr_depths(128, 64);
    e.set_max_string_size(1 << 20);
    e.set_max_array_size(1 << 20);
    e.set_max_map_size(1 << 20);
    e.set_fail_on_invalid_map_property(true);
    e.disable_symbol("eval");
    // A lesson is one file: no modules. Rhai's default resolver would load
    // any `*.rhai` on the machine (absolute and `..` paths) or one the lesson
    // wrote at run time, past the file confinement and the missing `eval`.
    // `import` does not parse, and nothing could resolve it anyway.
    e.disable_symbol("import");
    e.disable_symbol("export");
    e.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    e
}

/// Words for a script that does not compile: the parser's, except where a
/// lesson meets a door that forkscope closed on purpose.
pub fn parse_error_text(e: &ParseError) -> String {
    match e.err_type() {
        rhai::ParseErrorType::Reserved(word) if word == "import" || word == "export" => {
            format!("`{word}` is not available in a lesson: a lesson is one file, it cannot load modules")
        }
        rhai::ParseErrorType::Reserved(word) if word == "eval" => "`eval` is not available in a lesson".to_string(),
        other => other.to_string(),
    }
}

/// Compiles a lesson script, within the limits that keep its parse linear
/// (see [`cost`]).
pub fn compile(engine: &Engine, source: &str) -> Result<AST, ParseError> {
    cost::check(engine, source)?;
    engine.compile(source)
}

/// The engine a scenario process runs its script with.
pub fn worker_engine(rt: Rc<LaneRuntime>, fns: Rc<FnTable>) -> Engine {
    let mut e = base_engine();
    install_worker_api(&mut e, rt, fns);
    e
}

/// Turns `e` (a [`base_engine`], perhaps already used to compile the script)
/// into the engine a scenario process runs with. Building an engine is a good
/// part of a process's start-up, so a worker builds only one.
pub fn install_worker_api(e: &mut Engine, rt: Rc<LaneRuntime>, fns: Rc<FnTable>) {
    api::register(e, rt.clone(), fns, objects::Globals::default());
    // Every statement: remember its line; while paused at statement
    // granularity, it is a checkpoint.
    #[allow(deprecated)]
    e.register_debugger(
        |_, d| d,
        move |_ctx, _event, node, _source, pos| {
            if let ASTNode::Stmt(stmt) = node
                && !matches!(stmt, rhai::Stmt::Block(..))
                    && let Some(line) = pos.line() {
                        rt.set_line(line as u32);
                        rt.checkpoint(Checkpoint::Statement);
                    }
            Ok(rhai::debugger::DebuggerCommand::StepInto)
        },
    );
}

/// A script error, as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// `Kind: message`, Python style.
    pub message: String,
    /// Line where it was raised (0 if unknown).
    pub line: u32,
    /// Function calls it went through, outermost first: (function, line of the call).
    pub trace: Vec<(String, u32)>,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if self.line > 0 {
            write!(f, " (line {}", self.line)?;
            for (func, line) in self.trace.iter().rev() {
                write!(f, ", in {func}() called at line {line}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Unwraps Rhai's nested error into a [`ScriptError`].
pub fn describe_error(e: &EvalAltResult, fns: &FnTable) -> ScriptError {
    let mut trace = Vec::new();
    let mut cur = e;
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) = cur {
        trace.push((name.to_string(), pos.line().unwrap_or(0) as u32));
        cur = inner;
    }
    let line = cur.position().line().unwrap_or(0) as u32;
    let message = match cur {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        EvalAltResult::ErrorFunctionNotFound(sig, _) => not_found_message(sig, fns),
        EvalAltResult::ErrorVariableNotFound(name, _) => format!("NameError: name '{name}' is not defined"),
        EvalAltResult::ErrorPropertyNotFound(name, _) => format!("AttributeError: no attribute '{name}'"),
        EvalAltResult::ErrorIndexNotFound(idx, _) => format!("KeyError: {idx}"),
        EvalAltResult::ErrorArrayBounds(len, idx, _) => format!("IndexError: index {idx} out of range (length {len})"),
        EvalAltResult::ErrorArithmetic(msg, _) if msg.contains("Division by zero") => "ZeroDivisionError: division by zero".into(),
        EvalAltResult::ErrorArithmetic(msg, _) => format!("ArithmeticError: {msg}"),
        EvalAltResult::ErrorMismatchDataType(want, got, _) | EvalAltResult::ErrorMismatchOutputType(want, got, _) => {
            format!("TypeError: expected {want}, got {got}")
        }
        EvalAltResult::ErrorStackOverflow(_) => "RecursionError: maximum recursion depth exceeded".into(),
        other => {
            let s = other.to_string();
            let s = s.split(" (line ").next().unwrap_or(&s).to_string();
            format!("RuntimeError: {s}")
        }
    };
    ScriptError { message, line, trace }
}

fn not_found_message(sig: &str, fns: &FnTable) -> String {
    let name = sig.split([' ', '(']).next().unwrap_or(sig);
    let given = given_args(sig);
    match fns.get(name) {
        Some(arities) => {
            let want = arities[0];
            let plural = if want == 1 { "" } else { "s" };
            let were = if given == 1 { "was" } else { "were" };
            format!("TypeError: {name}() takes {want} positional argument{plural} but {given} {were} given")
        }
        None => format!("NameError: function '{sig}' is not defined"),
    }
}

/// How many arguments a Rhai signature `f (i64, ())` lists: commas at the
/// top level of its parentheses (a type may have its own: `()`, `Fn(…)`).
fn given_args(sig: &str) -> usize {
    let Some(open) = sig.find('(') else { return 0 };
    let inner = &sig[open + 1..];
    let inner = inner.strip_suffix(')').unwrap_or(inner);
    if inner.trim().is_empty() {
        return 0;
    }
    let mut depth = 0usize;
    let mut n = 1;
    for c in inner.chars() {
        match c {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' | '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => n += 1,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_like_python() {
        let e = base_engine();
        let ast = e.compile("fn f(a) { g(a) } fn g(x) { 1 / x } fn h() { f(1, 2) }").unwrap();
        let fns = fn_table(&ast);
        let err = e.call_fn::<rhai::Dynamic>(&mut rhai::Scope::new(), &ast, "f", (0 as rhai::INT,)).unwrap_err();
        let d = describe_error(&err, &fns);
        assert_eq!(d.message, "ZeroDivisionError: division by zero");
        assert_eq!(d.trace.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), vec!["g"]);
        let err = e.call_fn::<rhai::Dynamic>(&mut rhai::Scope::new(), &ast, "h", ()).unwrap_err();
        assert_eq!(describe_error(&err, &fns).message, "TypeError: f() takes 1 positional argument but 2 were given");
    }

    #[test]
    fn arity_errors_count_unit_arguments_and_say_was_for_one() {
        let e = base_engine();
        let said = |src: &str| {
            let ast = e.compile(src).unwrap();
            let err = e.call_fn::<rhai::Dynamic>(&mut rhai::Scope::new(), &ast, "main", ()).unwrap_err();
            describe_error(&err, &fn_table(&ast)).message
        };
        assert_eq!(said(r#"fn f() { 1 } fn main() { Fn("f").call(()) }"#), "TypeError: f() takes 0 positional arguments but 1 was given");
        assert_eq!(said(r#"fn f() { 1 } fn main() { Fn("f").call((), [1, ()]) }"#), "TypeError: f() takes 0 positional arguments but 2 were given");
        assert_eq!(said("fn f(a) { 1 } fn main() { f() }"), "TypeError: f() takes 1 positional argument but 0 were given");
        assert_eq!(given_args("f (Fn(), ())"), 2);
    }
}
