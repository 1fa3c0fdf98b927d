//! forkscope's end-to-end tests, one test binary: a fresh clone's
//! `cargo test --release` compiles and links the tests once, not once per file.
//! Each module is one subject; `common` holds what they share, and its
//! `heavy()` / `share()` decide which tests may run side by side.

mod common;

mod cli;
mod conductor_kill;
#[path = "core.rs"]
mod core_runtime;
mod cpython_suite;
mod dashboard_snapshots;
mod dashboard_terminal;
mod diagram;
mod docs_examples;
mod exhaustion;
mod explore_all;
mod explore_why;
mod export;
mod figures;
mod hostile_lessons;
mod hostile_python;
mod hostile_run;
mod hostile_segment;
mod kill_storm;
mod large_data;
mod lessons_ipc;
mod lessons_sync;
mod memory;
mod nothing_lost;
mod process_bomb;
mod python;
mod python_abi;
mod python_console;
mod python_differences;
mod python_executor;
mod python_fork;
mod python_lessons;
mod python_managed;
mod python_queues;
mod python_streams;
mod python_threads;
mod python_variables;
mod replay;
mod rewind;
mod run_damage;
mod stress;
