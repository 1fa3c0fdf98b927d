# From course notes 001_8c62dec115c42d1d.txt — 事件 —— multiprocess.Event(了解) / 例2 (tests/python/notes/23_event_wait_forever.py)
# Features: Event (is_set, wait on an Event nobody sets: hangs forever by design), no child process
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Event
# 创建一个事件的对象
e = Event()
print(e.is_set())  # 在事件的创始之初,状态为False
e.wait()  # 阻塞,等待is_set()的值变成True,如果不为True,会一直等待
# 后面的代码不会执行
print(1111)
