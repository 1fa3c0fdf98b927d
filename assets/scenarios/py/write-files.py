# From course notes 004_7d4f5e917ef1d325.txt — 3，开启多个子线程 (tests/python/notes/51_write_files.py)
# Features: Process, join all, file I/O (writes info0..info9), os.walk (of a Windows path)
import os
import time
from multiprocessing import Process
FILES = 10  # forkscope-fix: lesson parameter (the notes write 10 files: range(10))

def func(filename,content):
    with open(filename,'w') as f:
        f.write(content*10*'*')

if __name__ == '__main__':
    p_lst = []
    for i in range(FILES):
        p = Process(target=func,args=('info%s'%i,0))
        p_lst.append(p)
        p.start()
    for p in p_lst:p.join()   # 之前的所有进程必须在这里都执行完才能执行下面的代码
    print([i for i in os.walk(r'E:\python10\day37')])

# 同步 0.1 * 500  = 50
# 异步 500 0.1    = 0.1
# 多进程写文件
# 首先往文件夹中写文件
# 向用户展示写入文件之后文件夹中所有的文件名
