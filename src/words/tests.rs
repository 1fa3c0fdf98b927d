//! The sentences, in both languages, from a model fed with records.

use super::*;
use crate::model::RecordKind;
use crate::vocab::{Op, ResKind};

use crate::model::feed::Feed;

/// MainProcess (lane 1) started by forkscope, and its children `names`
/// (lanes 2…; the second is a daemon).
fn feed(names: &[&str]) -> Feed {
    let mut f = Feed::new();
    f.spawn_as(0, 1, "MainProcess", "main", false);
    for (i, n) in names.iter().enumerate() {
        f.spawn_as(1, i as u32 + 2, n, "f", i == 1);
    }
    f
}

/// Every log line as (lane, English, Chinese), forkscope's own lines only.
fn said(f: &Feed) -> Vec<(crate::vocab::Lane, String, String)> {
    f.m.log.iter().filter_map(|e| e.event.as_ref().map(|ev| (e.lane, event(&f.m, ev, Lang::En), event(&f.m, ev, Lang::Zh)))).collect()
}

/// True if `s` has a run of three ASCII letters outside the names `keep`
/// (longest first: one may contain another):
/// an English word left in a Chinese sentence.
fn english_left(s: &str, keep: &[&str]) -> bool {
    let mut s = s.to_string();
    for k in keep {
        s = s.replace(k, "");
    }
    s.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() >= 3)
}

#[test]
fn every_event_is_said_in_english_and_in_chinese() {
    let mut f = feed(&["alex", "egon"]);
    f.at(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "fork".into(), capacity: 1 });
    f.at(2, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 0, d: 0, detail: None });
    f.at(3, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: false });
    f.at(1, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    f.at(2, RecordKind::Op { op: Op::Release, res: Some(ResId(0)), other: Some(Lane(3)), a: 1, b: 0, c: 0, d: 0, detail: None });
    f.at(2, RecordKind::Wake { op: Op::Acquire, res: Some(ResId(0)), woken: Lane(3) });
    f.at(2, RecordKind::Report { key: "sold".into(), value: serde_json::json!(0.30000000000000004) });
    f.at(0, RecordKind::Signal { process: Lane(3), signal: 9 });
    f.at(0, RecordKind::Ended { process: Lane(3), exitcode: -9, held: None });
    f.at(0, RecordKind::Ended { process: Lane(2), exitcode: 0, held: None });
    f.at(1, RecordKind::Op { op: Op::Join, res: None, other: Some(Lane(2)), a: 0, b: 0, c: 0, d: 0, detail: None });
    f.at(0, RecordKind::Closing);
    let said = said(&f);
    let en: Vec<&str> = said.iter().map(|(_, e, _)| e.as_str()).collect();
    let zh: Vec<&str> = said.iter().map(|(_, _, z)| z.as_str()).collect();
    assert_eq!(
        en,
        [
            "started MainProcess, pid 101",
            "started alex, pid 102",
            "started egon (daemon), pid 103",
            "blocked in acquire on fork held by alex",
            "blocked in join(alex)",
            "woke egon: fork is handed to it",
            "report sold = 0.3",
            "you sent SIGKILL to egon",
            "killed by SIGKILL",
            "egon was killed by SIGKILL (a daemon, ended with main's code) inside its critical section, holding fork: it is never released, so whoever waits for it waits forever",
            "exited 0",
            "joined alex (exitcode 0)",
            "the run is over: forkscope ends every process still alive",
        ]
    );
    assert_eq!(
        zh,
        [
            "启动了 MainProcess,pid 101",
            "启动了 alex,pid 102",
            "启动了 egon(守护进程),pid 103",
            "阻塞在 acquire fork(被 alex 持有)",
            "阻塞在 join(alex)",
            "唤醒了 egon:fork 交给了它",
            "报告 sold = 0.3",
            "你向 egon 发送了 SIGKILL",
            "被 SIGKILL 杀死",
            "egon(守护进程,随主进程的代码结束)在临界区里被 SIGKILL 杀死,还持有 fork:它永远不会被释放,等它的进程会一直等下去",
            "已结束,退出码 0",
            "join 了 alex(退出码 0)",
            "运行结束了:forkscope 结束所有还活着的进程",
        ]
    );
    // Only the program's names, the API's calls and signal names stay Latin.
    let keep = ["forkscope", "MainProcess", "alex", "egon", "fork", "sold", "acquire", "join", "SIGKILL", "pid"];
    for z in zh {
        assert!(!english_left(z, &keep), "English left in {z:?}");
    }
}

