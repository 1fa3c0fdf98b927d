# A child (Process with fork, os.fork) starts in its parent's working
# directory, also after the parent's os.chdir.
import os
from multiprocessing import Process


def child():
    print("Process child in", os.path.basename(os.getcwd()), "sees", sorted(os.listdir(".")))


if __name__ == "__main__":
    os.makedirs("work", exist_ok=True)
    os.chdir("work")
    with open("made-by-main.txt", "w") as f:
        f.write("hi\n")
    print("main in", os.path.basename(os.getcwd()))
    p = Process(target=child)
    p.start()
    p.join()
    pid = os.fork()
    if pid == 0:
        print("os.fork child in", os.path.basename(os.getcwd()))
        os._exit(0)
    os.waitpid(pid, 0)
