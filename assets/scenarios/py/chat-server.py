# From course notes 001_8c62dec115c42d1d.txt — socket基于tcp协议的多进程聊天(异步) server端代码 + client端代码 (tests/python/notes/15_chat_server.py + 16_chat_client.py)
# Features: Process (one child per accepted connection), socket server, the client as a Process of the same program
# forkscope-fix: the notes print these programs flattened onto one line; line breaks and indentation restored (a comment that follows code is kept as a trailing comment)
# forkscope-fix: the two programs of the notes in one file: the client (16) is the function client(), started as a Process before the server's accept loop; its three input() lines are fed from LINES (a child process has no terminal to read from)
# forkscope-fix: the port is PORT (0 = any free port; the notes use 9595) and the server prints where it listens; the endless accept loop serves CLIENTS + OUTSIDE connections (OUTSIDE: clients from outside, e.g. `nc 127.0.0.1 PORT`)
# As in the notes, chat() never leaves its loop: once its client has gone it ends with BrokenPipeError or ConnectionResetError.
import socket
from multiprocessing import Process
PORT = 0  # forkscope-fix: lesson parameter (the notes' 9595; 0 = any free port)
CLIENTS = 1  # forkscope-fix: lesson parameter: client processes of the program
OUTSIDE = 0  # forkscope-fix: lesson parameter: connections from outside the program the server accepts too
LINES = ['hello', '在吗', 'bye']  # forkscope-fix: what the client's input() would read
def chat(conn):
    while True:  # 接收消息,打印消息
        msg = conn.recv(1024).decode('utf-8')
        print(msg)
        conn.send((msg + '_sb').encode('utf-8'))
    conn.close()
def client(port):  # forkscope-fix: the client program (16) as a function, run in its own process
    sk = socket.socket()
    sk.connect(('127.0.0.1', port))  # forkscope-fix: the server's port (was 9595)
    for line in LINES:  # forkscope-fix: bounded (was while True), one round per fed line
        inp = line.encode('utf-8')  # forkscope-fix: fed line (was input('>>>'))
        sk.send(inp)
        msg = sk.recv(1024).decode('utf-8')
        print(msg)
    sk.close()
if __name__ == '__main__':
    sk = socket.socket()
    sk.bind(('127.0.0.1', PORT))  # forkscope-fix: port from PORT (was 9595)
    sk.listen()
    print('server listening on 127.0.0.1:%s' % sk.getsockname()[1])  # forkscope-fix: inserted: say where to connect (nc 127.0.0.1 PORT)
    for _ in range(CLIENTS):  # forkscope-fix: inserted: start the clients
        Process(target=client, args=(sk.getsockname()[1],)).start()
    for _ in range(CLIENTS + OUTSIDE):  # 创建多进程  # forkscope-fix: bounded accept loop (was while True)
        conn, addr = sk.accept()
        Process(target=chat, args=[conn,]).start()
    sk.close()
