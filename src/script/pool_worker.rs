//! The loop a pool worker runs instead of a script function (its target is
//! [`crate::runtime::ipc::pool::POOL_WORKER`]): take a task from the pool, call the named
//! script function with its arguments in this process's engine (whose
//! top-level statements already ran, as in any process), store the value —
//! or the error, which the submitter's `get()` raises again — and go on until
//! the pool tells it to stop.

use std::rc::Rc;

use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

use crate::runtime::ipc::pool::Task;
use crate::codec::{Handle, Value};
use crate::runtime::LaneRuntime;
use crate::script::{FnTable, describe_error, values};
use crate::shm::record::{ResKind, TextTag};

/// Runs the worker loop; returns the process's exit code.
pub fn serve(rt: &Rc<LaneRuntime>, engine: &Engine, ast: &AST, scope: &mut Scope, fns: &FnTable, args: &[Value]) -> i32 {
    let pool = match args.first() {
        Some(Value::Handle(Handle::Resource { kind, id })) if *kind == ResKind::Pool as u32 => *id,
        _ => {
            rt.record_text(TextTag::Error, "RuntimeError: a pool worker was started without its pool");
            return 1;
        }
    };
    loop {
        let task = match rt.pool_take(pool) {
            Ok(Some(t)) => t,
            Ok(None) => return 0,
            Err(e) => {
                rt.record_text(TextTag::Error, &e.to_string());
                return 1;
            }
        };
        let outcome = run_task(rt, engine, ast, scope, fns, &task);
        if let Err(e) = rt.pool_finish(pool, &task, outcome) {
            rt.record_text(TextTag::Error, &e.to_string());
            return 1;
        }
    }
}

/// Calls the task's function; its error becomes `Kind: message`, as Python's
/// pool sends an exception back to the caller.
fn run_task(rt: &LaneRuntime, engine: &Engine, ast: &AST, scope: &mut Scope, fns: &FnTable, task: &Task) -> Result<Value, String> {
    let args: Vec<Dynamic> = task.args.iter().cloned().map(|v| values::from_value(rt, v)).collect();
    let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    match engine.call_fn_with_options::<Dynamic>(opts, scope, ast, &task.func, args) {
        Ok(v) => values::to_value(&v).map_err(|e| e.to_string()),
        Err(e) => Err(describe_error(&e, fns).message),
    }
}
