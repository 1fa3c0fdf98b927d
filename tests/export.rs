//! End-to-end tests of the exporters: snapshots from the real binary (SVG
//! parses and holds the frame's text at the right cells, PNG decodes at the
//! expected size, same inputs give identical files), traces from real runs,
//! asciicast recordings of real frames, and Chinese text lined up.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use forkscope::export::{self, CastWriter, Paper};
use forkscope::model::{Model, Record, RecordKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use unicode_width::UnicodeWidthChar;

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("forkscope-export-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn snapshot(lesson: &str, extra: &[&str], out: &Path) -> Output {
    let mut args = vec!["snapshot", lesson, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status, 0, "snapshot {args:?}: {}", o.stderr);
    // The pids in the picture are renumbered; the segment and the run's
    // folder are named after the conductor, which is what is checked here.
    assert_left_nothing(o.pid, &[], Duration::from_secs(3));
    o
}

/// The frame as the SVG shows it: each glyph put back at the cell its x says,
/// rows trimmed like the text export. Panics if a glyph is off the grid.
fn grid_from_svg(svg: &str) -> Vec<String> {
    use export::svg::{BASELINE, CELL_H, CELL_W, PAD, WIDE_INSET};
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let height = root.attribute("height").unwrap().parse::<u32>().unwrap();
    let rows = ((height - 2 * PAD) / CELL_H) as usize;
    let mut grid: Vec<BTreeMap<usize, char>> = vec![BTreeMap::new(); rows];
    for text in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let y: f32 = text.attribute("y").unwrap().parse().unwrap();
        let row = (y - PAD as f32 - BASELINE) / CELL_H as f32;
        assert!((row - row.round()).abs() < 1e-3, "a row off the grid: y = {y}");
        let row = row.round() as usize;
        for span in text.children().filter(|n| n.has_tag_name("tspan")) {
            let xs: Vec<f32> = span.attribute("x").unwrap().split(' ').map(|x| x.parse().unwrap()).collect();
            let chars: Vec<char> = span.text().unwrap_or("").chars().collect();
            assert_eq!(xs.len(), chars.len(), "one position per character: {:?}", span.text());
            for (c, x) in chars.into_iter().zip(xs) {
                let wide = c.width() == Some(2);
                let col = (x - PAD as f32 - if wide { WIDE_INSET } else { 0.0 }) / CELL_W as f32;
                assert!((col - col.round()).abs() < 1e-3, "{c:?} at x = {x} is not at a cell");
                let col = col.round() as usize;
                assert!(grid[row].insert(col, c).is_none(), "two glyphs at row {row} column {col}");
                if wide {
                    assert!(grid[row].insert(col + 1, '\0').is_none(), "a wide glyph overlaps the next at row {row} column {col}");
                }
            }
        }
    }
    grid.into_iter()
        .map(|cells| {
            let mut line = String::new();
            let mut col = 0;
            for (c, ch) in cells {
                while col < c {
                    line.push(' ');
                    col += 1;
                }
                if ch != '\0' {
                    line.push(ch);
                }
                col += 1;
            }
            line.trim_end().to_string()
        })
        .collect()
}

fn text_lines(txt: &str) -> Vec<String> {
    txt.lines().map(str::to_string).collect()
}

/// The text lines as the SVG's text shows them: block elements (U+2580–259F,
/// the timeline's `█ ░ ▓`) are drawn as rectangles there, not glyphs.
fn text_lines_without_blocks(txt: &str) -> Vec<String> {
    txt.lines().map(|l| l.chars().map(|c| if ('\u{2580}'..='\u{259f}').contains(&c) { ' ' } else { c }).collect::<String>().trim_end().to_string()).collect()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("the PNG decodes");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).expect("the PNG's pixels decode");
    (info.width, info.height)
}

