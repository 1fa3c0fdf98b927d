//! The banner under the header: a deadlock (cycle or stall, with the
//! processes and resources involved) in red, else the latest misuse or error
//! finding. Nothing when all is well.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::model::{Deadlock, Model, PState};
use crate::vocab::{Lane, ResId};

use crate::ui::common::holder_name;
use crate::ui::state::Dashboard;
use crate::ui::text::{self, Lang};

/// Most banner lines.
const MAX_LINES: usize = 3;

#[derive(Debug)]
pub struct BannerWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> BannerWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        BannerWidget { dash }
    }

    /// (text, tone) of every banner entry: a reached goal (`Some(false)`,
    /// green), a deadlock (`Some(true)`, red), a finding (`None`).
    fn entries(&self, width: usize) -> Vec<(String, Option<bool>)> {
        let l = self.dash.lang;
        let mut out = Vec::new();
        if let Some(g) = self.dash.status.goals.last() {
            out.push((format!("★ {} {g}", l.pick("GOAL REACHED:", "挑战完成:")), Some(false)));
        }
        for b in &self.dash.status.bad {
            out.push((format!("✗ {b}"), Some(true)));
        }
        let rows = |t: &str| text::wrap(&text::one_line(t), width).len();
        let explored = self.dash.explored.as_ref().map(|x| x.banner(l));
        let mut cause_shown = false;
        if let Some(d) = self.dash.deadlock() {
            // The deadlock says itself in the rows the others leave it.
            let taken: usize = out.iter().chain(explored.iter()).map(|(t, _)| rows(t)).sum();
            let (text, dead) = deadlock_text(&self.dash.model, &d, l, width, MAX_LINES.saturating_sub(taken).max(1));
            cause_shown = dead;
            out.push((text, Some(true)));
        }
        // After what went wrong in this run, which the result may be the cause of.
        out.extend(explored);
        let f = &self.dash.model.findings;
        // The kill that caused the stall is said in its banner already.
        if let Some(last) = f.last().filter(|x| !(cause_shown && x.kind == "ended_holding")) {
            let more = if f.len() > 1 { format!(" (+{} {})", f.len() - 1, l.pick("more in the log", "条见日志")) } else { String::new() };
            let (kind, said) = (crate::words::finding_kind(&last.kind, l), crate::words::finding(&self.dash.model, last, l));
            let whole = format!("! {kind}{}{said}{more}", l.pick(": ", ":"));
            let left = MAX_LINES.saturating_sub(out.iter().map(|(t, _)| rows(t)).sum());
            // Whole, or where to read it: never cut in the middle of what it says.
            if rows(&whole) <= left || out.is_empty() {
                out.push((whole, None));
            } else if left > 0 {
                out.push((format!("! {kind} ({} {})", f.len(), l.pick("in the log", "条,见日志")), None));
            }
        }
        out
    }

    fn lines(&self, width: u16) -> Vec<(String, Option<bool>)> {
        let w = (width as usize).saturating_sub(2);
        let mut out: Vec<(String, Option<bool>)> = Vec::new();
        for (t, bad) in self.entries(w) {
            for l in text::wrap(&text::one_line(&t), w) {
                out.push((format!(" {l}"), bad));
            }
        }
        if out.len() > MAX_LINES {
            // Say that there is more, at a word.
            out.truncate(MAX_LINES);
            if let Some((last, _)) = out.last_mut() {
                *last = format!(" {}", text::fit_words(&format!("{} …", last.trim()), w));
            }
        }
        out
    }

    /// Rows the banner takes at `width`.
    pub fn height(&self, width: u16) -> u16 {
        self.lines(width).len() as u16
    }
}

