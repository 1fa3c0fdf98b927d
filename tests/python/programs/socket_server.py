# A server for a client from outside the run (the test's own TcpStream, or
# `nc 127.0.0.1 PORT`): a process per connection, answering in upper case.
import os
import socket
from multiprocessing import Process


def talk(conn):
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.sendall(data.upper())
    conn.close()


if __name__ == '__main__':
    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(('127.0.0.1', int(os.environ['FORKSCOPE_PORT'])))
        srv.listen()
        conn, addr = srv.accept()
        p = Process(target=talk, args=(conn,))
        p.start()
        conn.close()
        p.join()
    print('served', addr[0])
