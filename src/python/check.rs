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

/// Prints the interpreter's version (as the version probe does) and its
/// executable, then compiles each program read from stdin (its length in
/// bytes on a line, then its bytes; the file names are the arguments): a line
/// each, `ok`, or `line TAB column TAB Kind: message`. One start of the
/// interpreter for a lesson and all its variants.
const CHECKER: &str = r#"
import sys
print('%d %d %s' % (sys.version_info[0], sys.version_info[1], sys.implementation.name))
print(sys.executable)
data = sys.stdin.buffer
for name in sys.argv[1:]:
    src = data.read(int(data.readline())).decode('utf-8-sig')
    try:
        compile(src, name, 'exec', dont_inherit=True)
        print('ok')
    except SyntaxError as e:
        print('%s\t%s\t%s: %s' % (e.lineno or 1, e.offset or 1, type(e).__name__, e.msg))
    except ValueError as e:
        print('1\t1\tSyntaxError: %s' % e)
    sys.stdout.flush()
"#;

/// Checks the interpreter ([`Problem::Interpreter`]) and the Python source
/// `source` of `file` ([`Problem::At`]).
pub fn syntax(file: &str, source: &str) -> Result<(), Problem> {
    syntax_all(&[(file, source)]).map_err(|(_, p)| p)
}

/// [`syntax`] of several programs (file, source) with one start of the
/// interpreter: the first that does not pass, by its index.
pub fn syntax_all(programs: &[(&str, &str)]) -> Result<(), (usize, Problem)> {
    let interpreter = |why: String| (0, Problem::Interpreter(why));
    let path = super::launch::chosen().map_err(interpreter)?;
    let mut child = Command::new(&path)
        .args(super::launch::PROBE_FLAGS)
        .args(["-c", CHECKER])
        .args(programs.iter().map(|(f, _)| f))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| interpreter(format!("{}: cannot run it: {e}", path.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Written from a thread: the checker answers as it reads, and a
        // full pipe of answers must not stop our writing.
        let input: Vec<u8> = programs.iter().flat_map(|(_, src)| [format!("{}\n", src.len()).into_bytes(), src.as_bytes().to_vec()]).flatten().collect();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let out = child.wait_with_output().map_err(|e| interpreter(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let probe = [lines.next().unwrap_or(""), lines.next().unwrap_or("")].join("\n");
    let found = super::launch::check_version(path, &probe);
    super::launch::remember(found.clone());
    found.map_err(interpreter)?;
    for (i, line) in lines.take(programs.len()).enumerate() {
        if line == "ok" {
            continue;
        }
        let mut it = line.splitn(3, '\t');
        let line = it.next().and_then(|x| x.parse().ok()).unwrap_or(1);
        let column = it.next().and_then(|x| x.parse().ok()).unwrap_or(1);
        return Err((i, Problem::At { line, column, message: it.next().unwrap_or("SyntaxError").to_string() }));
    }
    Ok(())
}
