//! Entry of a Rhai scenario process: `forkscope worker --segment NAME --lane N`,
//! and of the run's fork-server template ([`template`]). It sits above both
//! halves of a process: the runtime (`crate::runtime`: the segment, the
//! gate, the primitives) and the script engine (`crate::script`: Rhai and
//! the lesson API), which know nothing of each other's start.
//!
//! It attaches to its lane (see `runtime::attach`: refusals, the watcher
//! thread, the run's folder), then runs the script's
//! top-level statements (each process has its own globals, like Python's spawn
//! start method re-importing the module), calls the target with its arguments
//! (a pool worker runs the pool's loop instead, see `ipc::pool_worker`), and
//! exits the Python way (see `LaneRuntime::finish`).

use std::convert::Infallible;
use std::rc::Rc;

use rhai::{CallFnOptions, Dynamic, Scope};

use crate::codec;
use crate::runtime::LaneRuntime;
use crate::script;
use crate::shm::record::TextTag;

pub mod template;

/// Runs the worker; returns only on a refusal, with the exit status to use.
pub fn main(segment: &str, lane: u32) -> i32 {
    match run(segment, lane) {
        Ok(never) => match never {},
        Err(why) => {
            eprintln!("forkscope worker: {why}");
            eprintln!("(the worker subcommand is internal: forkscope starts it for each process of a run)");
            2
        }
    }
}

fn run(segment: &str, lane: u32) -> Result<Infallible, String> {
    let attached = crate::runtime::attach::attach(segment, lane)?;
    let engine = script::base_engine();
    let ast = script::compile(&engine, &attached.rt.info.script);
    run_attached(attached, engine, ast)
}

/// Runs an attached process to its end, with an engine and the lesson as
/// compiled by it (here, or once for the whole run by the fork server's
/// template, see [`template`]).
pub fn run_attached(attached: crate::runtime::attach::Attached, engine: rhai::Engine, ast: Result<rhai::AST, rhai::ParseError>) -> ! {
    let crate::runtime::attach::Attached { rt, target, payload } = attached;
    let rt = Rc::new(rt);
    let code = run_script(&rt, engine, ast, &target, payload.args);
    rt.finish(code)
}

/// Runs the target; returns the exit code (0, or 1 after an uncaught error).
fn run_script(rt: &Rc<LaneRuntime>, mut engine: rhai::Engine, ast: Result<rhai::AST, rhai::ParseError>, target: &str, args: Vec<codec::Value>) -> i32 {
    let ast = match ast {
        Ok(a) => a,
        Err(e) => {
            rt.record_text(TextTag::Error, &format!("SyntaxError: {e}"));
            return 1;
        }
    };
    let fns = Rc::new(script::fn_table(&ast));
    script::install_worker_api(&mut engine, rt.clone(), fns.clone());
    let mut scope = Scope::new();
    if target == crate::runtime::ipc::pool::POOL_WORKER {
        // A pool worker: the script's top level, then the pool's loop.
        if let Err(e) = engine.run_ast_with_scope(&mut scope, &ast) {
            rt.record_text(TextTag::Error, &script::describe_error(&e, &fns).to_string());
            return 1;
        }
        return script::pool_worker::serve(rt, &engine, &ast, &mut scope, &fns, &args);
    }
    let args: Vec<Dynamic> = args.into_iter().map(|v| script::values::from_value(rt, v)).collect();
    let result = engine.run_ast_with_scope(&mut scope, &ast).and_then(|_| {
        engine.call_fn_with_options::<Dynamic>(CallFnOptions::new().eval_ast(false).rewind_scope(true), &mut scope, &ast, target, args)
    });
    match result {
        Ok(_) => 0,
        Err(e) => {
            let err = script::describe_error(&e, &fns);
            if err.line > 0 {
                rt.set_line(err.line);
            }
            rt.record_text(TextTag::Error, &err.to_string());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    /// The layers: the process entry (here) uses the runtime and the script
    /// engine; the script engine uses the runtime; the runtime uses neither,
    /// and neither holds a process's entry (the worker's `main` was in
    /// `script`, the fork server's template too).
    #[test]
    fn the_worker_entry_sits_above_runtime_and_script() {
        let mut seen = 0;
        for (dir, must_not) in [("runtime", &["crate::script", "crate::worker"][..]), ("script", &["crate::worker"][..])] {
            for (p, text) in crate::sources::rust_files(&[dir]) {
                seen += 1;
                for (i, line) in text.lines().enumerate() {
                    let code = crate::sources::code(line);
                    for m in must_not {
                        assert!(!code.contains(m), "{}:{}: {line}", p.display(), i + 1);
                    }
                    assert!(!code.contains(&["pub fn ", "main("].concat()), "{}:{}: a process entry belongs in crate::worker", p.display(), i + 1);
                }
            }
        }
        assert!(seen > 30, "read the sources ({seen} files)");
    }
}
