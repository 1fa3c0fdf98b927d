//! The keymap: one table that input looks keys up in, and that the help
//! screen, the footer hints and the README's key table are generated from,
//! so they never disagree with what the keys do.
//!
//! `j` joins and `k` kills (htop habits, and what the issue asks for), so the
//! vi keys for moving the selection are the shifted `J` and `K`; arrows work
//! everywhere.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::Mode;
use super::text::Lang;

/// What a key asks for. The app turns each into one intent method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    TogglePause,
    StepNext,
    StepSelected,
    ToggleStatements,
    Terminate,
    Kill,
    Freeze,
    Join,
    Restart,
    Rewind,
    Screenshot,
    /// Type a line for the selected process waiting in `input()`.
    TypeInput,
    Faster,
    Slower,
    Up,
    Down,
    PageUp,
    PageDown,
    Details,
    NextPane,
    PrevPane,
    Language,
    Help,
    /// The lesson's explanation (story, what to look for, challenge).
    Explain,
    /// Search every interleaving of the lesson (`explore --all`), or stop the search.
    ExploreAll,
    /// Show or fold the ended processes of an overflowing list.
    ShowEnded,
    /// The log: the program's own output only, or everything.
    PrintsOnly,
    /// Show or hide the variables pane.
    Variables,
    /// The log pane: the Console (output as a terminal shows it) or the log.
    Console,
    /// Close the overlay; from the dashboard, back to the picker (if it came from there).
    Back,
    Quit,
    /// Picker: next value of the selected parameter.
    Increase,
    Decrease,
    /// Picker: type a character into the selected parameter.
    Type(char),
    Erase,
    Start,
    /// Picker: show the Rhai lessons instead of the Python ones, and back.
    SwitchList,
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Dashboard,
    Picker,
    Both,
}

/// A key as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A character, shift included (`L` is shift-l).
    Char(char),
    Ctrl(char),
    Code(KeyCode),
    /// Any printable character not bound before it (the picker's value editing).
    Typed,
}

impl Key {
    /// How help and the README write the key.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Typed => "a-z 0-9".into(),
            Key::Code(code) => match code {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::Enter => "enter".into(),
                KeyCode::Tab => "tab".into(),
                KeyCode::BackTab => "shift-tab".into(),
                KeyCode::Esc => "esc".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Backspace => "backspace".into(),
                other => format!("{other:?}"),
            },
        }
    }

    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl_alt = ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (self, ev.code) {
            (Key::Char(c), KeyCode::Char(e)) => !ctrl_alt && c == e,
            (Key::Ctrl(c), KeyCode::Char(e)) => ev.modifiers.contains(KeyModifiers::CONTROL) && c.eq_ignore_ascii_case(&e),
            (Key::Typed, KeyCode::Char(e)) => !ctrl_alt && !e.is_control(),
            (Key::Code(k), code) => !ctrl_alt && k == code,
            _ => false,
        }
    }
}

/// One row of the keymap.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Intent,
    pub en: &'static str,
    pub zh: &'static str,
    /// Short word for the footer, if the key is worth a hint there.
    pub hint: Option<(&'static str, &'static str)>,
}

use Intent as A;
use Key::{Char as C, Code, Ctrl};
use Scope::{Both, Dashboard as D, Picker as P};

