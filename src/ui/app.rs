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

use crate::conductor::{RunOptions, RunSpec};
use crate::export::CastWriter;

use super::dashboard::{self, Areas};
use super::keymap::{self, Intent, Scope};
use super::common::scroll_offset;
use super::picker::{Launch, PickerFocus, PickerState};
use super::session::Session;
use super::state::Tone;
use super::terminal::Term;
use super::text::Lang;
use super::theme::Theme;

/// Least time between two frames that records (not keys) cause: at most 40
/// a second, however fast records stream.
const FRAME: Duration = Duration::from_millis(25);

/// What the dashboard writes besides the screen (`--cast`, `--record`).
#[derive(Debug, Default)]
pub struct Outputs {
    /// An asciicast v2 recording of every frame, with a marker at each step.
    pub cast: Option<std::path::PathBuf>,
    /// The run's schedule, saved when the dashboard closes (for `forkscope replay`).
    pub record: Option<std::path::PathBuf>,
}

/// A cast being written, and the step its last marker was for.
struct Cast {
    writer: CastWriter<std::io::BufWriter<std::fs::File>>,
    path: std::path::PathBuf,
    marked: u64,
}

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

/// Frames drawn, for `FORKSCOPE_UI_STATS` (the redraw-rate figures of `cargo bench --bench render`).
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
    cast: Option<Cast>,
    record: Option<std::path::PathBuf>,
    /// Lines to print once the terminal is back (what was saved, what failed).
    pub notes: Vec<String>,
    /// `x`: a search of every interleaving under way.
    explore: Option<super::explore::Job>,
    /// `x`: the question before it starts (which bad outcome to hunt).
    hunt: Option<super::explore::Choice>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("lang", &self.lang).field("quit", &self.quit).finish()
    }
}

impl App {
    /// An app that opens on the lesson picker.
    pub fn with_picker(lang: Lang, theme: Theme) -> App {
        let picker = PickerState::builtin(lang, theme);
        App::new(Screen::Picker, Some(picker), lang, theme)
    }

    /// An app that opens on a running lesson.
    pub fn with_session(session: Session, lang: Lang, theme: Theme) -> App {
        App::new(Screen::Dashboard(Box::new(session)), None, lang, theme)
    }

    fn new(screen: Screen, picker: Option<PickerState>, lang: Lang, theme: Theme) -> App {
        App { screen, picker, lang, theme, quit: false, areas: Areas::default(), size: Rect::default(), stats: FrameStats::default(), test_panic: std::env::var_os("FORKSCOPE_TEST_PANIC").is_some(), cast: None, record: None, notes: Vec::new(), explore: None, hunt: None }
    }

