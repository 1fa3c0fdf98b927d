//! What a resource or a file is, in lines: a lock's owner and waiters, a
//! semaphore's gauge, an event's flag, a queue's depth and items, a pipe, a
//! shared value's recent accesses, a pool's workers and tasks, a file's
//! preview — drawn from the generic [`ResourceState`] fields as the model
//! documents them per kind. The Resources pane lists them; the details
//! overlay shows one.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::model::{FileState, Model, Place, ResourceState, ValueAccess};
use crate::vocab::{Lane, ResKind};

use crate::ui::common::{holder_name, holder_names};
use crate::ui::text::{self, Lang, Part};
use crate::ui::theme::Theme;
/// A gauge of `value` out of `cap` in `w` cells.
pub fn bar(value: i64, cap: i64, w: usize) -> String {
    let cap = cap.max(1);
    let full = ((value.clamp(0, cap) as usize * w) + (cap as usize / 2)) / cap as usize;
    format!("{}{}", "█".repeat(full.min(w)), "░".repeat(w - full.min(w)))
}

fn names(m: &Model, lanes: &[Lane]) -> Vec<String> {
    lanes.iter().map(|l| m.pname(*l)).collect()
}

/// One of a shared Value's, Array's or manager's object's recent reads and
/// writes as parts of a line (see [`text::fit_parts`]): `Process-2 wrote 900
/// @4` (@ the step it came after; none in a free run), `Process-2 wrote
/// [1]=5`, `Process-3 read ['balance']=1000`, `Process-2 called .append(5) →
/// [5]`. Shortened, the place goes first (who and the step say most),
/// then the name and the value give way. The pane shows the [`RECENT_SHOWN`] newest, one a line.
fn access_parts(m: &Model, a: &ValueAccess, l: Lang) -> Vec<(String, Part)> {
    let verb = match (a.write, l) {
        (true, Lang::En) => "wrote",
        (false, Lang::En) => "read",
        (true, Lang::Zh) => "写入",
        (false, Lang::Zh) => "读取",
    };
    let (verb, at) = match &a.place {
        Place::Value => (verb, String::new()),
        Place::Index(_) | Place::At(_) => (verb, format!("{}=", a.place.suffix())),
        Place::Call(call) if a.write => (l.pick("called", "调用"), format!("{call} → ")),
        Place::Call(call) => (verb, format!("{call} → ")),
    };
    let mut parts = vec![(m.pname(a.lane), Part::Name), (format!(" {verb} "), Part::Keep)];
    if !at.is_empty() {
        parts.push((text::one_line(&at), Part::Droppable));
    }
    parts.push((text::one_line(&a.value), Part::Name));
    if a.step > 0 {
        parts.push((format!(" @{}", a.step), Part::Keep));
    }
    parts
}

/// The word for a resource's kind: a manager's object says its Python type
/// (`dict`, `list`), the others their kind (`Lock`).
pub fn kind_word(rs: &ResourceState) -> String {
    match (rs.kind, rs.items.first()) {
        (ResKind::Managed, Some(t)) => t.clone(),
        (k, _) => k.name().to_string(),
    }
}

