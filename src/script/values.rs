//! Script values ⇄ [`codec::Value`]: what may cross to another process.
//!
//! Plain data (unit, bool, int, float, char, string, array, map, blob) and
//! handles to shared things (processes, locks, …) cross; anything else is
//! refused the way Python refuses to pickle it.

use rhai::{Array, Dynamic, Map};

use std::cell::Cell;
use std::rc::Rc;

use super::objects::{ArrayObj, BarrierObj, ConditionObj, ConnectionObj, EventObj, Globals, LockObj, ProcessObj, QueueObj, RLockObj, SemaphoreObj, SocketObj, ValueObj};
use crate::codec::{Handle, Value};
use crate::runtime::{LessonError, LaneRuntime};
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
    if let Some(h) = to_handle(&d) {
        return h.map(Value::Handle);
    }
    if d.is::<Globals>() {
        return Err(LessonError::type_error("cannot send the process's globals G; send a value instead"));
    }
    if d.is_fnptr() {
        return Err(LessonError::type_error("cannot send a function pointer to another process; pass the function's name as a string"));
    }
    Err(LessonError::type_error(format!("cannot pickle '{}' object", d.type_name())))
}

/// Rebuilds a script value that process `rt` received from another.
pub fn from_value(rt: &LaneRuntime, v: Value) -> Dynamic {
    rebuild(v, &|h| from_handle(rt, h))
}

/// Rebuilds plain data outside any process of the run (a lesson's
/// conditions, read by the conductor): a handle there is `()`.
pub fn from_data(v: Value) -> Dynamic {
    rebuild(v, &|_| Dynamic::UNIT)
}

fn rebuild(v: Value, handle: &dyn Fn(Handle) -> Dynamic) -> Dynamic {
    match v {
        Value::Unit => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Int(i) => i.into(),
        Value::Float(f) => f.into(),
        Value::Char(c) => c.into(),
        Value::Str(s) => s.into(),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(|v| rebuild(v, handle)).collect()),
        Value::Map(m) => Dynamic::from_map(m.into_iter().map(|(k, v)| (k.into(), rebuild(v, handle))).collect()),
        Value::Blob(b) => Dynamic::from_blob(b),
        Value::Handle(h) => handle(h),
        // Only a Python process makes these; a script sees the repr.
        Value::Pickled { repr, .. } => repr.into(),
    }
}

/// The one table of what crosses to another process as a handle: each
/// script object that stands for something shared, and the handle it
/// travels as ([`from_handle`] is its inverse). `None`: not such an object.
fn to_handle(d: &Dynamic) -> Option<Result<Handle, LessonError>> {
    let res = |kind: ResKind, id: u32| Some(Ok(Handle::Resource { kind: kind as u32, id }));
    if let Some(p) = d.clone().try_cast::<ProcessObj>() {
        return Some(p.lane().map(|lane| Handle::Process { lane }).ok_or_else(|| LessonError::type_error("cannot send a Process that has not been started")));
    }
    if let Some(o) = d.clone().try_cast::<LockObj>() {
        return res(ResKind::Lock, o.id);
    }
    if let Some(o) = d.clone().try_cast::<RLockObj>() {
        return res(ResKind::RLock, o.id);
    }
    if let Some(o) = d.clone().try_cast::<SemaphoreObj>() {
        return res(if o.bounded { ResKind::BoundedSemaphore } else { ResKind::Semaphore }, o.id);
    }
    if let Some(o) = d.clone().try_cast::<EventObj>() {
        return res(ResKind::Event, o.id);
    }
    if let Some(o) = d.clone().try_cast::<ConditionObj>() {
        return res(ResKind::Condition, o.id);
    }
    if let Some(o) = d.clone().try_cast::<BarrierObj>() {
        return res(ResKind::Barrier, o.id);
    }
    if let Some(o) = d.clone().try_cast::<ValueObj>() {
        return res(ResKind::Value, o.id);
    }
    if let Some(o) = d.clone().try_cast::<ArrayObj>() {
        return res(ResKind::Array, o.id);
    }
    if let Some(q) = d.clone().try_cast::<QueueObj>() {
        return res(if q.joinable { ResKind::JoinableQueue } else { ResKind::Queue }, q.id);
    }
    if let Some(c) = d.clone().try_cast::<ConnectionObj>() {
        return Some(Ok(Handle::PipeEnd { id: c.id, end: c.end, duplex: c.duplex }));
    }
    if let Some(s) = d.clone().try_cast::<SocketObj>() {
        return Some(Ok(Handle::Socket { fd: s.fd.get(), id: s.id, listening: s.listening }));
    }
    None
}

