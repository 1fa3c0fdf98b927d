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

/// Main moves its own lane's ring index 2^33 records ahead (a scribble on
/// the segment, which it may write like any file): the conductor skips what
/// it cannot read. It counted the jump itself as records (4294967295
/// unreadable) and called them only "unreadable"; now at most a ring's worth
/// is counted, and the summary says the shared memory was damaged by a
/// process of the run.
#[test]
fn a_scribbled_ring_index_is_named_as_damage_not_counted_as_records() {
    use forkscope::shm::layout::{Geometry, LaneSlot};
    let _share = common::share();
    let d = dir("scribble");
    let file = d.join("scribble.py");
    let geo = Geometry::default();
    let head = geo.offsets().lanes + std::mem::size_of::<LaneSlot>() + std::mem::offset_of!(LaneSlot, head);
    let program = format!(
        "import struct\n{FIND_SEGMENT}print('before', flush=True)\nwith open(seg, 'r+b') as f:\n    f.seek({head})\n    h, = struct.unpack('<Q', f.read(8))\n    f.seek({head})\n    f.write(struct.pack('<Q', h + (1 << 33)))\nfor i in range(5):\n    print('after', i)\n"
    );
    std::fs::write(&file, program).unwrap();
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    let s = out.summary();
    let corrupt = s["corrupt"].as_u64().unwrap();
    assert!(corrupt > 0 && corrupt <= geo.ring_cap as u64, "at most a ring's worth unreadable, not the jump: {s}");
    let findings: Vec<String> = s["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(findings.iter().any(|f| f.contains("the run's shared memory was damaged by a process of the run")), "{findings:?}");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&d);
}

/// Main ends with a non-zero code and no traceback: the outcome is `error`,
/// and the summary says why (it said nothing).
#[test]
fn an_error_outcome_always_says_why() {
    let _share = common::share();
    let d = dir("exitcode");
    let file = d.join("exit3.py");
    std::fs::write(&file, "import os\nprint('bye', flush=True)\nos._exit(3)\n").unwrap();
    let out = run_limited(&["run", file.to_str().unwrap(), "--headless", "--json"], Duration::from_secs(60));
    let s = out.summary();
    assert_eq!(s["outcome"], "error", "{s}");
    let findings: Vec<String> = s["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(!findings.is_empty(), "an error with no word: {s}");
    assert!(findings.iter().any(|f| f.contains("MainProcess exited with code 3")), "{findings:?}");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&d);
}
