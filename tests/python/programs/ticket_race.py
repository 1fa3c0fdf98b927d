# The ticket race of course notes 000 (例题 模拟抢票) with one ticket, three buyers
# and an assert in main that fails when the ticket is sold twice. USE_LOCK
# is a top-level constant: the tests run it as is and with the lock.
import time
import json
from multiprocessing import Process, Lock

TICKETS = 1
BUYERS = 3
USE_LOCK = False

def search(person):
    with open("ticket") as f:
        dic = json.load(f)
    time.sleep(0.2)
    print("%s查询余票" % person, dic["count"])

def get_ticket(person):
    with open("ticket") as f:
        dic = json.load(f)
    time.sleep(0.2)
    if dic["count"] > 0:
        print("%s买到票了" % person)
        dic["count"] -= 1
        time.sleep(0.2)
        with open("ticket", "w") as f:
            json.dump(dic, f)
        with open("sold", "a") as f:
            f.write(person + "\n")
    else:
        print("%s没买到票" % person)

def ticket(person, lock):
    search(person)
    if USE_LOCK: lock.acquire()
    get_ticket(person)
    if USE_LOCK: lock.release()

if __name__ == '__main__':
    with open("ticket", "w") as f:
        json.dump({"count": TICKETS}, f)
    open("sold", "w").close()
    lock = Lock()
    ps = []
    for i in range(BUYERS):
        p = Process(target=ticket, args=("person%s" % i, lock))
        p.start()
        ps.append(p)
    for p in ps:
        p.join()
    with open("sold") as f:
        sold = len(f.read().split())
    print("卖出", sold)
    assert sold <= TICKETS, "oversold: %d > %d" % (sold, TICKETS)
