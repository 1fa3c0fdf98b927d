# From course notes 004_7d4f5e917ef1d325.txt — 8，使用多线程实现socket服务端并发 / client端
# Features: socket client, input() (one line); no multiprocessing itself — run against 57_socket_server.py
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 8080 as in the notes)
import os  # forkscope-fix: needed for the FORKSCOPE_PORT environment variable
import socket

sk = socket.socket()
sk.connect(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "8080"))))  # forkscope-fix: port from env (was 8080)
msg = sk.recv(1024).decode('utf-8')
print(msg)
msg2 = input('>>>').encode('utf-8')
sk.send(msg2)
sk.close()
