//! The runtime as a C ABI, for CPython (`ctypes`): `libforkscope.so`.
//!
//! One process = one attached [`LaneRuntime`] on the process's lane, kept in
//! [`PROC`] (behind a mutex of its own), and one more [`LaneRuntime`] per thread the program
//! starts (`threading.Thread`: see `runtime::thread`), on the thread's own
//! lane, kept by that thread ([`MINE`]): a call uses the calling thread's
//! runtime if it has one, else the process's. So a thread blocked in an op
//! holds back no other thread with a lane of its own; threads without one
//! (the main thread, forkscope's own reader thread, threads made below
//! `threading`) take turns on the process's. ctypes releases the GIL during
//! each call, so a thread blocked here does not stop the interpreter's
//! other threads.
//!
//! Conventions: every function returns an `i64`; [`ERR`] means the op raised
//! — `fs_error` then gives `Kind\tmessage` (Python's exception type and
//! text); [`NOTHING`] is Python's `None` (an exitcode while alive, a join that
//! timed out). Texts come in as (pointer, length) of UTF-8 bytes; bytes out
//! (an item taken from a queue) wait in a buffer that `fs_take_bytes` copies out.
//! The error and the bytes wait *per thread* (the OS thread that made the
//! call, which is the Python thread's): another Python thread's op in
//! between cannot replace them. Both are of any size. A number that can be
//! any `i64` (a shared value's bits) comes back through an out-pointer, so
//! that no value is mistaken for [`ERR`].
//! A timeout below zero (or NaN) is "no timeout". `line` is the line of the
//! innermost frame in the user's file (0: keep the current one). Selector
//! arguments take the values of [`super::names`] and nothing else.
//!
//! The Python side's table of these functions (`forkscope_rt/_abi.py`) is
//! generated from this file; `abi_table`'s test fails when it is stale.
//!
//! Nothing here is a second implementation of a primitive: each function is
//! one call of the runtime, the same that the Rhai front-end makes.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::AtomicPtr;
use std::sync::atomic::Ordering::*;

use crate::codec::Value;
use crate::runtime::ipc::queue::Blocking;
use crate::runtime::sync::value::Num;
use crate::runtime::{LessonError, LessonResult, LaneRuntime, attach};
use crate::shm::record::{Op, ResKind, TextTag};

use super::names::{self, unknown};

/// The op raised: see `fs_error`.
pub const ERR: i64 = names::result::ERR;
/// Python's `None`.
pub const NOTHING: i64 = names::result::NOTHING;

/// A thread's runtime waiting in [`THREADS`] for its thread.
struct Attached(LaneRuntime);

// SAFETY: an `Attached` is handed once, through the `THREADS` mutex, to the
// thread that owns its `LaneRuntime` from then on; its `RefCell`/`Cell` state is
// never shared between threads.
unsafe impl Send for Attached {}

/// The process's runtime, reached by one thread at a time (`turn`).
struct ProcCell {
    turn: Mutex<()>,
    rt: LaneRuntime,
}

// SAFETY: `rt` is only reached while holding `turn` (or in a forked child,
// which has one thread), so its `RefCell`/`Cell` state is never used by two
// threads at once, and the mutex orders every access.
unsafe impl Sync for ProcCell {}

/// The process's [`ProcCell`], set once attached. Not a mutex around the
/// runtime: a child forked by one thread while another waits in an op
/// (holding the turn) would inherit it locked for ever; the child puts a
/// cell of its own here instead (the old one is left, as the parent's
/// memory is in a fork).
static PROC: AtomicPtr<ProcCell> = AtomicPtr::new(std::ptr::null_mut());

fn proc_cell() -> Option<&'static ProcCell> {
    // SAFETY: PROC is null or a leaked `Box<ProcCell>`, never freed.
    unsafe { PROC.load(Acquire).as_ref() }
}

fn set_proc(rt: LaneRuntime) {
    PROC.store(Box::into_raw(Box::new(ProcCell { turn: Mutex::new(()), rt })), Release);
}

/// Runtimes made for threads being started (by lane), until each new
/// thread takes its own (`fs_thread_attach`).
static THREADS: Mutex<Vec<(u32, Attached)>> = Mutex::new(Vec::new());

thread_local! {
    /// The runtime of this thread's own lane, if it has one.
    static MINE: RefCell<Option<LaneRuntime>> = const { RefCell::new(None) };
}

/// This thread's last error and last bytes result, until Python takes them.
#[derive(Default)]
struct Out {
    error: Vec<u8>,
    result: Vec<u8>,
}

thread_local! {
    static OUT: RefCell<Out> = RefCell::new(Out::default());
}

fn fail(kind: &str, message: impl Into<String>) -> i64 {
    let e = format!("{kind}\t{}", message.into()).into_bytes();
    OUT.with_borrow_mut(|o| o.error = e);
    ERR
}

thread_local! {
    /// A call of this thread ended early for a signal (`fs_interrupted`).
    static INTERRUPTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on `rt`, turning errors and panics into [`ERR`]. A call whose
/// wait a signal ended (its op timed out or raised as on a timeout) is
/// `ERR` too, and `fs_interrupted` says so.
fn run_on(rt: &LaneRuntime, f: impl FnOnce(&LaneRuntime) -> LessonResult<i64>) -> i64 {
    // (INTERRUPTED stays set until `fs_interrupted` takes it: the signal's
    // handler may make calls of its own before the caller asks.)
    crate::runtime::signals::note_call();
    let r = catch_unwind(AssertUnwindSafe(|| f(rt)));
    crate::runtime::signals::end_call();
    if crate::runtime::gate::take_interrupted() {
        INTERRUPTED.set(true);
        return fail("InterruptedError", "a signal interrupted the wait");
    }
    match r {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => fail(&e.kind, e.message),
        Err(_) => fail("SystemError", "forkscope's runtime failed inside an op (a bug in forkscope)"),
    }
}

/// Runs `f` on the calling thread's runtime (its own lane's, else the
/// process's), turning errors and panics into [`ERR`].
fn with_rt(f: impl FnOnce(&LaneRuntime) -> LessonResult<i64>) -> i64 {
    let mut f = Some(f);
    if let Some(v) = MINE.with_borrow(|m| m.as_ref().map(|rt| run_on(rt, f.take().expect("not taken yet")))) {
        return v;
    }
    let Some(f) = f else { return fail("SystemError", "forkscope's runtime failed inside an op (a bug in forkscope)") };
    let Some(cell) = proc_cell() else {
        return fail("RuntimeError", "this process is not attached to a forkscope run");
    };
    let _turn = cell.turn.lock().unwrap_or_else(|p| p.into_inner());
    run_on(&cell.rt, f)
}

/// A (pointer, length) text from Python.
///
/// # Safety
/// `p` points to `n` readable bytes (or `n` is 0), alive for the call.
unsafe fn text(p: *const u8, n: usize) -> String {
    if p.is_null() || n == 0 {
        return String::new();
    }
    // SAFETY: guaranteed by the caller (a ctypes bytes object, kept alive).
    let bytes = unsafe { std::slice::from_raw_parts(p, n) };
    String::from_utf8_lossy(bytes).into_owned()
}

/// A (pointer, length) byte string from Python.
///
/// # Safety
/// As for [`text`].
unsafe fn bytes(p: *const u8, n: usize) -> Vec<u8> {
    if p.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
}

fn timeout(t: f64) -> Option<f64> {
    (t >= 0.0).then_some(t)
}

fn none_or(x: Option<i64>) -> i64 {
    x.unwrap_or(NOTHING)
}

/// Keeps `b` for `fs_take_bytes`; returns its length.
fn give_bytes(b: Vec<u8>) -> i64 {
    let n = b.len() as i64;
    OUT.with_borrow_mut(|o| o.result = b);
    n
}

/// An item out of a queue or pipe: the bytes its sender pickled.
fn pickled(v: Value) -> LessonResult<i64> {
    match v {
        Value::Pickled { bytes, .. } => Ok(give_bytes(bytes)),
        other => Err(LessonError::type_error(format!("a message that is not a Python object ({})", crate::runtime::ipc::preview(&other)))),
    }
}

// ---- source, errors, results ----------------------------------------------

/// forkscope's Python file `path` (relative to `python/`): a pointer to its
/// UTF-8 text and its length in `*len`; null if there is none.
///
/// # Safety
/// `p`/`n` as for [`text`]; `len` is a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_py_source(p: *const u8, n: usize, len: *mut usize) -> *const u8 {
    // SAFETY: per this function's contract.
    let path = unsafe { text(p, n) };
    // For work on the Python side: `FORKSCOPE_PYTHON_SRC=python/` serves the
    // files from that folder instead of the compiled-in copies, so an edit
    // needs no rebuild. (The text is leaked: a process reads each file once.)
    let from_disk = std::env::var_os("FORKSCOPE_PYTHON_SRC")
        .and_then(|dir| std::fs::read_to_string(std::path::Path::new(&dir).join(&path)).ok())
        .map(|s| &*Box::leak(s.into_boxed_str()));
    match from_disk.or_else(|| super::source(&path)) {
        Some(s) => {
            // SAFETY: `len` is valid per this function's contract.
            unsafe { *len = s.len() };
            s.as_ptr()
        }
        None => std::ptr::null(),
    }
}

