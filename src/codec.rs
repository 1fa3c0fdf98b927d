//! Everything that crosses a process boundary as bytes goes through here:
//! script values (target arguments, queue items, pipe messages, results), handles
//! to shared resources, and the run's info block. One format: `serde` +
//! `bincode` 2.0.1 (standard config, with a limit on what decoding may
//! allocate that grows with the bytes decoded — see [`decode`] — so hostile
//! bytes cannot make a reader allocate without bound, while a value of any
//! size its sender could encode decodes), and the one rule on how deep a
//! value may nest ([`MAX_DEPTH`]), so that no encoder, decoder or printer
//! recurses until the stack overflows.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most bytes the run info (the lesson's script, parameters and paths) may
/// take. Values crossing processes have no such cap (see [`decode`]).
pub const MAX_ENCODED: usize = 1 << 20;

/// How deep a value may nest (a list in a list in a list…). Every
/// encoder, decoder and printer of values recurses once per level, and a
/// process's stack is finite: a 10,000-deep list used to overflow it (the
/// process died of SIGABRT with no word). CPython stops such a value too
/// (`RecursionError`); 100 is far more than any lesson nests, and under the
/// 128 levels the conductor's JSON reader accepts.
pub const MAX_DEPTH: usize = 100;

/// Refuses a value at `depth` (the outermost value is at depth 1) when it is
/// deeper than [`MAX_DEPTH`]: the one depth check, for every walk over values.
pub fn check_depth(depth: usize, doing: &'static str) -> Result<(), CodecError> {
    if depth > MAX_DEPTH { Err(CodecError::TooDeep(doing)) } else { Ok(()) }
}

