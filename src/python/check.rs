//! A Python program's syntax, checked by the interpreter that will run it
//! (`compile()`, nothing executed), reported as file:line:column: message —
//! Python's own message, e.g. `t.py:3:9: SyntaxError: '(' was never closed`.

use std::io::Write;
use std::process::{Command, Stdio};

/// Why a program does not pass: the interpreter itself (none, too old, cannot
/// run) or a place in the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Interpreter(String),
    At { line: usize, column: usize, message: String },
}

/// Prints the interpreter's version (as the version probe does), then
/// compiles the source read from stdin: nothing more if it compiles, else
/// `line TAB column TAB Kind: message`. One start of the interpreter for both.
const CHECKER: &str = r#"
import sys
print('%d %d %s' % (sys.version_info[0], sys.version_info[1], sys.implementation.name))
src = sys.stdin.buffer.read().decode('utf-8-sig')
try:
    compile(src, sys.argv[1], 'exec', dont_inherit=True)
except SyntaxError as e:
    print('%s\t%s\t%s: %s' % (e.lineno or 1, e.offset or 1, type(e).__name__, e.msg))
except ValueError as e:
    print('1\t1\tSyntaxError: %s' % e)
"#;

/// Checks the interpreter ([`Problem::Interpreter`]) and the Python source
/// `source` of `file` ([`Problem::At`]).
pub fn syntax(file: &str, source: &str) -> Result<(), Problem> {
    let path = super::launch::chosen().map_err(Problem::Interpreter)?;
    let mut child = Command::new(&path)
        .args(["-I", "-c", CHECKER, file])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Problem::Interpreter(format!("{}: cannot run it: {e}", path.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(source.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| Problem::Interpreter(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let found = super::launch::check_version(path, lines.next().unwrap_or(""));
    super::launch::remember(found.clone());
    found.map_err(Problem::Interpreter)?;
    let line = lines.next().unwrap_or("");
    if line.is_empty() {
        return Ok(());
    }
    let mut it = line.splitn(3, '\t');
    let line = it.next().and_then(|x| x.parse().ok()).unwrap_or(1);
    let column = it.next().and_then(|x| x.parse().ok()).unwrap_or(1);
    Err(Problem::At { line, column, message: it.next().unwrap_or("SyntaxError").to_string() })
}
