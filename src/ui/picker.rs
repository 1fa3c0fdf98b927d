//! The lesson picker: every lesson with its title and story in the chosen
//! language, and its parameters (plus the seed and "start paused") editable
//! before the run starts. [`PickerState`] holds the choices;
//! `impl Widget for &PickerState` draws them.
//!
//! It shows the Python lessons (the course notes' own programs) and switches
//! to the Rhai ones and back with one key; without a Python interpreter it
//! shows the Rhai lessons and says why. Every lesson has a hot key shown
//! beside it and every variant a digit, so any program of the notes starts in
//! three keys: the lesson's key, the variant's digit, enter.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::codec::Value;
use crate::scenario::{Engine, Lesson, ParamValue, VARIANT};

use super::common::{pane_block, render_too_small, too_small};
use super::panes::header::FooterWidget;
use super::keymap::Scope;
use super::panes::overlay::HelpWidget;
use super::state::Tone;
use super::text::{self, Lang};
use super::theme::Theme;

/// Which list has the focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerFocus {
    Lessons,
    Options,
}

/// What the picker hands over to start a run.
#[derive(Clone, Debug)]
pub struct Launch {
    pub lesson: Lesson,
    pub params: BTreeMap<String, Value>,
    pub seed: u64,
    pub paused: bool,
}

/// Hot keys of the lessons, in list order: letters the picker does not use
/// for anything else (`q` quits; `J`, `K`, `L` and `R` are bound).
pub const HOT_KEYS: &str = "abcdefghijklmnoprstuvwxyzABCDEFGHIMNOPSTUVWXYZ";

/// The hot key of the lesson in row `i` of a list, if it has one.
pub fn hot_key(i: usize) -> Option<char> {
    HOT_KEYS.chars().nth(i)
}

/// The list not shown, kept as it was left: its lessons, their option
/// values and the selected row.
#[derive(Clone, Debug)]
pub struct OtherList {
    pub lessons: Vec<Lesson>,
    pub values: Vec<Vec<String>>,
    pub selected: usize,
}

#[derive(Clone, Debug)]
pub struct PickerState {
    /// The lessons shown (all of one language).
    pub lessons: Vec<Lesson>,
    /// The other language's list, if there is one to switch to.
    pub other: Option<OtherList>,
    /// Why the Python lessons are not offered (no interpreter), in one line.
    pub no_python: Option<String>,
    pub selected: usize,
    pub focus: PickerFocus,
    /// Selected row of the options (parameters, then seed, then paused).
    pub option: usize,
    /// Per lesson, the text of each option.
    pub values: Vec<Vec<String>>,
    pub lang: Lang,
    pub theme: Theme,
    pub help: bool,
    pub message: Option<(String, Tone)>,
}

/// Each lesson's options as text: its parameters' defaults, the seed, "start paused".
fn default_values(lessons: &[Lesson]) -> Vec<Vec<String>> {
    lessons
        .iter()
        .map(|l| {
            let mut v: Vec<String> = l.manifest.params.iter().map(|p| p.default.to_string()).collect();
            v.push("0".into());
            // As `forkscope run` opens it: paused, unless the lesson says it runs.
            v.push((l.manifest.start == crate::scenario::StartMode::Paused).to_string());
            v
        })
        .collect()
}

impl PickerState {
    /// A picker over `lessons` alone.
    pub fn new(lessons: Vec<Lesson>, lang: Lang, theme: Theme) -> PickerState {
        let values = default_values(&lessons);
        PickerState { lessons, other: None, no_python: None, selected: 0, focus: PickerFocus::Lessons, option: 0, values, lang, theme, help: false, message: None }
    }

    /// The Python lessons, and the Rhai ones a key away; with `no_python`
    /// (why there is no interpreter), the Rhai lessons alone, saying why.
    pub fn with_lists(python: Vec<Lesson>, rhai: Vec<Lesson>, no_python: Option<String>, lang: Lang, theme: Theme) -> PickerState {
        if no_python.is_some() || python.is_empty() {
            return PickerState { no_python, ..PickerState::new(rhai, lang, theme) };
        }
        let other = OtherList { values: default_values(&rhai), lessons: rhai, selected: 0 };
        PickerState { other: Some(other), ..PickerState::new(python, lang, theme) }
    }