thread_local! {
    /// How deep the value being encoded or decoded on this thread is now.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Set when a walk was refused for depth, so the error says so (serde's
    /// errors carry only text).
    static TOO_DEEP: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// One level of nesting entered by serde; leaves it when dropped.
struct Level;

impl Level {
    fn enter(doing: &'static str) -> Result<Level, CodecError> {
        let depth = DEPTH.with(|d| d.get()) + 1;
        if let Err(e) = check_depth(depth, doing) {
            TOO_DEEP.with(|t| t.set(Some(doing)));
            return Err(e);
        }
        DEPTH.with(|d| d.set(depth));
        Ok(Level)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Runs one whole encoding or decoding; a refusal for depth comes out as
/// [`CodecError::TooDeep`] whatever words the format wrapped it in.
fn walk<T, E: std::fmt::Display>(f: impl FnOnce() -> Result<T, E>, wrap: impl FnOnce(&E) -> CodecError) -> Result<T, CodecError> {
    TOO_DEEP.with(|t| t.set(None));
    let r = f();
    match (r, TOO_DEEP.with(|t| t.take())) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(doing)) => Err(CodecError::TooDeep(doing)),
        (Err(e), None) => Err(wrap(&e)),
    }
}

/// A script value in transit. `Unit` plays Python's `None`.
///
/// Its serde forms are derived (`remote = "Self"` makes them plain
/// functions) and wrapped below, so that every level counts its depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Value {
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Char(char),
    Str(String),
    Array(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Blob(#[serde(with = "byte_run")] Vec<u8>),
    Handle(Handle),
    /// A Python object as its sender pickled it, with the `repr` the sender
    /// computed (what the dashboard shows).
    Pickled {
        repr: String,
        #[serde(with = "byte_run")]
        bytes: Vec<u8>,
    },
}

/// Bytes as one run (serde's `bytes`), not a sequence of numbers: the same
/// wire form in bincode (a length, then the bytes), written and read in one
/// copy instead of one call per byte (a 50 MB pickle took half a second
/// more each way).
mod byte_run {
    use serde::de::{Deserializer, SeqAccess, Visitor};

    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Run;
        impl<'de> Visitor<'de> for Run {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_bytes(Run)
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let _level = Level::enter("encoding").map_err(serde::ser::Error::custom)?;
        Value::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        let _level = Level::enter("decoding").map_err(serde::de::Error::custom)?;
        Value::deserialize(d)
    }
}

/// A handle names something shared; the receiving process rebuilds the script
/// object from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handle {
    /// A process, by lane.
    Process { lane: u32 },
    /// A resource in the segment's table: its kind code and id.
    Resource { kind: u32, id: u32 },
    /// One end of a pipe (`end` 0 or 1) in resource `id`.
    PipeEnd { id: u32, end: u8, duplex: bool },
    /// A socket: the descriptor number (inherited by the child at start) and its resource id.
    Socket { fd: i32, id: u32, listening: bool },
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode value: {0}")]
    Encode(String),
    #[error("cannot decode value: {0}")]
    Decode(String),
    /// Carries what was being done: "encoding", "decoding", "printing".
    #[error("maximum recursion depth exceeded while {0} a value (a value may nest at most {MAX_DEPTH} deep)")]
    TooDeep(&'static str),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// What decoding a file (a recording) may allocate in all: files carry far
/// more than anything that crosses processes, and they are still untrusted.
pub const MAX_FILE_DECODED: usize = 256 << 20;

fn file_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_FILE_DECODED>()
}

/// [`decode`] for a file's body: the same format, the file's limit.
pub fn decode_file<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, CodecError> {
    let (v, used) = walk(|| bincode::serde::decode_from_slice(bytes, file_config()), |e| CodecError::Decode(e.to_string()))?;
    if used != bytes.len() {
        return Err(CodecError::Decode(format!("{} trailing bytes", bytes.len() - used)));
    }
    Ok(v)
}

pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, CodecError> {
    walk(|| bincode::serde::encode_to_vec(v, config()), |e| CodecError::Encode(e.to_string()))
}

/// A decoding failure in words for the screen (bincode's `Debug` forms,
/// `UnexpectedEnd { additional: 2260 }`, mean nothing to a class).
fn decode_error_words(e: &bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as E;
    match e {
        E::UnexpectedEnd { additional } => format!("the stored value is cut short ({additional} more bytes were expected): it was damaged or did not fit where it was kept"),
        E::LimitExceeded => "the stored value claims more memory than its bytes can hold (it is damaged)".to_string(),
        E::Utf8 { .. } => "the stored text is not valid UTF-8".to_string(),
        _ => "the stored value is damaged (its bytes do not form a value)".to_string(),
    }
}

/// Decodes `bytes` with a limit on what decoding may claim: bincode counts
/// each decoded number at its full width (an `i64` claims 8 bytes however
/// few it took) and each text at its length, so a real value claims at most
/// 16 times its encoded size; a hostile length claiming more is refused
/// before anything is allocated. The limit is a type parameter, hence the tiers.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, CodecError> {
    fn with<T: for<'de> Deserialize<'de>, const LIMIT: usize>(bytes: &[u8]) -> Result<(T, usize), CodecError> {
        let config = bincode::config::standard().with_limit::<LIMIT>();
        walk(|| bincode::serde::decode_from_slice(bytes, config), |e| CodecError::Decode(decode_error_words(e)))
    }
    let (v, used) = match bytes.len() {
        n if n <= 64 << 10 => with::<T, MAX_ENCODED>(bytes)?,
        n if n <= 1 << 20 => with::<T, { 16 << 20 }>(bytes)?,
        n if n <= 16 << 20 => with::<T, { 256 << 20 }>(bytes)?,
        n if n <= 256 << 20 => with::<T, { 4 << 30 }>(bytes)?,
        _ => with::<T, { 64 << 30 }>(bytes)?,
    };
    if used != bytes.len() {
        return Err(CodecError::Decode(format!("{} trailing bytes", bytes.len() - used)));
    }
    Ok(v)
}

/// What every process of a run needs to know, written once by the conductor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Lesson name (`ticket-race`) or the file's stem.
    pub lesson: String,
    /// Where the script came from (for error messages): a path or `builtin:NAME`.
    pub origin: String,
    pub script: String,
    /// Parameter values after defaults and `--param` were applied.
    pub params: BTreeMap<String, Value>,
    /// The run's scratch folder: the cwd of every process; files stay inside.
    pub scratch: String,
    pub seed: u64,
    pub lang: crate::vocab::Lang,
    /// The lesson's language: what the processes run.
    pub engine: Engine,
    /// The program's own file, absolute (empty for a built-in): Python's
    /// `__file__` and `sys.path[0]`, so its sibling modules import.
    pub source_path: String,
    /// Run the program in this folder instead of the scratch folder
    /// (`--in-place`; Python only).
    pub in_place: Option<String>,
    /// A fork server's template starts the run's processes (Rhai runs; see
    /// `runtime::forkserver`); a start falls back to exec if it fails.
    pub fork_server: bool,
}

impl RunInfo {
    /// The working folder of every process: the scratch folder, or the
    /// program's own folder when run in place.
    pub fn workdir(&self) -> &str {
        self.in_place.as_deref().unwrap_or(&self.scratch)
    }
}

/// What a lesson is written in, and so what runs it: forkscope's Rhai engine
/// or CPython (not to be confused with `vocab::Lang`, the language it is said in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// A Rhai script run by forkscope's own engine.
    #[default]
    Rhai,
    /// A Python program run by real CPython.
    Python,
}

impl Engine {
    /// The language of a file, by its extension.
    pub fn of_path(path: &str) -> Engine {
        if path.ends_with(".py") { Engine::Python } else { Engine::Rhai }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Rhai => "Rhai",
            Engine::Python => "Python",
        }
    }
}

