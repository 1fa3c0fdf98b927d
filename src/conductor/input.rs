//! The standard input of a run: lines handed to processes waiting in
//! `input()`.
//!
//! forkscope's own stdin is read only as `input()` needs it: a thread reads
//! one piece when asked (a line, or [`PIECE`] bytes of a longer one; at most
//! its reader's buffer ahead), and is asked only when a process waits in
//! `input()` with nothing left to hand it. A program that never calls
//! `input()` never makes forkscope read its stdin, and an endless stream
//! (`yes |`, `< /dev/zero`) costs a piece of memory, not all of it.
//!
//! A line travels to its process in pieces through the segment's data area:
//! the lane's mailbox holds the piece's length, with [`LINE_ENDS`] set on the
//! last one (an empty line is an empty last piece; end of input is a hand-off
//! with no piece). The process (`LaneRuntime::input_op`) waits again after each piece
//! until its line ends, so a line of any length arrives whole, as CPython
//! reads it; while a line is being handed over, its process gets the next
//! pieces and no other. A piece that does not fit in the data area just now
//! is cut smaller, or waits: nothing of the input is ever dropped.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};

use super::*;

/// The most bytes of a line read (and handed over) at once.
pub const PIECE: usize = 256 * 1024;

use crate::runtime::plain::LINE_ENDS;

/// The smallest piece worth cutting a piece down to when the data area is
/// short of room (a smaller one waits for room instead).
const SMALLEST_CUT: usize = 4096;

/// A piece of a line.
#[derive(Debug)]
struct Piece {
    bytes: Vec<u8>,
    /// The line ends with this piece (its newline is not part of it).
    ends: bool,
}

/// forkscope's own stdin, read by a thread one piece per request.
#[derive(Debug)]
struct StdinReader {
    ask: Sender<()>,
    got: Receiver<Option<Piece>>,
    /// A piece was asked for and has not arrived yet.
    asked: bool,
}

impl StdinReader {
    fn start() -> StdinReader {
        let (ask, asks) = std::sync::mpsc::channel::<()>();
        let (tx, got) = std::sync::mpsc::channel();
        let _ = std::thread::Builder::new().name("stdin".into()).spawn(move || {
            let mut stdin = std::io::stdin().lock();
            for () in asks {
                let piece = read_piece(&mut stdin);
                let end = piece.is_none();
                if tx.send(piece).is_err() || end {
                    break;
                }
            }
        });
        StdinReader { ask, got, asked: false }
    }
}

/// Reads the next piece of a line from `r`: up to its newline (not kept),
/// or [`PIECE`] bytes of it; `None` at the end of input. The last line may
/// lack its newline, as in CPython.
fn read_piece(r: &mut impl std::io::BufRead) -> Option<Piece> {
    let mut bytes = Vec::new();
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => &[],
        };
        if avail.is_empty() {
            return (!bytes.is_empty()).then_some(Piece { bytes, ends: true });
        }
        let room = PIECE - bytes.len();
        let take = &avail[..avail.len().min(room)];
        if let Some(i) = take.iter().position(|&b| b == b'\n') {
            bytes.extend_from_slice(&take[..i]);
            r.consume(i + 1);
            return Some(Piece { bytes, ends: true });
        }
        let n = take.len();
        bytes.extend_from_slice(take);
        r.consume(n);
        if bytes.len() >= PIECE {
            return Some(Piece { bytes, ends: false });
        }
    }
}

/// The standard input of a headless run: the `--input` lines, then
/// forkscope's own stdin (read as needed; see the module doc).
#[derive(Debug)]
pub struct Input {
    given: VecDeque<String>,
    /// Whether forkscope's stdin follows the given lines.
    use_stdin: bool,
    stdin: Option<StdinReader>,
    /// The next piece to hand over (`Some(None)`: the end of input, for good).
    next: Option<Option<Piece>>,
    /// The process a line is being handed to, piece by piece.
    continuing: Option<Lane>,
}

impl Input {
    /// `lines` first; then, if `stdin`, forkscope's standard input.
    pub fn new(lines: Vec<String>, stdin: bool) -> Input {
        Input { given: lines.into(), use_stdin: stdin, stdin: None, next: None, continuing: None }
    }

    /// Makes the next piece ready (`false`: none yet, it is being read).
    fn ready(&mut self) -> bool {
        if self.next.is_some() {
            return true;
        }
        if let Some(l) = self.given.pop_front() {
            self.next = Some(Some(Piece { bytes: l.into_bytes(), ends: true }));
            return true;
        }
        if !self.use_stdin {
            self.next = Some(None);
            return true;
        }
        let reader = self.stdin.get_or_insert_with(StdinReader::start);
        if !reader.asked {
            if reader.ask.send(()).is_err() {
                self.next = Some(None);
                return true;
            }
            reader.asked = true;
        }
        // A pipe usually answers at once: wait for it a little, so that a
        // stepped run need not go round its loop for every line.
        match reader.got.recv_timeout(Duration::from_millis(2)) {
            Ok(p) => {
                reader.asked = false;
                self.next = Some(p);
                true
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                self.next = Some(None);
                true
            }
        }
    }

