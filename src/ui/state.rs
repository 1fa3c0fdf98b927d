//! The dashboard's state, apart from any drawing and from the live run: the
//! model (built from records only), what the run reports about itself
//! ([`RunStatus`]), and what the viewer chose ([`ViewState`]: focus,
//! selection, scrolling, overlays). Intents that only move the view live here;
//! intents that act on processes are in `session`.
//!
//! Snapshot tests build a [`Dashboard`] from recorded records and a fixed
//! status, so what is drawn does not depend on a live run.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::codec::Value;
use crate::model::summary::{EndReason, Summary};
use crate::model::{Deadlock, Model, Record};
use crate::scenario::Lesson;
use crate::vocab::{Lane, ResId};

use super::text::Lang;
use super::theme::Theme;

/// What the run is doing, as the header says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Running,
    Paused,
    /// Step number `n` is under way (granted, not yet quiescent).
    Stepping { n: u64 },
    /// Running until process `lane` ends (`j`).
    Joining { lane: Lane },
    /// Every process has ended.
    Ended,
}

/// What the live run says about itself (the conductor's counters and gate
/// settings); the rest of the screen comes from the model.
#[derive(Clone, Debug, PartialEq)]
pub struct RunStatus {
    pub mode: Mode,
    /// Steps are statements, not ops.
    pub statements: bool,
    pub speed: f64,
    pub elapsed: Duration,
    /// Records per second over the last second.
    pub rate: f64,
    pub received: u64,
    pub dropped: u64,
    pub corrupt: u64,
    /// Lanes frozen with SIGSTOP.
    pub frozen: BTreeSet<Lane>,
    /// Percent of one core each live process used lately, sampled by the
    /// conductor (htop's CPU%); empty in figures (not reproducible).
    pub cpu: BTreeMap<Lane, f32>,
    /// Nothing changes until the user acts (every process parked, blocked or
    /// ended): only then is a deadlock in the model a real one.
    pub settled: bool,
    /// Time the timeline's right edge stands for (ns since the run started).
    pub clock_ns: u64,
    /// Gate actions performed so far (steps and signals): the step counter.
    pub steps: u64,
    /// A recording being replayed, or a rewind under way.
    pub follow: Option<FollowStatus>,
    /// Titles of the lesson's goals this run has reached (challenge mode).
    pub goals: Vec<String>,
    /// The run went without the gate at some point (its steps are not all counted).
    pub ran_free: bool,
    /// The lesson's bad outcomes (`[[bad]]`) that hold now, as messages.
    pub bad: Vec<String>,
}

/// Where the run is in a schedule it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowStatus {
    /// Actions performed of it.
    pub next: usize,
    pub total: usize,
    /// A rewind's target step (0: not rewinding).
    pub target: usize,
    /// The schedule is a recording (`forkscope replay`).
    pub replay: bool,
    /// The replay plays by itself.
    pub playing: bool,
    /// Its pace: milliseconds between two steps when it plays.
    pub pace_ms: u64,
}

impl FollowStatus {
    pub fn rewinding(&self) -> bool {
        self.next < self.target
    }
}

impl Default for RunStatus {
    fn default() -> Self {
        RunStatus {
            mode: Mode::Paused,
            statements: false,
            speed: 1.0,
            elapsed: Duration::ZERO,
            rate: 0.0,
            received: 0,
            dropped: 0,
            corrupt: 0,
            frozen: BTreeSet::new(),
            cpu: BTreeMap::new(),
            settled: false,
            clock_ns: 0,
            steps: 0,
            follow: None,
            goals: Vec::new(),
            ran_free: false,
            bad: Vec::new(),
        }
    }
}

/// The panes `tab` moves between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Lanes,
    Resources,
    Source,
    Log,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Lanes, Pane::Resources, Pane::Source, Pane::Log];

    pub fn next(self) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ORDER[(i + 1) % Pane::ORDER.len()]
    }

    pub fn prev(self) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ORDER[(i + Pane::ORDER.len() - 1) % Pane::ORDER.len()]
    }
}