/// Every key. First match wins, so more specific rows come first.
pub const BINDINGS: &[Binding] = &[
    Binding { scope: D, keys: &[C(' ')], action: A::TogglePause, en: "pause / resume (cancels a join)", zh: "暂停 / 继续(取消 join)", hint: Some(("pause", "暂停")) },
    Binding { scope: D, keys: &[C('n')], action: A::StepNext, en: "step the next ready process (one op)", zh: "单步:下一个就绪进程(一个操作)", hint: Some(("step", "单步")) },
    Binding { scope: D, keys: &[C('s')], action: A::StepSelected, en: "step the selected process", zh: "单步:选中的进程", hint: None },
    Binding { scope: D, keys: &[C('l')], action: A::ToggleStatements, en: "step by op / by statement", zh: "按操作 / 按语句单步", hint: None },
    Binding { scope: D, keys: &[C('t')], action: A::Terminate, en: "terminate the selected process (SIGTERM)", zh: "终止选中的进程(SIGTERM)", hint: Some(("term", "终止")) },
    Binding { scope: D, keys: &[C('k')], action: A::Kill, en: "kill the selected process (SIGKILL)", zh: "杀死选中的进程(SIGKILL)", hint: Some(("kill", "杀死")) },
    Binding { scope: D, keys: &[C('z')], action: A::Freeze, en: "freeze / thaw the selected process (SIGSTOP / SIGCONT)", zh: "冻结 / 解冻选中的进程(SIGSTOP / SIGCONT)", hint: None },
    Binding { scope: D, keys: &[C('j')], action: A::Join, en: "join the selected process: run until it exits, then pause", zh: "join 选中的进程:运行到它结束,然后暂停", hint: Some(("join", "join")) },
    Binding { scope: D, keys: &[C('r')], action: A::Restart, en: "restart the lesson (same seed and parameters)", zh: "重新开始(相同的种子和参数)", hint: None },
    Binding { scope: D, keys: &[C('b')], action: A::Rewind, en: "back one step: replay the run to the step before (the header counts steps)", zh: "后退一步:把运行重放到上一步(标题栏显示步数)", hint: Some(("back", "后退")) },
    Binding { scope: D, keys: &[C('i')], action: A::TypeInput, en: "type a line for the selected process waiting in input() (enter sends it, esc cancels, ctrl-d ends the input)", zh: "给选中的、在 input() 中等待的进程输入一行(回车发送,esc 取消,ctrl-d 结束输入)", hint: None },
    Binding { scope: D, keys: &[C('x')], action: A::ExploreAll, en: "explore every interleaving of this lesson (explore --all): verified, or a bad schedule opened as a replay, with why (Python: the first found, shortened; Rhai: the shortest); a lesson with bad outcomes of its own first asks which to hunt (↑↓ or 1-9, enter, esc cancels); x again stops", zh: "穷举这一课的所有交错(explore --all):得到验证,或者把一个坏调度作为回放打开,并说明原因(Python:找到的第一个,已缩短;Rhai:最短的);有自己的坏结果的课程先问找哪一种(↑↓ 或 1-9,回车,esc 取消);再按 x 停止", hint: None },
    Binding { scope: D, keys: &[C('p')], action: A::Screenshot, en: "screenshot: this frame as SVG and PNG (light theme) in the current folder", zh: "截图:把当前画面存为 SVG 和 PNG(浅色主题),放在当前目录", hint: None },
    Binding { scope: D, keys: &[C('o')], action: A::PrintsOnly, en: "log: the program's own output only / everything", zh: "日志:只看程序自己的输出 / 全部", hint: None },
    Binding { scope: D, keys: &[C('c')], action: A::Console, en: "console: the program's output as a terminal shows it (partial lines joined, colours) / the log", zh: "控制台:程序的输出,和终端里一样(不完整的行接在一起,有颜色)/ 日志", hint: None },
    Binding { scope: D, keys: &[C('v')], action: A::Variables, en: "variables: show / hide the selected process's variables (Python; taken at each step while paused, * = changed)", zh: "变量:显示 / 隐藏选中进程的变量(Python;暂停时每一步记下,* = 变了)", hint: None },
    Binding { scope: D, keys: &[C('f')], action: A::ShowEnded, en: "processes: show / fold the ended ones (folded when the list overflows)", zh: "进程:显示 / 折叠已结束的(列表放不下时折叠)", hint: None },
    Binding { scope: D, keys: &[C('+'), C('=')], action: A::Faster, en: "faster sleeps (speed ×2); a replay: a faster pace (a step every 0.25 s at ×1)", zh: "加速 sleep(速度 ×2);回放时:加快播放(×1 时每 0.25 秒一步)", hint: None },
    Binding { scope: D, keys: &[C('-'), C('_')], action: A::Slower, en: "slower sleeps (speed ÷2); a replay: a slower pace", zh: "减速 sleep(速度 ÷2);回放时:减慢播放", hint: None },
    Binding { scope: Both, keys: &[Code(KeyCode::Up), C('K')], action: A::Up, en: "select up (or scroll the focused pane)", zh: "向上选择(或滚动当前窗格)", hint: None },
    Binding { scope: Both, keys: &[Code(KeyCode::Down), C('J')], action: A::Down, en: "select down (or scroll the focused pane)", zh: "向下选择(或滚动当前窗格)", hint: None },
    Binding { scope: D, keys: &[Code(KeyCode::PageUp)], action: A::PageUp, en: "page up in the focused pane", zh: "当前窗格向上翻页", hint: None },
    Binding { scope: D, keys: &[Code(KeyCode::PageDown)], action: A::PageDown, en: "page down in the focused pane", zh: "当前窗格向下翻页", hint: None },
    Binding { scope: D, keys: &[Code(KeyCode::Enter)], action: A::Details, en: "details of the selected process or resource", zh: "选中的进程或资源的详情", hint: None },
    Binding { scope: P, keys: &[Code(KeyCode::Enter)], action: A::Start, en: "start the lesson", zh: "开始这一课", hint: Some(("start", "开始")) },
    Binding { scope: Both, keys: &[Code(KeyCode::Tab)], action: A::NextPane, en: "next pane", zh: "下一个窗格", hint: None },
    Binding { scope: Both, keys: &[Code(KeyCode::BackTab)], action: A::PrevPane, en: "previous pane", zh: "上一个窗格", hint: None },
    Binding { scope: P, keys: &[Code(KeyCode::Right)], action: A::Increase, en: "next value of the selected parameter", zh: "选中参数的下一个值", hint: None },
    Binding { scope: P, keys: &[Code(KeyCode::Left)], action: A::Decrease, en: "previous value of the selected parameter", zh: "选中参数的上一个值", hint: None },
    Binding { scope: P, keys: &[Code(KeyCode::Backspace)], action: A::Erase, en: "erase a character of the value", zh: "删除参数值的一个字符", hint: None },
    Binding { scope: P, keys: &[C('R')], action: A::SwitchList, en: "Python lessons / Rhai lessons", zh: "Python 课程 / Rhai 课程", hint: Some(("Rhai/Python", "Rhai/Python")) },
    Binding { scope: Both, keys: &[C('L')], action: A::Language, en: "language: English / 中文", zh: "语言:English / 中文", hint: Some(("en/中文", "en/中文")) },
    Binding { scope: D, keys: &[C('e')], action: A::Explain, en: "the lesson: its story, what to look for, the challenge (↑↓ scroll)", zh: "这一课:故事、看什么、挑战(↑↓ 滚动)", hint: Some(("lesson", "这一课")) },
    Binding { scope: Both, keys: &[C('?')], action: A::Help, en: "this help", zh: "帮助", hint: Some(("help", "帮助")) },
    Binding { scope: Both, keys: &[Code(KeyCode::Esc)], action: A::Back, en: "close help, details or the lesson; back to the lesson picker", zh: "关闭帮助、详情或课程说明;回到课程列表", hint: None },
    Binding { scope: Both, keys: &[C('q'), Ctrl('c')], action: A::Quit, en: "quit (ends every process, cleans up)", zh: "退出(结束所有进程并清理)", hint: Some(("quit", "退出")) },
    Binding { scope: P, keys: &[Key::Typed], action: A::Type('\0'), en: "lesson list: a lesson's key (shown beside it) selects it, a digit picks its variant; options: type a value", zh: "课程列表:按课程旁的键选中它,数字选择变体;选项:输入参数值", hint: None },
];

