//! The app: `run` → `draw` → `handle_events`. It owns the screen (the lesson
//! picker or a live [`Session`]), turns input into intents through the
//! keymap, and redraws only when something changed: on each key, up to 40
//! times a second while records stream, and once a second (the clock) when
//! paused, so an idle paused dashboard costs next to nothing.

use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::conductor::RunOptions;

use super::dashboard::{self, Areas};
use super::keymap::{self, Action, Scope};
use super::lanes::scroll_offset;
use super::picker::{Launch, PickerFocus, PickerState};
use super::session::Session;
use super::state::Tone;
use super::terminal::Term;
use super::text::Lang;
use super::theme::Theme;

/// Least time between two frames that records (not keys) cause: at most 40
/// a second, however fast records stream.
const FRAME: Duration = Duration::from_millis(25);

/// How the app ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// A stop signal (SIGINT, SIGTERM, SIGHUP) arrived.
    Signal(i32),
}

enum Screen {
    Picker,
    Dashboard(Box<Session>),
}

/// Frames drawn, for `FORKSCOPE_UI_STATS` (the redraw-rate test).
#[derive(Debug, Default)]
struct FrameStats {
    frames_running: u64,
    secs_running: f64,
    frames_paused: u64,
    secs_paused: f64,
    /// Time spent drawing and ticking (seconds).
    secs_drawing: f64,
    secs_ticking: f64,
}

pub struct App {
    screen: Screen,
    /// The picker, kept to go back to (None: started on a lesson).
    picker: Option<PickerState>,
    lang: Lang,
    theme: Theme,
    quit: bool,
    /// Where the panes were at the last draw (mouse hit-testing).
    areas: Areas,
    size: Rect,
    stats: FrameStats,
    /// `FORKSCOPE_TEST_PANIC`: panic once a lesson is drawn (tests the panic hook).
    test_panic: bool,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("lang", &self.lang).field("quit", &self.quit).finish()
    }
}

impl App {
    /// An app that opens on the lesson picker.
    pub fn with_picker(lang: Lang, theme: Theme) -> App {
        let picker = PickerState::new(crate::scenario::builtins(), lang, theme);
        App::new(Screen::Picker, Some(picker), lang, theme)
    }

    /// An app that opens on a running lesson.
    pub fn with_session(session: Session, lang: Lang, theme: Theme) -> App {
        App::new(Screen::Dashboard(Box::new(session)), None, lang, theme)
    }

    fn new(screen: Screen, picker: Option<PickerState>, lang: Lang, theme: Theme) -> App {
        App { screen, picker, lang, theme, quit: false, areas: Areas::default(), size: Rect::default(), stats: FrameStats::default(), test_panic: std::env::var_os("FORKSCOPE_TEST_PANIC").is_some() }
    }

    fn session(&mut self) -> Option<&mut Session> {
        match &mut self.screen {
            Screen::Dashboard(s) => Some(s),
            Screen::Picker => None,
        }
    }

