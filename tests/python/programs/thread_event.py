# A thread of main waits on an Event a child sets, while main waits on
# another that the thread sets: both lines, as under CPython (a process with
# one blocked op at a time would call it a deadlock).
import threading, multiprocessing as mp
def child(e): e.set()
if __name__ == "__main__":
    a, b = mp.Event(), mp.Event()
    t = threading.Thread(target=lambda: (a.wait(), print("thread saw a"), b.set()))
    t.start()
    p = mp.Process(target=child, args=(a,)); p.start()
    b.wait(); print("main saw b"); p.join(); t.join()
