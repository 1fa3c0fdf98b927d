//! The header line (lesson, mode, elapsed time, records, speed) and the
//! footer line (key hints from the keymap, or the latest message).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::ui::keymap::{self, Scope};
use crate::ui::state::{Dashboard, Mode, Tone};
use crate::ui::text::{self, Lang};
use crate::ui::theme::Theme;

/// The mode as the header shows it.
pub fn mode_label(dash: &Dashboard) -> String {
    let l = dash.lang;
    match dash.status.mode {
        Mode::Running => l.pick("RUNNING", "运行中").into(),
        Mode::Paused => l.pick("PAUSED", "已暂停").into(),
        Mode::Stepping { n } => format!("{} {n}…", l.pick("STEP", "单步")),
        Mode::Joining { lane } => format!("{} {}…", l.pick("JOIN", "等待结束"), dash.model.pname(lane)),
        Mode::Ended => l.pick("ENDED", "已结束").into(),
    }
}

/// The step counter: `step 12`, `replay 12/40`, `rewinding 7/11`.
pub fn step_label(dash: &Dashboard) -> String {
    let l = dash.lang;
    let st = &dash.status;
    match st.follow {
        Some(f) if f.rewinding() => format!("{} {}/{}", l.pick("rewinding", "后退中"), f.next, f.target),
        Some(f) if f.replay => format!("{} {}/{}{}", l.pick("replay", "回放"), f.next, f.total, if f.playing { format!(" ▶ {}s", f.pace_ms as f64 / 1000.0) } else { String::new() }),
        _ if st.ran_free && st.steps == 0 => l.pick("free run", "自由运行").into(),
        _ => {
            let n = match l {
                Lang::En => format!("step {}", st.steps),
                Lang::Zh => format!("第 {} 步", st.steps),
            };
            if st.ran_free { format!("{n} + {}", l.pick("free", "自由运行")) } else { n }
        }
    }
}

/// Speed as `×1`, `×2`, `×0.5`.
pub fn speed_label(speed: f64) -> String {
    if (speed - speed.round()).abs() < 1e-9 { format!("×{}", speed.round() as i64) } else { format!("×{speed}") }
}

#[derive(Debug)]
pub struct HeaderWidget<'a> {
    dash: &'a Dashboard,
}

impl<'a> HeaderWidget<'a> {
    pub fn new(dash: &'a Dashboard) -> Self {
        HeaderWidget { dash }
    }
}

