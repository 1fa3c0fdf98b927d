# Calling a method a manager's object does not expose is the manager's
# error, sent back as a RemoteError with its traceback.
from multiprocessing import Manager
from multiprocessing.managers import RemoteError

if __name__ == "__main__":
    with Manager() as m:
        d = m.dict()
        try:
            d._callmethod("no_such_method")
        except RemoteError as e:
            text = str(e)
            print("RemoteError", "AttributeError: method 'no_such_method'" in text, "not in exposed" in text)
        except Exception as e:
            print("not a RemoteError:", type(e).__name__, e)
        d["k"] = 1
        print(dict(d))
