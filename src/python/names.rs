//! The named numbers of the Python boundary: what each selector argument of
//! `abi`'s functions may be, and the results that are not values.
//!
//! This is the one place they are written. The Python side's copy
//! (`python/forkscope_rt/_abi.py`, with every function's signature) is
//! generated from here and from `abi.rs`, and a test fails when it is out of
//! date (`abi_table`). A selector outside its group is refused by the
//! function with a `ValueError` that names the function, the selector and the
//! value; nothing falls into a default branch.

/// Declares the groups: `group: TYPE { NAME = value, ... }` makes `pub mod
/// group { pub const NAME: TYPE }` and an entry of [`ALL`] per name (the
/// Python name is `GROUP_NAME`).
macro_rules! groups {
    ($( $(#[$doc:meta])* $group:ident : $t:ty { $( $(#[$cdoc:meta])* $name:ident = $v:expr ),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            pub mod $group {
                $( $(#[$cdoc])* pub const $name: $t = $v; )*
            }
        )*
        /// Every name: (group, name, value), in declaration order.
        pub const ALL: &[(&str, &str, i64)] = &[ $( $( (stringify!($group), stringify!($name), $group::$name as i64), )* )* ];
    };
}

groups! {
    /// What a call returns when it is not a value.
    result: i64 {
        /// The op raised: `fs_error` gives `Kind\tmessage`.
        ERR = i64::MIN,
        /// Python's `None` (an exitcode while alive, a join that timed out).
        NOTHING = i64::MIN + 1,
    }
    /// The run's mode word (`number::MODE_WORD` is its address), as
    /// `shm::layout` defines it.
    mode: u32 { RUNNING = 0, PAUSED = 1 }
    /// The step granularity word (`number::GRANULARITY_WORD`).
    gran: u32 { OP = 0, STATEMENT = 1 }
    /// `fs_run_text`: facts about the run and this process, as text.
    info: u32 { SCRIPT = 0, SOURCE_PATH = 1, LESSON = 2, NAME = 3, PARAMS = 4, WORKDIR = 5, LANG = 6, SCRATCH = 7 }
    /// `fs_run_number`: numbers about the run and this process.
    number: u32 { LANE = 0, SEED = 1, DAEMON = 2, MODE_WORD = 3, GRANULARITY_WORD = 4, PARENT = 5, PAUSED_NS = 6 }
    /// `fs_print`: the stream written; `_PART`: a partial line flushed
    /// (what the stream writes next continues it).
    stream: u32 { STDOUT = 1, STDERR = 2, STDOUT_PART = 3, STDERR_PART = 4 }
    /// `fs_text`: a text record that is not an op (`LINE_END`: the newline
    /// that ends a partial line shown before; its text is empty).
    text: u8 { ERROR = 2, FINDING = 5, ASSERT = 6, LOCALS = 8, LINE_END = 11 }
    /// `fs_file_enter` / `fs_file_done`: the file op.
    file: u32 { READ = 0, WRITE = 1, APPEND = 2, LIST = 3 }
    /// `fs_lock_new`, `fs_acquire*`, `fs_release`, `fs_cond_new`: the kind of lock.
    kind: u32 { LOCK = 0, RLOCK = 1, SEMAPHORE = 2 }
    /// `fs_cond_new`: the lock argument that asks for a new RLock.
    cond: u32 { NEW_RLOCK = u32::MAX }
    /// `fs_cond_count`: the waits a condition has seen begin, end, and those
    /// notified and not yet back with the lock.
    cond_count: u32 { SLEEPING = 0, WOKEN = 1, NOTIFIED = 2 }
    /// `fs_event_op`.
    event: u32 { SET = 0, CLEAR = 1, IS_SET = 2 }
    /// `fs_barrier_op`.
    barrier: u32 { RESET = 0, ABORT = 1, N_WAITING = 2, PARTIES = 3, BROKEN = 4, RELEASE = 5 }
    /// `fs_queue_op`.
    queue: u32 { QSIZE = 0, EMPTY = 1, FULL = 2, TASK_DONE = 3, JOIN = 4 }
    /// `fs_queue_put`: who puts (`runtime::ipc::queue::Feed`).
    feed: u32 { DIRECT = 0, TRY = 1, FEEDER = 2, COUNT = 3, BEHIND = 4 }
    /// `fs_pool_submit`.
    submit: u32 { APPLY = 0, APPLY_ASYNC = 1, MAP = 2 }
    /// `fs_pool_op`.
    pool: u32 { CLOSE = 0, TERMINATE = 1, WORK = 2 }
}

/// A selector outside its group: the `ValueError` that says so.
pub fn unknown(function: &str, selector: &str, value: impl std::fmt::Display) -> crate::runtime::LessonError {
    crate::runtime::LessonError::value(format!("{function}: unknown {selector} {value} (the values are those of src/python/names.rs)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_words_are_the_segments() {
        use crate::shm::layout as l;
        assert_eq!((mode::RUNNING, mode::PAUSED, gran::OP, gran::STATEMENT), (l::MODE_RUNNING, l::MODE_PAUSED, l::GRAN_OP, l::GRAN_STATEMENT));
    }

    #[test]
    fn the_text_tags_are_the_records() {
        use crate::shm::record::TextTag;
        assert_eq!((text::ERROR, text::FINDING, text::ASSERT, text::LOCALS), (TextTag::Error as u8, TextTag::Finding as u8, TextTag::Assert as u8, TextTag::Locals as u8));
    }

    #[test]
    fn no_name_is_given_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for (g, n, _) in ALL {
            assert!(seen.insert(format!("{g}_{n}")), "{g}_{n}");
        }
    }
}
