//! End-to-end tests of the dashboard: the REAL binary in a real terminal,
//! a pseudo-terminal the test opens itself. The child gets the pty's slave
//! as its controlling terminal (its own session, `TIOCSCTTY`), so raw mode,
//! SIGWINCH, Ctrl-Z and a shell's job control are the kernel's own; keys are
//! the bytes a terminal sends for them, written to the master; a reader
//! thread drains the master continuously into a terminal emulator (the
//! `vt100` crate), whose screen is what the tests read. Every test is
//! bounded in time, ends what it started in all cases (a Drop guard), and
//! checks that nothing of the run is left: no process, no /dev/shm segment,
//! no scratch folder.
//!
//! Nothing needs installing: `sh` runs the command and `bash` is the shell
//! of the job-control tests (both are in every Debian/Ubuntu).

use crate::common;

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{assert_left_nothing, bin};

/// A terminal of our own: a pseudo-terminal whose slave side is the
/// controlling terminal of `sh -c CMD` (the "pane"), whose master side a
/// reader thread feeds into an emulated screen.
struct Terminal {
    /// The master side; `None` once the terminal was closed ([`Terminal::hang_up`]).
    master: Mutex<Option<Arc<OwnedFd>>>,
    screen: Arc<Mutex<vt100::Parser<Answers>>>,
    stop: Arc<AtomicBool>,
    reader: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The pane's process: `sh`, the session leader.
    child: Mutex<std::process::Child>,
    conductor: std::cell::Cell<i32>,
}

/// What the terminal answers to the program's queries, as a terminal does:
/// the cursor position (DSR 6, crossterm asks it), "terminal OK" (DSR 5)
/// and what kind of terminal it is (DA). Filled while the output is read,
/// written back by the reader.
#[derive(Default)]
struct Answers(Vec<u8>);

