//! Signals that end the main thread's waits, whenever they came.
//!
//! A Python program's signal handler runs in its main thread, and a signal
//! ends what that thread waits in (CPython's lock and queue waits return
//! `EINTR`, run the handler, and go on or raise). Our waits are futex
//! waits, which end early only for a signal that comes while the thread is
//! inside the futex call. One that came while the main thread was between
//! two futex waits of one wait (woken for another reason, looking again)
//! ran its C handler there, and the next futex wait slept on: a
//! `Pool.join()` went on for seconds after a SIGALRM, now and then.
//!
//! So the front-end *chains* every handler a program installs
//! ([`chain`]): ours runs first and, when the main thread took the signal,
//! counts it ([`count`]) and wakes the main thread's lane word; then it
//! calls the program's (CPython's C handler, which notes the signal for the
//! Python handler). A wait of the main thread ends when the count moved
//! since its call began ([`note_call`], [`since_call`]). A signal another
//! thread took leaves main's wait alone, as in CPython; forkscope's own
//! threads take none (they block every signal). What the program sees is
//! unchanged: `signal.getsignal` and the handler's calls are CPython's own.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};

/// Signals are 1..NSIG (Linux: 64, real-time ones included).
const NSIG: usize = 65;

/// Signals our handler has seen, in this process.
static COUNT: AtomicU64 = AtomicU64::new(0);
/// The main thread's lane word (what its waits sleep on), once attached.
static MAIN_WAKE: AtomicPtr<AtomicU32> = AtomicPtr::new(std::ptr::null_mut());
/// The handler each signal had before ours (what we call after), and
/// whether it takes `siginfo` (SA_SIGINFO).
static PREVIOUS: [AtomicUsize; NSIG] = [const { AtomicUsize::new(0) }; NSIG];
static PREVIOUS_INFO: [AtomicBool; NSIG] = [const { AtomicBool::new(false) }; NSIG];

thread_local! {
    /// The count when this thread's current call into the runtime began.
    static AT_CALL: Cell<Option<u64>> = const { Cell::new(None) };
}

/// How many signals our handler has seen in this process.
pub fn count() -> u64 {
    COUNT.load(SeqCst)
}

/// Marks the start of a call into the runtime (a front-end's op): a signal
/// counted after this ends a wait of the call ([`since_call`]). A signal
/// that came before it was the program's to handle before it called.
pub fn note_call() {
    AT_CALL.set(Some(count()));
}

/// Marks the end of the call [`note_call`] began.
pub fn end_call() {
    AT_CALL.set(None);
}

/// Whether a signal was counted since this thread's call began (or since
/// `fallback`, the count at the wait's start, outside any call).
pub fn since_call(fallback: u64) -> bool {
    count() != AT_CALL.get().unwrap_or(fallback)
}

/// The lane word of the process's main thread: our handler wakes it.
pub fn set_main_wake(word: &'static AtomicU32) {
    MAIN_WAKE.store(std::ptr::from_ref(word).cast_mut(), SeqCst);
}

/// Puts our handler in front of the one `sig` has now, if that is a
/// handler (not the default, not ignore, not ours already). Called after
/// every change of a handler by the program (`signal.signal`), and at the
/// start for the ones installed before (Python's SIGINT). False if `sig`
/// is no signal or its action could not be read or set.
pub fn chain(sig: i32) -> bool {
    let Some(at) = usize::try_from(sig).ok().filter(|&s| s > 0 && s < NSIG) else { return false };
    // SAFETY: sigaction with valid pointers to zeroed / initialised structs.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
            return false;
        }
        let handler = old.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN || handler == on_signal as *const () as usize {
            return true;
        }
        // The previous handler is stored before ours is in place: a signal
        // that comes in between finds it (and until then runs it directly).
        PREVIOUS_INFO[at].store(old.sa_flags & libc::SA_SIGINFO != 0, SeqCst);
        PREVIOUS[at].store(handler, SeqCst);
        let mut new = old;
        new.sa_sigaction = on_signal as *const () as usize;
        new.sa_flags |= libc::SA_SIGINFO;
        libc::sigaction(sig, &new, std::ptr::null_mut()) == 0
    }
}

