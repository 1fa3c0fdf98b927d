# input() in main reads the run's standard input (--input, or stdin); in a
# child, whose stdin CPython closes, it raises EOFError; at the end of input
# main gets EOFError too.
from multiprocessing import Process
def child():
    try:
        x = input("child> ")
        print("child got", x)
    except EOFError as e:
        print("child EOFError:", e)
name = input("name? ")
print("hello", name)
p = Process(target=child); p.start(); p.join()
try:
    input()
except EOFError as e:
    print("EOFError:", e)
