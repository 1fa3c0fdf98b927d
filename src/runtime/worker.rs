//! Entry of a scenario process: `forkscope worker --segment NAME --lane N`.
//!
//! It refuses to run unless the segment exists, its conductor is alive (same
//! pid *and* start time as recorded), and lane N was reserved for this very
//! pid. Then it starts the watcher thread — which ends the whole process group
//! the moment the conductor is gone — runs the script's
//! top-level statements (each process has its own globals, like Python's spawn
//! start method re-importing the module), calls the target with its arguments
//! (a pool worker runs the pool's loop instead, see `ipc::pool_worker`), and
//! exits the Python way (see `Rt::finish`).

use std::convert::Infallible;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use rhai::{CallFnOptions, Dynamic, Scope};

use super::Rt;
use super::process::SpawnPayload;
use crate::codec::{self, RunInfo};
use crate::script;
use crate::shm::record::TextTag;
use crate::shm::{Segment, futex};
use crate::sys;

/// Runs the worker; returns only on a refusal, with the exit status to use.
pub fn main(segment: &str, lane: u32) -> i32 {
    match run(segment, lane) {
        Ok(never) => match never {},
        Err(why) => {
            eprintln!("forkscope worker: {why}");
            eprintln!("(the worker subcommand is internal: forkscope starts it for each process of a run)");
            2
        }
    }
}

fn run(segment: &str, lane: u32) -> Result<Infallible, String> {
    let seg = Segment::open(segment).map_err(|e| e.to_string())?;
    let v = seg.leak();
    let ctl = v.control();
    let conductor = ctl.conductor_pid.load(Acquire);
    let pidfd = sys::pidfd_open(conductor).map_err(|_| "no live conductor for this segment".to_string())?;
    if !sys::is_same_live_process(conductor, ctl.conductor_start.load(Acquire)) {
        return Err("no live conductor for this segment".into());
    }
    let me = v.lane(lane).ok_or_else(|| format!("lane {lane} does not exist"))?;
    if me.used.load(Acquire) == 0 {
        return Err(format!("lane {lane} was not reserved"));
    }
    // The spawner writes our Spawn record, then lets us go. If the conductor
    // dies meanwhile (before anyone could kill us by pid or group), give up
    // at once: no process may outlive it.
    let t0 = Instant::now();
    loop {
        let w = me.wake.0.load(Acquire);
        if me.go.load(Acquire) != 0 {
            break;
        }
        if !sys::poll_readable(&[pidfd.as_raw_fd()], 0).is_empty() {
            return Err("the conductor ended before this process was released".into());
        }
        if t0.elapsed() > Duration::from_secs(10) {
            return Err(format!("lane {lane} was never released by its parent"));
        }
        futex::wait(&me.wake.0, w, Some(Duration::from_millis(20)));
    }
    let pid = std::process::id() as i32;
    if me.pid.load(Acquire) != pid {
        return Err(format!("lane {lane} belongs to another process"));
    }
    let watcher = watch_conductor(pidfd, ctl.pgid.load(Acquire));

    let info: RunInfo = v
        .read_chain(ctl.info_block.load(Acquire), ctl.info_len.load(Acquire))
        .ok_or("the run info in the segment is broken")
        .and_then(|b| codec::decode(&b).map_err(|_| "the run info in the segment is broken"))?;
    let payload: SpawnPayload = match me.args_block.load(Acquire) {
        crate::shm::layout::NONE => SpawnPayload { args: Vec::new(), identity: Vec::new() },
        first => v
            .read_chain(first, me.args_len.load(Acquire))
            .ok_or("the arguments in the segment are broken")
            .and_then(|b| codec::decode(&b).map_err(|_| "the arguments in the segment are broken"))?,
    };
    std::env::set_current_dir(&info.scratch).map_err(|e| format!("cannot enter the run's folder {}: {e}", info.scratch))?;
    let name = me.name.get();
    let target = me.target.get();
    sys::set_process_name(&name);
    let daemon = me.daemon.load(Acquire) != 0;
    let rt = Rc::new(Rt::new(v, lane, info, segment.to_string(), payload.identity, name, daemon));
    rt.set_state(crate::shm::layout::ProcState::Starting, None, crate::shm::layout::NONE, crate::shm::layout::NONE, 0);
    if let Err(e) = watcher {
        // Without its watcher the process could outlive the conductor: it
        // must not run. Say why on its lane (at the process limit, this is
        // where a start fails), then end like an uncaught exception.
        let errno = e.raw_os_error().unwrap_or(0);
        let text = e.to_string();
        let text = text.split(" (os error").next().unwrap_or(&text);
        let kind = if errno == libc::EAGAIN { "BlockingIOError" } else { "OSError" };
        rt.record_text(TextTag::Error, &format!("{kind}: [Errno {errno}] {text}: cannot start the process's watcher thread (is the limit on processes reached?)"));
        // SAFETY: ends this process at once; nothing needs unwinding.
        unsafe { libc::_exit(1) }
    }

    let code = run_script(&rt, &target, payload.args);
    rt.finish(code)
}

/// Runs the target; returns the exit code (0, or 1 after an uncaught error).
fn run_script(rt: &Rc<Rt>, target: &str, args: Vec<codec::Value>) -> i32 {
    let mut engine = script::base_engine();
    let ast = match script::compile(&engine, &rt.info.script) {
        Ok(a) => a,
        Err(e) => {
            rt.record_text(TextTag::Error, &format!("SyntaxError: {e}"));
            return 1;
        }
    };
    let fns = Rc::new(script::fn_table(&ast));
    script::install_worker_api(&mut engine, rt.clone(), fns.clone());
    let mut scope = Scope::new();
    if target == super::ipc::pool::POOL_WORKER {
        // A pool worker: the script's top level, then the pool's loop.
        if let Err(e) = engine.run_ast_with_scope(&mut scope, &ast) {
            rt.record_text(TextTag::Error, &script::describe_error(&e, &fns).to_string());
            return 1;
        }
        return super::ipc::pool_worker::serve(rt, &engine, &ast, &mut scope, &fns, &args);
    }
    let args: Vec<Dynamic> = args.into_iter().map(script::values::from_value).collect();
    let result = engine.run_ast_with_scope(&mut scope, &ast).and_then(|_| {
        engine.call_fn_with_options::<Dynamic>(CallFnOptions::new().eval_ast(false).rewind_scope(true), &mut scope, &ast, target, args)
    });
    match result {
        Ok(_) => 0,
        Err(e) => {
            let err = script::describe_error(&e, &fns);
            if err.line > 0 {
                rt.set_line(err.line);
            }
            rt.record_text(TextTag::Error, &err.to_string());
            1
        }
    }
}

/// The watcher: a thread blocked on the conductor's pidfd. When the conductor
/// ends (even by SIGKILL), it kills the run's process group, so no process
/// outlives the run (the guard process removes the segment and folder).
fn watch_conductor(pidfd: std::os::fd::OwnedFd, pgid: i32) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("conductor-watch".into())
        .spawn(move || {
            loop {
                if !sys::poll_readable(&[pidfd.as_raw_fd()], -1).is_empty() {
                    break;
                }
            }
            sys::kill_group(pgid, libc::SIGKILL);
            // SAFETY: ends this process at once.
            unsafe { libc::_exit(137) }
        })
        .map(|_| ())
}
