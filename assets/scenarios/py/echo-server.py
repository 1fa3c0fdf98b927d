# From course notes 003_2112f71c9677a4d1.txt — 6.1/6.2 使用多进程实现socket聊天并发 server端 + client端 (tests/python/notes/45_chat_server_upper.py + 46_chat_client_upper.py)
# Features: Process (one child per accepted connection), socket server (from socket import *, SO_REUSEADDR), the client as a Process of the same program
# forkscope-fix: the two programs of the notes in one file: the client (46) is the function client(), started as a Process before the server's accept loop; its three input() lines are fed from LINES (a child process has no terminal to read from)
# forkscope-fix: the port is PORT (0 = any free port; the notes use 8080) and the server prints where it listens; the endless accept loop serves CLIENTS + OUTSIDE connections (OUTSIDE: clients from outside, e.g. `nc 127.0.0.1 PORT`)
from socket import *
from multiprocessing import Process
PORT = 0  # forkscope-fix: lesson parameter (the notes' 8080; 0 = any free port)
CLIENTS = 1  # forkscope-fix: lesson parameter: client processes of the program
OUTSIDE = 0  # forkscope-fix: lesson parameter: connections from outside the program the server accepts too
LINES = ['hello', 'how are you', 'bye']  # forkscope-fix: what the client's input() would read
server=socket(AF_INET,SOCK_STREAM)
server.setsockopt(SOL_SOCKET,SO_REUSEADDR,1)
server.bind(('127.0.0.1',PORT))  # forkscope-fix: port from PORT (was 8080)
server.listen(5)
def talk(conn,client_addr):
    while True:
        try:
            msg=conn.recv(1024)
            if not msg:break
            conn.send(msg.upper())
        except Exception:
            break
def client(port):  # forkscope-fix: the client program (46) as a function, run in its own process
    client=socket(AF_INET,SOCK_STREAM)
    client.connect(('127.0.0.1',port))  # forkscope-fix: the server's port (was 8080)
    for line in LINES:  # forkscope-fix: bounded (was while True), one round per fed line
        msg=line.strip()  # forkscope-fix: fed line (was input('>>: ').strip())
        if not msg:continue
        client.send(msg.encode('utf-8'))
        msg=client.recv(1024)
        print(msg.decode('utf-8'))
if __name__ == '__main__':  # windows下start进程一定要写到这下面
    print('server listening on 127.0.0.1:%s' % server.getsockname()[1])  # forkscope-fix: inserted: say where to connect (nc 127.0.0.1 PORT)
    for _ in range(CLIENTS):  # forkscope-fix: inserted: start the clients
        Process(target=client,args=(server.getsockname()[1],)).start()
    for _ in range(CLIENTS + OUTSIDE):  # forkscope-fix: bounded accept loop (was while True)
        conn,client_addr=server.accept()
        p=Process(target=talk,args=(conn,client_addr))
        p.start()
