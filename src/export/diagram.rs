//! A sequence diagram of a run, for course notes (`forkscope snapshot …
//! --diagram`): one vertical line per process, its ops down the page in the
//! order they ran (one row each, the step in the left margin), an arrow for
//! every hand-off between processes, and the conflicting ops of a
//! counterexample highlighted, with the sentences that say why under it.
//!
//! **Rows.** A process's start (on its parent's line), every op but `print`
//! and `exit` (a print is its text, an end is its exit), each wait that
//! blocked (`waits: acquire lock`, the line dashed until the op completes),
//! printed lines, reports, errors and failed assertions, and how it ended.
//! Variables, gates and grants are the dashboard's, not rows.
//!
//! **Arrows** ([`super::handoff`]): a release to the acquire it unblocked, a
//! set to the wait, a put/send to the get/recv that took its item (first in,
//! first out), and besides those `start` to the child's first row and a
//! child's end to the `join` that waited for it.
//!
//! **Words.** Op names are the program's own (`acquire`, `put`), resources
//! and files by their names; a Python program's file ops read as Python
//! (`open ticket 'w'`, `read ticket`, `write ticket`); the rest (`start`,
//! `waits`, ended) in the figure's language.
//!
//! **Deterministic**: the same records give byte-identical SVG and PNG (text
//! placed glyph by glyph, so CJK lines up in the shipped fonts).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use unicode_width::UnicodeWidthChar;

use crate::model::conflict::Conflicts;
use crate::model::{Model, Record, RecordKind, ResOp};
use crate::vocab::{Lane, Lang, Op};

use super::handoff::Handoffs;
use super::palette::Rgb;
use super::svg::{FONT_FAMILY, escape};
use super::{ExportError, Paper};

/// Font size of every text, px.
const FONT: f32 = 13.0;
/// Advance of one narrow character (DejaVu Sans Mono: 0.602 em).
const CW: f32 = FONT * 0.602;
/// Height of a row.
const ROW: f32 = 20.0;
/// Margin around the picture.
const PAD: f32 = 16.0;
/// Width of the step margin.
const GUTTER: f32 = 56.0;
/// Most display columns of a row's label (longer ones end in `…`).
const LABEL_MAX: usize = 40;

/// What the diagram is of: its title and moment, the language of its words,
/// the counterexample's conflicts (highlighted; empty: none).
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// `ticket-race.py — 抢票` (the lesson and its title).
    pub title: String,
    /// `explore --all: shortest counterexample, 20 steps · seed 0 · …`.
    pub subtitle: String,
    /// What was bad in the run (`bad: oversold: …`), under the subtitle.
    pub verdict: Option<String>,
    pub lang: Lang,
    /// A Python program: its file ops in Python's words.
    pub python: bool,
    pub conflicts: Conflicts,
}

/// A diagram drawn: the SVG document and its size in px.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub svg: String,
    pub width: u32,
    pub height: u32,
    /// Rows drawn, and how many of them are conflicting ops.
    pub rows: usize,
    pub hot: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Start,
    Op,
    Wait,
    Said,
    Problem,
    End,
}

#[derive(Clone, Debug)]
struct Row {
    lane: Lane,
    step: u64,
    kind: Kind,
    label: String,
    line: u32,
    /// (process, thing touched): to match the conflicts' accesses.
    access: Option<(String, String)>,
    hot: bool,
}

/// Where an arrow starts or ends: a row, or the next row of a lane after a
/// given row (a child's first row, known only later).
#[derive(Clone, Copy, Debug)]
enum At {
    Row(usize),
    NextOn(Lane, usize),
}

struct Walk {
    model: Model,
    rows: Vec<Row>,
    arrows: Vec<(At, At)>,
    handoffs: Handoffs<At>,
    /// Each lane's last row.
    last: HashMap<Lane, usize>,
    /// A lane blocked since this row (its line dashed until its next op).
    blocked: HashMap<Lane, usize>,
    waits: Vec<(Lane, usize, Option<usize>)>,
    /// A lane's end row.
    ended: HashMap<Lane, usize>,
    step: u64,
    lang: Lang,
    python: bool,
}

