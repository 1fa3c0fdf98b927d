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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::ShmError;

    /// A value that cannot be stored is what CPython raises for a value
    /// that does not fit in memory, said once, with its size.
    #[test]
    fn a_value_that_cannot_be_stored_is_a_memory_error() {
        let e = LessonError::from(ShmError::NoRoom { need: 5 << 20, why: "No space left on device (os error 28)".into() });
        assert_eq!(e.kind, "MemoryError");
        assert_eq!(e.message, "out of memory for a value of 5.0 MiB crossing processes: /dev/shm has no room for it (No space left on device (os error 28))");
        assert_eq!(LessonError::from(ShmError::TooLarge(5 << 30)).to_string(), "MemoryError: a value of 5.0 GiB cannot cross processes: one message may take at most 4 GiB");
        assert_eq!(LessonError::from(ShmError::DataFull { used: 3, total: 3 }).kind, "MemoryError");
        assert_eq!(LessonError::from(ShmError::ResourcesFull(9)).kind, "OSError");
    }
}
