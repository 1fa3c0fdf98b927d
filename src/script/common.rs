//! What every file of the lesson API shares: the script's result type, a
//! runtime error raised at the call's position, the call's line, seconds
//! from a number, a process target's function name. The API files name this
//! module and `objects`, never each other's helpers.

use rhai::{Dynamic, EvalAltResult, FLOAT, FnPtr, INT, NativeCallContext, Position};

use super::FnTable;
use crate::runtime::LessonError;

pub type R<T> = Result<T, Box<EvalAltResult>>;

/// A lesson exception as a script error at `pos`.
pub fn raise(e: LessonError, pos: Position) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(e.to_string().into(), pos).into()
}

/// The line of the call being made.
pub fn line(ctx: &NativeCallContext) -> u32 {
    ctx.call_position().line().unwrap_or(0) as u32
}

/// Lifts a runtime result into the script at the call's position.
pub fn lift<T>(ctx: &NativeCallContext, r: Result<T, LessonError>) -> R<T> {
    r.map_err(|e| raise(e, ctx.call_position()))
}

/// Seconds from an INT or FLOAT argument.
pub fn secs(ctx: &NativeCallContext, d: &Dynamic) -> R<f64> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        return Ok(i as f64);
    }
    if let Some(f) = d.clone().try_cast::<FLOAT>() {
        return Ok(f);
    }
    if d.is_unit() {
        return Ok(f64::INFINITY);
    }
    Err(raise(LessonError::type_error(format!("a number of seconds is required (got {})", d.type_name())), ctx.call_position()))
}

/// Function name of a target given as a string or a function pointer.
pub fn target_name(ctx: &NativeCallContext, fns: &FnTable, target: &Dynamic) -> R<String> {
    let name = if let Some(f) = target.clone().try_cast::<FnPtr>() {
        if f.is_curried() {
            return Err(raise(LessonError::type_error("a curried function pointer cannot be a target; pass its arguments in args"), ctx.call_position()));
        }
        f.fn_name().to_string()
    } else if target.is_string() {
        target.clone().into_string().unwrap_or_default()
    } else {
        return Err(raise(LessonError::type_error(format!("target must be a function name or Fn(\"name\"), not {}", target.type_name())), ctx.call_position()));
    };
    if !fns.contains_key(&name) {
        return Err(raise(LessonError::new("NameError", format!("name '{name}' is not defined")), ctx.call_position()));
    }
    Ok(name)
}

