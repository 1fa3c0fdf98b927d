//! The frame `forkscope snapshot` draws: a plain but complete view of a
//! [`Model`] — processes (tree, pid, state, what each waits for, what it
//! holds, its line), resources (holder, value, waiters), files and reported
//! values, and the tail of the log — in a ratatui [`Buffer`].
//!
//! It stands in for the dashboard's renderer until that lands; the snapshot
//! path only needs *a* `fn(&Model, …) -> Buffer`, so switching is one call.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::model::{LogKind, Model, PState, ResourceState};
use crate::shm::record::ResKind;

/// What the frame says about the run besides the model.
#[derive(Clone, Debug, Default)]
pub struct FrameInfo {
    /// Lesson name (`ticket-race`).
    pub lesson: String,
    /// Lesson title in the chosen language.
    pub title: String,
    /// Where the run is: `step 12`, `at 1.5 s`, `end`.
    pub moment: String,
}

/// Lane colours, as the dashboard uses them: lane N takes N mod 8.
const LANE_COLORS: [Color; 8] = [Color::Cyan, Color::Yellow, Color::Magenta, Color::Green, Color::LightBlue, Color::LightRed, Color::LightGreen, Color::LightMagenta];

fn lane_style(lane: u32) -> Style {
    Style::new().fg(LANE_COLORS[lane as usize % LANE_COLORS.len()])
}

fn state_style(s: PState) -> Style {
    match s {
        PState::Starting => Style::new().fg(Color::Gray),
        PState::Running => Style::new().fg(Color::Green),
        PState::Ready => Style::new().fg(Color::Cyan),
        PState::Blocked => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        PState::Sleeping => Style::new().fg(Color::Yellow),
        PState::Exited(0) => Style::new().fg(Color::DarkGray),
        PState::Exited(_) => Style::new().fg(Color::LightRed),
        PState::Killed(_) => Style::new().fg(Color::Red),
    }
}

const DIM: Style = Style::new().fg(Color::DarkGray);

/// Pads or cuts `s` to `w` columns (display width).
fn fit(s: &str, w: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.extend(std::iter::repeat_n(' ', w - used));
    out
}

fn names(model: &Model, lanes: &[u32]) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    for (i, l) in lanes.iter().enumerate() {
        if i > 0 {
            out.push(Span::raw(", "));
        }
        out.push(Span::styled(model.pname(*l), lane_style(*l)));
    }
    out
}

fn process_lines(model: &Model) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (lane, depth) in model.tree_order() {
        let Some(p) = model.processes.get(&lane) else { continue };
        let indent = if depth == 0 { String::new() } else { format!("{}└ ", "  ".repeat(depth - 1)) };
        let mut spans = vec![
            Span::styled(fit(&format!("{indent}{}", p.name), 18), lane_style(lane).add_modifier(Modifier::BOLD)),
            Span::styled(fit(&format!(" pid {}", p.pid), 11), DIM),
            Span::styled(fit(&p.state.label(), 11), state_style(p.state)),
            Span::styled(if p.line > 0 { fit(&format!("L{}", p.line), 5) } else { fit("", 5) }, DIM),
        ];
        if let Some(w) = &p.wait {
            let what = match (w.res, w.on) {
                (Some(r), _) => format!("{} {}", w.op, model.rname(r)),
                (None, Some(o)) => format!("{}({})", w.op, model.pname(o)),
                _ => w.op.to_string(),
            };
            let label = if p.state == PState::Sleeping { "sleeping" } else { "waits in" };
            spans.push(Span::raw(format!("{label} {what}")));
            if let Some(h) = w.holder {
                spans.push(Span::raw(" held by "));
                spans.push(Span::styled(model.pname(h), lane_style(h)));
            }
        } else if !p.holds.is_empty() {
            let held: Vec<String> = p.holds.iter().map(|r| model.rname(*r)).collect();
            spans.push(Span::styled(format!("holds {}", held.join(", ")), Style::new().add_modifier(Modifier::BOLD)));
        } else if let Some(op) = p.last_op {
            spans.push(Span::styled(format!("last: {op}"), DIM));
        }
        if p.daemon {
            spans.push(Span::styled(" (daemon)", DIM));
        }
        lines.push(Line::from(spans));
    }
    if lines.is_empty() {
        lines.push(Line::styled("(no process yet)", DIM));
    }
    lines
}

