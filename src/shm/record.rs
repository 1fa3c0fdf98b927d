//! The fixed-size record that processes write into their lane's ring, and the
//! codes it carries.
//!
//! A [`RawRecord`] is 64 bytes, `#[repr(C)]`: a global sequence number, a
//! timestamp, the kind, the writer's lane, the script line, and a 40-byte body
//! whose meaning depends on the kind. Bodies are encoded as little-endian bytes,
//! never as Rust unions, so a reader can copy a slot out and decode it without
//! trusting it: every decoder here checks ranges and returns `None` on nonsense.
//!
//! Strings (printed text, error messages, reported values, op details) do not fit
//! in one record; they travel as a group of `Text` records that share the
//! sequence number of the record they belong to. The writer reserves room for
//! the whole group before writing any of it, so a group is either all there or
//! not at all. An op's detail is one group, cut with an ellipsis past
//! [`MAX_CHUNKS`] chunks; what a program says (output, errors, reports) is
//! never cut: a longer text is several groups in a row, each but the last
//! marked [`TEXT_MORE`] in its tag byte, and the drainer joins them.


/// Bytes of a record body.
pub const BODY: usize = 40;
/// Text bytes carried by one `Text` record.
pub const TEXT_CHUNK: usize = BODY - 4;
/// Most chunks one text may take (longer texts are cut, with an ellipsis).
pub const MAX_CHUNKS: usize = 64;
/// Set in a text chunk's tag byte: the text goes on in this lane's next
/// text group (see [`text_groups`]).
pub const TEXT_MORE: u8 = 0x80;
/// "No lane" / "no resource" in `u16`/`u32` fields.
pub const NO_LANE: u16 = u16::MAX;
pub const NO_RES: u32 = u32::MAX;

/// One ring slot. `seq` orders records across lanes; `t_ns` is
/// `CLOCK_MONOTONIC` nanoseconds since the run started.
#[repr(C, align(64))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRecord {
    pub seq: u64,
    pub t_ns: u64,
    pub kind: u16,
    pub lane: u16,
    pub line: u32,
    pub body: [u8; BODY],
}

const _: () = assert!(std::mem::size_of::<RawRecord>() == 64);
const _: () = assert!(std::mem::align_of::<RawRecord>() == 64);

impl RawRecord {
    pub const EMPTY: RawRecord = RawRecord { seq: 0, t_ns: 0, kind: 0, lane: 0, line: 0, body: [0; BODY] };
}

/// What a record says. Values are stable: they are part of the layout version.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RawKind {
    /// A process started a child: `other` = child lane, `a` = pid, `b` = ppid, `c` = daemon.
    Spawn = 1,
    /// An op completed: `op`, `res`, `other`, values `a b c d` as the op documents.
    Op = 2,
    /// The writer blocked in `op` on `res` (or on lane `other`, for join); `a` = holder lane or -1.
    Block = 3,
    /// The writer's op woke lane `other`, handing it `res`.
    Wake = 4,
    /// The writer's wait in `op` on `res` ended by its timeout.
    Timeout = 5,
    /// A chunk of text belonging to the record with the same `seq` (see [`TextTag`]).
    Text = 6,
    /// Conductor: lane `other` has ended; `a` = exitcode (Python style: -N = signal N);
    /// `b` = 1: a `Detail` text lists the resources it held (ids, comma separated).
    Ended = 7,
    /// A resource was created: `res`, `a` = [`ResKind`], `b` = capacity.
    ResourceNew = 8,
    /// Conductor: a step was granted to lane `other` (`NO_LANE`: the next ready one);
    /// `a` = granularity (0 op, 1 statement).
    Grant = 9,
    /// Conductor: run mode changed; `a` = 1 paused, 0 running.
    Mode = 10,
    /// Conductor: the user sent signal `a` to lane `other`.
    Signal = 11,
    /// The writer parked at the gate (ready, waiting for a step).
    Park = 12,
    /// Conductor: the run is over; forkscope now ends every process still alive.
    Closing = 13,
}

impl RawKind {
    pub fn from_u16(v: u16) -> Option<RawKind> {
        use RawKind::*;
        Some(match v {
            1 => Spawn,
            2 => Op,
            3 => Block,
            4 => Wake,
            5 => Timeout,
            6 => Text,
            7 => Ended,
            8 => ResourceNew,
            9 => Grant,
            10 => Mode,
            11 => Signal,
            12 => Park,
            13 => Closing,
            _ => return None,
        })
    }
}

