//! The lesson's explanation over the dashboard (`e`): its story, what to look
//! for on screen (the manifest's notes), the challenge of this variant and
//! the run's parameters, in the chosen language — so the teacher need not
//! go back to the picker to read them. A Python program without a manifest
//! has its module docstring as its story.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::codec::Engine;

use crate::ui::common::{centered, render_lines_in};
use crate::ui::state::Dashboard;
use crate::ui::text::{self, Lang};

/// Widest the explanation gets: longer lines read badly.
const MAX_WIDTH: u16 = 96;

/// The docstring a Python module opens with (after comments and blank
/// lines), without its quotes and common indentation; empty if none.
pub fn module_docstring(source: &str) -> String {
    let rest = source.trim_start_matches('\u{feff}');
    let mut body = rest;
    // Skip comment lines (shebang, coding) and blank lines.
    loop {
        let trimmed = body.trim_start_matches([' ', '\t', '\r', '\n']);
        if let Some(after) = trimmed.strip_prefix('#') {
            body = after.split_once('\n').map_or("", |(_, r)| r);
        } else {
            body = trimmed;
            break;
        }
    }
    let body = body.strip_prefix(['r', 'R', 'u', 'U']).unwrap_or(body);
    let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| body.starts_with(q)) else { return String::new() };
    let inner = &body[3..];
    let Some(end) = inner.find(quote) else { return String::new() };
    let lines: Vec<&str> = inner[..end].lines().collect();
    // Common indentation of the lines after the first, as `inspect.cleandoc`.
    let indent = lines.iter().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut out: Vec<&str> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.push(if i == 0 { l.trim() } else { l.get(indent..).unwrap_or(l.trim()) });
    }
    out.join("\n").trim().to_string()
}

/// The explanation's lines at width `w`.
pub fn explanation_lines(d: &Dashboard, w: usize) -> Vec<Line<'static>> {
    let (l, th) = (d.lang, &d.theme);
    let m = &d.lesson.manifest;
    let code = l;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let section = |lines: &mut Vec<Line<'static>>, head: &str, body: &str| {
        if body.trim().is_empty() {
            return;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(head.to_string(), th.bold()));
        lines.extend(text::wrap(&text::unwrap_paragraphs(body), w).into_iter().map(Line::raw));
    };
    for t in text::wrap(d.lesson.title(code), w) {
        lines.push(Line::styled(t, th.bold()));
    }
    let mut story = m.story.get(code).to_string();
    if story.trim().is_empty() && d.lesson.engine == Engine::Python {
        story = module_docstring(&d.lesson.script);
    }
    section(&mut lines, l.pick("The story", "故事"), &story);
    section(&mut lines, l.pick("What to look for", "观察要点"), m.notes.get(code));
    let goals: Vec<String> = m.goals.iter().filter(|g| crate::scenario::condition::goal_applies(g, &d.param_values)).map(|g| g.title.get(code).to_string()).filter(|t| !t.is_empty()).collect();
    if !goals.is_empty() {
        let what = l.pick("step the processes yourself (n, s) until the screen shows:", "自己单步(n、s),直到屏幕上出现:");
        section(&mut lines, l.pick("Challenge", "挑战"), what);
        for g in goals {
            let wrapped = text::wrap(&g, w.saturating_sub(2).max(8));
            for (i, t) in wrapped.into_iter().enumerate() {
                lines.push(Line::from(vec![Span::styled(if i == 0 { "★ " } else { "  " }, th.good()), Span::raw(t)]));
            }
        }
    }
    if story.trim().is_empty() && m.notes.get(code).trim().is_empty() {
        let none = match l {
            Lang::En => format!("This lesson has no explanation yet: a manifest beside it ({}.toml, with [story] and [notes]) gives one.", d.lesson.name),
            Lang::Zh => format!("这一课还没有说明:在它旁边放一个清单文件({}.toml,写上 [story] 和 [notes])即可。", d.lesson.name),
        };
        section(&mut lines, l.pick("The story", "故事"), &none);
    }
    let mut run = d.params.clone();
    if !run.is_empty() {
        run.push_str(" · ");
    }
    run.push_str(&format!("{} {}", l.pick("seed", "种子"), d.seed));
    lines.push(Line::raw(""));
    for (i, t) in text::wrap(&run, w.saturating_sub(text::width(l.pick("This run: ", "本次运行:")))).into_iter().enumerate() {
        let head = if i == 0 { l.pick("This run: ", "本次运行:") } else { "" };
        lines.push(Line::from(vec![Span::styled(head.to_string(), th.dim()), Span::styled(t, th.dim())]));
    }
    lines
}

