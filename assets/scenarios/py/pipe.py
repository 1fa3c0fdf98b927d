# 管道 Pipe — two ends, and EOFError once the other end is closed. The classic Pipe example of the course
# (the notes only name 管道); here the child also answers each message, as a Pipe is two-way.
# Features: Process, Pipe (send/recv/close both ways), EOFError, join
from multiprocessing import Process, Pipe
CLOSE_UNUSED = True  # lesson parameter: the child closes its copy of parent_conn first
def f(parent_conn, child_conn):
    if CLOSE_UNUSED:
        parent_conn.close()   # 不写close将不会引发EOFError
    while True:
        try:
            msg = child_conn.recv()
            print('子进程收到:', msg)
            child_conn.send('子进程回复: %s' % msg)
        except EOFError:
            print('子进程: EOFError,管道的另一端已经关闭')
            child_conn.close()
            break
if __name__ == '__main__':
    parent_conn, child_conn = Pipe()
    p = Process(target=f, args=(parent_conn, child_conn,))
    p.start()
    child_conn.close()          # 主进程不用 child_conn
    for msg in ['hello', '你好', '再见']:
        parent_conn.send(msg)
        print('主进程收到:', parent_conn.recv())
    parent_conn.close()         # 发完了:关闭
    p.join()
    print('主进程结束')