/// Lines of one resource: a summary line, then what waits / what it holds.
pub fn resource_lines(m: &Model, rs: &ResourceState, lang: Lang, th: &Theme, w: usize) -> Vec<Line<'static>> {
    let l = lang;
    let bar_w = (w / 5).clamp(4, 12);
    // (text, what shortening may do to it, style): see `text::fit_parts`.
    let mut head: Vec<(String, Part, Style)> = vec![(text::one_line(&rs.name), Part::Name, th.bold()), (format!(" {}", kind_word(rs)), Part::Droppable, th.dim()), ("  ".into(), Part::Keep, Style::new())];
    let mut more: Vec<(String, Vec<String>, Style)> = Vec::new(); // (label, names, style)
    let owner = rs.owner.map(|o| (holder_name(m, o, l), o));
    let mut waiters_label = l.pick("waiting", "等待中");
    let mut waiters2_label = "";
    match rs.kind {
        ResKind::Lock | ResKind::RLock => match owner {
            Some((n, o)) => {
                head.push((format!("{} ", l.pick("held by", "持有者")), Part::Keep, Style::new()));
                head.push((n, Part::Name, th.lane(o)));
                if rs.kind == ResKind::RLock && rs.count > 1 {
                    head.push((format!(" ×{}", rs.count), Part::Keep, Style::new()));
                }
            }
            None => head.push((l.pick("free", "空闲").to_string(), Part::Keep, th.good())),
        },
        ResKind::Semaphore | ResKind::BoundedSemaphore => {
            head.push((format!("{} {}/{}", bar(rs.value, rs.capacity, bar_w), rs.value, rs.capacity), Part::Keep, Style::new()));
            if !rs.holders.is_empty() {
                more.push((l.pick("held by", "持有者").into(), holder_names(m, &rs.holders, l), Style::new()));
            }
        }
        ResKind::Event => {
            if rs.value != 0 {
                head.push((l.pick("● set", "● 已设置").to_string(), Part::Keep, th.good()));
            } else {
                head.push((l.pick("○ clear", "○ 未设置").to_string(), Part::Keep, th.dim()));
            }
        }
        ResKind::Condition => {
            if let Some((n, o)) = owner {
                head.push((format!("{} ", l.pick("lock held by", "锁的持有者")), Part::Keep, Style::new()));
                head.push((n, Part::Name, th.lane(o)));
            }
            waiters_label = l.pick("in wait", "在 wait 中");
            waiters2_label = l.pick("re-acquiring", "重新获取锁");
        }
        ResKind::Barrier => {
            head.push((format!("{} {}/{}", bar(rs.value, rs.capacity, bar_w), rs.value, rs.capacity), Part::Keep, Style::new()));
            if rs.count != 0 {
                head.push((format!(" {}", l.pick("broken", "已损坏")), Part::Keep, th.bad()));
            }
        }
        ResKind::Queue | ResKind::JoinableQueue => {
            let cap = if rs.capacity > 0 { rs.capacity.to_string() } else { "∞".into() };
            let gauge_cap = if rs.capacity > 0 { rs.capacity } else { rs.value.max(bar_w as i64) };
            head.push((format!("{} {}/{cap}", bar(rs.value, gauge_cap, bar_w), rs.value), Part::Keep, Style::new()));
            if rs.kind == ResKind::JoinableQueue {
                head.push((format!(" · {} {}", l.pick("unfinished", "未完成"), rs.count), Part::Keep, Style::new()));
            }
            if !rs.items.is_empty() {
                more.push((l.pick("items", "内容").into(), rs.items.iter().map(|s| text::one_line(s)).collect::<Vec<_>>(), Style::new()));
            }
            waiters_label = l.pick("getters waiting", "等待 get");
            waiters2_label = l.pick("putters waiting", "等待 put");
        }
        ResKind::Pipe => {
            head.push((format!("{} {}", rs.value, l.pick("in transit", "条在途")), Part::Keep, Style::new()));
            if rs.closed {
                head.push((format!(" · {}", l.pick("closed", "已关闭")), Part::Keep, th.dim()));
            }
            if !rs.items.is_empty() {
                more.push((l.pick("messages", "消息").into(), rs.items.iter().map(|s| text::one_line(s)).collect::<Vec<_>>(), Style::new()));
            }
            waiters_label = l.pick("receiving", "等待 recv");
        }
        ResKind::Value | ResKind::Array => {
            head.push((format!("= {}", text::one_line(&rs.text)), Part::Keep, Style::new()));
            if let Some((n, o)) = owner {
                head.push((format!(" · {} ", l.pick("lock held by", "锁的持有者")), Part::Keep, Style::new()));
                head.push((n, Part::Name, th.lane(o)));
            }
        }
        ResKind::Managed => head.push((format!("= {}", text::one_line(&rs.text)), Part::Keep, Style::new())),
        ResKind::Pool => {
            let said = match l {
                Lang::En => format!("{} workers · {} pending · {} running", rs.capacity, rs.value, rs.count),
                Lang::Zh => format!("{} 个工作进程 · {} 个待办 · {} 个执行中", rs.capacity, rs.value, rs.count),
            };
            head.push((said, Part::Keep, Style::new()));
            if rs.closed {
                head.push((format!(" · {}", l.pick("closed", "已关闭")), Part::Keep, th.dim()));
            }
            if !rs.holders.is_empty() {
                more.push((l.pick("workers", "工作进程").into(), names(m, &rs.holders), Style::new()));
            }
            waiters_label = l.pick("in get", "在 get 中");
            waiters2_label = l.pick("in join", "在 join 中");
        }
        // A connection shows its other end (`← client`, `→ server`); a
        // listening socket its address and the connections it accepted.
        ResKind::Socket if rs.text.starts_with(['←', '→']) => head.push((text::one_line(&rs.text), Part::Keep, Style::new())),
        ResKind::Socket => {
            head.push((format!("{} · {} {}", text::one_line(&rs.text), rs.value, l.pick("accepted", "个连接")), Part::Keep, Style::new()));
        }
        ResKind::AsyncResult => {
            if rs.value != 0 {
                head.push((format!("{}: {}", l.pick("ready", "就绪"), text::one_line(&rs.text)), Part::Keep, th.good()));
            } else {
                head.push((l.pick("pending", "等待结果").to_string(), Part::Keep, th.dim()));
            }
            waiters_label = l.pick("in get", "在 get 中");
        }
        ResKind::File => head.push((text::one_line(&rs.text), Part::Keep, Style::new())),
    }
    if !rs.waiters.is_empty() {
        more.push((waiters_label.into(), names(m, &rs.waiters), th.bad()));
    }
    // A queue's second line holds its putters and its `join()` waiters: said apart.
    let joining = |w: &Lane| matches!(rs.kind, ResKind::Queue | ResKind::JoinableQueue) && m.processes.get(w).and_then(|p| p.wait.as_ref()).is_some_and(|x| x.op == crate::vocab::Op::QueueJoin);
    let (joiners, second): (Vec<Lane>, Vec<Lane>) = rs.waiters2.iter().partition(|w| joining(w));
    if !second.is_empty() {
        let label = if waiters2_label.is_empty() { l.pick("also waiting", "也在等待") } else { waiters2_label };
        more.push((label.into(), names(m, &second), th.bad()));
    }
    if !joiners.is_empty() {
        more.push((l.pick("in join (tasks unfinished)", "在 join 中(任务未完成)").into(), names(m, &joiners), th.bad()));
    }
    text::fit_parts(&mut head, w);
    let mut out = vec![Line::from(head.into_iter().map(|(t, _, st)| Span::styled(t, st)).collect::<Vec<_>>())];
    for (label, who, style) in more {
        out.push(Line::styled(text::fit_names(&format!("  {label}: "), &who, w), style));
    }
    // A shared number's latest reads and writes, one a line (a lost update
    // reads down the pane): the newest first.
    if matches!(rs.kind, ResKind::Value | ResKind::Array | ResKind::Managed) {
        for a in rs.accesses.iter().rev().take(RECENT_SHOWN) {
            let mut parts: Vec<(String, Part, ())> = std::iter::once(("  ".to_string(), Part::Keep)).chain(access_parts(m, a, l)).map(|(t, p)| (t, p, ())).collect();
            text::fit_parts(&mut parts, w);
            out.push(Line::styled(text::fit(&parts.into_iter().map(|(t, _, _)| t).collect::<String>(), w), th.dim()));
        }
    }
    out
}

