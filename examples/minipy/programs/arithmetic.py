# Integers, floats and their operators, with Python's formatting.
a = 17
b = 5
print(a + b, a - b, a * b, a / b, a // b, a % b, a ** 2)
print(-a // b, -a % b, a // -b, a % -b)
print(2 ** 62, -2 ** 3, (-2) ** 3, 2 ** -1)
x = 1.5
print(x * 2, x / 4, 7.0 // 2, 7.5 % 2, 1e16, 1.5e-7, 123456789.0, 0.1 * 3)
print(10 / 4, 10 / 5, 1 / 3, 2 / 3, float(7), int(7.9), int(-7.9), int("42"), float("2.5"))
print(abs(-3), abs(-2.5), round(2.5), round(3.5), round(2.675, 2), min(3, 1, 2), max([4, 9, 2]))
print(sum([1, 2, 3]), sum([0.5, 0.25]), 7 & 3, 7 | 8, 7 ^ 2, 1 << 10, 1024 >> 3, ~5)
print(1 < 2 < 3, 3 < 2 < 1, 1 == 1.0, 2 != 2, 3 >= 3.0, True + True, True * 10)
print(not 0, not 1, 0 or 5, 3 and 4, None or "default", 0 and "never")
print(isinstance(3, int), isinstance(True, int), isinstance(3.0, int), isinstance(3.0, (int, float)))
n = 0
i = 0
while i < 100:
    i += 1
    if i % 3 == 0:
        continue
    if i > 50:
        break
    n += i
print("sum of non-multiples of 3 up to 50:", n)
def fib(k):
    if k < 2:
        return k
    return fib(k - 1) + fib(k - 2)
print([fib(k) for k in range(15)])
print(f"{a} / {b} = {a / b:.3f}", f"{255:x}", f"{7:04d}", f"{3.14159:8.2f}|", f"{'left':<6}|{'right':>7}|")
print("%d items cost %.2f (%s)" % (3, 9.5, "ok"), str(12) + "!", repr(1.0), 10 ** 15 * 1.0)
