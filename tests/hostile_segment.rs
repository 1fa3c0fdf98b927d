//! The segment as the conductor reads it, fuzzed with proptest: random and
//! adversarial bytes in the control block, lanes (identity, status seqlock,
//! ring indices), ring slots (garbage, and plausible records that lie), the
//! resource table (kinds, owners, wait queues, names) and data blocks (links
//! that loop). The conductor's readers — `Drainer::drain` (decoding), status
//! reads, wait-queue walks, run-info chains, then `Model::apply` of whatever
//! comes out, the deadlock check, the summary and the JSON output — must never
//! panic and never hang: each case runs on its own thread with a time bound.
//!
//! Cases: 2,000 (see `ProptestConfig`); each interleaves four rounds of
//! hostile writes with drains.

use std::sync::atomic::Ordering::*;
use std::time::Duration;

use proptest::prelude::*;

use forkscope::codec::{self, RunInfo};
use forkscope::conductor::Drainer;
use forkscope::model::Model;
use forkscope::model::summary::EndReason;
use forkscope::shm::layout::{Geometry, NONE};
use forkscope::shm::record::{Op, RawKind, RawRecord, text_chunks, TextTag};
use forkscope::shm::{Segment, View};

const GEO: Geometry = Geometry { lanes: 8, ring_cap: 16, resources: 6, blocks: 32 };

/// One hostile write.
#[derive(Clone, Debug)]
enum Poke {
    Control(u8, u64),
    Lane(u8, u8, u64),
    LaneText(u8, bool, Vec<u8>),
    /// A raw slot: any 64 bytes.
    Slot(u8, u8, Vec<u8>),
    /// A plausible record pushed the honest way, but with lying contents.
    Record(u8, u16, u16, u64, Vec<u8>),
    /// A text group that may be cut short or out of order.
    Text(u8, u8, String, u8),
    Indices(u8, u64, u64),
    Resource(u8, u8, u64),
    ResName(u8, Vec<u8>),
    Block(u8, u32, u32, u8),
}

fn small_or_wild() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..12, Just(u32::MAX as u64), Just(u64::MAX), any::<u64>(), (1u64 << 30)..(1u64 << 34)]
}

fn poke() -> impl Strategy<Value = Poke> {
    prop_oneof![
        (0u8..12, small_or_wild()).prop_map(|(f, v)| Poke::Control(f, v)),
        (0u8..10, 0u8..20, small_or_wild()).prop_map(|(l, f, v)| Poke::Lane(l, f, v)),
        (0u8..10, any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(l, n, b)| Poke::LaneText(l, n, b)),
        (0u8..10, any::<u8>(), prop::collection::vec(any::<u8>(), 64)).prop_map(|(l, s, b)| Poke::Slot(l, s, b)),
        (0u8..10, 0u16..15, prop_oneof![0u16..10, Just(0xFFFF), any::<u16>()], small_or_wild(), prop::collection::vec(any::<u8>(), 40))
            .prop_map(|(l, k, w, s, b)| Poke::Record(l, k, w, s, b)),
        (0u8..10, 1u8..7, "\\PC{0,120}", any::<u8>()).prop_map(|(l, t, s, c)| Poke::Text(l, t, s, c)),
        (0u8..10, small_or_wild(), small_or_wild()).prop_map(|(l, h, t)| Poke::Indices(l, h, t)),
        (0u8..8, 0u8..24, small_or_wild()).prop_map(|(r, f, v)| Poke::Resource(r, f, v)),
        (0u8..8, prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(r, b)| Poke::ResName(r, b)),
        (0u8..40, any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(i, n, l, d)| Poke::Block(i, n, l, d)),
    ]
}

