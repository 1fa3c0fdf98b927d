//! Script registrations for Queue, JoinableQueue, Pipe and sockets (Pool and
//! AsyncResult: [`super::api_pool`]), the handles they travel as, and three
//! pure queries (not ops: they pass no gate and write no record): `now()`
//! (seconds since the run started, a float, real time), `cpu_count()` (the
//! cores this machine offers, like `os.cpu_count()`) and `times()` (CPU
//! seconds used, like `os.times()`).
//!
//! Arguments follow the lesson API (docs/lessons.md, "Rhai lessons"): a number after the value is a timeout in
//! seconds (`q.get(2)`, `q.put(v, 0.5)`), a bool is Python's `block`
//! (`q.get(false)`, `q.put(v, true, 2)`).

use std::cell::Cell;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, FLOAT, INT, NativeCallContext};

use super::FnTable;
use super::common::{R, lift, line, raise};
use super::values::{from_value, to_value};
use crate::runtime::ipc::queue::Blocking;
use crate::runtime::{LessonError, LaneRuntime};
use crate::shm::record::Op;

pub use super::objects::{ConnectionObj, QueueObj, SocketObj};

pub fn register(engine: &mut Engine, rt: Rc<LaneRuntime>, fns: Rc<FnTable>) {
    register_queue(engine, rt.clone());
    register_pipe(engine, rt.clone());
    register_socket(engine, rt.clone());
    super::api_pool::register(engine, rt.clone(), fns);
    let r = rt.clone();
    engine.register_fn("now", move || -> FLOAT { r.now_ns() as f64 / 1e9 });
    engine.register_fn("cpu_count", || -> INT { std::thread::available_parallelism().map_or(1, |n| n.get()) as INT });
    let r = rt;
    engine.register_fn("times", move || -> rhai::Map { times(r.now_ns(), r.family().children_cpu_ms) });
}

