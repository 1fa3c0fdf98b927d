//! Registers the lesson API (see docs/lessons.md, "Rhai lessons") on a Rhai engine.
//! Each function is a thin adapter: it takes the call's line from the call
//! context, converts arguments, and calls the runtime. Runtime errors become
//! script exceptions carrying Python's text (`ValueError: …`).

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, FuncRegistration, INT, Map, NativeCallContext};
use rand::RngExt;

use super::objects::{Globals, LockObj, ProcessObj};
use super::values::{from_value, to_value};
use super::FnTable;
use super::common::{R, lift, line, raise, secs, target_name};
use crate::runtime::{LessonError, LaneRuntime};

fn opt_secs(ctx: &NativeCallContext, d: Dynamic) -> R<Option<f64>> {
    let s = secs(ctx, &d)?;
    Ok(s.is_finite().then_some(s))
}

/// Registers the whole API for a process running on `rt`.
pub fn register(engine: &mut Engine, rt: Rc<LaneRuntime>, fns: Rc<FnTable>, globals: Globals) {
    register_process(engine, rt.clone(), fns.clone());
    register_lock(engine, rt.clone());
    super::api_sync::register(engine, rt.clone());
    super::api_ipc::register(engine, rt.clone(), fns);
    super::api_names::register(engine, rt.clone());
    register_misc(engine, rt, globals);
}

