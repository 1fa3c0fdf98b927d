//! Draining the lanes: raw ring slots → [`Record`]s, in global sequence order.
//!
//! Everything read here is untrusted. A record is accepted only if its kind is
//! known, its lane field names the ring it came from, its sequence number is
//! larger than the lane's previous one, and (for text groups) its chunks are
//! complete and in order; anything else is skipped and counted as corrupt.
//! Strings are decoded lossily; names come from the lane and resource tables.
//!
//! Ordering: a writer takes its sequence number and then publishes, so a record
//! with a smaller number can show up a moment after a larger one from another
//! lane. The drainer therefore holds records back until their number is below
//! the global counter as it stood at the *previous* drain (everything numbered
//! before then has had a whole drain interval to be published), and releases
//! the rest in order. `flush` releases everything (used when every process is
//! parked, blocked or gone, so nothing is in flight).

use crate::model::{Record, RecordKind};
use crate::shm::View;
use crate::shm::layout::NONE;
use crate::shm::record::{NO_LANE, OpBody, Op, RawKind, RawRecord, ResKind, TextBody, TextTag};

use super::collect::Store;
use crate::vocab::{Lane, ResId};

/// Counters of what draining has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainStats {
    /// Raw records taken from the rings.
    pub received: u64,
    /// Raw records rejected (bad kind, lane, order, text) or skipped (impossible ring indices).
    pub corrupt: u64,
    /// Records the writers dropped because their ring was full (sum of lane counters).
    pub dropped: u64,
    /// Records published by writers (sum of ring heads): `received + pending = written - dropped`.
    pub published: u64,
}

#[derive(Debug, Default)]
pub struct Drainer {
    last_seq: Vec<Option<u64>>,
    held: Vec<Record>,
    /// (seq, index into `held`): what gets sorted, 16 bytes instead of a whole record.
    keys: Vec<(u64, u32)>,
    /// `held` moved out while it is put in order (kept for its capacity).
    slots: Vec<Option<Record>>,
    /// Index into `held` by `seq - lowest seq` (dense case of `release`).
    place: Vec<u32>,
    prev_horizon: u64,
    pub stats: DrainStats,
    /// Raw records the collector took from the rings (shared with it).
    store: Store,
    /// Most records one drain releases (see [`Drainer::set_budget`]).
    budget: usize,
    /// Per lane: its ring counters were found impossible (counted once).
    scribbled: Vec<bool>,
    /// Per lane: a text whose first groups came ([`TEXT_MORE`](crate::shm::record::TEXT_MORE)) and whose
    /// last has not yet: its tag and bytes so far.
    partial: Vec<Option<(TextTag, Vec<u8>)>>,
}

/// A ring counter (records written, dropped) past this is impossible: no
/// run writes a trillion records. The sum of 65,535 lanes' counters below it
/// cannot overflow a `u64`.
pub const IMPOSSIBLE_COUNT: u64 = 1 << 40;

/// Bytes of one text held while its groups come, past which what came so
/// far is released as a record of its own (a program writing a line of
/// gigabytes keeps the conductor's memory bounded; nothing is lost, the
/// line arrives in pieces).
pub const PARTIAL_CAP: usize = 8 << 20;

fn opt_lane(l: u16) -> Option<Lane> {
    (l != NO_LANE).then_some(Lane(l as u32))
}

fn opt_res(r: u32) -> Option<ResId> {
    (r != NONE).then_some(ResId(r))
}

impl Drainer {
    pub fn new() -> Drainer {
        Drainer { budget: usize::MAX, ..Drainer::default() }
    }

    /// A drainer that shares `store` with the run's collector (see
    /// `collect`): it takes what the collector took from the rings, and
    /// pops the rings itself for the rest.
    pub fn with_store(store: Store) -> Drainer {
        Drainer { store, budget: usize::MAX, ..Drainer::default() }
    }

