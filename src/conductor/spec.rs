//! Which run: [`RunSpec`], declared once. The command line parses it (clap
//! gives the lesson, `--param`, `--seed`, `--schedule`, `--statements`,
//! `--lang`), a recording carries it, the dashboard's `r` keeps it, and every
//! command hands it on as it is: to the conductor (in [`super::RunOptions`]),
//! to the headless runner, to a recording, to a figure, to explore.

use std::collections::BTreeMap;

use crate::codec::Value;
use crate::scenario::Lesson;
use crate::vocab::Lang;

use super::schedule::Schedule;

#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The lesson as it runs: its variant chosen, its constants set.
    pub lesson: Lesson,
    /// Parameter values after the lesson's defaults and `--param`.
    pub params: BTreeMap<String, Value>,
    /// The lesson's random numbers, and random schedules.
    pub seed: u64,
    /// How a headless run is stepped (`--schedule`); `None`: it runs free
    /// (the dashboard's steps are the viewer's).
    pub schedule: Option<Schedule>,
    /// Stepped by statement rather than by op.
    pub statements: bool,
    /// The language titles, stories and findings are said in.
    pub lang: Lang,
}

impl RunSpec {
    /// `lesson` with its defaults: no parameters set, seed 0, free, by op, English.
    pub fn of(lesson: Lesson) -> RunSpec {
        RunSpec { lesson, params: BTreeMap::new(), seed: 0, schedule: None, statements: false, lang: Lang::En }
    }

    /// The program's own file, absolute (empty for a built-in Rhai lesson):
    /// Python's `__file__` and `sys.path[0]`. A built-in Python program is not
    /// on disk: Python names it by its file name (`join-loop.py`), as
    /// `python3 join-loop.py` would, and finds sibling modules in the run's
    /// folder.
    pub fn source_path(&self) -> String {
        let l = &self.lesson;
        if !l.is_builtin() {
            std::fs::canonicalize(&l.origin).map_or_else(|_| l.origin.clone(), |p| p.to_string_lossy().into_owned())
        } else if l.engine == crate::scenario::Engine::Python {
            std::path::Path::new(&l.script_file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
        } else {
            String::new()
        }
    }
}
