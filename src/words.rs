//! The sentences forkscope writes about a run, in English or Chinese.
//!
//! The model keeps what happened as kinds and ids ([`LogEvent`], [`Said`],
//! [`Deadlock`], [`PState`]); this module says it in a [`Lang`]. The
//! dashboard says it in the language the viewer chose (`L` toggles);
//! headless output, `--json` and the exporters' text stay English
//! (machine-read, and compared by tests). What a lesson itself printed, its
//! error messages and the names of processes and resources are never
//! translated: they are the program's.
//!
//! Chinese follows the course notes' vocabulary: 进程, 锁, 阻塞, 唤醒, 持有,
//! 释放, 终止, 守护进程, 退出码, 死锁.

use crate::model::summary::{EndReason, FindingOut, ProcessSummary, Summary};
use crate::model::{Deadlock, Finding, LogEvent, Model, PState, Said};
use crate::vocab::{Lane, ResId};

pub use crate::vocab::Lang;

fn sig(s: i32) -> String {
    crate::sys::signal_name(s)
}

/// A process's state in a word or two: `ready`, `exited 0`, `killed by
/// SIGTERM` (就绪, 已结束 0, 被 SIGTERM 杀死).
/// `a deadlock`, `an assertion`: English's article before `word`.
pub fn a_or_an(word: &str) -> String {
    let vowel = word.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {word}", if vowel { "an" } else { "a" })
}

/// `1 interleaving`, `36 interleavings`: `n` and the English noun, singular or plural.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

pub fn state(s: PState, l: Lang) -> String {
    match (s, l) {
        (PState::Starting, _) => l.pick("starting", "启动中").into(),
        (PState::Running, _) => l.pick("running", "运行").into(),
        (PState::Ready, _) => l.pick("ready", "就绪").into(),
        (PState::Blocked, _) => l.pick("blocked", "阻塞").into(),
        (PState::Sleeping, _) => l.pick("sleeping", "睡眠").into(),
        (PState::Exited(c), Lang::En) => format!("exited {c}"),
        (PState::Exited(c), Lang::Zh) => format!("已结束 {c}"),
        (PState::Killed(s), Lang::En) => format!("killed by {}", sig(s)),
        (PState::Killed(s), Lang::Zh) => format!("被 {} 杀死", sig(s)),
    }
}

