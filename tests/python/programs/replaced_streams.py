# A program that replaces sys.stdout and sys.stderr, as programs do: the
# "Logger" tee (terminal and a file), sys.stdout put back from
# sys.__stdout__, sys.stderr sent to a file. Its children must run as under
# python3 (exit codes 0), their output where the program sent it.
import sys
from multiprocessing import Process


class Logger:
    """Writes everything to the terminal and to a file."""

    def __init__(self, filename):
        self.terminal = sys.stdout
        self.log = open(filename, "a")

    def write(self, message):
        self.terminal.write(message)
        self.log.write(message)

    def flush(self):
        self.terminal.flush()
        self.log.flush()


def work(i):
    print("child", i)


def fail():
    raise ValueError("into the file")


def one_by_one(label, target=work):
    codes = []
    for i in range(3):
        p = Process(target=target, args=(i,) if target is work else ())
        p.start()
        p.join()
        codes.append(p.exitcode)
    print(label, codes)


if __name__ == "__main__":
    sys.stdout = Logger("log.txt")
    one_by_one("tee")
    sys.stdout.flush()
    with open("log.txt") as f:
        print("lines in the tee's file:", len(f.read().splitlines()))
    sys.stdout = sys.__stdout__
    one_by_one("sys.__stdout__")
    sys.stderr = open("err.txt", "w")
    one_by_one("sys.stderr to a file")
    one_by_one("failing, sys.stderr to a file", fail)
    sys.stderr.flush()
    with open("err.txt") as f:
        err = f.read()
    print("tracebacks in the file:", err.count("ValueError: into the file"), err.count("Process Process-"))
