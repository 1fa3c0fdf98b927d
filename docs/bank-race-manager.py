# Two withdrawals from one balance kept in a Manager's dict, without a lock:
# each reads the balance through the proxy, then writes it back less 100.
# When both read before either writes, one withdrawal is lost: python3
# nearly always prints 800; `forkscope explore docs/bank-race-manager.py
# --all` finds the schedule that fails the assert.
from multiprocessing import Manager, Process


def withdraw(account):
    old = account["balance"]
    account["balance"] = old - 100


if __name__ == "__main__":
    with Manager() as manager:
        account = manager.dict(balance=1000)
        ps = [Process(target=withdraw, args=(account,)) for _ in range(2)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        print("balance", account["balance"])
        assert account["balance"] == 800, "a withdrawal was lost"
