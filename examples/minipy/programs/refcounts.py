# sys.getrefcount and immortality, as CPython 3.14 answers them.
# refcounts.out is CPython 3.14's output, edited by hand from 3.11's:
# 3.11 prints the real (large, changing) counts of None, True, 5 and (),
# 3.14 prints 3221225472 (3 << 30) for every static immortal, and 3.11
# has no sys._is_immortal (added in 3.14).
import sys

x = []
print(sys.getrefcount(x))
y = x
print(sys.getrefcount(x))
holder = [x, x]
print(sys.getrefcount(x))
del y
del holder
print(sys.getrefcount(x))
big = 1000 + int("1")
print(sys.getrefcount(big))
print(sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(5), sys.getrefcount(()))
print(sys._is_immortal(None), sys._is_immortal(256), sys._is_immortal(257 + int("0")), sys._is_immortal(x))