fn apply(v: &View<'_>, p: &Poke) {
    match p {
        Poke::Control(f, x) => {
            let c = v.control();
            match f {
                0 => c.mode.store(*x as u32 & 1, Relaxed),
                1 => c.next_lane.store(*x as u32, Relaxed),
                2 => c.next_res.store(*x as u32, Relaxed),
                3 => c.seq.0.store(*x, Relaxed),
                4 => c.info_block.store(*x as u32, Relaxed),
                5 => c.info_len.store(*x as u32, Relaxed),
                6 => c.free_blocks.store(*x, Relaxed),
                7 => c.blocks_used.store(*x as u32, Relaxed),
                8 => c.granularity.store(*x as u32, Relaxed),
                9 => c.run_start_ns.store(*x, Relaxed),
                10 => c.pgid.store(*x as i32, Relaxed),
                _ => c.speed_milli.store(*x as u32, Relaxed),
            }
        }
        Poke::Lane(l, f, x) => {
            let Some(lane) = v.lane(*l as u32) else { return };
            let w = *x as u32;
            match f {
                0 => lane.used.store(w, Relaxed),
                1 => lane.parent.store(w, Relaxed),
                2 => lane.daemon.store(w, Relaxed),
                3 => lane.args_block.store(w, Relaxed),
                4 => lane.args_len.store(w, Relaxed),
                5 => lane.wait_next.store(w, Relaxed),
                6 => lane.ended.store(w, Relaxed),
                7 => lane.exit_status.store(w as i32, Relaxed),
                8 => lane.wakes.store(w, Relaxed),
                9 => lane.mailbox_block.store(w, Relaxed),
                10 => lane.line.store(w, Relaxed),
                11 => lane.status.seq.store(w, Relaxed),
                12 => lane.status.state.store(w, Relaxed),
                13 => lane.status.op.store(w, Relaxed),
                14 => lane.status.res.store(w, Relaxed),
                15 => lane.status.other.store(w, Relaxed),
                16 => lane.status.deadline_ns.store(*x, Relaxed),
                17 => lane.dropped.store(*x, Relaxed),
                18 => lane.grant.store(w, Relaxed),
                // Never a real pid here: this test runs no conductor that
                // would signal it, but keep the habit.
                _ => lane.pid.store(-(w as i32).abs().max(1), Relaxed),
            }
        }
        Poke::LaneText(l, name, bytes) => {
            let Some(lane) = v.lane(*l as u32) else { return };
            let t = if *name { &lane.name } else { &lane.target };
            for (i, b) in bytes.iter().enumerate() {
                t.0[i].store(*b, Relaxed);
            }
        }
        Poke::Slot(l, s, bytes) => {
            let Some(ring) = v.producer(*l as u32) else { return };
            let i = *s as u64 % ring.cap() as u64;
            let mut words = [0u64; 8];
            for (k, w) in words.iter_mut().enumerate() {
                *w = u64::from_le_bytes(bytes[k * 8..k * 8 + 8].try_into().unwrap());
            }
            // SAFETY: slot `i` is inside the ring; a hostile process writes
            // its own ring's memory exactly like this.
            unsafe { (ring.slot_ptr(i) as *mut [u64; 8]).write_volatile(words) };
        }
        Poke::Record(l, kind, writer, seq, body) => {
            let Some(ring) = v.producer(*l as u32) else { return };
            let mut b = [0u8; 40];
            b.copy_from_slice(body);
            // Half the time a known op code, so more records get through.
            if body[39] & 1 == 0 {
                let ops = Op::ALL;
                let op = ops[body[38] as usize % ops.len()] as u16;
                b[0..2].copy_from_slice(&op.to_le_bytes());
                b[2..4].copy_from_slice(&(body[37] as u16 % 10).to_le_bytes());
                b[4..8].copy_from_slice(&(body[36] as u32 % 8).to_le_bytes());
            }
            ring.push(&[RawRecord { seq: *seq, t_ns: *seq / 3, kind: *kind, lane: *writer % 10, line: body[35] as u32, body: b }]);
        }
        Poke::Text(l, tag, text, cut) => {
            let Some(ring) = v.producer(*l as u32) else { return };
            let seq = v.control().seq.0.fetch_add(1, Relaxed);
            let tag = match tag {
                1 => TextTag::Print,
                2 => TextTag::Error,
                3 => TextTag::Report,
                4 => TextTag::Detail,
                5 => TextTag::Finding,
                _ => TextTag::Assert,
            };
            let mut group: Vec<RawRecord> = text_chunks(tag, text).into_iter().map(|c| RawRecord { seq, kind: RawKind::Text as u16, lane: *l as u16, body: c, ..RawRecord::EMPTY }).collect();
            match cut % 4 {
                0 => group.truncate(group.len().saturating_sub(1).max(1)),
                1 => group.reverse(),
                _ => {}
            }
            ring.push(&group);
        }
        Poke::Indices(l, h, t) => {
            let Some(lane) = v.lane(*l as u32) else { return };
            lane.head.0.store(*h, Relaxed);
            lane.tail.0.store(*t, Relaxed);
        }
        Poke::Resource(r, f, x) => {
            let Some(slot) = v.resource(*r as u32) else { return };
            let w = *x as u32;
            match f {
                0 => slot.kind.store(w % 20, Relaxed),
                1 => slot.creator.store(w, Relaxed),
                2 => slot.owner.store(w, Relaxed),
                3 => slot.count.store(*x as i64, Relaxed),
                4 => slot.capacity.store(*x as i64, Relaxed),
                5 => slot.waiters[0].head.store(w, Relaxed),
                6 => slot.waiters[0].tail.store(w, Relaxed),
                7 => slot.waiters[0].len.store(w, Relaxed),
                8 => slot.waiters[1].head.store(w, Relaxed),
                9 => slot.version.store(w, Relaxed),
                // The internal mutex word: a wedged holder.
                10 => slot.mutex.store(w, Relaxed),
                f => slot.aux[(*f as usize) % 8].store(*x, Relaxed),
            }
        }
        Poke::ResName(r, bytes) => {
            let Some(slot) = v.resource(*r as u32) else { return };
            for (i, b) in bytes.iter().enumerate() {
                slot.name.0[i].store(*b, Relaxed);
            }
        }
        Poke::Block(i, next, len, byte) => {
            let Some(b) = v.block(*i as u32) else { return };
            b.next.store(*next % 40, Relaxed);
            b.len.store(*len, Relaxed);
            // SAFETY: a hostile process writes block bytes like this.
            unsafe { (b.data.get() as *mut u8).write_volatile(*byte) };
        }
    }
}

