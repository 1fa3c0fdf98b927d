# Reads a line of many megabytes, an empty line, a short one, then meets the
# end of input.
first = input()
empty = input()
second = input()
print(len(first), first[:3], first[-3:], repr(empty), second)
try:
    input()
except EOFError as e:
    print("EOFError:", e)