/// Our handler: count, wake the main thread's waits, then the program's
/// handler. Async-signal-safe: atomics and the futex syscall only; errno
/// is kept.
extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: errno is this thread's; restored before returning.
    let errno = unsafe { *libc::__errno_location() };
    // Only a signal the main thread took: one another thread of the
    // program took leaves the main thread's wait alone, as in CPython
    // (whose handler runs there and only notes it). forkscope's own
    // threads block every signal (`sys::block_signals_in_this_thread`).
    // SAFETY: gettid and getpid are async-signal-safe and cannot fail.
    let main = unsafe { libc::syscall(libc::SYS_gettid) == libc::getpid() as libc::c_long };
    took(sig, info, context, main, errno);
}

/// What [`on_signal`] does once it knows whether the main thread took the
/// signal (`errno` is restored before the program's handler runs).
fn took(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void, main: bool, errno: i32) {
    let word = if main { MAIN_WAKE.load(SeqCst) } else { std::ptr::null_mut() };
    if main {
        COUNT.fetch_add(1, SeqCst);
    }
    if !word.is_null() {
        // SAFETY: set from a `&'static` lane word of the mapped segment.
        let word = unsafe { &*word };
        word.fetch_add(1, SeqCst);
        crate::shm::futex::wake_all(word);
    }
    let at = usize::try_from(sig).unwrap_or(0).min(NSIG - 1);
    let previous = PREVIOUS[at].load(SeqCst);
    // SAFETY: restoring the value read above.
    unsafe { *libc::__errno_location() = errno };
    if previous != 0 && previous != libc::SIG_DFL && previous != libc::SIG_IGN {
        // SAFETY: `previous` was the handler the kernel would have called,
        // with the signature its SA_SIGINFO flag says.
        unsafe {
            if PREVIOUS_INFO[at].load(SeqCst) {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = std::mem::transmute(previous);
                f(sig, info, context);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(previous);
                f(sig);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PROGRAM_CALLS: AtomicU32 = AtomicU32::new(0);
    static WORD: AtomicU32 = AtomicU32::new(0);

    extern "C" fn program_handler(_sig: libc::c_int) {
        PROGRAM_CALLS.fetch_add(1, SeqCst);
    }

    #[test]
    fn a_chained_handler_counts_wakes_main_and_calls_the_program_s() {
        let sig = libc::SIGUSR2;
        // SAFETY: installing a plain handler for a signal only this test uses.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = program_handler as *const () as usize;
            assert_eq!(libc::sigaction(sig, &act, std::ptr::null_mut()), 0);
        }
        assert!(chain(sig));
        assert!(chain(sig), "chaining twice keeps one of ours");
        let mut now: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: reading the action into a zeroed struct.
        unsafe { libc::sigaction(sig, std::ptr::null(), &mut now) };
        assert_eq!(now.sa_sigaction, on_signal as *const () as usize);
        assert_eq!(PREVIOUS[sig as usize].load(SeqCst), program_handler as *const () as usize, "the program's, not ours");
        set_main_wake(&WORD);

        // The main thread took it: counted, main's word bumped, the
        // program's handler called, errno as it was.
        note_call();
        let (count0, word0, calls0) = (count(), WORD.load(SeqCst), PROGRAM_CALLS.load(SeqCst));
        took(sig, std::ptr::null_mut(), std::ptr::null_mut(), true, 7);
        assert_eq!(count(), count0 + 1);
        assert_eq!(WORD.load(SeqCst), word0 + 1);
        assert_eq!(PROGRAM_CALLS.load(SeqCst), calls0 + 1);
        assert_eq!(unsafe { *libc::__errno_location() }, 7);
        assert!(since_call(0), "a wait of this call ends");
        end_call();
        assert!(!since_call(count()), "outside a call: counted from the wait's own start");

        // Another thread took it (here: a thread of the test harness, by
        // the kernel): main's waits are left alone; the program's handler runs.
        let (count1, word1, calls1) = (count(), WORD.load(SeqCst), PROGRAM_CALLS.load(SeqCst));
        // SAFETY: sends SIGUSR2 to this very thread, whose handler is set.
        unsafe { libc::pthread_kill(libc::pthread_self(), sig) };
        assert_eq!(PROGRAM_CALLS.load(SeqCst), calls1 + 1, "ours ran the program's");
        assert_eq!((count(), WORD.load(SeqCst)), (count1, word1));

        assert!(!chain(0) && !chain(NSIG as i32));
        // SAFETY: back to the default action.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
}
