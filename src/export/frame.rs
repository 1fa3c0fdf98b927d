//! The entry point `src/main.rs`'s `snapshot()` still calls; it now draws the
//! dashboard's own screen, like [`super::snapshot::draw`].
//!
//! Delete this file once `snapshot()` calls
//! `export::snapshot::draw(&shot, width, height)` itself (a two-line change
//! in `src/main.rs`): `render_frame` gets the model but not the lesson,
//! parameters, seed and language, so it takes them from the latest
//! [`super::snapshot::capture`] on this thread.

use ratatui::buffer::Buffer;

use super::snapshot::{self, RunInfo};
use crate::model::Model;
use crate::scenario::{self, Lesson};
use crate::ui::text::Lang;

/// What the caller knows about the run besides the model.
#[derive(Clone, Debug, Default)]
pub struct FrameInfo {
    /// Lesson name (`ticket-race`).
    pub lesson: String,
    /// Lesson title in the chosen language (the dashboard takes it from the lesson).
    pub title: String,
    /// Where the run is: `step 12`, `at 1.5 s`, `end`.
    pub moment: String,
}

/// The dashboard frame of `model`, for the run of the latest capture on this
/// thread (else the lesson named in `info` with its default parameters).
pub fn render_frame(model: &Model, info: &FrameInfo, width: u16, height: u16) -> Buffer {
    let run = snapshot::last_run().filter(|r| r.lesson.name == info.lesson).unwrap_or_else(|| {
        let lesson = scenario::load(&info.lesson).unwrap_or_else(|_| Lesson::from_parts(&info.lesson, String::new(), String::new(), String::new(), None, None).expect("a lesson without a manifest always builds"));
        let params = lesson.resolve_params(&[]).unwrap_or_default();
        RunInfo { lesson, params, seed: 0, lang: Lang::En, statements: false, speed: 1.0 }
    });
    snapshot::frame(&snapshot::dashboard(&run, model.clone(), &info.moment), width, height)
}
