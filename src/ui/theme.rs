//! Colours and glyphs. Every state has a glyph as well as a colour, so the
//! screen still reads without colour: with `NO_COLOR` set (and not empty,
//! see no-color.org) the theme uses no colour at all, only bold, reverse and
//! dim.

use ratatui::style::{Color, Modifier, Style};

use crate::export::palette::LANE_COLORS;

use crate::model::PState;

/// How the dashboard paints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

/// Each lane's mark, beside its name in the lanes pane and at its line in
/// the source pane: a shape that reads without colour (grey print,
/// `NO_COLOR`); lane N takes N mod len, like its colour.
pub const LANE_MARKS: [char; 12] = ['●', '■', '▲', '◆', '★', '▼', '♠', '♣', '♥', '✚', '✖', '◐'];

impl Theme {
    /// Colour unless `NO_COLOR` is set to something.
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    pub fn mono() -> Theme {
        Theme { color: false }
    }

    pub fn colored() -> Theme {
        Theme { color: true }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    /// A process state (a badge or a timeline cell).
    pub fn state(&self, s: PState, frozen: bool) -> Style {
        if frozen {
            return if self.color { Style::new().fg(Color::LightMagenta).add_modifier(Modifier::BOLD) } else { Style::new().add_modifier(Modifier::BOLD) };
        }
        if !self.color {
            return match s {
                PState::Blocked => Style::new().add_modifier(Modifier::BOLD),
                PState::Exited(_) | PState::Killed(_) => Style::new().add_modifier(Modifier::DIM),
                _ => Style::new(),
            };
        }
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

    /// The timeline glyph of a state: readable without colour.
    pub fn glyph(s: PState, frozen: bool) -> char {
        if frozen {
            return '‖';
        }
        match s {
            PState::Starting => '·',
            PState::Running => '█',
            PState::Ready => '░',
            PState::Blocked => '▓',
            PState::Sleeping => '~',
            PState::Exited(_) => ' ',
            PState::Killed(_) => 'x',
        }
    }

    /// The colour of a process's lane (its name, its log lines, its source marker).
    pub fn lane(&self, lane: crate::vocab::Lane) -> Style {
        self.fg(LANE_COLORS[lane.index() % LANE_COLORS.len()])
    }

    /// A process's mark (see [`LANE_MARKS`]).
    pub fn mark(lane: crate::vocab::Lane) -> char {
        LANE_MARKS[lane.index() % LANE_MARKS.len()]
    }

    /// The selected row of the focused pane.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The selected row of a pane that does not have the focus.
    pub fn selected_unfocused(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, true) => Style::new().fg(Color::DarkGray),
            (false, false) => Style::new().add_modifier(Modifier::DIM),
        }
    }

    pub fn dim(&self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A banner line: deadlock (`bad`) or misuse.
    pub fn banner(&self, bad: bool) -> Style {
        match (self.color, bad) {
            (true, true) => Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::Black).bg(Color::Yellow),
            (false, _) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// A reached goal (challenge mode): like a level won.
    pub fn goal(&self) -> Style {
        if self.color { Style::new().fg(Color::Black).bg(Color::Green).add_modifier(Modifier::BOLD) } else { Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD) }
    }

    /// The mode badge in the header.
    pub fn mode(&self, running: bool) -> Style {
        match (self.color, running) {
            (true, true) => Style::new().fg(Color::Black).bg(Color::Green).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD),
            (false, _) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// The line a process is on, in the source pane.
    pub fn current_line(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}