#[test]
fn ticket_race_snapshot_svg_holds_the_frame_text_at_its_cells() {
    let _share = crate::common::share();
    let dir = out_dir("svg");
    let args = ["--param", "lock=true", "--steps", "26"];
    let o = snapshot("ticket-race", &args, &dir.join("a.svg"));
    assert!(o.stdout.contains("step 26"), "{}", o.stdout);
    snapshot("ticket-race", &args, &dir.join("a.txt"));
    let svg = std::fs::read_to_string(dir.join("a.svg")).unwrap();
    let txt = std::fs::read_to_string(dir.join("a.txt")).unwrap();
    // At step 26 Process-1 holds the lock and two buyers wait for it,
    // blocked: the dashboard's frame says so (the lock's holder and waiters
    // in the resources pane, each waiter's row in the processes pane), with
    // the ticket file's count, in the text and the SVG.
    for want in ["lock Lock  held by Process-1", "waiting: Process-2, Process-3", "{\"count\":3}", "ticket-race · step 26 · seed 0"] {
        assert!(txt.contains(want), "{want:?} not in the frame:\n{txt}");
    }
    for waiter in ["Process-2", "Process-3"] {
        let row = txt.lines().find(|l| l.contains("└ ") && l.contains(&format!(" {waiter} "))).unwrap_or_else(|| panic!("no row for {waiter}:\n{txt}"));
        assert!(row.contains("blocked") && row.contains("lock (Process-1)"), "{waiter} waits for Process-1's lock: {row}");
    }
    assert_eq!(grid_from_svg(&svg), text_lines_without_blocks(&txt));
    assert!(txt.contains('▓') && svg.matches("<rect").count() > 20, "the timeline's cells are rectangles in the SVG");
    assert!(svg.contains("font-family=\"&apos;DejaVu Sans Mono&apos;, &apos;WenQuanYi Micro Hei Mono&apos;"), "names the shipped fonts");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn same_inputs_give_byte_identical_snapshots() {
    let _share = crate::common::share();
    let dir = out_dir("same");
    for (ext, extra) in [("png", &["--theme", "dark", "--scale", "1"][..]), ("svg", &[][..]), ("html", &[][..])] {
        let a = dir.join(format!("a.{ext}"));
        let b = dir.join(format!("b.{ext}"));
        let mut args = vec!["--param", "lock=false", "--param", "buyers=4", "--seed", "3", "--steps", "20"];
        args.extend_from_slice(extra);
        snapshot("ticket-race", &args, &a);
        snapshot("ticket-race", &args, &b);
        let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert!(a.len() > 1000, "{ext}: {} bytes", a.len());
        assert!(a == b, "{ext}: two snapshots of the same run differ");
    }
    // Another step is another picture.
    snapshot("ticket-race", &["--param", "lock=false", "--param", "buyers=4", "--seed", "3", "--steps", "21"], &dir.join("c.svg"));
    assert_ne!(std::fs::read(dir.join("a.svg")).unwrap(), std::fs::read(dir.join("c.svg")).unwrap());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn png_snapshot_decodes_at_the_expected_size() {
    let _share = crate::common::share();
    let dir = out_dir("png");
    let out = dir.join("f.png");
    snapshot("ticket-race", &["--steps", "10", "--size", "80x24", "--scale", "2"], &out);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(png_size(&bytes), ((80 * 10 + 24) * 2, (24 * 20 + 24) * 2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn chinese_names_and_output_line_up_in_svg_and_text() {
    let _share = crate::common::share();
    let dir = out_dir("zh");
    let lesson = lesson_fixture("buyers_zh.rhai");
    snapshot(&lesson, &[], &dir.join("z.svg"));
    snapshot(&lesson, &[], &dir.join("z.txt"));
    snapshot(&lesson, &["--scale", "1"], &dir.join("z.png"));
    let svg = std::fs::read_to_string(dir.join("z.svg")).unwrap();
    let txt = std::fs::read_to_string(dir.join("z.txt")).unwrap();
    assert!(txt.contains("买票人") && txt.contains("买到票了"), "{txt}");
    let lines = text_lines(&txt);
    assert_eq!(grid_from_svg(&svg), text_lines_without_blocks(&txt));
    // The pid column (renumbered: 1002, 1003) starts at the same display
    // column for the Chinese and the Latin name: wide characters count two.
    let col = |who: &str| {
        let l = lines.iter().find(|l| l.contains("└ ") && l.contains(&format!(" {who} "))).unwrap_or_else(|| panic!("no process row for {who}:\n{txt}"));
        let before = &l[..l.find(" 100").unwrap() + 1];
        before.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>()
    };
    assert_eq!(col("买票人"), col("buyer"));
    png_size(&std::fs::read(dir.join("z.png")).unwrap());
    let _ = std::fs::remove_dir_all(dir);
}

/// Dark pixels (ink) in a box of a decoded RGBA image, on a white page.
fn ink(pixels: &[u8], width: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * width + x) * 4) as usize;
            if pixels[i] < 128 && pixels[i + 1] < 128 && pixels[i + 2] < 128 {
                n += 1;
            }
        }
    }
    n
}

fn decode(bytes: &[u8]) -> (Vec<u8>, u32) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    (pixels, info.width)
}

