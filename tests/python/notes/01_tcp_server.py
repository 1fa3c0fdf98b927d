# From course notes 000_a5d265e6fdb2efb6.txt — 多并发的tcp服务端
# Features: Process (one child per accepted connection), socket server; run together with 02_tcp_client.py
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 9001 as in the notes); the accept loop serves $FORKSCOPE_CONNS connections (default 1) and then exits
import os  # forkscope-fix: needed for the FORKSCOPE_PORT / FORKSCOPE_CONNS environment variables
import socket
from multiprocessing import Process
def communicate(conn):
    while True:
        conn.send("hello".encode("utf-8"))
        print(conn.recv(1024))
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    sk = socket.socket()
    sk.bind(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "9001"))))  # forkscope-fix: typographic quotes -> ASCII; port from env (was 9001)
    sk.listen()
    for _ in range(int(os.environ.get("FORKSCOPE_CONNS", "1"))):  # forkscope-fix: bounded accept loop (was while True)
        conn,addr = sk.accept()
        Process(target=communicate,args=(conn,)).start()  # forkscope-fix: split off the client program glued to this line
