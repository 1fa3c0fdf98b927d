//! Why a counterexample went wrong: the conflicting operations whose order
//! made it bad, and the order they were in on a run that went well.
//!
//! An *access* is one op of a process on something shared: a file (by its
//! path: `read_*` read it, `write_*`/`append_text` write it, and `open(…,
//! "w")`, recorded as a write of nothing, empties it) or a resource (pure
//! reads — `load`, `is_set`, `qsize`, … — read it; every other op on it writes
//! it), as in [`super::footprint`]; a manager's object's read or change is
//! the access of the process that asked for it, of the item it named
//! (`account['balance']`). Two accesses *conflict* when they are of
//! different processes, on one thing, and not both reads.
//!
//! An access is the same in two runs when it is the same process's (by name)
//! n-th access to the same thing (by name) with the same op kind. A conflicting
//! pair whose order in the bad run is the reverse of its order in the good run
//! is a *reversed race*: the order that made the difference. Reversed races
//! are grouped by their subject `x` (of process P) — the one that only reads
//! when the other writes, else the earlier — and the other process Q: the
//! run went wrong because `x` came *after* Q's last conflicting access ahead
//! of it and *before* Q's reversed accesses after it (or, when Q's reversed
//! accesses all came before `x`, Q's next conflicting one): "Process-1 read
//! ticket after Process-2 emptied it and before Process-2 wrote it". When some `x` is the last read of a
//! process before it writes the same thing (a read-modify-write: the value
//! it writes comes from what it read), only those groups are kept: they are
//! the ones the outcome depends on; when the run ended in waits that never
//! ended (a deadlock), only the groups with such a wait; when what was bad
//! is a process's error or failed assert, only the groups of that process's
//! last access among them (what it did last is what failed: a 查票 that read
//! an emptied file, not the buyers' reads and writes inside the lock, whose
//! order also differed); else every group (at most [`MOST`], the last ones).

use std::collections::BTreeMap;

use crate::headless::Finished;
use crate::model::RecordKind;
use crate::vocab::Op;

/// Most groups kept.
pub const MOST: usize = 3;

pub use crate::model::conflict::{Access, Conflicts, Why};

/// The path of a file op and whether what it read or wrote is empty.
fn path_and_empty(r: &crate::model::Record) -> (String, bool) {
    let done = r.res_op();
    match done.as_ref().and_then(|d| d.file()) {
        Some((path, preview)) => (path.to_string(), preview.is_empty()),
        None => (done.and_then(|d| d.detail).unwrap_or("").to_string(), true),
    }
}

fn reads_only(op: Op) -> bool {
    matches!(op, Op::Load | Op::IsSet | Op::Qsize | Op::Empty | Op::Full | Op::Poll | Op::Ready)
}

/// A read or change of a manager's object that its manager wrote down
/// (`runtime::sync::managed`): the process that asked for it, and the item
/// or attribute it named (`['balance']`; nothing for a method's call, which
/// is of the whole object).
fn managed_access(f: &Finished, r: &crate::model::Record) -> Option<(crate::vocab::Lane, String)> {
    let RecordKind::Op { op: Op::Load | Op::Store, res: Some(res), other: Some(asker), detail: Some(d), .. } = &r.kind else { return None };
    if f.model.resources.get(res).map(|rs| rs.kind) != Some(crate::vocab::ResKind::Managed) {
        return None;
    }
    let d: serde_json::Value = serde_json::from_str(d).ok()?;
    Some((*asker, d["at"].as_str().unwrap_or("").to_string()))
}

/// A wait that has not ended yet: the process, the op, the resource.
type Waiting = (crate::vocab::Lane, Op, crate::vocab::ResId);