    /// The event loop. Returns when the user quits or a stop signal arrives.
    ///
    /// A frame is drawn only when something on screen changed: a key, new
    /// records, the timeline moving by a cell, the clock's second. While the
    /// run goes it looks for records every frame; paused, four times a second.
    pub fn run(mut self, terminal: &mut Term) -> anyhow::Result<Exit> {
        let watchdog = super::terminal::Watchdog::start();
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        let mut last_clock = (u64::MAX, u64::MAX);
        let mut last_loop = Instant::now();
        let exit = loop {
            if let Some(sig) = crate::sys::stop_requested() {
                break Exit::Signal(sig);
            }
            // Never ask crossterm for events from a terminal that is gone (it would spin).
            if super::terminal::hung_up() {
                break Exit::Signal(libc::SIGHUP);
            }
            if self.quit {
                break Exit::Quit;
            }
            let busy = self.session().is_some_and(|s| s.is_busy());
            let now = Instant::now();
            let dt = now.duration_since(last_loop).as_secs_f64();
            last_loop = now;
            if busy { self.stats.secs_running += dt } else { self.stats.secs_paused += dt }
            let tick_start = Instant::now();
            if let Some(s) = self.session() {
                if s.tick() {
                    dirty = true;
                }
                let st = &s.dash.status;
                let clock = (st.elapsed.as_secs(), st.clock_ns / super::lanes::timeline_tick_ns(st.speed));
                if clock != last_clock {
                    last_clock = clock;
                    dirty = true;
                }
            }
            self.stats.secs_ticking += tick_start.elapsed().as_secs_f64();
            if dirty && last_draw.elapsed() >= FRAME {
                // Frames are paced from their start, so drawing time does not slow the rate.
                let started = Instant::now();
                self.draw(terminal)?;
                self.stats.secs_drawing += started.elapsed().as_secs_f64();
                if busy { self.stats.frames_running += 1 } else { self.stats.frames_paused += 1 }
                last_draw = started;
                dirty = false;
            }
            let until_frame = FRAME.saturating_sub(last_draw.elapsed()).max(Duration::from_millis(1));
            let wait = match &self.screen {
                Screen::Dashboard(s) if s.is_stepping() => Duration::from_millis(2),
                Screen::Dashboard(_) if dirty || busy => until_frame,
                Screen::Dashboard(_) => Duration::from_millis(250),
                Screen::Picker => Duration::from_millis(500),
            };
            // Wait on the terminal ourselves (a hang-up is seen here), then let
            // crossterm parse what came, and the resizes it noticed.
            let crossterm_wait = match super::terminal::wait_input(wait) {
                super::terminal::Input::HungUp => break Exit::Signal(libc::SIGHUP),
                super::terminal::Input::Ready if !super::terminal::hung_up() => wait,
                super::terminal::Input::Ready => break Exit::Signal(libc::SIGHUP),
                super::terminal::Input::Timeout => Duration::ZERO,
            };
            if event::poll(crossterm_wait)? {
                // Take every pending event, then draw once.
                loop {
                    self.handle_event(event::read()?)?;
                    if self.quit || !event::poll(Duration::ZERO)? {
                        break;
                    }
                }
                if !self.quit {
                    self.draw(terminal)?;
                    last_draw = Instant::now();
                    dirty = false;
                }
            }
        };
        drop(watchdog);
        if let Some(s) = self.session() {
            s.shutdown();
        }
        self.write_stats();
        Ok(exit)
    }

    fn draw(&mut self, terminal: &mut Term) -> anyhow::Result<()> {
        let frame = terminal.draw(|f| f.render_widget(&*self, f.area()))?;
        self.size = frame.area;
        if let Screen::Dashboard(s) = &self.screen {
            self.areas = dashboard::layout(frame.area, &s.dash);
            if self.test_panic {
                panic!("deliberate panic (FORKSCOPE_TEST_PANIC is set): the terminal must be restored");
            }
        }
        Ok(())
    }

    fn write_stats(&self) {
        if let Some(path) = std::env::var_os("FORKSCOPE_UI_STATS") {
            let s = &self.stats;
            let json = serde_json::json!({
                "frames_running": s.frames_running, "secs_running": s.secs_running,
                "frames_paused": s.frames_paused, "secs_paused": s.secs_paused,
                "secs_drawing": s.secs_drawing, "secs_ticking": s.secs_ticking,
            });
            let _ = std::fs::write(path, json.to_string());
        }
    }

    fn handle_event(&mut self, ev: Event) -> anyhow::Result<()> {
        match ev {
            Event::Key(k) => self.on_key(&k)?,
            Event::Mouse(m) => self.on_mouse(&m),
            // Resize: the caller redraws after every event.
            _ => {}
        }
        Ok(())
    }

    fn on_key(&mut self, k: &KeyEvent) -> anyhow::Result<()> {
        match &mut self.screen {
            Screen::Picker => {
                if let Some(a) = keymap::lookup(Scope::Picker, k) {
                    self.picker_action(a)?;
                }
            }
            Screen::Dashboard(_) => {
                if let Some(a) = keymap::lookup(Scope::Dashboard, k) {
                    self.dashboard_action(a)?;
                }
            }
        }
        Ok(())
    }

    fn picker_action(&mut self, a: Action) -> anyhow::Result<()> {
        let Some(p) = self.picker.as_mut() else { return Ok(()) };
        p.message = None;
        match a {
            Action::Up => p.up(),
            Action::Down => p.down(),
            Action::NextPane | Action::PrevPane => p.switch_focus(),
            Action::Increase => p.adjust(1),
            Action::Decrease => p.adjust(-1),
            Action::Type(c) => p.type_char(c),
            Action::Erase => p.erase(),
            Action::Help => p.help = !p.help,
            Action::Back => p.help = false,
            Action::Language => {
                p.lang = p.lang.toggle();
                self.lang = p.lang;
            }
            Action::Quit => self.quit = true,
            Action::Start => match p.launch() {
                Ok(launch) => self.start(launch),
                Err(e) => p.message = Some((e, Tone::Bad)),
            },
            _ => {}
        }
        Ok(())
    }

