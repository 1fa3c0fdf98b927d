# From course notes 001_8c62dec115c42d1d.txt — 事件 —— multiprocess.Event(了解) / 例3 (tests/python/notes/24_event_set_wait.py)
# Features: Event (is_set, set, wait returns at once), no child process
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Event
# 创建一个事件的对象
e = Event()
print(e.is_set())  # 打印is_set()的状态
# 在事件的创始之初,状态为False
e.set()  # 将is_set()的值改为True
e.wait()  # 阻塞,等待is_set()的值变成True,如果不为True,会一直等待
# 后面的代码不会执行
print(e.is_set())  # 打印is_set()的状态