    /// At most `n` records leave one [`drain`](Self::drain) (the dashboard
    /// applies what it drains between two frames: a flood must not freeze
    /// it). What is held back comes at the next drains, in order.
    pub fn set_budget(&mut self, n: usize) {
        self.budget = n.max(1);
    }

    /// Takes every published record from every lane; appends the ones that are
    /// ready, in order, to `out`.
    pub fn drain(&mut self, v: &View<'_>, out: &mut Vec<Record>, flush: bool) {
        let horizon = v.control().seq.0.load(std::sync::atomic::Ordering::Acquire);
        let lanes = v.lanes_in_use();
        if self.last_seq.len() < lanes as usize {
            self.last_seq.resize(lanes as usize, None);
            self.partial.resize_with(lanes as usize, || None);
        }
        let (mut dropped, mut published) = (0u64, 0u64);
        if self.scribbled.len() < lanes as usize {
            self.scribbled.resize(lanes as usize, false);
        }
        for lane in 0..lanes {
            let Some(ring) = v.consumer(lane) else { continue };
            // Untrusted counters: a count no run could reach is a scribble,
            // counted once as corrupt, never added (it showed as
            // 18446744073709551615 dropped).
            let d = ring.lane().dropped.load(std::sync::atomic::Ordering::Relaxed);
            let h = ring.lane().head.0.load(std::sync::atomic::Ordering::Relaxed);
            if d > IMPOSSIBLE_COUNT || h > IMPOSSIBLE_COUNT {
                if !std::mem::replace(&mut self.scribbled[lane as usize], true) {
                    self.stats.corrupt += 1;
                }
                continue;
            }
            dropped += d;
            published += h;
        }
        if self.held.len() >= self.budget {
            // The reader is behind: take nothing new (the collector holds it,
            // and past its limit the writers wait), release what is held.
            self.stats.dropped = dropped;
            self.stats.published = published;
            self.release(out, flush);
            return;
        }
        // Everything published so far, the collector's share included.
        let mut taken = {
            let mut c = self.store.lock();
            c.pass(v, usize::MAX);
            c.held = 0;
            for skipped in c.skipped.iter_mut() {
                self.stats.corrupt = self.stats.corrupt.saturating_add(std::mem::take(skipped));
            }
            std::mem::take(&mut c.lanes)
        };
        // The pass may have met lanes started since `lanes` was read.
        if self.last_seq.len() < taken.len() {
            self.last_seq.resize(taken.len(), None);
            self.partial.resize_with(taken.len(), || None);
        }
        for (lane, raw) in taken.iter_mut().enumerate() {
            if raw.is_empty() {
                continue;
            }
            self.stats.received += raw.len() as u64;
            self.decode_lane(v, lane as u32, raw);
            raw.clear();
        }
        // The buffers go back, for their capacity (the collector may have
        // started new ones meanwhile: keep whichever holds records).
        {
            let mut c = self.store.lock();
            for (lane, buf) in taken.into_iter().enumerate() {
                debug_assert!(buf.is_empty(), "every record taken was decoded");
                match c.lanes.get_mut(lane) {
                    Some(b) if b.is_empty() => *b = buf,
                    Some(_) => {}
                    None => c.lanes.push(buf),
                }
            }
        }
        self.stats.dropped = dropped;
        self.stats.published = published;
        self.release(out, flush);
        self.prev_horizon = horizon;
    }

    /// Nothing published is left to take: every ring is empty, the
    /// collector holds nothing and no record is held back. With the run
    /// quiescent, the model then has every record there is (a record
    /// written after the last drain, say the end of a process killed while
    /// the drain ran, is not yet in it although the run is quiescent now).
    pub fn caught_up(&self, v: &View<'_>) -> bool {
        self.held.is_empty()
            && self.store.lock().lanes.iter().all(|b| b.is_empty())
            && (0..v.lanes_in_use()).all(|lane| v.consumer(lane).is_none_or(|r| r.pending() == 0))
    }