impl Value {
    /// Python's truthiness, for `if`-like uses (`param("lock")`).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Unit => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Blob(b) => !b.is_empty(),
            Value::Char(_) | Value::Handle(_) | Value::Pickled { .. } => true,
        }
    }

    /// Converts to JSON (for `write_json`, `report`, summaries). Handles become
    /// a descriptive string; floats that JSON cannot hold become null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Unit => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Char(c) => J::String(c.to_string()),
            Value::Str(s) => J::String(s.clone()),
            Value::Array(a) => J::Array(a.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Blob(b) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
            Value::Handle(h) => J::String(format!("{h:?}")),
            Value::Pickled { repr, .. } => J::String(repr.clone()),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Unit,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let v = Value::Array(vec![
            Value::Str("包子1".into()),
            Value::Int(-3),
            Value::Float(0.5),
            Value::Unit,
            Value::Map([("count".to_string(), Value::Int(3))].into()),
            Value::Handle(Handle::Resource { kind: 1, id: 4 }),
        ]);
        assert_eq!(decode::<Value>(&encode(&v).unwrap()).unwrap(), v);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[0xFFu8; 3][..], &[9, 9, 9, 9, 9, 9, 9, 9, 9, 9], &[], &[7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]] {
            assert!(decode::<Value>(bytes).is_err());
        }
    }

    #[test]
    fn decoding_errors_read_as_words() {
        let bytes = encode(&Value::Str("x".repeat(3000))).unwrap();
        let e = decode::<Value>(&bytes[..500]).unwrap_err().to_string();
        assert!(e.starts_with("cannot decode value: the stored value is cut short ("), "{e}");
        for bytes in [&[0xFFu8; 3][..], &[9, 9, 9, 9, 9, 9, 9, 9, 9, 9], &[], &[7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]] {
            let e = decode::<Value>(bytes).unwrap_err().to_string();
            assert!(!e.contains('{') && !e.contains("Unexpected"), "{e}");
        }
    }

    #[test]
    fn hostile_bytes_nested_200000_deep_are_refused_not_a_stack_overflow() {
        // `[6, 1]` is "an array of one value", over and over.
        let bytes: Vec<u8> = std::iter::repeat_n([6u8, 1], 200_000).flatten().collect();
        let e = decode::<Value>(&bytes).unwrap_err();
        assert!(matches!(e, CodecError::TooDeep("decoding")), "{e}");
        // The counter is back at zero: a plain value still decodes after it.
        let v = Value::Array(vec![Value::Int(1)]);
        assert_eq!(decode::<Value>(&encode(&v).unwrap()).unwrap(), v);
        let mut deep = Value::Unit;
        for _ in 0..MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert!(matches!(encode(&deep), Err(CodecError::TooDeep("encoding"))));
    }

    #[test]
    fn a_value_of_megabytes_round_trips() {
        // A list of 500,000 numbers: about 2 MB encoded, 12 MB claimed.
        let v = Value::Array((0..500_000).map(Value::Int).collect());
        let bytes = encode(&v).unwrap();
        assert!(bytes.len() > 1 << 20);
        assert_eq!(decode::<Value>(&bytes).unwrap(), v);
        let text = Value::Str("x".repeat(5 << 20));
        assert_eq!(decode::<Value>(&encode(&text).unwrap()).unwrap(), text);
    }

    #[test]
    fn bytes_keep_their_wire_form() {
        // As a sequence of numbers (the form before bytes went as one run):
        // the variant, the length, the bytes.
        let v = Value::Blob(vec![1, 2, 250]);
        assert_eq!(encode(&v).unwrap(), [8, 3, 1, 2, 250]);
        let p = Value::Pickled { repr: "b'x'".into(), bytes: vec![0x80, 4] };
        let bytes = encode(&p).unwrap();
        assert_eq!(bytes, [10, 4, b'b', b'\'', b'x', b'\'', 2, 0x80, 4]);
        assert_eq!(decode::<Value>(&bytes).unwrap(), p);
    }

    #[test]
    fn a_hostile_length_is_refused_before_it_is_allocated() {
        // A text (variant 5) claiming 2^60 bytes, in 11 bytes.
        let mut bytes = vec![5u8, 253];
        bytes.extend_from_slice(&(1u64 << 60).to_le_bytes());
        let e = decode::<Value>(&bytes).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        // A pickle (variant 10, an empty repr) claiming 2^60 bytes.
        let mut bytes = vec![10u8, 0, 253];
        bytes.extend_from_slice(&(1u64 << 60).to_le_bytes());
        assert!(decode::<Value>(&bytes).is_err());
    }

    #[test]
    fn json_round_trip() {
        let j: serde_json::Value = serde_json::json!({"count": 3, "who": ["a", null], "ok": true});
        assert_eq!(Value::from_json(&j).to_json(), j);
    }
}