/// One line of what a resource holds, per kind (see the table on [`ResourceState`]).
fn resource_line(model: &Model, rs: &ResourceState) -> Line<'static> {
    let mut spans = vec![Span::styled(fit(rs.kind.name(), 17), DIM), Span::styled(fit(&rs.name, 16), Style::new().add_modifier(Modifier::BOLD))];
    let owner = |spans: &mut Vec<Span<'static>>, extra: String| match rs.owner {
        Some(o) => {
            spans.push(Span::raw("held by "));
            spans.push(Span::styled(model.pname(o), lane_style(o).add_modifier(Modifier::BOLD)));
            spans.push(Span::raw(extra));
        }
        None => spans.push(Span::styled("free", Style::new().fg(Color::Green))),
    };
    match rs.kind {
        ResKind::Lock => owner(&mut spans, String::new()),
        ResKind::RLock => owner(&mut spans, format!(" (depth {})", rs.count.max(rs.value))),
        ResKind::Semaphore | ResKind::BoundedSemaphore => {
            spans.push(Span::styled(format!("value {} of {}", rs.value, rs.capacity), Style::new().add_modifier(Modifier::BOLD)));
            if !rs.holders.is_empty() {
                spans.push(Span::raw(" · held by "));
                spans.extend(names(model, &rs.holders));
            }
        }
        ResKind::Event => spans.push(if rs.value != 0 { Span::styled("set", Style::new().fg(Color::Green)) } else { Span::styled("clear", DIM) }),
        ResKind::Barrier => spans.push(Span::raw(format!("{} of {} waiting{}", rs.value, rs.capacity, if rs.count != 0 { " · broken" } else { "" }))),
        ResKind::Queue | ResKind::JoinableQueue => {
            let max = if rs.capacity > 0 { format!("/{}", rs.capacity) } else { String::new() };
            spans.push(Span::styled(format!("{}{max} items", rs.value), Style::new().add_modifier(Modifier::BOLD)));
            if rs.kind == ResKind::JoinableQueue {
                spans.push(Span::raw(format!(" · {} unfinished", rs.count)));
            }
            if !rs.items.is_empty() {
                spans.push(Span::styled(format!(" [{}]", rs.items.join(", ")), DIM));
            }
        }
        ResKind::Pipe => {
            spans.push(Span::raw(format!("{} in transit{}", rs.value, if rs.closed { " · closed" } else { "" })));
            if !rs.items.is_empty() {
                spans.push(Span::styled(format!(" [{}]", rs.items.join(", ")), DIM));
            }
        }
        _ => {
            if rs.owner.is_some() {
                owner(&mut spans, String::new());
                spans.push(Span::raw(" "));
            }
            if !rs.text.is_empty() {
                spans.push(Span::raw(rs.text.clone()));
            } else {
                spans.push(Span::raw(format!("{}", rs.value)));
            }
        }
    }
    if !rs.waiters.is_empty() {
        spans.push(Span::styled(" · waiting: ", Style::new().fg(Color::Red)));
        spans.extend(names(model, &rs.waiters));
    }
    if !rs.waiters2.is_empty() {
        spans.push(Span::styled(" · also waiting: ", Style::new().fg(Color::Red)));
        spans.extend(names(model, &rs.waiters2));
    }
    Line::from(spans)
}

fn resource_lines(model: &Model) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = model.resources.values().map(|rs| resource_line(model, rs)).collect();
    for f in model.files.values() {
        lines.push(Line::from(vec![
            Span::styled(fit("file", 17), DIM),
            Span::styled(fit(&f.path, 16), Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(f.preview.clone()),
            Span::styled(format!("  ({} by ", f.last_op), DIM),
            Span::styled(model.pname(f.last_lane), lane_style(f.last_lane)),
            Span::styled(")", DIM),
        ]));
    }
    if !model.reported.is_empty() {
        let r: Vec<String> = model.reported.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        lines.push(Line::from(vec![Span::styled(fit("reported", 17), DIM), Span::raw(r.join(", "))]));
    }
    if lines.is_empty() {
        lines.push(Line::styled("(no shared resource yet)", DIM));
    }
    lines
}

fn log_lines(model: &Model, rows: usize) -> Vec<Line<'static>> {
    let from = model.log.len().saturating_sub(rows);
    model.log[from..]
        .iter()
        .map(|e| {
            let (tag, style) = match e.kind {
                LogKind::Print => ("", Style::new()),
                LogKind::Event => ("· ", DIM),
                LogKind::Error => ("✗ ", Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
                LogKind::Finding => ("! ", Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)),
                LogKind::Report => ("= ", Style::new().fg(Color::Cyan)),
            };
            let who = if e.lane == 0 { "forkscope".to_string() } else { model.pname(e.lane) };
            let line = if e.line > 0 { format!(" L{}", e.line) } else { String::new() };
            Line::from(vec![
                Span::styled(who, if e.lane == 0 { DIM } else { lane_style(e.lane) }),
                Span::styled(format!("{line}: "), DIM),
                Span::styled(format!("{tag}{}", e.text), style),
            ])
        })
        .collect()
}

/// Draws `model` into a fresh `width`×`height` buffer.
pub fn render_frame(model: &Model, info: &FrameInfo, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let procs = process_lines(model);
    let res = resource_lines(model);
    let deadlock = model.deadlock();

    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let mut title = vec![
        Span::styled(" forkscope ", Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        Span::styled(format!(" {}", info.lesson), Style::new().add_modifier(Modifier::BOLD)),
    ];
    if !info.title.is_empty() && info.title != info.lesson {
        title.push(Span::raw(format!(" — {}", info.title)));
    }
    title.push(Span::styled(format!("  · {}", info.moment), DIM));
    title.push(Span::styled(format!(" · {} of {} processes live", model.live().count(), model.processes.len()), DIM));
    Paragraph::new(Line::from(title)).render(head, &mut buf);

    let alert = deadlock.as_ref().map(|d| Line::styled(format!(" {}", d.message), Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)));
    let [procs_area, res_area, log_area, alert_area] = Layout::vertical([
        Constraint::Length(procs.len() as u16 + 2),
        Constraint::Length(res.len() as u16 + 2),
        Constraint::Min(3),
        Constraint::Length(alert.is_some() as u16),
    ])
    .areas(body);
    Paragraph::new(procs).block(Block::bordered().title(" processes ")).render(procs_area, &mut buf);
    Paragraph::new(res).block(Block::bordered().title(" shared resources ")).render(res_area, &mut buf);
    let log = log_lines(model, log_area.height.saturating_sub(2) as usize);
    Paragraph::new(log).block(Block::bordered().title(" log ")).render(log_area, &mut buf);
    if let Some(a) = alert {
        Paragraph::new(a).render(alert_area, &mut buf);
    }
    buf
}
