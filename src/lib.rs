//! forkscope: teach process concurrency by showing real processes live.
//!
//! See `README.md` for use and `docs/ARCHITECTURE.md` for the architecture; each
//! module's `//!` header says what it owns.

pub mod cli;
pub mod commands;
pub mod clock;
pub mod codec;
pub mod conductor;
pub mod explore;
pub mod export;
pub mod headless;
pub mod recording;
pub mod model;
pub mod python;
pub mod runtime;
pub mod scenario;
pub mod script;
pub mod shm;
pub mod snapshot;
#[cfg(test)]
mod sources;
#[cfg(test)]
mod layering;
pub mod sys;
pub mod ui;
pub mod vocab;
pub mod words;
pub mod worker;
