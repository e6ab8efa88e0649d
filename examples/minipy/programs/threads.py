# Lists passed between threads.
#
# minipy's builtin `thread(f, *args)` runs f(*args) on a new OS thread
# with its own interpreter; `t.join()` waits and returns f's result.
# Arguments and results cross as shared objects with the free-threading
# header (biased reference counts): the receiving thread gets its own
# copy, and the sender frees its shared objects when it merges the
# references the other thread queued back (at join).
#
# python3 has no `thread` builtin; the lines below give it one with the
# same behaviour, so this program runs unchanged on both.
try:
    thread
except NameError:
    import threading

    class thread:
        def __init__(self, f, *args):
            self.result = None
            self.error = None

            def run():
                try:
                    self.result = f(*args)
                except Exception as e:
                    self.error = e

            self.t = threading.Thread(target=run)
            self.t.start()

        def join(self):
            self.t.join()
            if self.error is not None:
                raise self.error
            return self.result


SCALE = 10


def scaled(n):
    return n * SCALE


def squares(numbers):
    out = []
    for n in numbers:
        out.append(scaled(n * n))
    return out


def total(numbers):
    s = 0
    for n in numbers:
        s += n
    return s


def split(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


# Stage 1: four threads each square a chunk of a list.
data = list(range(1, 21))
chunks = split(data, 5)
workers = [thread(squares, c) for c in chunks]
results = [w.join() for w in workers]
print("squares:", results)

# Stage 2: the lists the first threads returned go to new threads.
sums = [thread(total, r) for r in results]
print("sums:", [t.join() for t in sums], "of", total([total(r) for r in results]))


# A list the thread changes is its own copy: send results back by
# returning them.
def grow(items, extra):
    items.append(extra)
    return items


mine = ["a", "b"]
theirs = thread(grow, list(mine), "c").join()
print("mine:", mine, "theirs:", theirs)


# One object passed twice arrives as one object.
def same(x, y):
    return x is y, len(x), x == y


pair = [1, (2.5, "two"), {"k": [3]}]
print("same object:", thread(same, pair, pair).join())
print("equal copies:", thread(same, pair, list(pair)).join())


# A thread's output is kept and written when it is joined.
def chatty(name):
    print("hello from", name)
    return name.upper()


print("joined:", thread(chatty, "worker").join())


# An exception a thread raises comes back at join.
def fail(n):
    raise ValueError("bad chunk " + str(n))


try:
    thread(fail, 3).join()
except ValueError as e:
    print("caught:", e)


# Threads can start threads.
def fan_out(n):
    ts = [thread(scaled, i) for i in range(n)]
    return [t.join() for t in ts]


print("nested:", thread(fan_out, 4).join())