/// A popup over the panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// The lesson's explanation: story, what to look for, challenge (`e`).
    Lesson,
    /// Details of the selected process (lanes pane) or resource (resources pane).
    Details(Pane),
}

/// How a footer message reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// An item of the resources pane: a shared resource or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResItem {
    Res(ResId),
    File(String),
}

/// Who a process is, across runs of the same lesson (`r`, `b`, replays),
/// where its lane may differ: its name, and how many processes before it
/// (in lane order) had the same name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub nth: usize,
}

impl Identity {
    /// The identity of process `lane` in `model`.
    pub fn of(model: &Model, lane: Lane) -> Option<Identity> {
        let name = &model.processes.get(&lane)?.name;
        let nth = model.processes.range(..lane).filter(|(_, p)| &p.name == name).count();
        Some(Identity { name: name.clone(), nth })
    }

    /// The process of `model` that has this identity.
    pub fn find(&self, model: &Model) -> Option<Lane> {
        model.processes.values().filter(|p| p.name == self.name).nth(self.nth).map(|p| p.lane)
    }
}

/// How long after the selection changed a key that signals the selected
/// process (`t`, `k`, `z`) first names its target and waits for a second press.
pub const CONFIRM_WINDOW: Duration = Duration::from_secs(1);

/// What the viewer chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewState {
    pub focus: Pane,
    /// The selected process, by lane (stable while processes come and go).
    pub selected_lane: Option<Lane>,
    /// Who the viewer selected (`None`: nobody yet, the first process is
    /// selected): a restarted or rewound run selects that process again as
    /// soon as it exists, and until then the selection says it is missing.
    pub chosen: Option<Identity>,
    /// When the selected process, or its row, last changed.
    pub selection_changed: Option<Instant>,
    /// The selection as last seen: (process, row), to notice changes.
    pub selection_seen: Option<(Option<Lane>, usize)>,
    /// A signal key pressed once on a selection that had just changed: the
    /// key and its target, which a second press of the key acts on.
    pub pending: Option<(char, Lane)>,
    /// Index into [`Dashboard::res_items`].
    pub selected_res: usize,
    /// Log lines scrolled up from the newest (0 = follow the end).
    pub log_scroll: usize,
    /// First source line shown (0-based); `None` follows the selected process.
    pub source_scroll: Option<usize>,
    pub overlay: Option<Overlay>,
    /// The footer message (replaces the key hints until the next key).
    pub message: Option<(String, Tone)>,
    /// Drawn as a figure for course notes (`p`, `snapshot`): no tool
    /// counters (records/s, dropped) and the lesson's title in full.
    pub figure: bool,
    /// A figure of chosen panes only (`snapshot --panes`), stacked top to
    /// bottom in this order; `None`: the dashboard's layout.
    pub stack: Option<Vec<FigurePane>>,
    /// Ended processes stay in the list even when it overflows (`f`).
    pub show_ended: bool,
    /// Process rows the lanes pane showed at the last draw (0: not drawn yet),
    /// so that moving the selection skips the rows folded away.
    pub lanes_capacity: usize,
    /// The log shows only what the program wrote (prints, stderr), not
    /// forkscope's events (`o`).
    pub prints_only: bool,
    /// `v`: the variables pane shown (under the source).
    pub show_vars: bool,
    /// `c`: the log pane shows the Console (the output as a terminal shows it).
    pub console: bool,
    /// First line shown of the open overlay (help, details, the lesson scroll when long).
    pub overlay_scroll: usize,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState { focus: Pane::Lanes, selected_lane: None, chosen: None, selection_changed: None, selection_seen: None, pending: None, selected_res: 0, log_scroll: 0, source_scroll: None, overlay: None, message: None, figure: false, stack: None, overlay_scroll: 0, show_ended: false, lanes_capacity: 0, prints_only: false, show_vars: false, console: false }
    }
}