/// What a text group is.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextTag {
    /// `print(...)` output; the group stands alone.
    Print = 1,
    /// A script error (an uncaught exception): the message.
    Error = 2,
    /// `report(key, value)`: `key`, a tab, the value as JSON.
    Report = 3,
    /// Detail attached to the `Op`/`Block` record with the same `seq` (a path, a value).
    Detail = 4,
    /// A finding the process noticed about itself (misuse that Python allows).
    Finding = 5,
    /// The lesson's own `assert(cond, msg)` failed: the message.
    Assert = 6,
    /// What a process wrote to its standard error (Python: `sys.stderr`, a
    /// traceback); like `Print`, one op.
    Stderr = 7,
    /// The locals of the writer's frames in the program's own file, at the
    /// op it is about to take (not an op): see `model::locals` for the text.
    Locals = 8,
    /// A partial line the program flushed (`print(c, end="", flush=True)`):
    /// like `Print`, one op, but what the process writes next continues the
    /// line, as on a terminal.
    PrintPart = 9,
    /// A partial line of standard error (as `PrintPart`).
    StderrPart = 10,
    /// The newline that ends a partial line shown before (the text is empty;
    /// not an op): a terminal's cursor goes to the next line.
    LineEnd = 11,
}

impl TextTag {
    pub fn from_u8(v: u8) -> Option<TextTag> {
        Some(match v {
            1 => TextTag::Print,
            2 => TextTag::Error,
            3 => TextTag::Report,
            4 => TextTag::Detail,
            5 => TextTag::Finding,
            6 => TextTag::Assert,
            7 => TextTag::Stderr,
            8 => TextTag::Locals,
            9 => TextTag::PrintPart,
            10 => TextTag::StderrPart,
            11 => TextTag::LineEnd,
            _ => return None,
        })
    }
}

pub use crate::vocab::{Op, ResKind};

/// Body of `Op`, `Block`, `Wake`, `Timeout`, `Spawn`, `Ended`, `ResourceNew`,
/// `Grant`, `Mode`, `Signal` records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpBody {
    pub op: u16,
    pub other: u16,
    pub res: u32,
    pub a: i64,
    pub b: i64,
    pub c: i64,
    pub d: i64,
}

impl OpBody {
    pub fn encode(&self) -> [u8; BODY] {
        let mut b = [0u8; BODY];
        b[0..2].copy_from_slice(&self.op.to_le_bytes());
        b[2..4].copy_from_slice(&self.other.to_le_bytes());
        b[4..8].copy_from_slice(&self.res.to_le_bytes());
        b[8..16].copy_from_slice(&self.a.to_le_bytes());
        b[16..24].copy_from_slice(&self.b.to_le_bytes());
        b[24..32].copy_from_slice(&self.c.to_le_bytes());
        b[32..40].copy_from_slice(&self.d.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8; BODY]) -> OpBody {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4]));
        let i64_at = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        OpBody { op: u16_at(0), other: u16_at(2), res: u32_at(4), a: i64_at(8), b: i64_at(16), c: i64_at(24), d: i64_at(32) }
    }
}

/// Body of a `Text` record: one chunk of a text group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextBody {
    pub tag: u8,
    pub index: u8,
    pub count: u8,
    pub len: u8,
    pub bytes: [u8; TEXT_CHUNK],
}

impl TextBody {
    pub fn encode(&self) -> [u8; BODY] {
        let mut b = [0u8; BODY];
        b[0] = self.tag;
        b[1] = self.index;
        b[2] = self.count;
        b[3] = self.len;
        b[4..].copy_from_slice(&self.bytes);
        b
    }

    /// `None` if the chunk's own fields are inconsistent.
    pub fn decode(b: &[u8; BODY]) -> Option<TextBody> {
        let (tag, index, count, len) = (b[0], b[1], b[2], b[3]);
        if TextTag::from_u8(tag & !TEXT_MORE).is_none() || count == 0 || index >= count || len as usize > TEXT_CHUNK {
            return None;
        }
        let mut bytes = [0u8; TEXT_CHUNK];
        bytes.copy_from_slice(&b[4..]);
        Some(TextBody { tag, index, count, len, bytes })
    }

