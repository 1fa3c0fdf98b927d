# A SharedMemoryManager: ValueError before start; its SharedMemory and
# ShareableList blocks are real shared memory a child changes; its manager
# ignores SIGINT; shutdown() and the end of with unlink every block.
import multiprocessing, os, signal
from multiprocessing import shared_memory
from multiprocessing.managers import SharedMemoryManager

def work(name):
    sl = shared_memory.ShareableList(name=name)
    sl[0] = sl[0] * 10
    sl.shm.close()

if __name__ == '__main__':
    smm = SharedMemoryManager()
    try:
        smm.SharedMemory(size=9)
    except ValueError as e:
        print('before start:', type(e).__name__)
    smm.start()
    sl = smm.ShareableList([1, 2, 3])
    shm = smm.SharedMemory(size=64)
    p = multiprocessing.Process(target=work, args=(sl.shm.name,))
    p.start(); p.join()
    print('list after the child:', list(sl))
    os.kill(smm._process.pid, signal.SIGINT)
    sl2 = smm.ShareableList(range(3))
    print('after SIGINT to the manager:', list(sl2))
    names = [sl.shm.name, shm.name, sl2.shm.name]
    sl.shm.close(); shm.close(); sl2.shm.close()
    smm.shutdown()
    for n in names:
        try:
            shared_memory.SharedMemory(name=n)
            print('still there')
        except FileNotFoundError:
            print('gone after shutdown')
    with SharedMemoryManager() as smm2:
        s3 = smm2.ShareableList('howdy')
        held = s3.shm.name
        s3.shm.close()
    try:
        shared_memory.ShareableList(name=held)
    except FileNotFoundError:
        print('with: gone')
