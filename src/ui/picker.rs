//! The lesson picker: every lesson with its title and story in the chosen
//! language, and its parameters (plus the seed and "start paused") editable
//! before the run starts. [`PickerState`] holds the choices;
//! `impl Widget for &PickerState` draws them.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::codec::Value;
use crate::scenario::{Lesson, ParamValue};

use super::dashboard::{pane_block, render_too_small, too_small};
use super::header::FooterWidget;
use super::keymap::Scope;
use super::overlay::HelpWidget;
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

#[derive(Clone, Debug)]
pub struct PickerState {
    pub lessons: Vec<Lesson>,
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

impl PickerState {
    pub fn new(lessons: Vec<Lesson>, lang: Lang, theme: Theme) -> PickerState {
        let values = lessons
            .iter()
            .map(|l| {
                let mut v: Vec<String> = l.manifest.params.iter().map(|p| p.default.to_string()).collect();
                v.push("0".into());
                v.push("false".into());
                v
            })
            .collect();
        PickerState { lessons, selected: 0, focus: PickerFocus::Lessons, option: 0, values, lang, theme, help: false, message: None }
    }

    fn lesson(&self) -> Option<&Lesson> {
        self.lessons.get(self.selected)
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
                let help = p.help.get(self.lang.code()).to_string();
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

    /// Types `c` into the selected option (numbers and free text).
    pub fn type_char(&mut self, c: char) {
        if self.focus != PickerFocus::Options {
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
        Line::from(vec![Span::styled(" forkscope ", th.mode(true)), Span::raw(" "), Span::styled(l.pick("Choose a lesson: every process you will see is a real one.", "选择一课:你将看到的每个进程都是真实的进程。"), th.bold())]).render(head, buf);
        let [left, right] = Layout::horizontal([Constraint::Percentage(34), Constraint::Fill(1)]).areas(body);

        let block = pane_block(l.pick("Lessons", "课程").into(), self.focus == PickerFocus::Lessons, th);
        let inner = block.inner(left);
        let visible = inner.height as usize / 2;
        let offset = super::lanes::scroll_offset(self.selected, visible.max(1));
        // Lessons below (or above) the fold say so on the border.
        let below = self.lessons.len().saturating_sub(offset + visible);
        let block = match super::lanes::more_hint(offset, below, l) {
            Some(h) => block.title_bottom(Line::styled(h, th.dim())),
            None => block,
        };
        block.render(left, buf);
        for (row, (i, lesson)) in self.lessons.iter().enumerate().skip(offset).take(visible).enumerate() {
            let y = inner.y + row as u16 * 2;
            let w = inner.width as usize;
            let sel = i == self.selected;
            let r = Rect { y, height: 1, ..inner };
            Line::styled(text::fit(&format!("{} {}", if sel { ">" } else { " " }, lesson.title(l.code())), w), th.bold()).render(r, buf);
            Line::styled(text::fit(&format!("  {}", lesson.name), w), th.dim()).render(Rect { y: y + 1, ..r }, buf);
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
        let mut top: Vec<Line<'static>> = vec![Line::styled(text::fit(lesson.title(l.code()), w), th.bold()), Line::raw("")];
        top.extend(text::wrap(&text::unwrap_paragraphs(lesson.manifest.story.get(l.code())), w).into_iter().map(Line::raw));
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
        let notes_text = lesson.manifest.notes.get(l.code());
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
        p.option = 4;
        p.adjust(1);
        let launch = p.launch().unwrap();
        assert_eq!(launch.params["lock"], Value::Bool(false));
        assert_eq!(launch.params["tickets"], Value::Int(0));
        assert_eq!(launch.params["buyers"], Value::Int(4));
        assert_eq!(launch.seed, 7);
        assert!(launch.paused);
    }

    /// At 80 columns every parameter hint ends on a whole word, with `…`
    /// when cut; a parameter of another variant says which it is for.
    #[test]
    fn parameter_hints_are_cut_at_words_and_say_their_variant() {
        use crate::ui::dashboard::buffer_lines;
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
        use crate::ui::dashboard::buffer_lines;
        let mut p = picker();
        p.selected = 0;
        let screen = |p: &PickerState| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
            p.render(buf.area, &mut buf);
            buffer_lines(&buf)
        };
        let shown = |lines: &[String]| p.lessons.iter().filter(|l| lines.iter().any(|x| x.contains(&format!("│  {} ", l.name)) || x.contains(&format!("│  {}│", l.name)))).count();
        let lines = screen(&p);
        let hidden = p.lessons.len() - shown(&lines);
        assert!(hidden > 0, "the test needs more lessons than fit");
        assert!(lines[22].contains(&format!("↓ {hidden} more")), "{lines:#?}");
        p.selected = p.lessons.len() - 1;
        let lines = screen(&p);
        assert!(lines[22].contains("↑ ") && !lines[22].contains("↓"), "{lines:#?}");
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