    /// The built-in lessons: Python first if this machine can run them.
    pub fn builtin(lang: Lang, theme: Theme) -> PickerState {
        let no_python = crate::python::launch::interpreter().err();
        PickerState::with_lists(crate::scenario::python_builtins(), crate::scenario::builtins(), no_python, lang, theme)
    }

    /// The language of the lessons shown.
    pub fn engine(&self) -> Engine {
        self.lessons.first().map_or(Engine::Rhai, |l| l.engine)
    }

    /// Shows the other list (Python ↔ Rhai), as it was left.
    pub fn switch_list(&mut self) {
        let Some(other) = self.other.take() else {
            self.message = Some((self.no_python.clone().unwrap_or_else(|| self.lang.pick("there are no other lessons to switch to", "没有别的课程可切换").into()), Tone::Bad));
            return;
        };
        let shown = OtherList { lessons: std::mem::replace(&mut self.lessons, other.lessons), values: std::mem::replace(&mut self.values, other.values), selected: self.selected };
        self.selected = other.selected.min(self.lessons.len().saturating_sub(1));
        self.other = Some(shown);
        self.option = 0;
        self.focus = PickerFocus::Lessons;
    }

    /// Selects the lesson named `name`, switching lists if it is in the other one.
    pub fn select_named(&mut self, name: &str) {
        if !self.lessons.iter().any(|l| l.name == name) && self.other.as_ref().is_some_and(|o| o.lessons.iter().any(|l| l.name == name)) {
            self.switch_list();
        }
        if let Some(i) = self.lessons.iter().position(|l| l.name == name) {
            self.selected = i;
        }
    }

    fn lesson(&self) -> Option<&Lesson> {
        self.lessons.get(self.selected)
    }

    /// The lesson list's hot key `c`: selects that lesson.
    fn hot_key(&mut self, c: char) -> bool {
        match HOT_KEYS.find(c).map(|b| HOT_KEYS[..b].chars().count()) {
            Some(i) if i < self.lessons.len() => {
                self.selected = i;
                self.option = 0;
                true
            }
            _ => false,
        }
    }

    /// Digit `d` (1-9) picks the selected lesson's `d`-th variant.
    fn pick_variant(&mut self, d: usize) {
        let Some(lesson) = self.lesson() else { return };
        let Some((i, p)) = lesson.manifest.params.iter().enumerate().find(|(_, p)| p.name == VARIANT) else {
            self.message = Some((self.lang.pick("this lesson has no variants", "这一课没有变体").into(), Tone::Info));
            return;
        };
        let Some(choice) = d.checked_sub(1).and_then(|k| p.choices.get(k)).cloned() else {
            let n = p.choices.len();
            self.message = Some((format!("{} 1-{n}", self.lang.pick("variants are", "变体编号为")), Tone::Info));
            return;
        };
        let s = self.selected;
        if let Some(v) = self.values.get_mut(s).and_then(|v| v.get_mut(i)) {
            *v = choice;
        }
    }

    /// The selected lesson's variants as `1 name  2 name …`, empty without.
    pub fn variant_keys(lesson: &Lesson) -> String {
        let Some(p) = lesson.manifest.params.iter().find(|p| p.name == VARIANT) else { return String::new() };
        p.choices.iter().enumerate().take(9).map(|(i, c)| format!("{} {c}", i + 1)).collect::<Vec<_>>().join("  ")
    }

    /// Rows of the options of the selected lesson: (name, help).
    pub fn option_rows(&self) -> Vec<(String, String)> {
        let Some(l) = self.lesson() else { return vec![] };
        // A parameter for other variants says so (`only for version many`).
        let current = self.launch().map(|x| x.params).unwrap_or_default();
        let mut rows: Vec<(String, String)> = l
            .manifest
            .params
            .iter()
            .map(|p| {
                let help = p.help.get(self.lang).to_string();
                if current.is_empty() || p.applies(&current) {
                    return (p.name.clone(), help);
                }
                let when = p.only_if.iter().map(|(k, v)| format!("{k} {}", v.join("/"))).collect::<Vec<_>>().join(", ");
                (p.name.clone(), format!("({} {when}) {help}", self.lang.pick("only for", "仅用于")))
            })
            .collect();
        rows.push(("seed".into(), self.lang.pick("seed of the lesson's random numbers", "随机数种子").into()));
        rows.push((self.lang.pick("start paused", "暂停开始").into(), self.lang.pick("main waits at its first op: step with n", "main 停在第一个操作:用 n 单步").into()));
        rows
    }

