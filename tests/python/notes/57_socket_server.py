# From course notes 004_7d4f5e917ef1d325.txt — 8，使用多线程实现socket服务端并发 / server端
# Features: Process (one child per accepted connection), socket server, try/finally; run together with 56_socket_client.py
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 8080 as in the notes); the accept loop serves $FORKSCOPE_CONNS connections (default 1) and then exits
import os  # forkscope-fix: needed for the FORKSCOPE_PORT / FORKSCOPE_CONNS environment variables
import socket
from multiprocessing import Process
def serve(conn):
    ret = '你好'.encode('utf-8')
    conn.send(ret)
    msg = conn.recv(1024).decode('utf-8')
    print(msg)
    conn.close()

if __name__ == '__main__' :
    sk = socket.socket()
    sk.bind(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "8080"))))  # forkscope-fix: port from env (was 8080)
    sk.listen()
    try:
        for _ in range(int(os.environ.get("FORKSCOPE_CONNS", "1"))):  # forkscope-fix: bounded accept loop (was while True)
            conn,addr = sk.accept()
            p = Process(target=serve,args=(conn,))
            p.start()
    finally:
        sk.close()
