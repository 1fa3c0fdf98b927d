# From course notes 003_2112f71c9677a4d1.txt — 4.7 通过继承Process类开启进程 (tests/python/notes/41_subclass_process.py)
# Features: Process subclass (custom __init__ sets name, run), start, join, os.getpid (no __main__ guard: relies on the fork start method)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
import os
from multiprocessing import Process
class MyProcess(Process):
    def __init__(self,name):
        super().__init__()
        self.name=name
    def run(self):
        print(os.getpid())
        print('%s 正在和女主播聊天' %self.name)
p1=MyProcess('wupeiqi')
p2=MyProcess('yuanhao')
p3=MyProcess('nezha')
p1.start()  # start会自动调用run
p2.start()  # p2.run()
p3.start()
p1.join()
p2.join()
p3.join()
print('主线程')
