//! A program that damages the run's shared memory from inside: it
//! truncates the segment's file (the conductor's next read of a page past
//! the new end is a SIGBUS) or scribbles on it (the file is the program's to
//! write: its name is on every process's command line). Each time
//! forkscope ends with a message saying what happened, a non-zero exit, and
//! nothing of the run left: no process, nothing in /dev/shm.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fs-damage-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Python that finds the run's segment: main's command line names it.
const FIND_SEGMENT: &str = "seg = '/dev/shm/' + next(a for a in open('/proc/self/cmdline', 'rb').read().split(b'\\0') if a.startswith(b'forkscope-')).decode()\n";

/// The pids a program wrote, one per line, into `file`, once there are `n`.
fn pids_in(file: &std::path::Path, n: usize) -> Vec<i32> {
    let t0 = Instant::now();
    loop {
        let pids: Vec<i32> = std::fs::read_to_string(file).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect();
        if pids.len() >= n || t0.elapsed() > Duration::from_secs(5) {
            return pids;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// forkscope used to die of SIGBUS: exit 135, no word, and (in the
/// dashboard) the terminal left in raw mode on the alternate screen.
#[test]
fn a_program_that_truncates_the_segment_ends_the_run_with_a_message() {
    let _share = common::share();
    let d = dir("truncate");
    let file = d.join("trunc.py");
    let pids = d.join("pids");
    let program = format!(
        "import os, time\nfrom multiprocessing import Process\n{FIND_SEGMENT}\ndef sleeper():\n    open({pids:?}, 'a').write(f'{{os.getpid()}}\\n')\n    time.sleep(60)\n\nif __name__ == '__main__':\n    open({pids:?}, 'a').write(f'{{os.getpid()}}\\n')\n    p = Process(target=sleeper)\n    p.start()\n    while len(open({pids:?}).read().split()) < 2:\n        time.sleep(0.01)\n    print('before', flush=True)\n    os.truncate(seg, 4096)\n    for i in range(1000):\n        print('after', i)\n        time.sleep(0.01)\n",
        pids = pids.to_str().unwrap()
    );
    std::fs::write(&file, program).unwrap();
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless"], Duration::from_secs(60));
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stderr.contains("forkscope: the run's shared memory went away under it"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let run_pids = pids_in(&pids, 2);
    assert_eq!(run_pids.len(), 2, "main and its child wrote their pids");
    assert_left_nothing(out.pid, &run_pids, Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&d);
}