/// `times()`, like Python's `os.times()`: CPU seconds used by this process
/// (`user`, `system`) and by its children that have been joined
/// (`children_user`, `children_system`), and `elapsed` (= `now()`).
/// `forked_children_ms`: joined children that the fork server's template,
/// not this process, reaped (see `Lane::cpu_user_ms`).
fn times(now_ns: u64, forked_children_ms: (u64, u64)) -> rhai::Map {
    use crate::runtime::process::cpu_secs;
    let (user, system) = cpu_secs(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let (cu, cs) = cpu_secs(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    let (cu, cs) = (cu + forked_children_ms.0 as f64 / 1e3, cs + forked_children_ms.1 as f64 / 1e3);
    let mut m = rhai::Map::new();
    for (k, v) in [("user", user), ("system", system), ("children_user", cu), ("children_system", cs), ("elapsed", now_ns as f64 / 1e9)] {
        m.insert(k.into(), Dynamic::from_float(v));
    }
    m
}

fn no_attribute(ctx: &NativeCallContext, ty: &str, attr: &str) -> Box<rhai::EvalAltResult> {
    raise(LessonError::new("AttributeError", format!("'{ty}' object has no attribute '{attr}'")), ctx.call_position())
}

fn show_resource(rt: &LaneRuntime, id: u32) -> String {
    rt.v.resource(id).map(|s| format!("<{}>", s.name.get())).unwrap_or_default()
}

fn register_queue(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<QueueObj>("Queue");
    for (name, joinable) in [("Queue", false), ("JoinableQueue", true)] {
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext| -> R<QueueObj> {
            lift(&ctx, r.queue_new(joinable, 0, line(&ctx))).map(|id| QueueObj { id, joinable })
        });
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext, maxsize: INT| -> R<QueueObj> {
            lift(&ctx, r.queue_new(joinable, maxsize, line(&ctx))).map(|id| QueueObj { id, joinable })
        });
    }

    let put = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, q: &QueueObj, v: &Dynamic, how: Blocking| -> R<()> {
            let v = lift(ctx, to_value(v))?;
            lift(ctx, r.queue_put(q.id, &v, how, line(ctx)))
        }
    };
    let p = put.clone();
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic| p(&ctx, q, &v, Blocking::FOREVER));
    let p = put.clone();
    engine.register_fn("put_nowait", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic| p(&ctx, q, &v, Blocking::NOWAIT));
    let p = put.clone();
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic, block: bool| p(&ctx, q, &v, Blocking { block, timeout: None, nowait: false }));
    let p = put.clone();
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic, t: INT| p(&ctx, q, &v, Blocking { block: true, timeout: Some(t as f64), nowait: false }));
    let p = put.clone();
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic, t: FLOAT| p(&ctx, q, &v, Blocking { block: true, timeout: Some(t), nowait: false }));
    let p = put.clone();
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic, block: bool, t: INT| p(&ctx, q, &v, Blocking { block, timeout: Some(t as f64), nowait: false }));
    let p = put;
    engine.register_fn("put", move |ctx: NativeCallContext, q: &mut QueueObj, v: Dynamic, block: bool, t: FLOAT| p(&ctx, q, &v, Blocking { block, timeout: Some(t), nowait: false }));

    let get = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, q: &QueueObj, how: Blocking| -> R<Dynamic> { lift(ctx, r.queue_get(q.id, how, line(ctx))).map(|v| from_value(&r, v)) }
    };
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj| g(&ctx, q, Blocking::FOREVER));
    let g = get.clone();
    engine.register_fn("get_nowait", move |ctx: NativeCallContext, q: &mut QueueObj| g(&ctx, q, Blocking::NOWAIT));
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj, block: bool| g(&ctx, q, Blocking { block, timeout: None, nowait: false }));
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj, t: INT| g(&ctx, q, Blocking { block: true, timeout: Some(t as f64), nowait: false }));
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj, t: FLOAT| g(&ctx, q, Blocking { block: true, timeout: Some(t), nowait: false }));
    let g = get.clone();
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj, block: bool, t: INT| g(&ctx, q, Blocking { block, timeout: Some(t as f64), nowait: false }));
    let g = get;
    engine.register_fn("get", move |ctx: NativeCallContext, q: &mut QueueObj, block: bool, t: FLOAT| g(&ctx, q, Blocking { block, timeout: Some(t), nowait: false }));

    for (name, op) in [("qsize", Op::Qsize), ("empty", Op::Empty), ("full", Op::Full)] {
        let r = rt.clone();
        engine.register_fn(name, move |ctx: NativeCallContext, q: &mut QueueObj| -> R<Dynamic> { lift(&ctx, r.queue_query(q.id, op, line(&ctx))).map(|v| from_value(&r, v)) });
    }
    let r = rt.clone();
    engine.register_fn("task_done", move |ctx: NativeCallContext, q: &mut QueueObj| -> R<()> {
        if !q.joinable {
            return Err(no_attribute(&ctx, "Queue", "task_done"));
        }
        lift(&ctx, r.queue_task_done(q.id, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("join", move |ctx: NativeCallContext, q: &mut QueueObj| -> R<()> {
        if !q.joinable {
            return Err(no_attribute(&ctx, "Queue", "join"));
        }
        lift(&ctx, r.queue_join(q.id, line(&ctx)))
    });
    let r = rt;
    let show = move |q: &mut QueueObj| show_resource(&r, q.id);
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}

fn register_pipe(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<ConnectionObj>("Connection");
    let make = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, duplex: bool| -> R<Array> {
            let id = lift(ctx, r.pipe_new(duplex, line(ctx)))?;
            Ok(vec![Dynamic::from(ConnectionObj { id, end: 0, duplex }), Dynamic::from(ConnectionObj { id, end: 1, duplex })])
        }
    };
    let m = make.clone();
    engine.register_fn("Pipe", move |ctx: NativeCallContext| m(&ctx, true));
    engine.register_fn("Pipe", move |ctx: NativeCallContext, duplex: bool| make(&ctx, duplex));
    let r = rt.clone();
    engine.register_fn("send", move |ctx: NativeCallContext, c: &mut ConnectionObj, v: Dynamic| -> R<()> {
        let v = lift(&ctx, to_value(&v))?;
        lift(&ctx, r.pipe_send(c.id, c.end, &v, line(&ctx)))
    });
    let r = rt.clone();
    engine.register_fn("recv", move |ctx: NativeCallContext, c: &mut ConnectionObj| -> R<Dynamic> { lift(&ctx, r.pipe_recv(c.id, c.end, line(&ctx))).map(|v| from_value(&r, v)) });
    let r = rt.clone();
    engine.register_fn("poll", move |ctx: NativeCallContext, c: &mut ConnectionObj| -> R<bool> { lift(&ctx, r.pipe_poll(c.id, c.end, 0.0, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("poll", move |ctx: NativeCallContext, c: &mut ConnectionObj, t: INT| -> R<bool> { lift(&ctx, r.pipe_poll(c.id, c.end, t as f64, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("poll", move |ctx: NativeCallContext, c: &mut ConnectionObj, t: FLOAT| -> R<bool> { lift(&ctx, r.pipe_poll(c.id, c.end, t, line(&ctx))) });
    let r = rt.clone();
    engine.register_fn("close", move |ctx: NativeCallContext, c: &mut ConnectionObj| -> R<()> { lift(&ctx, r.pipe_close(c.id, c.end, line(&ctx))) });
    let r = rt;
    let show = move |c: &mut ConnectionObj| format!("<Connection {} end {}>", r.v.resource(c.id).map(|s| s.name.get()).unwrap_or_default(), c.end);
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}

fn register_socket(engine: &mut Engine, rt: Rc<LaneRuntime>) {
    engine.register_type_with_name::<SocketObj>("socket");
    let r = rt.clone();
    engine.register_fn("listen", move |ctx: NativeCallContext, port: INT| -> R<SocketObj> {
        let (id, fd) = lift(&ctx, r.sock_listen(port, line(&ctx)))?;
        Ok(SocketObj { id, fd: Rc::new(Cell::new(fd)), listening: true })
    });
    let r = rt.clone();
    engine.register_fn("connect", move |ctx: NativeCallContext, port: INT| -> R<SocketObj> {
        let (id, fd) = lift(&ctx, r.sock_connect(port, line(&ctx)))?;
        Ok(SocketObj { id, fd: Rc::new(Cell::new(fd)), listening: false })
    });
    let r = rt.clone();
    engine.register_get("port", move |s: &mut SocketObj| -> INT { r.sock_port(s.id) });
    let accept = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, s: &SocketObj, t: Option<f64>| -> R<SocketObj> {
            let (id, fd) = lift(ctx, r.sock_accept(s.id, s.fd.get(), t, line(ctx)))?;
            Ok(SocketObj { id, fd: Rc::new(Cell::new(fd)), listening: false })
        }
    };
    let a = accept.clone();
    engine.register_fn("accept", move |ctx: NativeCallContext, s: &mut SocketObj| a(&ctx, s, None));
    let a = accept.clone();
    engine.register_fn("accept", move |ctx: NativeCallContext, s: &mut SocketObj, t: INT| a(&ctx, s, Some(t as f64)));
    engine.register_fn("accept", move |ctx: NativeCallContext, s: &mut SocketObj, t: FLOAT| accept(&ctx, s, Some(t)));
    let r = rt.clone();
    engine.register_fn("send", move |ctx: NativeCallContext, s: &mut SocketObj, text: &str| -> R<INT> { lift(&ctx, r.sock_send(s.id, s.fd.get(), text.as_bytes(), 0, line(&ctx))) });
    engine.register_fn("send", |ctx: NativeCallContext, _s: &mut SocketObj, v: Dynamic| -> R<INT> {
        Err(raise(LessonError::type_error(format!("a text is required, not '{}' (sockets carry text here)", v.type_name())), ctx.call_position()))
    });
    let recv = {
        let r = rt.clone();
        move |ctx: &NativeCallContext, s: &SocketObj, n: INT, t: Option<f64>| -> R<String> { lift(ctx, r.sock_recv(s.id, s.fd.get(), n, 0, t, line(ctx))).map(|b| String::from_utf8_lossy(&b).into_owned()) }
    };
    let rv = recv.clone();
    engine.register_fn("recv", move |ctx: NativeCallContext, s: &mut SocketObj, n: INT| rv(&ctx, s, n, None));
    let rv = recv.clone();
    engine.register_fn("recv", move |ctx: NativeCallContext, s: &mut SocketObj, n: INT, t: INT| rv(&ctx, s, n, Some(t as f64)));
    engine.register_fn("recv", move |ctx: NativeCallContext, s: &mut SocketObj, n: INT, t: FLOAT| recv(&ctx, s, n, Some(t)));
    let r = rt.clone();
    engine.register_fn("close", move |ctx: NativeCallContext, s: &mut SocketObj| -> R<()> {
        if s.fd.get() < 0 {
            return Ok(());
        }
        let fd = s.fd.replace(-1);
        lift(&ctx, r.sock_close(s.id, fd, line(&ctx)))
    });
    let r = rt;
    let show = move |s: &mut SocketObj| {
        let role = if s.listening { "listening on" } else { "connected via" };
        format!("<socket fd={} {role} 127.0.0.1:{}>", s.fd.get(), r.sock_port(s.id))
    };
    engine.register_fn("to_string", show.clone());
    engine.register_fn("to_debug", show);
}
