# The pitfall's fix (get, then join), with data no run-wide cap may stop:
# 200,000 ints, a 50 MB item, a JoinableQueue's big items, close/join_thread.
from multiprocessing import JoinableQueue, Process, Queue


def produce(q, jq):
    for i in range(200_000):
        q.put(i)
    q.put(b"x" * 50_000_000)
    for i in range(3):
        jq.put(str(i) * 100_000)
    q.close()
    q.join_thread()
    print("producer done")


if __name__ == '__main__':
    q, jq = Queue(), JoinableQueue()
    p = Process(target=produce, args=(q, jq))
    p.start()
    total = sum(q.get() for _ in range(200_000))
    big = q.get()
    print(total, len(big))
    for _ in range(3):
        item = jq.get()
        print(item[0], len(item))
        jq.task_done()
    jq.join()
    p.join()
    print("exitcode", p.exitcode, "empty", q.empty())
