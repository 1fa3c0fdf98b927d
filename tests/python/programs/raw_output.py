# Output that does not pass through print(): the real file descriptors 1
# and 2 (os.write, a subprocess, os.system), sys.stdout.buffer, and a
# reconfigured sys.stdout. Everything shows, in the order written.
import io
import os
import subprocess
import sys
from multiprocessing import Process


def child():
    os.write(1, b"the child's os.write\n")
    print("the child's print")


if __name__ == "__main__":
    print("print first")
    os.write(1, b"os.write to fd 1\n")
    subprocess.run(["echo", "from a subprocess"])
    os.system("echo from os.system")
    subprocess.run([sys.executable, "-c", "print('from a Python subprocess')"])
    os.write(2, b"os.write to fd 2\n")
    sys.stdout.buffer.write("bytes through sys.stdout.buffer: caf".encode())
    sys.stdout.buffer.write("é".encode()[:1])
    sys.stdout.buffer.write("é".encode()[1:] + b"\n")
    sys.stdout.flush()
    sys.stdout.reconfigure(line_buffering=True)
    print("after reconfigure:", sys.stdout.line_buffering, sys.stdout.encoding)
    sys.stdout.reconfigure(encoding="ascii", errors="replace")
    print("ascii with replace:", "café")
    sys.stdout.reconfigure(encoding="utf-8", errors="strict")
    try:
        sys.stdout.reconfigure(encoding="no-such-codec")
    except LookupError as e:
        print("LookupError:", e)
    print("fileno:", sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.buffer.fileno())
    subprocess.run(["echo", "a subprocess given sys.stdout"], stdout=sys.stdout)
    p = Process(target=child)
    p.start()
    p.join()
    # More than a pipe holds (one line of 200,000 characters to fd 2), while
    # the program prints nothing: the subprocess must not wait for it.
    subprocess.run(["sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x >&2; echo >&2"])
    print("last line")
    # The idiom that re-wraps the binary stream (as on Windows, for UTF-8).
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    print("through a TextIOWrapper of sys.stdout.buffer: ü")