/// Copies up to `cap` bytes of `from` into `buf`; empties `from` when all of
/// it fit. Returns the full length.
///
/// # Safety
/// `buf` points to `cap` writable bytes (or `cap` is 0).
unsafe fn copy_out(from: &mut Vec<u8>, buf: *mut u8, cap: usize) -> i64 {
    let len = from.len();
    let n = len.min(cap);
    if n > 0 && !buf.is_null() {
        // SAFETY: `buf` has room for `cap >= n` bytes; the regions cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(from.as_ptr(), buf, n) };
    }
    if cap >= len {
        *from = Vec::new();
    }
    len as i64
}

/// This thread's last error (`Kind\tmessage`): its full length, and as much
/// of it as fits copied into `buf`; taken when it all fit (`cap` 0 asks
/// for the length only).
///
/// # Safety
/// `buf` points to `cap` writable bytes (or `cap` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_error(buf: *mut u8, cap: usize) -> i64 {
    // SAFETY: per this function's contract.
    OUT.with_borrow_mut(|o| unsafe { copy_out(&mut o.error, buf, cap) })
}

/// Copies this thread's last bytes result into `buf` (`cap` = its length,
/// as returned by the call that made it) and lets it go.
///
/// # Safety
/// `buf` points to `cap` writable bytes (or `cap` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_take_bytes(buf: *mut u8, cap: usize) -> i64 {
    OUT.with_borrow_mut(|o| {
        // SAFETY: per this function's contract.
        let n = unsafe { copy_out(&mut o.result, buf, cap) }.min(cap as i64);
        o.result = Vec::new();
        n
    })
}

// ---- attaching --------------------------------------------------------------

/// Attaches this process to `lane` of segment `seg` (the run's main, started
/// by the conductor).
///
/// # Safety
/// `seg`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_attach(seg: *const u8, n: usize, lane: u32) -> i64 {
    // SAFETY: per this function's contract.
    let seg = unsafe { text(seg, n) };
    match attach::attach(&seg, lane) {
        Ok(a) => {
            // A spawned child's Process object, pickled by its parent.
            if let Some(Value::Pickled { bytes, .. }) = a.payload.args.into_iter().next() {
                *SPAWNED.lock().unwrap_or_else(|p| p.into_inner()) = bytes;
            }
            set_proc(a.rt);
            0
        }
        Err(why) => fail("RuntimeError", why),
    }
}

/// What a spawned process must run (its pickled Process), empty for main.
static SPAWNED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The pickled Process this process was spawned to run: its length
/// (`fs_take_bytes` it); 0 for a run's main.
#[unsafe(no_mangle)]
pub extern "C" fn fs_spawned() -> i64 {
    give_bytes(std::mem::take(&mut *SPAWNED.lock().unwrap_or_else(|p| p.into_inner())))
}

/// In a child made by `os.fork()` after `fs_start_prepare`: becomes lane
/// `lane` (waits until the parent released it, starts its watcher).
#[unsafe(no_mangle)]
pub extern "C" fn fs_start_child(lane: u32) -> i64 {
    // The child has one thread, the one that forked: its runtime (its own
    // lane's, or the process's) is the parent's; no lock is taken (another
    // thread of the parent may have held one at the fork).
    let forker = MINE.with_borrow_mut(Option::take);
    let parent = match (&forker, proc_cell()) {
        (Some(rt), _) => (rt.v, rt.seg_name.clone(), rt.info.clone()),
        (None, Some(cell)) => (cell.rt.v, cell.rt.seg_name.clone(), cell.rt.info.clone()),
        (None, None) => return fail("RuntimeError", "this process is not attached to a forkscope run"),
    };
    match attach::adopt_forked_in_place(parent.0, &parent.1, lane, parent.2) {
        Ok(a) => {
            set_proc(a.rt);
            0
        }
        Err(why) => fail("RuntimeError", why),
    }
}

/// Facts about the run and this process, as text (into the bytes buffer),
/// by `info::`: SCRIPT the program's source, SOURCE_PATH its path, LESSON
/// the lesson's name, NAME this process's name, PARAMS the parameters as
/// JSON, WORKDIR the working folder, LANG the language of the dashboard
/// (en/zh), SCRATCH the scratch folder.
#[unsafe(no_mangle)]
pub extern "C" fn fs_run_text(which: u32) -> i64 {
    use names::info::*;
    with_rt(|rt| {
        let i = &rt.info;
        let s = match which {
            SCRIPT => i.script.clone(),
            SOURCE_PATH => i.source_path.clone(),
            LESSON => i.lesson.clone(),
            NAME => rt.name(),
            PARAMS => serde_json::to_string(&i.params.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>()).unwrap_or_default(),
            WORKDIR => i.workdir().to_string(),
            LANG => i.lang.code().to_string(),
            SCRATCH => i.scratch.clone(),
            _ => return Err(unknown("fs_run_text", "fact (info)", which)),
        };
        Ok(give_bytes(s.into_bytes()))
    })
}

/// Numbers about the run and this process, by `number::`: LANE, SEED,
/// DAEMON, MODE_WORD the address of the run mode word, GRANULARITY_WORD of
/// the step granularity word (both `u32`, read by Python to know cheaply
/// whether the run is paused / stepped by statement), PARENT the parent lane,
/// PAUSED_NS the nanoseconds the run has spent paused so far (the program's
/// clocks leave them out).
#[unsafe(no_mangle)]
pub extern "C" fn fs_run_number(which: u32) -> i64 {
    use names::number::*;
    with_rt(|rt| {
        Ok(match which {
            LANE => rt.lane as i64,
            SEED => rt.info.seed as i64,
            DAEMON => rt.local.borrow().daemon as i64,
            MODE_WORD => &rt.ctl.mode as *const _ as i64,
            GRANULARITY_WORD => &rt.ctl.granularity as *const _ as i64,
            PARENT => rt.me.parent.load(Acquire) as i64,
            PAUSED_NS => rt.ctl.paused_ns(crate::clock::monotonic_ns()) as i64,
            _ => return Err(unknown("fs_run_number", "number", which)),
        })
    })
}

// ---- lines, output, time -------------------------------------------------

/// A statement boundary at `line` (Python's line event): the gate of a
/// statement step.
#[unsafe(no_mangle)]
pub extern "C" fn fs_statement(line: u32) -> i64 {
    with_rt(|rt| {
        rt.set_line(line);
        rt.checkpoint(crate::runtime::gate::Checkpoint::Statement);
        Ok(0)
    })
}

/// Output: one op. `stream`: `stream::STDOUT` or `stream::STDERR` (a whole
/// line), `stream::STDOUT_PART` or `stream::STDERR_PART` (a partial line
/// flushed).
///
/// # Safety
/// `p`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_print(stream: u32, p: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let s = unsafe { text(p, n) };
    with_rt(|rt| {
        let tag = match stream {
            names::stream::STDOUT => TextTag::Print,
            names::stream::STDERR => TextTag::Stderr,
            names::stream::STDOUT_PART => TextTag::PrintPart,
            names::stream::STDERR_PART => TextTag::StderrPart,
            _ => return Err(unknown("fs_print", "stream", stream)),
        };
        if line > 0 {
            rt.set_line(line);
        }
        rt.output_op(tag, &s);
        Ok(0)
    })
}