/// Everything the dashboard draws.
#[derive(Clone, Debug)]
pub struct Dashboard {
    pub lesson: Lesson,
    /// The script as the Source pane shows it: (line number, text), tabs
    /// expanded, without forkscope's own `# forkscope-fix:` notes (a line
    /// that is only such a note is left out, a trailing one cut off); the
    /// numbers stay the program's own.
    pub source: Vec<(usize, String)>,
    /// `name=value` of every parameter, as the run got them.
    pub params: String,
    /// The parameters themselves (which goals apply to this variant).
    pub param_values: BTreeMap<String, Value>,
    pub seed: u64,
    pub lang: Lang,
    pub theme: Theme,
    pub model: Model,
    pub status: RunStatus,
    pub view: ViewState,
    /// Evaluates the lesson's conditions (one engine for the dashboard's life).
    pub judge: std::rc::Rc<crate::scenario::condition::Judge>,
    /// `x`: the search of every interleaving, under way or its result (kept
    /// over restarts and rewinds: it is about the lesson, not one run).
    pub explored: Option<super::explore::SearchView>,
    /// What a figure's footer says of where the run came from (a replay of
    /// an explore counterexample: the head of its recording's note).
    pub figure_note: Option<String>,
}

/// A pane a figure can show (`snapshot --panes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigurePane {
    Lanes,
    Resources,
    Source,
    Variables,
    Log,
    Console,
}

impl FigurePane {
    /// Every pane, with its name on the command line.
    pub const ALL: [(&'static str, FigurePane); 6] = [
        ("lanes", FigurePane::Lanes),
        ("resources", FigurePane::Resources),
        ("source", FigurePane::Source),
        ("variables", FigurePane::Variables),
        ("log", FigurePane::Log),
        ("console", FigurePane::Console),
    ];

    /// `lanes,source,log` as panes in that order; an unknown or repeated
    /// name is an error that says which names there are.
    pub fn parse_list(s: &str) -> Result<Vec<FigurePane>, String> {
        let names = || FigurePane::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        let mut out = Vec::new();
        for word in s.split(',').map(str::trim) {
            let Some(&(_, p)) = FigurePane::ALL.iter().find(|(n, _)| *n == word) else {
                return Err(if word.is_empty() { format!("--panes {s:?}: an empty pane name (panes: {})", names()) } else { format!("--panes: no pane called {word:?} (panes: {})", names()) });
            };
            if out.contains(&p) {
                return Err(format!("--panes: {word} is named twice"));
            }
            out.push(p);
        }
        Ok(out)
    }
}

/// Marks a comment forkscope added to a program of the notes (what it
/// changed and why): for the reader of the file, not for the class.
const FIX_NOTE: &str = "# forkscope-fix:";

/// `script` as the Source pane shows it (see [`Dashboard::source`]).
pub fn shown_source(script: &str) -> Vec<(usize, String)> {
    script
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with(FIX_NOTE))
        .map(|(i, l)| {
            let code = match l.find(FIX_NOTE) {
                Some(at) => l[..at].trim_end(),
                None => l,
            };
            (i + 1, code.replace('\t', "    "))
        })
        .collect()
}

impl Dashboard {
    pub fn new(lesson: Lesson, params: &BTreeMap<String, Value>, seed: u64, lang: Lang, theme: Theme) -> Dashboard {
        let source = shown_source(&lesson.script);
        let param_values = params.clone();
        let params = lesson.params_text(params);
        Dashboard { lesson, source, params, param_values, seed, lang, theme, model: Model::new(), status: RunStatus::default(), view: ViewState::default(), judge: Default::default(), explored: None, figure_note: None }
    }

    /// Feeds one record to the model.
    pub fn apply(&mut self, r: &Record) {
        self.model.apply(r);
    }

    /// A fresh model for a restarted run; the view keeps its choices.
    pub fn reset(&mut self) {
        self.model = Model::new();
        self.status = RunStatus::default();
        self.view.log_scroll = 0;
        self.view.source_scroll = None;
        // A lane number means another process in another run: the selection
        // is found again by who it is (see `follow_selection`).
        self.view.selected_lane = None;
        self.view.pending = None;
    }

    /// Process rows in tree order: (lane, depth).
    pub fn lane_rows(&self) -> Vec<(Lane, usize)> {
        self.model.tree_order()
    }