/// What `lane` did or saw, without its name (the log writes the name before
/// it): `started Process-1, pid 7`, `woke Process-2: Lock-1 is handed to it`.
pub fn event(m: &Model, ev: &LogEvent, l: Lang) -> String {
    let p = |lane: Lane| m.pname(lane);
    let r = |res: ResId| m.rname(res);
    match (ev, l) {
        (LogEvent::Started { child, pid, daemon }, Lang::En) => format!("started {}{}, pid {pid}", p(*child), if *daemon { " (daemon)" } else { "" }),
        (LogEvent::Started { child, pid, daemon }, Lang::Zh) => format!("启动了 {}{},pid {pid}", p(*child), if *daemon { "(守护进程)" } else { "" }),
        (LogEvent::Blocked { op, res: Some(res), holder, .. }, Lang::En) => {
            format!("blocked in {} on {}{}", op.api_name(), r(*res), holder.map(|h| format!(" held by {}", p(h))).unwrap_or_default())
        }
        (LogEvent::Blocked { op, res: Some(res), holder, .. }, Lang::Zh) => {
            format!("阻塞在 {} {}{}", op.api_name(), r(*res), holder.map(|h| format!("(被 {} 持有)", p(h))).unwrap_or_default())
        }
        (LogEvent::Blocked { op, on: Some(o), .. }, Lang::En) => format!("blocked in {}({})", op.api_name(), p(*o)),
        (LogEvent::Blocked { op, on: Some(o), .. }, Lang::Zh) => format!("阻塞在 {}({})", op.api_name(), p(*o)),
        (LogEvent::Blocked { op, .. }, Lang::En) => format!("blocked in {}", op.api_name()),
        (LogEvent::Blocked { op, .. }, Lang::Zh) => format!("阻塞在 {}", op.api_name()),
        (LogEvent::Woke { woken, res, handed: true, .. }, Lang::En) => format!("woke {}: {} is handed to it", p(*woken), r(*res)),
        (LogEvent::Woke { woken, res, handed: true, .. }, Lang::Zh) => format!("唤醒了 {}:{} 交给了它", p(*woken), r(*res)),
        (LogEvent::Woke { woken, op, res, .. }, Lang::En) => format!("woke {} (waiting in {} on {})", p(*woken), op.api_name(), r(*res)),
        (LogEvent::Woke { woken, op, res, .. }, Lang::Zh) => format!("唤醒了 {}(它在 {} {} 中等待)", p(*woken), op.api_name(), r(*res)),
        (LogEvent::TimedOut { op }, Lang::En) => format!("{} timed out", op.api_name()),
        (LogEvent::TimedOut { op }, Lang::Zh) => format!("{} 超时", op.api_name()),
        (LogEvent::Sent { signal, to }, Lang::En) => format!("sent {} to {}", sig(*signal), p(*to)),
        (LogEvent::Sent { signal, to }, Lang::Zh) => format!("向 {} 发送了 {}", p(*to), sig(*signal)),
        (LogEvent::GaveUpJoin { on }, Lang::En) => format!("gave up joining {} (timeout)", p(*on)),
        (LogEvent::GaveUpJoin { on }, Lang::Zh) => format!("join {} 超时,不再等待", p(*on)),
        (LogEvent::Joined { on, exitcode }, Lang::En) => format!("joined {} (exitcode {exitcode})", p(*on)),
        (LogEvent::Joined { on, exitcode }, Lang::Zh) => format!("join 了 {}(退出码 {exitcode})", p(*on)),
        (LogEvent::Ended { state: s }, _) => match (s, l) {
            (PState::Exited(c), Lang::Zh) => format!("已结束,退出码 {c}"),
            _ => state(*s, l),
        },
        (LogEvent::Closing, Lang::En) => "the run is over: forkscope ends every process still alive".into(),
        (LogEvent::Closing, Lang::Zh) => "运行结束了:forkscope 结束所有还活着的进程".into(),
        (LogEvent::UserSent { signal, to }, Lang::En) => format!("you sent {} to {}", sig(*signal), p(*to)),
        (LogEvent::UserSent { signal, to }, Lang::Zh) => format!("你向 {} 发送了 {}", p(*to), sig(*signal)),
        (LogEvent::Shared { write, res, place, value }, _) => {
            let at = format!("{}{}", r(*res), place.suffix());
            match (write, matches!(place, crate::model::Place::Call(_)), l) {
                (false, _, Lang::En) => format!("read {at} = {value}"),
                (true, false, Lang::En) => format!("wrote {at} = {value}"),
                (true, true, Lang::En) => format!("called {at}: {} is now {value}", r(*res)),
                (false, _, Lang::Zh) => format!("读取 {at} = {value}"),
                (true, false, Lang::Zh) => format!("写入 {at} = {value}"),
                (true, true, Lang::Zh) => format!("调用 {at}:{} 现在是 {value}", r(*res)),
            }
        }
        (LogEvent::Report { key, value }, _) => format!("{} {key} = {}", l.pick("report", "报告"), crate::model::summary::show_value(value)),
        (LogEvent::Finding(s), _) => said(m, s, l),
    }
}

/// An event as one English sentence with its subject, as headless prints it
/// (`Process-1 started Process-2, pid 7`; the conductor's own lines and
/// reports have none).
pub fn event_sentence(m: &Model, lane: Lane, ev: &LogEvent) -> String {
    let body = event(m, ev, Lang::En);
    match ev {
        LogEvent::Closing | LogEvent::UserSent { .. } | LogEvent::Report { .. } | LogEvent::Finding(_) => body,
        LogEvent::TimedOut { .. } => format!("{}: {body}", m.pname(lane)),
        _ => format!("{} {body}", m.pname(lane)),
    }
}

