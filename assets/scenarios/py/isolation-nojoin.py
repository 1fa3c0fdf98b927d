# From course notes 003_2112f71c9677a4d1.txt — 4.8 进程之间的数据隔离问题 (tests/python/notes/42_data_isolation.py)
# Features: Process, global variable changed only in the child (no join)
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
from multiprocessing import Process
def work():
    global n
    n=0
    print('子进程内: ',n)
if __name__ == '__main__':
    n = 100
    p=Process(target=work)
    p.start()
    print('主进程内: ',n)
