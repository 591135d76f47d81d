# The program of `make demo` (and of tests/e2e/run-python.sh and
# bench/programs.sh): ordinary Python that knows nothing of uswap.
# With no argument it builds about 140 MB of lists, dicts and strings
# (argument: the number of strings, 500000), reads them all back into a
# digest, and prints it (the same with or without uswap).
import hashlib
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
words = [("w%d-" % i) * 6 for i in range(n)]
table = {i: [words[i], i * 7, str(i * 13)] for i in range(0, n, 2)}
h = hashlib.sha256()
for i in range(0, n, 2):
    w, a, b = table[i]
    h.update(w.encode()); h.update(b.encode()); h.update(str(a).encode())
for w in words[1::2]:
    h.update(w.encode())
print("digest", h.hexdigest()[:32], "over", len(words), "strings and", len(table), "dict entries")