/// Reads and writes shown under a Value or Array (the model keeps more).
pub const RECENT_SHOWN: usize = 3;

/// The line of a file: its path, a preview of its content, the last op on it
/// (in the program's words: see [`op_word`](crate::ui::common::op_word)).
/// At `w` columns the path and the preview are shortened (after the word
/// `file` and the last op go), never cut by the pane's edge.
pub fn file_line(m: &Model, f: &FileState, engine: crate::codec::Engine, lang: Lang, th: &Theme, w: usize) -> Line<'static> {
    let mut parts = vec![
        (text::one_line(&f.path), Part::Name, th.bold()),
        (format!(" {} ", lang.pick("file", "文件")), Part::Droppable, th.dim()),
        (text::one_line(&f.preview), Part::Name, Style::new()),
        (format!("  ({} · {})", crate::ui::common::op_word(f.last_op, engine), m.pname(f.last_lane)), Part::Droppable, th.dim()),
    ];
    text::fit_parts(&mut parts, w);
    if parts.len() == 2 {
        // The word `file` went: a space between the path and the preview.
        parts.insert(1, (" ".into(), Part::Keep, Style::new()));
        text::fit_parts(&mut parts, w);
    }
    Line::from(parts.into_iter().map(|(t, _, st)| Span::styled(t, st)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_round_and_clamp() {
        assert_eq!(bar(2, 4, 4), "██░░");
        assert_eq!(bar(0, 4, 4), "░░░░");
        assert_eq!(bar(9, 4, 4), "████");
        assert_eq!(bar(1, 3, 6), "██░░░░");
    }
}