    /// The selected process: the chosen one if it exists; `None` if the
    /// chosen one is not in this run (yet); the first if none was chosen.
    pub fn selected_lane(&self) -> Option<Lane> {
        if let Some(l) = self.view.selected_lane.filter(|l| self.model.processes.contains_key(l)) {
            return Some(l);
        }
        if self.view.chosen.is_some() {
            return None;
        }
        self.lane_rows().first().map(|(l, _)| *l)
    }

    /// The process the viewer chose that this run does not have (yet).
    pub fn missing_selection(&self) -> Option<&Identity> {
        self.view.chosen.as_ref().filter(|_| self.selected_lane().is_none())
    }

    /// Binds the chosen process to its lane in this run once it exists, and
    /// notes when the selected process or its row changed (at `now`): a key
    /// that signals it asks for a second press within [`CONFIRM_WINDOW`].
    pub fn follow_selection(&mut self, now: Instant) {
        if let Some(id) = self.view.chosen.as_ref().filter(|_| self.view.selected_lane.is_none_or(|l| !self.model.processes.contains_key(&l))) {
            self.view.selected_lane = id.find(&self.model);
        }
        let seen = (self.selected_lane(), self.selected_row());
        if self.view.selection_seen != Some(seen) {
            // The first process appearing, nobody chosen yet, is no change under the hand.
            let was = self.view.selection_seen.and_then(|(lane, _)| lane);
            if was.is_some() || self.view.chosen.is_some() {
                self.view.selection_changed = Some(now);
                self.view.pending = None;
            }
            self.view.selection_seen = Some(seen);
        }
    }

    /// Whether a key (`key`) that signals process `lane` acts now: yes,
    /// unless the selection changed within [`CONFIRM_WINDOW`] before `now`;
    /// then the first press names the target in the footer (`what`, e.g.
    /// "SIGTERM to Process-2") and a second press of the same key acts.
    pub fn confirm_target(&mut self, key: char, lane: Lane, what: &str, now: Instant) -> bool {
        if self.view.pending.take() == Some((key, lane)) {
            return true;
        }
        let recent = self.view.selection_changed.is_some_and(|t| now.saturating_duration_since(t) < CONFIRM_WINDOW);
        if !recent {
            return true;
        }
        self.view.pending = Some((key, lane));
        let l = self.lang;
        let msg = match l {
            Lang::En => format!("{what}? The selection just changed: {key} again to confirm, another key cancels"),
            Lang::Zh => format!("{what}?选中的进程刚刚变了:再按 {key} 确认,按其他键取消"),
        };
        self.say(msg, Tone::Bad);
        false
    }

    /// What the footer says when a key acts on a selected process that
    /// this run does not have.
    pub fn say_missing(&mut self) {
        let Some(id) = self.missing_selection() else { return };
        let name = id.name.clone();
        let l = self.lang;
        let msg = match l {
            Lang::En => format!("{name} is not in this run (yet): nothing done (↑↓ select another process)"),
            Lang::Zh => format!("{name} 不在这次运行中(还没有出现):什么也没做(↑↓ 选择别的进程)"),
        };
        self.say(msg, Tone::Bad);
    }

    /// The rows the lanes pane shows in `capacity` rows, and how many ended
    /// processes it folded away: when the list overflows, the ended ones go
    /// (but the selected one), unless `f` asked to see them (0: no limit).
    pub fn shown_rows(&self, capacity: usize) -> (Vec<(Lane, usize)>, usize) {
        let rows = self.lane_rows();
        // Once every process has ended there is nothing else to make room for.
        let any_live = self.model.processes.values().any(|p| p.state.is_live());
        if self.view.show_ended || capacity == 0 || rows.len() <= capacity || !any_live {
            return (rows, 0);
        }
        let selected = self.selected_lane();
        let ended = |lane: Lane| self.model.processes.get(&lane).is_some_and(|p| !p.state.is_live());
        let shown: Vec<(Lane, usize)> = rows.iter().copied().filter(|(lane, _)| !ended(*lane) || Some(*lane) == selected).collect();
        let folded = rows.len() - shown.len();
        (shown, folded)
    }

    /// Shows or folds the ended processes of an overflowing list.
    pub fn toggle_ended(&mut self) {
        self.view.show_ended = !self.view.show_ended;
    }

