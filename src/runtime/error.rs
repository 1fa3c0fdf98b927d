//! The errors a lesson sees: Python's exception names and messages.

use std::fmt;

/// An exception raised into the script, like Python's: a type name and a
/// message. Uncaught, it ends the process with exit code 1 and its text is
/// logged on the process's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// Python's exception type: `ValueError`, `AssertionError`, `Empty`…
    pub kind: String,
    pub message: String,
}

impl LessonError {
    pub fn new(kind: &str, message: impl Into<String>) -> LessonError {
        LessonError { kind: kind.to_string(), message: message.into() }
    }
    pub fn value(message: impl Into<String>) -> LessonError {
        LessonError::new("ValueError", message)
    }
    pub fn assertion(message: impl Into<String>) -> LessonError {
        LessonError::new("AssertionError", message)
    }
    pub fn type_error(message: impl Into<String>) -> LessonError {
        LessonError::new("TypeError", message)
    }
    pub fn os(message: impl Into<String>) -> LessonError {
        LessonError::new("OSError", message)
    }
    pub fn runtime(message: impl Into<String>) -> LessonError {
        LessonError::new("RuntimeError", message)
    }
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

impl std::error::Error for LessonError {}

impl From<crate::shm::ShmError> for LessonError {
    fn from(e: crate::shm::ShmError) -> Self {
        use crate::shm::ShmError as E;
        match e {
            // What CPython raises when a value does not fit in memory.
            E::DataFull { .. } | E::TooLarge(_) | E::NoRoom { .. } => LessonError::new("MemoryError", e.to_string()),
            e => LessonError::os(e.to_string()),
        }
    }
}

impl From<crate::codec::CodecError> for LessonError {
    fn from(e: crate::codec::CodecError) -> Self {
        match e {
            crate::codec::CodecError::TooDeep(_) => LessonError::new("RecursionError", e.to_string()),
            _ => LessonError::type_error(e.to_string()),
        }
    }
}

pub type LessonResult<T> = Result<T, LessonError>;