/// `text` cut to `max` display columns, ending in `…` when cut; control
/// characters shown as spaces.
fn clip(text: &str, max: usize) -> String {
    let cut = text_width(text) > max;
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        let cw = c.width().unwrap_or(0);
        if cut && w + cw > max.saturating_sub(1) {
            out.push('…');
            return out;
        }
        w += cw;
        out.push(c);
    }
    out
}

/// Display columns of `text`.
fn text_width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

impl Walk {
    fn push(&mut self, lane: Lane, kind: Kind, label: String, line: u32, access: Option<(String, String)>) -> usize {
        let i = self.rows.len();
        self.rows.push(Row { lane, step: self.step, kind, label: clip(&label, LABEL_MAX), line, access, hot: false });
        self.last.insert(lane, i);
        i
    }

    /// A file op's label, and the file: `read ticket {"count": 2}`.
    fn file_op(&self, done: &ResOp<'_>) -> (String, String) {
        let (path, preview) = done.file().unwrap_or((done.detail.unwrap_or(""), ""));
        let preview = preview.replace('\n', " ");
        let file = path.rsplit('/').next().unwrap_or(path).to_string();
        let label = match (done.op, preview.is_empty(), self.python) {
            (Op::WriteText | Op::WriteJson, true, true) => format!("open {file} 'w'"),
            (Op::WriteText | Op::WriteJson, true, false) => format!("truncate {file}"),
            (Op::ReadText | Op::ReadJson, _, true) => format!("read {file} {preview}"),
            (Op::WriteText | Op::WriteJson, _, true) => format!("write {file} {preview}"),
            (Op::AppendText, _, true) => format!("append {file} {preview}"),
            (op, _, _) => format!("{} {file} {preview}", op.name()),
        };
        (label.trim_end().to_string(), path.to_string())
    }

    fn record(&mut self, r: &Record) {
        let completes_wake = self.handoffs.completes_wake(r);
        self.model.apply(r);
        let l = self.lang;
        match &r.kind {
            RecordKind::Grant { .. } => self.step += 1,
            RecordKind::Spawn { child, name, .. } => {
                if r.lane == Lane::CONDUCTOR {
                    return;
                }
                let at = self.push(r.lane, Kind::Start, format!("{} {name}", l.pick("start", "启动")), r.line, None);
                self.arrows.push((At::Row(at), At::NextOn(*child, at)));
            }
            RecordKind::Op { .. } => {
                let Some(done) = r.res_op() else { return };
                if matches!(done.op, Op::Print | Op::Exit) {
                    return;
                }
                let who = self.model.pname(r.lane);
                let (label, thing) = match done.op {
                    Op::ReadText | Op::ReadJson | Op::WriteText | Op::WriteJson | Op::AppendText => {
                        let (label, path) = self.file_op(&done);
                        (label, Some(path))
                    }
                    op => {
                        let on = done.res.map(|x| self.model.rname(x)).or_else(|| done.other.map(|o| self.model.pname(o)));
                        let item = match op {
                            Op::Put | Op::PutNowait | Op::Get | Op::GetNowait | Op::Send | Op::Recv | Op::Store | Op::Load => done.detail.map(|d| format!(" {d}")).unwrap_or_default(),
                            _ => String::new(),
                        };
                        (format!("{op}{}{item}", on.as_ref().map(|o| format!(" {o}")).unwrap_or_default()), done.res.map(|x| self.model.rname(x)))
                    }
                };
                let at = self.push(r.lane, Kind::Op, label, r.line, thing.map(|t| (who, t)));
                if let Some(since) = self.blocked.remove(&r.lane) {
                    self.waits.push((r.lane, since, Some(at)));
                }
                let kind = done.res.and_then(|x| self.model.resources.get(&x)).map(|rs| rs.kind);
                for (from, _) in self.handoffs.op(&done, kind, completes_wake, At::Row(at)) {
                    self.arrows.push((from, At::Row(at)));
                }
                if done.op == Op::Join
                    && let Some(child) = done.other
                    && let Some(&end) = self.ended.get(&child)
                {
                    self.arrows.push((At::Row(end), At::Row(at)));
                }
            }
            RecordKind::Block { op, res, other, .. } => {
                if *op == Op::Sleep {
                    return;
                }
                let who = self.model.pname(r.lane);
                let on = res.map(|x| self.model.rname(x)).or_else(|| other.map(|o| self.model.pname(o)));
                let label = format!("{}{op}{}", l.pick("waits: ", "等待:"), on.as_ref().map(|o| format!(" {o}")).unwrap_or_default());
                let access = res.map(|x| (who, self.model.rname(x)));
                let at = self.push(r.lane, Kind::Wait, label, r.line, access);
                self.blocked.insert(r.lane, at);
                if let Some(id) = res {
                    self.handoffs.block(r.lane, *id, At::Row(at));
                }
            }
            RecordKind::Wake { op, res, woken } => {
                // From the op that woke it: the waker's last row.
                if let Some(&at) = self.last.get(&r.lane) {
                    let on = res.map(|x| format!(" {}", self.model.rname(x))).unwrap_or_default();
                    self.handoffs.wake(*woken, At::Row(at), format!("{op}{on}"));
                }
            }
            RecordKind::Timeout { op, .. } => {
                if let Some(since) = self.blocked.remove(&r.lane) {
                    self.waits.push((r.lane, since, None));
                }
                self.push(r.lane, Kind::Said, format!("{op} {}", l.pick("timed out", "超时")), r.line, None);
            }
            RecordKind::Print { text, .. } | RecordKind::Stderr { text, .. } => {
                self.push(r.lane, Kind::Said, format!("print({text:?})"), r.line, None);
            }
            RecordKind::Report { key, value } => {
                self.push(r.lane, Kind::Said, format!("{key} = {value}"), r.line, None);
            }
            RecordKind::Error { message } => {
                let first = message.lines().rev().find(|s| !s.trim().is_empty()).unwrap_or("");
                self.push(r.lane, Kind::Problem, format!("{}{first}", l.pick("error: ", "错误:")), r.line, None);
            }
            RecordKind::Assert { message } => {
                self.push(r.lane, Kind::Problem, format!("{}{message}", l.pick("assertion failed: ", "断言失败:")), r.line, None);
            }
            RecordKind::Ended { process, .. } => {
                let state = self.model.processes.get(process).map(|p| crate::words::state(p.state, l)).unwrap_or_default();
                if let Some(since) = self.blocked.remove(process) {
                    self.waits.push((*process, since, None));
                }
                let at = self.push(*process, Kind::End, state, 0, None);
                self.ended.insert(*process, at);
                self.handoffs.ended(*process);
            }
            _ => {}
        }
    }

