//! Popups over the panes: the help screen (generated from the keymap, plus
//! the timeline legend) and the details of the selected process or resource.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{Model, PState, ResourceState};
use crate::vocab::{ResId, ResKind};

use crate::ui::common::{centered, render_lines_in};
use crate::ui::keymap::{self, Scope};
use crate::ui::common::{badge, wait_text};
use crate::ui::describe::{file_line, kind_word, resource_lines};
use crate::ui::common::holder_name;
use crate::ui::state::{Dashboard, Pane, ResItem};
use crate::ui::text::{self, Lang};
use crate::ui::theme::Theme;

/// Draws `lines` in a box titled `title` in the middle of `area`, from line
/// `scroll` on; a box too short for them says on its bottom border how many
/// lines are out of view (↑↓ scroll them).
pub fn render_box(area: Rect, buf: &mut Buffer, title: String, lines: Vec<Line<'static>>, scroll: usize, th: &Theme, lang: Lang) {
    let wanted_w = lines.iter().map(|l| l.width()).max().unwrap_or(20).max(text::width(&title) + 4) as u16 + 4;
    let r = centered(area, wanted_w.min(area.width.saturating_sub(4)), lines.len() as u16 + 2);
    render_lines_in(r, buf, title, lines, scroll, th, lang);
}

#[derive(Debug)]
pub struct HelpWidget<'a> {
    scope: Scope,
    /// First row shown (the help is taller than an 80×24 screen).
    scroll: usize,
    lang: Lang,
    theme: &'a Theme,
}

impl<'a> HelpWidget<'a> {
    pub fn new(scope: Scope, lang: Lang, theme: &'a Theme) -> Self {
        HelpWidget { scope, lang, theme, scroll: 0 }
    }

    /// Shows the help from row `scroll` on.
    pub fn scroll(mut self, scroll: usize) -> Self {
        self.scroll = scroll;
        self
    }
}

impl Widget for HelpWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (l, th) = (self.lang, self.theme);
        let rows = keymap::help_rows(self.scope, l);
        let key_w = rows.iter().map(|(k, _)| text::width(k)).max().unwrap_or(4);
        let max_text = (area.width as usize).saturating_sub(key_w + 10);
        let mut lines: Vec<Line<'static>> = rows.into_iter().map(|(k, t)| Line::from(vec![Span::styled(text::pad(&k, key_w), th.bold()), Span::raw("  "), Span::raw(text::fit(t, max_text))])).collect();
        if self.scope == Scope::Dashboard {
            lines.push(Line::raw(""));
            let mut legend = vec![Span::styled(format!("{}: ", l.pick("timeline", "时间线")), th.dim())];
            // Frozen with `z` (SIGSTOP): the state badge says `stopped`.
            legend.extend(crate::ui::common::timeline_legend(&[PState::Running, PState::Ready, PState::Blocked, PState::Sleeping, PState::Starting, PState::Killed(9)], true, true, l, th));
            lines.push(Line::from(legend));
        }
        render_box(area, buf, format!("{} — esc {}", l.pick("Keys", "按键"), l.pick("closes", "关闭")), lines, self.scroll, th, l);
    }
}

#[derive(Debug)]
pub struct DetailsWidget<'a> {
    dash: &'a Dashboard,
    pane: Pane,
}

impl<'a> DetailsWidget<'a> {
    pub fn new(dash: &'a Dashboard, pane: Pane) -> Self {
        DetailsWidget { dash, pane }
    }
}

fn kv(k: &str, v: String, th: &Theme) -> Line<'static> {
    Line::from(vec![Span::styled(text::pad(k, 12), th.dim()), Span::raw(v)])
}