    pub fn up(&mut self) {
        match self.focus {
            PickerFocus::Lessons => {
                self.selected = self.selected.saturating_sub(1);
                self.option = 0;
            }
            PickerFocus::Options => self.option = self.option.saturating_sub(1),
        }
    }

    pub fn down(&mut self) {
        match self.focus {
            PickerFocus::Lessons => {
                self.selected = (self.selected + 1).min(self.lessons.len().saturating_sub(1));
                self.option = 0;
            }
            PickerFocus::Options => self.option = (self.option + 1).min(self.option_rows().len().saturating_sub(1)),
        }
    }

    pub fn switch_focus(&mut self) {
        self.focus = match self.focus {
            PickerFocus::Lessons => PickerFocus::Options,
            PickerFocus::Options => PickerFocus::Lessons,
        };
    }

    fn value_mut(&mut self) -> Option<&mut String> {
        let (s, o) = (self.selected, self.option);
        self.values.get_mut(s)?.get_mut(o)
    }

    /// Next (`+1`) or previous (`-1`) value of the selected option.
    pub fn adjust(&mut self, dir: i64) {
        if self.focus != PickerFocus::Options {
            // From the lesson list, → goes to its options first.
            self.focus = PickerFocus::Options;
            return;
        }
        let Some(lesson) = self.lesson().cloned() else { return };
        let n = lesson.manifest.params.len();
        let o = self.option;
        let Some(v) = self.value_mut() else { return };
        if o == n {
            let seed: i64 = v.parse().unwrap_or(0);
            *v = (seed + dir).max(0).to_string();
        } else if o == n + 1 {
            *v = (v != "true").to_string();
        } else if let Some(p) = lesson.manifest.params.get(o) {
            let (lo, hi) = (p.min.unwrap_or(f64::MIN), p.max.unwrap_or(f64::MAX));
            *v = match &p.default {
                ParamValue::Bool(_) => (v != "true").to_string(),
                ParamValue::Int(d) => (v.parse::<i64>().unwrap_or(*d) + dir).clamp(lo.ceil().max(i64::MIN as f64) as i64, hi.floor().min(i64::MAX as f64) as i64).to_string(),
                ParamValue::Float(d) => {
                    let x = v.parse::<f64>().unwrap_or(*d) + dir as f64 * 0.1;
                    format!("{:.2}", x.clamp(lo, hi)).trim_end_matches('0').trim_end_matches('.').to_string()
                }
                ParamValue::Str(_) if !p.choices.is_empty() => {
                    let i = p.choices.iter().position(|c| c == v).unwrap_or(0) as i64;
                    p.choices[(i + dir).rem_euclid(p.choices.len() as i64) as usize].clone()
                }
                ParamValue::Str(_) => v.clone(),
            };
        }
    }

    /// Types `c` into the selected option (numbers and free text); in the
    /// lesson list, a hot key selects its lesson and a digit its variant.
    pub fn type_char(&mut self, c: char) {
        if self.focus != PickerFocus::Options {
            if let Some(d) = c.to_digit(10) {
                self.pick_variant(d as usize);
            } else if !self.hot_key(c) {
                self.message = Some((format!("{c}: {}", self.lang.pick("no lesson has this key", "没有课程使用这个键")), Tone::Info));
            }
            return;
        }
        let Some(lesson) = self.lesson().cloned() else { return };
        let o = self.option;
        let numeric = o == lesson.manifest.params.len() || matches!(lesson.manifest.params.get(o).map(|p| &p.default), Some(ParamValue::Int(_) | ParamValue::Float(_)));
        let free_text = matches!(lesson.manifest.params.get(o), Some(p) if matches!(p.default, ParamValue::Str(_)) && p.choices.is_empty());
        if ((numeric && (c.is_ascii_digit() || c == '-' || c == '.')) || free_text)
            && let Some(v) = self.value_mut()
        {
            if numeric && (v == "0" || v.is_empty()) {
                v.clear();
            }
            v.push(c);
        }
    }