#[test]
fn chinese_glyphs_render_in_their_two_cells_and_missing_ones_as_a_box() {
    let _share = crate::common::share();
    use export::svg::{CELL_H, CELL_W, PAD};
    // Row 0: 买到票了 in columns 0-7, then '|' in column 8.
    // Row 1: a Hangul syllable (no shipped font has it), then '|' in column 2.
    let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
    buf.set_string(0, 0, "买到票了|", Style::default());
    buf.set_string(0, 1, "한|", Style::default());
    let bytes = export::png(&buf, Paper::Light, 1).unwrap();
    let (px, w) = decode(&bytes);
    let cell = |col: u32, row: u32, cols: u32| ink(&px, w, PAD + col * CELL_W, PAD + row * CELL_H, PAD + (col + cols) * CELL_W, PAD + (row + 1) * CELL_H);
    for i in 0..4 {
        assert!(cell(2 * i, 0, 2) > 20, "ideograph {i} is drawn in columns {}-{}", 2 * i, 2 * i + 1);
    }
    assert!(cell(8, 0, 1) > 5, "the bar after four ideographs is in column 8");
    assert_eq!(cell(9, 0, 3), 0, "nothing spills past it");
    assert!(cell(0, 1, 2) > 10, "the missing glyph is drawn as a box");
    assert!(cell(2, 1, 1) > 5, "and what follows stays in its column");
    let svg = std::str::from_utf8(&bytes).is_err();
    assert!(svg, "binary PNG");
    // The SVG keeps the real character for viewers that have a font for it.
    assert!(export::svg(&buf, Paper::Light).contains('한'));
    assert!(!export::png::has_glyph('한') && export::png::has_glyph('买') && export::png::has_glyph('│'));
}

