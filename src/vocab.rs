//! The run's vocabulary, apart from how it travels: the ops of the lesson
//! API ([`Op`]), the kinds of shared resource ([`ResKind`]), what a process
//! is doing ([`ProcState`]) and the lanes everyone knows by number. The wire
//! format (`shm`) encodes them; the model, the views and the exporters speak
//! them without knowing that format (`tests::the_views_do_not_read_the_wire_format`).

use std::fmt;

/// The conductor's own lane (its records: spawns, ends, grants), as the
/// wire format numbers it; the views say [`Lane::CONDUCTOR`].
pub const CONDUCTOR_LANE: u32 = 0;
/// `main`'s lane, as the wire format numbers it; the views say [`Lane::MAIN`].
pub const MAIN_LANE: u32 = 1;

/// Between a process's target and the key of its arguments in its lane's
/// target text (a Python child started by fork: `multiprocessing/popen_fork.py`);
/// the records carry the target alone, explore's symmetry the key.
pub const ARGS_KEY: char = '\x1f';

/// A lane's target text split into the target and the key of its arguments (if any).
pub fn split_target(raw: &str) -> (&str, Option<&str>) {
    match raw.split_once(ARGS_KEY) {
        Some((t, k)) => (t, Some(k)),
        None => (raw, None),
    }
}

/// A process of the run, by its lane: the number the run gave it when it
/// started (0 is the conductor, 1 is `main`), kept for the whole run and in
/// every record, recording and view. Serialised as the bare number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Lane(pub u32);

impl Lane {
    pub const CONDUCTOR: Lane = Lane(CONDUCTOR_LANE);
    pub const MAIN: Lane = Lane(MAIN_LANE);

    /// The lane as an index into per-lane tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A shared resource of the run (a Lock, a Queue, a socket…), by the number
/// the run gave it when it was made. Serialised as the bare number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ResId(pub u32);

impl ResId {
    /// The resource as an index into per-resource tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! codes {
    ($(#[$m:meta])* $name:ident : $repr:ty { $($(#[$vm:meta])* $v:ident = $n:literal => $s:literal,)* }) => {
        $(#[$m])*
        #[repr($repr)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v = $n,)* }
        impl $name {
            pub fn from_raw(v: $repr) -> Option<Self> {
                match v { $($n => Some(Self::$v),)* _ => None }
            }
            /// The name the lesson API uses for it.
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $s,)* }
            }
            pub const ALL: &'static [Self] = &[$(Self::$v,)*];
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
    };
}

impl Op {
    /// The op as the lesson calls it (`conn.recv()` is `recv`, `q.join()` is
    /// `join`): for the screen, where [`Op::name`]'s unique record names
    /// (`recv_socket`, `join_queue`) would be tool jargon.
    pub fn api_name(self) -> &'static str {
        match self {
            Op::SockSend => "send",
            Op::SockRecv => "recv",
            Op::SockClose => "close",
            Op::QueueJoin | Op::PoolJoin => "join",
            Op::ResultGet => "get",
            Op::PoolClose => "close",
            Op::PoolTerminate => "terminate",
            other => other.name(),
        }
    }
}