    pub fn erase(&mut self) {
        if self.focus == PickerFocus::Options
            && let Some(v) = self.value_mut()
        {
            v.pop();
        }
    }

    /// The run the picker asks for, or why it cannot start.
    pub fn launch(&self) -> Result<Launch, String> {
        let lesson = self.lesson().ok_or("no lesson")?.clone();
        let vals = &self.values[self.selected];
        let n = lesson.manifest.params.len();
        let given: Vec<String> = lesson.manifest.params.iter().zip(vals).map(|(p, v)| format!("{}={v}", p.name)).collect();
        let params = lesson.resolve_params(&given).map_err(|e| e.to_string())?;
        let seed = vals[n].parse::<u64>().map_err(|_| format!("seed {}: must be a whole number ≥ 0", vals[n]))?;
        // The program the run executes and shows: its variant, its constants set.
        let lesson = lesson.for_run(&params).map_err(|e| e.to_string())?;
        Ok(Launch { lesson, params, seed, paused: vals[n + 1] == "true" })
    }
}

impl Widget for &PickerState {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if too_small(area) {
            render_too_small(area, buf, self.lang);
            return;
        }
        let (l, th) = (self.lang, &self.theme);
        let [head, body, foot] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        let head_text = match &self.no_python {
            // Why the Python lessons are missing, in the one line there is.
            Some(why) => {
                // The reason's first clause (`python3 was not found on PATH`) fits a line.
                let why = why.split(": ").next().unwrap_or(why);
                Span::styled(format!("{} {why}", l.pick("Rhai lessons only:", "只有 Rhai 课程:")), th.warn())
            }
            None => Span::styled(l.pick("Choose a lesson: every process you will see is a real one.", "选择一课:你将看到的每个进程都是真实的进程。"), th.bold()),
        };
        Line::from(vec![Span::styled(" forkscope ", th.mode(true)), Span::raw(" "), head_text]).render(head, buf);
        let [left, right] = Layout::horizontal([Constraint::Percentage(34), Constraint::Fill(1)]).areas(body);

        let list_title = match (self.engine(), &self.other) {
            (Engine::Python, Some(_)) => l.pick("Python lessons · R: Rhai", "Python 课程 · R:Rhai").to_string(),
            (Engine::Rhai, Some(_)) => l.pick("Rhai lessons · R: Python", "Rhai 课程 · R:Python").to_string(),
            (Engine::Python, None) => l.pick("Python lessons", "Python 课程").to_string(),
            (Engine::Rhai, None) if self.no_python.is_some() => l.pick("Rhai lessons", "Rhai 课程").to_string(),
            (Engine::Rhai, None) => l.pick("Lessons", "课程").to_string(),
        };
        let block = pane_block(list_title, self.focus == PickerFocus::Lessons, th);
        let inner = block.inner(left);
        let visible = inner.height as usize / 2;
        let offset = super::common::scroll_offset(self.selected, visible.max(1));
        // Lessons below (or above) the fold say so on the border.
        let below = self.lessons.len().saturating_sub(offset + visible);
        let block = match super::common::more_hint(offset, below, l) {
            Some(h) => block.title_bottom(Line::styled(h, th.dim())),
            None => block,
        };
        block.render(left, buf);
        for (row, (i, lesson)) in self.lessons.iter().enumerate().skip(offset).take(visible).enumerate() {
            let y = inner.y + row as u16 * 2;
            let w = inner.width as usize;
            let sel = i == self.selected;
            let r = Rect { y, height: 1, ..inner };
            let key = hot_key(i).map_or_else(|| "  ".to_string(), |k| format!("{k} "));
            Line::styled(text::fit(&format!("{}{key}{}", if sel { ">" } else { " " }, lesson.title(l)), w), th.bold()).render(r, buf);
            let variants = PickerState::variant_keys(lesson);
            let second = if variants.is_empty() { format!("   {}", lesson.name) } else { format!("   {} · {variants}", lesson.name) };
            Line::styled(text::fit(&second, w), th.dim()).render(Rect { y: y + 1, ..r }, buf);
            if sel {
                buf.set_style(r, if self.focus == PickerFocus::Lessons { th.selected() } else { th.selected_unfocused() });
            }
        }