#[test]
fn trace_of_a_real_run_is_well_formed_with_flows_and_counters() {
    let _share = crate::common::share();
    let dir = out_dir("trace");
    let file = dir.join("t.json");
    let o = run(&["run", "ticket-race", "--headless", "--param", "lock=true", "--param", "buyers=4", "--schedule", "rr", "--trace", file.to_str().unwrap()]);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.stdout.contains("trace written to"), "{}", o.stdout);
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("the trace is JSON");
    let stats = export::trace::check(&t).unwrap_or_else(|e| panic!("malformed trace: {e}"));
    // Conductor, main and four buyers; each buyer but the first waits for the
    // lock and is handed it by the one before.
    assert_eq!(stats.tracks, 6);
    assert_eq!(stats.flows, 3, "{stats:?}");
    assert!(stats.spans > 20 && stats.instants > 20 && stats.counters > 2, "{stats:?}");
    let events = t["traceEvents"].as_array().unwrap();
    assert!(events.iter().any(|e| e["ph"] == "X" && e["name"].as_str().unwrap().starts_with("blocked: acquire lock (held by Process-")));
    let held: Vec<i64> = events.iter().filter(|e| e["ph"] == "C" && e["name"] == "Lock lock: value").map(|e| e["args"]["value"].as_i64().unwrap()).collect();
    assert_eq!(held.first(), Some(&0));
    assert_eq!(held.last(), Some(&0), "released at the end");
    assert!(held.contains(&1));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn asciicast_of_real_frames_follows_v2() {
    let _share = crate::common::share();
    let out = run_json("ticket-race", &["--param", "lock=true", "--param", "buyers=3", "--schedule", "rr"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let records: Vec<Record> = out.records().into_iter().map(|v| serde_json::from_value(v).expect("a record")).collect();
    let mut cast = CastWriter::new(Vec::new(), 90, 26, Some("ticket-race"), Some(1_700_000_000)).unwrap();
    // The dashboard's own frames, as its screenshot key and `--cast` draw them.
    let lesson = forkscope::scenario::load("ticket-race").unwrap();
    let params = lesson.resolve_params(&["lock=true".into(), "buyers=3".into()]).unwrap();
    let run = forkscope::conductor::RunSpec { params, ..forkscope::conductor::RunSpec::of(lesson) };
    let mut dash = forkscope::snapshot::dashboard(&run, Model::new(), "rr");
    let mut steps = 0;
    for (i, r) in records.iter().enumerate() {
        dash.apply(r);
        dash.status.clock_ns = dash.model.now_ns;
        if let RecordKind::Grant { .. } = r.kind {
            steps += 1;
            let t = r.t_ns as f64 / 1e9;
            cast.marker_at(t, &format!("step {steps}")).unwrap();
            cast.frame_at(t, &forkscope::ui::figure::frame(&dash, 90, 26)).unwrap();
        } else if i + 1 == records.len() {
            cast.frame_at(r.t_ns as f64 / 1e9, &forkscope::ui::figure::frame(&dash, 90, 26)).unwrap();
        }
    }
    let text = String::from_utf8(cast.finish().unwrap()).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!((header["version"].as_i64(), header["width"].as_i64(), header["height"].as_i64()), (Some(2), Some(90), Some(26)));
    let mut last = 0.0;
    let (mut outputs, mut markers) = (0, 0);
    for l in lines {
        let e: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|err| panic!("{l}: {err}"));
        let a = e.as_array().expect("an event is an array");
        assert_eq!(a.len(), 3, "{l}");
        let t = a[0].as_f64().expect("time is a number");
        assert!(t >= last, "time went back: {t} after {last}");
        last = t;
        match a[1].as_str() {
            Some("o") => outputs += 1,
            Some("m") => markers += 1,
            other => panic!("unexpected event code {other:?}"),
        }
        assert!(a[2].is_string());
    }
    assert_eq!(markers, steps);
    assert!(steps > 20 && outputs > 20, "{steps} steps, {outputs} frames");
    assert!(text.contains("买到票了"), "the buyers' Chinese output is in the recording");
}

#[test]
fn bad_snapshot_arguments_are_refused_clearly() {
    let _share = crate::common::share();
    let dir = out_dir("bad");
    let o = run(&["snapshot", "ticket-race", "--out", dir.join("x.jpg").to_str().unwrap()]);
    assert_eq!(o.status, 2);
    assert!(o.stderr.contains("unknown picture format"), "{}", o.stderr);
    let o = run(&["snapshot", "ticket-race", "--size", "5x5", "--out", dir.join("x.svg").to_str().unwrap()]);
    assert_eq!(o.status, 2);
    assert!(o.stderr.contains("--size 5x5"), "{}", o.stderr);
    let o = run(&["snapshot", "ticket-race", "--steps", "3", "--at", "1", "--out", dir.join("x.svg").to_str().unwrap()]);
    assert_eq!(o.status, 2, "{}", o.stderr);
    let o = run(&["snapshot", "ticket-race", "--scale", "0", "--out", dir.join("x.png").to_str().unwrap()]);
    assert_eq!(o.status, 2);
    assert!(o.stderr.contains("'0' for '--scale <SCALE>'"), "{}", o.stderr);
    let o = run(&["snapshot", "no-such-lesson", "--out", dir.join("x.svg").to_str().unwrap()]);
    assert_ne!(o.status, 0);
    assert!(!dir.join("x.svg").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn snapshot_at_seconds_runs_freely_then_leaves_nothing() {
    let _share = crate::common::share();
    let dir = out_dir("at");
    let o = snapshot("ticket-race", &["--at", "0.3", "--real-pids"], &dir.join("a.txt"));
    assert!(o.stdout.contains("at 0.3 s"), "{}", o.stdout);
    let txt = std::fs::read_to_string(dir.join("a.txt")).unwrap();
    let main = txt.lines().find(|l| l.contains("MainProcess ")).unwrap_or_else(|| panic!("no row for MainProcess:\n{txt}"));
    assert!(!main.contains(" 1001 "), "real pids: {main}");
    assert!(!txt.contains("pid 1001"), "real pids: {txt}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn themes_differ_and_light_is_white() {
    let _share = crate::common::share();
    let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
    buf.set_string(0, 0, "ok", Style::new().fg(Color::Yellow));
    let light = export::svg(&buf, Paper::Light);
    let dark = export::svg(&buf, Paper::Dark);
    assert!(light.contains(r##"fill="#ffffff""##));
    assert_ne!(light, dark);
}