/// Every access of a run, in the order it ran them (the run kept its
/// records). A wait with no timeout that never ended (a deadlock) is an
/// access too, `wait:OP` (`wait:acquire`): the op it could not complete.
pub fn accesses(f: &Finished) -> Vec<Access> {
    let mut out: Vec<(Access, Option<Waiting>)> = Vec::new();
    let mut step = 0u64;
    for r in &f.records {
        let (op, res) = match &r.kind {
            RecordKind::Grant { .. } => {
                step += 1;
                continue;
            }
            RecordKind::Op { op, res, .. } => (*op, *res),
            RecordKind::Block { op, res: Some(res), timed: false, .. } if *op != Op::Sleep => {
                let process = f.model.pname(r.lane);
                let access = Access { process, op: format!("wait:{}", op.name()), resource: f.model.rname(*res), line: r.line, step, write: !reads_only(*op), nth: 0 };
                out.push((access, Some((r.lane, *op, *res))));
                continue;
            }
            _ => continue,
        };
        let (resource, name, write) = match op {
            Op::ReadJson | Op::ReadText => (path_and_empty(r).0, op.name().to_string(), false),
            Op::WriteJson | Op::WriteText => {
                let (path, empty) = path_and_empty(r);
                (path, if empty { "truncate".to_string() } else { op.name().to_string() }, true)
            }
            Op::AppendText => (path_and_empty(r).0, op.name().to_string(), true),
            Op::Start | Op::Join | Op::IsAlive | Op::Terminate | Op::Kill | Op::Print | Op::Sleep | Op::Compute | Op::Report | Op::Exit | Op::Input | Op::ListDir => continue,
            op => match res {
                Some(res) => (f.model.rname(res), op.name().to_string(), !reads_only(op)),
                None => continue,
            },
        };
        // A manager's object: the access is the process's that asked, of
        // the item or attribute it named (`account['balance']`).
        if let Some((asker, place)) = managed_access(f, r) {
            let resource = format!("{resource}{place}");
            out.push((Access { process: f.model.pname(asker), op: name, resource, line: r.line, step, write, nth: 0 }, None));
            continue;
        }
        if let Some(k) = out.iter().rposition(|(_, w)| w.is_some_and(|(l, o, rs)| l == r.lane && o == op && Some(rs) == res)) {
            // The wait ended in this op: the op is the access.
            out.remove(k);
        }
        let process = f.model.pname(r.lane);
        out.push((Access { process, op: name, resource, line: r.line, step, write, nth: 0 }, None));
    }
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    out.into_iter()
        .map(|(mut a, _)| {
            let n = counts.entry((a.process.clone(), a.resource.clone())).or_default();
            a.nth = *n;
            *n += 1;
            a
        })
        .collect()
}

/// The reversed races of `bad` against `good`: (index in bad of the earlier, of the later).
fn reversed(bad: &[Access], good: &[Access]) -> Vec<(usize, usize)> {
    let at: BTreeMap<_, usize> = good.iter().enumerate().map(|(i, a)| (a.key(), i)).collect();
    let mut out = Vec::new();
    for (i, x) in bad.iter().enumerate() {
        for (j, y) in bad.iter().enumerate().skip(i + 1) {
            if x.conflicts(y)
                && let (Some(gx), Some(gy)) = (at.get(&x.key()), at.get(&y.key()))
                && gy < gx
            {
                out.push((i, j));
            }
        }
    }
    out
}

/// Why `bad` went wrong where `good` did not (both runs kept their
/// records); `failed`: the process whose error or failed assert made it bad.
pub fn explain(bad: &Finished, good: &Finished, failed: Option<&str>) -> Conflicts {
    explain_accesses(&accesses(bad), &accesses(good), failed)
}

