//! Taking over the terminal and giving it back: raw mode, the alternate
//! screen, mouse capture, a hidden cursor. [`restore`] undoes all of it and is
//! idempotent; it runs when the [`TerminalGuard`] drops (after `q`, Ctrl-C,
//! SIGTERM, an error) and from the panic hook, before the panic message is
//! printed, so a panic leaves a usable shell with the message readable.
//!
//! Ctrl-Z suspends the dashboard as it does any terminal program: raw mode
//! keeps the terminal's suspend character (Ctrl-C stays a key, see
//! [`keep_suspend_key`]), SIGTSTP only raises a flag, and the event loop
//! calls [`follow_job_control`], which gives the terminal back, stops the
//! process, and on SIGCONT (`fg`) takes the terminal again and redraws the
//! whole screen. A SIGCONT after a stop we could not see (SIGSTOP, which
//! cannot be caught; the shell may have reset the terminal meanwhile) takes
//! the terminal again and redraws too. The run's processes are in process
//! groups of their own, so the suspend character stops the dashboard, not
//! the lesson.
//!
//! A terminal that goes away (the window closed, `tmux kill-server`) is a
//! trap: crossterm 0.29 then reads end-of-file from it in a loop that never
//! returns. The event loop checks [`hung_up`] before it asks crossterm for
//! events, and a [`Watchdog`] ends the process if a stop was asked for (SIGHUP
//! comes with a hang-up) and the loop did not end within a grace period: the
//! run's guard process and its workers clean up after a conductor that is
//! gone.

use std::io::{Stdout, Write, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// The terminal is in our hands (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();
/// Standard input is the terminal (so a hang-up shows on it).
static STDIN_TTY: AtomicBool = AtomicBool::new(false);
/// A SIGTSTP arrived and the event loop has not suspended yet.
static SUSPEND_ASKED: AtomicBool = AtomicBool::new(false);
/// A SIGCONT arrived and the event loop has not taken the terminal again yet.
static CONTINUED: AtomicBool = AtomicBool::new(false);

/// Gives the terminal back when dropped.
#[derive(Debug)]
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Takes over the terminal; the guard gives it back.
pub fn enter() -> std::io::Result<(Term, TerminalGuard)> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    STDIN_TTY.store(std::io::IsTerminal::is_terminal(&std::io::stdin()), Ordering::SeqCst);
    let guard = TerminalGuard;
    take_over()?;
    let term = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((term, guard))
}

/// The terminal's settings before raw mode, for [`catch_bus_error`]'s
/// handler (a plain load there: it may not lock or allocate).
static COOKED: std::sync::OnceLock<(i32, libc::termios)> = std::sync::OnceLock::new();

/// Raw mode, the alternate screen, mouse capture, no cursor; Ctrl-Z suspends.
fn take_over() -> std::io::Result<()> {
    for fd in [libc::STDIN_FILENO, libc::STDOUT_FILENO] {
        // SAFETY: a zeroed termios is a valid out-parameter; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is a standard descriptor; `t` is a valid termios.
        if unsafe { libc::tcgetattr(fd, &mut t) } == 0 {
            let _ = COOKED.set((fd, t));
            break;
        }
    }
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    keep_suspend_key();
    catch_suspend(true);
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)
}

/// Raw mode turns off the terminal's signal characters; this turns the
/// suspend character (Ctrl-Z, or whatever `stty susp` says) back on, so the
/// kernel sends SIGTSTP as in any other program. Interrupt and quit stay
/// disabled: Ctrl-C is the dashboard's quit key (it must end the run
/// cleanly), `Ctrl-\` nothing. Best effort: on failure Ctrl-Z is just a key.
fn keep_suspend_key() {
    use nix::sys::termios::{LocalFlags, SetArg, SpecialCharacterIndices};
    use std::os::fd::AsFd;
    let (tty, stdin);
    let fd = if STDIN_TTY.load(Ordering::SeqCst) {
        stdin = std::io::stdin();
        stdin.as_fd()
    } else {
        // crossterm's raw mode applies to the controlling terminal when
        // standard input is not one; so does this.
        match std::fs::File::open("/dev/tty") {
            Ok(f) => {
                tty = f;
                tty.as_fd()
            }
            Err(_) => return,
        }
    };
    let Ok(mut t) = nix::sys::termios::tcgetattr(fd) else { return };
    t.local_flags |= LocalFlags::ISIG;
    t.control_chars[SpecialCharacterIndices::VINTR as usize] = libc::_POSIX_VDISABLE;
    t.control_chars[SpecialCharacterIndices::VQUIT as usize] = libc::_POSIX_VDISABLE;
    let _ = nix::sys::termios::tcsetattr(fd, SetArg::TCSANOW, &t);
}

extern "C" fn note_job_control(sig: libc::c_int) {
    let flag = if sig == libc::SIGTSTP { &SUSPEND_ASKED } else { &CONTINUED };
    flag.store(true, Ordering::SeqCst);
}

/// SIGTSTP and SIGCONT raise [`SUSPEND_ASKED`] and [`CONTINUED`] (`on`), or
/// act as by default: stop, continue.
fn catch_suspend(on: bool) {
    use nix::sys::signal::Signal;
    for sig in [Signal::SIGTSTP, Signal::SIGCONT] {
        crate::sys::on_signal(sig, on.then_some(note_job_control as extern "C" fn(libc::c_int)));
    }
}

