//! `forkscope list`, `copy` and `check`: the lessons themselves.

use super::{fail, say};
use crate::scenario;

pub fn list(lang: crate::vocab::Lang) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for l in scenario::python_builtins().into_iter().chain(scenario::builtins()) {
        // A reader that stops early (`forkscope list | head`) is no error.
        if writeln!(out, "{:<20} {}", l.name, l.title(lang)).is_err() {
            return 0;
        }
    }
    0
}

pub fn copy(name: &str, dir: &std::path::Path) -> i32 {
    let lesson = match scenario::load(name) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match scenario::copy::copy(&lesson, dir) {
        Ok(written) => {
            for p in &written {
                say(format!("wrote {}", p.display()));
            }
            let main = &written[0];
            match lesson.engine {
                scenario::Engine::Python => say(format!("run it: forkscope run {} (or python3 {})", main.display(), main.display())),
                scenario::Engine::Rhai => say(format!("run it: forkscope run {}", main.display())),
            }
            0
        }
        Err(e) => fail(e),
    }
}

pub fn check(file: &str) -> i32 {
    if file.ends_with(".py")
        && let Err(e) = crate::python::launch::chosen()
    {
        return fail(e);
    }
    match scenario::load(file).and_then(|l| scenario::check::check(&l).map(|_| l)) {
        Ok(l) => {
            say(format!("{}: ok ({} parameters)", l.script_file, l.manifest.params.len()));
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
