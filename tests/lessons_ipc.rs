//! End-to-end tests of the communication lessons and primitives: Queue,
//! JoinableQueue, Pipe, Pool, sockets, CPU- vs I/O-bound work. Real processes;
//! races are forced through `--schedule`, never left to luck.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn prints(out: &Output) -> Vec<String> {
    out.records().iter().filter(|r| r["type"] == "print").map(|r| r["text"].as_str().unwrap_or("").to_string()).collect()
}

fn ops<'a>(recs: &'a [Value], op: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["type"] == "op" && r["op"] == op).collect()
}

fn lane_of(recs: &[Value], name: &str) -> Value {
    recs.iter().find(|r| r["type"] == "spawn" && r["name"] == name).unwrap_or_else(|| panic!("no process {name}"))["child"].clone()
}

fn completed(out: &Output) -> Value {
    let s = out.summary();
    assert_eq!(s["outcome"], "completed", "stderr: {}\nfindings: {}", out.stderr, s["findings"]);
    assert_eq!(out.status, 0);
    // Only a process killed by a signal may leave a torn record behind.
    if s["processes"].as_array().unwrap().iter().all(|p| p["exitcode"].as_i64().is_some_and(|c| c >= 0)) {
        assert_eq!(s["corrupt"], 0, "every record written was whole");
    }
    s
}

// ── Queue ──────────────────────────────────────────────────────────────────