fn in_scope(b: &Binding, scope: Scope) -> bool {
    b.scope == scope || b.scope == Scope::Both
}

/// The action `ev` asks for in `scope`, if any. Key releases are ignored.
pub fn lookup(scope: Scope, ev: &KeyEvent) -> Option<Intent> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let b = BINDINGS.iter().filter(|b| in_scope(b, scope)).find(|b| b.keys.iter().any(|k| k.matches(ev)))?;
    Some(match (b.action, ev.code) {
        (A::Type(_), KeyCode::Char(c)) => A::Type(c),
        (a, _) => a,
    })
}

/// Help rows for `scope`: the keys and what they do.
pub fn help_rows(scope: Scope, lang: Lang) -> Vec<(String, &'static str)> {
    BINDINGS.iter().filter(|b| in_scope(b, scope)).map(|b| (b.keys.iter().map(|k| k.label()).collect::<Vec<_>>().join(" "), lang.pick(b.en, b.zh))).collect()
}

/// Footer hints for `scope`: `key word` pairs. With the run's `mode` (the
/// dashboard), the words fit what the run does now: `space run` while
/// paused, `space pause` while running; once every process has ended, no
/// key that acts on a live process, and `r restart` instead.
pub fn hints(scope: Scope, lang: Lang, mode: Option<Mode>) -> Vec<(String, &'static str)> {
    let paused = matches!(mode, Some(Mode::Paused | Mode::Stepping { .. }));
    let ended = mode == Some(Mode::Ended);
    BINDINGS
        .iter()
        .filter(|b| in_scope(b, scope))
        .filter_map(|b| {
            let word = match b.action {
                A::TogglePause | A::StepNext | A::Terminate | A::Kill | A::Join if ended => None,
                A::TogglePause if paused => Some(("run", "运行")),
                A::Restart if ended => Some(("restart", "重新开始")),
                _ => b.hint,
            };
            word.map(|(en, zh)| (b.keys[0].label(), lang.pick(en, zh)))
        })
        .collect()
}

