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
    let d = d.flatten_clone();
    if d.is_unit() {
        return Ok(Value::Unit);
    }
    if let Some(b) = d.clone().try_cast::<bool>() {
        return Ok(Value::Bool(b));
    }
    if let Some(i) = d.clone().try_cast::<rhai::INT>() {
        return Ok(Value::Int(i));
    }
    if let Some(f) = d.clone().try_cast::<rhai::FLOAT>() {
        return Ok(Value::Float(f));
    }
    if let Some(c) = d.clone().try_cast::<char>() {
        return Ok(Value::Char(c));
    }
    if d.is_string() {
        return Ok(Value::Str(d.into_string().unwrap_or_default()));
    }
    if d.is_array() {
        let a = d.cast::<Array>();
        return a.iter().map(to_value).collect::<Result<Vec<_>, _>>().map(Value::Array);
    }
    if d.is_map() {
        let m = d.cast::<Map>();
        return m.iter().map(|(k, v)| Ok((k.to_string(), to_value(v)?))).collect::<Result<_, _>>().map(Value::Map);
    }
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
