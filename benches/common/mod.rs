//! Shared by the benchmarks: criterion's configuration, reading back the
//! medians criterion measured in this very run, the Python baselines, and the
//! closing table that compares each figure with its target.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;

/// Where criterion writes its estimates (read back by [`median_ns`]).
pub fn out_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/criterion"))
}

/// Criterion as every bench here uses it: short warm-up, enough samples for a
/// stable median on a small shared machine.
pub fn criterion() -> Criterion {
    Criterion::default()
        .output_directory(&out_dir())
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args()
}

/// The median (ns per iteration) criterion estimated for `group/id` in this run.
pub fn median_ns(group: &str, id: &str) -> Option<f64> {
    let p = out_dir().join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(&p).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Runs `python3 SCRIPT ARGS…` (CODE written to a file: multiprocessing's
/// spawn start method re-imports the main module, which `-c` does not have)
/// and parses the last line of its output as a number. `None` (and a note) if
/// python3 is missing, fails, or takes more than two minutes.
pub fn python_figure(code: &str, args: &[&str], what: &str) -> Option<f64> {
    let _ = std::fs::create_dir_all(out_dir());
    let script = out_dir().join(format!("forkscope-baseline-{}.py", std::process::id()));
    std::fs::write(&script, code).ok()?;
    let child = Command::new("python3").arg(&script).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            println!("note: no python3 ({e}): {what} is not measured");
            return None;
        }
    };
    let t0 = std::time::Instant::now();
    while child.try_wait().ok()?.is_none() {
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            println!("note: python3 took over two minutes for {what}: not measured");
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().ok()?;
    let _ = std::fs::remove_file(&script);
    if !out.status.success() {
        println!("note: python3 failed for {what}: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    String::from_utf8_lossy(&out.stdout).lines().last()?.trim().parse().ok()
}

/// One line of the closing table.
#[derive(Debug)]
pub struct Row {
    pub what: String,
    pub measured: String,
    pub target: String,
    pub ok: Option<bool>,
}

impl Row {
    pub fn new(what: &str, measured: String, target: &str, ok: Option<bool>) -> Row {
        Row { what: what.into(), measured, target: target.into(), ok }
    }
}

/// Prints the table (and appends it to target/criterion/forkscope-figures.md).
pub fn report(title: &str, rows: &[Row]) {
    let mut s = format!("\n## {title}\n\n| measured | figure | target | met |\n|---|---|---|---|\n");
    for r in rows {
        let ok = match r.ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "n/a",
        };
        s.push_str(&format!("| {} | {} | {} | {ok} |\n", r.what, r.measured, r.target));
    }
    println!("{s}");
    let path = out_dir().join("forkscope-figures.md");
    let _ = std::fs::create_dir_all(out_dir());
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(Path::new(&path)) {
        let _ = f.write_all(s.as_bytes());
    }
}

pub fn ns(x: Option<f64>) -> String {
    x.map_or("not measured".into(), |v| format!("{v:.1} ns"))
}