    /// Sorts `keys` by sequence number. Sequence numbers come from one global
    /// counter, so what a drain holds is nearly a dense range: then placing
    /// each key at its offset in the range is a linear-time sort. A sparse
    /// range or a repeated number (only a hostile writer makes those) falls
    /// back to a comparison sort.
    fn order_keys(&mut self) {
        let n = self.keys.len();
        let lo = self.keys.iter().map(|k| k.0).min().unwrap_or(0);
        let hi = self.keys.iter().map(|k| k.0).max().unwrap_or(0);
        let range = hi - lo;
        if range < 4 * n as u64 + 64 {
            self.place.clear();
            self.place.resize(range as usize + 1, u32::MAX);
            let mut unique = true;
            for &(seq, i) in &self.keys {
                let p = &mut self.place[(seq - lo) as usize];
                unique &= *p == u32::MAX;
                *p = i;
            }
            if unique {
                let held = &self.held;
                self.keys.clear();
                self.keys.extend(self.place.iter().filter(|&&i| i != u32::MAX).map(|&i| (held[i as usize].seq, i)));
                return;
            }
        }
        self.keys.sort_by_key(|k| k.0);
    }

    /// Puts `held` in sequence order and moves the part that is ready to `out`.
    /// Each lane's records are already in order, so this is a merge of sorted
    /// runs: the (stable, run-detecting) sort works on 16-byte keys and each
    /// record moves only twice.
    fn release(&mut self, out: &mut Vec<Record>, flush: bool) {
        self.keys.clear();
        self.keys.extend(self.held.iter().enumerate().map(|(i, r)| (r.seq, i as u32)));
        if self.keys.windows(2).all(|w| w[0].0 <= w[1].0) {
            let cut = if flush { self.held.len() } else { self.held.partition_point(|r| r.seq < self.prev_horizon) };
            out.extend(self.held.drain(..cut.min(self.budget)));
            return;
        }
        self.order_keys();
        let cut = if flush { self.keys.len() } else { self.keys.partition_point(|k| k.0 < self.prev_horizon) }.min(self.budget);
        self.slots.clear();
        self.slots.extend(self.held.drain(..).map(Some));
        out.reserve(cut);
        for &(_, i) in &self.keys[..cut] {
            out.extend(self.slots[i as usize].take());
        }
        for &(_, i) in &self.keys[cut..] {
            self.held.extend(self.slots[i as usize].take());
        }
    }

    fn decode_lane(&mut self, v: &View<'_>, lane: u32, raw: &[RawRecord]) {
        let mut i = 0;
        while i < raw.len() {
            let head = &raw[i];
            // The group: the head and the Text chunks that share its seq.
            let mut end = i + 1;
            while end < raw.len() && raw[end].kind == RawKind::Text as u16 && raw[end].seq == head.seq && !(head.kind == RawKind::Text as u16 && raw[end].body[1] == 0) {
                end += 1;
            }
            let group = &raw[i..end];
            i = end;
            let ok_order = match self.last_seq[lane as usize] {
                Some(prev) => head.seq > prev,
                None => true,
            };
            if head.lane as u32 != lane || !ok_order {
                self.stats.corrupt += group.len() as u64;
                continue;
            }
            if head.kind == RawKind::Text as u16 {
                // A text in several groups: hold the first ones, join at the last.
                let Some((tag, more, bytes)) = join_bytes(group) else {
                    self.stats.corrupt += group.len() as u64;
                    continue;
                };
                self.last_seq[lane as usize] = Some(head.seq);
                let slot = &mut self.partial[lane as usize];
                let mut text = match slot.take() {
                    Some((t, mut so_far)) if t == tag => {
                        so_far.extend_from_slice(&bytes);
                        so_far
                    }
                    Some((t, so_far)) => {
                        // Another text began before this one ended: only a
                        // lying writer does that. Keep what came, as it came.
                        self.stats.corrupt += 1;
                        self.held.extend(text_record(head, t, so_far));
                        bytes
                    }
                    None => bytes,
                };
                if more && text.len() < PARTIAL_CAP {
                    *slot = Some((tag, text));
                    continue;
                }
                if more {
                    // Past the cap: release it in pieces, at a UTF-8 boundary.
                    let keep = utf8_tail(&text);
                    let rest = text.split_off(text.len() - keep);
                    *slot = Some((tag, rest));
                }
                self.held.extend(text_record(head, tag, text));
                continue;
            }
            match decode_group(v, group) {
                Some(rec) => {
                    self.last_seq[lane as usize] = Some(head.seq);
                    self.held.push(rec);
                }
                None => self.stats.corrupt += group.len() as u64,
            }
        }
    }
}