codes! {
    /// Every op of the lesson API. An op is a call that touches the world outside
    /// the process's own variables (other processes, shared resources, files,
    /// time, output): each one passes the gate. Pure queries (`getpid`, `param`,
    /// `random`…) are not ops. The meaning of the `a b c d` values of an `Op`
    /// record is given per op.
    Op: u16 {
        /// `other` = child lane.
        Start = 1 => "start",
        /// `other` = child, `a` = exitcode, `b` = 1 if it timed out (still alive).
        Join = 2 => "join",
        /// `other` = child, `a` = 1 alive, 0 not.
        IsAlive = 3 => "is_alive",
        /// `other` = target lane, `a` = signal sent.
        Terminate = 4 => "terminate",
        Kill = 5 => "kill",
        /// `a` = length in µs (scaled), `b` = 1 when completed virtually (stepping).
        Sleep = 10 => "sleep",
        /// `a` = ms of CPU work asked for.
        Compute = 11 => "compute",
        /// Output: the text is in a `Print` group.
        Print = 12 => "print",
        Report = 13 => "report",
        /// Lock-like acquire: `a` = 1 acquired, 0 not (timeout/non-blocking);
        /// `b` = count/value after (rlock depth, semaphore value).
        Acquire = 20 => "acquire",
        /// `a` = count/value after; `other` = lane handed to, if any.
        Release = 21 => "release",
        Set = 30 => "set",
        Clear = 31 => "clear",
        IsSet = 32 => "is_set",
        /// Event/Condition/Barrier wait: `a` = 1 if the condition held, 0 on timeout.
        Wait = 33 => "wait",
        Notify = 41 => "notify",
        NotifyAll = 42 => "notify_all",
        /// Queue: `a` = depth after, `b` = unfinished tasks after.
        Put = 50 => "put",
        Get = 51 => "get",
        PutNowait = 52 => "put_nowait",
        GetNowait = 53 => "get_nowait",
        Qsize = 54 => "qsize",
        Empty = 55 => "empty",
        Full = 56 => "full",
        TaskDone = 57 => "task_done",
        QueueJoin = 58 => "join_queue",
        Send = 60 => "send",
        Recv = 61 => "recv",
        Poll = 62 => "poll",
        Close = 63 => "close",
        /// Shared Value/Array read and write: `a` = value when it is an integer.
        Load = 70 => "load",
        Store = 71 => "store",
        Apply = 80 => "apply",
        ApplyAsync = 81 => "apply_async",
        ResultGet = 82 => "get_result",
        Ready = 83 => "ready",
        Map = 84 => "map",
        PoolClose = 85 => "close_pool",
        PoolTerminate = 86 => "terminate_pool",
        PoolJoin = 87 => "join_pool",
        Listen = 90 => "listen",
        Accept = 91 => "accept",
        Connect = 92 => "connect",
        SockSend = 93 => "send_socket",
        SockRecv = 94 => "recv_socket",
        SockClose = 95 => "close_socket",
        ReadJson = 100 => "read_json",
        WriteJson = 101 => "write_json",
        ReadText = 102 => "read_text",
        WriteText = 103 => "write_text",
        AppendText = 104 => "append_text",
        ListDir = 105 => "list_dir",
        /// `input()`: a line of the run's standard input (`a` = its length,
        /// −1 at end of input; detail = the line).
        Input = 106 => "input",
        /// The process's code is over; what follows is Python's exit handling
        /// (terminate daemonic children, join the others). `a` = exit code.
        Exit = 120 => "exit",
    }
}

codes! {
    /// Kinds of shared resource.
    ResKind: u32 {
        Lock = 1 => "Lock",
        RLock = 2 => "RLock",
        Semaphore = 3 => "Semaphore",
        BoundedSemaphore = 4 => "BoundedSemaphore",
        Event = 5 => "Event",
        Condition = 6 => "Condition",
        Barrier = 7 => "Barrier",
        Queue = 8 => "Queue",
        JoinableQueue = 9 => "JoinableQueue",
        Pipe = 10 => "Pipe",
        Value = 11 => "Value",
        Array = 12 => "Array",
        Pool = 13 => "Pool",
        Socket = 14 => "Socket",
        File = 15 => "File",
        AsyncResult = 16 => "AsyncResult",
        /// An object a manager process holds (`Manager().dict()`…): see `runtime::sync::managed`.
        Managed = 17 => "managed",
    }
}

codes! {
    /// What a process is doing, as its own status record says.
    ProcState: u32 {
        /// Slot reserved, process not yet at its first checkpoint.
        Starting = 1 => "starting",
        /// Executing script code or an op.
        Running = 2 => "running",
        /// Parked at the gate, waiting for a step (or for the run to resume).
        Ready = 3 => "ready",
        /// Waiting inside a blocking op (on `res`, or on lane `other` for join).
        Blocked = 4 => "blocked",
        /// In `sleep`.
        Sleeping = 5 => "sleeping",
        /// Its code is over; it is about to exit with `exit_code`.
        Exiting = 6 => "exiting",
        /// The conductor saw it end.
        Ended = 7 => "ended",
    }
}

/// The interface language: lesson texts, help, pane titles and every
/// sentence of this module follow it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {

    /// Its code: `en`, `zh` (`--lang`, a manifest's texts).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn toggle(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The English or the Chinese of a label.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    /// `en` or `zh` (`--lang`); anything else is refused, never English by default.
    fn from_str(code: &str) -> Result<Lang, String> {
        match code {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(format!("{other:?} is not a language forkscope speaks: en or zh")),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
