//! Script registrations for RLock, Semaphore, BoundedSemaphore, Event,
//! Condition, Barrier, Value, Array (the objects are in [`super::objects`]).
//!
//! Shaped like Python's `multiprocessing`: `acquire()`, `acquire(false)`,
//! `acquire(secs)`, `acquire(blocking, secs)`; `wait()`, `wait(secs)`;
//! `s.value` and `s.get_value()`; `v.value` read and write; `a[i]`. As for
//! `Lock`, numeric arguments are registered with exact `INT` and `FLOAT`
//! signatures so no built-in of Rhai's wins over ours.

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, FLOAT, INT, NativeCallContext};

use super::common::{R, lift, line, raise, secs};
use crate::runtime::sync::value::{Num, typecode_is_float};
use crate::runtime::{LessonError, LaneRuntime};
use crate::shm::record::ResKind;
pub use super::objects::{ArrayObj, BarrierObj, ConditionObj, EventObj, RLockObj, SemaphoreObj, ValueObj};

pub fn register(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    register_rlock(engine, rt.clone());
    register_semaphore(engine, rt.clone());
    register_event(engine, rt.clone());
    register_condition(engine, rt.clone());
    register_barrier(engine, rt.clone());
    register_value(engine, rt.clone());
    register_array(engine, rt);
}

/// A timeout argument: seconds, or `()` for none.
fn timeout(ctx: &NativeCallContext, d: &Dynamic) -> R<Option<f64>> {
    let s = secs(ctx, d)?;
    Ok(s.is_finite().then_some(s))
}

/// What an acquire-like call does: (rt, id, blocking, timeout, line).
type AcquireFn = fn(&LaneRuntime, u32, bool, Option<f64>, u32) -> Result<bool, LessonError>;