/// Joins the text chunks of a group: its tag, whether the text goes on in
/// the next group, its bytes; `None` if they are not a complete, ordered set.
fn join_bytes(chunks: &[RawRecord]) -> Option<(TextTag, bool, Vec<u8>)> {
    let first = TextBody::decode(&chunks.first()?.body)?;
    if chunks.len() != first.count as usize {
        return None;
    }
    let mut bytes = Vec::with_capacity(chunks.len() * 36);
    for (i, c) in chunks.iter().enumerate() {
        let t = TextBody::decode(&c.body)?;
        if t.index as usize != i || t.tag != first.tag || t.count != first.count {
            return None;
        }
        bytes.extend_from_slice(t.data());
    }
    Some((first.text_tag()?, first.more(), bytes))
}

/// As [`join_bytes`], for a group that must be whole (an op's detail).
fn join_text(chunks: &[RawRecord]) -> Option<(TextTag, String)> {
    match join_bytes(chunks)? {
        (tag, false, bytes) => Some((tag, String::from_utf8_lossy(&bytes).into_owned())),
        (_, true, _) => None,
    }
}

/// Bytes at the end of `b` that begin a UTF-8 character not yet complete.
fn utf8_tail(b: &[u8]) -> usize {
    for back in 1..=3.min(b.len()) {
        let byte = b[b.len() - back];
        if byte & 0xC0 != 0x80 {
            let need = if byte >= 0xF0 { 4 } else if byte >= 0xE0 { 3 } else if byte >= 0xC0 { 2 } else { 1 };
            return if need > back { back } else { 0 };
        }
    }
    0
}

/// The record of a whole standalone text (`head`: its last group's first chunk).
fn text_record(head: &RawRecord, tag: TextTag, bytes: Vec<u8>) -> Option<Record> {
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let gates = matches!(tag, TextTag::Print | TextTag::Report | TextTag::Stderr | TextTag::PrintPart | TextTag::StderrPart) as u32;
    let kind = match tag {
        TextTag::Print => RecordKind::Print { text, part: false },
        TextTag::Stderr => RecordKind::Stderr { text, part: false },
        TextTag::PrintPart => RecordKind::Print { text, part: true },
        TextTag::StderrPart => RecordKind::Stderr { text, part: true },
        TextTag::LineEnd => RecordKind::LineEnd,
        TextTag::Error => RecordKind::Error { message: text },
        TextTag::Assert => RecordKind::Assert { message: text },
        TextTag::Finding => RecordKind::Finding { message: text },
        TextTag::Locals => RecordKind::Locals { text },
        TextTag::Report => {
            let (key, json) = text.split_once('\t')?;
            RecordKind::Report { key: key.to_string(), value: serde_json::from_str(json).ok()? }
        }
        TextTag::Detail => return None,
    };
    Some(Record { seq: head.seq, t_ns: head.t_ns, lane: Lane(head.lane as u32), line: head.line, gates, kind })
}

