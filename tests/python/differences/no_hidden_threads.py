# A process that writes only through print() runs one thread, as in CPython:
# the capture of its descriptors 1 and 2 starts no thread until something
# arrives there.
import multiprocessing
import sys
import threading


def child(q):
    print('child prints')
    q.put((len(sys._current_frames()), threading.active_count()))


if __name__ == '__main__':
    multiprocessing.set_start_method('fork', force=True)
    print('main threads:', len(sys._current_frames()), threading.active_count())
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=child, args=(q,))
    p.start()
    print('child threads:', q.get())
    p.join()
    print('exitcode', p.exitcode)
