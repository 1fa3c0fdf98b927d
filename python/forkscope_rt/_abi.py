"""The boundary between forkscope's Python side and libforkscope.so: every
function's ctypes signature and every named number, generated from
src/python/abi.rs and src/python/names.rs. Do not edit: a test fails when
this file is out of date, and `FORKSCOPE_BLESS=1 cargo test --release --lib
abi_table` writes it again.
"""
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p

# name: (argument types, result type)
SIGNATURES = {
    "fs_py_source": ((c_char_p, c_size_t, POINTER(c_size_t)), c_void_p),
    "fs_error": ((c_char_p, c_size_t), c_int64),
    "fs_take_bytes": ((c_char_p, c_size_t), c_int64),
    "fs_attach": ((c_char_p, c_size_t, c_uint32), c_int64),
    "fs_spawned": ((), c_int64),
    "fs_start_child": ((c_uint32,), c_int64),
    "fs_run_text": ((c_uint32,), c_int64),
    "fs_run_number": ((c_uint32,), c_int64),
    "fs_statement": ((c_uint32,), c_int64),
    "fs_print": ((c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_waits_interruptible": ((), c_int64),
    "fs_signal_chain": ((c_int32,), c_int64),
    "fs_interrupted": ((), c_int64),
    "fs_interrupted_left": ((), c_int64),
    "fs_capture_watch": ((c_int32, c_int32, c_size_t), c_int64),
    "fs_text": ((c_uint8, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_sleep": ((c_double, c_uint32), c_int64),
    "fs_input": ((c_uint32,), c_int64),
    "fs_input_secret": ((c_uint32,), c_int64),
    "fs_file_enter": ((c_uint32, c_uint32), c_int64),
    "fs_file_done": ((c_uint32, c_char_p, c_size_t, c_char_p, c_size_t, c_int64, c_int64, c_uint32), c_int64),
    "fs_start_prepare": ((c_char_p, c_size_t, c_char_p, c_size_t, c_uint32, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_start_spawn": ((c_uint32, c_uint32, c_char_p, c_size_t, c_char_p, c_size_t), c_int64),
    "fs_pipe_adopt": ((c_uint32, c_uint8, c_uint32), c_int64),
    "fs_start_commit": ((c_uint32, c_uint32, c_int32), c_int64),
    "fs_fork_prepare": ((c_char_p, c_size_t, c_uint32), c_int64),
    "fs_fork_commit": ((c_uint32, c_int32), c_int64),
    "fs_wait_any": ((POINTER(c_uint32), c_size_t, c_uint32, c_uint32), c_int64),
    "fs_start_failed": ((c_uint32, c_uint32, c_int32), c_int64),
    "fs_join": ((c_uint32, c_double, c_uint32), c_int64),
    "fs_is_alive": ((c_uint32, c_uint32), c_int64),
    "fs_exitcode": ((c_uint32,), c_int64),
    "fs_ended": ((c_uint32,), c_int64),
    "fs_signal": ((c_uint32, c_int32, c_uint32), c_int64),
    "fs_finish": ((c_int32,), c_int64),
    "fs_thread_prepare": ((c_char_p, c_size_t, c_char_p, c_size_t, c_uint32, c_uint32), c_int64),
    "fs_thread_commit": ((c_uint32, c_uint32), c_int64),
    "fs_thread_failed": ((c_uint32,), c_int64),
    "fs_thread_attach": ((c_uint32,), c_int64),
    "fs_thread_end": ((), c_int64),
    "fs_thread_join": ((c_uint32, c_double, c_uint32), c_int64),
    "fs_lock_new": ((c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_acquire_timed": ((c_uint32, c_uint32, c_uint32, c_double, c_uint32), c_int64),
    "fs_acquire": ((c_uint32, c_uint32, c_uint32), c_int64),
    "fs_release": ((c_uint32, c_uint32, c_uint32), c_int64),
    "fs_lock_holder": ((c_uint32, c_uint32), c_int64),
    "fs_sem_new": ((c_int64, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_sem_value": ((c_uint32, c_uint32), c_int64),
    "fs_event_new": ((c_char_p, c_size_t, c_uint32), c_int64),
    "fs_event_op": ((c_uint32, c_uint32, c_uint32), c_int64),
    "fs_event_wait": ((c_uint32, c_double, c_uint32), c_int64),
    "fs_cond_new": ((c_uint32, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_cond_lock": ((c_uint32,), c_int64),
    "fs_cond_wait": ((c_uint32, c_double, c_uint32), c_int64),
    "fs_cond_count": ((c_uint32, c_uint32), c_int64),
    "fs_cond_notify": ((c_uint32, c_int64, c_uint32), c_int64),
    "fs_barrier_new": ((c_int64, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_barrier_wait": ((c_uint32, c_double, c_uint32, c_uint32), c_int64),
    "fs_barrier_op": ((c_uint32, c_uint32, c_uint32), c_int64),
    "fs_value_new": ((c_int64, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_array_new": ((POINTER(c_int64), c_size_t, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_shared_lock": ((c_uint32,), c_int64),
    "fs_value_load": ((c_uint32, c_uint32, POINTER(c_int64)), c_int64),
    "fs_value_store": ((c_uint32, c_int64, c_uint32, c_uint32), c_int64),
    "fs_array_load": ((c_uint32, c_int64, c_uint32, POINTER(c_int64)), c_int64),
    "fs_array_store": ((c_uint32, c_int64, c_int64, c_uint32, c_uint32), c_int64),
    "fs_managed_new": ((c_char_p, c_size_t, c_char_p, c_size_t, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_managed_access": ((c_uint32, c_uint32, c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_queue_new": ((c_uint32, c_int64, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_queue_put": ((c_uint32, c_char_p, c_size_t, c_char_p, c_size_t, c_uint32, c_double, c_uint32, c_uint32, c_uint32), c_int64),
    "fs_queue_get": ((c_uint32, c_uint32, c_double, c_uint32, c_uint32), c_int64),
    "fs_queue_op": ((c_uint32, c_uint32, c_uint32), c_int64),
    "fs_pipe_new": ((c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_pipe_send": ((c_uint32, c_uint8, c_char_p, c_size_t, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_pipe_recv": ((c_uint32, c_uint8, c_uint32), c_int64),
    "fs_pipe_poll": ((c_uint32, c_uint8, c_double, c_uint32), c_int64),
    "fs_pipe_close": ((c_uint32, c_uint8, c_uint32), c_int64),
    "fs_conn_new": ((c_uint32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_conn_send": ((c_uint32, c_uint8, c_int32, c_char_p, c_size_t, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_conn_recv": ((c_uint32, c_uint8, c_int32, c_int64, c_uint32), c_int64),
    "fs_conn_wait": ((POINTER(c_int64), c_size_t, POINTER(c_int64), c_double, c_uint32, c_uint32), c_int64),
    "fs_conn_close": ((c_uint32, c_uint8, c_int32, c_uint32, c_uint32), c_int64),
    "fs_lib_wait_begin": ((c_uint32,), c_int64),
    "fs_lib_wait_end": ((), c_int64),
    "fs_lib_settle": ((c_uint32, c_int64), c_int64),
    "fs_pool_new": ((c_int64, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_pool_started": ((c_uint32, POINTER(c_uint32), c_size_t), c_int64),
    "fs_pool_arg": ((c_char_p, c_size_t, c_char_p, c_size_t), c_int64),
    "fs_pool_submit": ((c_uint32, c_uint32, c_char_p, c_size_t, c_uint32, c_uint32), c_int64),
    "fs_pool_take": ((c_uint32,), c_int64),
    "fs_pool_finish": ((c_uint32, c_uint32, c_char_p, c_size_t, c_char_p, c_size_t), c_int64),
    "fs_result_get": ((c_uint32, c_double, c_uint32), c_int64),
    "fs_result_ready": ((c_uint32, c_uint32), c_int64),
    "fs_result_if_ready": ((c_uint32,), c_int64),
    "fs_pool_op": ((c_uint32, c_uint32, POINTER(c_uint32), c_size_t, c_uint32), c_int64),
    "fs_pool_join": ((c_uint32, POINTER(c_uint32), c_size_t, POINTER(c_uint32), c_size_t, c_uint32), c_int64),
    "fs_sock_listen": ((c_int32, c_int32, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_sock_accept": ((c_uint32, c_int32, c_double, c_char_p, c_size_t, c_uint32), c_int64),
    "fs_sock_enter": ((c_uint32,), c_int64),
    "fs_sock_connected": ((c_int32, c_int64, c_int32, c_double, c_char_p, c_size_t), c_int64),
    "fs_sock_send": ((c_uint32, c_int32, c_char_p, c_size_t, c_int32, c_uint32), c_int64),
    "fs_sock_recv": ((c_uint32, c_int32, c_int64, c_int32, c_double, c_uint32), c_int64),
    "fs_sock_close": ((c_uint32, c_int32, c_uint32, c_uint32), c_int64),
    "fs_sock_shutdown": ((c_uint32, c_int32, c_int32, c_uint32), c_int64),
}

# Functions whose arguments are all integers of 32 bits or fewer: Python may
# call them without ctypes' argument conversion (a Python int goes as a C int).
NARROW = (
    "fs_spawned",
    "fs_start_child",
    "fs_run_text",
    "fs_run_number",
    "fs_statement",
    "fs_waits_interruptible",
    "fs_signal_chain",
    "fs_interrupted",
    "fs_interrupted_left",
    "fs_input",
    "fs_input_secret",
    "fs_file_enter",
    "fs_pipe_adopt",
    "fs_start_commit",
    "fs_fork_commit",
    "fs_start_failed",
    "fs_is_alive",
    "fs_exitcode",
    "fs_ended",
    "fs_signal",
    "fs_finish",
    "fs_thread_commit",
    "fs_thread_failed",
    "fs_thread_attach",
    "fs_thread_end",
    "fs_acquire",
    "fs_release",
    "fs_lock_holder",
    "fs_sem_value",
    "fs_event_op",
    "fs_cond_lock",
    "fs_cond_count",
    "fs_barrier_op",
    "fs_shared_lock",
    "fs_queue_op",
    "fs_pipe_recv",
    "fs_pipe_close",
    "fs_conn_close",
    "fs_lib_wait_begin",
    "fs_lib_wait_end",
    "fs_pool_take",
    "fs_result_ready",
    "fs_result_if_ready",
    "fs_sock_enter",
    "fs_sock_close",
    "fs_sock_shutdown",
)

# result
RESULT_ERR = -9223372036854775808
RESULT_NOTHING = -9223372036854775807

# mode
MODE_RUNNING = 0
MODE_PAUSED = 1

# gran
GRAN_OP = 0
GRAN_STATEMENT = 1

# info
INFO_SCRIPT = 0
INFO_SOURCE_PATH = 1
INFO_LESSON = 2
INFO_NAME = 3
INFO_PARAMS = 4
INFO_WORKDIR = 5
INFO_LANG = 6
INFO_SCRATCH = 7

# number
NUMBER_LANE = 0
NUMBER_SEED = 1
NUMBER_DAEMON = 2
NUMBER_MODE_WORD = 3
NUMBER_GRANULARITY_WORD = 4
NUMBER_PARENT = 5
NUMBER_PAUSED_NS = 6

# stream
STREAM_STDOUT = 1
STREAM_STDERR = 2
STREAM_STDOUT_PART = 3
STREAM_STDERR_PART = 4

# text
TEXT_ERROR = 2
TEXT_FINDING = 5
TEXT_ASSERT = 6
TEXT_LOCALS = 8
TEXT_LINE_END = 11

# file
FILE_READ = 0
FILE_WRITE = 1
FILE_APPEND = 2
FILE_LIST = 3

# kind
KIND_LOCK = 0
KIND_RLOCK = 1
KIND_SEMAPHORE = 2

# cond
COND_NEW_RLOCK = 4294967295

# cond_count
COND_COUNT_SLEEPING = 0
COND_COUNT_WOKEN = 1
COND_COUNT_NOTIFIED = 2

# event
EVENT_SET = 0
EVENT_CLEAR = 1
EVENT_IS_SET = 2

# barrier
BARRIER_RESET = 0
BARRIER_ABORT = 1
BARRIER_N_WAITING = 2
BARRIER_PARTIES = 3
BARRIER_BROKEN = 4
BARRIER_RELEASE = 5

# queue
QUEUE_QSIZE = 0
QUEUE_EMPTY = 1
QUEUE_FULL = 2
QUEUE_TASK_DONE = 3
QUEUE_JOIN = 4

# feed
FEED_DIRECT = 0
FEED_TRY = 1
FEED_FEEDER = 2
FEED_COUNT = 3
FEED_BEHIND = 4

# submit
SUBMIT_APPLY = 0
SUBMIT_APPLY_ASYNC = 1
SUBMIT_MAP = 2

# pool
POOL_CLOSE = 0
POOL_TERMINATE = 1
POOL_WORK = 2
