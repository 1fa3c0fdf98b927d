# Asks for a password twice with getpass: the lines are read as input()
# reads them, and shown nowhere.
import getpass

pw = getpass.getpass()
print("got", len(pw), "characters")
again = getpass.getpass("Again: ")
print("the same" if again == pw else "different")