/// What a resource's generic fields mean for its kind, as labelled rows
/// (see `model::ResourceState`): a Lock is held by someone or free, not
/// `value 1`.
pub fn resource_facts(m: &Model, rs: &ResourceState, l: Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut row = |k: (&str, &str), v: String| out.push((l.pick(k.0, k.1).to_string(), v));
    let owner = || rs.owner.map(|o| holder_name(m, o, l));
    match rs.kind {
        ResKind::Lock => row(("state", "状态"), owner().map_or_else(|| l.pick("free", "空闲").into(), |o| format!("{} {o}", l.pick("held by", "持有者")))),
        ResKind::RLock => {
            row(("state", "状态"), owner().map_or_else(|| l.pick("free", "空闲").into(), |o| format!("{} {o}", l.pick("held by", "持有者"))));
            if rs.owner.is_some() {
                row(("depth", "重入次数"), match l {
                    Lang::En => format!("acquired {} times without release", rs.count),
                    Lang::Zh => format!("获取 {} 次尚未释放", rs.count),
                });
            }
        }
        ResKind::Semaphore | ResKind::BoundedSemaphore => {
            row(("free units", "可用名额"), format!("{} / {}", rs.value, rs.capacity));
            let holders: Vec<String> = rs.holders.iter().map(|h| holder_name(m, *h, l)).collect();
            row(("held by", "持有者"), if holders.is_empty() { "-".into() } else { holders.join(", ") });
        }
        ResKind::Event => row(("flag", "标志"), l.pick(if rs.value != 0 { "set" } else { "clear" }, if rs.value != 0 { "已设置" } else { "未设置" }).into()),
        ResKind::Condition => {
            row(("lock", "锁"), m.rname(ResId(rs.capacity as u32)));
            row(("lock held by", "锁的持有者"), owner().unwrap_or_else(|| "-".into()));
        }
        ResKind::Barrier => {
            row(("waiting", "等待中"), format!("{} / {}", rs.value, rs.capacity));
            if rs.count != 0 {
                row(("state", "状态"), l.pick("broken", "已损坏").into());
            }
        }
        ResKind::Queue | ResKind::JoinableQueue => {
            let max = if rs.capacity > 0 { rs.capacity.to_string() } else { l.pick("unbounded", "无限").into() };
            row(("items", "条目"), format!("{} ({} {max})", rs.value, l.pick("maxsize", "最大")));
            if rs.kind == ResKind::JoinableQueue {
                row(("unfinished", "未完成"), rs.count.to_string());
            }
        }
        ResKind::Pipe => {
            row(("in transit", "在途"), rs.value.to_string());
            row(("ends", "两端"), l.pick(if rs.capacity != 0 { "duplex" } else { "one-way" }, if rs.capacity != 0 { "双向" } else { "单向" }).into());
            let closed = match rs.count & 3 {
                0 => None,
                3 => Some(l.pick("both ends", "两端都已关闭").to_string()),
                b => Some(match l {
                    Lang::En => format!("end {}", b - 1),
                    Lang::Zh => format!("端 {} 已关闭", b - 1),
                }),
            };
            if let Some(c) = closed {
                row(("closed", "关闭"), c);
            }
        }
        ResKind::Value | ResKind::Array => {
            row(("value", "值"), text::one_line(&rs.text));
            if rs.kind == ResKind::Array {
                row(("length", "长度"), rs.capacity.to_string());
            }
        }
        ResKind::Pool => {
            row(("workers", "工作进程"), rs.capacity.to_string());
            row(("pending", "待办"), rs.value.to_string());
            row(("running", "执行中"), rs.count.to_string());
        }
        ResKind::Socket => {
            row(("address", "地址"), text::one_line(&rs.text));
            // A connection (`← client`, `→ server`) accepts nothing itself.
            if !rs.text.starts_with(['←', '→']) {
                row(("accepted", "已接受"), rs.value.to_string());
            }
        }
        ResKind::AsyncResult => {
            row(("parts done", "已完成"), format!("{} / {}", rs.count, rs.capacity));
            if rs.value != 0 {
                row(("result", "结果"), text::one_line(&rs.text));
            }
        }
        ResKind::File => row(("content", "内容"), text::one_line(&rs.text)),
        ResKind::Managed => row(("value", "值"), text::one_line(&rs.text)),
    }
    out
}