/// Makes the main thread's waits end when a signal's handler interrupts
/// them (see `fs_interrupted`): Python's handlers then run, and may raise,
/// as in CPython (a `KeyboardInterrupt` ends a `Condition.wait`).
#[unsafe(no_mangle)]
pub extern "C" fn fs_waits_interruptible() -> i64 {
    crate::runtime::gate::WAITS_INTERRUPTIBLE.store(true, Relaxed);
    0
}

/// Puts forkscope's handler in front of the program's for signal `sig`
/// (after `signal.signal` set one; see `runtime::signals`): a signal the
/// program handles then ends its main thread's wait whichever thread the
/// kernel gave it to. 0; `ERR` if `sig` is no signal.
#[unsafe(no_mangle)]
pub extern "C" fn fs_signal_chain(sig: i32) -> i64 {
    if crate::runtime::signals::chain(sig) { 0 } else { fail("ValueError", format!("signal number out of range: {sig}")) }
}

/// 1 if a call of this thread returned `ERR` because a signal ended its
/// wait, since this was last asked (the op undone as on a timeout: Python lets the handler run, then
/// makes the call again unless it raised), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn fs_interrupted() -> i64 {
    i64::from(INTERRUPTED.replace(false))
}

/// What was left of the timeout (or the sleep) of this thread's wait that a
/// signal ended last, in nanoseconds of lesson time; `NOTHING` if it had
/// none. The call made again after the handler returned waits that long,
/// as CPython's waits go on with the time left.
#[unsafe(no_mangle)]
pub extern "C" fn fs_interrupted_left() -> i64 {
    none_or(crate::runtime::gate::interrupted_left_ns().map(|n| n.min(i64::MAX as u64) as i64))
}

/// The capture of descriptors 1 and 2 (`hooks.Capture`), started lazily: a
/// thread of this library waits, without the GIL, until `out` or `err` (the
/// capture pipes' read ends) has something to read (or hangs up), then calls
/// `serve` (a ctypes callback, `CFUNCTYPE(None)`: it takes the GIL and runs
/// the capture's reader loop, which returns only when the pipes are gone)
/// and ends. The thread that waits is the process's conductor watcher
/// (`attach::hand_capture_to_watcher`: it starts the one that calls `serve`
/// when something arrives), or, in a process without one, a thread of its own. So a process that never writes to its descriptors but through
/// `sys.stdout` — nearly every child — starts no Python thread for its
/// capture (a Python thread per child cost each start a hand-over of the
/// GIL and two context switches). 0, or `ERR` if no thread could be started.
///
/// # Safety
/// `serve` is the address of a `CFUNCTYPE(None)` callback that the caller
/// keeps alive for as long as the process runs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_capture_watch(out: i32, err: i32, serve: usize) -> i64 {
    if serve == 0 {
        return fail("ValueError", "fs_capture_watch: no callback");
    }
    // SAFETY: per this function's contract (the same as that one's).
    if unsafe { crate::runtime::attach::hand_capture_to_watcher(out, err, serve) } {
        return 0;
    }
    // SAFETY: per this function's contract, `serve` is a live C function
    // taking nothing and returning nothing (ctypes takes the GIL inside it).
    let serve: extern "C" fn() = unsafe { std::mem::transmute::<usize, extern "C" fn()>(serve) };
    let spawned = std::thread::Builder::new().name("capture".into()).spawn(move || {
        use std::os::fd::BorrowedFd;
        // (Also while it runs the reader loop in Python: a thread python3
        // would not have takes no signal of the program's.)
        crate::sys::block_signals_in_this_thread();
        loop {
            // SAFETY: the descriptors stay open until the reader loop (run
            // by `serve`, below) closes them; if the program closes one
            // first, poll reports it (POLLNVAL) and the loop starts early,
            // which is harmless.
            let fds = unsafe { [BorrowedFd::borrow_raw(out), BorrowedFd::borrow_raw(err)] };
            if !crate::sys::poll_readable(&fds, -1).is_empty() {
                break;
            }
        }
        serve();
    });
    match spawned {
        Ok(_) => 0,
        Err(e) => fail("OSError", format!("cannot start the capture's thread: {e}")),
    }
}

/// A text record that is not an op (`text::`): `ERROR` an uncaught exception
/// (`Kind: message`), `FINDING` a finding, `ASSERT` a failed assertion (an
/// uncaught `AssertionError`), `LINE_END` the newline that ends a partial
/// line shown before (empty text), `LOCALS` the variables of the caller's frames
/// (see `model::locals`).
///
/// # Safety
/// `p`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_text(tag: u8, p: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let s = unsafe { text(p, n) };
    with_rt(|rt| {
        if line > 0 {
            rt.set_line(line);
        }
        let tag = match tag {
            names::text::ERROR => TextTag::Error,
            names::text::FINDING => TextTag::Finding,
            names::text::ASSERT => TextTag::Assert,
            names::text::LINE_END => TextTag::LineEnd,
            names::text::LOCALS => {
                rt.set_locals(s.to_string());
                return Ok(0);
            }
            _ => return Err(unknown("fs_text", "text tag", tag)),
        };
        rt.record_text(tag, &s);
        Ok(0)
    })
}

/// `time.sleep(secs)`: how much of it was virtual, in nanoseconds of the
/// program's time — all of it when it was a step, what was left when the
/// run was paused during it, 0 when it was all real. The program's clocks
/// move on by that much more than the real clock did.
#[unsafe(no_mangle)]
pub extern "C" fn fs_sleep(secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.sleep_op(secs, line).map(|v| v.map_or(0, |s| (s * 1e9).round() as i64)))
}

/// `input()`: waits for a line of the run's standard input; its length
/// (`fs_take_bytes` it), or `NOTHING` at the end of input.
#[unsafe(no_mangle)]
pub extern "C" fn fs_input(line: u32) -> i64 {
    with_rt(|rt| Ok(match rt.input_op(line, false)? {
        Some(text) => give_bytes(text.into_bytes()),
        None => NOTHING,
    }))
}

/// `getpass.getpass()`: as `fs_input`, but the line is not echoed into the
/// records (the op's detail says so instead).
#[unsafe(no_mangle)]
pub extern "C" fn fs_input_secret(line: u32) -> i64 {
    with_rt(|rt| Ok(match rt.input_op(line, true)? {
        Some(text) => give_bytes(text.into_bytes()),
        None => NOTHING,
    }))
}

// ---- files ----------------------------------------------------------------

fn file_op(function: &str, code: u32) -> LessonResult<Op> {
    Ok(match code {
        names::file::READ => Op::ReadText,
        names::file::WRITE => Op::WriteText,
        names::file::APPEND => Op::AppendText,
        names::file::LIST => Op::ListDir,
        _ => return Err(unknown(function, "file op", code)),
    })
}

/// Before a file op (`file::` READ, WRITE, APPEND, LIST): the gate.
#[unsafe(no_mangle)]
pub extern "C" fn fs_file_enter(op: u32, line: u32) -> i64 {
    with_rt(|rt| {
        rt.enter_op(file_op("fs_file_enter", op)?, line);
        Ok(0)
    })
}

/// After a file op: its record (the path, a preview of the file, bytes
/// moved, and in `b` the digest of exactly what was read, or of the whole
/// file after a write: 0 when not known; explore's seen states compare it).
///
/// # Safety
/// `path`/`pn` and `pre`/`prn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_file_done(op: u32, path: *const u8, pn: usize, pre: *const u8, prn: usize, nbytes: i64, digest: i64, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let (path, pre) = unsafe { (text(path, pn), text(pre, prn)) };
    with_rt(|rt| {
        if line > 0 {
            rt.set_line(line);
        }
        let op = file_op("fs_file_done", op)?;
        rt.record_op(op, crate::shm::layout::NONE, crate::shm::layout::NONE, nbytes, digest, 0, Some(&format!("{path}\t{}", crate::runtime::ipc::one_line(&pre))));
        Ok(0)
    })
}

// ---- processes ------------------------------------------------------------

