//! Taking over the terminal and giving it back: raw mode, the alternate
//! screen, mouse capture, a hidden cursor. [`restore`] undoes all of it and is
//! idempotent; it runs when the [`TerminalGuard`] drops (after `q`, Ctrl-C,
//! SIGTERM, an error) and from the panic hook, before the panic message is
//! printed, so a panic leaves a usable shell with the message readable.
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
    // SAFETY: isatty on a file descriptor number; no memory involved.
    STDIN_TTY.store(unsafe { libc::isatty(0) } == 1, Ordering::SeqCst);
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)?;
    let term = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((term, guard))
}

/// Gives the terminal back (once; later calls do nothing). Errors are
/// ignored: the terminal may already be gone (SIGHUP).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// The terminal on standard input has hung up.
pub fn hung_up() -> bool {
    if !STDIN_TTY.load(Ordering::SeqCst) {
        return false;
    }
    let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// What waiting on the terminal found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Bytes to read (or the terminal is not standard input: ask crossterm).
    Ready,
    Timeout,
    HungUp,
}

/// Waits up to `timeout` for input on the terminal without crossterm, so a
/// hang-up during the wait is seen here and not inside crossterm's loop.
pub fn wait_input(timeout: std::time::Duration) -> Input {
    if !STDIN_TTY.load(Ordering::SeqCst) {
        return Input::Ready;
    }
    let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, timeout.as_millis().min(i32::MAX as u128) as i32) };
    if n > 0 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        Input::HungUp
    } else if n > 0 {
        Input::Ready
    } else {
        Input::Timeout
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
                        // SAFETY: ends the process at once; the guard process and the
                        // workers notice the conductor is gone and clean up.
                        unsafe { libc::_exit(128 + sig) };
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
