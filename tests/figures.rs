//! Figures for course notes (`forkscope snapshot`) of real runs show the
//! lesson, not the tool: no selection bar or focus bracket, no
//! `# forkscope-fix:` notes, a Python program's ops in Python's words, a
//! mark per process, the timeline's legend; `--panes` chooses and orders
//! the panes. Each figure is also an `insta` snapshot.

use crate::common;

use std::time::Duration;

use common::*;

fn figure(tag: &str, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("fs-figure-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("figure.txt");
    let mut all: Vec<&str> = vec!["snapshot"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let o = run_limited_in(&dir, &all, Duration::from_secs(120));
    assert_eq!(o.status, 0, "{all:?}: {}{}", o.stdout, o.stderr);
    assert_left_nothing(o.pid, &[], Duration::from_secs(3));
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn program(name: &str) -> String {
    format!("{}/assets/scenarios/py/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The notes' ticket race (Python, with its Lock) mid-run at 120×36.
#[test]
fn a_figure_of_the_ticket_race_shows_the_lesson_not_the_tool() {
    let _share = common::share();
    let text = figure("ticket", &[&program("ticket-race.py"), "--steps", "60", "--size", "120x36"]);
    assert!(!text.contains("forkscope-fix"), "forkscope's notes are not the program's:\n{text}");
    assert!(text.contains("   30 if __name__ == '__main__':\n") || text.contains("   30 if __name__ == '__main__':  "), "line 30 without its note:\n{text}");
    assert!(!text.contains("│   31 "), "line 31 is only a note: left out, the next line keeps its number 32:\n{text}");
    assert!(!text.lines().any(|l| l.starts_with("│>")) && !text.contains("[Processes") && !text.contains("[Source"), "no selection bar, no focus bracket:\n{text}");
    assert!(text.contains("█ running") && text.contains("▓ blocked"), "the timeline's legend:\n{text}");
    assert!(!text.contains("read_text") && !text.contains("write_text"), "Python words for Python ops:\n{text}");
    insta::assert_snapshot!(text);
}

/// `--panes lanes,variables,resources`: those panes, in that order, on a
/// shared-Value race; a name that is no pane is a clear error (exit 2).
#[test]
fn snapshot_panes_choose_and_order_the_panes() {
    let _share = common::share();
    let text = figure("panes", &[&program("counter.py"), "--param", "processes=2", "--steps", "14", "--panes", "lanes,variables,resources", "--size", "80x30"]);
    let at = |what: &str| text.find(what).unwrap_or_else(|| panic!("{what} missing:\n{text}"));
    assert!(at("Processes") < at("Variables ·") && at("Variables ·") < at("Resources & files"), "in the order asked:\n{text}");
    assert!(!text.contains("Source") && !text.contains("Log ·"), "only the panes asked for:\n{text}");
    insta::assert_snapshot!(text);
    let bad = run_limited(&["snapshot", &program("counter.py"), "--panes", "lanes,graph", "--out", "/tmp/never-written.txt"], Duration::from_secs(30));
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--panes: no pane called \"graph\" (panes: lanes, resources, source, variables, log, console)"), "{}", bad.stderr);
}