/// `p.start()`, first half: the gate, the checks, the child's lane (returned).
/// With `fork` 1, Python then forks; the child calls `fs_start_child`, the
/// parent `fs_start_commit` (or `fs_start_failed`). With `fork` 0 (the spawn
/// start method), `data` is the pickled Process and the parent calls
/// `fs_start_spawn`.
///
/// # Safety
/// `name`/`nn`, `target`/`tn` and `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_start_prepare(name: *const u8, nn: usize, target: *const u8, tn: usize, daemon: u32, fork: u32, data: *const u8, dn: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let (name, target, data) = unsafe { (text(name, nn), text(target, tn), bytes(data, dn)) };
    with_rt(|rt| {
        rt.enter_op(Op::Start, line);
        let args = if fork != 0 { Vec::new() } else { vec![Value::Pickled { repr: format!("<{name}>"), bytes: data }] };
        let (lane, _) = rt.start_reserve(&target, args, Vec::new(), &name, daemon != 0)?;
        if fork != 0 {
            // A forked child has a copy of every descriptor: every pipe end.
            rt.ipc_inherit_all(lane);
        }
        Ok(lane as i64)
    })
}

/// `p.start()` with the spawn start method, second half: starts a new
/// interpreter (`python`, the same as ours) on `lane`, which attaches to it
/// and runs the pickled Process. Returns the child's pid.
///
/// # Safety
/// `python`/`pn` and `lib`/`ln` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_start_spawn(lane: u32, daemon: u32, python: *const u8, pn: usize, lib: *const u8, ln: usize) -> i64 {
    // SAFETY: per this function's contract.
    let (python, lib) = unsafe { (text(python, pn), text(lib, ln)) };
    with_rt(|rt| {
        let launched = super::launch::command(std::path::Path::new(&python), std::path::Path::new(&lib), &rt.seg_name, lane, rt.info.seed).spawn().map(|child| {
            let pid = child.id() as i32;
            // Reaped with waitpid like every child of the run.
            drop(child);
            pid
        });
        rt.start_launched(lane, daemon != 0, launched).map(|(_, pid)| pid as i64)
    })
}

/// Makes the child on `lane` a holder of pipe end `end` of `id` (a spawned
/// child given a Connection among its arguments).
#[unsafe(no_mangle)]
pub extern "C" fn fs_pipe_adopt(id: u32, end: u8, lane: u32) -> i64 {
    with_rt(|rt| {
        rt.pipe_adopt_for(id, end, lane);
        Ok(0)
    })
}

/// `p.start()`, second half in the parent: the child `pid` exists.
#[unsafe(no_mangle)]
pub extern "C" fn fs_start_commit(lane: u32, daemon: u32, pid: i32) -> i64 {
    with_rt(|rt| rt.start_launched(lane, daemon != 0, Ok(pid)).map(|(_, pid)| pid as i64))
}

/// `os.fork()`, first half: as `fs_start_prepare` with `fork` 1, for a
/// child that is no `Process` (named `name`; a daemonic process may make
/// one). Then the child calls `fs_start_child`, the parent `fs_fork_commit`
/// (or `fs_start_failed`).
///
/// # Safety
/// `name`/`nn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_fork_prepare(name: *const u8, nn: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let name = unsafe { text(name, nn) };
    with_rt(|rt| {
        rt.enter_op(Op::Start, line);
        let (lane, _) = rt.reserve_child_lane("os.fork", Vec::new(), Vec::new(), &name, false)?;
        // A forked child has a copy of every descriptor: every pipe end.
        rt.ipc_inherit_all(lane);
        Ok(lane as i64)
    })
}

/// `os.fork()`, second half in the parent: as `fs_start_commit`, for a
/// child that is no `Process`: the parent's exit neither terminates nor
/// joins it.
#[unsafe(no_mangle)]
pub extern "C" fn fs_fork_commit(lane: u32, pid: i32) -> i64 {
    with_rt(|rt| {
        let (_, pid) = rt.start_launched(lane, false, Ok(pid))?;
        rt.mark_bare_fork(lane);
        Ok(pid as i64)
    })
}

/// `os.wait()` / `os.waitpid()` on children made by `os.fork()` (`lanes`
/// points to `n`): the lane of the child reaped (its exitcode is then
/// `fs_exitcode`), or `NOTHING` if none had ended and `block` is 0.
///
/// # Safety
/// `lanes` points to `n` readable `u32`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_wait_any(lanes: *const u32, n: usize, block: u32, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let lanes = if n == 0 || lanes.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(lanes, n) }.to_vec() };
    with_rt(|rt| rt.process_wait_any(&lanes, block != 0, line).map(|r| none_or(r.map(|(lane, _)| i64::from(lane)))))
}

/// `p.start()`, second half when `fork` failed with `errno`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_start_failed(lane: u32, daemon: u32, errno: i32) -> i64 {
    with_rt(|rt| rt.start_launched(lane, daemon != 0, Err(std::io::Error::from_raw_os_error(errno))).map(|_| 0))
}

/// `p.join(timeout)`: the exitcode, or `NOTHING` if it timed out.
#[unsafe(no_mangle)]
pub extern "C" fn fs_join(lane: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.process_join(lane, timeout(secs), line).map(|c| none_or(c.map(i64::from))))
}

/// `p.is_alive()`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_is_alive(lane: u32, line: u32) -> i64 {
    with_rt(|rt| rt.process_is_alive(lane, line).map(i64::from))
}

/// `p.exitcode` (a query, not an op): `NOTHING` while it runs.
#[unsafe(no_mangle)]
pub extern "C" fn fs_exitcode(lane: u32) -> i64 {
    with_rt(|rt| Ok(none_or(rt.child_exitcode(lane).map(i64::from))))
}

/// The exitcode of child `lane` if the conductor has recorded its end,
/// else `NOTHING`: asks nothing of the OS and never waits (the bookkeeping
/// of `Process.start()`, which only forgets children known to have ended;
/// `fs_exitcode` is what the program's own questions use).
#[unsafe(no_mangle)]
pub extern "C" fn fs_ended(lane: u32) -> i64 {
    with_rt(|rt| Ok(none_or(rt.exitcode_of(lane).map(i64::from))))
}

/// `p.terminate()` (15) / `p.kill()` (9).
#[unsafe(no_mangle)]
pub extern "C" fn fs_signal(lane: u32, sig: i32, line: u32) -> i64 {
    with_rt(|rt| rt.process_signal(lane, sig, line).map(|_| 0))
}

/// The end of the process's code: Python's exit handling (daemonic children
/// terminated, the others joined), then exit with `code`. Does not return.
#[unsafe(no_mangle)]
pub extern "C" fn fs_finish(code: i32) -> i64 {
    match proc_cell() {
        Some(cell) => {
            let _turn = cell.turn.lock().unwrap_or_else(|p| p.into_inner());
            cell.rt.finish(code)
        }
        None => crate::sys::exit_now(code),
    }
}

// ---- threads ----------------------------------------------------------------------

/// `t.start()`, first half (in the starting thread): the gate and the
/// thread's lane, named `name` after this process (`MainProcess/Thread-1`),
/// its target `target` (`threading.Thread`, then the key of its function
/// and arguments after [`crate::vocab::ARGS_KEY`], for explore's symmetry).
/// Python then starts the OS thread, which calls `fs_thread_attach(lane)`,
/// and this thread `fs_thread_commit` (or `fs_thread_failed`).
///
/// # Safety
/// `name`/`nn` and `target`/`tn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_thread_prepare(name: *const u8, nn: usize, target: *const u8, tn: usize, daemon: u32, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let (name, target) = unsafe { (text(name, nn), text(target, tn)) };
    with_rt(|rt| {
        let full = format!("{}/{name}", rt.name());
        let (lane, trt) = rt.thread_prepare(&full, &target, daemon != 0, line)?;
        THREADS.lock().unwrap_or_else(|p| p.into_inner()).push((lane, Attached(trt)));
        Ok(lane as i64)
    })
}

/// `t.start()`, second half, once the OS thread exists.
#[unsafe(no_mangle)]
pub extern "C" fn fs_thread_commit(lane: u32, daemon: u32) -> i64 {
    with_rt(|rt| rt.thread_commit(lane, daemon != 0).map(|_| 0))
}

/// `t.start()` failed to make the OS thread: the lane never runs.
#[unsafe(no_mangle)]
pub extern "C" fn fs_thread_failed(lane: u32) -> i64 {
    THREADS.lock().unwrap_or_else(|p| p.into_inner()).retain(|(l, _)| *l != lane);
    with_rt(|rt| {
        rt.thread_failed(lane);
        Ok(0)
    })
}

