# From course notes 000_a5d265e6fdb2efb6.txt — 多并发的tcp服务端 (client)
# Features: socket client, input(); no multiprocessing itself — run against 01_tcp_server.py
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 9001 as in the notes); the loop runs 3 rounds (3 lines on stdin) instead of forever
import os  # forkscope-fix: needed for the FORKSCOPE_PORT environment variable
import socket
sk = socket.socket()
sk.connect(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "9001"))))  # forkscope-fix: typographic quotes -> ASCII; port from env (was 9001)
for _ in range(3):  # forkscope-fix: bounded (was while True); feed 3 lines on stdin
    print(sk.recv(1024))
    mv = input(">>>>>>>>>>:").strip()
    sk.send(mv.encode("utf-8"))  # forkscope-fix: split off glued prose "进程是操作系统中最小的资源分配单位"
