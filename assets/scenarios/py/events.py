# From course notes 001_8c62dec115c42d1d.txt — 事件 —— multiprocess.Event(了解) / 示例1 (tests/python/notes/22_event_is_set.py)
# Features: Event (is_set), no child process
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Event
# 创建一个事件的对象
e = Event()
print(e.is_set())  # 在事件的创始之初,状态为False