impl Widget for DetailsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (m, l, th) = (&d.model, d.lang, &d.theme);
        let mut lines = Vec::new();
        let title;
        if self.pane == Pane::Resources {
            match d.selected_res() {
                Some(ResItem::Res(id)) => {
                    let Some(rs) = m.resources.get(&id) else { return };
                    title = format!("{} {}", kind_word(rs), rs.name);
                    lines.extend(resource_lines(m, rs, l, th, (area.width as usize).saturating_sub(8)));
                    lines.push(Line::raw(""));
                    lines.push(kv(l.pick("created by", "创建者"), m.pname(rs.creator), th));
                    for (k, v) in resource_facts(m, rs, l) {
                        lines.push(kv(&k, v, th));
                    }
                }
                Some(ResItem::File(p)) => {
                    let Some(f) = m.files.get(&p) else { return };
                    title = format!("{} {}", l.pick("file", "文件"), f.path);
                    lines.push(file_line(m, f, d.lesson.engine, l, th, (area.width as usize).saturating_sub(8)));
                    lines.push(kv(l.pick("content", "内容"), text::one_line(&f.preview), th));
                }
                None => return,
            }
        } else {
            let Some(p) = d.selected_lane().and_then(|s| m.processes.get(&s)) else { return };
            title = match l {
                Lang::En => format!("process {} (lane {})", p.name, p.lane),
                Lang::Zh => format!("进程 {}(泳道 {})", p.name, p.lane),
            };
            let frozen = d.status.frozen.contains(&p.lane);
            lines.push(kv("pid / ppid", format!("{} / {}", p.pid, p.ppid), th));
            lines.push(kv(l.pick("parent", "父进程"), p.parent.map(|x| m.pname(x)).unwrap_or_else(|| "forkscope".into()), th));
            lines.push(kv(l.pick("target", "目标函数"), format!("{}{}", p.target, if p.daemon { l.pick(" (daemon)", "(守护进程)") } else { "" }), th));
            lines.push(Line::from(vec![Span::styled(text::pad(l.pick("state", "状态"), 12), th.dim()), Span::styled(badge(p, frozen, l), th.state(p.state, frozen))]));
            if let Some(w) = wait_text(m, p, l, true) {
                lines.push(kv(l.pick("waits for", "等待"), w, th));
            }
            if let Some((by, res)) = p.woken_by {
                let what = res.map(|r| format!(" ({})", m.rname(r))).unwrap_or_default();
                lines.push(kv(l.pick("last woken by", "上次唤醒者"), format!("{}{what}", m.pname(by)), th));
            }
            lines.push(kv(l.pick("line", "行"), p.line.to_string(), th));
            if let Some(c) = p.exitcode {
                lines.push(kv(l.pick("exitcode", "退出码"), c.to_string(), th));
            }
            let holds: Vec<String> = p.holds.iter().map(|r| m.rname(*r)).collect();
            lines.push(kv(l.pick("holds", "持有"), if holds.is_empty() { "-".into() } else { holds.join(", ") }, th));
            let last = p.last_op.map(|o| format!("{}{}{}", l.pick(" (last: ", "(最近:"), crate::ui::common::op_word(o, d.lesson.engine), l.pick(")", ")"))).unwrap_or_default();
            lines.push(kv(l.pick("ops", "操作数"), format!("{}{last}", p.ops), th));
            lines.push(Line::raw(""));
            lines.push(Line::styled(l.pick("recent states:", "最近的状态:"), th.dim()));
            for (t, s) in p.history.iter().rev().take(8).rev() {
                lines.push(Line::from(vec![Span::styled(format!("{:>8}  ", text::secs(*t)), th.dim()), Span::styled(crate::words::state(*s, l), th.state(*s, false))]));
            }
        }
        render_box(area, buf, format!("{title} — esc {}", l.pick("closes", "关闭")), lines, d.view.overlay_scroll, th, l);
    }
}