    pub fn data(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The text's tag, without the [`TEXT_MORE`] mark.
    pub fn text_tag(&self) -> Option<TextTag> {
        TextTag::from_u8(self.tag & !TEXT_MORE)
    }

    /// The text goes on in the lane's next text group.
    pub fn more(&self) -> bool {
        self.tag & TEXT_MORE != 0
    }
}

/// Splits all of `text` into groups of at most `per_group` chunks (at least
/// one, at most [`MAX_CHUNKS`]); every group but the last is marked
/// [`TEXT_MORE`]. Cuts fall anywhere in the bytes: the drainer joins the
/// groups before it reads the text as UTF-8.
pub fn text_groups(tag: TextTag, text: &str, per_group: usize) -> Vec<Vec<[u8; BODY]>> {
    let per_group = per_group.clamp(1, MAX_CHUNKS);
    let bytes = text.as_bytes();
    let group_bytes = per_group * TEXT_CHUNK;
    let groups = bytes.len().div_ceil(group_bytes).max(1);
    (0..groups)
        .map(|g| {
            let part = &bytes[(g * group_bytes).min(bytes.len())..((g + 1) * group_bytes).min(bytes.len())];
            let tag = tag as u8 | if g + 1 < groups { TEXT_MORE } else { 0 };
            chunk_bytes(tag, part)
        })
        .collect()
}

/// The text bodies of one group holding `bytes` (at most [`MAX_CHUNKS`] chunks' worth).
fn chunk_bytes(tag: u8, bytes: &[u8]) -> Vec<[u8; BODY]> {
    let count = bytes.len().div_ceil(TEXT_CHUNK).max(1);
    (0..count)
        .map(|i| {
            let part = &bytes[(i * TEXT_CHUNK).min(bytes.len())..((i + 1) * TEXT_CHUNK).min(bytes.len())];
            let mut chunk = [0u8; TEXT_CHUNK];
            chunk[..part.len()].copy_from_slice(part);
            TextBody { tag, index: i as u8, count: count as u8, len: part.len() as u8, bytes: chunk }.encode()
        })
        .collect()
}

/// Splits `text` into at most [`MAX_CHUNKS`] text bodies (one group),
/// cutting on a char boundary and ending a cut text with "…": for an op's
/// detail, a preview. A program's own text goes by [`text_groups`].
pub fn text_chunks(tag: TextTag, text: &str) -> Vec<[u8; BODY]> {
    let max = TEXT_CHUNK * MAX_CHUNKS;
    let owned;
    let text = if text.len() > max {
        let mut cut = max - '…'.len_utf8();
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        owned = format!("{}…", &text[..cut]);
        owned.as_str()
    } else {
        text
    };
    chunk_bytes(tag as u8, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_body_round_trips() {
        let b = OpBody { op: 20, other: 7, res: 3, a: -1, b: i64::MAX, c: 5, d: 9 };
        assert_eq!(OpBody::decode(&b.encode()), b);
    }

    #[test]
    fn text_splits_on_char_boundaries_and_rejoins() {
        let s = "子进程的父进程的id=4242 子进程的id=4243 — 买到票了 ".repeat(3);
        let chunks = text_chunks(TextTag::Print, &s);
        let mut joined = Vec::new();
        for c in &chunks {
            joined.extend_from_slice(TextBody::decode(c).unwrap().data());
        }
        assert_eq!(String::from_utf8(joined).unwrap(), s);
    }

    #[test]
    fn a_long_text_is_several_groups_that_join_to_all_of_it() {
        let s = "子进程 ".repeat(10_000);
        let groups = text_groups(TextTag::Stderr, &s, 4);
        assert_eq!(groups.len(), s.len().div_ceil(4 * TEXT_CHUNK));
        let mut joined = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            assert!(group.len() <= 4);
            for c in group {
                let t = TextBody::decode(c).unwrap();
                assert_eq!(t.text_tag(), Some(TextTag::Stderr));
                assert_eq!(t.more(), g + 1 < groups.len(), "only the last group ends the text");
                joined.extend_from_slice(t.data());
            }
        }
        assert_eq!(String::from_utf8(joined).unwrap(), s);
        assert_eq!(text_groups(TextTag::Print, "", 64), vec![text_chunks(TextTag::Print, "")]);
    }

    #[test]
    fn long_text_is_cut_with_ellipsis() {
        let s = "x".repeat(TEXT_CHUNK * MAX_CHUNKS + 100);
        let chunks = text_chunks(TextTag::Print, &s);
        assert_eq!(chunks.len(), MAX_CHUNKS);
        let mut joined = Vec::new();
        for c in &chunks {
            joined.extend_from_slice(TextBody::decode(c).unwrap().data());
        }
        let t = String::from_utf8(joined).unwrap();
        assert!(t.ends_with('…'));
    }

    #[test]
    fn empty_text_is_one_chunk() {
        assert_eq!(text_chunks(TextTag::Print, "").len(), 1);
    }
}
