# Two withdrawals from one shared balance, without its lock: each reads the
# balance, then writes it back less 100. Stepped so that both read before
# either writes, one withdrawal is lost (docs/pictures.sh draws that moment).
from multiprocessing import Process, Value


def withdraw(balance):
    old = balance.value
    balance.value = old - 100


if __name__ == "__main__":
    balance = Value("i", 1000)
    ps = [Process(target=withdraw, args=(balance,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("balance", balance.value)