impl Widget for HeaderWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.dash;
        let (l, th, st) = (d.lang, &d.theme, &d.status);
        let running = matches!(st.mode, Mode::Running | Mode::Joining { .. });
        let secs = st.elapsed.as_secs();
        let gran = if st.statements { l.pick("statement steps", "按语句单步") } else { l.pick("op steps", "按操作单步") };
        let mut spans = vec![Span::styled(format!(" {} ", mode_label(d)), th.mode(running))];
        spans.push(Span::styled(format!(" {} ", step_label(d)), th.bold()));
        let title = format!("{} — {}", d.lesson.name, d.lesson.title(l));
        if d.view.figure {
            // A figure: what the lesson shows, not how the tool is doing; the
            // title in full (the speed gives way to it if need be).
            spans.push(Span::raw(format!(" {:02}:{:02} ", secs / 60, secs % 60)));
            let speed = [Span::styled("│", th.dim()), Span::raw(format!(" {} {} · {gran} ", l.pick("speed", "速度"), speed_label(st.speed)))];
            let used: usize = spans.iter().chain(speed.iter()).map(|s| text::width(&s.content)).sum::<usize>() + 2;
            if used + text::width(&title) <= area.width as usize {
                spans.extend(speed);
            }
            spans.push(Span::styled("│ ", th.dim()));
            let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
            spans.push(Span::styled(text::fit_words(&title, (area.width as usize).saturating_sub(used)), th.bold()));
            Line::from(spans).render(area, buf);
            return;
        }
        if st.mode == Mode::Paused && st.follow.is_none() {
            // Paused (a lesson opens so): how to go on, where the eye is.
            spans.push(Span::styled(l.pick("· n: step, space: run ", "· n:单步,空格:运行 "), th.good()));
        }
        spans.extend([Span::raw(format!(" {:02}:{:02} ", secs / 60, secs % 60)), Span::styled("│", th.dim())]);
        // The tool's counters give way to the lesson's title when the line is
        // short: first `dropped 0` (nothing lost; a count above 0 stays), then
        // the record rate; then the title loses the lesson's file name, then
        // the step granularity goes; what is left is cut at a word.
        let lost = st.dropped + st.corrupt;
        let dropped = format!(" {} {lost} ", l.pick("dropped", "丢弃"));
        let rec = format!(" {} {} {:.0}/s ", d.model.records, l.pick("rec", "条记录"), st.rate);
        let speed = format!(" {} {} ", l.pick("speed", "速度"), speed_label(st.speed));
        let with_gran = format!("{speed}· {gran} ");
        let short_title = d.lesson.title(l).to_string();
        let fixed: usize = spans.iter().map(|s| text::width(&s.content)).sum::<usize>() + 2;
        let fits = |t: &str, parts: &[&String]| fixed + text::width(t) + parts.iter().map(|p| text::width(p) + 1).sum::<usize>() <= area.width as usize;
        let keep_dropped = lost > 0;
        let candidates: [(&String, bool, bool, &String); 6] = [
            (&title, true, true, &with_gran),
            (&title, true, keep_dropped, &with_gran),
            (&title, false, keep_dropped, &with_gran),
            (&short_title, true, keep_dropped, &with_gran),
            (&short_title, false, keep_dropped, &with_gran),
            (&short_title, false, keep_dropped, &speed),
        ];
        let pick = candidates.iter().find(|(t, r, dr, sp)| {
            let mut parts: Vec<&String> = vec![*sp];
            if *r {
                parts.push(&rec);
            }
            if *dr {
                parts.push(&dropped);
            }
            fits(t, &parts)
        });
        let (title, show_rec, show_dropped, speed_text) = pick.copied().unwrap_or((&short_title, false, keep_dropped, &speed));
        if show_rec {
            spans.extend([Span::raw(rec.clone()), Span::styled("│", th.dim())]);
        }
        if show_dropped {
            spans.push(if lost > 0 { Span::styled(dropped.clone(), th.warn()) } else { Span::raw(dropped.clone()) });
            spans.push(Span::styled("│", th.dim()));
        }
        spans.push(Span::raw(speed_text.clone()));
        spans.push(Span::styled("│ ", th.dim()));
        let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
        spans.push(Span::styled(text::fit_words(title, (area.width as usize).saturating_sub(used)), th.bold()));
        Line::from(spans).render(area, buf);
    }
}

#[derive(Debug)]
pub struct FooterWidget<'a> {
    message: &'a Option<(String, Tone)>,
    scope: Scope,
    lang: Lang,
    theme: &'a Theme,
    /// The run's mode (the dashboard): the hints follow it.
    mode: Option<Mode>,
}

impl<'a> FooterWidget<'a> {
    pub fn new(message: &'a Option<(String, Tone)>, scope: Scope, lang: Lang, theme: &'a Theme) -> Self {
        FooterWidget { message, scope, lang, theme, mode: None }
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }
}

impl Widget for FooterWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let w = area.width as usize;
        if let Some((msg, tone)) = self.message {
            let style = match tone {
                Tone::Info => self.theme.bold(),
                Tone::Good => self.theme.good(),
                Tone::Bad => self.theme.bad(),
            };
            Line::styled(text::fit(&format!(" {}", text::one_line(msg)), w), style).render(area, buf);
            return;
        }
        let mut spans = Vec::new();
        let mut used = 0;
        for (key, word) in keymap::hints(self.scope, self.lang, self.mode) {
            let piece = text::width(&key) + text::width(word) + 3;
            if used + piece > w {
                break;
            }
            spans.push(Span::styled(format!(" {key}"), self.theme.bold()));
            spans.push(Span::styled(format!(" {word} "), self.theme.dim()));
            used += piece;
        }
        Line::from(spans).render(area, buf);
    }
}
