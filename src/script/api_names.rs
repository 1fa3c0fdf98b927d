//! Named resources in Rhai: a map `#{name: "fork"}` after a primitive's
//! arguments (`Lock(#{name: "fork"})`, `Semaphore(4, #{name: "seats"})`,
//! `Queue(#{name: "buns"})`) names the resource it creates, so the
//! dashboard, the log and the banners say `fork` instead of `Lock-2` — as a
//! Python program's resources are named after their variables.
//!
//! Each overload takes the map off, then calls the primitive's own
//! constructor with the rest inside [`LaneRuntime::named`]: one path for every
//! primitive, nothing of their construction repeated here.

use std::rc::Rc;

use rhai::{Dynamic, Engine, Map, NativeCallContext};

use super::common::{R, raise};
use crate::runtime::{LessonError, LaneRuntime};

/// Every constructor and how many positional arguments it takes before the map.
const CONSTRUCTORS: &[(&str, usize)] = &[
    ("Lock", 0),
    ("RLock", 0),
    ("Semaphore", 0),
    ("Semaphore", 1),
    ("BoundedSemaphore", 0),
    ("BoundedSemaphore", 1),
    ("Event", 0),
    ("Condition", 0),
    ("Condition", 1),
    ("Barrier", 1),
    ("Value", 1),
    ("Value", 2),
    ("Array", 1),
    ("Array", 2),
    ("Queue", 0),
    ("Queue", 1),
    ("JoinableQueue", 0),
    ("JoinableQueue", 1),
    ("Pipe", 0),
    ("Pipe", 1),
    ("Pool", 0),
    ("Pool", 1),
    ("listen", 1),
];

/// The name a constructor's options give: `#{name: "fork"}` (a non-empty
/// string; `()` is the default name, as Python's `name=None`).
fn chosen_name(ctx: &NativeCallContext, ctor: &str, opts: &Map) -> R<Option<String>> {
    for k in opts.keys() {
        if k.as_str() != "name" {
            return Err(raise(LessonError::type_error(format!("{ctor}() got an unexpected option '{k}' (it takes #{{name: \"…\"}})")), ctx.call_position()));
        }
    }
    match opts.get("name") {
        None => Ok(None),
        Some(n) if n.is_unit() => Ok(None),
        Some(n) if n.is_string() && !n.clone().into_string().unwrap_or_default().trim().is_empty() => Ok(Some(n.clone().into_string().unwrap_or_default())),
        Some(n) => Err(raise(LessonError::type_error(format!("{ctor}(): name must be a non-empty string, not {}", if n.is_string() { "an empty one" } else { n.type_name() })), ctx.call_position())),
    }
}

/// Calls `ctor(args)` with the resource it makes named after `opts`.
fn make(rt: &LaneRuntime, ctx: &NativeCallContext, ctor: &str, mut args: Vec<Dynamic>, opts: &Map) -> R<Dynamic> {
    let name = chosen_name(ctx, ctor, opts)?;
    let mut refs: Vec<&mut Dynamic> = args.iter_mut().collect();
    rt.named(name.as_deref(), || ctx.call_native_fn_raw(ctor, false, &mut refs))
}

/// Registers the named overload of every constructor.
pub fn register(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    for &(ctor, arity) in CONSTRUCTORS {
        let r = rt.clone();
        match arity {
            0 => engine.register_fn(ctor, move |ctx: NativeCallContext, o: Map| make(&r, &ctx, ctor, vec![], &o)),
            1 => engine.register_fn(ctor, move |ctx: NativeCallContext, a: Dynamic, o: Map| make(&r, &ctx, ctor, vec![a], &o)),
            _ => engine.register_fn(ctor, move |ctx: NativeCallContext, a: Dynamic, b: Dynamic, o: Map| make(&r, &ctx, ctor, vec![a, b], &o)),
        };
    }
}