    /// Shows or hides the variables pane.
    pub fn toggle_variables(&mut self) {
        self.view.show_vars = !self.view.show_vars;
    }

    /// The log pane: the Console (output as a terminal shows it), or the log.
    pub fn toggle_console(&mut self) {
        self.view.console = !self.view.console;
        self.view.log_scroll = 0;
    }

    /// The log: the program's own output only, or everything.
    pub fn toggle_prints_only(&mut self) {
        self.view.prints_only = !self.view.prints_only;
        self.view.log_scroll = 0;
    }

    /// The selected row of the lanes pane; a missing selection is the row
    /// after the last, where the pane says it is missing.
    fn selected_row(&self) -> usize {
        let rows = self.shown_rows(self.view.lanes_capacity).0;
        match self.selected_lane() {
            Some(l) => rows.iter().position(|(r, _)| *r == l).unwrap_or(0),
            None if self.view.chosen.is_some() => rows.len(),
            None => 0,
        }
    }

    /// Resources by id, then files by path.
    pub fn res_items(&self) -> Vec<ResItem> {
        let mut v: Vec<ResItem> = self.model.resources.keys().map(|id| ResItem::Res(*id)).collect();
        v.extend(self.model.files.keys().map(|p| ResItem::File(p.clone())));
        v
    }

    pub fn selected_res(&self) -> Option<ResItem> {
        let items = self.res_items();
        items.get(self.view.selected_res.min(items.len().saturating_sub(1))).cloned()
    }

    /// A deadlock, once the run has settled into it.
    pub fn deadlock(&self) -> Option<Deadlock> {
        if self.status.settled { self.model.deadlock() } else { None }
    }

    /// What the lesson's manifest says of the run as the model shows it:
    /// (bad outcomes, goals reached). A bad outcome is how a run ended
    /// (`!finished` holds all along until then), so only once it has
    /// `ended`; a goal is won by stepping, so only if the run was `stepped`.
    /// `workdir`, the run's folder while it is there, gives `file("name")`
    /// the files' full text.
    pub fn verdicts(&self, params: &BTreeMap<String, Value>, ended: bool, stepped: bool, workdir: Option<&std::path::Path>) -> (Vec<String>, Vec<String>) {
        use crate::scenario::condition;
        let m = &self.lesson.manifest;
        if (m.bad.is_empty() || !ended) && (m.goals.is_empty() || !stepped) {
            return Default::default();
        }
        // The outcome as headless names it (`completed`, `assertion`, `error`),
        // so a condition on `outcome` holds on screen as it does there.
        let outcome = ended.then(|| Summary::outcome(&self.model, &EndReason::AllEnded).name());
        let facts = condition::facts_of_run(&self.lesson, params, &self.model, outcome, workdir);
        let lang = self.lang;
        let mut v = condition::Verdicts::default();
        if ended {
            condition::bad_holding(&self.judge, &self.lesson, &facts, lang, &mut v);
        }
        if stepped {
            condition::goals_holding(&self.judge, &self.lesson, params, &facts, lang, &mut v);
        }
        // A failing condition shows in the banner with the bad outcomes.
        v.bad.extend(v.errors);
        (v.bad, v.goals)
    }

    pub fn say(&mut self, text: impl Into<String>, tone: Tone) {
        self.view.message = Some((text.into(), tone));
    }

    // ── intents that only move the view ──────────────────────────────────

