# A spawned child reports the start method it was started with, and starts
# in its parent's working directory.
import multiprocessing as mp
import os


def child():
    print("child:", mp.get_start_method(), os.path.basename(os.getcwd()))


if __name__ == "__main__":
    mp.set_start_method("spawn")
    os.makedirs("spawned-here", exist_ok=True)
    os.chdir("spawned-here")
    p = mp.Process(target=child)
    p.start()
    p.join()
    print("main:", mp.get_start_method())