/// The deadlock or stall in a few words that keep the cause at any width:
/// the kill of a holder first when that is why, then who waits on what,
/// grouped (`9 processes in acquire on Lock-1, held by Process-2 (killed)`)
/// rather than a list cut mid-word. A cycle reads as the model says it when
/// that fits in `budget` rows of the banner. Also whether a dead holder is the cause.
fn deadlock_text(m: &Model, d: &Deadlock, l: Lang, width: usize, budget: usize) -> (String, bool) {
    let what = if d.kind == "cycle" { l.pick("DEADLOCK", "死锁") } else { l.pick("STALLED", "停滞") };
    // Who holds resource `r` (lock owner, or semaphore units' holders).
    let holders = |r: ResId| -> Vec<Lane> {
        let Some(rs) = m.resources.get(&r) else { return vec![] };
        let mut v: Vec<Lane> = rs.owner.into_iter().chain(rs.holders.iter().copied()).collect();
        v.dedup();
        v
    };
    let dead = |p: &Lane| m.processes.get(p).is_some_and(|q| !q.state.is_live());
    // Waits grouped by what they wait on, in order of first appearance.
    let mut groups: Vec<(String, Option<ResId>, Vec<Lane>)> = Vec::new();
    for lane in &d.processes {
        let Some(w) = m.processes.get(lane).and_then(|p| p.wait.as_ref()) else { continue };
        let on = match (w.res, w.on) {
            (Some(r), _) => match l {
                Lang::En => format!("{} on {}", w.op.api_name(), m.rname(r)),
                Lang::Zh => format!("{} {}", w.op.api_name(), m.rname(r)),
            },
            (None, Some(o)) => format!("{}({})", w.op.api_name(), m.pname(o)),
            _ => w.op.api_name().to_string(),
        };
        match groups.iter_mut().find(|g| g.0 == on) {
            Some(g) => g.2.push(*lane),
            None => groups.push((on, w.res, vec![*lane])),
        }
    }
    let killed: Vec<(Lane, ResId)> = groups.iter().filter_map(|g| g.1).flat_map(|r| holders(r).into_iter().filter(dead).map(move |h| (h, r))).collect();
    let mut parts: Vec<String> = groups
        .iter()
        .map(|(on, res, who)| {
            let who_text = if who.len() <= 2 {
                who.iter().map(|p| m.pname(*p)).collect::<Vec<_>>().join(", ")
            } else {
                match l {
                    Lang::En => format!("{} processes", who.len()),
                    Lang::Zh => format!("{} 个进程", who.len()),
                }
            };
            let held = res.map(holders).filter(|h| !h.is_empty()).map(|h| {
                let names = h.iter().map(|p| holder_name(m, *p, l)).collect::<Vec<_>>().join(", ");
                match l {
                    Lang::En => format!(", held by {names}"),
                    Lang::Zh => format!(",被 {names} 持有"),
                }
            });
            match l {
                Lang::En => format!("{who_text} in {on}{}", held.unwrap_or_default()),
                Lang::Zh => format!("{who_text} 在 {on}{}", held.unwrap_or_default()),
            }
        })
        .collect();
    let cause = killed.first().map(|(h, r)| {
        let how = m.processes.get(h).map(|p| match p.state {
            PState::Killed(_) => l.pick("was killed", "被杀死了"),
            _ => l.pick("ended", "已结束"),
        });
        match l {
            Lang::En => format!("{} {} while holding {}, so it is never released: ", m.pname(*h), how.unwrap_or_default(), m.rname(*r)),
            Lang::Zh => format!("{} 在持有 {} 时{},它永远不会被释放:", m.pname(*h), m.rname(*r), how.unwrap_or_default()),
        }
    });
    if d.kind == "cycle" && cause.is_none() {
        let full = format!("{what}{}{}", l.pick(": ", ":"), crate::words::deadlock_body(m, d, l));
        if text::wrap(&full, width).len() <= budget {
            return (full, false);
        }
        let names: Vec<String> = d.processes.iter().map(|p| m.pname(*p)).collect();
        let res: Vec<String> = d.resources.iter().map(|r| m.rname(*r)).collect();
        let listed = match l {
            Lang::En => format!("{what}: {} wait for each other ({})", names.join(", "), res.join(", ")),
            Lang::Zh => format!("{what}:{} 互相等待({})", names.join("、"), res.join("、")),
        };
        if text::wrap(&listed, width).len() <= budget {
            return (listed, false);
        }
        let (first, last) = (names.first().cloned().unwrap_or_default(), names.last().cloned().unwrap_or_default());
        return match l {
            Lang::En => (format!("{what}: {} processes wait for each other in a circle ({first} … {last}) over {} resources", names.len(), res.len()), false),
            Lang::Zh => (format!("{what}:{} 个进程围成一圈互相等待({first} … {last}),涉及 {} 个资源", names.len(), res.len()), false),
        };
    }
    let lead = cause.clone().unwrap_or_else(|| l.pick("nothing can wake a process: ", "没有谁能唤醒任何进程:").to_string());
    // Drop groups from the end until the text fits, saying how many are left out.
    let total = parts.len();
    loop {
        let left = total - parts.len();
        let more = match (left, l) {
            (0, _) => String::new(),
            (n, Lang::En) => format!("; {n} more"),
            (n, Lang::Zh) => format!(";另有 {n} 组"),
        };
        let t = format!("{what}: {lead}{}{more}", parts.join("; "));
        if parts.len() <= 1 || text::wrap(&t, width).len() <= budget {
            return (t, cause.is_some());
        }
        parts.pop();
    }
}

impl Widget for BannerWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let th = &self.dash.theme;
        for (i, (l, tone)) in self.lines(area.width).into_iter().enumerate().take(area.height as usize) {
            let row = Rect { y: area.y + i as u16, height: 1, ..area };
            let style = match tone {
                Some(false) => th.goal(),
                Some(true) => th.banner(true),
                None => th.banner(false),
            };
            buf.set_style(row, style);
            Line::styled(l, style).render(row, buf);
        }
    }
}