/// What a finding says (its subject included).
pub fn said(m: &Model, s: &Said, l: Lang) -> String {
    match s {
        Said::Text(t) => t.clone(),
        Said::Of { lane, text } => format!("{}: {text}", m.pname(*lane)),
        Said::EndedHolding { lane, signal, daemon, res } => {
            let name = m.pname(*lane);
            let sep = l.pick(", ", "、");
            let names = res.iter().map(|r| m.rname(*r)).collect::<Vec<_>>().join(sep);
            match (l, signal) {
                (Lang::En, Some(s)) if *daemon => format!("{name} was killed by {} (a daemon, ended with main's code) inside its critical section, holding {names}: it is never released, so whoever waits for it waits forever", sig(*s)),
                (Lang::En, Some(s)) => format!("{name} was killed by {} while holding {names}: it is never released, so whoever waits for it waits forever", sig(*s)),
                (Lang::En, None) => format!("{name} ended while holding {names}: it is never released, so whoever waits for it waits forever"),
                (Lang::Zh, Some(s)) if *daemon => format!("{name}(守护进程,随主进程的代码结束)在临界区里被 {} 杀死,还持有 {names}:它永远不会被释放,等它的进程会一直等下去", sig(*s)),
                (Lang::Zh, Some(s)) => format!("{name} 持有 {names} 时被 {} 杀死:它永远不会被释放,等它的进程会一直等下去", sig(*s)),
                (Lang::Zh, None) => format!("{name} 结束时还持有 {names}:它永远不会被释放,等它的进程会一直等下去"),
            }
        }
        Said::ReleasedOthers { lane, res, holder } => {
            let (name, r, h) = (m.pname(*lane), m.rname(*res), m.pname(*holder));
            match l {
                Lang::En => format!("{name} released {r}, which {h} holds"),
                Lang::Zh => format!("{name} 释放了 {h} 持有的 {r}"),
            }
        }
    }
}

/// A finding's message (its kind aside).
pub fn finding(m: &Model, f: &Finding, l: Lang) -> String {
    said(m, &f.said, l)
}

/// The summary's word on records that never arrived whole: `dropped` (a
/// writer's ring stayed full with no conductor collecting: only a segment
/// nobody drains, or a writer scribbling on its own ring's indices) and
/// `corrupt` (arrived unreadable). `None` when every record arrived. English:
/// the headless summary is read by programs too.
pub fn lost_records(dropped: u64, corrupt: u64) -> Option<String> {
    let mut parts = Vec::new();
    if dropped > 0 {
        parts.push(format!("{dropped} records were dropped (a ring stayed full)"));
    }
    if corrupt > 0 {
        parts.push(format!("{corrupt} records arrived unreadable (the run's shared memory was damaged by a process of the run)"));
    }
    (!parts.is_empty()).then(|| format!("{}: the log and the model may miss what they said", parts.join(", ")))
}

/// A finding's kind as a reader names it: `error` (错误), `ended_holding`
/// (持有时结束), …; a kind this module does not know stays as it is.
pub fn finding_kind(kind: &str, l: Lang) -> &str {
    if l == Lang::En {
        return kind;
    }
    match kind {
        "error" => "错误",
        "assertion" => "断言失败",
        "bad" => "坏结果",
        "ended_holding" => "持有时结束",
        "misuse" => "误用",
        "deadlock" => "死锁",
        "timeout" => "超时",
        "lost" => "记录丢失",
        other => other,
    }
}

/// A deadlock without its leading word: who waits for what and who holds
/// it (a cycle), or who is blocked where (a stall).
pub fn deadlock_body(m: &Model, d: &Deadlock, l: Lang) -> String {
    let p = |lane: Lane| m.pname(lane);
    let r = |res: ResId| m.rname(res);
    if d.kind == "cycle" {
        let waits: Vec<String> = d
            .waits
            .iter()
            .map(|w| {
                let what = match (w.res, w.on) {
                    (Some(res), _) => r(res),
                    (None, Some(o)) => format!("join({})", p(o)),
                    _ => "?".into(),
                };
                match l {
                    Lang::En => format!("{} waits for {what}", p(w.lane)),
                    Lang::Zh => format!("{} 在等 {what}", p(w.lane)),
                }
            })
            .collect();
        let holders: Vec<String> = d
            .waits
            .iter()
            .filter_map(|w| {
                let (res, owner) = (w.res?, w.owner?);
                Some(match l {
                    Lang::En => format!("{} is held by {}", r(res), p(owner)),
                    Lang::Zh => format!("{} 被 {} 持有", r(res), p(owner)),
                })
            })
            .collect();
        let (comma, semi) = (l.pick(", ", ","), l.pick("; ", ";"));
        let mut s = waits.join(comma);
        if !holders.is_empty() {
            s.push_str(semi);
            s.push_str(&holders.join(comma));
        }
        return s;
    }
    let parts: Vec<String> = d
        .waits
        .iter()
        .map(|w| match ((w.res, w.on), l) {
            ((Some(res), _), Lang::En) => format!("{} in {} on {}", p(w.lane), w.op.api_name(), r(res)),
            ((Some(res), _), Lang::Zh) => format!("{} 在 {} {}", p(w.lane), w.op.api_name(), r(res)),
            ((None, Some(o)), Lang::En) => format!("{} in join({})", p(w.lane), p(o)),
            ((None, Some(o)), Lang::Zh) => format!("{} 在 join({})", p(w.lane), p(o)),
            (_, Lang::En) => format!("{} in {}", p(w.lane), w.op.api_name()),
            (_, Lang::Zh) => format!("{} 在 {}", p(w.lane), w.op.api_name()),
        })
        .collect();
    match l {
        Lang::En => format!("every process left is blocked and nothing can wake one ({})", parts.join("; ")),
        Lang::Zh => format!("剩下的进程都阻塞了,没有谁能唤醒它们({})", parts.join(";")),
    }
}