/// Registers `acquire()`, `acquire(blocking)`, `acquire(secs)` and
/// `acquire(blocking, secs)` on `T`.
fn register_acquire<T: Clone + 'static>(engine: &mut Engine, rt: &Rc<LaneRuntime>, id: fn(&T) -> u32, f: AcquireFn) {
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, o: &mut T| -> R<bool> { lift(&ctx, f(&r, id(o), true, None, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, o: &mut T, b: bool| -> R<bool> { lift(&ctx, f(&r, id(o), b, None, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, o: &mut T, t: INT| -> R<bool> { lift(&ctx, f(&r, id(o), true, Some(t as f64), line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, o: &mut T, t: FLOAT| -> R<bool> { lift(&ctx, f(&r, id(o), true, Some(t), line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, o: &mut T, b: bool, t: Dynamic| -> R<bool> {
        let t = timeout(&ctx, &t)?;
        lift(&ctx, f(&r, id(o), b, t, line(&ctx)))
    });
}

/// Registers `wait()`, `wait(secs)` on `T` (`f`: rt, id, timeout, line).
fn register_wait<T: Clone + 'static, V: rhai::Variant + Clone>(engine: &mut Engine, rt: &Rc<LaneRuntime>, id: fn(&T) -> u32, f: fn(&LaneRuntime, u32, Option<f64>, u32) -> Result<V, LessonError>) {
    let r = rt.clone();
    engine.register_fn("wait", move |ctx: NativeCallContext, o: &mut T| -> R<V> { lift(&ctx, f(&r, id(o), None, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("wait", move |ctx: NativeCallContext, o: &mut T, t: INT| -> R<V> { lift(&ctx, f(&r, id(o), Some(t as f64), line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("wait", move |ctx: NativeCallContext, o: &mut T, t: FLOAT| -> R<V> { lift(&ctx, f(&r, id(o), Some(t), line(&ctx))) });
    let r = rt.clone();
    // wait(()) is Python's wait(None): no timeout.
    engine.register_fn("wait", move |ctx: NativeCallContext, o: &mut T, _: ()| -> R<V> { lift(&ctx, f(&r, id(o), None, line(&ctx))) });
}

/// `to_string` / `to_debug` as `<Name>` (reading a value would be an op).
fn register_show<T: Clone + 'static>(engine: &mut Engine, rt: &Rc<LaneRuntime>, id: fn(&T) -> u32) {
    let r = rt.clone();
    let show = move |o: &mut T| -> String { r.v.resource(id(o)).map(|s| format!("<{}>", s.name.get())).unwrap_or_default() };
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}

fn register_rlock(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<RLockObj>("RLock");
    let r = rt.clone();
    engine.register_fn("RLock", move |ctx: NativeCallContext| -> R<RLockObj> { lift(&ctx, r.rlock_new(line(&ctx))).map(|id| RLockObj { id }) });
    register_acquire::<RLockObj>(engine, &rt, |o| o.id, |rt, id, b, t, l| rt.rlock_acquire(id, b, t, l));
    let r = rt.clone();
    engine.register_fn("release", move |ctx: NativeCallContext, o: &mut RLockObj| -> R<()> { lift(&ctx, r.rlock_release(o.id, line(&ctx))) });
    register_show::<RLockObj>(engine, &rt, |o| o.id);
}

fn register_semaphore(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<SemaphoreObj>("Semaphore");
    for (name, bounded) in [("Semaphore", false), ("BoundedSemaphore", true)] {
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext| -> R<SemaphoreObj> { lift(&ctx, r.semaphore_new(1, bounded, line(&ctx))).map(|id| SemaphoreObj { id, bounded }) });
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext, n: INT| -> R<SemaphoreObj> { lift(&ctx, r.semaphore_new(n, bounded, line(&ctx))).map(|id| SemaphoreObj { id, bounded }) });
    }
    register_acquire::<SemaphoreObj>(engine, &rt, |o| o.id, |rt, id, b, t, l| rt.semaphore_acquire(id, b, t, l));
    let r = rt.clone();
    engine.register_fn("release", move |ctx: NativeCallContext, o: &mut SemaphoreObj| -> R<()> { lift(&ctx, r.semaphore_release(o.id, line(&ctx))) });
    let r = rt.clone();
    engine.register_get("value", move |ctx: NativeCallContext, o: &mut SemaphoreObj| -> R<INT> { lift(&ctx, r.semaphore_value(o.id, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("get_value", move |ctx: NativeCallContext, o: &mut SemaphoreObj| -> R<INT> { lift(&ctx, r.semaphore_value(o.id, line(&ctx))) });
    register_show::<SemaphoreObj>(engine, &rt, |o| o.id);
}

fn register_event(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<EventObj>("Event");
    let r = rt.clone();
    engine.register_fn("Event", move |ctx: NativeCallContext| -> R<EventObj> { lift(&ctx, r.event_new(line(&ctx))).map(|id| EventObj { id }) });
    let r = rt.clone();
    engine.register_fn("set", move |ctx: NativeCallContext, o: &mut EventObj| -> R<()> { lift(&ctx, r.event_set(o.id, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("clear", move |ctx: NativeCallContext, o: &mut EventObj| -> R<()> { lift(&ctx, r.event_clear(o.id, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("is_set", move |ctx: NativeCallContext, o: &mut EventObj| -> R<bool> { lift(&ctx, r.event_is_set(o.id, line(&ctx))) });
    register_wait::<EventObj, bool>(engine, &rt, |o| o.id, |rt, id, t, l| rt.event_wait(id, t, l));
    register_show::<EventObj>(engine, &rt, |o| o.id);
}

fn register_condition(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<ConditionObj>("Condition");
    let r = rt.clone();
    engine.register_fn("Condition", move |ctx: NativeCallContext| -> R<ConditionObj> { lift(&ctx, r.condition_new(None, line(&ctx))).map(|(id, ..)| ConditionObj { id }) });
    let r = rt.clone();
    engine.register_fn("Condition", move |ctx: NativeCallContext, lock: Dynamic| -> R<ConditionObj> {
        let given = if let Some(l) = lock.clone().try_cast::<super::objects::LockObj>() {
            (ResKind::Lock, l.id)
        } else if let Some(l) = lock.clone().try_cast::<RLockObj>() {
            (ResKind::RLock, l.id)
        } else if lock.is_unit() {
            return lift(&ctx, r.condition_new(None, line(&ctx))).map(|(id, ..)| ConditionObj { id });
        } else {
            return Err(raise(LessonError::type_error(format!("Condition() takes a Lock or an RLock, not {}", lock.type_name())), ctx.call_position()));
        };
        lift(&ctx, r.condition_new(Some(given), line(&ctx))).map(|(id, ..)| ConditionObj { id })
    });
    // acquire/release go to the condition's lock, as in Python.
    register_acquire::<ConditionObj>(engine, &rt, |o| o.id, |rt, id, b, t, l| match rt.condition_lock(id)? {
        (ResKind::RLock, lock) => rt.rlock_acquire(lock, b, t, l),
        (_, lock) => rt.lock_acquire(lock, b, t, l),
    });
    let r = rt.clone();
    engine.register_fn("release", move |ctx: NativeCallContext, o: &mut ConditionObj| -> R<()> {
        let l = line(&ctx);
        lift(
            &ctx,
            r.condition_lock(o.id).and_then(|lk| match lk {
                (ResKind::RLock, lock) => r.rlock_release(lock, l),
                (_, lock) => r.lock_release(lock, l),
            }),
        )
    });
    register_wait::<ConditionObj, bool>(engine, &rt, |o| o.id, |rt, id, t, l| rt.condition_wait(id, t, l));
    let r = rt.clone();
    engine.register_fn("notify", move |ctx: NativeCallContext, o: &mut ConditionObj| -> R<()> { lift(&ctx, r.condition_notify(o.id, Some(1), line(&ctx))).map(|_| ()) });
    let r = rt.clone();
    engine.register_fn("notify", move |ctx: NativeCallContext, o: &mut ConditionObj, n: INT| -> R<()> { lift(&ctx, r.condition_notify(o.id, Some(n.max(0)), line(&ctx))).map(|_| ()) });
    let r = rt.clone();
    engine.register_fn("notify_all", move |ctx: NativeCallContext, o: &mut ConditionObj| -> R<()> { lift(&ctx, r.condition_notify(o.id, None, line(&ctx))).map(|_| ()) });
    register_show::<ConditionObj>(engine, &rt, |o| o.id);
}

fn register_barrier(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<BarrierObj>("Barrier");
    let r = rt.clone();
    engine.register_fn("Barrier", move |ctx: NativeCallContext, n: INT| -> R<BarrierObj> { lift(&ctx, r.barrier_new(n, line(&ctx))).map(|id| BarrierObj { id }) });
    register_wait::<BarrierObj, INT>(engine, &rt, |o| o.id, |rt, id, t, l| rt.barrier_wait(id, t, false, l));
    let r = rt.clone();
    engine.register_get("n_waiting", move |ctx: NativeCallContext, o: &mut BarrierObj| -> R<INT> { lift(&ctx, r.barrier_waiting(o.id, line(&ctx))) });
    let r = rt.clone();
    engine.register_get("parties", move |ctx: NativeCallContext, o: &mut BarrierObj| -> R<INT> { lift(&ctx, r.barrier_info(o.id)).map(|i| i.0) });
    let r = rt.clone();
    engine.register_get("broken", move |ctx: NativeCallContext, o: &mut BarrierObj| -> R<bool> { lift(&ctx, r.barrier_info(o.id)).map(|i| i.1) });
    let r = rt.clone();
    engine.register_fn("abort", move |ctx: NativeCallContext, o: &mut BarrierObj| -> R<()> { lift(&ctx, r.barrier_reset(o.id, true, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("reset", move |ctx: NativeCallContext, o: &mut BarrierObj| -> R<()> { lift(&ctx, r.barrier_reset(o.id, false, line(&ctx))) });
    register_show::<BarrierObj>(engine, &rt, |o| o.id);
}

fn num_to_dynamic(n: Num) -> Dynamic {
    match n {
        Num::Int(i) => i.into(),
        Num::Float(f) => f.into(),
    }
}

/// A number from a script value, or Python's TypeError.
fn num(ctx: &NativeCallContext, d: &Dynamic) -> R<Num> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        return Ok(Num::Int(i));
    }
    if let Some(f) = d.clone().try_cast::<FLOAT>() {
        return Ok(Num::Float(f));
    }
    if let Some(b) = d.clone().try_cast::<bool>() {
        return Ok(Num::Int(b as i64));
    }
    Err(raise(LessonError::type_error(format!("a number is required, not {}", d.type_name())), ctx.call_position()))
}

fn register_value(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<ValueObj>("Synchronized");
    let r = rt.clone();
    let make = move |ctx: &NativeCallContext, init: Num, float: bool| -> R<ValueObj> { lift(ctx, r.value_new(init, float, line(ctx))).map(|(id, _)| ValueObj { id }) };
    let m = make.clone();
    engine.register_fn("Value", move |ctx: NativeCallContext, init: INT| m(&ctx, Num::Int(init), false));
    let m = make.clone();
    engine.register_fn("Value", move |ctx: NativeCallContext, init: FLOAT| m(&ctx, Num::Float(init), true));
    engine.register_fn("Value", move |ctx: NativeCallContext, code: &str, init: Dynamic| -> R<ValueObj> {
        let float = lift(&ctx, typecode_is_float(code))?;
        let init = num(&ctx, &init)?;
        make(&ctx, init, float)
    });
    let r = rt.clone();
    engine.register_get("value", move |ctx: NativeCallContext, o: &mut ValueObj| -> R<Dynamic> { lift(&ctx, r.value_load(o.id, line(&ctx))).map(num_to_dynamic) });
    let r = rt.clone();
    engine.register_set("value", move |ctx: NativeCallContext, o: &mut ValueObj, x: INT| -> R<()> { lift(&ctx, r.value_store(o.id, Num::Int(x), line(&ctx))) });
    let r = rt.clone();
    engine.register_set("value", move |ctx: NativeCallContext, o: &mut ValueObj, x: FLOAT| -> R<()> { lift(&ctx, r.value_store(o.id, Num::Float(x), line(&ctx))) });
    let r = rt.clone();
    engine.register_set("value", move |ctx: NativeCallContext, o: &mut ValueObj, x: Dynamic| -> R<()> {
        let x = num(&ctx, &x)?;
        lift(&ctx, r.value_store(o.id, x, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("get_lock", move |ctx: NativeCallContext, o: &mut ValueObj| -> R<RLockObj> { lift(&ctx, r.shared_lock(o.id)).map(|id| RLockObj { id }) });
    register_show::<ValueObj>(engine, &rt, |o| o.id);
}

fn register_array(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<ArrayObj>("SynchronizedArray");
    let r = rt.clone();
    let make = move |ctx: &NativeCallContext, values: Vec<Num>, float: bool| -> R<ArrayObj> { lift(ctx, r.array_new(&values, float, line(ctx))).map(|(id, _)| ArrayObj { id }) };
    let filled = |ctx: &NativeCallContext, n: INT, init: Num| -> R<Vec<Num>> {
        if n < 0 {
            return Err(raise(LessonError::value(format!("Array length must be >= 0, not {n}")), ctx.call_position()));
        }
        if n > crate::runtime::sync::value::MAX_ARRAY {
            return Err(raise(LessonError::value(format!("Array length {n} is more than forkscope keeps ({})", crate::runtime::sync::value::MAX_ARRAY)), ctx.call_position()));
        }
        Ok(vec![init; n as usize])
    };
    let listed = |ctx: &NativeCallContext, a: &Array| -> R<(Vec<Num>, bool)> {
        let nums: Vec<Num> = a.iter().map(|d| num(ctx, d)).collect::<R<_>>()?;
        let float = nums.iter().any(|n| n.is_float());
        Ok((nums, float))
    };
    // Array(n, init)
    let m = make.clone();
    engine.register_fn("Array", move |ctx: NativeCallContext, n: INT, init: INT| m(&ctx, filled(&ctx, n, Num::Int(init))?, false));
    let m = make.clone();
    engine.register_fn("Array", move |ctx: NativeCallContext, n: INT, init: FLOAT| m(&ctx, filled(&ctx, n, Num::Float(init))?, true));
    // Array([..])
    let m = make.clone();
    engine.register_fn("Array", move |ctx: NativeCallContext, a: Array| {
        let (v, f) = listed(&ctx, &a)?;
        m(&ctx, v, f)
    });
    // Array(typecode, n) / Array(typecode, [..]): Python's form.
    engine.register_fn("Array", move |ctx: NativeCallContext, code: &str, what: Dynamic| -> R<ArrayObj> {
        let float = lift(&ctx, typecode_is_float(code))?;
        let zero = if float { Num::Float(0.0) } else { Num::Int(0) };
        let values = if let Some(n) = what.clone().try_cast::<INT>() {
            filled(&ctx, n, zero)?
        } else if what.is_array() {
            listed(&ctx, &what.cast::<Array>())?.0
        } else {
            return Err(raise(LessonError::type_error(format!("Array() takes a length or a list, not {}", what.type_name())), ctx.call_position()));
        };
        make(&ctx, values, float)
    });
    let r = rt.clone();
    engine.register_indexer_get(move |ctx: NativeCallContext, o: &mut ArrayObj, i: INT| -> R<Dynamic> { lift(&ctx, r.array_load(o.id, i, line(&ctx))).map(num_to_dynamic) });
    let r = rt.clone();
    engine.register_indexer_set(move |ctx: NativeCallContext, o: &mut ArrayObj, i: INT, x: INT| -> R<()> { lift(&ctx, r.array_store(o.id, i, Num::Int(x), line(&ctx))) });
    let r = rt.clone();
    engine.register_indexer_set(move |ctx: NativeCallContext, o: &mut ArrayObj, i: INT, x: FLOAT| -> R<()> { lift(&ctx, r.array_store(o.id, i, Num::Float(x), line(&ctx))) });
    let r = rt.clone();
    engine.register_indexer_set(move |ctx: NativeCallContext, o: &mut ArrayObj, i: INT, x: Dynamic| -> R<()> {
        let x = num(&ctx, &x)?;
        lift(&ctx, r.array_store(o.id, i, x, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("len", move |ctx: NativeCallContext, o: &mut ArrayObj| -> R<INT> { lift(&ctx, r.array_len(o.id)) });
    let r = rt.clone();
    engine.register_fn("to_list", move |ctx: NativeCallContext, o: &mut ArrayObj| -> R<Array> { lift(&ctx, r.array_all(o.id, line(&ctx))).map(|v| v.into_iter().map(num_to_dynamic).collect()) });
    let r = rt.clone();
    engine.register_fn("get_lock", move |ctx: NativeCallContext, o: &mut ArrayObj| -> R<RLockObj> { lift(&ctx, r.shared_lock(o.id)).map(|id| RLockObj { id }) });
    register_show::<ArrayObj>(engine, &rt, |o| o.id);
}
