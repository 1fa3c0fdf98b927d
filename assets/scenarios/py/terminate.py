# From course notes 003_2112f71c9677a4d1.txt — 7.1 进程对象的其他方法:terminate和is_alive (tests/python/notes/47_terminate_is_alive.py)
# Features: Process subclass (name set before super().__init__, so it is overwritten), terminate, is_alive, time.sleep, random (no __main__ guard: relies on the fork start method)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Process
import time
import random
class Myprocess(Process):
    def __init__(self,person):
        self.name=person
        super().__init__()
    def run(self):
        print('%s正在和网红脸聊天' %self.name)
        time.sleep(random.randrange(1,5))
        print('%s还在和网红脸聊天' %self.name)
p1=Myprocess('哪吒')
p1.start()
p1.terminate()#关闭进程,不会立即关闭,所以is_alive立刻查看的结果可能还是存活
print(p1.is_alive())  #结果为True
print('开始')
print(p1.is_alive())  #结果为False