        let Some(lesson) = self.lesson() else { return };
        let block = pane_block(format!("{} · {}", lesson.name, l.pick("enter starts it", "回车开始")), self.focus == PickerFocus::Options, th);
        let inner = block.inner(right);
        block.render(right, buf);
        let w = inner.width.saturating_sub(1) as usize;
        let h = inner.height as usize;
        // Title and story, then the options (always shown), then the notes if room is left.
        let mut top: Vec<Line<'static>> = vec![Line::styled(text::fit(lesson.title(l), w), th.bold())];
        // Where in the course notes it comes from, and the variant chosen.
        let section = lesson.manifest.section.get(l);
        if !section.is_empty() {
            top.push(Line::styled(text::fit(section, w), th.dim()));
        }
        let chosen = lesson.manifest.params.iter().position(|p| p.name == VARIANT).and_then(|i| self.values[self.selected].get(i));
        if let Some(v) = chosen.and_then(|c| lesson.manifest.variants.iter().find(|v| &v.name == c)) {
            let (title, section) = (v.title.get(l), v.section.get(l));
            let title = if title.is_empty() { v.name.as_str() } else { title };
            let text = if section.is_empty() { format!("{}: {title}", l.pick("variant", "变体")) } else { format!("{}: {title} ({section})", l.pick("variant", "变体")) };
            top.push(Line::styled(text::fit(&text, w), th.dim()));
        }
        top.push(Line::raw(""));
        top.extend(text::wrap(&text::unwrap_paragraphs(lesson.manifest.story.get(l)), w).into_iter().map(Line::raw));
        let mut opts: Vec<Line<'static>> = vec![Line::raw(""), Line::styled(text::fit(l.pick("Before you start (tab, then ↑↓ ←→ or type):", "开始之前(tab,然后 ↑↓ ←→ 或直接输入):"), w), th.bold())];
        let rows = self.option_rows();
        let name_w = rows.iter().map(|(n, _)| text::width(n)).max().unwrap_or(4);
        let vals = &self.values[self.selected];
        let val_w = vals.iter().map(|v| text::width(v)).max().unwrap_or(4).max(5);
        for (i, (name, help)) in rows.iter().enumerate() {
            let v = vals.get(i).cloned().unwrap_or_default();
            let left = format!("  {} = ", text::pad(name, name_w));
            let value = format!("‹{}›", text::pad(&v, val_w));
            let room = w.saturating_sub(text::width(&left) + text::width(&value) + 2);
            opts.push(Line::from(vec![Span::raw(left), Span::styled(value, th.bold()), Span::styled(format!("  {}", text::fit_words(help, room)), th.dim())]));
        }
        let notes_text = lesson.manifest.notes.get(l);
        let mut notes: Vec<Line<'static>> = Vec::new();
        if !notes_text.is_empty() {
            notes.push(Line::raw(""));
            notes.extend(text::wrap(&text::unwrap_paragraphs(notes_text), w).into_iter().map(|t| Line::styled(t, th.dim())));
        }
        if top.len() + opts.len() > h {
            let keep = h.saturating_sub(opts.len()).max(1);
            top.truncate(keep);
            if let Some(last) = top.last_mut() {
                *last = Line::raw(text::fit(&format!("{}…", last.spans.iter().map(|s| s.content.as_ref()).collect::<String>()), w));
            }
        }
        let first_option_line = top.len() + 2;
        let mut lines = top;
        lines.extend(opts);
        lines.extend(notes);
        for (row, line) in lines.into_iter().take(h).enumerate() {
            let r = Rect { x: inner.x + 1, y: inner.y + row as u16, width: inner.width.saturating_sub(1), height: 1 };
            line.render(r, buf);
            if self.focus == PickerFocus::Options && row == first_option_line + self.option {
                buf.set_style(r, th.selected());
            }
        }
        FooterWidget::new(&self.message, Scope::Picker, l, th).render(foot, buf);
        if self.help {
            HelpWidget::new(Scope::Picker, l, th).render(area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker() -> PickerState {
        let lessons = crate::scenario::builtins();
        let mut p = PickerState::new(lessons, Lang::En, Theme::mono());
        p.selected = p.lessons.iter().position(|l| l.name == "ticket-race").unwrap();
        p
    }

    #[test]
    fn parameters_are_edited_within_their_range_and_launched() {
        let mut p = picker();
        let names: Vec<String> = p.option_rows().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["lock", "tickets", "buyers", "seed", "start paused"]);
        p.focus = PickerFocus::Options;
        p.adjust(1); // lock: true → false
        p.option = 1;
        for _ in 0..5 {
            p.adjust(-1); // tickets 3 → 0, not below
        }
        p.option = 2;
        p.erase();
        p.erase();
        p.type_char('4');
        p.option = 3;
        p.type_char('7');
        // A lesson opens paused unless it says it runs; the option turns it.
        assert!(p.launch().unwrap().paused);
        p.option = 4;
        p.adjust(1);
        let launch = p.launch().unwrap();
        assert_eq!(launch.params["lock"], Value::Bool(false));
        assert_eq!(launch.params["tickets"], Value::Int(0));
        assert_eq!(launch.params["buyers"], Value::Int(4));
        assert_eq!(launch.seed, 7);
        assert!(!launch.paused);
    }

    /// At 80 columns every parameter hint ends on a whole word, with `…`
    /// when cut; a parameter of another variant says which it is for.
    #[test]
    fn parameter_hints_are_cut_at_words_and_say_their_variant() {
        use crate::ui::common::buffer_lines;
        let mut p = picker();
        p.selected = p.lessons.iter().position(|l| l.name == "queue").unwrap();
        let rows = p.option_rows();
        let producers = &rows.iter().find(|(n, _)| n == "producers").unwrap().1;
        assert!(producers.starts_with("(only for version many)"), "{producers}");
        for lang in [Lang::En, Lang::Zh] {
            p.lang = lang;
            let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
            (&p).render(buf.area, &mut buf);
            let screen = buffer_lines(&buf);
            let hints: Vec<&String> = screen.iter().filter(|l| l.contains(" = ‹")).collect();
            assert!(hints.len() >= 5, "{screen:#?}");
            let full: Vec<String> = p.option_rows().into_iter().map(|(_, h)| h).collect();
            for line in hints {
                let shown = line.split("›  ").nth(1).unwrap_or("").trim_end_matches(['│', ' ']);
                if shown.is_empty() || full.iter().any(|h| h == shown) {
                    continue;
                }
                let kept = shown.strip_suffix('…').unwrap_or_else(|| panic!("cut without …: {line}"));
                let whole = full.iter().find(|h| h.starts_with(kept)).unwrap_or_else(|| panic!("{kept} is not a hint's start"));
                let next = whole[kept.len()..].chars().next();
                assert!(lang == Lang::Zh || next.is_some_and(|c| " ,;:".contains(c)), "cut mid-word: {line} ({whole})");
            }
        }
        // Not for this variant: not in the run's parameter list.
        let lesson = p.lesson().unwrap().clone();
        let params = lesson.resolve_params(&["version=forever".into()]).unwrap();
        let d = crate::ui::state::Dashboard::new(lesson.clone(), &params, 0, Lang::En, Theme::mono());
        assert!(!d.params.contains("producers") && d.params.contains("items"), "{}", d.params);
        let params = lesson.resolve_params(&["version=many".into()]).unwrap();
        let d = crate::ui::state::Dashboard::new(lesson, &params, 0, Lang::En, Theme::mono());
        assert!(d.params.contains("producers=3") && d.params.contains("consumers=2"), "{}", d.params);
    }

    /// Lessons below the fold are announced on the list's border.
    #[test]
    fn hidden_lessons_are_announced() {
        use crate::ui::common::buffer_lines;
        let mut p = picker();
        p.selected = 0;
        let screen = |p: &PickerState| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
            p.render(buf.area, &mut buf);
            buffer_lines(&buf)
        };
        let shown = |lines: &[String]| p.lessons.iter().filter(|l| lines.iter().any(|x| x.contains(&format!("│   {} ", l.name)) || x.contains(&format!("│   {}│", l.name)))).count();
        let lines = screen(&p);
        let hidden = p.lessons.len() - shown(&lines);
        assert!(hidden > 0, "the test needs more lessons than fit");
        assert!(lines[22].contains(&format!("↓ {hidden} more")), "{lines:#?}");
        p.selected = p.lessons.len() - 1;
        let lines = screen(&p);
        assert!(lines[22].contains("↑ ") && !lines[22].contains("↓"), "{lines:#?}");
    }