impl vt100::Callbacks for Answers {
    fn unhandled_csi(&mut self, screen: &mut vt100::Screen, i1: Option<u8>, _i2: Option<u8>, params: &[&[u16]], c: char) {
        match (i1, c, params) {
            (None, 'n', [[6]]) => {
                let (row, col) = screen.cursor_position();
                self.0.extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', [[5]]) => self.0.extend_from_slice(b"\x1b[0n"),
            (None, 'c', [] | [[0]]) => self.0.extend_from_slice(b"\x1b[?1;2c"),
            _ => {}
        }
    }
}

/// Writes all of `bytes` to the master (typing, or the terminal's answers).
fn write_all(master: &OwnedFd, mut bytes: &[u8]) -> nix::Result<()> {
    while !bytes.is_empty() {
        match nix::unistd::write(master, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sets close-on-exec on `fd`: no child but the pane's gets either side.
fn cloexec(fd: &OwnedFd) {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("FD_CLOEXEC on the pty");
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal is at least one cell")
}

/// Tells the pty its size (the kernel sends SIGWINCH to its foreground group).
fn set_size(master: &OwnedFd, w: u16, h: u16) {
    let ws = libc::winsize { ws_row: h, ws_col: w, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, which is valid for the call.
    let r = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    assert_eq!(r, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
}

/// The bytes a terminal (xterm) sends for a tmux-style key name; `None` for
/// a name that is not a key (it is typed as it is, as `send-keys` does).
/// `app_cursor`: the program asked for application cursor keys (DECCKM).
fn key_bytes(key: &str, app_cursor: bool) -> Option<Vec<u8>> {
    let csi_or_ss3 = |c: char| if app_cursor { format!("\x1bO{c}") } else { format!("\x1b[{c}") };
    let b = match key {
        "Enter" => "\r".to_string(),
        "Escape" => "\x1b".to_string(),
        "Tab" => "\t".to_string(),
        "BTab" => "\x1b[Z".to_string(),
        "Space" => " ".to_string(),
        "BSpace" => "\x7f".to_string(),
        "Up" => csi_or_ss3('A'),
        "Down" => csi_or_ss3('B'),
        "Right" => csi_or_ss3('C'),
        "Left" => csi_or_ss3('D'),
        "Home" => csi_or_ss3('H'),
        "End" => csi_or_ss3('F'),
        "PageUp" | "PPage" => "\x1b[5~".to_string(),
        "PageDown" | "NPage" => "\x1b[6~".to_string(),
        "Insert" | "IC" => "\x1b[2~".to_string(),
        "Delete" | "DC" => "\x1b[3~".to_string(),
        "F1" => "\x1bOP".to_string(),
        "F2" => "\x1bOQ".to_string(),
        "F3" => "\x1bOR".to_string(),
        "F4" => "\x1bOS".to_string(),
        "F5" => "\x1b[15~".to_string(),
        "F6" => "\x1b[17~".to_string(),
        "F7" => "\x1b[18~".to_string(),
        "F8" => "\x1b[19~".to_string(),
        "F9" => "\x1b[20~".to_string(),
        "F10" => "\x1b[21~".to_string(),
        "F11" => "\x1b[23~".to_string(),
        "F12" => "\x1b[24~".to_string(),
        _ => {
            // C-x: the control character of a letter (and C-@ … C-_).
            let c = key.strip_prefix("C-").filter(|r| r.chars().count() == 1)?.chars().next()?.to_ascii_uppercase();
            if !('@'..='_').contains(&c) {
                return None;
            }
            return Some(vec![c as u8 - b'@']);
        }
    };
    Some(b.into_bytes())
}

impl Terminal {
    /// Starts `args` (forkscope's arguments) in a `w`×`h` terminal with
    /// `env` set; the pane reports the exit status and stays open.
    fn start(name: &str, args: &str, env: &[(&str, &str)], w: u16, h: u16) -> Terminal {
        Terminal::start_in(name, args, env, w, h, &std::env::current_dir().unwrap())
    }

    /// As [`Terminal::start`], with `dir` as forkscope's current folder.
    fn start_in(_name: &str, args: &str, env: &[(&str, &str)], w: u16, h: u16, dir: &std::path::Path) -> Terminal {
        let envs: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        // The inner shell prints its pid and becomes forkscope (exec), so the
        // conductor's pid stays readable after it exits.
        let cmd = format!("sh -c 'echo \"conductor $$\"; exec env {envs}{} {args}'; echo \"forkscope exited $?\"; sleep 600", bin());
        Terminal::pane(&cmd, w, h, dir)
    }

    /// A terminal with an interactive shell with job control (prompt
    /// `ready$ `), for what happens between forkscope and the shell (Ctrl-Z, `fg`).
    fn shell(_name: &str, w: u16, h: u16) -> Terminal {
        let bash = Command::new("bash").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        assert!(bash, "this test needs `bash` (the shell whose job control it drives; every Debian/Ubuntu has it): not found on PATH");
        Terminal::pane("PS1='ready$ ' exec bash --norc --noprofile -i", w, h, &std::env::current_dir().unwrap())
    }

    fn pane(cmd: &str, w: u16, h: u16, dir: &std::path::Path) -> Terminal {
        let ws = nix::pty::Winsize { ws_row: h, ws_col: w, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        cloexec(&pty.master);
        cloexec(&pty.slave);
        let slave = pty.slave;
        let mut c = Command::new("sh");
        c.arg("-c").arg(cmd).current_dir(dir);
        c.env("TERM", "xterm-256color").env_remove("TMUX").env_remove("TMUX_PANE");
        c.stdin(Stdio::from(slave.try_clone().unwrap())).stdout(Stdio::from(slave.try_clone().unwrap())).stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec. The
        // child leads a new session and takes its stdin, the slave, as
        // controlling terminal, as a terminal window's shell does.
        unsafe {
            c.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = c.spawn().expect("start the terminal's sh");
        // `c` holds the last copies of the slave in this process: gone, the
        // master reads EIO once every process of the terminal closed it.
        drop(c);
        let master = Arc::new(pty.master);
        let screen = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(nonzero(h), nonzero(w), 0, Answers::default())));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (master, screen, stop) = (master.clone(), screen.clone(), stop.clone());
            std::thread::spawn(move || {
                use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                let mut buf = vec![0u8; 1 << 16];
                // Drains the master (a full pty buffer would block the
                // dashboard's writes) until told to stop or every slave is closed.
                while !stop.load(Ordering::SeqCst) {
                    let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
                    match poll(&mut fds, PollTimeout::from(50u16)) {
                        Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                    match nix::unistd::read(&*master, &mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            let answers = {
                                let mut p = screen.lock().unwrap_or_else(|e| e.into_inner());
                                p.process(&buf[..n]);
                                std::mem::take(&mut p.callbacks_mut().0)
                            };
                            // A terminal whose programs are all gone has no one to answer.
                            let _ = write_all(&master, &answers);
                        }
                        Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
                        // EIO: no process has the terminal open any more.
                        Err(_) => break,
                    }
                }
            })
        };
        Terminal {
            master: Mutex::new(Some(master)),
            screen,
            stop,
            reader: Mutex::new(Some(reader)),
            child: Mutex::new(child),
            conductor: std::cell::Cell::new(0),
        }
    }

    /// Writes `bytes` to the terminal, as typing does.
    fn write(&self, bytes: &[u8]) {
        let master = self.master.lock().unwrap().clone().expect("the terminal is open");
        write_all(&master, bytes).unwrap_or_else(|e| panic!("typing into the terminal: {e}"));
    }

    /// Waits until `name` has the terminal: its process group is the
    /// terminal's foreground, and the terminal is in its normal mode (lines,
    /// echo), as the shell hands it to a job. (Typed before, the text meets
    /// the shell's line editor's mode and is not a line of the job's.)
    fn wait_for_foreground(&self, name: &str, limit: Duration) {
        use nix::sys::termios::{LocalFlags, tcgetattr};
        let master = self.master.lock().unwrap().clone().expect("the terminal is open");
        let t0 = Instant::now();
        loop {
            let group = nix::unistd::tcgetpgrp(&*master).map(|g| g.as_raw()).unwrap_or(0);
            let comm = std::fs::read_to_string(format!("/proc/{group}/comm")).unwrap_or_default();
            let cooked = tcgetattr(&*master).is_ok_and(|t| t.local_flags.contains(LocalFlags::ICANON | LocalFlags::ECHO));
            if comm.trim() == name && cooked {
                return;
            }
            assert!(t0.elapsed() < limit, "waited {limit:?} for {name} to have the terminal; the foreground is {group} ({}):\n{}", comm.trim(), self.screen());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `text` literally, then enter.
    fn type_line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// Presses `keys`, as tmux's `send-keys` names them (`Enter`, `Down`,
    /// `C-c`, `BSpace`, …; anything else is typed as it is); after `-l`,
    /// every argument is typed as it is. Each key is one write, as a
    /// terminal sends one key press.
    fn keys(&self, keys: &[&str]) {
        let literal = keys.first() == Some(&"-l");
        for k in keys.iter().skip(usize::from(literal)) {
            let app_cursor = self.screen.lock().unwrap_or_else(|e| e.into_inner()).screen().application_cursor();
            let bytes = if literal { None } else { key_bytes(k, app_cursor) };
            self.write(&bytes.unwrap_or_else(|| k.as_bytes().to_vec()));
        }
    }

    /// The screen as text, a line per row (trailing blanks cut), as tmux's
    /// `capture-pane -p` gives it.
    fn screen(&self) -> String {
        let p = self.screen.lock().unwrap_or_else(|e| e.into_inner());
        let (_, cols) = p.screen().size();
        p.screen().rows(0, cols.get()).map(|r| format!("{}\n", r.trim_end())).collect()
    }

    /// The terminal's new size: the emulated screen, then the pty (SIGWINCH).
    fn resize(&self, w: u16, h: u16) {
        self.screen.lock().unwrap_or_else(|e| e.into_inner()).set_size(nonzero(h), nonzero(w));
        let master = self.master.lock().unwrap().clone().expect("the terminal is open");
        set_size(&master, w, h);
    }

    /// Waits until the screen satisfies `ok`; panics with the screen after
    /// `limit`. The screen returned is a whole frame where one can be had:
    /// the reader may have taken in a frame half drawn (its top new, its
    /// bottom old), so once `ok` holds it looks again until two looks agree
    /// (a screen that keeps changing, a running clock, is taken as it is
    /// after 120 ms).
    fn wait_for(&self, what: &str, limit: Duration, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                let settle = Instant::now();
                let mut last = s;
                while settle.elapsed() < Duration::from_millis(120) {
                    std::thread::sleep(Duration::from_millis(30));
                    let again = self.screen();
                    if again == last {
                        return last;
                    }
                    if !ok(&again) {
                        break;
                    }
                    last = again;
                }
                return last;
            }
            if t0.elapsed() > limit {
                panic!("waited {limit:?} for {what}; the screen is:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn alternate_screen(&self) -> bool {
        self.screen.lock().unwrap_or_else(|e| e.into_inner()).screen().alternate_screen()
    }

    /// Whether the cursor is shown, and whether the program asked for mouse reports.
    fn cursor_shown_and_mouse(&self) -> (bool, bool) {
        let p = self.screen.lock().unwrap_or_else(|e| e.into_inner());
        (!p.screen().hide_cursor(), p.screen().mouse_protocol_mode() != vt100::MouseProtocolMode::None)
    }

    /// The conductor: the child of the terminal's shell (a chain through `env`'s exec).
    fn conductor(&self) -> i32 {
        let sh = self.child.lock().unwrap().id() as i32;
        let t0 = Instant::now();
        loop {
            let kids = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap_or_default();
            if let Some(pid) = kids.split_whitespace().filter_map(|p| p.parse::<i32>().ok()).find(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "forkscope")) {
                self.conductor.set(pid);
                return pid;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "forkscope did not start in the terminal:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The window goes away: the master is closed, the kernel hangs up the
    /// terminal (SIGHUP to its session leader, EIO to its readers).
    fn hang_up(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(r) = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = r.join();
        }
        self.master.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A failed test must not leave the run behind: the conductor takes
        // its processes with it; then the terminal goes, and with it
        // whatever else ran in it (its session).
        let pid = self.conductor.get();
        if pid > 0 {
            // SAFETY: plain syscall on a pid we found as the terminal's forkscope.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        self.hang_up();
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let sid = child.id() as i32;
        for p in session_members(sid) {
            // SAFETY: plain syscall on a process of the terminal's session.
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The processes of session `sid` (what ran in a terminal).
fn session_members(sid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| s.rsplit(')').next().and_then(|r| r.split_whitespace().nth(3)).and_then(|x| x.parse::<i32>().ok()) == Some(sid)))
        .collect()
}

/// Every process whose command line names the run's segment (workers, guard).
fn run_pids(conductor: i32) -> Vec<i32> {
    let prefix = format!("forkscope-{conductor}-");
    let seg = std::fs::read_dir("/dev/shm").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).find(|n| n.starts_with(&prefix));
    let Some(seg) = seg else { return vec![] };
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(&seg)))
        .collect()
}

/// The ready interpreters (`python3 … --zygote ....`) `conductor` started.
fn zygotes_of(conductor: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| {
            let parent = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|st| st.rsplit(')').next().and_then(|r| r.split_whitespace().nth(1)).and_then(|p| p.parse::<i32>().ok()));
            // The zygote's segment argument is a placeholder of dots; the runs it
            // forked have their segment's name written over it.
            let serves = |c: Vec<u8>| {
                let args: Vec<&[u8]> = c.split(|&b| b == 0).collect();
                args.windows(2).any(|w| w[0] == b"--zygote" && !w[1].is_empty() && w[1].iter().all(|&b| b == b'.'))
            };
            parent == Some(conductor) && std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(serves)
        })
        .collect()
}

/// The lanes pane's rows: (row index, text) of each process row.
fn lane_rows(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    // Before the first frame there is no lanes pane: no rows.
    let Some(start) = lines.iter().position(|l| l.contains(" process ") && l.contains("pid")) else { return Vec::new() };
    lines[start + 1..].iter().take_while(|l| !l.starts_with('└')).map(|l| l.split('│').nth(1).unwrap_or("").to_string()).filter(|r| r.trim().len() > 2).collect()
}

/// The process name of a lanes row.
fn row_name(row: &str) -> &str {
    row.trim_start_matches(|c: char| ">└ ".contains(c) || forkscope::ui::theme::LANE_MARKS.contains(&c)).split_whitespace().next().unwrap_or("")
}

/// No process anywhere still runs for the run of `conductor` (workers and
/// the guard name the run's segment, `forkscope-PID-…`, on their command line).
fn assert_no_process_of(conductor: i32) {
    let t0 = Instant::now();
    loop {
        let live = common::processes_of_run(conductor, "");
        if live.is_empty() {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "processes of the run are still alive: {live:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `q`: forkscope exits 0, and the run's processes (taken just before) and
/// its segment are gone.
fn quit_clean(t: &Terminal, conductor: i32) {
    let pids = run_pids(conductor);
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// Nothing of the run of `conductor` is left.
fn assert_clean(conductor: i32, pids: &[i32]) {
    assert_left_nothing(conductor, pids, Duration::from_secs(5));
    assert_no_process_of(conductor);
}

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn step_block_terminate_join_quit() {
    let _share = crate::common::share();
    let t = Terminal::start("main", "run ticket-race --paused --param lock=true --param buyers=3 --speed 4", &[], 120, 40);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();

    // Step until a buyer waits on the lock.
    let mut blocked_row = None;
    for n in 1..=80 {
        t.keys(&["n"]);
        let s = t.wait_for(&format!("step {n} to finish"), WAIT, |s| s.contains(&format!("step {n} done")));
        if let Some(i) = lane_rows(&s).iter().position(|r| r.contains("blocked") && r.contains("lock (")) {
            blocked_row = Some(i);
            break;
        }
    }
    let row = blocked_row.expect("no buyer blocked on the lock within 80 steps");
    let s = t.screen();
    assert!(s.contains("lock Lock  held by Process-"), "the resource shows its holder:\n{s}");
    let pids = run_pids(conductor);
    assert!(pids.len() >= 4, "main, buyers and the guard are real processes: {pids:?}");

    // Select the blocked buyer and terminate it.
    for _ in 0..row {
        t.keys(&["Down"]);
    }
    let s = t.wait_for("the selection to move", WAIT, |s| lane_rows(s).get(row).is_some_and(|r| r.starts_with('>')));
    let victim = row_name(&lane_rows(&s)[row]).to_string();
    // The selection just moved: the first t names its target, the second sends.
    t.keys(&["t"]);
    t.wait_for("t to name its target", WAIT, |s| footer(s).contains(&format!("SIGTERM to {victim}? The selection just changed: t again")));
    assert!(lane_rows(&t.screen()).iter().any(|r| row_name(r) == victim && r.contains("blocked")), "nothing sent yet");
    t.keys(&["t"]);
    t.wait_for("the buyer to die by SIGTERM", WAIT, |s| lane_rows(s).iter().any(|r| row_name(r) == victim && r.contains("killed by SIGTERM")));

    // The language changes live.
    t.keys(&["L"]);
    t.wait_for("the Chinese header", WAIT, |s| s.contains("已暂停"));
    t.keys(&["L"]);
    t.wait_for("the English header", WAIT, |s| s.contains("PAUSED"));

    // Join the lock holder: the run goes on until it exits, then pauses.
    let s = t.screen();
    let holder = s.lines().find_map(|l| l.split("held by ").nth(1)).and_then(|r| r.split_whitespace().next()).expect("a holder").to_string();
    let rows = lane_rows(&s);
    let hrow = rows.iter().position(|r| row_name(r) == holder).unwrap();
    assert_ne!(hrow, row, "the holder is not the terminated buyer");
    for _ in 0..row {
        t.keys(&["Up"]);
    }
    for _ in 0..hrow {
        t.keys(&["Down"]);
    }
    t.wait_for("the holder selected", WAIT, |s| lane_rows(s).get(hrow).is_some_and(|r| r.starts_with('>')));
    t.keys(&["j"]);
    let s = t.wait_for("the join to end", WAIT, |s| s.contains(&format!("{holder} exited with code 0")));
    assert!(s.contains("PAUSED"), "paused after the join:\n{s}");
    assert!(lane_rows(&s).iter().any(|r| row_name(r) == holder && r.contains("exited 0")), "{s}");

    // Quit: every process ends, the terminal comes back.
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert!(!t.alternate_screen(), "the terminal left the alternate screen");
    assert_clean(conductor, &pids);
}

/// The selected process stays selected across `r`: until the new run has
/// it, the pane says it is missing (and keys act on nobody, not on
/// MainProcess); once it starts again the selection is on it, and `t`
/// terminates it, not the process that took its old row or lane.
#[test]
fn the_selection_stays_on_its_process_across_a_restart() {
    let _share = crate::common::share();
    let t = Terminal::start("ident", "run ticket-race --paused --param buyers=3", &[], 120, 36);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    let step_until_process_2 = |from: usize| {
        for n in from.. {
            assert!(n < from + 40, "Process-2 did not start within 40 steps:\n{}", t.screen());
            t.keys(&["n"]);
            let s = t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")));
            if let Some(i) = lane_rows(&s).iter().position(|r| row_name(r) == "Process-2" && !r.contains("not in this run")) {
                return i;
            }
        }
        unreachable!()
    };
    let row = step_until_process_2(1);
    for _ in 0..row {
        t.keys(&["Down"]);
    }
    t.wait_for("Process-2 selected", WAIT, |s| lane_rows(s).get(row).is_some_and(|r| r.starts_with('>') && row_name(r) == "Process-2"));
    t.keys(&["r"]);
    let s = t.wait_for("the restart", WAIT, |s| footer(s).contains("restarted") && header(s).contains("step 0"));
    let rows = lane_rows(&s);
    assert!(rows.iter().any(|r| r.starts_with(">Process-2") && r.contains("not in this run yet")), "{s}");
    assert!(!rows.iter().any(|r| r.starts_with('>') && row_name(r) == "MainProcess"), "the cursor is not on MainProcess:\n{s}");
    t.keys(&["t"]);
    t.wait_for("the key to act on nobody", WAIT, |s| footer(s).contains("Process-2 is not in this run (yet): nothing done"));
    let row = step_until_process_2(1);
    t.wait_for("Process-2 selected again", WAIT, |s| lane_rows(s).get(row).is_some_and(|r| r.starts_with('>') && row_name(r) == "Process-2"));
    let pids = run_pids(conductor);
    // Its row appeared just now, so the first t may only name it.
    t.keys(&["t"]);
    let s2 = t.wait_for("t to act or to ask", WAIT, |s| footer(s).contains("SIGTERM to Process-2? ") || footer(s).contains("sent SIGTERM to Process-2"));
    if footer(&s2).contains("SIGTERM to Process-2? ") {
        t.keys(&["t"]);
    }
    let s = t.wait_for("Process-2 terminated", WAIT, |s| lane_rows(s).iter().any(|r| row_name(r) == "Process-2" && r.contains("killed by SIGTERM")));
    assert!(lane_rows(&s).iter().filter(|r| r.contains("killed")).count() == 1, "only Process-2:\n{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// At 80×24 the ticket race's 11 live processes do not fit the lanes pane:
/// its border says how many are hidden and where, and the resource lines
/// shorten names instead of cutting them at the edge.
#[test]
fn at_80x24_hidden_processes_are_counted_and_names_are_shortened() {
    let _share = crate::common::share();
    let t = Terminal::start("hidden", "run ticket-race --paused --param buyers=10", &[], 80, 24);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    // Stepping main alone starts the buyers one by one.
    let mut s = String::new();
    for n in 1..=40 {
        t.keys(&["s"]);
        s = t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")));
        if s.contains("11 total, 11 live") {
            break;
        }
    }
    assert!(s.contains("11 total, 11 live"), "the buyers did not all start:\n{s}");
    assert_eq!(lane_rows(&s).len(), 9, "{s}");
    let border = s.lines().find(|l| l.starts_with("└ ") || l.starts_with("└─")).unwrap_or("");
    assert!(border.contains("↓ 2 more live"), "the lanes border counts the hidden rows:\n{s}");
    quit_clean(&t, conductor);
}

#[test]
fn sigterm_restores_the_terminal_and_ends_the_run() {
    let _share = crate::common::share();
    let t = Terminal::start("term", "run ticket-race --param buyers=3 --paused", &[], 100, 30);
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED"));
    let conductor = t.conductor();
    t.keys(&["n"]);
    t.wait_for("a step", WAIT, |s| s.contains("step 1 done"));
    let pids = run_pids(conductor);
    assert!(!pids.is_empty());
    assert!(t.alternate_screen());
    // SAFETY: plain syscall.
    unsafe { libc::kill(conductor, libc::SIGTERM) };
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 143"));
    assert!(!t.alternate_screen(), "the terminal left the alternate screen");
    assert_clean(conductor, &pids);
}

#[test]
fn ctrl_c_quits_cleanly() {
    let _share = crate::common::share();
    let t = Terminal::start("ctrlc", "run ticket-race --param buyers=2 --paused", &[], 100, 30);
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED"));
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    t.keys(&["C-c"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert!(!t.alternate_screen());
    assert_clean(conductor, &pids);
}

#[test]
fn ctrl_z_gives_the_shell_its_terminal_and_fg_redraws() {
    let _share = crate::common::share();
    let t = Terminal::shell("tstp", 100, 30);
    t.wait_for("the shell's prompt", WAIT, |s| s.contains("ready$"));
    t.type_line(&format!("{} run ticket-race --param buyers=2 --paused", bin()));
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    assert!(t.alternate_screen());

    t.keys(&["C-z"]);
    t.wait_for("the shell to say the job stopped", WAIT, |s| s.contains("Stopped") && s.trim_end().ends_with("ready$"));
    assert!(!t.alternate_screen(), "the terminal left the alternate screen");
    let state = std::fs::read_to_string(format!("/proc/{conductor}/stat")).unwrap();
    assert_eq!(state.rsplit(')').next().and_then(|r| r.split_whitespace().next()), Some("T"), "the dashboard is stopped: {state}");
    // The terminal is the shell's again, in its normal mode: the terminal
    // echoes what is typed to `cat`, and enter ends the line.
    t.type_line("cat");
    t.wait_for_foreground("cat", WAIT);
    t.keys(&["-l", "typed-text"]);
    t.wait_for("the typed text echoed", WAIT, |s| s.lines().filter(|l| l.trim() == "typed-text").count() == 1);
    t.keys(&["Enter"]);
    t.wait_for("cat to print the line", WAIT, |s| s.lines().filter(|l| l.trim() == "typed-text").count() == 2);
    t.keys(&["C-d"]);
    t.wait_for("the prompt after cat", WAIT, |s| s.trim_end().ends_with("ready$"));

    // `fg`: the whole dashboard comes back (the alternate screen returns
    // empty, so only a full redraw shows it) and it still works.
    t.type_line("fg");
    t.wait_for("the dashboard redrawn", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess") && !lane_rows(s).is_empty());
    assert!(t.alternate_screen());
    t.keys(&["n"]);
    t.wait_for("a step", WAIT, |s| s.contains("step 1 done"));
    // And a second Ctrl-Z works as the first did.
    t.keys(&["C-z"]);
    t.wait_for("the second stop", WAIT, |s| s.matches("Stopped").count() == 2 && s.trim_end().ends_with("ready$"));
    t.type_line("fg");
    t.wait_for("the dashboard again", WAIT, |s| s.contains("step 1 done") && !lane_rows(s).is_empty());

    t.keys(&["q"]);
    t.wait_for("the prompt after quitting", WAIT, |s| !s.contains("PAUSED") && s.trim_end().ends_with("ready$"));
    t.type_line("echo \"forkscope exited $?\"");
    t.wait_for("the exit status", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

#[test]
fn after_a_sigstop_fg_takes_the_terminal_again_and_redraws() {
    let _share = crate::common::share();
    let t = Terminal::shell("stop", 100, 30);
    t.wait_for("the shell's prompt", WAIT, |s| s.contains("ready$"));
    t.type_line(&format!("{} run ticket-race --param buyers=2 --paused", bin()));
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    // SIGSTOP cannot be caught: the shell takes the terminal as the
    // dashboard left it and writes over the dashboard.
    // SAFETY: plain syscall on the pane's forkscope.
    unsafe { libc::kill(conductor, libc::SIGSTOP) };
    t.wait_for("the shell to say the job stopped", WAIT, |s| s.contains("Stopped") && s.trim_end().ends_with("ready$"));
    t.type_line("fg");
    // The SIGCONT: every cell drawn again (the shell's lines gone) and keys
    // arrive one by one again.
    t.wait_for("the dashboard redrawn", WAIT, |s| s.contains("PAUSED") && !s.contains("Stopped") && !s.contains("ready$") && !lane_rows(s).is_empty());
    t.keys(&["n"]);
    t.wait_for("a step", WAIT, |s| s.contains("step 1 done"));
    t.keys(&["q"]);
    t.wait_for("the prompt after quitting", WAIT, |s| !s.contains("PAUSED") && s.trim_end().ends_with("ready$"));
    assert!(!t.alternate_screen());
    assert_clean(conductor, &pids);
}

#[test]
fn a_panic_restores_the_terminal_and_ends_the_run() {
    let _share = crate::common::share();
    let t = Terminal::start("panic", "run ticket-race --param buyers=2 --paused", &[("FORKSCOPE_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")], 100, 30);
    let s = t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 101"));
    assert!(s.contains("deliberate panic"), "the panic message is readable on the normal screen:\n{s}");
    assert!(!t.alternate_screen());
    let conductor: i32 = s.lines().find_map(|l| l.strip_prefix("conductor ")).and_then(|p| p.trim().parse().ok()).expect("the conductor's pid");
    // The run's processes and its segment went with the unwinding.
    assert_clean(conductor, &[]);
}

#[test]
fn picker_opens_without_arguments_and_starts_a_lesson() {
    let _share = crate::common::share();
    let t = Terminal::start("picker", "", &[], 100, 30);
    t.wait_for("the picker", WAIT, |s| s.contains("Choose a lesson") && s.contains("ticket-race"));
    // The first lesson opens paused: its "start paused" option says so.
    t.wait_for("start paused = true", WAIT, |s| s.contains("start paused = ‹true›") || s.contains("start paused = ‹true ›"));
    t.keys(&["Enter"]);
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    // Esc goes back to the picker and ends the run.
    t.keys(&["Escape"]);
    t.wait_for("the picker again", WAIT, |s| s.contains("Choose a lesson"));
    assert_clean(conductor, &pids);
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
}

#[test]
fn too_small_then_resized() {
    let _share = crate::common::share();
    let t = Terminal::start("small", "run ticket-race --param buyers=2 --paused", &[], 60, 20);
    t.wait_for("the too-small message", WAIT, |s| s.contains("too small (60×20)"));
    let conductor = t.conductor();
    t.resize(90, 30);
    t.wait_for("the dashboard after the resize", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    quit_clean(&t, conductor);
}

#[test]
fn without_a_terminal_it_says_use_headless() {
    let _share = crate::common::share();
    let out = common::run(&["run", "ticket-race"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("use --headless"), "{}", out.stderr);
    let out = common::run(&[]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("--headless"), "{}", out.stderr);
}

/// The highest `line N` the lesson `stream.rhai` printed that is on the screen.
fn last_streamed_line(screen: &str) -> Option<u64> {
    screen.split("line ").skip(1).filter_map(|r| r.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).max()
}

/// A run streaming prints: the dashboard keeps showing new lines while it
/// runs; paused (space), the screen stands still; resumed, new lines come
/// again; `q` ends it all. (How often it redraws and the CPU it uses while
/// paused are figures of `cargo bench --bench render`, not asserted here.)
#[test]
fn a_streaming_run_moves_on_screen_stands_still_paused_and_moves_again() {
    let _share = crate::common::share();
    let lesson = common::lesson_fixture("stream.rhai");
    let t = Terminal::start("stream", &format!("run {lesson} --run"), &[], 120, 40);
    let s = t.wait_for("the running dashboard showing prints", WAIT, |s| header(s).contains("RUNNING") && last_streamed_line(s).is_some());
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    let first = last_streamed_line(&s).unwrap();
    t.wait_for(&format!("a line after line {first} while running"), WAIT, |s| last_streamed_line(s).is_some_and(|n| n > first));
    t.keys(&["Space"]);
    t.wait_for("the pause", WAIT, |s| header(s).contains("PAUSED"));
    // Paused, nothing moves: two looks 500 ms apart show the same lines
    // (a run still streaming onto the screen never gives two such looks).
    let t0 = Instant::now();
    let still = loop {
        let a = t.screen();
        std::thread::sleep(Duration::from_millis(500));
        let b = t.screen();
        if header(&b).contains("PAUSED") && last_streamed_line(&a) == last_streamed_line(&b) && log_pane(&a) == log_pane(&b) {
            break last_streamed_line(&b).unwrap();
        }
        assert!(t0.elapsed() < WAIT, "paused, the screen still moves:\n{a}\n---\n{b}");
    };
    t.keys(&["Space"]);
    t.wait_for(&format!("a line after line {still} once resumed"), WAIT, |s| header(s).contains("RUNNING") && last_streamed_line(s).is_some_and(|n| n > still));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

#[test]
fn every_other_control_acts_on_the_real_run() {
    let _share = crate::common::share();
    let t = Terminal::start("keys", "run ticket-race --paused --param buyers=2", &[], 120, 40);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    let first_pid = lane_rows(&t.screen())[0].split_whitespace().find(|w| w.chars().all(|c| c.is_ascii_digit())).unwrap().to_string();

    t.keys(&["l"]);
    t.wait_for("statement steps", WAIT, |s| s.contains("statement steps"));
    t.keys(&["l"]);
    t.wait_for("op steps", WAIT, |s| s.contains("op steps"));
    t.keys(&["+"]);
    t.wait_for("speed ×2", WAIT, |s| s.contains("speed ×2"));
    t.keys(&["-", "-"]);
    t.wait_for("speed ×0.5", WAIT, |s| s.contains("speed ×0.5"));

    // s steps the selected process (main): its line moves on.
    t.keys(&["s"]);
    t.wait_for("the step", WAIT, |s| s.contains("step 1 done") && s.contains("line 53"));

    // Help and details open over the panes and close with esc.
    t.keys(&["?"]);
    t.wait_for("the help", WAIT, |s| s.contains("Keys — esc closes") && s.contains("join the selected process"));
    t.keys(&["Escape"]);
    t.wait_for("the help to close", WAIT, |s| !s.contains("Keys — esc closes"));
    t.keys(&["Enter"]);
    t.wait_for("the details", WAIT, |s| s.contains("process MainProcess (lane 1)") && s.contains("pid / ppid"));
    t.keys(&["Escape"]);
    t.wait_for("the details to close", WAIT, |s| !s.contains("pid / ppid"));
    t.keys(&["Tab"]);
    t.wait_for("the focus on resources", WAIT, |s| s.contains("[Resources & files]"));
    t.keys(&["BTab"]);
    t.wait_for("the focus back on processes", WAIT, |s| s.contains("[Processes"));

    // z freezes main (SIGSTOP): it cannot be stepped; z thaws it.
    t.keys(&["z"]);
    t.wait_for("main stopped", WAIT, |s| lane_rows(s)[0].contains("stopped"));
    let stat = std::fs::read_to_string(format!("/proc/{first_pid}/stat")).unwrap();
    assert_eq!(stat.rsplit(')').next().unwrap().split_whitespace().next(), Some("T"), "really stopped: {stat}");
    t.keys(&["s"]);
    t.wait_for("the refusal", WAIT, |s| s.contains("it is frozen"));
    // j on a frozen process would wait for ever: it says so instead.
    t.keys(&["j"]);
    let s = t.wait_for("the join refused", WAIT, |s| footer(s).contains("MainProcess is frozen (SIGSTOP): it cannot end"));
    assert!(header(&s).contains("PAUSED"), "no join under way:\n{s}");
    t.keys(&["?"]);
    t.wait_for("the legend names stopped", WAIT, |s| s.contains("‖ stopped (z)"));
    // Escape alone, then z: written together they read as Alt-z.
    t.keys(&["Escape"]);
    t.wait_for("the help to close", WAIT, |s| !s.contains("Keys — esc closes"));
    t.keys(&["z"]);
    t.wait_for("main thawed", WAIT, |s| s.contains("thawed") && lane_rows(s)[0].contains("ready"));

    // r restarts: a new main process, the same seed, paused again.
    t.keys(&["r"]);
    let s = t.wait_for("the restart", WAIT, |s| s.contains("restarted (seed 0)") && s.contains("PAUSED") && !lane_rows(s).is_empty() && !lane_rows(s)[0].contains(&first_pid));
    let pids = run_pids(conductor);
    assert!(!lane_rows(&s)[0].contains(&first_pid));
    assert!(!std::path::Path::new(&format!("/proc/{first_pid}")).exists() || std::fs::read_to_string(format!("/proc/{first_pid}/stat")).is_ok_and(|s| s.contains(") Z")), "the first run's main is gone");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

#[test]
fn closing_the_terminal_ends_the_run() {
    let _share = crate::common::share();
    let t = Terminal::start("hangup", "run ticket-race --param buyers=3 --paused", &[], 100, 30);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED"));
    let conductor = t.conductor();
    t.keys(&["n"]);
    t.wait_for("a step", WAIT, |s| s.contains("step 1 done"));
    let mut pids = run_pids(conductor);
    assert!(!pids.is_empty());
    pids.push(conductor);
    // The window goes away: the terminal hangs up under the dashboard.
    let t0 = Instant::now();
    t.hang_up();
    assert_left_nothing(conductor, &pids, Duration::from_secs(8));
    assert_no_process_of(conductor);
    eprintln!("everything was gone {:?} after the hang-up", t0.elapsed());
}

/// The header's step counter, e.g. `step 6` or `replay 2/6`.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn rewind_screenshot_record_cast_then_replay_in_the_dashboard() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-rewind-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (rec, cast) = (dir.join("r.fsrec"), dir.join("r.cast"));
    let args = format!("run ticket-race --paused --param lock=false --param buyers=3 --record {} --cast {}", rec.display(), cast.display());
    let t = Terminal::start_in("rewind", &args, &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && header(s).contains("step 0"));
    let conductor = t.conductor();
    let mut screens = vec![t.screen()];
    for n in 1..=6 {
        t.keys(&["n"]);
        screens.push(t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")) && header(s).contains(&format!("step {n} "))));
    }
    let pids = run_pids(conductor);

    // b: back to step 5, by running the lesson again; the lanes read as they did at step 5.
    t.keys(&["b"]);
    let s = t.wait_for("the rewind", WAIT, |s| s.contains("back at step 5") && header(s).contains("step 5 "));
    let states = |s: &str| lane_rows(s).iter().map(|r| r.split_whitespace().filter(|w| !w.chars().all(|c| c.is_ascii_digit() || "░▓█▒".contains(c))).take(4).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>();
    assert_eq!(states(&s), states(&screens[5]), "after b the processes are as they were at step 5:\n{s}\nthen:\n{}", screens[5]);
    t.keys(&["n"]);
    t.wait_for("step 6 again", WAIT, |s| s.contains("step 6 done") && header(s).contains("step 6 "));

    // p: the frame as SVG and PNG in the current folder.
    t.keys(&["p"]);
    t.wait_for("the screenshot", WAIT, |s| s.contains("screenshot saved"));
    let svg = std::fs::read_to_string(dir.join("forkscope-ticket-race-step6.svg")).expect("the SVG is written");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let text: String = doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap()).collect();
    assert!(text.contains("PAUSED") && text.contains("MainProcess"), "the SVG holds the frame's text");
    let png = std::fs::read(dir.join("forkscope-ticket-race-step6.png")).expect("the PNG is written");
    let info = png::Decoder::new(std::io::Cursor::new(png)).read_info().expect("the PNG decodes").info().clone();
    assert!(info.width > 120 * 8 && info.height > 36 * 16, "a 120x36 frame at scale 2: {}x{}", info.width, info.height);

    t.keys(&["q"]);
    let s = t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert!(s.contains("recorded to") && s.contains("(6 steps)"), "{s}");
    assert_clean(conductor, &pids);

    // The cast: asciicast v2 with a marker at each step (the rewind's too).
    let c = std::fs::read_to_string(&cast).expect("the cast is written");
    let mut lines = c.lines();
    let head: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!((head["version"].as_i64(), head["width"].as_i64(), head["height"].as_i64()), (Some(2), Some(120), Some(36)));
    let events: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    let markers: Vec<&str> = events.iter().filter(|e| e[1] == "m").map(|e| e[2].as_str().unwrap()).collect();
    assert!(["step 1", "step 6", "step 5"].iter().all(|m| markers.contains(m)), "markers: {markers:?}");
    assert!(events.windows(2).all(|w| w[0][0].as_f64() <= w[1][0].as_f64()), "times never go back");

    // The recording opens in the dashboard: n follows it, space plays the rest.
    let t = Terminal::start_in("replay", &format!("replay {}", rec.display()), &[], 120, 36, &dir);
    t.wait_for("the replay", WAIT, |s| header(s).contains("replay 0/6"));
    let conductor = t.conductor();
    t.keys(&["n"]);
    t.wait_for("one recorded step", WAIT, |s| header(s).contains("replay 1/6"));
    t.keys(&["Space"]);
    let s = t.wait_for("the recording to play out", WAIT, |s| s.contains("the recording is over") && header(s).contains("step 6 "));
    // While it plays, the selection follows the process that stepped last: the states compare without it.
    let unselected = |s: &str| states(&s.replace("│>", "│ "));
    assert_eq!(unselected(&s), unselected(&screens[6]), "the replay reaches the recorded state:\n{s}\nrecorded:\n{}", screens[6]);
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh folder with the Python program `name` in it (python3 must be on
/// PATH: these tests run Python programs in the dashboard).
fn python_program(tag: &str, name: &str, source: &str) -> std::path::PathBuf {
    let ok = Command::new("python3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(ok, "python3 is not on PATH: this test runs a Python program in the dashboard");
    let dir = std::env::temp_dir().join(format!("fs-ui-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), source).unwrap();
    dir
}

/// A Python program in the dashboard: the Source pane shows the Python file
/// with every process's line; `n` and `s` step (by op, then by Python line
/// after `l`); `b` returns to the state first seen; `p` writes a figure of
/// the Python source. python3 must be on PATH.
#[test]
fn a_python_program_steps_rewinds_and_makes_a_figure() {
    let _share = crate::common::share();
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/programs/ticket_race.py")).unwrap();
    let dir = python_program("python", "race.py", &src);
    let t = Terminal::start_in("python", "run race.py --paused", &[], 120, 40, &dir);
    // CPython takes a moment to start: main is ready at its first op.
    let s = t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && header(s).contains("step 0") && lane_rows(s).iter().any(|r| r.contains("ready")));
    let conductor = t.conductor();
    assert!(s.contains("Source · MainProcess at line 40") && s.contains("def ticket(person, lock):") && s.contains("if __name__ == '__main__':"), "the Source pane shows the Python program:\n{s}");
    let mut screens = vec![s];
    for n in 1..=8 {
        t.keys(&["n"]);
        screens.push(t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")) && header(s).contains(&format!("step {n} "))));
    }
    let s = &screens[8];
    let rows = lane_rows(s);
    assert!(rows.len() >= 3 && rows.iter().any(|r| row_name(r) == "Process-1"), "the buyers have lanes:\n{s}");
    assert!(rows.iter().all(|r| r.contains("line ")), "every process shows its Python line:\n{s}");
    let pids = run_pids(conductor);

    // s steps the selected process (main).
    t.keys(&["s"]);
    t.wait_for("step 9", WAIT, |s| s.contains("step 9 done") && header(s).contains("step 9 "));

    // b: back to step 8, by running the program again.
    t.keys(&["b"]);
    let s = t.wait_for("the rewind", WAIT, |s| s.contains("back at step 8") && header(s).contains("step 8 "));
    let states = |s: &str| lane_rows(s).iter().map(|r| r.split_whitespace().filter(|w| !w.chars().all(|c| c.is_ascii_digit() || "░▓█▒·".contains(c))).take(4).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>();
    assert_eq!(states(&s), states(&screens[8]), "after b the processes are as they were at step 8:\n{s}\nthen:\n{}", screens[8]);
    // The new run's main came from a ready interpreter, which the dashboard
    // keeps for its next restart and ends when it quits.
    let zygotes = zygotes_of(conductor);
    assert_eq!(zygotes.len(), 1, "one ready interpreter (python … --zygote) serves the dashboard's runs");
    let pids: Vec<i32> = pids.into_iter().chain(zygotes).collect();

    // l: step by statement, one Python line at a time.
    t.keys(&["l"]);
    t.wait_for("statement steps", WAIT, |s| header(s).contains("statement"));
    t.keys(&["n"]);
    t.wait_for("a statement step", WAIT, |s| s.contains("step 9 done"));

    // p: the frame as SVG and PNG, with the Python source in it.
    t.keys(&["p"]);
    t.wait_for("the screenshot", WAIT, |s| s.contains("screenshot saved"));
    let svg = std::fs::read_to_string(dir.join("forkscope-race-step9.svg")).expect("the SVG is written");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let text: String = doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap()).collect();
    assert!(text.contains("def ticket(person, lock):") || text.contains("__main__"), "the figure shows Python source");
    assert!(dir.join("forkscope-race-step9.png").is_file());

    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The footer line of the dashboard (the last line of the screen).
fn footer(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

/// The footer follows the run: `space run` while paused; once every process
/// has ended, no "running" and no keys for live processes, `r restart`
/// instead. `esc` in `forkscope run LESSON` opens the lesson picker (on
/// this lesson), ending the run, as help says.
#[test]
fn the_footer_follows_the_run_and_esc_opens_the_picker() {
    let _share = crate::common::share();
    let t = Terminal::start("footer", "run join --paused", &[], 80, 24);
    let s = t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["Tab"]);
    let s2 = t.wait_for("the key hints", WAIT, |s| footer(s).contains("space run"));
    assert!(!footer(&s2).contains("pause"), "paused, the footer offers to run, not to pause:\n{s}");
    t.keys(&["Space"]);
    let s = t.wait_for("the end", WAIT, |s| header(s).contains("ENDED"));
    let s = if footer(&s).contains("running") { t.wait_for("the footer to follow", Duration::from_secs(2), |s| !footer(s).contains("running")) } else { s };
    assert!(footer(&s).contains("every process has ended"), "{s}");
    t.keys(&["Tab"]);
    // The hints, not the message the end left (it names `r` too).
    let s = t.wait_for("the key hints after the end", WAIT, |s| footer(s).contains("r restart") && !footer(s).contains("every process has ended"));
    for gone in [" pause", " step", " kill", " join"] {
        assert!(!footer(&s).contains(gone), "{gone} offered after the end:\n{s}");
    }
    let pids = run_pids(conductor);
    t.keys(&["Escape"]);
    let s = t.wait_for("the picker", WAIT, |s| s.contains("Choose a lesson"));
    assert!(s.contains("┌join · enter starts it"), "the picker is on the lesson that ran:\n{s}");
    assert_clean(conductor, &pids);
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
}

/// `b` after a free run: the steps now count every op of the free run, so
/// the counter grows; the footer says so and where `b` landed.
#[test]
fn back_after_a_free_run_says_where_it_lands() {
    let _share = crate::common::share();
    let t = Terminal::start("backfree", "run ticket-race --paused --param lock=false --param buyers=4", &[], 120, 36);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && header(s).contains("step 0"));
    let conductor = t.conductor();
    t.keys(&["n"]);
    t.wait_for("step 1", WAIT, |s| s.contains("step 1 done"));
    t.keys(&["Space"]);
    let s = t.wait_for("the free run to end", WAIT, |s| header(s).contains("ENDED"));
    assert!(header(&s).contains("step 1 + free"), "{}", header(&s));
    let pids = run_pids(conductor);
    t.keys(&["b"]);
    let s = t.wait_for("the rewind", WAIT, |s| footer(s).contains("back to step"));
    let f = footer(&s);
    assert!(f.contains("the free run's ops count as steps now"), "{f}");
    let num = |after: &str| f.split(after).nth(1).and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|n| n.parse::<u64>().ok()).unwrap_or_else(|| panic!("no number after {after:?}: {f}"));
    let (n, total) = (num("back to step "), num(" of "));
    assert_eq!(n + 1, total, "{f}");
    assert!(header(&s).contains(&format!("step {n} ")), "the header agrees: {}", header(&s));
    // The free run's ops replayed as steps win no goal (goals are for stepping).
    assert!(!s.contains("GOAL REACHED"), "{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// `j` on a process that can never end (the run deadlocks) stops and says
/// so instead of waiting for ever; pressed again, it says so at once.
#[test]
fn join_says_when_a_process_cannot_end() {
    let _share = crate::common::share();
    let t = Terminal::start("joindead", "run deadlock --paused --param think=0.2", &[], 120, 36);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["j"]);
    let s = t.wait_for("the join to give up", WAIT, |s| footer(s).contains("cannot end"));
    assert!(footer(&s).contains("MainProcess cannot end: it waits on a deadlock; join stopped (k kills it)"), "{s}");
    assert!(header(&s).contains("PAUSED") && s.contains("DEADLOCK"), "{s}");
    let pids = run_pids(conductor);
    // One of the deadlocked pair: at once, and the run stays paused.
    let rows = lane_rows(&s);
    let row = rows.iter().position(|r| r.contains("blocked") && !r.contains("MainProcess")).expect("a deadlocked process");
    for _ in 0..row {
        t.keys(&["Down"]);
    }
    t.wait_for("the selection", WAIT, |s| lane_rows(s).get(row).is_some_and(|r| r.starts_with('>')));
    t.keys(&["j"]);
    let s = t.wait_for("the refusal", WAIT, |s| footer(s).contains("it is in a deadlock"));
    assert!(header(&s).contains("PAUSED"), "{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// The timeline cells of every lanes row (the row's last `n` columns).
fn timelines(screen: &str, n: usize) -> Vec<String> {
    lane_rows(screen).iter().map(|r| {
        let chars: Vec<char> = r.trim_end_matches('│').chars().collect();
        chars[chars.len().saturating_sub(n)..].iter().collect()
    }).collect()
}

/// Time stands still while the teacher talks: paused, the timeline moves one
/// column per step, so a step after 5 s paused keeps the columns stepped
/// before it (shifted by one), instead of 5 s of "ready".
#[test]
fn a_step_after_a_long_pause_keeps_the_stepped_columns() {
    let _share = crate::common::share();
    let t = Terminal::start("still", "run ticket-race --paused --param buyers=2", &[], 120, 36);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && header(s).contains("step 0"));
    let conductor = t.conductor();
    for n in 1..=6 {
        t.keys(&["n"]);
        t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")) && header(s).contains(&format!("step {n} ")));
    }
    let before = t.screen();
    let pids = run_pids(conductor);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(timelines(&t.screen(), 12), timelines(&before, 12), "paused, the timeline stands still");
    t.keys(&["n"]);
    let after = t.wait_for("step 7", WAIT, |s| s.contains("step 7 done") && header(s).contains("step 7 "));
    let (b, a) = (timelines(&before, 12), timelines(&after, 12));
    assert!(b.iter().any(|r| r.trim().chars().collect::<std::collections::BTreeSet<_>>().len() > 1), "the steps drew something: {b:?}");
    for (rb, ra) in b.iter().zip(&a) {
        let (rb, ra): (Vec<char>, Vec<char>) = (rb.chars().collect(), ra.chars().collect());
        assert_eq!(ra[..11], rb[1..], "one column per step: the earlier columns move left by one\nbefore:\n{before}\nafter:\n{after}");
    }
    assert!(header(&after).contains("00:00"), "the header's time stands still too: {}", header(&after));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// At 80×24 a stall after the kill of a lock's holder says the kill is the
/// cause and sums up the waiters, without cutting a word.
#[test]
fn a_stall_banner_at_80x24_keeps_the_kill_as_its_cause() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-stall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = "fn holder(l) {\n    l.acquire();\n    sleep(30.0);\n}\nfn waiter(l) {\n    l.acquire();\n}\nfn main() {\n    let l = Lock();\n    let h = Process(\"holder\", [l]);\n    h.start();\n    sleep(0.2);\n    for i in 0..6 {\n        Process(\"waiter\", [l]).start();\n    }\n    sleep(0.2);\n    h.kill();\n    h.join();\n    l.acquire();\n}\n";
    std::fs::write(dir.join("stall.rhai"), script).unwrap();
    let t = Terminal::start_in("stall", "run stall.rhai --run", &[], 80, 24, &dir);
    let s = t.wait_for("the stall banner", WAIT, |s| s.contains("STALLED"));
    let conductor = t.conductor();
    let banner: String = s.lines().skip(1).take_while(|l| !l.starts_with('┌')).map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(banner.starts_with("STALLED: Process-1 was killed while holding Lock-1, so it is never released"), "{s}");
    assert!(banner.contains("processes in acquire on Lock-1, held by Process-1 (killed)"), "{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Python program waiting in `input()`: its lane says so, `i` types a
/// line for it (enter sends), ctrl-d ends its input (EOFError), as CPython's
/// input() reads a terminal. python3 must be on PATH.
#[test]
fn typing_a_line_for_a_python_input() {
    let _share = crate::common::share();
    let dir = python_program("input", "ask.py", "name = input('name? ')\nprint('hello', name)\ntry:\n    input('more? ')\nexcept EOFError as e:\n    print('EOFError:', e)\n");
    let t = Terminal::start_in("input", "run ask.py --run", &[], 110, 30, &dir);
    t.wait_for("main waiting for input", WAIT, |s| lane_rows(s).iter().any(|r| r.contains("input: i to type")));
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    t.keys(&["i"]);
    t.keys(&["a", "l", "i", "c", "e"]);
    t.wait_for("the line being typed", WAIT, |s| s.contains("input() of MainProcess") && s.contains("alice▏"));
    t.keys(&["Enter"]);
    t.wait_for("the line to arrive", WAIT, |s| s.contains("hello alice") && s.contains("more?"));
    t.keys(&["i"]);
    t.keys(&["C-d"]);
    let s = t.wait_for("the end of input", WAIT, |s| s.contains("EOFError: EOF when reading a line") && header(s).contains("ENDED"));
    assert!(!s.contains("stall") && !s.contains("STALL"), "waiting for input is no stall:\n{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The hot key the picker shows beside lesson `name` (the letter on the
/// title row above the name's row).
fn hot_key_of(screen: &str, name: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.split('│').nth(1).is_some_and(|c| c.split_whitespace().next() == Some(name))).unwrap_or_else(|| panic!("{name} is not in the list:\n{screen}"));
    let title = lines[at - 1].split('│').nth(1).unwrap();
    title.chars().nth(1).unwrap().to_string()
}

/// The picker opens on the Python lessons; a lesson's hot key selects the
/// Python ticket race, its options set a constant, and the run shows the
/// program's Python, with the value in use, as it steps. R shows the Rhai
/// lessons.
#[test]
fn the_picker_opens_on_python_lessons_and_runs_one_as_python() {
    let _share = crate::common::share();
    let t = Terminal::start("pypicker", "", &[], 120, 40);
    let s = t.wait_for("the picker", WAIT, |s| s.contains("Python lessons · R: Rhai") && s.contains("ticket-race.py"));
    let first = s.lines().find_map(|l| l.split('│').nth(1).map(str::trim).filter(|c| c.ends_with(".py") || c.contains(".py ·"))).unwrap_or_default().to_string();
    assert!(first.contains(".py"), "Python lessons first:\n{s}");
    t.keys(&["R"]);
    let s = t.wait_for("the Rhai lessons", WAIT, |s| s.contains("Rhai lessons · R: Python"));
    assert!(!s.contains("ticket-race.py") && s.contains("ticket-race"), "{s}");
    t.keys(&["R"]);
    let s = t.wait_for("the Python lessons again", WAIT, |s| s.contains("Python lessons · R: Rhai"));
    t.keys(&[&hot_key_of(&s, "ticket-race.py")]);
    t.wait_for("the ticket race selected", WAIT, |s| s.contains("ticket-race.py · enter starts it"));
    // tickets = 5, buyers = 2 (it starts paused as every lesson does).
    t.keys(&["Tab"]);
    let s = t.screen();
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(" = ‹")).collect();
    let row = |name: &str| rows.iter().position(|l| l.split('│').find(|c| c.contains(" = ‹")).is_some_and(|c| c.trim_start().starts_with(&format!("{name} ")))).unwrap_or_else(|| panic!("no option {name}:\n{s}"));
    let mut at = 0;
    for (name, keys) in [("tickets", &["BSpace", "5"][..]), ("buyers", &["BSpace", "BSpace", "2"][..])] {
        for _ in at..row(name) {
            t.keys(&["Down"]);
        }
        at = row(name);
        t.keys(keys);
    }
    t.wait_for("the options set", WAIT, |s| s.contains("‹5    ›") && s.contains("‹2    ›") && s.contains("‹true ›"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && lane_rows(s).iter().any(|r| r.contains("ready")));
    let conductor = t.conductor();
    assert!(s.contains("Source · MainProcess at line") && s.contains("if __name__ == '__main__':"), "the Source pane shows the Python program:\n{s}");
    // Up to the program's top: its constants, with the values in use.
    // The focused pane's title is in brackets: tab until it is the Source's,
    // each tab seen on screen before the next.
    let focused = |s: &str| s.split("┌[").nth(1).and_then(|r| r.split(']').next()).unwrap_or("").to_string();
    for _ in 0..4 {
        let before = focused(&t.screen());
        if before.starts_with("Source") {
            break;
        }
        t.keys(&["Tab"]);
        t.wait_for("the next pane", WAIT, |s| focused(s) != before);
    }
    t.keys(&["PageUp", "PageUp", "PageUp"]);
    let s = t.wait_for("the program's top", WAIT, |s| s.contains("from multiprocessing import"));
    assert!(s.contains("TICKETS = 5") && s.contains("BUYERS = 2"), "the constants as the run set them:\n{s}");
    for n in 1..=3 {
        t.keys(&["n"]);
        t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")));
    }
    let pids = run_pids(conductor);
    t.keys(&["Escape"]);
    let s = t.wait_for("the picker again", WAIT, |s| s.contains("Choose a lesson"));
    assert!(s.contains("ticket-race.py · enter starts it"), "back on the lesson that ran:\n{s}");
    assert_clean(conductor, &pids);
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
}

/// With no python3 on PATH (a PATH that holds nothing: forkscope needs
/// nothing from it for a Rhai lesson), the picker offers the Rhai lessons,
/// says why in its top line, and they run.
#[test]
fn without_python3_the_picker_offers_the_rhai_lessons_and_says_why() {
    let _share = crate::common::share();
    let empty = std::env::temp_dir().join(format!("fs-ui-nopath-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let t = Terminal::start("nopython", "", &[("PATH", empty.to_str().unwrap())], 100, 30);
    let s = t.wait_for("the picker", WAIT, |s| s.contains("Rhai lessons"));
    let _ = std::fs::remove_dir(&empty);
    assert!(s.lines().next().unwrap_or("").contains("Rhai lessons only: python3 was not found on PATH"), "{s}");
    assert!(!s.contains(".py"), "no Python lesson offered:\n{s}");
    t.keys(&["R"]);
    t.wait_for("the reason again", WAIT, |s| s.contains("python3 was not found on PATH: forkscope runs Python programs"));
    t.keys(&[&hot_key_of(&s, "join")]);
    t.wait_for("join selected", WAIT, |s| s.contains("join · enter starts it"));
    t.keys(&["Enter"]);
    t.wait_for("the Rhai lesson, paused on its first op", WAIT, |s| header(s).contains("PAUSED") && s.contains("MainProcess"));
    t.keys(&["Space"]);
    t.wait_for("the Rhai lesson running to its end", WAIT, |s| header(s).contains("ENDED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &[]);
}

/// `e` opens the lesson's explanation over the dashboard on the real binary:
/// story, what to look for and the challenge; `L` turns it Chinese; ↓
/// scrolls it; `e` closes it. A Python program's docstring is its story.
#[test]
fn the_lesson_explains_itself_on_screen() {
    let _share = crate::common::share();
    let t = Terminal::start("explain", "run deadlock --paused", &[], 80, 24);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["e"]);
    let s = t.wait_for("the explanation", WAIT, |s| s.contains("The lesson — e / esc closes"));
    assert!(s.contains("The story") && s.contains("To eat you need the noodles and the fork"), "{s}");
    assert!(s.contains("more · ↑↓ scroll"), "80×24 cannot hold it all: it says so\n{s}");
    for _ in 0..12 {
        t.keys(&["Down"]);
    }
    let s = t.wait_for("the end of the explanation", WAIT, |s| s.contains("This run: fix=false"));
    assert!(s.contains("Challenge") && s.contains("★ Step alex and egon into the deadlock"), "{s}");
    t.keys(&["L"]);
    // One frame, whole: a terminal can show a frame half drawn (the title already
    // Chinese, the last lines still English; seen in CI).
    t.wait_for("the explanation in Chinese, to its last line", WAIT, |s| s.contains("这一课 — e / esc 关闭") && s.contains("本次运行:fix=false"));
    t.keys(&["e"]);
    let s = t.wait_for("the explanation closed", WAIT, |s| !s.contains("这一课 —") && s.contains("进程"));
    assert!(header(&s).contains("已暂停"), "{s}");
    quit_clean(&t, conductor);

    let dir = python_program("explain", "race.py", "\"\"\"Two buyers race for the last ticket.\"\"\"\nimport multiprocessing as mp\n\ndef buy():\n    print('bought')\n\nif __name__ == '__main__':\n    p = mp.Process(target=buy)\n    p.start()\n    p.join()\n");
    let t = Terminal::start_in("explainpy", "run race.py --paused", &[], 100, 30, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["e"]);
    let s = t.wait_for("the explanation", WAIT, |s| s.contains("The lesson — e / esc closes"));
    assert!(s.contains("Two buyers race for the last ticket."), "{s}");
    let pids = run_pids(conductor);
    t.keys(&["Escape"]);
    t.wait_for("the explanation closed", WAIT, |s| !s.contains("The lesson —"));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A lesson opens paused on main's first op, the header saying how to go
/// on; `--run` opens it running, and so does a manifest's
/// `start = "running"`.
#[test]
fn a_lesson_opens_paused_unless_told_to_run() {
    let _share = crate::common::share();
    let t = Terminal::start("opens", "run ticket-race --param buyers=2", &[], 100, 30);
    let s = t.wait_for("the paused dashboard", WAIT, |s| header(s).contains("PAUSED") && s.contains("MainProcess"));
    assert!(header(&s).contains("step 0") && header(&s).contains("n: step, space: run"), "{s}");
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    t.keys(&["n"]);
    t.wait_for("step 1", WAIT, |s| s.contains("step 1 done"));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);

    let dir = std::env::temp_dir().join(format!("fs-ui-opens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("long.rhai"), "fn main() {\n    sleep(30.0);\n}\n").unwrap();
    for (args, manifest) in [("run long.rhai --run", None), ("run long.rhai", Some("start = \"running\"\n"))] {
        let _ = std::fs::remove_file(dir.join("long.toml"));
        if let Some(m) = manifest {
            std::fs::write(dir.join("long.toml"), m).unwrap();
        }
        let t = Terminal::start_in("opensrun", args, &[], 100, 30, &dir);
        let s = t.wait_for("the running dashboard", WAIT, |s| header(s).contains("RUNNING"));
        assert!(!header(&s).contains("n: step"), "{args}: {s}");
        let conductor = t.conductor();
        let pids = run_pids(conductor);
        t.keys(&["q"]);
        t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
        assert_clean(conductor, &pids);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The text of an SVG frame, row by row (its `<text>` elements by their
/// baseline), with pids masked (`#`) and runs of spaces made one: what is
/// left is what the frame says, whichever pids the run got.
fn svg_rows(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let mut rows: std::collections::BTreeMap<i64, String> = Default::default();
    for text in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let y: f64 = text.attribute("y").unwrap().parse().unwrap();
        let row = rows.entry((y * 10.0) as i64).or_default();
        for span in text.descendants().filter(|n| n.is_text()) {
            row.push_str(span.text().unwrap_or(""));
            row.push(' ');
        }
    }
    rows.into_values()
        .map(|r| {
            // A pid has three digits at least (after a wrap the kernel starts
            // again at 300): a machine that has made many processes gives
            // three-digit pids, which a four-digit mask let through (CI).
            // The pid column is as wide as the longest pid, so a heading
            // cut short (`…`) after it is cut one place earlier or later
            // when the two runs' pids differ in length (99,999 and 100,000).
            let masked: String = r
                .split_whitespace()
                .map(|w| {
                    if w.chars().filter(|c| c.is_ascii_digit()).count() >= 3 && w.chars().all(|c| c.is_ascii_digit() || ",)".contains(c)) {
                        "#"
                    } else if w.ends_with('…') {
                        "…"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            masked
        })
        .collect()
}

/// `p` in the dashboard and `forkscope snapshot` draw the same frame for
/// the same moment: step 26 of ticket-race with its lock, at 120×36, the
/// same text at the same places but for the pids (a live run's are its own).
#[test]
fn p_and_snapshot_draw_the_same_frame() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-same-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Terminal::start_in("same", "run ticket-race --param lock=true", &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| header(s).contains("PAUSED") && header(s).contains("step 0"));
    let conductor = t.conductor();
    for n in 1..=26 {
        t.keys(&["n"]);
        t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")) && header(s).contains(&format!("step {n} ")));
    }
    let pids = run_pids(conductor);
    t.keys(&["p"]);
    t.wait_for("the screenshot", WAIT, |s| footer(s).contains("screenshot saved"));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let shot = std::fs::read_to_string(dir.join("forkscope-ticket-race-step26.svg")).expect("p wrote its SVG");
    let snap = dir.join("snap.svg");
    let out = common::run(&["snapshot", "ticket-race", "--param", "lock=true", "--steps", "26", "--size", "120x36", "--real-pids", "--out", snap.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let (p, s) = (svg_rows(&shot), svg_rows(&std::fs::read_to_string(&snap).unwrap()));
    assert!(p.iter().any(|r| r.contains("lock Lock held by Process-1")), "{p:#?}");
    assert_eq!(p, s, "p and snapshot differ");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A socket server lesson in Python, in the dashboard, answers a person
/// outside the run: its main shows blocked in accept on the socket, the
/// Resources pane shows the socket with its address, and a client from
/// outside (what a student types with `nc 127.0.0.1 PORT`; here the test's
/// own `TcpStream`, so nothing beyond Rust's std is needed) gets the
/// upper-cased echo.
#[test]
fn a_python_socket_server_lesson_answers_a_client_from_outside() {
    use std::io::{Read, Write};
    let _share = crate::common::share();
    let t = Terminal::start("outside", "run echo-server.py --param outside=1 --run", &[], 120, 36);
    let s = t.wait_for("the server waiting for its outside client", WAIT, |s| {
        lane_rows(s).iter().any(|r| r.contains("MainProcess") && r.contains("accept server")) && s.contains("server Socket  127.0.0.1:") && s.contains("waiting: MainProcess")
    });
    let conductor = t.conductor();
    let pids = run_pids(conductor);
    let port: u16 = s.split("server Socket  127.0.0.1:").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port on screen:\n{s}"));
    // As `nc -N` does: send a line, close our side, read the answer until the server closes.
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect to the lesson's server on port {port}: {e}"));
    client.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    client.write_all(b"hello outside\n").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap_or_else(|e| panic!("reading the server's answer (got {answer:?} so far): {e}"));
    assert_eq!(answer, "HELLO OUTSIDE\n", "what the outside client got back");
    let s = t.wait_for("the lesson to end", WAIT, |s| header(s).contains("ENDED"));
    assert!(s.contains("2 accepted"), "the server counted its two clients:\n{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// ASCII words (three letters or more) in `s` other than `keep`.
fn english_words(s: &str, keep: &[&str]) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3 && !keep.contains(w)).map(str::to_string).collect()
}

/// The log pane's rows: right of the last `││` below its title, to its bottom.
fn log_pane(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines.iter().position(|l| l.contains("┌日志") || l.contains("┌[日志") || l.contains("┌Log") || l.contains("┌[Log")).expect("the log pane");
    lines[top + 1..].iter().take_while(|l| !l.starts_with('└')).filter_map(|l| l.rsplit_once("││").map(|(_, r)| r.trim_end_matches('│').to_string())).collect::<Vec<_>>().join("\n")
}

/// `L` turns every text forkscope wrote on the screen Chinese: the header,
/// the stall banner, the footer and every event in the log (started,
/// blocked, timed out, sent, killed, joined, the finding, the user's kill);
/// the lesson's own prints (Chinese here, so they are told apart) stay as
/// printed, and only names, API calls and signal names remain Latin.
#[test]
fn l_turns_everything_forkscope_writes_chinese() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-lang-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = "fn holder(l) {\n    l.acquire();\n    print(\"拿到了锁\");\n    sleep(30.0);\n}\nfn waiter(l) {\n    l.acquire();\n    print(\"不会打印\");\n}\nfn main() {\n    let l = Lock();\n    report(\"票\", 1);\n    let h = Process(\"holder\", [l]);\n    h.start();\n    sleep(0.2);\n    print(\"试一下\");\n    let got = l.acquire(0.05);\n    for i in 0..2 {\n        Process(\"waiter\", [l]).start();\n    }\n    sleep(0.2);\n    h.kill();\n    h.join();\n    l.acquire();\n}\n";
    std::fs::write(dir.join("zh.rhai"), script).unwrap();
    let t = Terminal::start_in("lang", "run zh.rhai --run", &[], 120, 40, &dir);
    t.wait_for("the stall banner", WAIT, |s| s.contains("STALLED"));
    let conductor = t.conductor();
    // Kill a waiter from the dashboard: "you sent SIGKILL to Process-2".
    t.keys(&["Down", "Down"]);
    t.wait_for("Process-2 selected", WAIT, |s| s.lines().any(|l| l.contains(">└ ") && l.contains(" Process-2 ")));
    t.keys(&["k"]);
    t.wait_for("k to name its target", WAIT, |s| footer(s).contains("SIGKILL to Process-2?"));
    t.keys(&["k"]);
    let en = t.wait_for("the kill in the log", WAIT, |s| log_pane(s).contains("you sent SIGKILL to Process-2"));
    let log = log_pane(&en);
    for want in ["started Process-1", "acquire timed out", "sent SIGKILL to Process-1", "killed by SIGKILL", "joined Process-1"] {
        assert!(log.contains(want), "{want} not in the English log:\n{en}");
    }
    let pids = run_pids(conductor);
    t.keys(&["L"]);
    let zh = t.wait_for("the Chinese screen", WAIT, |s| log_pane(s).contains("你向 Process-2 发送了 SIGKILL") && footer(s).contains("退出"));
    let log = log_pane(&zh);
    for want in ["启动了 Process-1", "acquire 超时", "向 Process-1 发送了 SIGKILL", "被 SIGKILL 杀死", "join 了 Process-1", "拿到了锁", "试一下"] {
        assert!(log.contains(want), "{want} not in the Chinese log:\n{zh}");
    }
    let keep = ["MainProcess", "Process", "Lock", "SIGKILL", "acquire", "join", "forkscope", "pid", "rhai", "space"];
    let banner: String = zh.lines().skip(1).take_while(|l| !l.starts_with('┌')).collect::<Vec<_>>().join("\n");
    assert!(banner.trim_start().starts_with("停滞"), "{zh}");
    for (what, text) in [("header", header(&zh).to_string()), ("banner", banner), ("log", log), ("footer", footer(&zh).to_string())] {
        assert_eq!(english_words(&text, &keep), Vec::<String>::new(), "English left in the {what}:\n{zh}");
    }
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A goal reached, then `L`: the banner says the goal in the new language
/// (its title is the manifest's, in both); it kept the words of the moment
/// it was reached, so a Chinese banner led into an English goal.
#[test]
fn l_says_a_goal_already_reached_in_the_new_language() {
    let _share = crate::common::share();
    let t = Terminal::start("goallang", "run deadlock --paused", &[], 100, 30);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    for _ in 0..40 {
        if t.screen().contains("GOAL REACHED") {
            break;
        }
        t.keys(&["n"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = t.wait_for("the goal", WAIT, |s| s.contains("GOAL REACHED"));
    assert!(s.contains("Step alex and egon into the deadlock"), "{s}");
    let pids = run_pids(conductor);
    t.keys(&["L"]);
    let s = t.wait_for("the goal in Chinese", WAIT, |s| s.contains("挑战完成"));
    assert!(s.contains("单步让 alex 和 egon 死锁"), "the goal is said in Chinese:\n{s}");
    assert!(!s.contains("Step alex and egon"), "{s}");
    t.keys(&["L"]);
    let s = t.wait_for("the goal in English again", WAIT, |s| s.contains("GOAL REACHED"));
    assert!(s.contains("Step alex and egon into the deadlock"), "{s}");
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
}

/// The search's child (`forkscope explore … --all`) of conductor `conductor`, if one runs.
fn explore_child(conductor: i32) -> Option<i32> {
    let kids = std::fs::read_to_string(format!("/proc/{conductor}/task/{conductor}/children")).unwrap_or_default();
    kids.split_whitespace().filter_map(|p| p.parse::<i32>().ok()).find(|p| std::fs::read_to_string(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.split('\0').any(|a| a == "explore")))
}

/// `x` explores every interleaving of the open lesson
/// while the dashboard goes on. With the lock: verified with its count, and
/// a figure (`p`) names the result in its footer; `x` twice stops a search
/// (never "verified"). Without the lock: the shortest oversell opens as a
/// replay, which plays to the oversell.
#[test]
fn x_explores_every_interleaving_and_opens_the_shortest_counterexample() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-xall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lesson = "run ticket-race --paused --param buyers=3 --param tickets=2";
    let t = Terminal::start_in("xall", &format!("{lesson} --param lock=true"), &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    // The lesson declares a bad outcome (oversold): x asks first; enter hunts the first one.
    t.keys(&["x"]);
    t.wait_for("the question", WAIT, |s| s.contains("Hunt which bad outcome?"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the verdict", Duration::from_secs(180), |s| s.contains("VERIFIED"));
    assert!(s.contains("all 36 inequivalent interleavings ran"), "{s}");
    assert!(header(&s).contains("PAUSED") && header(&s).contains("step 0"), "the run here did not move:\n{s}");
    t.keys(&["p"]);
    t.wait_for("the screenshot", WAIT, |s| s.contains("screenshot saved"));
    let svg = std::fs::read_to_string(dir.join("forkscope-ticket-race-step0.svg")).expect("the SVG is written");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let text: String = doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap()).collect();
    assert!(text.contains("explore --all: verified, 36 interleavings"), "the footer names the result: {text}");

    // x, x: the search stops, and says it is not a proof.
    t.keys(&["x"]);
    t.wait_for("the question", WAIT, |s| s.contains("Hunt which bad outcome?"));
    t.keys(&["Enter"]);
    t.wait_for("a search under way", WAIT, |s| s.contains("explore --all:") && s.contains("x stops"));
    let child = explore_child(conductor).expect("the search runs as a child");
    t.keys(&["x"]);
    let s = t.wait_for("the search to stop", WAIT, |s| s.contains("not verified"));
    assert!(!s.contains("x stops"), "{s}");
    let t0 = Instant::now();
    while std::path::Path::new(&format!("/proc/{child}")).exists() {
        assert!(t0.elapsed() < WAIT, "the stopped search's process is still there");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_left_nothing(child, &[], Duration::from_secs(5));
    quit_clean(&t, conductor);

    let t = Terminal::start_in("xcx", &format!("{lesson} --param lock=false"), &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["x"]);
    t.wait_for("the question", WAIT, |s| s.contains("Hunt which bad outcome?"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the counterexample", Duration::from_secs(180), |s| s.contains("COUNTEREXAMPLE") && header(s).contains("replay 0/"));
    assert!(s.contains("the shortest bad schedule") && s.contains("forkscope-explore-ticket-race-seed0.fsrec"), "{s}");
    assert!(dir.join("forkscope-explore-ticket-race-seed0.fsrec").exists());
    t.keys(&["Space"]);
    let s = t.wait_for("the replay to oversell", Duration::from_secs(60), |s| s.contains("oversold") && header(s).contains("ENDED"));
    assert!(s.contains("sold = 3"), "{s}");
    // The tool found this schedule: no goal is won by playing it.
    assert!(!s.contains("GOAL REACHED"), "{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `x` on a lesson with a bad outcome of its own asks which to hunt (esc
/// cancels, keys choose); the counterexample's banner says which bad outcome
/// it is and why (the conflicting ops); space plays it a step at a time at
/// the pace the header shows (`-` slows it), the Source pane on the process
/// that just stepped, and the step that completes the conflict says so.
#[test]
fn x_asks_which_bad_outcome_and_the_replay_says_why_at_a_pace() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-xwhy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Terminal::start_in("xwhy", "run ticket-race --paused --param buyers=2 --param tickets=1 --param lock=false", &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    t.keys(&["x"]);
    let s = t.wait_for("the question", WAIT, |s| s.contains("Hunt which bad outcome?"));
    for name in ["1. oversold", "2. assertion", "3. deadlock", "4. error", "5. any"] {
        assert!(s.contains(name), "{name}:\n{s}");
    }
    assert!(s.lines().any(|l| l.contains("▶ 1. oversold")), "the lesson's own bad outcome is chosen first:\n{s}");
    t.keys(&["Down", "Down"]);
    t.wait_for("the choice to move", WAIT, |s| s.lines().any(|l| l.contains("▶ 3. deadlock")));
    t.keys(&["Escape"]);
    let s = t.wait_for("the question to close", WAIT, |s| s.contains("explore --all cancelled"));
    assert!(!s.contains("Hunt which bad outcome?"), "{s}");
    assert_eq!(explore_child(conductor), None, "esc starts no search");
    // An escape and a key written together read as Alt-key: let the escape go alone.
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["x"]);
    t.wait_for("the question again", WAIT, |s| s.contains("Hunt which bad outcome?"));
    t.keys(&["4"]);
    t.wait_for("a digit to choose", WAIT, |s| s.lines().any(|l| l.contains("▶ 4. error")));
    t.keys(&["1"]);
    t.wait_for("a digit to choose", WAIT, |s| s.lines().any(|l| l.contains("▶ 1. oversold")));
    t.keys(&["Enter"]);
    let s = t.wait_for("the counterexample", Duration::from_secs(180), |s| s.contains("COUNTEREXAMPLE") && header(s).contains("replay 0/"));
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("COUNTEREXAMPLE (explore --all): oversold"), "the banner names the bad outcome found:\n{s}");
    assert!(flat.contains("why:") && flat.contains("read ticket (line 31) before Process-") && flat.contains("wrote it (line 37)"), "the banner says why:\n{s}");

    // Slower (-): half a second a step, shown in the header; space plays.
    t.keys(&["-"]);
    t.wait_for("the pace", WAIT, |s| footer(s).contains("a step every 0.5 s"));
    t.keys(&["Space"]);
    let seen = std::cell::RefCell::new(Vec::new());
    let source_followed = std::cell::Cell::new(false);
    let s = t.wait_for("the replay to play to the end", Duration::from_secs(120), |s| {
        let h = header(s);
        let mut seen = seen.borrow_mut();
        if let Some(k) = h.split("replay ").nth(1).and_then(|r| r.split('/').next()).and_then(|k| k.trim().parse::<u32>().ok())
            && seen.last() != Some(&k)
        {
            seen.push(k);
        }
        if s.lines().any(|l| l.contains("Source · Process-")) {
            source_followed.set(true);
        }
        h.contains("ENDED")
    });
    let (seen, source_followed) = (seen.into_inner(), source_followed.get());
    // A step every half second: each step is on the screen long enough to be seen.
    let first_steps: Vec<u32> = seen.iter().copied().filter(|k| *k <= 5).collect();
    assert_eq!(first_steps, [0, 1, 2, 3, 4, 5], "one step at a time, not a rush to the end: {seen:?}");
    assert!(source_followed, "the Source pane followed a buyer that stepped");
    assert!(s.contains("completes the conflict"), "the completing step is marked:\n{s}");
    assert!(s.contains("oversold"), "{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A program that truncates the run's segment (its name is on main's
/// command line): the conductor's next read of a lane is a
/// SIGBUS. forkscope gives the terminal back — main screen, cursor shown,
/// mouse reporting off — says why, and its guard ends the run.
#[test]
fn a_truncated_segment_restores_the_terminal_and_says_why() {
    let _share = crate::common::share();
    let dir = std::env::temp_dir().join(format!("fs-ui-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("trunc.py"), "import os, time\nprint('before', flush=True)\ntime.sleep(1)\nseg = next(a for a in open('/proc/self/cmdline', 'rb').read().split(b'\\0') if a.startswith(b'forkscope-')).decode()\nos.truncate('/dev/shm/' + seg, 4096)\nfor i in range(1000):\n    print('after', i)\n    time.sleep(0.01)\n").unwrap();
    let t = Terminal::start_in("trunc", "run trunc.py", &[], 120, 30, &dir);
    t.wait_for("the dashboard", WAIT, |s| s.contains("PAUSED"));
    let conductor = t.conductor();
    t.keys(&["Space"]);
    let s = t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited"));
    assert!(s.contains("forkscope exited 1"), "{s}");
    assert!(s.contains("the run's shared memory went away under it"), "the message is readable:\n{s}");
    assert!(!t.alternate_screen(), "the terminal is still on the alternate screen");
    assert_eq!(t.cursor_shown_and_mouse(), (true, false), "cursor shown, mouse reporting off");
    assert_clean(conductor, &[]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Why a `Process` bomb cannot starve the dashboard: the run's processes
/// (a Python main, its `Process` child, its `os.fork` child) are in a
/// session of their own, apart from forkscope's. Where the scheduler groups
/// tasks by session (autogroup, the default of most Linux systems) it then
/// shares the CPU between the two sessions, not between a thousand busy
/// processes and the conductor (0.1 % of it: `q` took seconds, or minutes
/// beside other load). How fast `q` ends a bomb is a benchmark (`cargo bench
/// --bench startup`), not this test.
#[test]
fn the_dashboards_run_is_in_a_session_apart_from_forkscope() {
    let _share = crate::common::share();
    let src = "import os, time\nfrom multiprocessing import Process\n\nif __name__ == '__main__':\n    Process(target=time.sleep, args=(60,)).start()\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\n    print('all started')\n    time.sleep(60)\n";
    let dir = python_program("session", "sleepers.py", src);
    let t = Terminal::start_in("session", "run sleepers.py --run", &[], 120, 36, &dir);
    t.wait_for("the three processes", WAIT, |s| s.contains("all started") && lane_rows(s).len() >= 3);
    let conductor = t.conductor();
    let guard = |p: &i32| std::fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"guard"));
    let pids = run_pids(conductor);
    let run: Vec<i32> = pids.iter().copied().filter(|p| !guard(p)).collect();
    // SAFETY: plain syscalls.
    let sid = |p: i32| unsafe { libc::getsid(p) };
    let sessions: Vec<i32> = run.iter().map(|&p| sid(p)).collect();
    let forkscopes = sid(conductor);
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.len(), 3, "main and its two children: {run:?} of {pids:?}");
    assert!(sessions.iter().all(|&s| s == sessions[0] && run.contains(&s)), "the run's processes share one session, led by main: {run:?} in {sessions:?}");
    assert_ne!(sessions[0], forkscopes, "the run's session is not forkscope's");
}

/// `v` shows the selected Python process's variables under the source: a
/// buyer of the shared-Value race, after its read, shows `old` (marked as
/// changed) and the log says what it read; `v` again hides the pane.
#[test]
fn the_variables_pane_shows_the_selected_python_process_locals() {
    let _share = crate::common::share();
    let src = "from multiprocessing import Process, Value\n\n\ndef withdraw(balance):\n    old = balance.value\n    balance.value = old - 100\n\n\nif __name__ == \"__main__\":\n    balance = Value(\"i\", 1000)\n    ps = [Process(target=withdraw, args=(balance,)) for _ in range(2)]\n    for p in ps:\n        p.start()\n    for p in ps:\n        p.join()\n    print(\"balance\", balance.value)\n";
    let dir = python_program("vars", "bank.py", src);
    let t = Terminal::start_in("vars", "run bank.py --paused", &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && header(s).contains("step 0") && lane_rows(s).iter().any(|r| r.contains("ready")));
    let conductor = t.conductor();
    t.keys(&["v"]);
    t.wait_for("the variables pane", WAIT, |s| s.contains("Variables · MainProcess") && s.contains("<module> · line"));
    let mut n = 1;
    loop {
        assert!(n < 30, "Process-1 did not read balance within 30 steps:\n{}", t.screen());
        t.keys(&["n"]);
        let s = t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")) && header(s).contains(&format!("step {n} ")));
        if s.contains("Process-1: · read balance.value = 1000") {
            break;
        }
        n += 1;
    }
    let pids = run_pids(conductor);
    let s = t.screen();
    let row = lane_rows(&s).iter().position(|r| row_name(r) == "Process-1").expect("Process-1 has a row");
    for _ in 0..row {
        t.keys(&["Down"]);
    }
    let s = t.wait_for("Process-1's variables", WAIT, |s| s.contains("Variables · Process-1"));
    assert!(s.contains("withdraw · line 6"), "{s}");
    assert!(s.contains("* old = 1000"), "its new variable, marked:\n{s}");
    assert!(s.contains("  balance = <Value balance>"), "{s}");
    t.keys(&["v"]);
    t.wait_for("the pane hidden", WAIT, |s| !s.contains("Variables · "));
    t.keys(&["q"]);
    t.wait_for("forkscope to exit", WAIT, |s| s.contains("forkscope exited 0"));
    assert_clean(conductor, &pids);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `c` switches the log pane to the Console: a replay of two processes
/// printing `*` and `#` in turn (`end="", flush=True`) shows `*#*#*#` on one
/// line, as a terminal does, where the log has a line per print; `c` again
/// brings the log back.
#[test]
fn c_shows_the_output_as_a_terminal_shows_it() {
    let _share = crate::common::share();
    let (dir, _file, rec) = crate::python_console::recorded("console-key");
    let t = Terminal::start_in("console", &format!("replay {}", rec.display()), &[], 100, 30, &dir);
    t.wait_for("the replay", WAIT, |s| header(s).contains("replay 0/"));
    let conductor = t.conductor();
    t.keys(&["Space"]);
    let s = t.wait_for("the recording to play out", Duration::from_secs(60), |s| header(s).contains("ENDED"));
    assert!(!s.contains("*#*#*#"), "the log has a line per print:\n{s}");
    t.keys(&["c"]);
    let s = t.wait_for("the console", WAIT, |s| s.contains("Console"));
    assert!(s.contains("│*#*#*#") && s.contains("│loading 100%") && s.contains("│red light"), "{s}");
    assert!(!s.contains("│loading 10%") && !s.contains("│\\rloading"), "{s}");
    t.keys(&["c"]);
    t.wait_for("the log again", WAIT, |s| !s.contains("Console") && s.contains("Log"));
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `b` after a free run of three seconds: the header's clock shows the
/// run's time at the step it went back to (00:02 or 00:03), not the steps
/// counted a timeline cell each (00:00; 01:23 after a long run).
#[test]
fn back_after_a_free_run_shows_the_runs_time_at_that_step() {
    let _share = crate::common::share();
    let dir = crate::common::tempdir("rewind-clock");
    let file = dir.join("ticks.py");
    std::fs::write(&file, "import time\n\nfor i in range(3):\n    time.sleep(1)\n    print('tick', i)\n").unwrap();
    let t = Terminal::start_in("rewind-clock", &format!("run {} --run", file.display()), &[], 120, 36, &dir);
    let s = t.wait_for("the free run to end", Duration::from_secs(60), |s| header(s).contains("ENDED"));
    assert!(header(&s).contains("00:03"), "{s}");
    let conductor = t.conductor();
    t.keys(&["b"]);
    let s = t.wait_for("the rewind", Duration::from_secs(60), |s| header(s).contains("PAUSED") && s.contains("back to step"));
    assert!(header(&s).contains("00:02") || header(&s).contains("00:03"), "the run's time at that step:\n{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A program stepped once, left paused for two seconds (a class talking),
/// then let go: its clocks leave the paused time out, so it prints about its
/// own running time (0.30 s, as python3 does), not the pause's.
#[test]
fn a_program_let_go_after_a_pause_times_only_its_own_running() {
    let _share = crate::common::share();
    let dir = crate::common::tempdir("paused-clock");
    let file = dir.join("timed.py");
    std::fs::write(&file, "import time\n\nt0 = time.time()\ntime.sleep(0.2)\ntime.sleep(0.1)\nprint(f'used {time.time() - t0:.2f} s')\n").unwrap();
    let t = Terminal::start_in("paused-clock", &format!("run {}", file.display()), &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| header(s).contains("PAUSED") && s.contains("MainProcess"));
    let conductor = t.conductor();
    // (A key before main has parked at its first op is refused: press again.)
    let t0 = Instant::now();
    while !header(&t.screen()).contains("step 1") {
        assert!(t0.elapsed() < WAIT, "no step 1:\n{}", t.screen());
        t.keys(&["n"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    t.wait_for("step 1 to settle", WAIT, |s| header(s).contains("PAUSED"));
    std::thread::sleep(Duration::from_secs(2));
    t.keys(&["Space"]);
    let s = t.wait_for("the program's end", Duration::from_secs(60), |s| header(s).contains("ENDED") && s.contains("used "));
    let used: f64 = s.split("used ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{s}"));
    assert!((0.25..1.0).contains(&used), "the paused seconds are not the program's (python3: 0.30): used {used}\n{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A click on a process's line in the Source pane steps that process (The
/// Deadlock Empire's way): the bytes a terminal sends for a left click
/// (SGR mouse report), on the line where Process-1 waits to acquire.
#[test]
fn a_click_on_a_process_line_in_the_source_steps_it() {
    let _share = crate::common::share();
    let src = "from multiprocessing import Process, Lock\n\n\ndef work(lock):\n    lock.acquire()\n    lock.release()\n\n\nif __name__ == '__main__':\n    lock = Lock()\n    p = Process(target=work, args=(lock,))\n    p.start()\n    p.join()\n";
    let dir = python_program("click", "click.py", src);
    let t = Terminal::start_in("click", "run click.py --paused", &[], 120, 36, &dir);
    t.wait_for("the paused dashboard", WAIT, |s| s.contains("PAUSED") && lane_rows(s).iter().any(|r| r.contains("ready")));
    let conductor = t.conductor();
    let at_acquire = |s: &str| lane_rows(s).iter().any(|r| row_name(r) == "Process-1" && r.contains("line 5"));
    let mut s = t.screen();
    for n in 1..=12 {
        if at_acquire(&s) {
            break;
        }
        t.keys(&["n"]);
        s = t.wait_for(&format!("step {n}"), WAIT, |s| s.contains(&format!("step {n} done")));
    }
    assert!(at_acquire(&s), "Process-1 waits at its acquire:\n{s}");
    let step = |s: &str| header(s).split("step ").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse::<u32>().ok()).unwrap();
    let before = step(&s);
    let (y, line) = s.lines().enumerate().find(|(_, l)| l.contains("  5     lock.acquire()")).unwrap_or_else(|| panic!("line 5 in the Source pane:\n{s}"));
    let x = line.chars().take_while(|c| *c != 'l').count() + 2;
    t.write(format!("\x1b[<0;{x};{}M\x1b[<0;{x};{}m", y + 1, y + 1).as_bytes());
    let s = t.wait_for("the clicked process's step", WAIT, |s| s.contains(&format!("step {} done", before + 1)));
    let rows = lane_rows(&s);
    assert!(rows.iter().any(|r| r.starts_with('>') && row_name(r) == "Process-1" && r.contains("line 6")), "Process-1 was selected and stepped past its acquire:\n{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lanes pane shows each process's CPU use as htop does: a process
/// spinning on the CPU has a share of it, one asleep has none.
#[test]
fn cpu_percent_per_process_in_the_lanes() {
    let _share = crate::common::share();
    let src = "import time\nfrom multiprocessing import Process\n\n\ndef spin():\n    x = 0\n    while True:\n        x += 1\n\n\ndef rest():\n    time.sleep(600)\n\n\nif __name__ == '__main__':\n    a = Process(target=spin, name='spinner')\n    b = Process(target=rest, name='sleeper')\n    a.start()\n    b.start()\n    a.join()\n";
    let dir = python_program("cpu", "cpu.py", src);
    let t = Terminal::start_in("cpu", "run cpu.py --run", &[], 120, 36, &dir);
    let cpu = |s: &str, name: &str| -> Option<f32> {
        let rows = lane_rows(s);
        let row = rows.iter().find(|r| row_name(r) == name)?;
        row.split_whitespace().find(|w| w.ends_with('%'))?.trim_end_matches('%').parse().ok()
    };
    let s = t.wait_for("the spinner's CPU share", Duration::from_secs(40), |s| cpu(s, "spinner").is_some_and(|p| p >= 5.0) && cpu(s, "sleeper").is_some());
    let conductor = t.conductor();
    assert!(header(&s).contains("cpu") || s.contains(" cpu "), "the column is named:\n{s}");
    assert_eq!(cpu(&s, "sleeper"), Some(0.0), "asleep, no CPU:\n{s}");
    quit_clean(&t, conductor);
    let _ = std::fs::remove_dir_all(&dir);
}
