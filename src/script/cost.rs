//! Bounds on what Rhai's parser does in more than linear time, checked in
//! one linear pass over the tokens before the script is parsed.
//!
//! Rhai 1.27's parser checks each key of a map literal against every earlier
//! key of that literal, and looks each variable up by scanning every variable
//! in scope: a 60,000-entry map literal (half a MiB) took 14 s to parse, and
//! 20,000 `let`s in one function 1.7 s — in `check` and again in every
//! process of the run, since each one compiles the script. So a lesson may
//! have at most [`MAX_MAP_ENTRIES`] entries in one map literal and
//! [`MAX_VARIABLES`] variables in scope at once; with the script's size limit
//! that keeps the parse of any lesson within a small multiple of the time a
//! linear pass takes. The error is a parse error at the entry or the
//! declaration past the limit.
//!
//! The pass follows the parser's scopes closely enough for a bound: a block
//! (`{`) ends its variables, a function body starts with none (Rhai
//! functions do not see the script's variables), `for x in` / `for (x, i) in`
//! declare into the loop's body. Closure bodies count with the enclosing
//! scope (an overcount, which only makes the bound stricter).

use rhai::{Engine, LexError, ParseError, Position, Token};

/// Most entries in one map literal (`#{a: 1, …}`).
pub const MAX_MAP_ENTRIES: usize = 256;

/// Most variables in scope at once in one function (or at the top level).
pub const MAX_VARIABLES: usize = 256;

/// An open bracket of any kind, innermost last.
enum Frame {
    /// `#{`: entries so far, and whether the next token is a key.
    Map { entries: usize, key_next: bool },
    /// `{`: variables it declared; it is a function body (its scope starts
    /// empty: `outer` is the count of the scope it hides); it is `${` of an
    /// interpolated string (the text goes on after its `}`).
    Block { vars: usize, outer: Option<usize>, interpolation: bool },
    /// `(`, `[` or `?[`.
    Other,
}

/// What the next `{` opens, as the tokens before it said.
#[derive(Default)]
struct Pending {
    /// Variables of a `for` header, declared in the loop's body.
    vars: usize,
    /// A function body.
    function: bool,
    /// The `${` of an interpolated string.
    interpolation: bool,
}

/// Where the script first passes a limit, as the parse error the parser
/// would give there; `Ok` if it does not.
pub fn check(engine: &Engine, script: &str) -> Result<(), ParseError> {
    let input = [script];
    let (tokens, control) = engine.lex(&input);
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending = Pending::default();
    // Variables in scope in the current function.
    let mut live = 0usize;
    // After `let` / `const`: the next identifier is declared.
    let mut declaring = false;
    // Inside a `for` header before `in`: identifiers are the loop's variables.
    let mut for_header = false;
    for (token, pos) in tokens {
        match token {
            Token::EOF | Token::LexError(_) => break,
            Token::MapStart => stack.push(Frame::Map { entries: 0, key_next: true }),
            Token::LeftBrace => {
                let p = std::mem::take(&mut pending);
                let outer = p.function.then(|| std::mem::replace(&mut live, 0));
                live += p.vars;
                stack.push(Frame::Block { vars: p.vars, outer, interpolation: p.interpolation });
            }
            Token::LeftParen | Token::LeftBracket | Token::QuestionBracket => stack.push(Frame::Other),
            Token::RightBrace | Token::RightParen | Token::RightBracket => match stack.pop() {
                Some(Frame::Block { vars, outer, interpolation }) => {
                    live = outer.unwrap_or(live.saturating_sub(vars));
                    if interpolation {
                        // What the parser does here: the string's text goes on.
                        control.borrow_mut().is_within_text = true;
                    }
                }
                Some(_) => {}
                // More closers than openers: the parser stops there.
                None => break,
            },
            Token::Comma => {
                if let Some(Frame::Map { key_next, .. }) = stack.last_mut() {
                    *key_next = true;
                }
            }
            Token::InterpolatedString(_) => pending.interpolation = true,
            Token::Fn => pending.function = true,
            Token::Let | Token::Const => declaring = true,
            Token::For => for_header = true,
            Token::In => for_header = false,
            Token::Identifier(_) if for_header => pending.vars += 1,
            Token::Identifier(_) | Token::StringConstant(_) if matches!(stack.last(), Some(Frame::Map { key_next: true, .. })) => {
                if let Some(Frame::Map { entries, key_next }) = stack.last_mut() {
                    *entries += 1;
                    *key_next = false;
                    if *entries > MAX_MAP_ENTRIES {
                        return Err(too_costly(format!("a map literal may have at most {MAX_MAP_ENTRIES} entries (Rhai's parser compares each key with every earlier one, in every process); build a larger map in a loop (m[key] = value)"), pos));
                    }
                }
            }
            Token::Identifier(_) if declaring => {
                declaring = false;
                live += 1;
                if let Some(Frame::Block { vars, .. }) = stack.iter_mut().rev().find(|f| matches!(f, Frame::Block { .. })) {
                    *vars += 1;
                }
                if live > MAX_VARIABLES {
                    return Err(too_costly(format!("at most {MAX_VARIABLES} variables may be in scope at once (each `let` is one more, even of a name already in scope: Rhai's parser looks a variable up among all of them, in every process); keep many values in an array or a map"), pos));
                }
            }
            _ => declaring = false,
        }
    }
    Ok(())
}

