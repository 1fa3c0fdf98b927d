//! A dashboard drawn as a figure for course notes: no tool counters, the
//! moment in the footer. `forkscope snapshot` and the dashboard's `p` both
//! draw through it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::state::{Dashboard, Tone};

/// Makes `dash` a figure for course notes: no tool counters in the header,
/// the title in full, and in the footer the moment (`ticket-race · step 26
/// · seed 0 · lock=true`) instead of key hints. `snapshot` and the
/// dashboard's `p` both draw through it.
pub fn as_figure(dash: &mut Dashboard, moment: &str) {
    let mut what = format!("{} · {moment} · {} {}", dash.lesson.name, dash.lang.pick("seed", "种子"), dash.seed);
    if !dash.params.is_empty() {
        what.push_str(&format!(" · {}", dash.params));
    }
    match (&dash.explored, &dash.figure_note) {
        (Some(super::explore::SearchView::Done(o)), _) => what.push_str(&format!(" · {}", o.label(dash.lang))),
        (_, Some(note)) => what.push_str(&format!(" · {note}")),
        _ => {}
    }
    dash.view.message = Some((what, Tone::Info));
    dash.view.figure = true;
    // CPU use is the moment's, not the lesson's: a figure has none (and so
    // the dashboard's `p` draws what `snapshot` draws).
    dash.status.cpu.clear();
}

/// Draws `dash` as the dashboard would on a `width`×`height` terminal. The
/// snapshot command and the dashboard's screenshot key share it.
pub fn frame(dash: &Dashboard, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    dash.render(area, &mut buf);
    buf
}

