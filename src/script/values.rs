//! Script values ⇄ [`codec::Value`]: what may cross to another process.
//!
//! Plain data (unit, bool, int, float, char, string, array, map, blob) and
//! handles to shared things (processes, locks, …) cross; anything else is
//! refused the way Python refuses to pickle it.

use rhai::{Array, Dynamic, Map};

use super::objects::{Globals, LockObj, ProcessObj};
use crate::codec::{Handle, Value};
use crate::runtime::LessonError;
use crate::shm::record::ResKind;

/// Converts a script value to a transferable one.
pub fn to_value(d: &Dynamic) -> Result<Value, LessonError> {
    to_value_at(d, 1)
}

/// [`to_value`] of a value at `depth`. Containers are read in place (a copy
/// per level made a deep value cost the square of its size), and a value
/// deeper than the codec allows is refused before the walk can exhaust the stack.
fn to_value_at(d: &Dynamic, depth: usize) -> Result<Value, LessonError> {
    crate::codec::check_depth(depth, "encoding")?;
    if d.is_shared() {
        // A captured variable: its own copy, once.
        return to_value_at(&d.flatten_clone(), depth);
    }
    if d.is_unit() {
        return Ok(Value::Unit);
    }
    if let Ok(b) = d.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = d.as_int() {
        return Ok(Value::Int(i));
    }
    if let Ok(f) = d.as_float() {
        return Ok(Value::Float(f));
    }
    if let Ok(c) = d.as_char() {
        return Ok(Value::Char(c));
    }
    if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
        return Ok(Value::Str(s.to_string()));
    }
    if let Some(a) = d.read_lock::<Array>() {
        return a.iter().map(|x| to_value_at(x, depth + 1)).collect::<Result<Vec<_>, _>>().map(Value::Array);
    }
    if let Some(m) = d.read_lock::<Map>() {
        return m.iter().map(|(k, v)| Ok((k.to_string(), to_value_at(v, depth + 1)?))).collect::<Result<_, _>>().map(Value::Map);
    }
    let d = d.clone();
    if d.is_blob() {
        return Ok(Value::Blob(d.cast::<rhai::Blob>()));
    }
    if let Some(p) = d.clone().try_cast::<ProcessObj>() {
        return match p.lane() {
            Some(lane) => Ok(Value::Handle(Handle::Process { lane })),
            None => Err(LessonError::type_error("cannot send a Process that has not been started")),
        };
    }
    if let Some(l) = d.clone().try_cast::<LockObj>() {
        return Ok(Value::Handle(Handle::Resource { kind: ResKind::Lock as u32, id: l.id }));
    }
    if let Some(h) = super::api_sync::to_handle(&d).or_else(|| super::api_ipc::to_handle(&d)) {
        return Ok(Value::Handle(h));
    }
    if d.is::<Globals>() {
        return Err(LessonError::type_error("cannot send the process's globals G; send a value instead"));
    }
    if d.is_fnptr() {
        return Err(LessonError::type_error("cannot send a function pointer to another process; pass the function's name as a string"));
    }
    Err(LessonError::type_error(format!("cannot pickle '{}' object", d.type_name())))
}

/// Rebuilds a script value received from another process.
pub fn from_value(v: Value) -> Dynamic {
    match v {
        Value::Unit => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Int(i) => i.into(),
        Value::Float(f) => f.into(),
        Value::Char(c) => c.into(),
        Value::Str(s) => s.into(),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(from_value).collect()),
        Value::Map(m) => Dynamic::from_map(m.into_iter().map(|(k, v)| (k.into(), from_value(v))).collect()),
        Value::Blob(b) => Dynamic::from_blob(b),
        Value::Handle(h) => from_handle(h),
        // Only a Python process makes these; a script sees the repr.
        Value::Pickled { repr, .. } => repr.into(),
    }
}

fn from_handle(h: Handle) -> Dynamic {
    if let Some(d) = super::api_sync::from_handle(&h).or_else(|| super::api_ipc::from_handle(&h)) {
        return d;
    }
    match h {
        Handle::Process { lane } => Dynamic::from(ProcessObj::remote(lane)),
        Handle::Resource { kind, id } => match ResKind::from_raw(kind) {
            Some(ResKind::Lock) => Dynamic::from(LockObj { id }),
            _ => Dynamic::UNIT,
        },
        _ => Dynamic::UNIT,
    }
}

/// An array or map as text, as Rhai prints it (`[1, "a"]`, `#{"k": 2}`),
/// but walked once with the codec's depth rule: Rhai's own printer made a
/// new call context per level, and a 5,000-deep list took minutes to print.
/// Leaves still print through the script's `to_debug`, so objects show as
/// everywhere else.
pub fn show_array(ctx: &rhai::NativeCallContext, a: &Array) -> Result<String, LessonError> {
    let mut out = String::new();
    array_into(ctx, a, 1, &mut out)?;
    Ok(out)
}

/// [`show_array`] for a map.
pub fn show_map(ctx: &rhai::NativeCallContext, m: &Map) -> Result<String, LessonError> {
    let mut out = String::new();
    map_into(ctx, m, 1, &mut out)?;
    Ok(out)
}

fn array_into(ctx: &rhai::NativeCallContext, a: &Array, depth: usize, out: &mut String) -> Result<(), LessonError> {
    crate::codec::check_depth(depth, "printing")?;
    out.push('[');
    for (i, x) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        show_into(ctx, x, depth + 1, out)?;
    }
    out.push(']');
    Ok(())
}

fn map_into(ctx: &rhai::NativeCallContext, m: &Map, depth: usize, out: &mut String) -> Result<(), LessonError> {
    crate::codec::check_depth(depth, "printing")?;
    out.push_str("#{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{:?}: ", k.as_str()));
        show_into(ctx, v, depth + 1, out)?;
    }
    out.push('}');
    Ok(())
}

fn show_into(ctx: &rhai::NativeCallContext, d: &Dynamic, depth: usize, out: &mut String) -> Result<(), LessonError> {
    if d.is_shared() {
        return show_into(ctx, &d.flatten_clone(), depth, out);
    }
    if let Some(a) = d.read_lock::<Array>() {
        return array_into(ctx, &a, depth, out);
    }
    if let Some(m) = d.read_lock::<Map>() {
        return map_into(ctx, &m, depth, out);
    }
    let mut leaf = d.clone();
    match ctx.call_native_fn_raw("to_debug", true, &mut [&mut leaf]).map(Dynamic::into_immutable_string) {
        Ok(Ok(s)) => out.push_str(&s),
        _ => out.push_str(&leaf.to_string()),
    }
    Ok(())
}