    /// Moves the selection (or scrolls) in the focused pane by `delta` rows.
    pub fn move_by(&mut self, delta: isize) {
        if self.view.overlay.is_some() {
            // An open overlay scrolls (its widget clamps the end).
            self.view.overlay_scroll = (self.view.overlay_scroll as isize + delta).clamp(0, 1000) as usize;
            return;
        }
        match self.view.focus {
            Pane::Lanes => self.select_row(self.selected_row() as isize + delta),
            Pane::Resources => {
                let n = self.res_items().len();
                self.view.selected_res = (self.view.selected_res as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
            }
            Pane::Source => {
                let max = self.source.len().saturating_sub(1) as isize;
                let from = self.view.source_scroll.unwrap_or_else(|| self.followed_source_top(10)) as isize;
                self.view.source_scroll = Some((from + delta).clamp(0, max) as usize);
            }
            // Up scrolls back in time.
            // (Each entry takes at least one line, so that bounds the scroll.)
            Pane::Log => self.view.log_scroll = (self.view.log_scroll as isize - delta).clamp(0, self.model.log.len().max(self.model.console.len()).saturating_sub(1) as isize) as usize,
        }
    }

    /// Selects process `lane` (as a click on its row would).
    pub fn select_lane(&mut self, lane: Lane) {
        self.view.selected_lane = Some(lane);
        self.view.chosen = Identity::of(&self.model, lane);
        self.view.selection_changed = Some(Instant::now());
        self.view.pending = None;
        self.view.source_scroll = None;
    }

    /// The live processes at source line `n`, as the Source pane marks them:
    /// the selected one first, then in lane order.
    pub fn lanes_at_line(&self, n: usize) -> Vec<Lane> {
        let sel = self.selected_lane();
        let mut at: Vec<Lane> = self.model.live().filter(|p| p.line as usize == n && n > 0).map(|p| p.lane).collect();
        at.sort_by_key(|l| (Some(*l) != sel, *l));
        at
    }

    /// Selects the process in row `row` (clamped).
    pub fn select_row(&mut self, row: isize) {
        let rows = self.shown_rows(self.view.lanes_capacity).0;
        if rows.is_empty() {
            return;
        }
        let row = row.clamp(0, rows.len() as isize - 1) as usize;
        self.view.selected_lane = Some(rows[row].0);
        self.view.chosen = Identity::of(&self.model, rows[row].0);
        self.view.selection_changed = Some(Instant::now());
        self.view.pending = None;
        // The source pane follows the newly selected process.
        self.view.source_scroll = None;
    }

    /// Whether pane `p` is drawn with the focus (bold border, `[title]`): a
    /// figure shows no focus, it is the tool's, not the lesson's.
    pub fn has_focus(&self, p: Pane) -> bool {
        self.view.focus == p && !self.view.figure
    }

    /// Top line of the source pane when it follows the selected process:
    /// its line a third of the way down.
    pub fn followed_source_top(&self, height: usize) -> usize {
        let line = self.selected_lane().and_then(|l| self.model.processes.get(&l)).map_or(0, |p| p.line as usize);
        // The row of that line (or of the next one shown, if it is a hidden note).
        let row = self.source.iter().position(|(n, _)| *n >= line).unwrap_or(self.source.len());
        row.saturating_sub(height / 3).min(self.source.len().saturating_sub(height.max(1)))
    }

    pub fn next_pane(&mut self) {
        self.view.focus = self.view.focus.next();
    }

    pub fn prev_pane(&mut self) {
        self.view.focus = self.view.focus.prev();
    }

    pub fn toggle_help(&mut self) {
        self.view.overlay_scroll = 0;
        self.view.overlay = if self.view.overlay == Some(Overlay::Help) { None } else { Some(Overlay::Help) };
    }

    /// Shows or hides the lesson's explanation (from its top).
    pub fn toggle_explanation(&mut self) {
        self.view.overlay_scroll = 0;
        self.view.overlay = if self.view.overlay == Some(Overlay::Lesson) { None } else { Some(Overlay::Lesson) };
    }

    /// Details of what the focused pane selects (processes unless the
    /// resources pane has the focus).
    pub fn toggle_details(&mut self) {
        let pane = if self.view.focus == Pane::Resources && !self.res_items().is_empty() { Pane::Resources } else { Pane::Lanes };
        self.view.overlay_scroll = 0;
        self.view.overlay = match self.view.overlay {
            Some(Overlay::Details(_)) => None,
            _ => Some(Overlay::Details(pane)),
        };
    }

    /// Closes an overlay; false if there was none.
    pub fn close_overlay(&mut self) -> bool {
        self.view.overlay.take().is_some()
    }

    pub fn toggle_lang(&mut self) {
        self.lang = self.lang.toggle();
    }
}
