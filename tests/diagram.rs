//! End-to-end tests of `snapshot --diagram`: a run (a lesson, or explore's
//! counterexample) drawn as a sequence diagram from real runs: one column per
//! process, hand-offs as arrows between the right rows, a counterexample's
//! conflicting ops highlighted and said, the same file every time.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("forkscope-diagram-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn diagram(what: &str, extra: &[&str], out: &Path) -> Output {
    let mut args = vec!["snapshot", what, "--diagram", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run_limited(&args, Duration::from_secs(120));
    assert_eq!(o.status, 0, "snapshot {args:?}: {}{}", o.stdout, o.stderr);
    assert_left_nothing(o.pid, &[], Duration::from_secs(3));
    o
}

/// What a diagram shows: each text with its baseline and whether it is
/// bold and red (a conflicting op), and each arrow as (y1, y2).
struct Drawn {
    texts: Vec<(String, f32, bool)>,
    arrows: Vec<(f32, f32)>,
}

fn read(svg: &str) -> Drawn {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|t| (t.text().unwrap_or("").to_string(), t.attribute("y").unwrap().parse().unwrap(), t.attribute("font-weight") == Some("bold") && t.attribute("fill") == Some("#b00000")))
        .collect();
    let arrows = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("marker-end").is_some())
        .map(|l| (l.attribute("y1").unwrap().parse().unwrap(), l.attribute("y2").unwrap().parse().unwrap()))
        .collect();
    Drawn { texts, arrows }
}

impl Drawn {
    /// The rows (by baseline) whose label starts with `label`.
    fn rows(&self, label: &str) -> Vec<f32> {
        self.texts.iter().filter(|(t, _, _)| t.starts_with(label)).map(|(_, y, _)| *y).collect()
    }
    /// An arrow from a row labelled `from` to a row labelled `to`.
    fn arrow(&self, from: &str, to: &str) -> bool {
        // A row's dot (where arrows start and end) is 13 × 0.35 above its baseline.
        let at = |y: f32, row: f32| (y - (row - 13.0 * 0.35)).abs() < 0.2;
        self.arrows.iter().any(|(y1, y2)| self.rows(from).iter().any(|r| at(*y1, *r)) && self.rows(to).iter().any(|r| at(*y2, *r)))
    }
}

/// The deadlock lesson's shortest counterexample, drawn: the two processes'
/// columns, the run's verdict, the two conflicting ops in red and the
/// sentence saying why under the diagram; the same bytes twice; a PNG.
#[test]
fn a_counterexample_is_drawn_with_its_conflicting_ops_highlighted_and_said() {
    let dir = out_dir("deadlock");
    let rec = dir.join("dl.fsrec");
    let o = run_limited(&["explore", "deadlock", "--all", "--out", rec.to_str().unwrap()], Duration::from_secs(120));
    assert!(rec.exists(), "explore found the deadlock: {}{}", o.stdout, o.stderr);
    let svg = dir.join("dl.svg");
    let o = diagram(rec.to_str().unwrap(), &[], &svg);
    assert!(o.stdout.contains("2 of them conflicting ops"), "{}", o.stdout);
    let text = std::fs::read_to_string(&svg).unwrap();
    let d = read(&text);
    let all: Vec<&str> = d.texts.iter().map(|(t, _, _)| t.as_str()).collect();
    for head in ["MainProcess", "alex", "egon", "deadlock: deadlock: alex waits for fork"] {
        assert!(all.iter().any(|t| t.starts_with(head)), "{head} in {all:#?}");
    }
    let hot: Vec<&str> = d.texts.iter().filter(|(_, _, hot)| *hot).map(|(t, _, _)| t.as_str()).collect();
    assert!(hot.iter().any(|t| t.starts_with("acquire fork")) && hot.iter().any(|t| t.starts_with("waits: acquire fork")), "the conflicting ops in red: {hot:#?}");
    assert!(all.iter().any(|t| t.starts_with("• egon acquired fork") || t.starts_with("• alex acquired fork")), "why, said: {all:#?}");
    assert!(d.arrow("start alex", "acquire noodles") || d.arrow("start alex", "acquire fork"), "start → the child's first op: {all:#?}");
    // Deterministic: the same recording gives the same file.
    let again = dir.join("again.svg");
    diagram(rec.to_str().unwrap(), &[], &again);
    assert_eq!(text, std::fs::read_to_string(&again).unwrap(), "two diagrams of one recording differ");
    let png = dir.join("dl.png");
    diagram(rec.to_str().unwrap(), &["--scale", "1", "--lang", "zh"], &png);
    let bytes = std::fs::read(&png).unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG").info().clone();
    assert!(info.width > 400 && info.height > 300, "{}x{}", info.width, info.height);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Python program with a Lock, stepped round robin: each release is an
/// arrow to the acquire it unblocked in another process, each start to the
/// child's first op, each child's end to the join that waited for it; a
/// blocked acquire is a `waits:` row. A run that went well has nothing red.
#[test]
fn hand_offs_of_a_python_lock_are_arrows_between_their_rows() {
    let dir = out_dir("lock");
    let svg = dir.join("lock.svg");
    diagram("ticket-race.py", &["--param", "variant=lock", "--param", "buyers=3", "--steps", "60"], &svg);
    let d = read(&std::fs::read_to_string(&svg).unwrap());
    let all: Vec<&str> = d.texts.iter().map(|(t, _, _)| t.as_str()).collect();
    assert!(!d.rows("waits: acquire lock").is_empty(), "a blocked acquire: {all:#?}");
    assert!(d.arrow("release lock", "acquire lock"), "release → acquire: {all:#?}");
    assert!(d.arrow("start Process-1", "read ticket"), "start → first op: {all:#?}");
    assert!(d.arrow("exited 0", "join Process-1"), "end → join: {all:#?}");
    assert!(all.iter().any(|t| t.starts_with("open ticket 'w'")), "Python's words for a file op: {all:#?}");
    assert!(d.texts.iter().all(|(_, _, hot)| !hot), "nothing red in a run that went well");
    // Steps in the margin go up the page in order.
    let steps: Vec<u64> = d.texts.iter().filter_map(|(t, _, _)| t.parse().ok()).collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]) && steps.len() > 20, "{steps:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_diagram_is_svg_or_png_and_of_a_stepped_run() {
    let dir = out_dir("bad");
    let cases: BTreeMap<&str, (Vec<&str>, &str)> = [
        ("html", (vec!["snapshot", "deadlock", "--diagram", "--out", "x.html"], "a diagram is written as .svg or .png")),
        ("at", (vec!["snapshot", "deadlock", "--diagram", "--at", "1", "--out", "x.svg"], "cannot be used with")),
    ]
    .into_iter()
    .collect();
    for (name, (args, want)) in cases {
        let o = run_limited_in(&dir, &args, Duration::from_secs(30));
        assert!(o.status != 0 && o.stderr.contains(want), "{name}: {} {}", o.status, o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
