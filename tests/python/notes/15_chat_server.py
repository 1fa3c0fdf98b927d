# From course notes 001_8c62dec115c42d1d.txt — socket基于tcp协议的多进程聊天(异步) / server端代码
# Features: Process (one child per accepted connection), socket server; run together with 16_chat_client.py
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 9595 as in the notes); the accept loop serves $FORKSCOPE_CONNS connections (default 1) and then exits
import os  # forkscope-fix: needed for the FORKSCOPE_PORT / FORKSCOPE_CONNS environment variables
import socket
from multiprocessing import Process
def chat(conn):
    while True:  # 接收消息,打印消息
        msg = conn.recv(1024).decode('utf-8')
        print(msg)
        conn.send((msg + '_sb').encode('utf-8'))
    conn.close()
if __name__ == '__main__':
    sk = socket.socket()
    sk.bind(('127.0.0.1', int(os.environ.get("FORKSCOPE_PORT", "9595"))))  # forkscope-fix: port from env (was 9595)
    sk.listen()
    for _ in range(int(os.environ.get("FORKSCOPE_CONNS", "1"))):  # 创建多进程  # forkscope-fix: bounded accept loop (was while True)
        conn, addr = sk.accept()
        Process(target=chat, args=[conn,]).start()
    sk.close()
