# A Listener and a Client of multiprocessing.connection (TCP, with an
# authkey): the child connects, sends a list, gets the server's answer.
from multiprocessing import Process
from multiprocessing.connection import Client, Listener


def client(address):
    with Client(address, authkey=b"secret") as conn:
        conn.send(["hello", 1, 2.5])
        print("client got", conn.recv())


if __name__ == "__main__":
    with Listener(("127.0.0.1", 0), authkey=b"secret") as listener:
        p = Process(target=client, args=(listener.address,))
        p.start()
        with listener.accept() as conn:
            print("server got", conn.recv())
            conn.send("bye")
        p.join()
    print("exitcode", p.exitcode)