#[test]
fn headless_sentences_keep_their_subject() {
    let mut f = feed(&["a"]);
    f.at(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Queue, name: "q".into(), capacity: 0 });
    f.at(2, RecordKind::Block { op: Op::Get, res: Some(ResId(0)), other: None, holder: None, timed: true });
    f.at(2, RecordKind::Timeout { op: Op::Get, res: Some(ResId(0)), other: None });
    f.at(1, RecordKind::Op { op: Op::Kill, res: None, other: Some(Lane(2)), a: 9, b: 0, c: 0, d: 0, detail: None });
    let lines: Vec<String> = f.m.log.iter().filter_map(|e| e.event.as_ref().map(|ev| event_sentence(&f.m, e.lane, ev))).collect();
    assert_eq!(lines[0], "forkscope started MainProcess, pid 101");
    assert!(lines.contains(&"a blocked in get on q".to_string()), "{lines:?}");
    assert!(lines.contains(&"a: get timed out".to_string()), "{lines:?}");
    assert!(lines.contains(&"MainProcess sent SIGKILL to a".to_string()), "{lines:?}");
}

#[test]
fn deadlocks_and_stalls_in_both_languages() {
    let mut f = feed(&["alex", "egon"]);
    f.at(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "noodles".into(), capacity: 1 });
    f.at(1, RecordKind::Resource { res: ResId(1), kind: ResKind::Lock, name: "fork".into(), capacity: 1 });
    f.at(2, RecordKind::Op { op: Op::Acquire, res: Some(ResId(0)), other: None, a: 1, b: 1, c: 0, d: 0, detail: None });
    f.at(3, RecordKind::Op { op: Op::Acquire, res: Some(ResId(1)), other: None, a: 1, b: 1, c: 0, d: 0, detail: None });
    f.at(2, RecordKind::Block { op: Op::Acquire, res: Some(ResId(1)), other: None, holder: Some(Lane(3)), timed: false });
    f.at(3, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: false });
    let d = f.m.deadlock().expect("a cycle");
    assert_eq!(deadlock(&f.m, &d, Lang::En), "deadlock: alex waits for fork, egon waits for noodles; fork is held by egon, noodles is held by alex");
    assert_eq!(deadlock(&f.m, &d, Lang::Zh), "死锁:alex 在等 fork,egon 在等 noodles;fork 被 egon 持有,noodles 被 alex 持有");
    // MainProcess joins alex: with everyone blocked, and no cycle through it, a stall.
    let mut g = feed(&["c"]);
    g.at(1, RecordKind::Resource { res: ResId(0), kind: ResKind::Queue, name: "q".into(), capacity: 0 });
    g.at(2, RecordKind::Block { op: Op::Get, res: Some(ResId(0)), other: None, holder: None, timed: false });
    g.at(1, RecordKind::Block { op: Op::Join, res: None, other: Some(Lane(2)), holder: None, timed: false });
    let d = g.m.deadlock().expect("a stall");
    assert_eq!(d.kind, "stall");
    assert_eq!(deadlock(&g.m, &d, Lang::En), "stalled: every process left is blocked and nothing can wake one (MainProcess in join(c); c in get on q)");
    assert_eq!(deadlock(&g.m, &d, Lang::Zh), "停滞:剩下的进程都阻塞了,没有谁能唤醒它们(MainProcess 在 join(c);c 在 get q)");
}

#[test]
fn states_and_finding_kinds() {
    assert_eq!(state(PState::Killed(15), Lang::En), "killed by SIGTERM");
    assert_eq!(state(PState::Killed(15), Lang::Zh), "被 SIGTERM 杀死");
    assert_eq!(state(PState::Exited(1), Lang::Zh), "已结束 1");
    assert_eq!(state(PState::Ready, Lang::Zh), "就绪");
    assert_eq!(finding_kind("ended_holding", Lang::En), "ended_holding");
    assert_eq!(finding_kind("error", Lang::Zh), "错误");
    // The program's own text stays as it wrote it, in either language.
    let mut f = feed(&[]);
    f.at(1, RecordKind::Error { message: "ValueError: bad".into() });
    assert_eq!(finding(&f.m, &f.m.findings[0], Lang::Zh), "MainProcess: ValueError: bad");
    assert_eq!(f.m.log.last().unwrap().text, "ValueError: bad");
}

#[test]
fn english_counts_and_articles_agree() {
    assert_eq!(a_or_an("assertion"), "an assertion");
    assert_eq!(a_or_an("deadlock"), "a deadlock");
    assert_eq!(count(1, "inequivalent interleaving"), "1 inequivalent interleaving");
    assert_eq!(count(36, "inequivalent interleaving"), "36 inequivalent interleavings");
}
