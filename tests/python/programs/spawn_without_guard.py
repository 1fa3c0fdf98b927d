# Spawn without `if __name__ == '__main__':`: the child, importing the main
# module again, starts a process while bootstrapping: CPython's RuntimeError.
import multiprocessing as mp
def f():
    print("in f")
mp.set_start_method('spawn', force=True)
p = mp.Process(target=f)
p.start()
p.join()
print("exit", p.exitcode)