    /// Writes a cast and/or a recording as `outputs` asks; the cast file is
    /// created now (so a bad path is said before the terminal is taken).
    pub fn with_outputs(mut self, outputs: Outputs, width: u16, height: u16) -> anyhow::Result<App> {
        if let Some(path) = outputs.cast {
            let file = std::fs::File::create(&path).map_err(|e| anyhow::anyhow!("--cast {}: {e}", path.display()))?;
            let title = match &self.screen {
                Screen::Dashboard(s) => format!("forkscope {}", s.dash.lesson.name),
                Screen::Picker => "forkscope".to_string(),
            };
            let writer = CastWriter::new(std::io::BufWriter::new(file), width, height, Some(&title), None).map_err(|e| anyhow::anyhow!("--cast {}: {e}", path.display()))?;
            self.cast = Some(Cast { writer, path, marked: 0 });
        }
        if let Some(path) = &outputs.record {
            // Fail now, not after the lesson, if the file cannot be written.
            std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| anyhow::anyhow!("--record {}: {e}", path.display()))?;
        }
        self.record = outputs.record;
        Ok(self)
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
    pub fn run(&mut self, terminal: &mut Term) -> anyhow::Result<Exit> {
        let watchdog = super::terminal::Watchdog::start();
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        let mut last_clock = (u64::MAX, u64::MAX);
        let mut last_loop = Instant::now();
        let mut last_size = None;
        let exit = loop {
            if let Some(sig) = crate::sys::stop_requested() {
                break Exit::Signal(sig);
            }
            if super::terminal::follow_job_control(terminal)? {
                dirty = true;
            }
            // A resize is an event, but one that comes before crossterm
            // listens for SIGWINCH (right after the first frame, on a loaded
            // machine) is never reported: look at the size itself (an ioctl).
            let size = terminal.size().ok();
            if size != last_size {
                last_size = size;
                dirty = true;
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
                let clock = (st.elapsed.as_secs(), st.clock_ns / super::common::timeline_tick_ns(st.speed));
                if clock != last_clock {
                    last_clock = clock;
                    dirty = true;
                }
            }
            self.stats.secs_ticking += tick_start.elapsed().as_secs_f64();
            if self.poll_explore() {
                dirty = true;
            }
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
                super::terminal::Readiness::HungUp => break Exit::Signal(libc::SIGHUP),
                super::terminal::Readiness::Ready if !super::terminal::hung_up() => wait,
                super::terminal::Readiness::Ready => break Exit::Signal(libc::SIGHUP),
                super::terminal::Readiness::Timeout => Duration::ZERO,
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
        self.save_record();
        if let Some(c) = self.cast.take() {
            match c.writer.finish().and_then(|mut w| std::io::Write::flush(&mut w)) {
                Ok(()) => self.notes.push(format!("session recorded to {} (play it: asciinema play {})", c.path.display(), c.path.display())),
                Err(e) => self.notes.push(format!("--cast {}: {e}", c.path.display())),
            }
        }
        self.write_stats();
        Ok(exit)
    }

    /// `--record`: saves the run as it is now.
    fn save_record(&mut self) {
        let Some(path) = self.record.clone() else { return };
        let Screen::Dashboard(s) = &self.screen else {
            self.notes.push(format!("--record {}: no lesson was running, nothing recorded", path.display()));
            return;
        };
        let note = match s.recording("recorded in the dashboard").map_err(|e| e.to_string()).and_then(|rec| rec.save(&path).map(|_| rec).map_err(|e| e.to_string())) {
            Ok(rec) => format!("recorded to {} ({} steps{}); replay it: forkscope replay {}", path.display(), rec.actions.len(), if rec.reconstructed { ", rebuilt from a free run" } else { "" }, path.display()),
            Err(e) => format!("--record {}: {e}", path.display()),
        };
        self.notes.push(note);
    }

    fn draw(&mut self, terminal: &mut Term) -> anyhow::Result<()> {
        let frame = terminal.draw(|f| f.render_widget(&*self, f.area()))?;
        self.size = frame.area;
        if let Some(c) = self.cast.as_mut() {
            let steps = match &self.screen {
                Screen::Dashboard(s) => s.steps(),
                Screen::Picker => 0,
            };
            let t = c.writer.elapsed();
            let mut res = Ok(());
            if steps != c.marked {
                c.marked = steps;
                if steps > 0 {
                    res = c.writer.marker_at(t, &format!("step {steps}"));
                }
            }
            if let Err(e) = res.and_then(|_| c.writer.frame_at(t, frame.buffer)) {
                self.notes.push(format!("--cast {}: {e} (recording stopped)", c.path.display()));
                self.cast = None;
            }
        }
        if let Screen::Dashboard(s) = &mut self.screen {
            self.areas = dashboard::layout(frame.area, &s.dash);
            s.dash.view.lanes_capacity = self.areas.lanes.height.saturating_sub(3) as usize;
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
                "rewind_secs": match &self.screen {
                    Screen::Dashboard(d) => d.rewind_secs.clone(),
                    Screen::Picker => Vec::new(),
                },
                "steps": match &self.screen {
                    Screen::Dashboard(d) => d.steps(),
                    Screen::Picker => 0,
                },
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
            Screen::Dashboard(s) if s.typing.is_some() => {
                // Typing a line for input(): every key edits it.
                use crossterm::event::{KeyCode, KeyModifiers};
                if k.kind == crossterm::event::KeyEventKind::Release {
                    return Ok(());
                }
                match k.code {
                    KeyCode::Enter => s.finish_typing(Some(true)),
                    KeyCode::Esc => s.finish_typing(None),
                    KeyCode::Char('d') if k.modifiers.contains(KeyModifiers::CONTROL) => s.finish_typing(Some(false)),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => s.finish_typing(None),
                    KeyCode::Backspace => s.type_key(None),
                    KeyCode::Char(c) => s.type_key(Some(c)),
                    _ => {}
                }
            }
            Screen::Dashboard(_) if self.hunt.is_some() => self.on_hunt_key(k),
            Screen::Dashboard(_) => {
                if let Some(a) = keymap::lookup(Scope::Dashboard, k) {
                    self.dashboard_action(a)?;
                }
            }
        }
        Ok(())
    }

    fn picker_action(&mut self, a: Intent) -> anyhow::Result<()> {
        let Some(p) = self.picker.as_mut() else { return Ok(()) };
        p.message = None;
        match a {
            Intent::Up => p.up(),
            Intent::Down => p.down(),
            Intent::NextPane | Intent::PrevPane => p.switch_focus(),
            Intent::Increase => p.adjust(1),
            Intent::Decrease => p.adjust(-1),
            Intent::Type(c) => p.type_char(c),
            Intent::Erase => p.erase(),
            Intent::Help => p.help = !p.help,
            Intent::Back => p.help = false,
            Intent::Language => {
                p.lang = p.lang.toggle();
                self.lang = p.lang;
            }
            Intent::Quit => self.quit = true,
            Intent::SwitchList => p.switch_list(),
            Intent::Start => match p.launch() {
                Ok(launch) => self.start(launch),
                Err(e) => p.message = Some((e, Tone::Bad)),
            },
            _ => {}
        }
        Ok(())
    }

    fn start(&mut self, launch: Launch) {
        let spec = RunSpec { params: launch.params, seed: launch.seed, lang: self.lang, ..RunSpec::of(launch.lesson) };
        let mut opts = RunOptions::new(spec);
        opts.paused = launch.paused;
        match Session::start(opts, self.theme) {
            Ok(s) => self.screen = Screen::Dashboard(Box::new(s)),
            Err(e) => {
                if let Some(p) = self.picker.as_mut() {
                    p.message = Some((format!("{} {e:#}", self.lang.pick("cannot start:", "无法开始:")), Tone::Bad));
                }
            }
        }
    }

    fn dashboard_action(&mut self, a: Intent) -> anyhow::Result<()> {
        let Screen::Dashboard(s) = &mut self.screen else { return Ok(()) };
        let page = (self.areas.log.height.max(4) - 3) as isize;
        s.dash.view.message = None;
        // A signal key waiting for its second press is cancelled by any other key.
        if !matches!(a, Intent::Terminate | Intent::Kill | Intent::Freeze) {
            s.dash.view.pending = None;
        }
        match a {
            Intent::TogglePause => s.toggle_pause(),
            Intent::StepNext => s.step(None),
            Intent::StepSelected => s.step_selected(),
            Intent::ToggleStatements => s.toggle_statements(),
            Intent::Terminate => s.signal(libc::SIGTERM),
            Intent::Kill => s.signal(libc::SIGKILL),
            Intent::Freeze => s.toggle_freeze(),
            Intent::Join => s.join_selected(),
            Intent::Restart => {
                if let Err(e) = s.restart() {
                    let l = s.dash.lang;
                    s.dash.say(format!("{} {e:#}", l.pick("cannot restart:", "无法重新开始:")), Tone::Bad);
                }
            }
            Intent::Rewind => {
                if let Err(e) = s.rewind() {
                    let l = s.dash.lang;
                    s.dash.say(format!("{} {e:#}", l.pick("cannot go back:", "无法后退:")), Tone::Bad);
                }
            }
            Intent::Screenshot => {
                let size = self.size;
                let msg = screenshot(&s.dash, size);
                s.dash.say(msg.0, msg.1);
            }
            Intent::TypeInput => s.start_typing(),
            Intent::ExploreAll => self.toggle_explore(),
            Intent::Faster => s.change_speed(true),
            Intent::Slower => s.change_speed(false),
            Intent::Up => s.dash.move_by(-1),
            Intent::Down => s.dash.move_by(1),
            Intent::PageUp => s.dash.move_by(-page),
            Intent::PageDown => s.dash.move_by(page),
            Intent::Details => s.dash.toggle_details(),
            Intent::NextPane => s.dash.next_pane(),
            Intent::PrevPane => s.dash.prev_pane(),
            Intent::Help => s.dash.toggle_help(),
            Intent::Explain => s.dash.toggle_explanation(),
            Intent::ShowEnded => s.dash.toggle_ended(),
            Intent::PrintsOnly => s.dash.toggle_prints_only(),
            Intent::Variables => s.dash.toggle_variables(),
            Intent::Console => s.dash.toggle_console(),
            Intent::Language => {
                s.dash.toggle_lang();
                s.relanguage();
                self.lang = s.dash.lang;
                if let Some(p) = self.picker.as_mut() {
                    p.lang = self.lang;
                }
            }
            Intent::Back if !s.dash.close_overlay() => {
                self.back_to_picker();
                return Ok(());
            }
            Intent::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    /// `x`: stops the search under way; else, on a lesson with bad outcomes
    /// of its own, asks which to hunt first; else starts `explore --all`.
    fn toggle_explore(&mut self) {
        let Screen::Dashboard(s) = &mut self.screen else { return };
        let l = s.dash.lang;
        if let Some(job) = self.explore.as_mut() {
            job.stop();
            s.dash.say(l.pick("stopping the search…", "正在停止搜索……"), Tone::Info);
            return;
        }
        match super::explore::Choice::of(&s.dash.lesson) {
            Some(choice) => self.hunt = Some(choice),
            None => self.start_explore(None),
        }
    }

    /// A key while the question before `x` is open: ↑↓ (J K) or a digit
    /// choose, enter starts, esc (or q) cancels; nothing else happens.
    fn on_hunt_key(&mut self, k: &KeyEvent) {
        use crossterm::event::KeyCode;
        if k.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        let Some(c) = self.hunt.as_mut() else { return };
        match k.code {
            KeyCode::Up | KeyCode::Char('K') => c.up(),
            KeyCode::Down | KeyCode::Char('J') => c.down(),
            KeyCode::Char(d @ '1'..='9') => {
                let i = d as usize - '1' as usize;
                if i < c.options.len() {
                    c.selected = i;
                }
            }
            KeyCode::Enter => {
                let bad = c.chosen();
                self.hunt = None;
                self.start_explore(bad);
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                self.hunt = None;
                if let Screen::Dashboard(s) = &mut self.screen {
                    let l = s.dash.lang;
                    s.dash.say(l.pick("explore --all cancelled", "已取消 explore --all"), Tone::Info);
                }
            }
            _ => {}
        }
    }

    /// Starts `explore --all` of the open lesson (its parameters, its seed),
    /// hunting `bad` (else any bad outcome).
    fn start_explore(&mut self, bad: Option<String>) {
        let Screen::Dashboard(s) = &mut self.screen else { return };
        let l = s.dash.lang;
        let dir = std::env::current_dir().unwrap_or_else(|_| ".".into());
        let out = super::explore::counterexample_path(&dir, &s.dash.lesson.name, s.options().spec.seed);
        match super::explore::Job::start(s.options(), &out, bad.as_deref()) {
            Ok(job) => {
                self.explore = Some(job);
                s.dash.explored = Some(super::explore::SearchView::Running(Default::default()));
                let what = match (&bad, l) {
                    (Some(b), Lang::En) => format!("hunting {b}: "),
                    (Some(b), Lang::Zh) => format!("寻找 {b}:"),
                    (None, _) => String::new(),
                };
                s.dash.say(format!("{what}{}", l.pick("exploring every interleaving of this lesson in the background; the run here goes on", "正在后台穷举这一课的所有交错;这里的运行照常继续")), Tone::Info);
            }
            Err(e) => s.dash.say(format!("{} {e}", l.pick("cannot start explore --all:", "无法开始 explore --all:")), Tone::Bad),
        }
    }

    /// Takes what the search said; true if the screen changed. A
    /// counterexample opens as a replay of the saved recording.
    fn poll_explore(&mut self) -> bool {
        use super::explore::{Polled, SearchView, Verdict};
        let Some(polled) = self.explore.as_mut().and_then(|j| j.poll()) else { return false };
        if !matches!(polled, Polled::Progress(_)) {
            self.explore = None;
        }
        let (lang, theme) = (self.lang, self.theme);
        let Screen::Dashboard(s) = &mut self.screen else { return false };
        let l = s.dash.lang;
        match polled {
            Polled::Progress(p) => s.dash.explored = Some(SearchView::Running(p)),
            Polled::Ended(said) => {
                s.dash.explored = None;
                s.dash.say(format!("explore --all: {said}"), Tone::Bad);
            }
            Polled::Done(o @ Verdict::Counterexample { .. }) => {
                let Verdict::Counterexample { saved, .. } = &o else { unreachable!() };
                match crate::recording::Recording::load(saved).map_err(anyhow::Error::from).and_then(|rec| Session::replay(&rec, lang, theme)) {
                    Ok(mut replay) => {
                        s.shutdown();
                        if let Verdict::Counterexample { why, .. } = &o
                            && !why.en.is_empty()
                        {
                            let said = why.sentences(l).join(l.pick("; ", ";"));
                            replay.dash.say(format!("{} {said}", l.pick("why:", "原因:")), Tone::Bad);
                        }
                        replay.dash.explored = Some(SearchView::Done(o));
                        // The same process stays selected in the replay.
                        replay.dash.view.chosen = s.dash.view.chosen.clone();
                        self.screen = Screen::Dashboard(Box::new(replay));
                    }
                    Err(e) => {
                        s.dash.explored = Some(SearchView::Done(o));
                        s.dash.say(format!("{} {e:#}", l.pick("the counterexample does not open:", "反例无法打开:")), Tone::Bad);
                    }
                }
            }
            Polled::Done(o) => s.dash.explored = Some(SearchView::Done(o)),
        }
        true
    }

    /// `esc` in the dashboard: ends the run and opens the lesson picker (the
    /// one it came from, else a new one on this lesson, for `forkscope run`).
    fn back_to_picker(&mut self) {
        // A `--record` run is saved before it ends.
        self.save_record();
        self.record = None;
        // The search was of this lesson: it stops with it.
        self.explore = None;
        self.hunt = None;
        let Screen::Dashboard(s) = &mut self.screen else { return };
        s.shutdown();
        let name = s.dash.lesson.name.clone();
        let (lang, theme) = (self.lang, self.theme);
        let fresh = self.picker.is_none();
        let p = self.picker.get_or_insert_with(|| PickerState::builtin(lang, theme));
        if fresh {
            p.select_named(&name);
        }
        self.screen = Screen::Picker;
    }

    fn on_mouse(&mut self, m: &MouseEvent) {
        let areas = self.areas;
        let size = self.size;
        match &mut self.screen {
            Screen::Dashboard(s) => match m.kind {
                MouseEventKind::ScrollUp => s.dash.scroll_at(&areas, m.column, m.row, -1),
                MouseEventKind::ScrollDown => s.dash.scroll_at(&areas, m.column, m.row, 1),
                MouseEventKind::Down(MouseButton::Left) => {
                    // A click on a process's line in the Source pane steps it.
                    if let Some(lane) = s.dash.click(&areas, m.column, m.row) {
                        s.step(Some(lane));
                    }
                }
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

/// Saves the dashboard as it is drawn now as SVG and PNG (light theme, for
/// print) in the current folder: `forkscope-LESSON-stepN.svg` / `.png`
/// (`-2`, `-3`… if taken, by anything: a planted link is never written
/// through). Returns what to say.
fn screenshot(dash: &super::state::Dashboard, size: Rect) -> (String, Tone) {
    let area = Rect::new(0, 0, size.width.max(1), size.height.max(1));
    let mut figure = dash.clone();
    let moment = super::panes::header::step_label(dash);
    super::figure::as_figure(&mut figure, &moment);
    let buf = super::figure::frame(&figure, area.width, area.height);
    let base = format!("forkscope-{}-step{}", dash.lesson.name.replace(['/', ' '], "_"), dash.status.steps);
    let stem = match crate::export::save_new_pictures(&buf, std::path::Path::new("."), &base, crate::export::Paper::Light, 2) {
        Ok(stem) => stem,
        Err(e) => return (format!("{} {e}", dash.lang.pick("screenshot not saved:", "截图没有保存:")), Tone::Bad),
    };
    let dir = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
    let l = dash.lang;
    (format!("{} {stem}.svg + {stem}.png ({}x{}) {} {dir}", l.pick("screenshot saved:", "截图已保存:"), area.width, area.height, l.pick("in", "于")), Tone::Good)
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match &self.screen {
            Screen::Dashboard(s) => {
                (&s.dash).render(area, buf);
                if let Some(c) = &self.hunt {
                    super::explore::ChoiceWidget { choice: c, lang: s.dash.lang, theme: &s.dash.theme }.render(area, buf);
                }
            }
            Screen::Picker => {
                if let Some(p) = &self.picker {
                    p.render(area, buf);
                }
            }
        }
    }
}