    fn resolve(&self, at: At) -> Option<usize> {
        match at {
            At::Row(i) => Some(i),
            At::NextOn(lane, after) => self.rows.iter().enumerate().skip(after + 1).find(|(_, r)| r.lane == lane).map(|(i, _)| i),
        }
    }
}

/// Colours of the diagram on `paper`: (background, text, lines, band of a
/// conflicting row, text of a conflicting row); page and text as a
/// figure's.
fn inks(paper: Paper) -> (Rgb, Rgb, Rgb, Rgb, Rgb) {
    let (bg, fg) = super::palette::defaults(paper);
    match paper {
        Paper::Light => (bg, fg, Rgb(0x80, 0x80, 0x80), Rgb(0xff, 0xe0, 0xe0), Rgb(0xb0, 0x00, 0x00)),
        Paper::Dark => (bg, fg, Rgb(0x90, 0x90, 0x90), Rgb(0x4a, 0x1c, 0x1c), Rgb(0xff, 0x8a, 0x8a)),
    }
}

fn num(v: f32) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `<text>` of `s` at (x, y) (y: the baseline), each glyph at its column
/// (a wide one takes two), characters `has_glyph` refuses drawn as `□`.
fn text(out: &mut String, x: f32, y: f32, s: &str, fill: Rgb, bold: bool, has_glyph: &dyn Fn(char) -> bool) {
    let mut xs = Vec::new();
    let mut shown = String::new();
    let mut col = 0usize;
    for c in s.chars() {
        let c = if has_glyph(c) || c == ' ' { c } else { '□' };
        let w = c.width().unwrap_or(0);
        if w == 0 {
            continue;
        }
        // A wide glyph (1 em) is centred on its two columns.
        let inset = if w == 2 { (2.0 * CW - FONT) / 2.0 } else { 0.0 };
        xs.push(num(x + col as f32 * CW + inset));
        shown.push(c);
        col += w;
    }
    if shown.trim().is_empty() {
        return;
    }
    let weight = if bold { r#" font-weight="bold""# } else { "" };
    // Narrow text needs only where it starts: the font is monospaced.
    let xs = if col == shown.chars().count() { xs[0].clone() } else { xs.join(" ") };
    let _ = write!(out, r#"<text x="{xs}" y="{}" fill="{}"{weight}>"#, num(y), fill.hex());
    escape(&shown, out);
    out.push_str("</text>\n");
}

/// `text` broken into lines of at most `cols` display columns (at spaces
/// where it can).
fn wrap(s: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate) <= cols || line.is_empty() && text_width(word) <= cols {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word longer than a line is cut where it must be.
        let mut rest = String::new();
        for c in word.chars() {
            if text_width(&rest) + c.width().unwrap_or(0) > cols {
                lines.push(std::mem::take(&mut rest));
            }
            rest.push(c);
        }
        line = rest;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The sequence diagram of a run's `records` (in record order).
pub fn diagram(records: &[Record], spec: &Spec, paper: Paper) -> Diagram {
    draw(records, spec, paper, &|_| true)
}

/// The diagram and its PNG bytes, `scale` device pixels per px, in the
/// shipped fonts only (see [`super::png`]).
pub fn png(records: &[Record], spec: &Spec, paper: Paper, scale: u32) -> Result<(Diagram, Vec<u8>), ExportError> {
    let d = draw(records, spec, paper, &super::png::has_glyph);
    let bytes = super::png::rasterize(&d.svg, d.width, d.height, scale)?;
    Ok((d, bytes))
}

fn draw(records: &[Record], spec: &Spec, paper: Paper, has_glyph: &dyn Fn(char) -> bool) -> Diagram {
    let mut w = Walk {
        model: Model::new(),
        rows: Vec::new(),
        arrows: Vec::new(),
        handoffs: Handoffs::default(),
        last: HashMap::new(),
        blocked: HashMap::new(),
        waits: Vec::new(),
        ended: HashMap::new(),
        step: 0,
        lang: spec.lang,
        python: spec.python,
    };
    for r in records {
        w.record(r);
    }
    for (lane, since) in std::mem::take(&mut w.blocked) {
        w.waits.push((lane, since, None));
    }
    // The conflicting ops: the accesses the explanation names, by process,
    // thing and step.
    let hot: Vec<(&str, &str, u64)> = spec.conflicts.bad_order.iter().map(|a| (a.process.as_str(), a.resource.as_str(), a.step)).collect();
    for row in &mut w.rows {
        if let Some((p, t)) = &row.access {
            row.hot = hot.iter().any(|(hp, ht, hs)| hp == p && ht == t && *hs == row.step);
        }
    }
    // What each row says: its label and its line.
    for row in &mut w.rows {
        if row.line > 0 && row.kind != Kind::End {
            row.label = format!("{} · {}", row.label, spec.lang.pick(&format!("line {}", row.line), &format!("第 {} 行", row.line)));
        }
    }
    // Columns: the processes in lane order, each as wide as its widest row.
    let mut lanes: BTreeMap<Lane, (String, usize)> = BTreeMap::new();
    for p in w.model.processes.values() {
        lanes.insert(p.lane, (p.name.clone(), text_width(&p.name) + 2));
    }
    for row in &w.rows {
        if let Some(e) = lanes.get_mut(&row.lane) {
            e.1 = e.1.max(text_width(&row.label) + 3);
        }
    }
    let mut x_of: HashMap<Lane, f32> = HashMap::new();
    let mut colour: HashMap<Lane, Rgb> = HashMap::new();
    let mut x = PAD + GUTTER;
    for (lane, (_, cols)) in &lanes {
        x_of.insert(*lane, x + 8.0);
        colour.insert(*lane, super::palette::lane_ink(*lane, paper));
        x += *cols as f32 * CW + 24.0;
    }
    let width_px = x.max(PAD + GUTTER + 60.0 * CW) + PAD;
    let (bg, fg, grey, band, hot_ink) = inks(paper);
    let cols_total = ((width_px - 2.0 * PAD) / CW) as usize;

    let title_y = PAD + FONT;
    let sub_y = title_y + ROW;
    let verdict_y = sub_y + ROW;
    let head_y = if spec.verdict.is_some() { verdict_y } else { sub_y } + ROW * 0.8;
    let head_h = ROW + 4.0;
    let first_row = head_y + head_h + ROW;
    let y_of = |i: usize| first_row + i as f32 * ROW;
    let rows_end = y_of(w.rows.len());
    let mut notes: Vec<(String, bool)> = Vec::new();
    let legend = match spec.lang {
        Lang::En => "● op   ┆ waiting   → hand-off (release → acquire, put → get, send → recv, set → wait, start, end → join)",
        Lang::Zh => "● 操作   ┆ 等待   → 交接(release → acquire、put → get、send → recv、set → wait、启动、结束 → join)",
    };
    let hot_count = w.rows.iter().filter(|r| r.hot).count();
    for l in wrap(legend, cols_total) {
        notes.push((l, false));
    }
    if hot_count > 0 {
        notes.push((spec.lang.pick("highlighted: the conflicting operations whose order made the run bad", "高亮:顺序导致出错的冲突操作").to_string(), true));
    }
    for s in crate::words::conflicts(&spec.conflicts, spec.lang) {
        for l in wrap(&format!("• {s}"), cols_total) {
            notes.push((l, false));
        }
    }
    let notes_y = rows_end + ROW * 0.5;
    let height_px = notes_y + notes.len() as f32 * ROW + PAD;

    let mut out = String::new();
    let (wi, hi) = (width_px.ceil() as u32, height_px.ceil() as u32);
    let _ = writeln!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{wi}" height="{hi}" viewBox="0 0 {wi} {hi}" xml:space="preserve" font-family="{FONT_FAMILY}" font-size="{}">"#, num(FONT));
    let _ = writeln!(out, r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>"#);
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{}"/>"#, bg.hex());
    text(&mut out, PAD, title_y, &spec.title, fg, true, has_glyph);
    text(&mut out, PAD, sub_y, &spec.subtitle, grey, false, has_glyph);
    if let Some(v) = &spec.verdict {
        text(&mut out, PAD, verdict_y, &clip(v, cols_total), hot_ink, true, has_glyph);
    }
    // Bands behind the conflicting rows.
    for (i, row) in w.rows.iter().enumerate() {
        if row.hot {
            let _ = writeln!(out, r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#, num(PAD), num(y_of(i) - ROW * 0.5), num(width_px - 2.0 * PAD), num(ROW), band.hex());
        }
    }
    // The step margin: a step's number at its first row.
    let step_word = spec.lang.pick("step", "步");
    text(&mut out, PAD, head_y + head_h * 0.5 + FONT * 0.35, step_word, grey, false, has_glyph);
    let mut shown_step = None;
    for (i, row) in w.rows.iter().enumerate() {
        if shown_step != Some(row.step) && row.step > 0 {
            text(&mut out, PAD, y_of(i) + FONT * 0.35, &row.step.to_string(), grey, false, has_glyph);
            shown_step = Some(row.step);
        }
    }
    // Heads and lifelines: from the first row to the end row (or the bottom).
    for (lane, (name, _)) in &lanes {
        let (x, c) = (x_of[lane], colour[lane]);
        // From its first row (a child's starts there), else from the top.
        let top = match w.rows.iter().position(|r| r.lane == *lane) {
            Some(i) if i > 0 => y_of(i) - ROW * 0.5,
            _ => first_row,
        };
        let bottom = w.ended.get(lane).map_or(rows_end - ROW * 0.5, |&i| y_of(i));
        let hw = text_width(name) as f32 * CW + 12.0;
        let _ = writeln!(out, r#"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="none" stroke="{}" stroke-width="1.5"/>"#, num(x - 6.0), num(head_y), num(hw), num(head_h), c.hex());
        text(&mut out, x, head_y + head_h * 0.5 + FONT * 0.35, name, c, true, has_glyph);
        let _ = writeln!(out, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="1" stroke-dasharray="1 3"/>"#, num(head_y + head_h), num(top), grey.hex(), x = num(x));
        let _ = writeln!(out, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="2"/>"#, num(top), num(bottom), c.hex(), x = num(x));
    }
    // Waits: the line dashed over the paper while the process was blocked.
    for (lane, since, until) in &w.waits {
        let Some(&x) = x_of.get(lane) else { continue };
        let y1 = until.map_or(rows_end - ROW * 0.5, y_of);
        let _ = writeln!(out, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="4"/>"#, num(y_of(*since) + 4.0), num(y1 - 4.0), bg.hex(), x = num(x));
        let _ = writeln!(out, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="3 3"/>"#, num(y_of(*since) + 4.0), num(y1 - 4.0), colour[lane].hex(), x = num(x));
    }
    // Arrows, under the dots and labels.
    for (from, to) in &w.arrows {
        let (Some(a), Some(b)) = (w.resolve(*from), w.resolve(*to)) else { continue };
        let (ra, rb) = (&w.rows[a], &w.rows[b]);
        if ra.lane == rb.lane {
            continue;
        }
        let (Some(&xa), Some(&xb)) = (x_of.get(&ra.lane), x_of.get(&rb.lane)) else { continue };
        // Rightwards from the end of the sender's label to the receiver's
        // dot; leftwards from the sender's dot to the end of the receiver's
        // label: never under a label of either.
        let label_end = |x: f32, row: &Row| x + 10.0 + text_width(&row.label) as f32 * CW + 6.0;
        let (x1, x2) = if xb > xa { (label_end(xa, ra), xb - 6.0) } else { (xa - 5.0, label_end(xb, rb)) };
        let _ = writeln!(out, r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.3" marker-end="url(#arrow)"/>"#, num(x1), num(y_of(a)), num(x2), num(y_of(b)), colour[&ra.lane].hex());
    }
    // Rows: a dot (hollow for a wait, a square for an end) and the label
    // on the paper's colour, so that an arrow passing under it does not
    // cross it out.
    for (i, row) in w.rows.iter().enumerate() {
        let (x, y) = (x_of[&row.lane], y_of(i));
        let c = colour[&row.lane];
        match row.kind {
            Kind::Wait => {
                let _ = writeln!(out, r#"<circle cx="{}" cy="{}" r="4" fill="{}" stroke="{}" stroke-width="1.5"/>"#, num(x), num(y), bg.hex(), c.hex());
            }
            Kind::End => {
                let _ = writeln!(out, r#"<rect x="{}" y="{}" width="9" height="9" fill="{}"/>"#, num(x - 4.5), num(y - 4.5), c.hex());
            }
            _ => {
                let _ = writeln!(out, r#"<circle cx="{}" cy="{}" r="4" fill="{}"/>"#, num(x), num(y), if row.hot { hot_ink.hex() } else { c.hex() });
            }
        }
        let ink = if row.hot || row.kind == Kind::Problem { hot_ink } else if row.kind == Kind::Said { grey } else { fg };
        let paper = if row.hot { band } else { bg };
        let _ = writeln!(out, r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#, num(x + 7.0), num(y - ROW * 0.5 + 2.0), num(text_width(&row.label) as f32 * CW + 6.0), num(ROW - 4.0), paper.hex());
        text(&mut out, x + 10.0, y + FONT * 0.35, &row.label, ink, row.hot, has_glyph);
    }
    for (k, (l, hot)) in notes.iter().enumerate() {
        text(&mut out, PAD, notes_y + (k as f32 + 0.7) * ROW, l, if *hot { hot_ink } else { fg }, *hot, has_glyph);
    }
    out.push_str("</svg>\n");
    Diagram { svg: out, width: wi, height: hi, rows: w.rows.len(), hot: hot_count }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conflict::Access;
    use crate::vocab::{ResId, ResKind};

    fn rec(lane: u32, line: u32, kind: RecordKind) -> Record {
        Record { seq: 0, t_ns: 0, lane: Lane(lane), line, gates: 0, kind }
    }

    fn op(lane: u32, op: Op, res: Option<u32>, other: Option<u32>, a: i64, detail: Option<&str>) -> Record {
        rec(lane, 10 + lane, RecordKind::Op { op, res: res.map(ResId), other: other.map(Lane), a, b: 0, c: 0, d: 0, detail: detail.map(str::to_string) })
    }

    /// Main starts two processes; each takes a lock; the second blocks, the
    /// first's release wakes it; the first puts an item the second gets.
    fn run() -> Vec<Record> {
        let spawn = |by: u32, child: u32, name: &str| rec(by, 5, RecordKind::Spawn { child: Lane(child), pid: 100 + child as i32, ppid: 100 + by as i32, daemon: false, name: name.into(), target: "f".into() });
        vec![
            spawn(0, 1, "MainProcess"),
            rec(1, 3, RecordKind::Resource { res: ResId(0), kind: ResKind::Lock, name: "lock".into(), capacity: 1 }),
            rec(1, 4, RecordKind::Resource { res: ResId(1), kind: ResKind::Queue, name: "q".into(), capacity: 0 }),
            spawn(1, 2, "Process-1"),
            spawn(1, 3, "Process-2"),
            rec(0, 0, RecordKind::Grant { process: Some(Lane(2)), granularity: 0 }),
            op(2, Op::Acquire, Some(0), None, 1, None),
            rec(0, 0, RecordKind::Grant { process: Some(Lane(3)), granularity: 0 }),
            rec(3, 13, RecordKind::Block { op: Op::Acquire, res: Some(ResId(0)), other: None, holder: Some(Lane(2)), timed: false }),
            rec(0, 0, RecordKind::Grant { process: Some(Lane(2)), granularity: 0 }),
            op(2, Op::Put, Some(1), None, 1, Some("42")),
            rec(0, 0, RecordKind::Grant { process: Some(Lane(2)), granularity: 0 }),
            op(2, Op::Release, Some(0), Some(3), 0, None),
            rec(2, 12, RecordKind::Wake { op: Op::Acquire, res: Some(ResId(0)), woken: Lane(3) }),
            op(3, Op::Acquire, Some(0), None, 1, None),
            rec(0, 0, RecordKind::Grant { process: Some(Lane(3)), granularity: 0 }),
            op(3, Op::Get, Some(1), None, 0, Some("42")),
            rec(0, 0, RecordKind::Ended { process: Lane(2), exitcode: 0, held: None }),
            op(1, Op::Join, None, Some(2), 0, None),
        ]
    }

    fn spec() -> Spec {
        Spec { title: "two buyers".into(), subtitle: "end".into(), verdict: None, lang: Lang::En, python: true, conflicts: Conflicts::default() }
    }

    /// Every hand-off is an arrow: two starts, the release to the acquire,
    /// the put to the get, the end to the join.
    #[test]
    fn every_hand_off_is_an_arrow_between_its_rows() {
        let d = diagram(&run(), &spec(), Paper::Light);
        assert_eq!(d.svg.matches("marker-end").count(), 5, "{}", d.svg);
        for label in ["start Process-1", "acquire lock", "waits: acquire lock", "put q 42", "get q 42", "release lock", "join Process-1", "exited 0"] {
            assert!(d.svg.contains(&format!(">{label}")), "{label} in\n{}", d.svg);
        }
        assert_eq!(d.hot, 0);
        assert_eq!(d, diagram(&run(), &spec(), Paper::Light), "deterministic");
    }

    /// The accesses a counterexample's conflicts name are highlighted, and
    /// the sentences saying why are under the diagram.
    #[test]
    fn the_conflicting_ops_are_highlighted_and_said() {
        let a = |p: &str, step: u64| Access { process: p.into(), op: "acquire".into(), resource: "lock".into(), line: 12, step, write: true, nth: 0 };
        let mut s = spec();
        s.conflicts = Conflicts { why: vec![crate::model::conflict::Why { op: a("Process-2", 4), after: Some(a("Process-1", 1)), before: vec![] }], bad_order: vec![a("Process-1", 1), a("Process-2", 4)], good_order: vec![] };
        let d = diagram(&run(), &s, Paper::Light);
        assert_eq!(d.hot, 2, "{}", d.svg);
        assert!(d.svg.contains("• Process-2 acquired lock (line 12) after Process-1 acquired it"), "{}", d.svg);
        assert!(d.svg.contains("highlighted"));
    }

    #[test]
    fn long_labels_are_cut_and_wide_text_wraps_by_columns() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("买到票了买到票了", 5), "买到…");
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("买到票了买到", 4), ["买到", "票了", "买到"]);
    }

    #[test]
    fn chinese_words_and_a_png() {
        let mut s = spec();
        s.lang = Lang::Zh;
        let d = diagram(&run(), &s, Paper::Dark);
        assert!(d.svg.contains("启动 Process-1") && d.svg.contains("等待:acquire lock"), "{}", d.svg);
        let (_, png) = png(&run(), &s, Paper::Light, 1).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
