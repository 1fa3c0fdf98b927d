# Sockets as CPython has them: a server, its client in a child process, the
# accepted connection handed to another child (inherited through fork), and
# CPython's exceptions and messages. Run with python3 and under forkscope:
# the same lines, in the same order.
import socket
from multiprocessing import Process


def handler(conn):
    # The connection its parent accepted: this process holds it too.
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.sendall(data.upper())
    conn.close()


def client(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
        c.connect(('127.0.0.1', port))
        for word in ['hello', '你好 bye']:
            c.send(word.encode('utf-8'))
            print('client got', c.recv(1024).decode('utf-8'))
        c.shutdown(socket.SHUT_WR)
        print('client end', c.recv(1024))


def lines_client(port):
    with socket.create_connection(('127.0.0.1', port)) as c:
        c.sendall('line one\nline two\n'.encode('utf-8'))


if __name__ == '__main__':
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    free = probe.getsockname()[1]
    probe.close()
    try:
        socket.socket().connect(('127.0.0.1', free))
    except ConnectionRefusedError as e:
        print('refused:', e)
    with socket.socket() as srv:
        print(repr(srv).split(' fd=')[0], type(srv).__name__, isinstance(srv, socket.socket))
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(('127.0.0.1', 0))
        srv.listen(5)
        port = srv.getsockname()[1]
        other = socket.socket()
        try:
            other.bind(('127.0.0.1', port))
        except OSError as e:
            print('second bind:', e)
        other.close()
        c = Process(target=client, args=(port,))
        c.start()
        conn, addr = srv.accept()
        try:
            conn.send('text')
        except TypeError as e:
            print('send str:', e)
        h = Process(target=handler, args=(conn,))
        h.start()
        conn.close()
        c.join()
        h.join()
        print('accepted from', addr[0], conn.fileno(), c.exitcode, h.exitcode)
        srv.settimeout(0.2)
        try:
            srv.accept()
        except socket.timeout as e:
            print('timeout:', type(e).__name__, e)
        srv.setblocking(False)
        try:
            srv.accept()
        except BlockingIOError as e:
            print('non-blocking:', e)
        try:
            conn.recv(10)
        except OSError as e:
            print('closed:', e)
    print('after with:', srv.fileno())
    # A full backlog: a connection stays under way (blocked in connect)
    # until its timeout.
    with socket.socket() as full:
        full.bind(('127.0.0.1', 0))
        full.listen(0)
        first = socket.socket()
        first.connect(full.getsockname())
        late = socket.socket()
        late.settimeout(0.3)
        try:
            late.connect(full.getsockname())
        except socket.timeout as e:
            print('late connect:', e)
        first.close()
        late.close()
    # makefile() reads through recv_into.
    with socket.create_server(('127.0.0.1', 0)) as s2:
        p = Process(target=lines_client, args=(s2.getsockname()[1],))
        p.start()
        conn, _ = s2.accept()
        with conn, conn.makefile('r') as f:
            for line in f:
                print('read', line.rstrip())
        p.join()