fn register_process(engine: &mut Engine, rt: Rc<LaneRuntime>, fns: Rc<FnTable>) {
    engine.register_type_with_name::<ProcessObj>("Process");

    fn make(rt: &LaneRuntime, ctx: &NativeCallContext, fns: &FnTable, target: Dynamic, args: Array, opts: Map) -> R<ProcessObj> {
        let target = target_name(ctx, fns, &target)?;
        let (identity, default_name) = rt.new_child_identity();
        // name: () is Python's name=None: the default name.
        let name = opts.get("name").filter(|n| !n.is_unit()).map(|n| n.to_string()).unwrap_or(default_name);
        let daemon = opts.get("daemon").map(|d| d.as_bool().unwrap_or(false)).unwrap_or(false);
        for k in opts.keys() {
            if !["name", "daemon"].contains(&k.as_str()) {
                return Err(raise(LessonError::type_error(format!("Process() got an unexpected keyword argument '{k}'")), ctx.call_position()));
            }
        }
        let p = ProcessObj::new(target, args, Some(name), daemon);
        p.0.borrow_mut().identity = identity;
        Ok(p)
    }
    let (r, f) = (rt.clone(), fns.clone());
    engine.register_fn("Process", move |ctx: NativeCallContext, t: Dynamic| make(&r, &ctx, &f, t, Array::new(), Map::new()));
    let (r, f) = (rt.clone(), fns.clone());
    engine.register_fn("Process", move |ctx: NativeCallContext, t: Dynamic, a: Array| make(&r, &ctx, &f, t, a, Map::new()));
    let (r, f) = (rt.clone(), fns.clone());
    engine.register_fn("Process", move |ctx: NativeCallContext, t: Dynamic, a: Array, o: Map| make(&r, &ctx, &f, t, a, o));

    let r = rt.clone();
    engine.register_fn("start", move |ctx: NativeCallContext, p: &mut ProcessObj| -> R<()> {
        let (target, args, name, daemon, identity) = {
            let i = p.0.borrow();
            if i.lane.is_some() {
                return Err(raise(LessonError::assertion("cannot start a process twice"), ctx.call_position()));
            }
            (i.target.clone(), i.args.clone(), i.name.clone().unwrap_or_default(), i.daemon, i.identity.clone())
        };
        let vals = lift(&ctx, args.iter().map(to_value).collect::<Result<Vec<_>, _>>())?;
        let (lane, pid) = lift(&ctx, r.process_start(&target, vals, identity, &name, daemon, line(&ctx)))?;
        let mut i = p.0.borrow_mut();
        i.lane = Some(lane);
        i.pid = Some(pid);
        Ok(())
    });

    fn started(ctx: &NativeCallContext, p: &ProcessObj, what: &str) -> R<u32> {
        p.lane().ok_or_else(|| raise(LessonError::assertion(format!("can only {what} a started process")), ctx.call_position()))
    }
    let r = rt.clone();
    engine.register_fn("join", move |ctx: NativeCallContext, p: &mut ProcessObj| -> R<()> {
        let lane = started(&ctx, p, "join")?;
        lift(&ctx, r.process_join(lane, None, line(&ctx))).map(|_| ())
    });
    let r = rt.clone();
    engine.register_fn("join", move |ctx: NativeCallContext, p: &mut ProcessObj, t: Dynamic| -> R<()> {
        let lane = started(&ctx, p, "join")?;
        let t = opt_secs(&ctx, t)?;
        lift(&ctx, r.process_join(lane, t, line(&ctx))).map(|_| ())
    });
    let r = rt.clone();
    engine.register_fn("is_alive", move |ctx: NativeCallContext, p: &mut ProcessObj| -> R<bool> {
        if p.0.borrow().is_self {
            return Ok(true);
        }
        match p.lane() {
            None => Ok(false),
            Some(lane) => lift(&ctx, r.process_is_alive(lane, line(&ctx))),
        }
    });
    for (name, sig) in [("terminate", libc::SIGTERM), ("kill", libc::SIGKILL)] {
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext, p: &mut ProcessObj| -> R<()> {
            let lane = started(&ctx, p, name)?;
            lift(&ctx, r.process_signal(lane, sig, line(&ctx)))
        });
    }
    let r = rt.clone();
    engine.register_get("pid", move |p: &mut ProcessObj| -> Dynamic {
        let i = p.0.borrow();
        match (i.pid, i.lane) {
            (Some(pid), _) => (pid as INT).into(),
            (None, Some(lane)) => r.v.lane(lane).map_or(Dynamic::UNIT, |l| (l.pid.load(std::sync::atomic::Ordering::Acquire) as INT).into()),
            _ => Dynamic::UNIT,
        }
    });
    let r = rt.clone();
    engine.register_get("name", move |p: &mut ProcessObj| -> String {
        let i = p.0.borrow();
        match (&i.name, i.lane) {
            (Some(n), _) => n.clone(),
            (None, Some(lane)) => r.lane_name(lane),
            _ => String::new(),
        }
    });
    engine.register_set("name", |p: &mut ProcessObj, n: &str| p.0.borrow_mut().name = Some(n.to_string()));
    engine.register_get("daemon", |p: &mut ProcessObj| p.0.borrow().daemon);
    engine.register_fn("set$daemon", |ctx: NativeCallContext, p: &mut ProcessObj, d: bool| -> R<()> {
        if p.0.borrow().lane.is_some() {
            return Err(raise(LessonError::assertion("process has already started"), ctx.call_position()));
        }
        p.0.borrow_mut().daemon = d;
        Ok(())
    });
    let r = rt.clone();
    engine.register_get("exitcode", move |p: &mut ProcessObj| -> Dynamic {
        match p.lane() {
            Some(lane) if !p.0.borrow().is_self => r.exitcode_of(lane).map_or(Dynamic::UNIT, |c| (c as INT).into()),
            _ => Dynamic::UNIT,
        }
    });
    let r = rt.clone();
    let show = move |p: &mut ProcessObj| -> String {
        let i = p.0.borrow();
        let name = i.name.clone().unwrap_or_else(|| i.lane.map(|l| r.lane_name(l)).unwrap_or_default());
        match i.lane.and_then(|l| r.exitcode_of(l)) {
            Some(code) => format!("<Process name='{name}' pid={} exitcode={code}>", i.pid.unwrap_or(0)),
            None if i.lane.is_some() => format!("<Process name='{name}' pid={} started>", i.pid.unwrap_or(0)),
            None => format!("<Process name='{name}' initial>"),
        }
    };
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);

    let r = rt.clone();
    engine.register_fn("current_process", move || -> ProcessObj {
        let p = ProcessObj::new(String::new(), Vec::new(), Some(r.name()), r.local.borrow().daemon);
        {
            let mut i = p.0.borrow_mut();
            i.lane = Some(r.lane);
            i.pid = Some(std::process::id() as i32);
            i.is_self = true;
        }
        p
    });
    engine.register_fn("getpid", || std::process::id() as INT);
    // The process that started this one, whether it is the OS parent (exec)
    // or the fork server's template is (see `LaneRuntime::parent_pid`).
    let r = rt.clone();
    engine.register_fn("getppid", move || r.parent_pid() as INT);
}

