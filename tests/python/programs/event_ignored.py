# A light that toggles an Event for ever (a daemon), a car that waits for
# it, and main, which joins the car and then fails. The light's loop comes
# back to where it was while the car, able to step, has not taken its
# step: explore cuts that run as a cycle, and must still try the car
# there (a process no step of the cycle races with), or it never reaches
# main's assert and calls the program verified (the ignoring problem).
from multiprocessing import Process, Event


def light(e):
    while True:
        if e.is_set():
            e.clear()
        else:
            e.set()


def car(e):
    e.wait()


if __name__ == '__main__':
    e = Event()
    l = Process(target=light, args=(e,))
    l.daemon = True
    l.start()
    c = Process(target=car, args=(e,))
    c.start()
    c.join()
    assert False, "the car passed"