/// In the new thread: becomes lane `lane` (waits until its starter released it).
#[unsafe(no_mangle)]
pub extern "C" fn fs_thread_attach(lane: u32) -> i64 {
    let taken = {
        let mut t = THREADS.lock().unwrap_or_else(|p| p.into_inner());
        t.iter().position(|(l, _)| *l == lane).map(|i| t.swap_remove(i).1)
    };
    let Some(Attached(rt)) = taken else {
        return fail("RuntimeError", format!("lane {lane} is no thread being started"));
    };
    if let Err(why) = rt.thread_attach() {
        return fail("RuntimeError", why);
    }
    MINE.with_borrow_mut(|m| *m = Some(rt));
    0
}

/// The end of this thread's code: its lane ends (see `runtime::thread`).
/// The thread uses the process's runtime from then on.
#[unsafe(no_mangle)]
pub extern "C" fn fs_thread_end() -> i64 {
    let Some(rt) = MINE.with_borrow_mut(Option::take) else { return 0 };
    match catch_unwind(AssertUnwindSafe(|| rt.thread_end())) {
        Ok(()) => 0,
        Err(_) => fail("SystemError", "forkscope's runtime failed inside an op (a bug in forkscope)"),
    }
}

/// `t.join(timeout)` of the thread on `lane`: 1 if it has ended, 0 if the
/// timeout passed first.
#[unsafe(no_mangle)]
pub extern "C" fn fs_thread_join(lane: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.thread_join(lane, timeout(secs), line).map(i64::from))
}

// ---- synchronisation --------------------------------------------------------

/// Runs `make` with the resource name given from Python (empty: the default).
///
/// # Safety
/// `p`/`n` as for [`text`].
unsafe fn named(rt: &LaneRuntime, p: *const u8, n: usize, make: impl FnOnce() -> LessonResult<u32>) -> LessonResult<i64> {
    // SAFETY: per the caller's contract.
    let name = unsafe { text(p, n) };
    rt.named(Some(&name), make).map(i64::from)
}

/// `Lock()` (`kind::LOCK`) or `RLock()` (`kind::RLOCK`).
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_lock_new(kind: u32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe {
        named(rt, name, n, || match kind {
            names::kind::LOCK => rt.lock_new(None, line),
            names::kind::RLOCK => rt.rlock_new(line),
            _ => Err(unknown("fs_lock_new", "lock kind", kind)),
        })
    })
}

/// The acquire of a Lock, RLock or Semaphore (`kind::`).
fn acquire(rt: &LaneRuntime, function: &str, kind: u32, id: u32, blocking: bool, secs: Option<f64>, line: u32) -> LessonResult<i64> {
    let got = match kind {
        names::kind::LOCK => rt.lock_acquire(id, blocking, secs, line)?,
        names::kind::RLOCK => rt.rlock_acquire(id, blocking, secs, line)?,
        names::kind::SEMAPHORE => rt.semaphore_acquire(id, blocking, secs, line)?,
        _ => return Err(unknown(function, "lock kind", kind)),
    };
    Ok(got as i64)
}

/// `acquire(blocking, timeout)` of a Lock, RLock or Semaphore (`kind::`):
/// 1 if acquired.
#[unsafe(no_mangle)]
pub extern "C" fn fs_acquire_timed(kind: u32, id: u32, blocking: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| acquire(rt, "fs_acquire_timed", kind, id, blocking != 0, timeout(secs), line))
}

/// `acquire()` (blocking, no timeout: the common case, with only 32-bit
/// arguments so that Python can call it without ctypes' argument
/// conversion) of a Lock, RLock or Semaphore (`kind::`).
#[unsafe(no_mangle)]
pub extern "C" fn fs_acquire(kind: u32, id: u32, line: u32) -> i64 {
    with_rt(|rt| acquire(rt, "fs_acquire", kind, id, true, None, line))
}

/// `release()` of a Lock, RLock or Semaphore (`kind::`), 32-bit arguments only.
#[unsafe(no_mangle)]
pub extern "C" fn fs_release(kind: u32, id: u32, line: u32) -> i64 {
    with_rt(|rt| {
        match kind {
            names::kind::LOCK => rt.lock_release(id, line)?,
            names::kind::RLOCK => rt.rlock_release(id, line)?,
            names::kind::SEMAPHORE => rt.semaphore_release(id, line)?,
            _ => return Err(unknown("fs_release", "lock kind", kind)),
        }
        Ok(0)
    })
}

/// Who holds Lock or RLock `id` (`kind::`): its depth times 2^32 plus its
/// lane, or `result::NOTHING` if it is free (a query, no op).
#[unsafe(no_mangle)]
pub extern "C" fn fs_lock_holder(kind: u32, id: u32) -> i64 {
    with_rt(|rt| {
        let kind = match kind {
            names::kind::LOCK => ResKind::Lock,
            names::kind::RLOCK => ResKind::RLock,
            _ => return Err(unknown("fs_lock_holder", "lock kind", kind)),
        };
        Ok(match rt.lock_holder(id, kind)? {
            Some((lane, depth)) => depth << 32 | lane as i64,
            None => NOTHING,
        })
    })
}

/// `Semaphore(value)` / `BoundedSemaphore(value)`.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_sem_new(value: i64, bounded: u32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.semaphore_new(value, bounded != 0, line)) })
}

#[unsafe(no_mangle)]
pub extern "C" fn fs_sem_value(id: u32, line: u32) -> i64 {
    with_rt(|rt| rt.semaphore_value(id, line))
}

/// `Event()`.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_event_new(name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.event_new(line)) })
}

/// Event ops (`event::`): SET, CLEAR, IS_SET.
#[unsafe(no_mangle)]
pub extern "C" fn fs_event_op(id: u32, what: u32, line: u32) -> i64 {
    with_rt(|rt| match what {
        names::event::SET => rt.event_set(id, line).map(|_| 0),
        names::event::CLEAR => rt.event_clear(id, line).map(|_| 0),
        names::event::IS_SET => rt.event_is_set(id, line).map(i64::from),
        _ => Err(unknown("fs_event_op", "event op", what)),
    })
}

/// `e.wait(timeout)`: 1 if the flag is set.
#[unsafe(no_mangle)]
pub extern "C" fn fs_event_wait(id: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.event_wait(id, timeout(secs), line).map(i64::from))
}

/// `Condition(lock)`: `lock_kind` `kind::LOCK` / `kind::RLOCK` with `lock`
/// its id, or `lock` = `cond::NEW_RLOCK` for a new RLock. Returns the
/// condition's id; its lock is `fs_cond_lock`.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_cond_new(lock_kind: u32, lock: u32, name: *const u8, n: usize, line: u32) -> i64 {
    let kind = match lock_kind {
        names::kind::LOCK => ResKind::Lock,
        names::kind::RLOCK => ResKind::RLock,
        _ => return with_rt(|_| Err(unknown("fs_cond_new", "lock kind", lock_kind))),
    };
    let lock = (lock != names::cond::NEW_RLOCK).then_some((kind, lock));
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.condition_new(lock, line).map(|(id, _, _)| id)) })
}

/// The lock of condition `id`: its kind (`kind::LOCK` or `kind::RLOCK`) times 2^32 plus its id.
#[unsafe(no_mangle)]
pub extern "C" fn fs_cond_lock(id: u32) -> i64 {
    with_rt(|rt| {
        let (kind, lock) = rt.condition_lock(id)?;
        let kind = if kind == ResKind::RLock { names::kind::RLOCK } else { names::kind::LOCK };
        Ok((kind as i64) << 32 | lock as i64)
    })
}

/// `c.wait(timeout)`: 1 if notified.
#[unsafe(no_mangle)]
pub extern "C" fn fs_cond_wait(id: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.condition_wait(id, timeout(secs), line).map(i64::from))
}

/// What CPython's Condition counts (`_sleeping_count`, `_woken_count`,
/// `_wait_semaphore`): `what` a `cond_count` name.
#[unsafe(no_mangle)]
pub extern "C" fn fs_cond_count(id: u32, what: u32) -> i64 {
    with_rt(|rt| {
        let (sleeping, woken, queued) = rt.condition_counts(id)?;
        match what {
            names::cond_count::SLEEPING => Ok(sleeping as i64),
            names::cond_count::WOKEN => Ok(woken as i64),
            names::cond_count::NOTIFIED => Ok(sleeping as i64 - woken as i64 - queued as i64),
            _ => Err(unknown("fs_cond_count", "count", what)),
        }
    })
}