fn register_lock(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<LockObj>("Lock");
    let r = rt.clone();
    engine.register_fn("Lock", move |ctx: NativeCallContext| -> R<LockObj> {
        lift(&ctx, r.lock_new(None, line(&ctx))).map(|id| LockObj { id })
    });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, l: &mut LockObj| -> R<bool> {
        lift(&ctx, r.lock_acquire(l.id, true, None, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, l: &mut LockObj, blocking: bool| -> R<bool> {
        lift(&ctx, r.lock_acquire(l.id, blocking, None, line(&ctx)))
    });
    for timeout_fn in [0, 1] {
        let r = rt.clone();
        let f = move |ctx: NativeCallContext, l: &mut LockObj, t: Dynamic| -> R<bool> {
            let t = opt_secs(&ctx, t)?;
            lift(&ctx, r.lock_acquire(l.id, true, t, line(&ctx)))
        };
        if timeout_fn == 0 {
            engine.register_fn("acquire", move |ctx: NativeCallContext, l: &mut LockObj, t: INT| f(ctx, l, t.into()));
        } else {
            engine.register_fn("acquire", move |ctx: NativeCallContext, l: &mut LockObj, t: FLOAT| f(ctx, l, t.into()));
        }
    }
    let r = rt.clone();
    engine.register_fn("acquire", move |ctx: NativeCallContext, l: &mut LockObj, blocking: bool, t: Dynamic| -> R<bool> {
        let t = opt_secs(&ctx, t)?;
        lift(&ctx, r.lock_acquire(l.id, blocking, t, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("release", move |ctx: NativeCallContext, l: &mut LockObj| -> R<()> { lift(&ctx, r.lock_release(l.id, line(&ctx))) });
    let r = rt;
    let show = move |l: &mut LockObj| -> String { r.v.resource(l.id).map(|s| format!("<{}>", s.name.get())).unwrap_or_default() };
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}

fn register_misc(engine: &mut Engine, rt: Rc<LaneRuntime>, globals: Globals) {
    // Arrays and maps print through our walker (bounded depth, linear time).
    for name in ["print", "debug", "to_string", "to_debug"] {
        engine.register_fn(name, |ctx: NativeCallContext, a: &mut Array| -> R<String> { lift(&ctx, super::values::show_array(&ctx, a)) });
        engine.register_fn(name, |ctx: NativeCallContext, m: &mut Map| -> R<String> { lift(&ctx, super::values::show_map(&ctx, m)) });
    }
    // Exact INT and FLOAT signatures: Rhai's own `sleep` would win over a
    // `Dynamic` parameter, and it must not (ours passes the gate and records).
    let r = rt.clone();
    engine.register_fn("sleep", move |ctx: NativeCallContext, s: INT| -> R<()> { lift(&ctx, r.sleep_op(s as f64, line(&ctx)).map(|_| ())) });
    let r = rt.clone();
    engine.register_fn("sleep", move |ctx: NativeCallContext, s: FLOAT| -> R<()> { lift(&ctx, r.sleep_op(s, line(&ctx)).map(|_| ())) });
    let r = rt.clone();
    engine.register_fn("compute", move |ctx: NativeCallContext, ms: INT| -> R<()> { lift(&ctx, r.compute_op(ms as f64, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("compute", move |ctx: NativeCallContext, ms: FLOAT| -> R<()> { lift(&ctx, r.compute_op(ms, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("random", move || -> FLOAT { r.local.borrow_mut().rng.random::<f64>() });
    let r = rt.clone();
    engine.register_fn("uniform", move |ctx: NativeCallContext, a: Dynamic, b: Dynamic| -> R<FLOAT> {
        let (a, b) = (secs(&ctx, &a)?, secs(&ctx, &b)?);
        let u: f64 = r.local.borrow_mut().rng.random();
        Ok(a + (b - a) * u)
    });
    let r = rt.clone();
    engine.register_fn("randint", move |ctx: NativeCallContext, a: INT, b: INT| -> R<INT> {
        if a > b {
            return Err(raise(LessonError::value(format!("empty range for randint({a}, {b})")), ctx.call_position()));
        }
        Ok(r.local.borrow_mut().rng.random_range(a..=b))
    });
    let r = rt.clone();
    let randrange = move |ctx: &NativeCallContext, a: INT, b: INT, step: INT| -> R<INT> {
        if step == 0 {
            return Err(raise(LessonError::value("zero step for randrange()"), ctx.call_position()));
        }
        let n = if step > 0 { (b - a + step - 1) / step } else { (a - b - step - 1) / -step };
        if n <= 0 {
            return Err(raise(LessonError::value(format!("empty range for randrange({a}, {b}, {step})")), ctx.call_position()));
        }
        Ok(a + step * r.local.borrow_mut().rng.random_range(0..n))
    };
    let rr = randrange.clone();
    engine.register_fn("randrange", move |ctx: NativeCallContext, b: INT| rr(&ctx, 0, b, 1));
    let rr = randrange.clone();
    engine.register_fn("randrange", move |ctx: NativeCallContext, a: INT, b: INT| rr(&ctx, a, b, 1));
    engine.register_fn("randrange", move |ctx: NativeCallContext, a: INT, b: INT, s: INT| randrange(&ctx, a, b, s));
    let r = rt.clone();
    engine.register_fn("choice", move |ctx: NativeCallContext, a: Array| -> R<Dynamic> {
        if a.is_empty() {
            return Err(raise(LessonError::new("IndexError", "Cannot choose from an empty sequence"), ctx.call_position()));
        }
        let i = r.local.borrow_mut().rng.random_range(0..a.len());
        Ok(a[i].clone())
    });

    let r = rt.clone();
    engine.on_print(move |s| r.print_op(s));
    let r = rt.clone();
    engine.on_debug(move |s, _, _| r.print_op(s));

    // A failed assert is recorded as such (the run's outcome becomes
    // `assertion`), then raised like Python's AssertionError.
    let r = rt.clone();
    let fail = move |ctx: &NativeCallContext, msg: String| -> Box<EvalAltResult> {
        r.set_line(line(ctx));
        let e = LessonError::assertion(msg);
        r.record_text(crate::shm::record::TextTag::Assert, &e.to_string());
        raise(e, ctx.call_position())
    };
    let f = fail.clone();
    engine.register_fn("assert", move |ctx: NativeCallContext, c: bool| -> R<()> { if c { Ok(()) } else { Err(f(&ctx, String::new())) } });
    engine.register_fn("assert", move |ctx: NativeCallContext, c: bool, msg: Dynamic| -> R<()> {
        if c { Ok(()) } else { Err(fail(&ctx, msg.to_string())) }
    });
    let r = rt.clone();
    engine.register_fn("report", move |ctx: NativeCallContext, key: &str, v: Dynamic| -> R<()> {
        let v = lift(&ctx, to_value(&v))?;
        lift(&ctx, r.report_op(key, &v, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("param", move |ctx: NativeCallContext, name: &str| -> R<Dynamic> {
        match r.info.params.get(name) {
            Some(v) => Ok(from_value(&r, v.clone())),
            None => {
                let known: Vec<&str> = r.info.params.keys().map(String::as_str).collect();
                let msg = if known.is_empty() { format!("unknown parameter '{name}' (this lesson has none)") } else { format!("unknown parameter '{name}' (this lesson has: {})", known.join(", ")) };
                Err(raise(LessonError::new("KeyError", msg), ctx.call_position()))
            }
        }
    });

    let r = rt.clone();
    engine.register_fn("read_json", move |ctx: NativeCallContext, p: &str| -> R<Dynamic> { lift(&ctx, r.read_json(p, line(&ctx))).map(|v| from_value(&r, v)) });
    let r = rt.clone();
    engine.register_fn("write_json", move |ctx: NativeCallContext, p: &str, v: Dynamic| -> R<()> {
        let v = lift(&ctx, to_value(&v))?;
        lift(&ctx, r.write_json(p, &v, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("read_text", move |ctx: NativeCallContext, p: &str| -> R<String> { lift(&ctx, r.read_text(p, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("write_text", move |ctx: NativeCallContext, p: &str, t: &str| -> R<()> { lift(&ctx, r.write_text(p, t, false, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("append_text", move |ctx: NativeCallContext, p: &str, t: &str| -> R<()> { lift(&ctx, r.write_text(p, t, true, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("list_dir", move |ctx: NativeCallContext| -> R<Array> {
        lift(&ctx, r.list_dir(".", line(&ctx))).map(|v| v.into_iter().map(Dynamic::from).collect())
    });
    let r = rt;
    engine.register_fn("list_dir", move |ctx: NativeCallContext, p: &str| -> R<Array> {
        lift(&ctx, r.list_dir(p, line(&ctx))).map(|v| v.into_iter().map(Dynamic::from).collect())
    });

    // G: the process's globals. The setter is registered as pure so `G.n = 0`
    // works on the value the variable resolver hands out; it changes the
    // shared map behind the handle, which is the point.
    engine.register_type_with_name::<Globals>("Globals");
    engine.register_indexer_get(|g: &mut Globals, k: &str| g.get(k));
    FuncRegistration::new_index_setter().with_purity(true).register_into_engine(engine, |ctx: NativeCallContext, g: &mut Globals, k: &str, v: Dynamic| -> R<()> {
        g.set(ctx.engine(), ctx.call_position(), k, v)
    });
    engine.register_fn("to_string", |g: &mut Globals| g.show());
    #[allow(deprecated)]
    engine.on_var(move |name, _, _| Ok((name == "G").then(|| Dynamic::from(globals.clone()))));
}