/// A deadlock as one sentence: `deadlock: A waits for Lock-1, …` or
/// `stalled: every process left is blocked …` (headless, `--json`).
pub fn deadlock(m: &Model, d: &Deadlock, l: Lang) -> String {
    let lead = match (d.kind.as_str(), l) {
        ("cycle", Lang::En) => "deadlock: ",
        ("cycle", Lang::Zh) => "死锁:",
        (_, Lang::En) => "stalled: ",
        (_, Lang::Zh) => "停滞:",
    };
    format!("{lead}{}", deadlock_body(m, d, l))
}

/// The closing summary of a run that ended for `reason`, its findings said
/// in English: the summary is read by programs and compared by tests.
pub fn summary(model: &Model, reason: &EndReason, lesson: &str, seed: u64, params: std::collections::BTreeMap<String, serde_json::Value>) -> Summary {
    let outcome = Summary::outcome(model, reason);
    // The summary is read by programs and compared by tests: English.
    let en = Lang::En;
    let out = |kind: &str, message: String, processes: &[Lane], resources: &[ResId]| FindingOut {
        kind: kind.into(),
        message,
        processes: processes.iter().map(|p| model.pname(*p)).collect(),
        resources: resources.iter().map(|r| model.rname(*r)).collect(),
        name: None,
    };
    let mut findings: Vec<FindingOut> = model.findings.iter().map(|f| out(&f.kind, finding(model, f, en), &f.processes, &f.resources)).collect();
    match reason {
        EndReason::Deadlock(d) => findings.push(out("deadlock", deadlock(model, d, en), &d.processes, &d.resources)),
        EndReason::Timeout => findings.push(out("timeout", "the run went past its time limit; every process was ended".into(), &[], &[])),
        EndReason::Stopped(why) => findings.push(out("stopped", why.clone(), &[], &[])),
        EndReason::AllEnded => {}
    }
    Summary {
        kind: "summary".into(),
        lesson: lesson.into(),
        seed,
        params,
        outcome,
        processes: model
            .tree_order()
            .into_iter()
            .filter_map(|(lane, _)| model.processes.get(&lane))
            .map(|p| ProcessSummary { name: p.name.clone(), pid: p.pid, ppid: p.ppid, exitcode: p.exitcode, killed_at_end: p.killed_at_close, lane: p.lane, parent: p.parent, daemon: p.daemon })
            .collect(),
        reported: model.reported.clone(),
        findings,
        steps: model.steps,
        records: model.records,
        dropped: 0,
        corrupt: 0,
        elapsed_s: 0.0,
    }
}

/// What an op did to the thing it touched, as a verb: `read`, `emptied`
/// (an `open(…, "w")`), `wrote`, `acquired`… (读取, 清空, 写入, 获取…).
pub fn access_verb(op: &str, l: Lang) -> &'static str {
    let (en, zh) = match op {
        "read_json" | "read_text" | "load" | "is_set" | "qsize" | "empty" | "full" | "poll" | "ready" => ("read", "读取"),
        "truncate" => ("emptied", "清空"),
        "write_json" | "write_text" | "store" => ("wrote", "写入"),
        "append_text" => ("appended to", "追加写入"),
        "acquire" => ("acquired", "获取"),
        "release" => ("released", "释放"),
        "put" | "put_nowait" => ("put into", "放入"),
        "get" | "get_nowait" => ("took from", "取出"),
        "send" | "send_socket" => ("sent on", "发送到"),
        "recv" | "recv_socket" => ("received from", "接收自"),
        "set" => ("set", "设置"),
        "clear" => ("cleared", "清除"),
        "wait" => ("waited on", "等待"),
        "notify" | "notify_all" => ("notified", "通知"),
        "wait:acquire" => ("tried to acquire", "试图获取"),
        "wait:get" => ("waited to take from", "等待从中取出"),
        "wait:put" => ("waited to put into", "等待放入"),
        "wait:recv" => ("waited to receive from", "等待接收自"),
        w if w.starts_with("wait:") => ("waited on", "等待"),
        _ => ("used", "使用"),
    };
    l.pick(en, zh)
}