/// Decodes one record group. `None` if anything in it is inconsistent.
pub fn decode_group(v: &View<'_>, group: &[RawRecord]) -> Option<Record> {
    let head = group.first()?;
    let kind = RawKind::from_u16(head.kind)?;
    let mk = |kind: RecordKind, gates: u32| Some(Record { seq: head.seq, t_ns: head.t_ns, lane: Lane(head.lane as u32), line: head.line, gates, kind });
    if kind == RawKind::Text {
        return match join_bytes(group)? {
            (tag, false, bytes) => text_record(head, tag, bytes),
            (_, true, _) => None,
        };
    }
    let b = OpBody::decode(&head.body);
    let detail = if group.len() > 1 {
        match join_text(&group[1..])? {
            (TextTag::Detail, t) => Some(t),
            _ => return None,
        }
    } else {
        None
    };
    let op = || Op::from_raw(b.op);
    let lanes = v.geometry().lanes;
    let lane_ok = |l: u16| l == NO_LANE || (l as u32) < lanes;
    if !lane_ok(b.other) {
        return None;
    }
    let gates = if head.lane == 0 { 0 } else { b.d.clamp(0, 1_000) as u32 };
    mk(match kind {
        RawKind::Spawn => {
            let child = opt_lane(b.other)?;
            let l = v.lane(child.0)?;
            RecordKind::Spawn { child, pid: b.a as i32, ppid: b.b as i32, daemon: b.c != 0, name: l.name.get(), target: crate::vocab::split_target(&l.target.get()).0.to_string() }
        }
        RawKind::Park => RecordKind::Park,
        RawKind::Op => {
            // A queue item's digest rides at the end of the detail (the
            // body's `d` is the gates count): see `LaneRuntime::record_op_d`.
            let (detail, d) = match detail.as_deref().and_then(|t| t.rsplit_once(crate::runtime::DIGEST_MARK)) {
                Some((text, hex)) => (Some(text.to_string()), u64::from_str_radix(hex, 16).map_or(0, |x| x as i64)),
                None => (detail, 0),
            };
            RecordKind::Op { op: op()?, res: opt_res(b.res), other: opt_lane(b.other), a: b.a, b: b.b, c: b.c, d, detail }
        }
        RawKind::Block => RecordKind::Block {
            op: op()?,
            res: opt_res(b.res),
            other: opt_lane(b.other),
            holder: (0..lanes as i64).contains(&b.a).then_some(Lane(b.a as u32)),
            timed: b.b != 0,
        },
        RawKind::Wake => RecordKind::Wake { op: op()?, res: opt_res(b.res), woken: opt_lane(b.other)? },
        RawKind::Timeout => RecordKind::Timeout { op: op()?, res: opt_res(b.res), other: opt_lane(b.other) },
        RawKind::Ended => {
            // `b` = 1: the detail lists the resources it held (ids, comma separated).
            let held = match (b.b, detail.as_deref()) {
                (1, d) => Some(d.unwrap_or("").split(',').filter(|s| !s.is_empty()).map(|s| s.parse::<u32>().ok().filter(|&id| v.resource(id).is_some()).map(ResId)).collect::<Option<Vec<ResId>>>()?),
                _ => None,
            };
            RecordKind::Ended { process: opt_lane(b.other)?, exitcode: b.a as i32, held }
        }
        RawKind::ResourceNew => {
            let slot = v.resource(b.res)?;
            RecordKind::Resource { res: ResId(b.res), kind: ResKind::from_raw(b.a as u32)?, name: slot.name.get(), capacity: b.b }
        }
        RawKind::Grant => RecordKind::Grant { process: opt_lane(b.other), granularity: b.a as u8 },
        RawKind::Mode => RecordKind::Mode { paused: b.a != 0 },
        RawKind::Signal => RecordKind::Signal { process: opt_lane(b.other)?, signal: b.a as i32 },
        RawKind::Closing => RecordKind::Closing,
        RawKind::Text => unreachable!("handled above"),
    }, gates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::Segment;
    use crate::shm::layout::Geometry;
    use crate::shm::record::text_chunks;

    fn op_rec(kind: RawKind, body: OpBody) -> RawRecord {
        RawRecord { kind: kind as u16, line: 3, body: body.encode(), ..RawRecord::EMPTY }
    }

    #[test]
    fn decodes_groups_in_global_order_and_rejects_lies() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 16, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(3, std::sync::atomic::Ordering::Relaxed);
        let sleep = OpBody { op: Op::Sleep as u16, other: NO_LANE, res: NONE, a: 5, ..Default::default() };
        v.emit(2, &mut [op_rec(RawKind::Op, sleep)]);
        let mut group = vec![op_rec(RawKind::Text, OpBody::default())];
        group.clear();
        for c in text_chunks(TextTag::Print, "子进程 hello, a text that takes two chunks or more") {
            group.push(RawRecord { kind: RawKind::Text as u16, body: c, ..RawRecord::EMPTY });
        }
        v.emit(1, &mut group);
        // A lie: lane 2's ring holds a record claiming lane 1.
        let ring = v.producer(2).unwrap();
        ring.push(&[RawRecord { seq: 99, lane: 1, kind: RawKind::Op as u16, body: sleep.encode(), ..RawRecord::EMPTY }]);
        // Garbage kind.
        ring.push(&[RawRecord { seq: 100, lane: 2, kind: 999, ..RawRecord::EMPTY }]);
        let mut d = Drainer::new();
        let mut out = Vec::new();
        d.drain(&v, &mut out, true);
        assert_eq!(out.len(), 2);
        assert!(matches!(out[0].kind, RecordKind::Op { op: Op::Sleep, a: 5, .. }));
        assert_eq!(out[1].kind, RecordKind::Print { text: "子进程 hello, a text that takes two chunks or more".into(), part: false });
        assert_eq!(d.stats.corrupt, 2);
        assert_eq!(d.stats.received, 1 + 2 + 1 + 1, "one op, a two-chunk text, a lie, garbage");
    }

    #[test]
    fn holds_back_until_the_horizon_passes() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 16, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(3, std::sync::atomic::Ordering::Relaxed);
        let body = OpBody { op: Op::Print as u16, other: NO_LANE, res: NONE, ..Default::default() };
        v.emit(1, &mut [op_rec(RawKind::Op, body)]);
        let mut d = Drainer::new();
        let mut out = Vec::new();
        d.drain(&v, &mut out, false);
        assert!(out.is_empty(), "held back for one drain");
        d.drain(&v, &mut out, false);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn scribbled_ring_counters_are_corrupt_once_not_a_count() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 16, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(3, std::sync::atomic::Ordering::Relaxed);
        v.lane(2).unwrap().dropped.store(u64::MAX, std::sync::atomic::Ordering::Relaxed);
        v.lane(1).unwrap().dropped.store(7, std::sync::atomic::Ordering::Relaxed);
        let mut d = Drainer::new();
        let mut out = Vec::new();
        d.drain(&v, &mut out, true);
        d.drain(&v, &mut out, true);
        assert_eq!(d.stats.dropped, 7, "only the believable count");
        assert_eq!(d.stats.corrupt, 1, "the scribbled lane, once");
    }

    #[test]
    fn records_the_collector_took_from_a_lane_newer_than_the_drain_are_drained_too() {
        // The collector may meet a lane that started after the drain read
        // how many lanes there are: those records must be drained with the
        // rest, not set aside (put back beside what the collector took next,
        // they were lost).
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 16, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(3, std::sync::atomic::Ordering::Relaxed);
        let store = Store::default();
        let body = OpBody { op: Op::Compute as u16, other: NO_LANE, res: NONE, ..Default::default() };
        {
            let mut c = store.lock();
            c.lanes.resize_with(4, Vec::new);
            c.skipped.resize(4, 0);
            c.lanes[3].push(RawRecord { seq: 0, lane: 3, kind: RawKind::Op as u16, body: body.encode(), ..RawRecord::EMPTY });
            c.held = 1;
        }
        let mut d = Drainer::with_store(store.clone());
        let mut out = Vec::new();
        d.drain(&v, &mut out, true);
        assert_eq!(out.len(), 1, "lane 3's record, drained at once");
        assert_eq!(out[0].lane, Lane(3));
        assert!(store.lock().lanes.iter().all(Vec::is_empty));
    }

    #[test]
    fn a_budget_releases_a_flood_over_several_drains_in_order_and_whole() {
        let seg = Segment::create(Geometry { lanes: 4, ring_cap: 1024, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(4, std::sync::atomic::Ordering::Relaxed);
        for i in 0..90 {
            let body = OpBody { op: Op::Compute as u16, other: NO_LANE, res: NONE, a: i, ..Default::default() };
            v.emit(1 + (i as u32 % 3), &mut [op_rec(RawKind::Op, body)]);
        }
        // A text of several groups (each but the last marked to go on).
        let long = "长".repeat(3000);
        for chunks in crate::shm::record::text_groups(TextTag::Print, &long, 8) {
            let mut group: Vec<RawRecord> = chunks.into_iter().map(|body| RawRecord { kind: RawKind::Text as u16, body, ..RawRecord::EMPTY }).collect();
            assert!(v.emit(2, &mut group));
        }
        let mut d = Drainer::new();
        d.set_budget(40);
        let (mut out, mut sizes) = (Vec::new(), Vec::new());
        for _ in 0..4 {
            let before = out.len();
            d.drain(&v, &mut out, true);
            sizes.push(out.len() - before);
        }
        assert_eq!(sizes, vec![40, 40, 11, 0], "at most the budget a drain");
        let ops: Vec<i64> = out.iter().filter_map(|r| match r.kind { RecordKind::Op { a, .. } => Some(a), _ => None }).collect();
        assert_eq!(ops, (0..90).collect::<Vec<_>>(), "in order, none lost");
        assert!(matches!(&out.last().unwrap().kind, RecordKind::Print { text, .. } if *text == long), "the long text joined whole");
        assert_eq!(d.stats.corrupt, 0);
    }

    #[test]
    fn releases_in_sequence_order_dense_sparse_or_repeated() {
        let seg = Segment::create(Geometry { lanes: 5, ring_cap: 64, resources: 4, blocks: 16 }).unwrap();
        let v = seg.view();
        v.control().next_lane.store(5, std::sync::atomic::Ordering::Relaxed);
        let body = OpBody { op: Op::Compute as u16, other: NO_LANE, res: NONE, ..Default::default() };
        let push = |lane: u32, seq: u64| {
            v.producer(lane).unwrap().push(&[RawRecord { seq, lane: lane as u16, kind: RawKind::Op as u16, body: body.encode(), ..RawRecord::EMPTY }]);
        };
        let mut d = Drainer::new();
        let mut out = Vec::new();
        // Dense, interleaved across lanes.
        for seq in 0..40u64 {
            push(1 + (seq % 4) as u32, seq);
        }
        d.drain(&v, &mut out, true);
        assert_eq!(out.iter().map(|r| r.seq).collect::<Vec<_>>(), (0..40).collect::<Vec<_>>());
        // Sparse: a huge gap forces the comparison sort.
        out.clear();
        push(2, 1 << 40);
        push(1, 50);
        push(3, 45);
        d.drain(&v, &mut out, true);
        assert_eq!(out.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![45, 50, 1 << 40]);
        // The same number in two lanes (a lie): both kept, in order.
        out.clear();
        push(3, (1 << 40) + 7);
        push(4, (1 << 40) + 7);
        push(1, (1 << 40) + 3);
        d.drain(&v, &mut out, true);
        assert_eq!(out.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![(1 << 40) + 3, (1 << 40) + 7, (1 << 40) + 7]);
    }
}
