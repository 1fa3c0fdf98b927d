//! Script registrations for `Pool` and `AsyncResult`, and the callbacks of
//! `apply_async(f, args, callback)`.
//!
//! A callback runs in the process that submitted the task (see
//! `runtime::ipc::pool`): this module keeps the process's pending callbacks,
//! in submission order, and runs the ready ones whenever the process touches
//! the pool or a result, and while it waits in `pool.join()`. A task that
//! raised gets no callback (Python would call its `error_callback`); its
//! `get()` raises the error.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, FLOAT, FnPtr, INT, NativeCallContext};

use super::FnTable;
use super::common::{R, lift, line, raise, target_name};
use super::values::{from_value, to_value};
use crate::codec::Value;
use crate::runtime::ipc::pool::JoinStep;
use crate::runtime::{LessonError, LaneRuntime};
use crate::shm::record::Op;

/// A `Pool`: its resource and its workers' lanes. Only its creator has one
/// (as in Python, a pool cannot be sent to another process).
#[derive(Clone, Debug)]
pub struct PoolObj {
    pub id: u32,
    pub workers: Rc<Vec<u32>>,
}

/// An `AsyncResult` (from `apply_async`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncResultObj {
    pub id: u32,
}

/// A callback waiting for its result.
#[derive(Clone, Debug)]
struct Pending {
    result: u32,
    pool: u32,
    func: String,
}

