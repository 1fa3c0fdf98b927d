//! The standard input of a run: lines handed to processes waiting in
//! `input()`.

use super::*;

/// The standard input of a headless run: the `--input` lines, then
/// forkscope's own stdin (read by a thread, so the run never blocks on it).
#[derive(Debug)]
pub struct Input {
    given: std::collections::VecDeque<String>,
    stdin: Option<std::sync::mpsc::Receiver<String>>,
}

impl Input {
    /// `lines` first; then, if `stdin`, forkscope's standard input.
    pub fn new(lines: Vec<String>, stdin: bool) -> Input {
        let stdin = stdin.then(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = std::thread::Builder::new().name("stdin".into()).spawn(move || {
                use std::io::BufRead;
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        });
        Input { given: lines.into(), stdin }
    }

    /// The next line (`Some(None)`: end of input; `None`: none yet).
    fn next_line(&mut self) -> Option<Option<String>> {
        if let Some(l) = self.given.pop_front() {
            return Some(Some(l));
        }
        match &self.stdin {
            None => Some(None),
            Some(rx) => match rx.try_recv() {
                Ok(l) => Some(Some(l)),
                Err(std::sync::mpsc::TryRecvError::Empty) => None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(None),
            },
        }
    }
}

impl Run {
    /// Lanes waiting in `input()` for a line nobody has handed them yet.
    pub fn waiting_for_input(&self) -> Vec<Lane> {
        let v = &self.seg.view();
        (1..v.lanes_in_use())
            .filter(|&lane| {
                let Some(l) = v.lane(lane) else { return false };
                let Some(s) = l.status.read(64) else { return false };
                l.ended.load(Acquire) == 0
                    && s.state == ProcState::Blocked as u32
                    && s.op == crate::shm::record::Op::Input as u32
                    && l.handoff.load(Acquire) == 0
            })
            .map(Lane)
            .collect()
    }

    /// Hands `lane`, waiting in `input()`, a line (`None`: end of input, its
    /// `input()` raises EOFError). False if it is not waiting for one.
    pub fn give_input(&mut self, lane: Lane, line: Option<&str>) -> bool {
        if !self.waiting_for_input().contains(&lane) {
            return false;
        }
        let lane = lane.0;
        let seg = self.seg.clone();
        let v = seg.view();
        let Some(l) = v.lane(lane) else { return false };
        let (first, len) = match line {
            Some(text) => match v.write_chain(text.as_bytes()) {
                Ok(first) => (first, text.len() as u32),
                Err(_) => return false,
            },
            None => (NONE, 0),
        };
        l.mailbox_len.store(len, Relaxed);
        l.mailbox_block.store(first, Release);
        l.handoff.store(crate::runtime::ipc::token(crate::runtime::misc::STDIN), Release);
        v.wake_lane(lane);
        true
    }

    /// Feeds the run's standard input ([`Run::set_input`]) to the processes
    /// waiting in `input()`, in lane order; at the end of input they get EOF.
    /// Returns whether it handed anyone anything.
    pub fn feed_input(&mut self) -> bool {
        let waiting = self.waiting_for_input();
        if waiting.is_empty() {
            return false;
        }
        let Some(mut input) = self.input.take() else { return false };
        let mut fed = false;
        for lane in waiting {
            match input.next_line() {
                Some(line) => fed |= self.give_input(lane, line.as_deref()),
                None => break,
            }
        }
        self.input = Some(input);
        fed
    }

    /// Where `input()` reads from in a run without a dashboard.
    pub fn set_input(&mut self, input: Input) {
        self.input = Some(input);
    }
}