#[test]
fn queue_sentinel_every_bun_is_eaten_exactly_once_under_any_schedule() {
    let _share = crate::common::share();
    for sched in [&["--schedule", "rr"][..], &["--schedule", "random", "--seed", "1"], &["--schedule", "random", "--seed", "2"], &["--speed", "200"]] {
        let mut args = vec!["--param", "version=sentinel"];
        args.extend_from_slice(sched);
        let out = run_json("queue", &args);
        let s = completed(&out);
        assert_eq!(reported(&s, "produced"), 10, "{sched:?}");
        assert_eq!(reported(&s, "consumed"), 10, "{sched:?}");
        assert_eq!(reported(&s, "exactly_once"), true, "{sched:?}");
        assert_eq!(reported(&s, "left_in_queue"), 0, "{sched:?}");
        let eaten = prints(&out).iter().filter(|p| p.contains(" 吃 包子")).count();
        assert_eq!(eaten, 10, "{sched:?}: the consumer printed each bun it ate");
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

#[test]
fn queue_many_producers_and_consumers_share_out_every_item_once() {
    let _share = crate::common::share();
    for seed in ["3", "4"] {
        let out = run_json("queue", &["--param", "version=many", "--param", "items=4", "--param", "producers=3", "--param", "consumers=2", "--schedule", "random", "--seed", seed]);
        let s = completed(&out);
        assert_eq!(reported(&s, "produced"), 12);
        assert_eq!(reported(&s, "consumed"), 12);
        assert_eq!(reported(&s, "exactly_once"), true);
        let recs = out.records();
        // Both consumers took items (the random schedule interleaves them), and
        // the three foods were all made.
        let getters: std::collections::BTreeSet<String> = ops(&recs, "get").iter().filter(|r| r["c"].as_i64() >= Some(0) && r["detail"] != "None").map(|r| r["lane"].to_string()).collect();
        assert_eq!(getters.len(), 2, "seed {seed}: both consumers ate");
        for food in ["包子", "骨头", "泔水"] {
            assert!(prints(&out).iter().any(|p| p.contains(&format!("生产了 {food}"))), "{food}");
        }
    }
}

#[test]
fn queue_forever_ends_as_a_stall_naming_the_blocked_processes() {
    let _share = crate::common::share();
    for extra in [&["--schedule", "rr"][..], &["--speed", "200"]] {
        let mut args = vec!["--param", "version=forever"];
        args.extend_from_slice(extra);
        let t0 = Instant::now();
        let out = run_json("queue", &args);
        let s = out.summary();
        assert_eq!(s["outcome"], "deadlock", "{extra:?}: {}", s["findings"]);
        assert_eq!(out.status, 3);
        assert!(t0.elapsed() < Duration::from_secs(30), "it ends by itself, not by a hang");
        let d = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "deadlock").expect("a deadlock finding");
        let msg = d["message"].as_str().unwrap();
        assert!(msg.starts_with("stalled: every process left is blocked"), "{msg}");
        assert!(msg.contains("Process-2 in get on buns"), "the consumer, stuck in get: {msg}");
        assert!(msg.contains("MainProcess in join(Process-2)"), "main, waiting for it at exit: {msg}");
        let named: Vec<&str> = d["processes"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        assert_eq!(named, ["MainProcess", "Process-2"]);
        assert_eq!(reported(&s, "produced"), 10);
        assert_eq!(reported(&s, "consumed"), 10, "everything made was eaten before the stall");
        let producer = s["processes"].as_array().unwrap().iter().find(|p| p["name"] == "Process-1").unwrap().clone();
        assert_eq!(producer["exitcode"], 0, "the producer finished");
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

#[test]
fn queue_lesson_is_deterministic_under_a_schedule_and_seed() {
    let _share = crate::common::share();
    let args = ["--param", "version=many", "--param", "items=3", "--schedule", "random", "--seed", "11"];
    let a = run_json("queue", &args);
    let b = run_json("queue", &args);
    let (sa, sb) = (shape(&a.records()), shape(&b.records()));
    assert!(sa.len() > 100, "a real run: {} records", sa.len());
    assert_eq!(sa, sb);
    let c = run_json("queue", &["--param", "version=many", "--param", "items=3", "--schedule", "random", "--seed", "12"]);
    assert_ne!(sa, shape(&c.records()), "another seed, another interleaving");
}

#[test]
fn a_blocked_getter_is_handed_the_item_and_a_blocked_putters_item_is_moved_in() {
    let _share = crate::common::share();
    // 1: main starts the getter; 2: the getter blocks on the empty queue;
    // 1: main's put hands "first" to it; 1: "queued" fills the queue; 1: main
    // starts the putter; 3: the putter blocks (full); 1: main's get takes
    // "queued" and moves the putter's "second" in.
    let out = run_json(&lesson_fixture("queue_handoff.rhai"), &["--schedule", "1,2,1,1,1,3,1"]);
    let s = completed(&out);
    let recs = out.records();
    let (getter, putter) = (lane_of(&recs, "Process-1"), lane_of(&recs, "Process-2"));
    let block_get = recs.iter().find(|r| r["type"] == "block" && r["op"] == "get").unwrap();
    assert_eq!(block_get["lane"], getter);
    let first_put = ops(&recs, "put")[0];
    assert_eq!((first_put["other"].clone(), first_put["c"].clone(), first_put["detail"].clone()), (getter.clone(), 1.into(), "'first'".into()), "handed, not queued");
    let wake = recs.iter().find(|r| r["type"] == "wake" && r["op"] == "get").unwrap();
    assert_eq!(wake["woken"], getter);
    let block_put = recs.iter().find(|r| r["type"] == "block" && r["op"] == "put").unwrap();
    assert_eq!(block_put["lane"], putter);
    let main_get = ops(&recs, "get").into_iter().find(|r| r["lane"] == 1).unwrap();
    assert_eq!(main_get["other"], putter);
    assert_eq!(main_get["detail"], "'queued'\t'second'");
    assert_eq!(reported(&s, "getter_got"), "first");
    assert_eq!(reported(&s, "main_got"), "queued");
    assert_eq!(reported(&s, "then"), "second", "FIFO: the moved item comes next");
    assert_eq!(reported(&s, "putter_done"), true);
}

#[test]
fn misuse_gets_pythons_messages() {
    let _share = crate::common::share();
    let out = run_json(&lesson_fixture("ipc_misuse.rhai"), &[]);
    let s = completed(&out);
    let expect = [
        ("get_nowait_empty", "queue.Empty"),
        ("get_timeout", "queue.Empty"),
        ("put_nowait_full", "queue.Full"),
        ("put_timeout", "queue.Full"),
        ("put_no_block", "queue.Full"),
        ("plain_task_done", "AttributeError: 'Queue' object has no attribute 'task_done'"),
        ("task_done_too_often", "ValueError: task_done() called too many times"),
        ("recv_after_close", "OSError: handle is closed"),
        ("send_after_close", "OSError: handle is closed"),
        ("recv_other_closed", "EOFError"),
        ("send_other_closed", "BrokenPipeError: [Errno 32] Broken pipe"),
        ("pass_closed_end", "OSError: handle is closed"),
        ("put_closed_end", "OSError: handle is closed"),
        ("send_on_reader", "OSError: connection is read-only"),
        ("recv_on_writer", "OSError: connection is write-only"),
        ("pool_join_before_close", "ValueError: Pool is still running"),
        ("pool_apply_after_close", "ValueError: Pool not running"),
        ("bad_port", "OverflowError: bind(): port must be 0-65535."),
    ];
    for (key, msg) in expect {
        assert_eq!(reported(&s, key), msg, "{key}");
    }
    // Uncaught, task_done too often ends the process like Python's exception.
    assert_eq!(reported(&s, "child_exitcode"), 1);
    let err = out.records().into_iter().find(|r| r["type"] == "error").expect("an error record");
    assert!(err["message"].as_str().unwrap().starts_with("ValueError: task_done() called too many times"), "{err}");
    assert_eq!(err["line"], 8, "the line of the second task_done()");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

// ── JoinableQueue ──────────────────────────────────────────────────────────

#[test]
fn joinable_queue_main_waits_until_every_task_is_done_then_the_daemon_ends() {
    let _share = crate::common::share();
    for extra in [&["--schedule", "rr"][..], &["--schedule", "random", "--seed", "5", "--param", "consumers=2"], &["--speed", "100"]] {
        let out = run_json("joinable-queue", extra);
        let s = completed(&out);
        assert_eq!(reported(&s, "made"), 10, "{extra:?}");
        assert_eq!(reported(&s, "eaten"), 10, "{extra:?}: join returned only after every task_done");
        assert_eq!(reported(&s, "left_in_queue"), 0);
        for p in s["processes"].as_array().unwrap().iter().filter(|p| p["daemon"] == true) {
            assert_eq!(p["exitcode"], -15, "{extra:?}: the daemonic consumer is terminated with main's code: {p}");
        }
        let recs = out.records();
        let dones = ops(&recs, "task_done");
        assert_eq!(dones.len(), 10);
        assert_eq!(dones.last().unwrap()["b"], 0, "the last task_done brings unfinished to 0");
        let join = ops(&recs, "queue_join");
        assert_eq!(join.len(), 1);
        assert_eq!(join[0]["lane"], 1);
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

// ── Pipe ───────────────────────────────────────────────────────────────────

#[test]
fn pipe_two_way_messages_then_eof_error_after_close() {
    let _share = crate::common::share();
    for extra in [&["--schedule", "rr"][..], &[]] {
        let out = run_json("pipe", extra);
        let s = completed(&out);
        assert_eq!(reported(&s, "answers"), 3);
        assert_eq!(reported(&s, "child_saw"), "EOFError");
        let p = prints(&out);
        assert!(p.contains(&"主进程收到: 子进程回复: 你好".to_string()), "{p:?}");
        let recs = out.records();
        let eof = ops(&recs, "recv").into_iter().find(|r| r["c"] == 2).expect("a recv that saw the end of file");
        assert_eq!(eof["detail"], "EOFError");
        assert_eq!(eof["lane"], lane_of(&recs, "Process-1"));
    }
}

#[test]
fn pipe_without_closing_the_unused_end_never_sees_eof_and_stalls() {
    let _share = crate::common::share();
    let out = run_json("pipe", &["--param", "close_unused=false", "--schedule", "rr"]);
    let s = out.summary();
    assert_eq!(s["outcome"], "deadlock");
    let d = s["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "deadlock").unwrap().clone();
    assert!(d["message"].as_str().unwrap().contains("Process-1 in recv on pipe"), "{d}");
    assert!(reported(&s, "child_saw").is_null(), "no EOFError: the child itself still holds parent_conn");
    assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
}

#[test]
fn a_pipe_end_held_only_by_a_killed_process_counts_as_closed() {
    let _share = crate::common::share();
    // Scheduled: 1 main starts middle; 2 middle starts holder; 1 main closes
    // its copy; 1 main blocks in recv; 3 holder blocks; 2 middle closes its
    // copy, sleeps, kills the holder.
    for extra in [&[][..], &["--schedule", "1,2,1,1,3,2,2,2"]] {
        let out = run_json(&lesson_fixture("pipe_killed_holder.rhai"), extra);
        let s = completed(&out);
        assert_eq!(reported(&s, "after_kill"), "EOFError", "{extra:?}");
        let recs = out.records();
        let blocked = recs.iter().position(|r| r["type"] == "block" && r["op"] == "recv" && r["lane"] == 1).expect("main blocked in recv");
        let killed = recs.iter().position(|r| r["type"] == "ended" && r["exitcode"] == -9).expect("the holder was killed");
        assert!(blocked < killed, "{extra:?}: main was already waiting when the holder died");
    }
}

// ── Pool ───────────────────────────────────────────────────────────────────

/// The most tasks the pool ran at once, from its records.
fn max_running(recs: &[Value]) -> i64 {
    let pool = recs.iter().find(|r| r["type"] == "resource" && r["kind"] == "pool").unwrap()["res"].clone();
    recs.iter().filter(|r| r["type"] == "op" && r["res"] == pool).filter_map(|r| r["b"].as_i64()).max().unwrap_or(0)
}

#[test]
fn pool_results_are_right_in_every_mode_and_apply_is_serial() {
    let _share = crate::common::share();
    let squares: Vec<i64> = (0..8).map(|i| i * i).collect();
    for mode in ["apply", "async", "map", "callback"] {
        let out = run_json("pool", &["--param", &format!("mode={mode}"), "--param", "tasks=8", "--schedule", "rr"]);
        let s = completed(&out);
        let mut results: Vec<i64> = reported(&s, "results").as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        if mode == "callback" {
            results.sort();
        }
        assert_eq!(results, squares, "{mode}");
        let recs = out.records();
        let running = max_running(&recs);
        if mode == "apply" {
            assert_eq!(running, 1, "apply waits for each task: never two at once");
        } else {
            assert_eq!(running, 4, "{mode}: all four workers busy at once");
        }
        let workers: Vec<&Value> = s["processes"].as_array().unwrap().iter().filter(|p| p["name"].as_str().unwrap().starts_with("ForkPoolWorker-")).collect();
        assert_eq!(workers.len(), 4);
        let main_pid = s["processes"][0]["pid"].clone();
        for w in &workers {
            assert_eq!(w["ppid"], main_pid, "workers are children of the pool's creator");
            assert_eq!(w["daemon"], true);
            assert_eq!(w["exitcode"], 0, "{mode}: close + join lets them finish");
        }
        if mode == "callback" {
            assert_eq!(reported(&s, "callback_pid"), reported(&s, "main_pid"), "callbacks run in the process that submitted");
            assert_eq!(prints(&out).iter().filter(|p| p.starts_with("callback ")).count(), 8);
        }
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

#[test]
fn pool_async_is_faster_than_apply_in_real_time() {
    let _share = crate::common::share();
    let time = |mode: &str| {
        let out = run_json("pool", &["--param", &format!("mode={mode}"), "--param", "tasks=8", "--speed", "5"]);
        reported(&completed(&out), "elapsed").as_f64().unwrap()
    };
    let (serial, parallel) = (time("apply"), time("async"));
    // 8 tasks of 0.1 s: about 0.8 s one by one, about 0.2 s four at a time.
    assert!(serial >= 0.75, "apply took {serial}");
    assert!(parallel < serial * 0.6, "apply_async {parallel} vs apply {serial}");
}

// ── Sockets ────────────────────────────────────────────────────────────────

#[test]
fn echo_server_answers_every_client_with_a_process_per_connection() {
    let _share = crate::common::share();
    for extra in [&["--schedule", "random", "--seed", "2"][..], &["--schedule", "rr"], &[]] {
        let out = run_json("echo-server", extra);
        let s = completed(&out);
        assert_eq!(reported(&s, "answered"), 6, "{extra:?}");
        assert_eq!(reported(&s, "clients_ok"), 6, "{extra:?}: every reply was the message in upper case");
        assert!(reported(&s, "port").as_i64().unwrap() > 0);
        let recs = out.records();
        // The talk processes were handed their connection as an argument: they
        // used the inherited descriptor themselves.
        for name in ["Process-4", "Process-5", "Process-6"] {
            let lane = lane_of(&recs, name);
            let sends = ops(&recs, "sock_send").into_iter().filter(|r| r["lane"] == lane).count();
            assert_eq!(sends, 2, "{extra:?}: {name} answered its client twice");
        }
        assert_eq!(ops(&recs, "accept").iter().filter(|r| r["lane"] == 1).count(), 3);
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

#[test]
fn echo_server_is_deterministic_under_a_schedule_but_for_port_numbers() {
    let _share = crate::common::share();
    let strip = |recs: Vec<Value>| -> Vec<Value> {
        recs.into_iter()
            .map(|mut r| {
                if let Some(o) = r.as_object_mut()
                    && matches!(o.get("op").and_then(Value::as_str), Some("listen" | "accept" | "connect"))
                {
                    for k in ["a", "b", "c", "detail"] {
                        o.remove(k);
                    }
                }
                r
            })
            .collect()
    };
    let a = run_json("echo-server", &["--schedule", "random", "--seed", "9"]);
    let b = run_json("echo-server", &["--schedule", "random", "--seed", "9"]);
    let (sa, sb) = (shape(&strip(a.records())), shape(&strip(b.records())));
    assert!(sa.len() > 100);
    assert_eq!(sa, sb);
}

#[test]
fn a_process_blocked_in_accept_obeys_terminate_and_virtual_time() {
    let _share = crate::common::share();
    // Stepped, accept(100) times out at its step (no real wait); running at
    // --speed 1000 it waits 0.1 s.
    for extra in [&["--schedule", "rr"][..], &["--speed", "1000"]] {
        let t0 = Instant::now();
        let out = run_json(&lesson_fixture("socket_wait.rhai"), extra);
        let s = completed(&out);
        assert!(t0.elapsed() < Duration::from_secs(20), "{extra:?}");
        assert_eq!(reported(&s, "server_exitcode"), -15, "{extra:?}: terminate() ends a process blocked in accept");
        assert_eq!(reported(&s, "timed_accept"), "TimeoutError: timed out");
        assert_eq!(reported(&s, "got"), "ping");
        assert_eq!(reported(&s, "after_close"), "", "recv gives \"\" once the peer closed");
        if extra[0] == "--schedule" {
            // Stepped, the server is surely blocked by the time main terminates it.
            let recs = out.records();
            let server = lane_of(&recs, "Process-1");
            let block = recs.iter().find(|r| r["type"] == "block" && r["lane"] == server).expect("the server blocked");
            assert_eq!(block["op"], "accept");
            assert!(block["res"].is_u64(), "blocked on the socket's resource: {block}");
        }
        assert_left_nothing(out.pid, &pids(&s), Duration::from_secs(2));
    }
}

/// Reads NDJSON lines from a running forkscope until a `report` of `key`.
fn wait_for_report(lines: &mut impl Iterator<Item = std::io::Result<String>>, key: &str, limit: Duration) -> Value {
    let t0 = Instant::now();
    for line in lines {
        let line = line.expect("read forkscope's output");
        let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if v["type"] == "report" && v["key"] == key {
            return v["value"].clone();
        }
        assert!(t0.elapsed() < limit, "no report {key} within {limit:?}");
        assert_ne!(v["type"], "summary", "the run ended before reporting {key}");
    }
    panic!("forkscope ended before reporting {key}");
}

#[test]
fn a_real_client_from_outside_talks_to_the_echo_server() {
    let _share = crate::common::share();
    let mut child = Command::new(bin())
        .args(["run", "echo-server", "--headless", "--json", "--param", "clients=2", "--param", "serve=3", "--timeout", "40"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start forkscope");
    let conductor = child.id() as i32;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = wait_for_report(&mut lines, "port", Duration::from_secs(20)).as_u64().expect("a port number") as u16;
    // Exactly what `nc 127.0.0.1 PORT` does: a plain TCP connection.
    let mut sock = TcpStream::connect(("127.0.0.1", port)).expect("connect to the lesson's server");
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut replies = Vec::new();
    for msg in ["hello from outside", "外面的客户端 ok"] {
        sock.write_all(msg.as_bytes()).unwrap();
        let mut buf = [0u8; 1024];
        let n = sock.read(&mut buf).expect("an answer");
        replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    drop(sock);
    assert_eq!(replies, ["HELLO FROM OUTSIDE", "外面的客户端 OK"]);
    // The run then ends by itself (no new client within `serve` seconds).
    let mut rest = String::new();
    for line in lines {
        rest.push_str(&line.unwrap());
        rest.push('\n');
    }
    let status = child.wait().unwrap().code();
    let summary: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(summary["outcome"], "completed", "{summary}");
    assert_eq!(status, Some(0));
    assert_eq!(summary["reported"]["answered"], 2 * 2 + 2, "two lesson clients and the outside one");
    assert_eq!(summary["reported"]["clients_ok"], 4);
    assert_left_nothing(conductor, &pids(&summary), Duration::from_secs(2));
}

// ── CPU-bound vs I/O-bound ─────────────────────────────────────────────────

fn timed_run(args: &[&str]) -> (Value, impl Fn(&str) -> f64) {
    let out = run_json("cpu-vs-io", args);
    let s = completed(&out);
    let s2 = s.clone();
    (s, move |k: &str| reported(&s2, k).as_f64().unwrap_or_else(|| panic!("{k} reported")))
}

#[test]
fn io_bound_work_keeps_getting_faster_with_more_processes() {
    let _share = crate::common::share();
    let (_, f) = timed_run(&["--param", "work=io", "--param", "tasks=8", "--param", "ms=300"]);
    // Waiting overlaps: 8 waits of 0.3 s take 2.4 s in one process and about
    // 0.3 s (plus starting the processes) in eight.
    assert!(f("io_1") >= 2.35, "io_1 = {}", f("io_1"));
    assert!(f("io_2") < f("io_1") * 0.75, "io_2 = {} vs io_1 = {}", f("io_2"), f("io_1"));
    assert!(f("io_8") < f("io_1") * 0.6, "io_8 = {} vs io_1 = {}", f("io_8"), f("io_1"));
    assert!(f("io_1_busy") < 0.2, "one process waiting keeps no core busy: {}", f("io_1_busy"));
}

#[test]
fn cpu_bound_work_never_keeps_more_cores_busy_than_the_machine_has() {
    let _share = crate::common::share();
    let (s, f) = timed_run(&["--param", "work=cpu", "--param", "tasks=4", "--param", "ms=40"]);
    let cores = reported(&s, "cores").as_f64().unwrap();
    assert!(cores >= 1.0);
    assert!(reported(&s, "io_1").is_null(), "work=cpu times only the computing");
    for n in [1, 2, 4, 8] {
        // CPU seconds used / elapsed seconds: physically bounded by the cores
        // (a little slack for the clock's tick).
        let busy = f(&format!("cpu_{n}_busy"));
        assert!(busy > 0.0, "cpu_{n} did real CPU work");
        assert!(busy <= cores + 0.3, "cpu_{n}: {busy} cores busy on a {cores}-core machine");
        assert!(f(&format!("cpu_{n}")) > 0.0);
    }
}

// ── The lessons pass `forkscope check` ─────────────────────────────────────

#[test]
fn the_communication_lessons_pass_check_and_are_listed() {
    let _share = crate::common::share();
    let list = run(&["list"]);
    for name in ["queue", "joinable-queue", "pipe", "pool", "echo-server", "cpu-vs-io"] {
        assert!(list.stdout.lines().any(|l| l.starts_with(name)), "{name} listed");
        let path = format!("{}/assets/scenarios/{name}.rhai", env!("CARGO_MANIFEST_DIR"));
        let out = run(&["check", &path]);
        assert_eq!(out.status, 0, "{name}: {}{}", out.stdout, out.stderr);
    }
}
