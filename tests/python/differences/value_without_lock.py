# Value/Array with lock=False and the Raw* objects are the raw shared
# objects: no get_lock, and their own repr.
import re
from multiprocessing import Array, RawArray, RawValue, Value

for name, obj in [("Value", Value("i", 5)), ("Value lock=False", Value("i", 5, lock=False)), ("RawValue", RawValue("d", 1.5)),
                  ("Array", Array("i", 3)), ("Array lock=False", Array("i", 3, lock=False)), ("RawArray", RawArray("i", [1, 2]))]:
    print(name, "get_lock" if hasattr(obj, "get_lock") else "no get_lock", "get_obj" if hasattr(obj, "get_obj") else "no get_obj")
print(repr(Value("i", 5)), repr(Value("i", 5, lock=False)), repr(RawValue("d", 1.5)))
print(re.sub(r"0x[0-9a-f]+", "ADDRESS", repr(Array("i", [1, 2]))), re.sub(r"0x[0-9a-f]+", "ADDRESS", repr(RawArray("d", 2))))
v = Value("i", 1, lock=False)
v.value += 1
print(v.value)