/// `c.notify(n)` / `c.notify_all()` (n < 0).
#[unsafe(no_mangle)]
pub extern "C" fn fs_cond_notify(id: u32, n: i64, line: u32) -> i64 {
    with_rt(|rt| rt.condition_notify(id, (n >= 0).then_some(n), line))
}

/// `Barrier(parties)`.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_barrier_new(parties: i64, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.barrier_new(parties, line)) })
}

/// `b.wait(timeout)`: the arrival index. `hold` != 0: the barrier has an
/// action, which the last party runs before `RELEASE` lets the others go.
#[unsafe(no_mangle)]
pub extern "C" fn fs_barrier_wait(id: u32, secs: f64, hold: u32, line: u32) -> i64 {
    with_rt(|rt| rt.barrier_wait(id, timeout(secs), hold != 0, line))
}

/// Barrier ops (`barrier::`): RESET, ABORT, N_WAITING, PARTIES, BROKEN,
/// RELEASE (the held waiters go, after the action).
#[unsafe(no_mangle)]
pub extern "C" fn fs_barrier_op(id: u32, what: u32, line: u32) -> i64 {
    use names::barrier::*;
    with_rt(|rt| match what {
        RESET | ABORT => rt.barrier_reset(id, what == ABORT, line).map(|_| 0),
        N_WAITING => rt.barrier_waiting(id, line),
        PARTIES => rt.barrier_info(id).map(|(p, _)| p),
        BROKEN => rt.barrier_info(id).map(|(_, b)| b as i64),
        RELEASE => rt.barrier_release(id).map(|_| 0),
        _ => Err(unknown("fs_barrier_op", "barrier op", what)),
    })
}

// ---- shared memory values ---------------------------------------------------

fn num(bits: i64, float: u32) -> Num {
    Num::from_bits(bits, float != 0)
}

/// `Value(typecode, init)`: `bits` is the integer, or the float's bits.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_value_new(bits: i64, float: u32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.value_new(num(bits, float), float != 0, line).map(|(id, _)| id)) })
}

/// `Array(typecode, values)`: `values` points to `len` numbers (bits).
///
/// # Safety
/// `values` points to `len` readable `i64`s; `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_array_new(values: *const i64, len: usize, float: u32, name: *const u8, n: usize, line: u32) -> i64 {
    let nums: Vec<Num> = if len == 0 || values.is_null() {
        Vec::new()
    } else {
        // SAFETY: per this function's contract.
        unsafe { std::slice::from_raw_parts(values, len) }.iter().map(|&b| num(b, float)).collect()
    };
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.array_new(&nums, float != 0, line).map(|(id, _)| id)) })
}

/// The RLock of a Value or Array (`get_lock()`).
#[unsafe(no_mangle)]
pub extern "C" fn fs_shared_lock(id: u32) -> i64 {
    with_rt(|rt| rt.shared_lock(id).map(i64::from))
}

/// Writes `bits` to `out` (a shared number can be any `i64`, [`ERR`] too).
///
/// # Safety
/// `out` is a valid pointer, or null.
unsafe fn put_bits(out: *mut i64, bits: i64) -> i64 {
    if !out.is_null() {
        // SAFETY: per this function's contract.
        unsafe { *out = bits };
    }
    0
}

/// `v.value` (read): the bits, into `*out`; returns 0.
///
/// # Safety
/// `out` is a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_value_load(id: u32, line: u32, out: *mut i64) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| rt.value_load(id, line).map(|n| unsafe { put_bits(out, n.bits()) }))
}

/// `v.value = x`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_value_store(id: u32, bits: i64, float: u32, line: u32) -> i64 {
    with_rt(|rt| rt.value_store(id, num(bits, float), line).map(|_| 0))
}

/// `a[i]` (read): the bits, into `*out`; returns 0.
///
/// # Safety
/// `out` is a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_array_load(id: u32, i: i64, line: u32, out: *mut i64) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| rt.array_load(id, i, line).map(|n| unsafe { put_bits(out, n.bits()) }))
}

/// `a[i] = x`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_array_store(id: u32, i: i64, bits: i64, float: u32, line: u32) -> i64 {
    with_rt(|rt| rt.array_store(id, i, num(bits, float), line).map(|_| 0))
}

/// A manager's new object of type `kind` (`dict`), whose repr is `now`
/// (see `runtime::sync::managed`): its resource's id. Called by the manager
/// process, named as the requester's variable (`name`, or `kind-N`).
///
/// # Safety
/// `kind`/`kn`, `now`/`nn`, `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_managed_new(kind: *const u8, kn: usize, now: *const u8, nn: usize, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let (kind, now) = unsafe { (text(kind, kn), text(now, nn)) };
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.managed_new(&kind, &now, line)) })
}

/// The manager served `asker` a call on its object `id` that read it
/// (`write` 0) or changed it (1); `detail` is the access's JSON (see
/// `runtime::sync::managed`), on the asker's `line`. No gate: it is part of
/// the manager's step.
///
/// # Safety
/// `detail`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_managed_access(id: u32, write: u32, asker: u32, detail: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let detail = unsafe { text(detail, n) };
    with_rt(|rt| rt.managed_access(id, write != 0, asker, &detail, line).map(|_| 0))
}

// ---- queues and pipes ---------------------------------------------------------

/// `Queue(maxsize)` / `JoinableQueue(maxsize)`.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_queue_new(joinable: u32, maxsize: i64, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.queue_new(joinable != 0, maxsize, line)) })
}

/// The message a sender made: its pickle and its repr.
///
/// # Safety
/// Both (pointer, length) pairs as for [`text`].
unsafe fn message(repr: *const u8, rn: usize, data: *const u8, dn: usize) -> Value {
    // SAFETY: per the caller's contract.
    unsafe { Value::Pickled { repr: text(repr, rn), bytes: bytes(data, dn) } }
}

/// `q.put(obj, block, timeout)` / `put_nowait` (`nowait` = 1), by whom
/// `feed` says (`feed::`: DIRECT, TRY, FEEDER, COUNT, BEHIND): 0, or NOTHING when a
/// TRY did not fit the pipe, and for a COUNT or BEHIND (the process's feeder thread puts it).
///
/// # Safety
/// `repr`/`rn` and `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_queue_put(id: u32, repr: *const u8, rn: usize, data: *const u8, dn: usize, block: u32, secs: f64, nowait: u32, feed: u32, line: u32) -> i64 {
    use crate::runtime::ipc::queue::Feed;
    let feed = match feed {
        names::feed::DIRECT => Feed::Direct,
        names::feed::TRY => Feed::Try,
        names::feed::FEEDER => Feed::Feeder,
        names::feed::COUNT => Feed::Count,
        names::feed::BEHIND => Feed::Behind,
        _ => return with_rt(|_| Err::<i64, _>(unknown("fs_queue_put", "feed", feed))),
    };
    // SAFETY: per this function's contract.
    let v = unsafe { message(repr, rn, data, dn) };
    let how = Blocking { block: block != 0, timeout: timeout(secs), nowait: nowait != 0 };
    with_rt(|rt| rt.queue_put_fed(id, &v, how, feed, line).map(|put| if put { 0 } else { NOTHING }))
}

/// `q.get(block, timeout)` / `get_nowait`: the item's length (`fs_take_bytes` it).
#[unsafe(no_mangle)]
pub extern "C" fn fs_queue_get(id: u32, block: u32, secs: f64, nowait: u32, line: u32) -> i64 {
    let how = Blocking { block: block != 0, timeout: timeout(secs), nowait: nowait != 0 };
    with_rt(|rt| pickled(rt.queue_get(id, how, line)?))
}

/// Queue queries and ops (`queue::`): QSIZE, EMPTY, FULL, TASK_DONE, JOIN.
#[unsafe(no_mangle)]
pub extern "C" fn fs_queue_op(id: u32, what: u32, line: u32) -> i64 {
    use names::queue::*;
    with_rt(|rt| {
        let v = match what {
            QSIZE => rt.queue_query(id, Op::Qsize, line)?,
            EMPTY => rt.queue_query(id, Op::Empty, line)?,
            FULL => rt.queue_query(id, Op::Full, line)?,
            TASK_DONE => {
                rt.queue_task_done(id, line)?;
                Value::Int(0)
            }
            JOIN => {
                rt.queue_join(id, line)?;
                Value::Int(0)
            }
            _ => return Err(unknown("fs_queue_op", "queue op", what)),
        };
        Ok(match v {
            Value::Int(i) => i,
            Value::Bool(b) => b as i64,
            _ => 0,
        })
    })
}

