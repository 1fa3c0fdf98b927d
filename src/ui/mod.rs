//! The dashboard (ratatui + crossterm): the lesson picker, and a live lesson
//! drawn as lanes, resources, source and log, with the controls of the
//! keymap (`?` shows them).
//!
//! Shape (see shared/STYLE.md): [`app::App`] runs the loop (run → draw →
//! handle events); [`state`] holds what is drawn (the model, fed only with
//! records, plus the run's status and the viewer's choices) apart from any
//! drawing; [`session`] owns the live run and turns intents into gate
//! actions; one widget per pane (`header`, `banner`, `lanes`, `resources`,
//! `source`, `log`, `overlay`, `explain`, `picker`) draws from the state; [`keymap`] is
//! the one table of keys; [`theme`] the colours (NO_COLOR honoured);
//! [`terminal`] takes the terminal and always gives it back.

pub mod ansi;
pub mod common;
pub mod describe;
pub mod app;
pub mod dashboard;
pub mod explore;
pub mod figure;
pub mod keymap;
pub mod panes;
pub mod picker;
pub mod session;
pub mod state;
pub mod terminal;
pub mod text;
pub mod theme;

#[cfg(test)]
mod tests;

use crate::conductor::RunOptions;

pub use app::Outputs;
use app::{App, Exit};
use session::Session;
use text::Lang;
use theme::Theme;

/// The exit status for how the app ended: 0 after `q`, 128 + N after signal N.
fn status(exit: Exit) -> i32 {
    match exit {
        Exit::Quit => 0,
        Exit::Signal(sig) => 128 + sig,
    }
}

/// What every way into the dashboard sets up first: stop signals caught,
/// a session of its own, and a ready interpreter for its Python runs while
/// the returned turn lives. Then the theme.
fn prepare() -> (crate::python::launch::ZygoteTurn, Theme) {
    crate::sys::catch_stop_signals();
    // A person must be able to stop any run: see `sys::as_run_leader`.
    crate::sys::runs_in_own_session();
    // A Python run's main process (the first, and every restart and rewind,
    // `r` and `b`) is forked from a ready interpreter (see
    // `python::launch`), not started anew: a step back takes a fraction of
    // a second.
    (crate::python::launch::ZygoteTurn::start(), Theme::from_env())
}

/// Opens the lesson picker (`forkscope` with no arguments).
pub fn open_picker(lang: Lang) -> anyhow::Result<i32> {
    let (_zygote, theme) = prepare();
    run_app(App::with_picker(lang, theme))
}

/// Runs `app` in the terminal; once the terminal is back, prints its notes.
fn run_app(app: App) -> anyhow::Result<i32> {
    let (mut term, guard) = terminal::enter()?;
    let mut app = app;
    let exit = app.run(&mut term);
    drop(term);
    drop(guard);
    for n in &app.notes {
        eprintln!("forkscope: {n}");
    }
    Ok(status(exit?))
}

/// The terminal's size now (80x24 if it cannot be read).
fn term_size() -> (u16, u16) {
    crossterm::terminal::size().unwrap_or((80, 24))
}

/// Opens the dashboard replaying recording `rec` (`forkscope replay FILE`).
pub fn open_replay(rec: &crate::recording::Recording, lang: Lang, outputs: Outputs) -> anyhow::Result<i32> {
    let (_zygote, theme) = prepare();
    let session = Session::replay(rec, lang, theme)?;
    let (w, h) = term_size();
    run_app(App::with_session(session, lang, theme).with_outputs(outputs, w, h)?)
}

/// Opens the dashboard on the run `options` start.
pub fn open_lesson(options: RunOptions, outputs: Outputs) -> anyhow::Result<i32> {
    let (_zygote, theme) = prepare();
    let lang = options.spec.lang;
    // Start the run before taking the terminal, so a failure reads normally.
    let session = Session::start(options, theme)?;
    let (w, h) = term_size();
    run_app(App::with_session(session, lang, theme).with_outputs(outputs, w, h)?)
}
