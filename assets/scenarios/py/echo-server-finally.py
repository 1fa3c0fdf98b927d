# From course notes 004_7d4f5e917ef1d325.txt — 8,使用多线程实现socket服务端并发 server端 + client端 (tests/python/notes/57_socket_server.py + 56_socket_client.py)
# Features: Process (one child per accepted connection), socket server, try/finally, the client as a Process of the same program
# forkscope-fix: the two programs of the notes in one file: the client (56) is the function client(), started as a Process before the server's accept loop; its input() line is fed from LINE (a child process has no terminal to read from)
# forkscope-fix: the port is PORT (0 = any free port; the notes use 8080) and the server prints where it listens; the endless accept loop serves CLIENTS + OUTSIDE connections (OUTSIDE: clients from outside, e.g. `nc 127.0.0.1 PORT`)
import socket
from multiprocessing import Process
PORT = 0  # forkscope-fix: lesson parameter (the notes' 8080; 0 = any free port)
CLIENTS = 1  # forkscope-fix: lesson parameter: client processes of the program
OUTSIDE = 0  # forkscope-fix: lesson parameter: connections from outside the program the server accepts too
LINE = '我是客户端'  # forkscope-fix: what the client's input() would read
def serve(conn):
    ret = '你好'.encode('utf-8')
    conn.send(ret)
    msg = conn.recv(1024).decode('utf-8')
    print(msg)
    conn.close()

def client(port):  # forkscope-fix: the client program (56) as a function, run in its own process
    sk = socket.socket()
    sk.connect(('127.0.0.1',port))  # forkscope-fix: the server's port (was 8080)
    msg = sk.recv(1024).decode('utf-8')
    print(msg)
    msg2 = LINE.encode('utf-8')  # forkscope-fix: fed line (was input('>>>'))
    sk.send(msg2)
    sk.close()

if __name__ == '__main__' :
    sk = socket.socket()
    sk.bind(('127.0.0.1',PORT))  # forkscope-fix: port from PORT (was 8080)
    sk.listen()
    print('server listening on 127.0.0.1:%s' % sk.getsockname()[1])  # forkscope-fix: inserted: say where to connect (nc 127.0.0.1 PORT)
    for _ in range(CLIENTS):  # forkscope-fix: inserted: start the clients
        Process(target=client,args=(sk.getsockname()[1],)).start()
    try:
        for _ in range(CLIENTS + OUTSIDE):  # forkscope-fix: bounded accept loop (was while True)
            conn,addr = sk.accept()
            p = Process(target=serve,args=(conn,))
            p.start()
    finally:
        sk.close()