#[derive(Debug)]
pub struct ExplainWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> ExplainWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        ExplainWidget { dash }
    }
}

impl Widget for ExplainWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let l = d.lang;
        let box_w = area.width.saturating_sub(4).min(MAX_WIDTH);
        if box_w < 12 || area.height < 5 {
            return;
        }
        let lines = explanation_lines(d, box_w.saturating_sub(4) as usize);
        // As tall as the text, at most the screen less a row above and below.
        let r = centered(area, box_w, (lines.len() as u16 + 2).min(area.height.saturating_sub(2)));
        let title = format!("{} — e / esc {}", l.pick("The lesson", "这一课"), l.pick("closes", "关闭"));
        render_lines_in(r, buf, title, lines, d.view.overlay_scroll, &d.theme, l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_docstring_is_found_after_comments() {
        assert_eq!(module_docstring("#!/usr/bin/env python3\n# coding: utf-8\n\n\"\"\"Two buyers.\n\n    One ticket.\n    \"\"\"\nimport os\n"), "Two buyers.\n\nOne ticket.");
        assert_eq!(module_docstring("'''单行'''\n"), "单行");
        assert_eq!(module_docstring("import os\n\"\"\"not a docstring\"\"\"\n"), "");
        assert_eq!(module_docstring("\"\"\"never closed\n"), "");
    }
}

#[cfg(test)]
mod lessons {
    use super::*;
    use crate::ui::theme::Theme;

    /// Every built-in lesson explains itself in both languages, and its notes
    /// speak of what the dashboard shows (there is no wait-for graph on screen).
    #[test]
    fn every_builtin_lesson_has_a_story_and_notes_in_both_languages() {
        for lesson in crate::scenario::builtins() {
            for lang in [Lang::En, Lang::Zh] {
                let m = &lesson.manifest;
                assert!(!m.story.get(lang).trim().is_empty(), "{} has no {lang:?} story", lesson.name);
                assert!(!m.notes.get(lang).trim().is_empty(), "{} has no {lang:?} notes", lesson.name);
                assert!(!m.notes.get(lang).contains("wait-for graph") && !m.notes.get(lang).contains("等待关系图"), "{}: no such graph on screen", lesson.name);
                let d = Dashboard::new(lesson.clone(), &Default::default(), 0, lang, Theme::mono());
                let text: String = explanation_lines(&d, 70).iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
                assert!(text.contains(lang.pick("What to look for", "观察要点")), "{}:\n{text}", lesson.name);
                for l in text.lines() {
                    assert!(text::width(l) <= 70, "{}: {l}", lesson.name);
                }
            }
        }
    }

    /// A Python program without a manifest: its docstring is its story.
    #[test]
    fn a_python_program_tells_its_docstring() {
        let lesson = crate::scenario::Lesson::from_parts("race", "race.py".into(), "race.py".into(), "\"\"\"Two buyers race for the last ticket.\"\"\"\nimport multiprocessing\n".into(), None, None).unwrap();
        let d = Dashboard::new(lesson, &Default::default(), 0, Lang::En, Theme::mono());
        let text: String = explanation_lines(&d, 70).iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
        assert!(text.contains("The story\nTwo buyers race for the last ticket."), "{text}");
        let bare = crate::scenario::Lesson::from_parts("bare", "bare.py".into(), "bare.py".into(), "print(1)\n".into(), None, None).unwrap();
        let d = Dashboard::new(bare, &Default::default(), 0, Lang::Zh, Theme::mono());
        let text: String = explanation_lines(&d, 70).iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
        assert!(text.contains("bare.toml"), "{text}");
    }
}