thread_local! {
    static CALLBACKS: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

/// Runs every callback whose result is ready, in submission order.
fn run_callbacks(ctx: &NativeCallContext, rt: &LaneRuntime) -> R<()> {
    loop {
        let next = CALLBACKS.with(|c| {
            let mut c = c.borrow_mut();
            let i = c.iter().position(|p| rt.result_if_ready(p.result).is_some())?;
            Some(c.remove(i))
        });
        let Some(p) = next else { return Ok(()) };
        if let Some(Ok(v)) = rt.result_if_ready(p.result) {
            let f = FnPtr::new(p.func.as_str()).map_err(|e| raise(LessonError::type_error(e.to_string()), ctx.call_position()))?;
            let _ = f.call_within_context::<Dynamic>(ctx, (from_value(rt, v),))?;
        }
    }
}

fn pending_for(pool: u32) -> Vec<u32> {
    CALLBACKS.with(|c| c.borrow().iter().filter(|p| p.pool == pool).map(|p| p.result).collect())
}

pub fn register(engine: &mut Engine, rt: Rc<LaneRuntime>, fns: Rc<FnTable>) {
    engine.register_type_with_name::<PoolObj>("Pool");
    engine.register_type_with_name::<AsyncResultObj>("AsyncResult");

    let new_pool = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, n: INT| -> R<PoolObj> {
            let (id, workers) = lift(ctx, r.pool_new(n, line(ctx)))?;
            Ok(PoolObj { id, workers: Rc::new(workers) })
        }
    };
    let np = new_pool.clone();
    engine.register_fn("Pool", move |ctx: NativeCallContext| np(&ctx, std::thread::available_parallelism().map_or(1, |n| n.get()) as INT));
    engine.register_fn("Pool", move |ctx: NativeCallContext, n: INT| new_pool(&ctx, n));

    // Submits `calls` of `f`; returns the result's id.
    let submit = {
        let (r, f) = (rt.clone(), fns.clone());
        move |ctx: &NativeCallContext, p: &PoolObj, op: Op, func: &Dynamic, calls: Vec<Vec<Value>>, callback: Option<&Dynamic>| -> R<u32> {
            run_callbacks(ctx, &r)?;
            let name = target_name(ctx, &f, func)?;
            let cb = callback.map(|c| target_name(ctx, &f, c)).transpose()?;
            let rid = lift(ctx, r.pool_submit(p.id, op, &name, calls, cb.is_some(), line(ctx)))?;
            if let Some(func) = cb {
                CALLBACKS.with(|c| c.borrow_mut().push(Pending { result: rid, pool: p.id, func }));
            }
            Ok(rid)
        }
    };
    let args_of = |ctx: &NativeCallContext, a: &Array| -> R<Vec<Value>> { lift(ctx, a.iter().map(to_value).collect::<Result<Vec<_>, _>>()) };
    let get = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, rid: u32, t: Option<f64>| -> R<Dynamic> {
            let v = lift(ctx, r.result_get(rid, t, line(ctx)));
            // Python runs a result's callback before its get() returns.
            run_callbacks(ctx, &r)?;
            v.map(|v| from_value(&r, v))
        }
    };

    let (s, g) = (submit.clone(), get.clone());
    engine.register_fn("apply", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: Array| -> R<Dynamic> {
        let rid = s(&ctx, p, Op::Apply, &f, vec![args_of(&ctx, &a)?], None)?;
        g(&ctx, rid, None)
    });
    let (s, g) = (submit.clone(), get.clone());
    engine.register_fn("apply", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic| -> R<Dynamic> {
        let rid = s(&ctx, p, Op::Apply, &f, vec![vec![]], None)?;
        g(&ctx, rid, None)
    });
    let s = submit.clone();
    engine.register_fn("apply_async", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic| -> R<AsyncResultObj> {
        s(&ctx, p, Op::ApplyAsync, &f, vec![vec![]], None).map(|id| AsyncResultObj { id })
    });
    let s = submit.clone();
    engine.register_fn("apply_async", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: Array| -> R<AsyncResultObj> {
        s(&ctx, p, Op::ApplyAsync, &f, vec![args_of(&ctx, &a)?], None).map(|id| AsyncResultObj { id })
    });
    let s = submit.clone();
    engine.register_fn("apply_async", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: Array, cb: Dynamic| -> R<AsyncResultObj> {
        s(&ctx, p, Op::ApplyAsync, &f, vec![args_of(&ctx, &a)?], Some(&cb)).map(|id| AsyncResultObj { id })
    });
    let map = {
        let (s, g) = (submit.clone(), get.clone());
        move |ctx: &NativeCallContext, p: &PoolObj, f: &Dynamic, items: Vec<Dynamic>| -> R<Dynamic> {
            let calls = lift(ctx, items.iter().map(|d| to_value(d).map(|v| vec![v])).collect::<Result<Vec<_>, _>>())?;
            let rid = s(ctx, p, Op::Map, f, calls, None)?;
            g(ctx, rid, None)
        }
    };
    let m = map.clone();
    engine.register_fn("map", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: Array| m(&ctx, p, &f, a));
    let m = map.clone();
    engine.register_fn("map", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: std::ops::Range<INT>| m(&ctx, p, &f, a.map(Dynamic::from).collect()));
    engine.register_fn("map", move |ctx: NativeCallContext, p: &mut PoolObj, f: Dynamic, a: std::ops::RangeInclusive<INT>| map(&ctx, p, &f, a.map(Dynamic::from).collect()));

    let r = rt.clone();
    engine.register_fn("close", move |ctx: NativeCallContext, p: &mut PoolObj| -> R<()> {
        run_callbacks(&ctx, &r)?;
        lift(&ctx, r.pool_close(p.id, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("terminate", move |ctx: NativeCallContext, p: &mut PoolObj| -> R<()> {
        run_callbacks(&ctx, &r)?;
        let id = p.id;
        CALLBACKS.with(|c| c.borrow_mut().retain(|x| x.pool != id));
        lift(&ctx, r.pool_terminate(p.id, &p.workers, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("join", move |ctx: NativeCallContext, p: &mut PoolObj| -> R<()> {
        loop {
            run_callbacks(&ctx, &r)?;
            match lift(&ctx, r.pool_join_step(p.id, &p.workers, &pending_for(p.id), line(&ctx)))? {
                JoinStep::Done => return run_callbacks(&ctx, &r),
                JoinStep::Callbacks => continue,
            }
        }
    });
    let r = rt.clone();
    let show = move |p: &mut PoolObj| format!("<{} with {} workers>", r.v.resource(p.id).map(|s| s.name.get()).unwrap_or_default(), p.workers.len());
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);

    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, a: &mut AsyncResultObj| g(&ctx, a.id, None));
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, a: &mut AsyncResultObj, t: INT| g(&ctx, a.id, Some(t as f64)));
    engine.register_fn("get", move |ctx: NativeCallContext, a: &mut AsyncResultObj, t: FLOAT| get(&ctx, a.id, Some(t)));
    let r = rt.clone();
    engine.register_fn("ready", move |ctx: NativeCallContext, a: &mut AsyncResultObj| -> R<bool> {
        let ready = lift(&ctx, r.result_ready(a.id, line(&ctx)))?;
        run_callbacks(&ctx, &r)?;
        Ok(ready)
    });
    let r = rt;
    let show = move |a: &mut AsyncResultObj| r.v.resource(a.id).map(|s| format!("<{}>", s.name.get())).unwrap_or_default();
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}
