//! A process's variables, as Python Tutor shows them: the locals of its
//! frames in the program's own file, at the op it is about to take, with the
//! ones that changed since its previous step marked.
//!
//! The Python side writes them (a `Locals` record, not an op) whenever it
//! reaches an op while the run is paused or stepped, so a stepped run's
//! variables follow from its schedule alone; a free run writes none (it
//! pays nothing). The record's text is lines, innermost frame first:
//!
//! ```text
//! F<TAB>function<TAB>line      a frame (`<module>` for the program's top level)
//! V<TAB>name<TAB>repr          one of its variables (repr bounded, one line)
//! M<TAB>count                  variables of that frame left out
//! ```
//!
//! Anything else in the text is skipped: the record comes from the
//! program's process and is not trusted to be well formed.

use serde::Serialize;

/// One variable of a frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Var {
    pub name: String,
    /// Its `repr`, bounded by the writer (and again here).
    pub repr: String,
    /// New, or a different repr, since the process's previous step.
    pub changed: bool,
}

/// One frame in the program's own file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub function: String,
    pub line: u32,
    pub vars: Vec<Var>,
    /// Variables the writer left out (it sends a bounded number per frame).
    pub more: u32,
}

/// A process's frames at its latest step, innermost first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vars {
    pub frames: Vec<Frame>,
    /// Steps (Locals records) seen for the process so far.
    pub steps: u64,
    /// The `seq` of its latest Locals record (which process stepped last).
    pub seq: u64,
}

/// Longest repr kept (characters).
pub const REPR_MAX: usize = 60;
/// Most frames kept.
pub const FRAMES_MAX: usize = 8;
/// Most variables kept per frame.
pub const VARS_MAX: usize = 24;

fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Reads a record's text (see the module doc).
pub fn parse(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("F"), Some(function), Some(no)) if frames.len() < FRAMES_MAX => {
                frames.push(Frame { function: bounded(function, 40), line: no.parse().unwrap_or(0), vars: vec![], more: 0 });
            }
            (Some("V"), Some(name), Some(repr)) => {
                if let Some(f) = frames.last_mut() {
                    if f.vars.len() < VARS_MAX {
                        f.vars.push(Var { name: bounded(name, 40), repr: bounded(repr, REPR_MAX), changed: false });
                    } else {
                        f.more += 1;
                    }
                }
            }
            (Some("M"), Some(n), None) => {
                if let Some(f) = frames.last_mut() {
                    f.more = f.more.saturating_add(n.parse().unwrap_or(0));
                }
            }
            _ => {}
        }
    }
    frames
}

impl Vars {
    /// The process's next step: `frames` replace the old ones, each variable
    /// marked changed when its frame (the same function at the same depth
    /// from the outermost) did not have it, or had another repr. The first
    /// step marks nothing (there is nothing to compare with).
    pub fn step(&mut self, mut frames: Vec<Frame>) {
        if self.steps > 0 {
            let old_n = self.frames.len();
            let new_n = frames.len();
            for (i, f) in frames.iter_mut().enumerate() {
                // Depth from the outermost frame: the same call when the
                // stack only grew or shrank above it.
                let depth = new_n - 1 - i;
                let old = (depth < old_n).then(|| &self.frames[old_n - 1 - depth]).filter(|o| o.function == f.function);
                for v in &mut f.vars {
                    v.changed = match old {
                        Some(o) => o.vars.iter().find(|w| w.name == v.name).is_none_or(|w| w.repr != v.repr),
                        None => true,
                    };
                }
            }
        }
        self.frames = frames;
        self.steps += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_marked_against_the_same_frame_of_the_previous_step() {
        let mut v = Vars::default();
        v.step(parse("F\twithdraw\t5\nV\tbalance\t<Value balance>\nF\t<module>\t12\nV\tN\t2\n"));
        assert!(v.frames.iter().all(|f| f.vars.iter().all(|x| !x.changed)), "the first step marks nothing");
        v.step(parse("F\twithdraw\t6\nV\tbalance\t<Value balance>\nV\told\t1000\nF\t<module>\t12\nV\tN\t2\n"));
        let w = &v.frames[0];
        assert_eq!((w.function.as_str(), w.line), ("withdraw", 6));
        assert_eq!(w.vars.iter().map(|x| (x.name.as_str(), x.changed)).collect::<Vec<_>>(), vec![("balance", false), ("old", true)]);
        assert!(!v.frames[1].vars[0].changed);
        v.step(parse("F\twithdraw\t6\nV\tbalance\t<Value balance>\nV\told\t900\nF\t<module>\t12\nV\tN\t3\n"));
        assert!(v.frames[0].vars[1].changed && v.frames[1].vars[0].changed);
    }

    #[test]
    fn untrusted_text_is_bounded_and_odd_lines_are_skipped() {
        let long = "x".repeat(500);
        let frames = parse(&format!("V\tbefore\tany frame\nF\tf\tnot a number\nV\ta\t{long}\nM\t7\ngarbage\n"));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].line, 0);
        assert_eq!(frames[0].vars[0].repr.chars().count(), REPR_MAX);
        assert_eq!(frames[0].more, 7);
    }
}
