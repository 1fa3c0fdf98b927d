# From course notes 003_2112f71c9677a4d1.txt — 6.2 使用多进程实现socket聊天并发-client端
# Features: socket client (from socket import *), input(); no multiprocessing itself — run against 45_chat_server_upper.py
# forkscope-fix: the notes print this program flattened and re-wrapped at ~80 columns; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
# forkscope-fix: port comes from $FORKSCOPE_PORT (default 8080 as in the notes); the loop runs 3 rounds (3 lines on stdin) instead of forever
import os  # forkscope-fix: needed for the FORKSCOPE_PORT environment variable
from socket import *
client=socket(AF_INET,SOCK_STREAM)
client.connect(('127.0.0.1',int(os.environ.get("FORKSCOPE_PORT", "8080"))))  # forkscope-fix: port from env (was 8080)
for _ in range(3):  # forkscope-fix: bounded (was while True); feed 3 lines on stdin
    msg=input('>>: ').strip()
    if not msg:continue
    client.send(msg.encode('utf-8'))
    msg=client.recv(1024)
    print(msg.decode('utf-8'))