/// `Pipe(duplex)`: the pipe's id; its ends are 0 and 1.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pipe_new(duplex: u32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.pipe_new(duplex != 0, line)) })
}

/// `c.send(obj)` / `c.send_bytes(b)` on `end`.
///
/// # Safety
/// `repr`/`rn` and `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pipe_send(id: u32, end: u8, repr: *const u8, rn: usize, data: *const u8, dn: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let v = unsafe { message(repr, rn, data, dn) };
    with_rt(|rt| rt.pipe_send(id, end, &v, line).map(|_| 0))
}

/// `c.recv()` / `c.recv_bytes()` on `end`: the message's length (`fs_take_bytes` it).
#[unsafe(no_mangle)]
pub extern "C" fn fs_pipe_recv(id: u32, end: u8, line: u32) -> i64 {
    with_rt(|rt| pickled(rt.pipe_recv(id, end, line)?))
}

/// `c.poll(timeout)`: 1 if a message (or end of file) is there.
#[unsafe(no_mangle)]
pub extern "C" fn fs_pipe_poll(id: u32, end: u8, secs: f64, line: u32) -> i64 {
    with_rt(|rt| rt.pipe_poll(id, end, if secs >= 0.0 { secs } else { f64::INFINITY }, line).map(i64::from))
}

/// `c.close()`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_pipe_close(id: u32, end: u8, line: u32) -> i64 {
    with_rt(|rt| rt.pipe_close(id, end, line).map(|_| 0))
}

// ---- connections on descriptors (see runtime::ipc::conn) -----------------------

/// A connection resource: `Pipe()` on descriptors (`duplex` 1 or 0), or a
/// `Listener`'s or `Client`'s connection (`duplex` 2, waited for by
/// polling): its id.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_conn_new(duplex: u32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.conn_new(duplex != 0, duplex == 2, line)) })
}

/// `c.send_bytes(data)` on `end` of `id`, descriptor `fd`; `repr` is shown.
///
/// # Safety
/// `repr`/`rn` as for [`text`]; `data` points to `dn` readable bytes (or is null with `dn` 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_conn_send(id: u32, end: u8, fd: i32, repr: *const u8, rn: usize, data: *const u8, dn: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let shown = unsafe { text(repr, rn) };
    // SAFETY: per this function's contract.
    let data: &[u8] = if data.is_null() || dn == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data, dn) } };
    with_rt(|rt| rt.conn_send(id, end, fd, &shown, data, line).map(|_| 0))
}

/// `c.recv_bytes(maxlength)` (`maxlength` < 0: any): the message's length
/// (`fs_take_bytes` it), or `NOTHING` when it is longer than `maxlength`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_conn_recv(id: u32, end: u8, fd: i32, maxlength: i64, line: u32) -> i64 {
    with_rt(|rt| Ok(rt.conn_recv(id, end, fd, maxlength, line)?.map_or(NOTHING, give_bytes)))
}

/// `wait(objects, secs)` / `c.poll(secs)` (`secs` < 0: for ever): `on` holds
/// `n` pairs (descriptor, pipe id + end times 2^32, or `NONE` for a plain
/// descriptor); `out[i]` is set to 1 for each ready one. How many are ready.
/// `polled`: some descriptor is of nothing the run wakes.
///
/// # Safety
/// `on` points to `2 * n` readable `i64`s, `out` to `n` writable ones.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_conn_wait(on: *const i64, n: usize, out: *mut i64, secs: f64, polled: u32, line: u32) -> i64 {
    use crate::runtime::ipc::conn::WaitOn;
    // SAFETY: per this function's contract.
    let raw = if n == 0 || on.is_null() { &[][..] } else { unsafe { std::slice::from_raw_parts(on, 2 * n) } };
    let list: Vec<WaitOn> = raw.chunks(2).map(|p| WaitOn { fd: p[0] as i32, id: p[1] as u32, end: ((p[1] >> 32) & 1) as u8 }).collect();
    with_rt(|rt| {
        let ready = rt.conn_wait(&list, timeout(secs), polled != 0, line)?;
        for (i, r) in ready.iter().enumerate() {
            // SAFETY: per this function's contract, `i` < `n`.
            unsafe { *out.add(i) = i64::from(*r) };
        }
        Ok(ready.iter().filter(|r| **r).count() as i64)
    })
}

/// `c.close()` on `end` of `id` (`gc` 1: the garbage collector's, not an op).
#[unsafe(no_mangle)]
pub extern "C" fn fs_conn_close(id: u32, end: u8, fd: i32, gc: u32, line: u32) -> i64 {
    with_rt(|rt| rt.conn_close(id, end, fd, gc != 0, line).map(|_| 0))
}

/// A wait in a library's own `threading` object begins (see
/// `runtime::ipc::libwait`): `NOTHING` running free, else this lane's park count.
#[unsafe(no_mangle)]
pub extern "C" fn fs_lib_wait_begin(line: u32) -> i64 {
    with_rt(|rt| Ok(rt.lib_wait_begin(line).map_or(NOTHING, |p| p as i64)))
}

/// That wait ended (after `fs_lib_wait_begin` gave a count).
#[unsafe(no_mangle)]
pub extern "C" fn fs_lib_wait_end() -> i64 {
    with_rt(|rt| {
        rt.lib_wait_end();
        Ok(0)
    })
}

/// After waking `lane` from such a wait: waits until it parked.
#[unsafe(no_mangle)]
pub extern "C" fn fs_lib_settle(lane: u32, parks: i64) -> i64 {
    with_rt(|rt| {
        rt.lib_settle(lane, parks.max(0) as u64);
        Ok(0)
    })
}

// ---- pools ----------------------------------------------------------------------

/// The task a pool worker is running.
#[derive(Default)]
struct PoolScratch {
    task: Option<crate::runtime::ipc::pool::Task>,
}

static POOL: Mutex<PoolScratch> = Mutex::new(PoolScratch { task: None });

fn pool_scratch() -> std::sync::MutexGuard<'static, PoolScratch> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

thread_local! {
    /// The pool call this thread is putting together (`fs_pool_arg` adds
    /// the calls, each one pickled message; `fs_pool_submit` sends them).
    static CALLS: RefCell<Vec<Vec<Value>>> = const { RefCell::new(Vec::new()) };
}

/// `Pool(n)`: the pool's id. Python then forks its `n` workers and calls
/// `fs_pool_started` with their lanes.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_new(workers: i64, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.pool_create(workers, line)) })
}

/// The pool's workers are started: their lanes (`lanes` points to `n`).
///
/// # Safety
/// `lanes` points to `n` readable `u32`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_started(id: u32, lanes: *const u32, n: usize) -> i64 {
    // SAFETY: per this function's contract.
    let lanes = if n == 0 || lanes.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(lanes, n) }.to_vec() };
    with_rt(|rt| {
        rt.pool_started(id, &lanes);
        Ok(0)
    })
}

/// Adds one call (a pickled `(function, args, kwargs)`, shown as `repr`) to
/// the submission being put together.
///
/// # Safety
/// `repr`/`rn` and `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_arg(repr: *const u8, rn: usize, data: *const u8, dn: usize) -> i64 {
    // SAFETY: per this function's contract.
    let v = unsafe { message(repr, rn, data, dn) };
    CALLS.with_borrow_mut(|c| c.push(vec![v]));
    0
}

/// Submits the calls this thread put together: `op` (`submit::`) APPLY,
/// APPLY_ASYNC or MAP (`func` names the function for the dashboard);
/// `callback` 1 if one waits for the result. Returns the AsyncResult's id.
///
/// # Safety
/// `func`/`fnn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_submit(id: u32, op: u32, func: *const u8, fnn: usize, callback: u32, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let func = unsafe { text(func, fnn) };
    let calls = CALLS.with_borrow_mut(std::mem::take);
    let op = match op {
        names::submit::APPLY => Op::Apply,
        names::submit::APPLY_ASYNC => Op::ApplyAsync,
        names::submit::MAP => Op::Map,
        _ => return with_rt(|_| Err(unknown("fs_pool_submit", "pool submission", op))),
    };
    with_rt(|rt| rt.pool_submit(id, op, &func, calls, callback != 0, line).map(i64::from))
}

