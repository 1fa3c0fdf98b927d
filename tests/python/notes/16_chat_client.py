# From course notes 001_8c62dec115c42d1d.txt — socket基于tcp协议的多进程聊天(异步) / client端代码
# Features: socket client, input(); no multiprocessing itself — run against 15_chat_server.py
# forkscope-fix: the notes print this program flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 9595 as in the notes); the loop runs 3 rounds (3 non-empty lines on stdin) instead of forever
import os  # forkscope-fix: needed for the FORKSCOPE_PORT environment variable
import socket
sk = socket.socket()
sk.connect(('127.0.0.1', int(os.environ.get("FORKSCOPE_PORT", "9595"))))  # forkscope-fix: port from env (was 9595)
for _ in range(3):  # forkscope-fix: bounded (was while True); feed 3 lines on stdin
    inp = input('>>>').encode('utf-8')
    sk.send(inp)
    msg = sk.recv(1024).decode('utf-8')
    print(msg)
sk.close()