/// If a SIGTSTP came (Ctrl-Z): gives the terminal back and stops the
/// process as SIGTSTP does by default. Then, and after any other SIGCONT,
/// takes the terminal again and clears `term`, so that the next frame
/// redraws every cell (the alternate screen comes back empty, or with what
/// the shell wrote). Returns whether the screen must be drawn.
pub fn follow_job_control(term: &mut Term) -> std::io::Result<bool> {
    let suspend = SUSPEND_ASKED.swap(false, Ordering::SeqCst);
    let continued = CONTINUED.swap(false, Ordering::SeqCst);
    if !(suspend || continued) || !ACTIVE.load(Ordering::SeqCst) {
        return Ok(false);
    }
    restore();
    if suspend {
        // SIGTSTP's default action (restore() put it back) stops the whole
        // process here until SIGCONT.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
    }
    take_over()?;
    term.clear()?;
    Ok(true)
}

/// Gives the terminal back (once; later calls do nothing). Errors are
/// ignored: the terminal may already be gone (SIGHUP).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
        // The terminal is the shell's again: Ctrl-Z stops us as it would by default.
        catch_suspend(false);
    }
}

/// What the SIGBUS handler says (set once, before it is installed).
static BUS_MESSAGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

extern "C" fn on_bus_error(_: libc::c_int) {
    // Only async-signal-safe calls here: tcsetattr, write, _exit.
    if ACTIVE.load(Ordering::SeqCst) {
        if let Some((fd, t)) = COOKED.get() {
            // SAFETY: `t` is the termios read from `fd` before raw mode.
            unsafe { libc::tcsetattr(*fd, libc::TCSANOW, t) };
        }
        // Mouse reporting off (every mode crossterm turns on), the cursor
        // shown, the main screen back.
        let undo = b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?25h\x1b[?1049l";
        // SAFETY: writing a static buffer to stdout.
        unsafe { libc::write(libc::STDOUT_FILENO, undo.as_ptr().cast(), undo.len()) };
    }
    if let Some(m) = BUS_MESSAGE.get() {
        // SAFETY: writing a buffer that lives for the whole program.
        unsafe { libc::write(libc::STDERR_FILENO, m.as_ptr().cast(), m.len()) };
    }
    // The run's guard ends its processes and removes what is left.
    // SAFETY: _exit is async-signal-safe and ends the process at once.
    unsafe { libc::_exit(1) }
}

/// A SIGBUS (the run's shared memory truncated under it, by a process of
/// the run or a full `/dev/shm`) gives the terminal back and ends forkscope
/// with a message, instead of killing it with the terminal left in raw mode
/// and the alternate screen. The run's guard then ends the run's processes
/// and removes the segment and folder, as after any death of the conductor.
pub fn catch_bus_error() {
    let _ = BUS_MESSAGE.set(
        b"forkscope: the run's shared memory went away under it (its file in /dev/shm was truncated, by a process of the run or for want of room): the run cannot go on; its processes are ended\n".to_vec(),
    );
    crate::sys::on_signal(nix::sys::signal::Signal::SIGBUS, Some(on_bus_error));
}

/// The terminal on standard input has hung up.
pub fn hung_up() -> bool {
    if !STDIN_TTY.load(Ordering::SeqCst) {
        return false;
    }
    matches!(poll_stdin(0), Some(r) if r.intersects(hang_up()))
}

fn hang_up() -> nix::poll::PollFlags {
    use nix::poll::PollFlags;
    PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL
}

fn poll_stdin(timeout_ms: i32) -> Option<nix::poll::PollFlags> {
    use std::os::fd::AsFd;
    crate::sys::poll_one(std::io::stdin().as_fd(), nix::poll::PollFlags::POLLIN, timeout_ms)
}

/// What waiting on the terminal found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Bytes to read (or the terminal is not standard input: ask crossterm).
    Ready,
    Timeout,
    HungUp,
}

/// Waits up to `timeout` for input on the terminal without crossterm, so a
/// hang-up during the wait is seen here and not inside crossterm's loop.
pub fn wait_input(timeout: std::time::Duration) -> Readiness {
    if !STDIN_TTY.load(Ordering::SeqCst) {
        return Readiness::Ready;
    }
    match poll_stdin(timeout.as_millis().min(i32::MAX as u128) as i32) {
        Some(r) if r.intersects(hang_up()) => Readiness::HungUp,
        Some(_) => Readiness::Ready,
        None => Readiness::Timeout,
    }
}

/// How long the event loop may take to end after a stop before the watchdog ends the process.
const GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Ends the process if the event loop is stuck after a stop or a hang-up
/// (see the module docs). Dropping it (when the loop has ended) stops it.
#[derive(Debug)]
pub struct Watchdog {
    done: std::sync::Arc<AtomicBool>,
}

impl Watchdog {
    pub fn start() -> Watchdog {
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let _ = std::thread::Builder::new().name("ui-watchdog".into()).spawn(move || {
            let mut since: Option<std::time::Instant> = None;
            while !d.load(Ordering::SeqCst) {
                let sig = crate::sys::stop_requested().or_else(|| hung_up().then_some(libc::SIGHUP));
                match (sig, since) {
                    (Some(_), None) => since = Some(std::time::Instant::now()),
                    (Some(sig), Some(t)) if t.elapsed() > GRACE && !d.load(Ordering::SeqCst) => {
                        restore();
                        // At once: the guard process and the workers notice the
                        // conductor is gone and clean up.
                        crate::sys::exit_now(128 + sig);
                    }
                    _ => {}
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        Watchdog { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}