    /// A Python lesson with two variants, from files (as a copy of a built-in is).
    fn python_lesson(dir: &std::path::Path) -> Lesson {
        std::fs::create_dir_all(dir).unwrap();
        let manifest = "title = { en = \"Join\" }\n[[variants]]\nname = \"loop\"\nfile = \"j.py\"\n[[variants]]\nname = \"after\"\nfile = \"j-after.py\"\ntitle = { en = \"join after all\" }\nsection = { en = \"notes 000\" }\n[[params]]\nname = \"children\"\ndefault = 2\n";
        std::fs::write(dir.join("j.toml"), manifest).unwrap();
        std::fs::write(dir.join("j.py"), "CHILDREN = 2\nprint('loop')\n").unwrap();
        std::fs::write(dir.join("j-after.py"), "CHILDREN = 2\nprint('after')\n").unwrap();
        crate::scenario::load(dir.join("j.py").to_str().unwrap()).unwrap()
    }

    /// Python lessons first; one key shows the Rhai ones and back, each list
    /// as it was left; a hot key, a digit and enter start any variant.
    #[test]
    fn python_first_then_rhai_and_three_keys_to_any_variant() {
        let dir = std::env::temp_dir().join(format!("forkscope-picker-{}", std::process::id()));
        let py = python_lesson(&dir);
        let mut p = PickerState::with_lists(vec![py.clone(), py], crate::scenario::builtins(), None, Lang::En, Theme::mono());
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(p.engine(), Engine::Python);
        p.type_char('b'); // the second lesson's hot key
        assert_eq!(p.selected, 1);
        p.type_char('2'); // its second variant
        let launch = p.launch().unwrap();
        assert_eq!(launch.params["variant"], Value::Str("after".into()));
        assert!(launch.lesson.script.contains("print('after')") && launch.lesson.script_file.ends_with("j-after.py"), "{:?}", launch.lesson.script_file);
        let screen = {
            use crate::ui::common::buffer_lines;
            let mut buf = Buffer::empty(Rect::new(0, 0, 100, 30));
            (&p).render(buf.area, &mut buf);
            buffer_lines(&buf).join("\n")
        };
        assert!(screen.contains("Python lessons · R: Rhai") && screen.contains(">b Join") && screen.contains("j · 1 loop  2 after"), "{screen}");
        assert!(screen.contains("variant: join after all (notes 000)"), "{screen}");
        p.switch_list();
        assert_eq!(p.engine(), Engine::Rhai);
        assert_eq!(p.lessons[p.selected].name, "hello");
        p.type_char('9');
        assert!(p.message.as_ref().is_some_and(|(m, _)| m.contains("no variants")), "{:?}", p.message);
        p.switch_list();
        assert_eq!((p.engine(), p.selected), (Engine::Python, 1), "the Python list as it was left");
        assert_eq!(p.launch().unwrap().params["variant"], Value::Str("after".into()));
        p.select_named("queue");
        assert_eq!((p.engine(), p.lessons[p.selected].name.as_str()), (Engine::Rhai, "queue"));
    }

    #[test]
    fn without_python_the_rhai_lessons_show_and_say_why() {
        let why = "python3 was not found on PATH: forkscope runs Python programs with real CPython".to_string();
        let mut p = PickerState::with_lists(crate::scenario::python_builtins(), crate::scenario::builtins(), Some(why), Lang::En, Theme::mono());
        assert_eq!(p.engine(), Engine::Rhai);
        let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
        (&p).render(buf.area, &mut buf);
        let lines = crate::ui::common::buffer_lines(&buf);
        assert!(lines[0].contains("Rhai lessons only: python3 was not found on PATH"), "{lines:#?}");
        p.switch_list();
        assert_eq!(p.engine(), Engine::Rhai, "nothing to switch to");
        assert!(p.message.as_ref().is_some_and(|(m, _)| m.starts_with("python3 was not found")), "{:?}", p.message);
    }

    #[test]
    fn an_out_of_range_value_is_refused_with_the_reason() {
        let mut p = picker();
        p.focus = PickerFocus::Options;
        p.option = 2;
        p.erase();
        p.erase();
        p.type_char('0');
        let e = p.launch().unwrap_err();
        assert!(e.contains("buyers") && e.contains("out of range"), "{e}");
    }
}