/// `(line 22, open 'w')` (`(第 22 行,open 'w')`): where an access was; empty when nothing is known.
fn access_where(a: &crate::model::conflict::Access, l: Lang) -> String {
    let open = if a.op == "truncate" { Some("open 'w'") } else { None };
    match (a.line, open, l) {
        (0, None, _) => String::new(),
        (0, Some(o), Lang::En) => format!(" ({o})"),
        (0, Some(o), Lang::Zh) => format!("({o})"),
        (n, None, Lang::En) => format!(" (line {n})"),
        (n, None, Lang::Zh) => format!("(第 {n} 行)"),
        (n, Some(o), Lang::En) => format!(" (line {n}, {o})"),
        (n, Some(o), Lang::Zh) => format!("(第 {n} 行,{o})"),
    }
}

/// `Process-1 emptied it (line 22, open 'w')`, or with the thing named.
fn access_said(a: &crate::model::conflict::Access, named: bool, l: Lang) -> String {
    let what = if named { a.resource.clone() } else { l.pick("it", "它").to_string() };
    match l {
        Lang::En => format!("{} {} {what}{}", a.process, access_verb(&a.op, l), access_where(a, l)),
        Lang::Zh => format!("{} {}{}{what}{}", a.process, access_verb(&a.op, l), if named { " " } else { "" }, access_where(a, l)),
    }
}

/// Why a counterexample went wrong, one reason: "Process-3 read ticket
/// (line 12) after Process-2 emptied it (line 20, open 'w') and before
/// Process-2 wrote it (line 21)".
pub fn conflict(w: &crate::model::conflict::Why, l: Lang) -> String {
    let x = &w.op;
    let q = w.before.first().map_or("", |a| a.process.as_str());
    let before: Vec<String> = w.before.iter().map(|a| match l {
        Lang::En => format!("{} it{}", access_verb(&a.op, l), access_where(a, l)),
        Lang::Zh => format!("{}它{}", access_verb(&a.op, l), access_where(a, l)),
    }).collect();
    match (l, &w.after) {
        (Lang::En, Some(a)) if before.is_empty() => format!("{} {} {}{} after {}", x.process, access_verb(&x.op, l), x.resource, access_where(x, l), access_said(a, false, l)),
        (Lang::Zh, Some(a)) if before.is_empty() => format!("{} 在 {} 之后{}了 {}{}", x.process, access_said(a, false, l).replace('它', &format!(" {}", a.resource)), access_verb(&x.op, l), x.resource, access_where(x, l)),
        (Lang::En, Some(a)) => format!("{} {} {}{} after {} and before {q} {}", x.process, access_verb(&x.op, l), x.resource, access_where(x, l), access_said(a, false, l), before.join(" and ")),
        (Lang::En, None) => format!("{} {} {}{} before {q} {}", x.process, access_verb(&x.op, l), x.resource, access_where(x, l), before.join(" and ")),
        (Lang::Zh, Some(a)) => format!("{} 在 {} 之后、{q} {}之前{}了 {}{}", x.process, access_said(a, false, l).replace('它', &format!(" {}", a.resource)), before.join("、"), access_verb(&x.op, l), x.resource, access_where(x, l)),
        (Lang::Zh, None) => format!("{} 在 {q} {}之前{}了 {}{}", x.process, before.join("、").replacen('它', &format!(" {}", x.resource), 1), access_verb(&x.op, l), x.resource, access_where(x, l)),
    }
}

/// The order the same accesses had on a run that went well.
pub fn good_order(c: &crate::model::conflict::Conflicts, l: Lang) -> String {
    let ops: Vec<String> = c.good_order.iter().map(|a| access_said(a, true, l)).collect();
    match l {
        Lang::En => format!("on a run that went well: {}", ops.join(", then ")),
        Lang::Zh => format!("在一次正常的运行中:{}", ops.join(",然后 ")),
    }
}

/// Every sentence of why a counterexample went wrong, then the good order.
pub fn conflicts(c: &crate::model::conflict::Conflicts, l: Lang) -> Vec<String> {
    if c.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for s in c.why.iter().map(|w| conflict(w, l)) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if !c.good_order.is_empty() {
        out.push(good_order(c, l));
    }
    out
}

#[cfg(test)]
mod tests;
