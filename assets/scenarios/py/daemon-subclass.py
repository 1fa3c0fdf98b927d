# From course notes 003_2112f71c9677a4d1.txt — 5.1 守护进程的启动 (tests/python/notes/43_daemon_subclass.py)
# Features: Process subclass, daemon, name, os.getpid, time.sleep (no __main__ guard: relies on the fork start method)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import os
import time
from multiprocessing import Process
class Myprocess(Process):
    def __init__(self,person):
        super().__init__()
        self.person = person
    def run(self):
        print(os.getpid(),self.name)
        print('%s正在和女主播聊天' %self.person)
p=Myprocess('哪吒')
p.daemon=True  # 一定要在p.start()前设置,设置p为守护进程,禁止p创建子进程,并且父进程代码执行结束,p即终止运行
p.start()
time.sleep(10)  # 在sleep时查看进程id对应的进程ps -ef|grep id
print('主')