/// [`explain`], from the runs' accesses.
pub fn explain_accesses(bad: &[Access], good: &[Access], failed: Option<&str>) -> Conflicts {
    let races = reversed(bad, good);
    // Grouped by their subject — the read when one of the two only reads
    // (what it read is what went wrong), else the earlier — and the other process.
    let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (i, j) in races {
        let (subject, other) = if bad[i].write && !bad[j].write { (j, i) } else { (i, j) };
        groups.entry((subject, bad[other].process.clone())).or_default().push(other);
    }
    // The last read of a process before its own write of the same thing.
    let feeds_a_write = |i: usize| {
        let x = &bad[i];
        !x.write && bad[i + 1..].iter().find(|a| a.process == x.process && a.resource == x.resource).is_some_and(|a| a.write)
    };
    // A wait that never ended (a deadlock) and what came before it.
    let stuck = |i: usize, js: &[usize]| bad[i].op.starts_with("wait:") || js.iter().any(|j| bad[*j].op.starts_with("wait:"));
    let waits = groups.iter().any(|((i, _), js)| stuck(*i, js));
    // The failed process's last access that is a subject.
    let last_of_failed = failed.and_then(|p| groups.keys().filter(|(i, _)| bad[*i].process == p).map(|(i, _)| *i).max());
    let rmw = groups.keys().any(|(i, _)| feeds_a_write(*i));
    let mut why = Vec::new();
    for ((i, q), js) in groups {
        let keep = if waits {
            stuck(i, &js)
        } else if let Some(last) = last_of_failed {
            i == last
        } else {
            !rmw || feeds_a_write(i)
        };
        if !keep {
            continue;
        }
        let x = &bad[i];
        let after = bad[..i].iter().rev().find(|a| a.process == q && a.conflicts(x)).cloned();
        // What the subject came before: the reversed ones after it; when
        // they were all before it, the other's next conflicting access.
        let mut before: Vec<Access> = js.iter().filter(|j| **j > i).map(|j| bad[*j].clone()).collect();
        if before.is_empty() {
            before.extend(bad[i + 1..].iter().find(|a| a.process == q && a.conflicts(x)).cloned());
        }
        why.push(Why { op: x.clone(), after, before });
    }
    // The reasons that complete last matter most when they are too many.
    if why.len() > MOST {
        why.drain(..why.len() - MOST);
    }
    let mut named: Vec<&Access> = why.iter().flat_map(|w| std::iter::once(&w.op).chain(w.after.iter()).chain(w.before.iter())).collect();
    named.sort_by_key(|a| bad.iter().position(|b| b == *a));
    named.dedup();
    let bad_order: Vec<Access> = named.into_iter().cloned().collect();
    let mut good_order: Vec<Access> = good.iter().filter(|g| bad_order.iter().any(|b| b.key() == g.key())).cloned().collect();
    good_order.dedup();
    Conflicts { why, bad_order, good_order }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(process: &str, op: &str, line: u32, step: u64, nth: usize) -> Access {
        let write = !op.starts_with("read");
        Access { process: process.into(), op: op.into(), resource: "ticket".into(), line, step, write, nth }
    }

    #[test]
    fn a_read_between_anothers_read_and_write_is_the_lost_update() {
        let good = vec![acc("P1", "read_text", 15, 1, 0), acc("P1", "truncate", 22, 2, 1), acc("P1", "write_text", 23, 3, 2), acc("P2", "read_text", 15, 4, 0), acc("P2", "truncate", 22, 5, 1), acc("P2", "write_text", 23, 6, 2)];
        let bad = vec![acc("P1", "read_text", 15, 1, 0), acc("P2", "read_text", 15, 2, 0), acc("P1", "truncate", 22, 3, 1), acc("P1", "write_text", 23, 4, 2), acc("P2", "truncate", 22, 5, 1), acc("P2", "write_text", 23, 6, 2)];
        let c = explain_accesses(&bad, &good, None);
        assert_eq!(c.why.len(), 1, "{c:?}");
        assert_eq!((c.why[0].op.process.as_str(), c.why[0].op.line), ("P2", 15));
        assert_eq!(c.why[0].after, None);
        assert_eq!(c.why[0].before.iter().map(|a| a.line).collect::<Vec<_>>(), [22, 23]);
        assert_eq!(c.completing_step(), Some(4));
        assert_eq!(c.good_order.iter().map(|a| (a.process.as_str(), a.line)).collect::<Vec<_>>(), [("P1", 22), ("P1", 23), ("P2", 15)]);
    }

    #[test]
    fn a_read_that_the_good_run_made_first_still_says_which_writes_it_fell_between() {
        let good = vec![acc("P1", "read_text", 10, 1, 0), acc("P2", "truncate", 21, 2, 0), acc("P2", "write_text", 22, 3, 1)];
        let bad = vec![acc("P2", "truncate", 21, 1, 0), acc("P1", "read_text", 10, 2, 0), acc("P2", "write_text", 22, 3, 1)];
        let c = explain_accesses(&bad, &good, None);
        assert_eq!(c.why.len(), 1, "{c:?}");
        assert_eq!((c.why[0].op.process.as_str(), c.why[0].op.line), ("P1", 10));
        assert_eq!(c.why[0].after.as_ref().map(|a| a.line), Some(21));
        assert_eq!(c.why[0].before.iter().map(|a| a.line).collect::<Vec<_>>(), [22]);
    }

    #[test]
    fn a_read_of_an_emptied_file_comes_after_the_emptying_and_before_the_write() {
        let good = vec![acc("P1", "truncate", 22, 1, 0), acc("P1", "write_text", 23, 2, 1), acc("P2", "read_text", 10, 3, 0)];
        let bad = vec![acc("P1", "truncate", 22, 1, 0), acc("P2", "read_text", 10, 2, 0), acc("P1", "write_text", 23, 3, 1)];
        let c = explain_accesses(&bad, &good, None);
        assert_eq!(c.why.len(), 1, "{c:?}");
        assert_eq!(c.why[0].after.as_ref().map(|a| a.line), Some(22));
        assert_eq!(c.why[0].before.iter().map(|a| a.line).collect::<Vec<_>>(), [23]);
    }

    #[test]
    fn a_failed_process_is_explained_by_its_last_access_not_by_others_read_modify_writes() {
        // The ticket race's lock variant: P1's 查票 (line 10) read the file P3
        // had emptied (line 21); inside the lock P3 and P4 bought in the
        // other order than in the good run (reads line 15, writes line 21).
        let good = vec![
            acc("P4", "read_text", 15, 1, 0),
            acc("P4", "truncate", 21, 2, 1),
            acc("P4", "write_text", 21, 3, 2),
            acc("P1", "read_text", 10, 4, 0),
            acc("P3", "read_text", 15, 5, 0),
            acc("P3", "truncate", 21, 6, 1),
            acc("P3", "write_text", 21, 7, 2),
        ];
        let bad = vec![
            acc("P3", "read_text", 15, 1, 0),
            acc("P3", "truncate", 21, 2, 1),
            acc("P1", "read_text", 10, 3, 0),
            acc("P3", "write_text", 21, 4, 2),
            acc("P4", "read_text", 15, 5, 0),
            acc("P4", "truncate", 21, 6, 1),
            acc("P4", "write_text", 21, 7, 2),
        ];
        let c = explain_accesses(&bad, &good, Some("P1"));
        assert!(c.why.iter().all(|w| (w.op.process.as_str(), w.op.line) == ("P1", 10)), "{c:?}");
        // Between P3's emptying and its write (it also came before P4's
        // writes, which the good run had before it).
        let p3 = c.why.iter().find(|w| w.after.as_ref().is_some_and(|a| a.process == "P3")).expect("P3's emptying named");
        assert_eq!(p3.after.as_ref().map(|a| a.line), Some(21));
        assert_eq!(p3.before.iter().map(|a| (a.process.as_str(), a.line)).collect::<Vec<_>>(), [("P3", 21)]);
        // Without naming the failed process, the buyers' read-modify-writes
        // (whose order differed too) are what is said.
        let c = explain_accesses(&bad, &good, None);
        assert!(c.why.iter().all(|w| w.op.line == 15), "{c:?}");
    }
}