    fn start(&mut self, launch: Launch) {
        let mut opts = RunOptions::new(&launch.lesson.name, &launch.lesson.origin, &launch.lesson.script);
        opts.params = launch.params;
        opts.seed = launch.seed;
        opts.paused = launch.paused;
        opts.lang = self.lang.code().to_string();
        match Session::start(launch.lesson, opts, self.lang, self.theme) {
            Ok(s) => self.screen = Screen::Dashboard(Box::new(s)),
            Err(e) => {
                if let Some(p) = self.picker.as_mut() {
                    p.message = Some((format!("cannot start: {e:#}"), Tone::Bad));
                }
            }
        }
    }

    fn dashboard_action(&mut self, a: Action) -> anyhow::Result<()> {
        let from_picker = self.picker.is_some();
        let Screen::Dashboard(s) = &mut self.screen else { return Ok(()) };
        let page = (self.areas.log.height.max(4) - 3) as isize;
        s.dash.view.message = None;
        match a {
            Action::TogglePause => s.toggle_pause(),
            Action::StepNext => s.step(None),
            Action::StepSelected => s.step_selected(),
            Action::ToggleStatements => s.toggle_statements(),
            Action::Terminate => s.signal(libc::SIGTERM),
            Action::Kill => s.signal(libc::SIGKILL),
            Action::Freeze => s.toggle_freeze(),
            Action::Join => s.join_selected(),
            Action::Restart => {
                if let Err(e) = s.restart() {
                    s.dash.say(format!("cannot restart: {e:#}"), Tone::Bad);
                }
            }
            Action::Faster => s.change_speed(true),
            Action::Slower => s.change_speed(false),
            Action::Up => s.dash.move_by(-1),
            Action::Down => s.dash.move_by(1),
            Action::PageUp => s.dash.move_by(-page),
            Action::PageDown => s.dash.move_by(page),
            Action::Details => s.dash.toggle_details(),
            Action::NextPane => s.dash.next_pane(),
            Action::PrevPane => s.dash.prev_pane(),
            Action::Help => s.dash.toggle_help(),
            Action::Language => {
                s.dash.toggle_lang();
                self.lang = s.dash.lang;
                if let Some(p) = self.picker.as_mut() {
                    p.lang = self.lang;
                }
            }
            Action::Back if !s.dash.close_overlay() && from_picker => {
                s.shutdown();
                self.screen = Screen::Picker;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    fn on_mouse(&mut self, m: &MouseEvent) {
        let areas = self.areas;
        let size = self.size;
        match &mut self.screen {
            Screen::Dashboard(s) => match m.kind {
                MouseEventKind::ScrollUp => s.dash.scroll_at(&areas, m.column, m.row, -1),
                MouseEventKind::ScrollDown => s.dash.scroll_at(&areas, m.column, m.row, 1),
                MouseEventKind::Down(MouseButton::Left) => s.dash.click(&areas, m.column, m.row),
                _ => {}
            },
            Screen::Picker => {
                let Some(p) = self.picker.as_mut() else { return };
                match m.kind {
                    MouseEventKind::ScrollUp => p.up(),
                    MouseEventKind::ScrollDown => p.down(),
                    MouseEventKind::Down(MouseButton::Left) => {
                        // The lesson list: left third, below the header, two rows per lesson.
                        let list_w = size.width * 34 / 100;
                        if m.column < list_w && m.row >= 2 && m.row + 2 < size.height {
                            let visible = ((size.height.saturating_sub(4)) / 2).max(1) as usize;
                            let i = scroll_offset(p.selected, visible) + ((m.row - 2) / 2) as usize;
                            if i < p.lessons.len() {
                                p.focus = PickerFocus::Lessons;
                                p.selected = i;
                                p.option = 0;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match &self.screen {
            Screen::Dashboard(s) => (&s.dash).render(area, buf),
            Screen::Picker => {
                if let Some(p) = &self.picker {
                    p.render(area, buf);
                }
            }
        }
    }
}
