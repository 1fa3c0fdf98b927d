# From course notes 000_a5d265e6fdb2efb6.txt — 多并发的tcp服务端 (tests/python/notes/01_tcp_server.py + 02_tcp_client.py)
# Features: Process (one child per accepted connection), socket server, the client as a Process of the same program
# forkscope-fix: the two programs of the notes in one file: the client (02) is the function client(), started as a Process before the server's accept loop; its three input() lines are fed from LINES (a child process has no terminal to read from)
# forkscope-fix: the port is PORT (0 = any free port; the notes use 9001) and the server prints where it listens; the endless accept loop serves CLIENTS + OUTSIDE connections (OUTSIDE: clients from outside, e.g. `nc 127.0.0.1 PORT`)
# As in the notes, communicate() never leaves its loop: once its client has gone it ends with BrokenPipeError or ConnectionResetError.
import socket
from multiprocessing import Process
PORT = 0  # forkscope-fix: lesson parameter (the notes' 9001; 0 = any free port)
CLIENTS = 1  # forkscope-fix: lesson parameter: client processes of the program
OUTSIDE = 0  # forkscope-fix: lesson parameter: connections from outside the program the server accepts too
LINES = ['hi', '你好', 'bye']  # forkscope-fix: what the client's input() would read
def communicate(conn):
    while True:
        conn.send("hello".encode("utf-8"))
        print(conn.recv(1024))
def client(port):  # forkscope-fix: the client program (02) as a function, run in its own process
    sk = socket.socket()
    sk.connect(('127.0.0.1',port))  # forkscope-fix: typographic quotes -> ASCII; the server's port (was 9001)
    for line in LINES:  # forkscope-fix: bounded (was while True), one round per fed line
        print(sk.recv(1024))
        mv = line.strip()  # forkscope-fix: fed line (was input(">>>>>>>>>>:").strip())
        sk.send(mv.encode("utf-8"))
if __name__ == '__main__':  # forkscope-fix: typographic quotes -> ASCII
    sk = socket.socket()
    sk.bind(('127.0.0.1',PORT))  # forkscope-fix: typographic quotes -> ASCII; port from PORT (was 9001)
    sk.listen()
    print('server listening on 127.0.0.1:%s' % sk.getsockname()[1])  # forkscope-fix: inserted: say where to connect (nc 127.0.0.1 PORT)
    for _ in range(CLIENTS):  # forkscope-fix: inserted: start the clients
        Process(target=client,args=(sk.getsockname()[1],)).start()
    for _ in range(CLIENTS + OUTSIDE):  # forkscope-fix: bounded accept loop (was while True)
        conn,addr = sk.accept()
        Process(target=communicate,args=(conn,)).start()
