# From course notes 003_2112f71c9677a4d1.txt — 6.1 使用多进程实现socket聊天并发-server端
# Features: Process (one child per accepted connection), socket server (from socket import *, SO_REUSEADDR); run together with 46_chat_client_upper.py
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 8080 as in the notes); the accept loop serves $FORKSCOPE_CONNS connections (default 1) and then exits
import os  # forkscope-fix: needed for the FORKSCOPE_PORT / FORKSCOPE_CONNS environment variables
from socket import *
from multiprocessing import Process
server=socket(AF_INET,SOCK_STREAM)
server.setsockopt(SOL_SOCKET,SO_REUSEADDR,1)
server.bind(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "8080"))))  # forkscope-fix: port from env (was 8080)
server.listen(5)
def talk(conn,client_addr):
    while True:
        try:
            msg=conn.recv(1024)
            if not msg:break
            conn.send(msg.upper())
        except Exception:
            break
if __name__ == '__main__':  # windows下start进程一定要写到这下面
    for _ in range(int(os.environ.get("FORKSCOPE_CONNS", "1"))):  # forkscope-fix: bounded accept loop (was while True)
        conn,client_addr=server.accept()
        p=Process(target=talk,args=(conn,client_addr))
        p.start()
