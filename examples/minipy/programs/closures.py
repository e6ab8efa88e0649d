# Functions, closures, nonlocal and global.
counter_total = 0

def make_counter(start):
    count = start
    def inc(step=1):
        nonlocal count
        count += step
        return count
    return inc

c1 = make_counter(10)
c2 = make_counter(100)
print(c1(), c1(), c1(5), c2())

def bump():
    global counter_total
    counter_total += 1

for _ in range(3):
    bump()
print("global", counter_total)

def adder(n):
    return lambda x: x + n

add5 = adder(5)
print(add5(1), [adder(2)(v) for v in [1, 2, 3]], (lambda: "no args")())

def outer():
    x = "outer"
    def middle():
        def inner():
            return x
        return inner()
    return middle()
print(outer())

def apply(f, *args):
    return f(args[0], args[1]) if len(args) == 2 else None

print(apply(lambda a, b: a * b, 6, 7))

def defaults(a, b=2, c=3):
    return a, b, c
print(defaults(1), defaults(1, c=9), defaults(a=0, b=0))

funcs = []
for i in range(3):
    funcs.append(lambda i=i: i * 10)
print([f() for f in funcs])

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)
print(fact(20))

def gen_squares(n):
    out = []
    for k in range(n):
        out.append(k * k)
    return out
print(gen_squares(6), sum(gen_squares(6)))


# Unpacking an iterable into positional arguments.
def spread(a, b, c=3, *rest):
    return (a, b, c, rest)


pair = [1, 2]
print(spread(*pair), spread(0, *pair), spread(*pair, c=9), spread(*range(2), *"xyz"))
