//! The Python front-end: real CPython processes on forkscope's runtime.
//!
//! - [`launch`] (conductor side): finds the interpreter (`python3` on PATH or
//!   `--python`) and the shared library, and starts a run's main process as
//!   `python3 -c BOOT` with the segment and lane in its environment.
//! - [`check`]: a program's syntax, checked by that interpreter, reported as
//!   file:line:column like every lesson error.
//! - [`abi`] (process side): the runtime exported with a small C ABI from
//!   `libforkscope.so`, which the Python package (`python/`, compiled in and
//!   served by [`abi`] to the interpreter) calls through `ctypes`.
//! - [`names`]: the named numbers the boundary's selectors take; the Python
//!   side's table of signatures and names (`forkscope_rt/_abi.py`) is
//!   generated from them and from `abi.rs` (`abi_table`, a test).
//!
//! Nothing here is Python-specific beyond the boundary: the primitives,
//! records, gate and hand-off are the runtime's, the same as for Rhai.

pub mod abi;
#[cfg(test)]
mod abi_table;
pub mod check;
pub mod launch;
pub mod names;

include!(concat!(env!("OUT_DIR"), "/python_sources.rs"));

/// The source of forkscope's Python file `path` (relative to `python/`).
pub fn source(path: &str) -> Option<&'static str> {
    PY_SOURCES.iter().find(|(p, _)| *p == path).map(|(_, s)| *s)
}
