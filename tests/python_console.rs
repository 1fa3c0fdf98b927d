//! The Console view (`c`, `snapshot --console`): what the processes wrote,
//! as a terminal shows it. Two processes printing a character each with
//! `end="", flush=True` in turn make one line `*#*#*#`; `\r` overwrites;
//! SGR colours are colours; the text beside what python3 writes into a
//! terminal (a `vt100` screen). python3 must be on PATH.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

pub const PROGRAM: &str = r#"from multiprocessing import Process


def work(c):
    for _ in range(3):
        print(c, end="", flush=True)


if __name__ == "__main__":
    ps = [Process(target=work, args=(c,)) for c in "*#"]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print()
    for pct in (10, 55, 100):
        print(f"\rloading {pct}%", end="", flush=True)
    print()
    print("\x1b[1;31mred\x1b[0m light")
"#;

/// Main starts both and waits; then the two print in turn.
const TAKE_TURNS: &str = "1,1,1,2,3,2,3,2,3";

/// The program, and its run recorded under [`TAKE_TURNS`]: (folder, program, recording).
pub fn recorded(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    python3();
    let dir = tempdir(tag);
    let file = dir.join("turns.py");
    std::fs::write(&file, PROGRAM).unwrap();
    let rec = dir.join("turns.fsrec");
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--timeout", "60", "--schedule", TAKE_TURNS, "--record", rec.to_str().unwrap()], Duration::from_secs(90));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    (dir, file, rec)
}

/// The Console's rows in a text figure: the right half of the bottom panes.
fn console_rows(figure: &str) -> Vec<String> {
    let start = figure.lines().position(|l| l.contains("Console")).expect("a Console pane");
    figure
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| {
            let inner = l.rsplit("││").next().unwrap_or(l);
            inner.trim_end_matches('│').trim_end().to_string()
        })
        .collect()
}

#[test]
fn the_console_joins_partial_lines_and_renders_colours_as_a_terminal_does() {
    let _share = common::share();
    let (dir, file, rec) = recorded("console-figure");
    let txt = dir.join("console.txt");
    let out = run_limited(&["snapshot", rec.to_str().unwrap(), "--console", "--size", "80x24", "--out", txt.to_str().unwrap()], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&txt).unwrap();
    let rows = console_rows(&text);
    assert_eq!(&rows[..3], ["*#*#*#", "loading 100%", "red light"], "{text}");
    assert!(!text.contains('\u{1b}') && rows.iter().all(|r| !r.contains("[1;31m")), "no escape code is left:\n{text}");
    // The replay's own clock and folder vary from run to run.
    let stable: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => l.split(" │ ").enumerate().map(|(j, part)| if j == 0 { part.rsplit_once(' ').map_or(part.to_string(), |(a, _)| format!("{a} MM:SS")) } else { part.to_string() }).collect::<Vec<_>>().join(" │ "),
            _ if l.contains(" · replay of ") => l.split(" · replay of ").next().unwrap_or(l).to_string(),
            _ => l.to_string(),
        })
        .collect();
    insta::assert_snapshot!(stable.join("\n"));

    // The colours are colours in the picture.
    let svg = dir.join("console.svg");
    let out = run_limited(&["snapshot", rec.to_str().unwrap(), "--console", "--size", "80x24", "--out", svg.to_str().unwrap()], Duration::from_secs(60));
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let svg = std::fs::read_to_string(&svg).unwrap();
    let red = svg.find(">red<").map(|i| &svg[svg[..i].rfind('<').unwrap()..i]).unwrap_or_else(|| panic!("`red` drawn alone: {svg}"));
    assert!(red.contains("fill=\"#b3261e\"") && red.contains("bold"), "bold red: {red}");

    // What python3 writes into a terminal, on a terminal's screen (its own
    // interleaving of the two children, so their characters are compared as a set).
    let py = std::process::Command::new(python3()).arg(&file).current_dir(&dir).output().expect("python3 runs");
    let mut term = vt100::Parser::new(std::num::NonZeroU16::new(10).unwrap(), std::num::NonZeroU16::new(38).unwrap(), 0);
    term.process(&String::from_utf8_lossy(&py.stdout).replace('\n', "\r\n").into_bytes());
    let screen: Vec<String> = term.screen().rows(0, 38).map(|r| r.trim_end().to_string()).collect();
    let sorted = |s: &str| {
        let mut c: Vec<char> = s.chars().collect();
        c.sort();
        c
    };
    assert_eq!(sorted(&screen[0]), sorted(&rows[0]), "python3: {screen:?}");
    assert_eq!(screen[1..3], rows[1..3], "python3: {screen:?}");
    assert_eq!(term.screen().cell(2, 0).map(|c| (c.fgcolor(), c.bold())), Some((vt100::Color::Idx(1), true)));
    let _ = std::fs::remove_dir_all(&dir);
}