/// A worker takes its next task: the length of its pickled call (`fs_take_bytes`
/// it), or `NOTHING` when the pool tells it to stop.
#[unsafe(no_mangle)]
pub extern "C" fn fs_pool_take(id: u32) -> i64 {
    with_rt(|rt| match rt.pool_take(id)? {
        None => Ok(NOTHING),
        Some(task) => {
            let bytes = match task.args.first() {
                Some(Value::Pickled { bytes, .. }) => bytes.clone(),
                _ => return Err(LessonError::type_error("a pool task that is not a Python call")),
            };
            pool_scratch().task = Some(task);
            Ok(give_bytes(bytes))
        }
    })
}

/// A worker's task is done: `ok` 1 with its pickled value (shown as
/// `repr`), or 0 with `repr` = `Kind: message` and `data` the pickled exception.
///
/// # Safety
/// `repr`/`rn` and `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_finish(id: u32, ok: u32, repr: *const u8, rn: usize, data: *const u8, dn: usize) -> i64 {
    // SAFETY: per this function's contract.
    let (shown, data) = unsafe { (text(repr, rn), bytes(data, dn)) };
    let Some(task) = pool_scratch().task.take() else {
        return fail("RuntimeError", "no pool task is running in this process");
    };
    let outcome = if ok != 0 {
        Ok(Value::Pickled { repr: shown, bytes: data })
    } else {
        // The text for the dashboard, then the exception itself for `get()`.
        Err(format!("{shown}\0{}", hex(&data)))
    };
    with_rt(|rt| rt.pool_finish(id, &task, outcome).map(|_| 0))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The value of a ready AsyncResult, for Python: one pickle, or (a map) a
/// list of them, each behind its 8-byte little-endian length; the first byte
/// says which (0 one, 1 a list).
fn result_bytes(v: Value) -> LessonResult<i64> {
    let one = |v: Value| match v {
        Value::Pickled { bytes, .. } => Ok(bytes),
        other => Err(LessonError::type_error(format!("a result that is not a Python object ({})", crate::runtime::ipc::preview(&other)))),
    };
    let mut out = Vec::new();
    match v {
        Value::Array(items) => {
            out.push(1);
            for item in items {
                let b = one(item)?;
                out.extend_from_slice(&(b.len() as u64).to_le_bytes());
                out.extend_from_slice(&b);
            }
        }
        v => {
            out.push(0);
            out.extend_from_slice(&one(v)?);
        }
    }
    Ok(give_bytes(out))
}

/// `r.get(timeout)`: see `result_bytes` (`fs_take_bytes` it).
#[unsafe(no_mangle)]
pub extern "C" fn fs_result_get(rid: u32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| result_bytes(rt.result_get(rid, timeout(secs), line)?))
}

/// `r.ready()`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_result_ready(rid: u32, line: u32) -> i64 {
    with_rt(|rt| rt.result_ready(rid, line).map(i64::from))
}

/// For callbacks (a query, no op): the ready value as `fs_result_get`
/// gives it, or `NOTHING` while it is not ready.
#[unsafe(no_mangle)]
pub extern "C" fn fs_result_if_ready(rid: u32) -> i64 {
    with_rt(|rt| match rt.result_if_ready(rid) {
        None => Ok(NOTHING),
        Some(v) => result_bytes(v?),
    })
}

/// Pool ops (`pool::`): CLOSE, TERMINATE (its workers' lanes in `lanes`);
/// WORK (a query): the tasks pending or running.
///
/// # Safety
/// `lanes` points to `n` readable `u32`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_op(id: u32, what: u32, lanes: *const u32, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let lanes = if n == 0 || lanes.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(lanes, n) }.to_vec() };
    with_rt(|rt| {
        match what {
            names::pool::CLOSE => rt.pool_close(id, line)?,
            names::pool::TERMINATE => rt.pool_terminate(id, &lanes, line)?,
            names::pool::WORK => return rt.pool_work(id),
            _ => return Err(unknown("fs_pool_op", "pool op", what)),
        }
        Ok(0)
    })
}

/// One step of `pool.join()`: 0 when every worker has ended, 1 when a result
/// in `results` (those with callbacks) is ready and its callback must run.
///
/// # Safety
/// `lanes` points to `n` and `results` to `m` readable `u32`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_pool_join(id: u32, lanes: *const u32, n: usize, results: *const u32, m: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let (lanes, results) = unsafe {
        (
            if n == 0 || lanes.is_null() { Vec::new() } else { std::slice::from_raw_parts(lanes, n).to_vec() },
            if m == 0 || results.is_null() { Vec::new() } else { std::slice::from_raw_parts(results, m).to_vec() },
        )
    };
    with_rt(|rt| {
        Ok(match rt.pool_join_step(id, &lanes, &results, line)? {
            crate::runtime::ipc::pool::JoinStep::Done => 0,
            crate::runtime::ipc::pool::JoinStep::Callbacks => 1,
        })
    })
}

// ---- sockets --------------------------------------------------------------------
//
// The program's own `socket.socket()` objects make their descriptors; these
// calls make them resources of the run and do the blocking calls through the
// runtime's waits (see `runtime::ipc::socket`). `fd` is the object's
// `fileno()`.

/// `sock.listen(backlog)`: the socket's resource id.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_sock_listen(fd: i32, backlog: i32, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.sock_listen_fd(fd, backlog, line)) })
}

/// `sock.accept()`: the connection's resource id times 2^32 plus its
/// descriptor (close-on-exec, blocking, as CPython's).
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_sock_accept(id: u32, fd: i32, secs: f64, name: *const u8, n: usize, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let name = unsafe { text(name, n) };
    with_rt(|rt| {
        let (cid, conn) = rt.named(Some(&name), || rt.sock_accept(id, fd, timeout(secs), line))?;
        Ok((cid as i64) << 32 | conn as i64)
    })
}

/// The gate of `sock.connect(addr)`, before Python starts the connection.
#[unsafe(no_mangle)]
pub extern "C" fn fs_sock_enter(line: u32) -> i64 {
    with_rt(|rt| {
        rt.sock_enter(Op::Connect, line);
        Ok(0)
    })
}

/// `sock.connect(addr)`, after `fs_sock_enter` and the non-blocking
/// connect to `port` that ended with `err` (0 or an errno): waits until the
/// connection is made; the socket's resource id.
///
/// # Safety
/// `name`/`n` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_sock_connected(fd: i32, port: i64, err: i32, secs: f64, name: *const u8, n: usize) -> i64 {
    // SAFETY: per this function's contract.
    with_rt(|rt| unsafe { named(rt, name, n, || rt.sock_connected(fd, port, err, timeout(secs))) })
}

/// `sock.send(data, flags)` / `sendall`: every byte is sent; how many.
///
/// # Safety
/// `data`/`dn` as for [`text`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fs_sock_send(id: u32, fd: i32, data: *const u8, dn: usize, flags: i32, line: u32) -> i64 {
    // SAFETY: per this function's contract.
    let data = unsafe { bytes(data, dn) };
    with_rt(|rt| rt.sock_send(id, fd, &data, flags, line))
}

/// `sock.recv(bufsize, flags)`: the bytes' length (`fs_take_bytes` them).
#[unsafe(no_mangle)]
pub extern "C" fn fs_sock_recv(id: u32, fd: i32, bufsize: i64, flags: i32, secs: f64, line: u32) -> i64 {
    with_rt(|rt| Ok(give_bytes(rt.sock_recv(id, fd, bufsize, flags, timeout(secs), line)?)))
}

/// `sock.close()` (`gc` 0), or the garbage collector's close (`gc` 1, not
/// an op): the runtime closes `fd`, which Python has let go of.
#[unsafe(no_mangle)]
pub extern "C" fn fs_sock_close(id: u32, fd: i32, gc: u32, line: u32) -> i64 {
    with_rt(|rt| if gc != 0 { rt.sock_release(id, fd) } else { rt.sock_close(id, fd, line) }.map(|_| 0))
}

/// `sock.shutdown(how)`.
#[unsafe(no_mangle)]
pub extern "C" fn fs_sock_shutdown(id: u32, fd: i32, how: i32, line: u32) -> i64 {
    with_rt(|rt| rt.sock_shutdown(id, fd, how, line).map(|_| 0))
}
