# From course notes 003_2112f71c9677a4d1.txt — 5.2 主进程代码执行结束守护进程立即结束 (tests/python/notes/44_daemon_foo_bar.py)
# Features: Process, daemon (killed when the main code ends) vs non-daemon child, time.sleep (no __main__ guard: relies on the fork start method)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import time  # forkscope-fix: missing import (the notes use time without importing it)
from multiprocessing import Process
def foo():
    print(123)
    time.sleep(1)
    print("end123")
def bar():
    print(456)
    time.sleep(3)
    print("end456")
p1=Process(target=foo)
p2=Process(target=bar)
p1.daemon=True
p1.start()
p2.start()
time.sleep(0.1)
print("main-------")  # 打印该行则主进程代码结束,则守护进程p1应该被终止.#可能会有p1任务执行的打印信息123,因为主进程打印main----时,p1也执行了,但是随即被终止.