    /// A piece is being read from forkscope's stdin for a waiting process.
    pub fn awaited(&mut self) -> bool {
        match &mut self.stdin {
            Some(r) if r.asked && self.next.is_none() => match r.got.try_recv() {
                Ok(p) => {
                    r.asked = false;
                    self.next = Some(p);
                    false
                }
                Err(TryRecvError::Empty) => true,
                Err(TryRecvError::Disconnected) => false,
            },
            _ => false,
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

    /// Hands `lane`, waiting in `input()`, a whole line (`None`: end of
    /// input, its `input()` raises EOFError). False if it is not waiting for
    /// one, or the line does not fit in the data area just now.
    pub fn give_input(&mut self, lane: Lane, line: Option<&str>) -> bool {
        if !self.waiting_for_input().contains(&lane) {
            return false;
        }
        match line {
            None => self.hand(lane, None, false).is_some(),
            Some(text) => text.len() <= PIECE && self.hand(lane, Some((text.as_bytes(), true)), false).is_some(),
        }
    }

    /// Hands `lane` a piece of a line (at most [`PIECE`] bytes of `piece`,
    /// fewer if `cut` and the data area is short of room), or the end of
    /// input. Returns how many bytes it handed; `None` if it could hand nothing.
    fn hand(&mut self, lane: Lane, piece: Option<(&[u8], bool)>, cut: bool) -> Option<usize> {
        let seg = self.seg.clone();
        let v = seg.view();
        let l = v.lane(lane.0)?;
        let (first, len, n) = match piece {
            None => (NONE, 0, 0),
            Some((bytes, ends)) => {
                let mut n = bytes.len().min(PIECE);
                let first = loop {
                    match v.write_chain(&bytes[..n]) {
                        Ok(first) => break first,
                        Err(_) if cut && n > SMALLEST_CUT => n = (n / 2).max(SMALLEST_CUT),
                        Err(_) => return None,
                    }
                };
                let ends = ends && n == bytes.len();
                (first, n as u32 | if ends { LINE_ENDS } else { 0 }, n)
            }
        };
        l.mailbox_len.store(len, Relaxed);
        l.mailbox_block.store(first, Release);
        l.handoff.store(crate::runtime::ipc::token(crate::runtime::plain::STDIN), Release);
        v.wake_lane(lane.0);
        Some(n)
    }

    /// Feeds the run's standard input ([`Run::set_input`]) to the processes
    /// waiting in `input()`, in lane order, one piece each; at the end of
    /// input they get EOF. Returns whether it handed anyone anything.
    pub fn feed_input(&mut self) -> bool {
        let waiting = self.waiting_for_input();
        if waiting.is_empty() {
            return false;
        }
        let Some(mut input) = self.input.take() else { return false };
        if let Some(c) = input.continuing {
            let gone = self.seg.view().lane(c.0).is_none_or(|l| l.ended.load(Acquire) != 0);
            if gone {
                input.continuing = None;
            }
        }
        let mut fed = false;
        for lane in waiting {
            if input.continuing.is_some_and(|c| c != lane) {
                continue;
            }
            if !input.ready() {
                break;
            }
            match input.next.take() {
                Some(Some(mut piece)) => match self.hand(lane, Some((&piece.bytes, piece.ends)), true) {
                    Some(n) => {
                        fed = true;
                        if n == piece.bytes.len() {
                            input.continuing = (!piece.ends).then_some(lane);
                        } else {
                            piece.bytes.drain(..n);
                            input.next = Some(Some(piece));
                            input.continuing = Some(lane);
                        }
                    }
                    None => {
                        // No room in the data area now: try again later.
                        input.next = Some(Some(piece));
                        break;
                    }
                },
                Some(None) => {
                    fed |= self.hand(lane, None, false).is_some();
                    input.next = Some(None);
                }
                None => break,
            }
        }
        self.input = Some(input);
        fed
    }

    /// A process waits for input that forkscope's stdin has not given yet.
    pub fn input_awaited(&mut self) -> bool {
        self.input.as_mut().is_some_and(Input::awaited)
    }

    /// Where `input()` reads from in a run without a dashboard.
    pub fn set_input(&mut self, input: Input) {
        self.input = Some(input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_longer_than_a_piece_is_read_in_pieces_and_the_last_ends_it() {
        let mut data = vec![b'x'; PIECE * 2 + 10];
        data.extend_from_slice(b"\n\nlast");
        let mut r = std::io::BufReader::new(&data[..]);
        let sizes: Vec<(usize, bool)> = std::iter::from_fn(|| read_piece(&mut r)).map(|p| (p.bytes.len(), p.ends)).collect();
        assert_eq!(sizes, [(PIECE, false), (PIECE, false), (10, true), (0, true), (4, true)]);
    }

    #[test]
    fn an_endless_stream_is_read_one_piece_at_a_time() {
        // What `yes` writes: as many lines as anyone reads. Each read takes
        // one line and at most a reader's buffer more, never the stream.
        let mut r = std::io::BufReader::with_capacity(8192, std::io::repeat(b'y'));
        let p = read_piece(&mut r).unwrap();
        assert_eq!((p.bytes.len(), p.ends), (PIECE, false));
    }
}
