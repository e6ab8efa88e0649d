# raise / try / except / finally with the built-in exception types.
def divide(a, b):
    try:
        return a / b
    except ZeroDivisionError as e:
        print("caught:", e)
        return None
    finally:
        print("finally for", a, b)

print(divide(6, 3))
print(divide(1, 0))

for bad in ["x", "12", None]:
    try:
        print(int(bad))
    except ValueError as e:
        print("ValueError:", e)
    except TypeError as e:
        print("TypeError:", type(e).__name__)

try:
    [1, 2][5]
except IndexError as e:
    print("IndexError:", e)

try:
    {}["k"]
except LookupError as e:
    print("LookupError caught KeyError:", repr(e))

class AppError(Exception):
    pass

def risky(n):
    if n > 2:
        raise AppError("too big: " + str(n))
    return n

for n in range(5):
    try:
        risky(n)
    except AppError as e:
        print("AppError", e, e.args)
        break
    else:
        print("ok", n)

def reraise():
    try:
        raise ValueError("inner")
    except ValueError:
        print("handling, then re-raising")
        raise

try:
    reraise()
except ValueError as e:
    print("outer got", e)

try:
    undefined_name
except NameError as e:
    print(e)

try:
    None.foo
except AttributeError as e:
    print(e)

try:
    len(5)
except TypeError as e:
    print(e)

def count_down(n):
    while True:
        try:
            if n == 0:
                break
            n -= 1
            continue
        finally:
            print("tick", n)
    return "done"
print(count_down(2))

try:
    try:
        raise RuntimeError("first")
    finally:
        print("cleanup runs on the way out")
except RuntimeError as e:
    print("then caught", e)

try:
    assert 1 + 1 == 3, "math is broken"
except AssertionError as e:
    print("assert:", e)