/// The keymap as a Markdown table (README's "Keys" section is this).
pub fn markdown() -> String {
    let mut out = String::from("| keys | dashboard | lesson picker |\n|---|---|---|\n");
    for b in BINDINGS {
        let keys = b.keys.iter().map(|k| format!("`{}`", k.label())).collect::<Vec<_>>().join(" ");
        let (d, p) = match b.scope {
            Scope::Dashboard => (b.en, ""),
            Scope::Picker => ("", b.en),
            Scope::Both => (b.en, b.en),
        };
        out.push_str(&format!("| {keys} | {d} | {p} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_of_the_issue_do_what_it_says() {
        let d = |c: char| lookup(Scope::Dashboard, &key(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(d(' '), Some(A::TogglePause));
        assert_eq!(d('n'), Some(A::StepNext));
        assert_eq!(d('s'), Some(A::StepSelected));
        assert_eq!(d('l'), Some(A::ToggleStatements));
        assert_eq!(d('t'), Some(A::Terminate));
        assert_eq!(d('k'), Some(A::Kill));
        assert_eq!(d('z'), Some(A::Freeze));
        assert_eq!(d('j'), Some(A::Join));
        assert_eq!(d('r'), Some(A::Restart));
        assert_eq!(d('+'), Some(A::Faster));
        assert_eq!(d('-'), Some(A::Slower));
        assert_eq!(d('?'), Some(A::Help));
        assert_eq!(d('q'), Some(A::Quit));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Char('L'), KeyModifiers::SHIFT)), Some(A::Language));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Char('J'), KeyModifiers::SHIFT)), Some(A::Down));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Up, KeyModifiers::NONE)), Some(A::Up));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Enter, KeyModifiers::NONE)), Some(A::Details));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Tab, KeyModifiers::NONE)), Some(A::NextPane));
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(A::Quit));
        // Ctrl-n is not n.
        assert_eq!(lookup(Scope::Dashboard, &key(KeyCode::Char('n'), KeyModifiers::CONTROL)), None);
    }

    #[test]
    fn picker_types_digits_but_keeps_its_keys() {
        let p = |c: char| lookup(Scope::Picker, &key(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(p('7'), Some(A::Type('7')));
        assert_eq!(p('q'), Some(A::Quit));
        assert_eq!(p('n'), Some(A::Type('n')), "n steps only in the dashboard");
        assert_eq!(lookup(Scope::Picker, &key(KeyCode::Enter, KeyModifiers::NONE)), Some(A::Start));
        assert_eq!(lookup(Scope::Picker, &key(KeyCode::Char('R'), KeyModifiers::SHIFT)), Some(A::SwitchList));
        // No lesson hot key is a key the picker binds to something else.
        for c in crate::ui::picker::HOT_KEYS.chars() {
            assert_eq!(p(c), Some(A::Type(c)), "hot key {c}");
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for scope in [Scope::Dashboard, Scope::Picker] {
            let mut seen: Vec<Key> = Vec::new();
            for b in BINDINGS.iter().filter(|b| in_scope(b, scope)) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} bound twice in {scope:?}");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn footer_hints_fit_what_the_run_does() {
        let words = |mode| hints(Scope::Dashboard, Lang::En, Some(mode)).into_iter().map(|(k, w)| format!("{k} {w}")).collect::<Vec<_>>();
        assert!(words(Mode::Running).contains(&"space pause".to_string()));
        let paused = words(Mode::Paused);
        assert!(paused.contains(&"space run".to_string()) && !paused.contains(&"space pause".to_string()), "{paused:?}");
        let ended = words(Mode::Ended);
        assert!(ended.contains(&"r restart".to_string()), "{ended:?}");
        for gone in ["space", "n step", "k kill", "t term", "j join"] {
            assert!(!ended.iter().any(|w| w.starts_with(gone)), "{gone} after the end: {ended:?}");
        }
    }

    #[test]
    fn help_lists_every_dashboard_binding_in_both_languages() {
        let en = help_rows(Scope::Dashboard, Lang::En);
        let zh = help_rows(Scope::Dashboard, Lang::Zh);
        assert_eq!(en.len(), zh.len());
        assert!(en.iter().any(|(k, t)| k == "j" && t.starts_with("join")));
        assert!(zh.iter().any(|(k, t)| k == "space" && t.contains("暂停")));
    }
}

#[cfg(test)]
mod readme {
    /// README.md's key table is this keymap: regenerate it with
    /// `FORKSCOPE_WRITE_README_KEYS=1 cargo test --lib readme_key_table`.
    #[test]
    fn readme_key_table_matches_the_keymap() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (begin, end) = ("<!-- keys:begin (generated from src/ui/keymap.rs) -->\n", "<!-- keys:end -->");
        let (a, b) = (readme.find(begin).expect("README has the keys markers") + begin.len(), readme.find(end).expect("README has the keys end marker"));
        let table = super::markdown();
        if std::env::var_os("FORKSCOPE_WRITE_README_KEYS").is_some() {
            std::fs::write(path, format!("{}{table}{}", &readme[..a], &readme[b..])).unwrap();
            return;
        }
        assert_eq!(&readme[a..b], table, "README's key table is out of date: regenerate it (see this test's doc)");
    }
}