fn too_costly(message: String, pos: Position) -> ParseError {
    LexError::Runtime(message).into_err(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        crate::script::base_engine()
    }

    /// `(line, column, message)` of the first limit `src` passes.
    fn passes(src: &str) -> Option<(usize, usize, String)> {
        check(&engine(), src).err().map(|e| (e.position().line().unwrap(), e.position().position().unwrap(), super::super::parse_error_text(&e)))
    }

    fn map_of(n: usize) -> String {
        format!("#{{{}}}", (0..n).map(|i| format!("k{i}: {i}")).collect::<Vec<_>>().join(", "))
    }

    #[test]
    fn a_map_literal_past_the_limit_is_refused_at_its_first_entry_too_many() {
        assert_eq!(passes(&format!("fn main() {{\n  let m = {};\n}}", map_of(MAX_MAP_ENTRIES))), None);
        let src = format!("fn main() {{\n  let m = {};\n}}", map_of(60_000));
        let (line, col, msg) = passes(&src).expect("refused");
        let at = src.find(&format!("k{MAX_MAP_ENTRIES}:")).unwrap();
        assert_eq!((line, col), (2, at - src.find("  let").unwrap() + 1));
        assert!(msg.starts_with("a map literal may have at most 256 entries"), "{msg}");
        // Keys written as strings count; nested maps and values count apart.
        let quoted = format!("#{{{}}}", (0..=MAX_MAP_ENTRIES).map(|i| format!("\"k{i}\": [#{{a: 1, b: 2}}, (1, 2)]")).collect::<Vec<_>>().join(", "));
        assert!(passes(&quoted).is_some());
        let nested = format!("#{{a: {}, b: {}}}", map_of(200), map_of(200));
        assert_eq!(passes(&nested), None);
    }

    #[test]
    fn variables_count_while_in_scope() {
        let lets = |n: usize| (0..n).map(|i| format!("let x{i} = {i};")).collect::<Vec<_>>().join("\n");
        assert_eq!(passes(&format!("fn main() {{\n{}\n}}", lets(MAX_VARIABLES))), None);
        let (line, _, msg) = passes(&format!("fn main() {{\n{}\n}}", lets(MAX_VARIABLES + 1))).expect("refused");
        assert_eq!(line, MAX_VARIABLES + 2);
        assert!(msg.starts_with("at most 256 variables may be in scope at once"), "{msg}");
        // A block's variables end with it; each function starts afresh; a
        // `for` declares into its body only.
        let blocks = (0..4).map(|_| format!("{{ {} }}", lets(200))).collect::<Vec<_>>().join("\n");
        assert_eq!(passes(&format!("fn main() {{ {blocks} }}")), None);
        let fns = (0..4).map(|f| format!("fn f{f}(a) {{ {} }}", lets(200))).collect::<Vec<_>>().join("\n");
        assert_eq!(passes(&format!("{}\n{fns}", lets(200))), None);
        let loops = (0..400).map(|i| format!("for (x{i}, j) in [1] {{ let y = x{i}; }}")).collect::<Vec<_>>().join("\n");
        assert_eq!(passes(&format!("fn main() {{ {loops} }}")), None);
    }

    #[test]
    fn strings_and_comments_are_not_code() {
        // An interpolated string's text after `}` is text again: the `#{` and
        // `let`s in it declare nothing, and the block inside it ends.
        let text = format!("`${{ let a = 1; a }} {} #{{ let z`", lets_text(300));
        assert_eq!(passes(&format!("fn main() {{ let s = {text}; let m = {}; }}", map_of(10))), None);
        assert_eq!(passes(&format!("fn main() {{ // {}\n }}", lets_text(300))), None);
        assert_eq!(passes(&format!("fn main() {{ let s = \"{}\"; }}", lets_text(300))), None);
    }

    fn lets_text(n: usize) -> String {
        (0..n).map(|i| format!("let t{i} = 1;")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_builtin_lesson_is_within_the_limits() {
        for lesson in crate::scenario::builtins() {
            assert_eq!(check(&engine(), &lesson.script).err().map(|e| e.to_string()), None, "{}", lesson.name);
        }
    }
}
