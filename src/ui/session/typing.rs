//! Typing a line for a process waiting in `input()` (`i`).

use super::super::state::Tone;
use super::super::text::Lang;
use super::Session;

impl Session {
    /// `i`: starts typing a line for the selected process, if it waits in `input()`.
    pub fn start_typing(&mut self) {
        let Some((lane, name)) = self.selected() else { return };
        let l = self.dash.lang;
        if !self.run.waiting_for_input().contains(&lane) {
            self.dash.say(format!("{name} {}", l.pick("is not waiting in input()", "没有在 input() 中等待")), Tone::Bad);
            return;
        }
        self.typing = Some((lane, name, String::new()));
        self.show_typing();
    }

    /// The line being typed, in the footer's message.
    pub fn show_typing(&mut self) {
        let Some((_, name, text)) = &self.typing else { return };
        let l = self.dash.lang;
        let hint = l.pick("enter sends · esc cancels · ctrl-d ends the input", "回车发送 · esc 取消 · ctrl-d 结束输入");
        let msg = match l {
            Lang::En => format!("input() of {name} ({hint}): {text}▏"),
            Lang::Zh => format!("{name} 的 input()({hint}):{text}▏"),
        };
        self.dash.say(msg, Tone::Info);
    }

    /// Edits the line being typed: a character, or `None` to erase one.
    pub fn type_key(&mut self, c: Option<char>) {
        if let Some((_, _, text)) = self.typing.as_mut() {
            match c {
                Some(c) => text.push(c),
                None => {
                    text.pop();
                }
            }
        }
        self.show_typing();
    }

    /// Ends typing: `Some(true)` sends the line, `Some(false)` ends the
    /// process's input (its `input()` raises EOFError), `None` cancels.
    pub fn finish_typing(&mut self, send: Option<bool>) {
        let Some((lane, name, text)) = self.typing.take() else { return };
        let l = self.dash.lang;
        let Some(send) = send else {
            self.dash.say(l.pick("input cancelled", "已取消输入"), Tone::Info);
            return;
        };
        let line = send.then_some(text.as_str());
        if self.run.give_input(lane, line) {
            let what = if send { format!("{} {name}: {text}", l.pick("typed for", "已输入给")) } else { format!("{} {name}", l.pick("end of input for", "输入结束:")) };
            self.dash.say(what, Tone::Info);
        } else {
            self.dash.say(format!("{name} {}", l.pick("no longer waits for input", "不再等待输入")), Tone::Bad);
        }
    }
}
