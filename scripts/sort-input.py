# Text for the sort runs (tests/e2e/run-sort.sh, bench/programs.sh): LINES
# lines of eight words and a number, the same for the same LINES.
#   python3 scripts/sort-input.py FILE LINES
import random
import sys

r = random.Random(7)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(" ".join(r.choice(words) for _ in range(8)) + " %d\n" % r.randrange(10**9))