/// Everything the conductor does with what it reads.
fn conductor_reads(v: &View<'_>, drainer: &mut Drainer, model: &mut Model, flush: bool) {
    let mut out = Vec::new();
    drainer.drain(v, &mut out, flush);
    for r in &out {
        model.apply(r);
        let _ = serde_json::to_string(r).expect("a record serializes");
    }
    for lane in 0..v.lanes_in_use() {
        let l = v.lane(lane).unwrap();
        let _ = l.status.read(64);
        let _ = (l.name.get(), l.target.get());
    }
    for id in 0..v.resources_in_use() {
        let r = v.resource(id).unwrap();
        for q in &r.waiters {
            let w = forkscope::runtime::waitq::lanes(v, q);
            assert!(w.len() <= v.geometry().lanes as usize, "a wait-queue walk is bounded");
        }
        let _ = r.name.get();
    }
    if let Some(bytes) = v.read_chain(v.control().info_block.load(Relaxed), v.control().info_len.load(Relaxed)) {
        let _ = codec::decode::<RunInfo>(&bytes);
    }
    let _ = model.deadlock();
    let _ = model.tree_order();
    let s = forkscope::words::summary(model, &EndReason::AllEnded, "fuzz", 0, Default::default());
    let _ = serde_json::to_string(&s).expect("the summary serializes");
}

fn case(rounds: Vec<Vec<Poke>>) {
    let seg = Segment::create(GEO).expect("segment");
    let v = seg.view();
    v.control().next_lane.store(GEO.lanes, Relaxed);
    v.control().next_res.store(GEO.resources, Relaxed);
    for r in 0..GEO.resources {
        v.resource(r).unwrap().owner.store(NONE, Relaxed);
    }
    let mut drainer = Drainer::new();
    let mut model = Model::new();
    let n = rounds.len();
    for (i, pokes) in rounds.iter().enumerate() {
        for p in pokes {
            apply(&v, p);
        }
        conductor_reads(&v, &mut drainer, &mut model, i + 1 == n);
    }
    let st = drainer.stats;
    assert!(st.corrupt <= st.received + st.corrupt, "counters make sense");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_segment_never_crashes_or_hangs_the_conductor(rounds in prop::collection::vec(prop::collection::vec(poke(), 0..24), 4)) {
        let (tx, rx) = std::sync::mpsc::channel();
        let r = rounds.clone();
        let worker = std::thread::spawn(move || {
            case(r);
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(()) => { let _ = worker.join(); }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let e = worker.join().err().map(|e| e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default());
                return Err(TestCaseError::fail(format!("the conductor's readers panicked: {e:?}")));
            }
            Err(_) => return Err(TestCaseError::fail("the conductor's readers hung (10 s)")),
        }
    }
}