/// The script object for a handle received by this process (`rt`): a pipe
/// end received is held by it from then on; a socket's descriptor is
/// checked. Unknown handles become `()`.
fn from_handle(rt: &LaneRuntime, h: Handle) -> Dynamic {
    match h {
        Handle::Process { lane } => Dynamic::from(ProcessObj::remote(lane)),
        Handle::Resource { kind, id } => match ResKind::from_raw(kind) {
            Some(ResKind::Lock) => Dynamic::from(LockObj { id }),
            Some(ResKind::RLock) => Dynamic::from(RLockObj { id }),
            Some(ResKind::Semaphore) => Dynamic::from(SemaphoreObj { id, bounded: false }),
            Some(ResKind::BoundedSemaphore) => Dynamic::from(SemaphoreObj { id, bounded: true }),
            Some(ResKind::Event) => Dynamic::from(EventObj { id }),
            Some(ResKind::Condition) => Dynamic::from(ConditionObj { id }),
            Some(ResKind::Barrier) => Dynamic::from(BarrierObj { id }),
            Some(ResKind::Value) => Dynamic::from(ValueObj { id }),
            Some(ResKind::Array) => Dynamic::from(ArrayObj { id }),
            Some(ResKind::Queue) => Dynamic::from(QueueObj { id, joinable: false }),
            Some(ResKind::JoinableQueue) => Dynamic::from(QueueObj { id, joinable: true }),
            _ => Dynamic::UNIT,
        },
        Handle::PipeEnd { id, end, duplex } => {
            rt.pipe_adopt_for(id, end, rt.lane);
            Dynamic::from(ConnectionObj { id, end: end & 1, duplex })
        }
        Handle::Socket { fd, id, listening } => {
            let fd = rt.sock_adopt(id, fd);
            Dynamic::from(SocketObj { id, fd: Rc::new(Cell::new(fd)), listening })
        }
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

#[cfg(test)]
mod tests {
    /// Handles have one table ([`super::to_handle`], [`super::from_handle`])
    /// and a received value is rebuilt with the process's runtime in hand:
    /// no other file of the script side converts handles, and none keeps
    /// the runtime in a thread-local (api_ipc did, for received pipe ends
    /// and sockets; api_sync and api_ipc each had half of the table).
    #[test]
    fn handles_have_one_table_and_no_thread_local_runtime() {
        let files = crate::sources::rust_files(&["script"]);
        for (p, text) in &files {
            let code: Vec<&str> = text.lines().map(crate::sources::code).collect();
            let code = code.join("\n");
            if p.file_name().is_some_and(|n| n != "values.rs") {
                for f in ["fn to_handle", "fn from_handle"] {
                    assert!(!code.contains(f), "{}: {f} belongs in values.rs", p.display());
                }
            }
            // A thread-local holding the runtime: `thread_local!` with `LaneRuntime` inside.
            let mut rest = code.as_str();
            let needle = ["thread_", "local!"].concat();
            while let Some(i) = rest.find(&needle) {
                let block = &rest[i..];
                let end = block.find("\n}").unwrap_or(block.len());
                assert!(!block[..end].contains("LaneRuntime>"), "{}: a thread-local runtime: {}", p.display(), &block[..end]);
                rest = &block[end..];
            }
        }
        let seen = files.len();
        assert!(seen > 5, "read the sources ({seen} files)");
    }
}
