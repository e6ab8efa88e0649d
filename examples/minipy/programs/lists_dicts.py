# Lists, tuples and dicts.
xs = [3, 1, 2]
xs.append(10)
xs.insert(0, 7)
print(xs, len(xs), xs[1], xs[-1], xs.pop(), xs.pop(0), xs)
xs.extend([5, 5])
print(xs, xs.index(2), xs.count(5), 5 in xs, 9 in xs)
xs.sort()
print(xs, xs[1:3], xs[::2])
xs.reverse()
xs[0] = "first"
del xs[1]
print(xs, xs + [0], [0] * 3, list(range(2, 10, 3)), list("abc"))
t = (1, "two", 3.0)
a, b, c = t
print(t, a, b, c, t[1:], len(t), (1,) + (2,), () == ())
d = {"one": 1, "two": 2}
d["three"] = 3
print(d, d["two"], d.get("four"), d.get("four", 4), "one" in d, len(d))
for k in d:
    print(k, d[k])
for k, v in d.items():
    print(k, "->", v)
print(list(d.keys()), list(d.values()))
del d["one"]
print(d, d.pop("two"), d)
counts = {}
for w in "the cat and the hat and the bat".split():
    counts[w] = counts.get(w, 0) + 1
print(counts)
grid = [[0] * 3 for _ in range(2)]
grid[1][2] = 5
print(grid)
pairs = [(2, "b"), (1, "a"), (3, "c")]
pairs.sort()
print(pairs, [p[1] for p in pairs], dict(pairs))
for i, (n, s) in enumerate(pairs):
    print(i, n, s)
print(list(zip([1, 2, 3], "xyz")), {1: "a", (1, 2): "b"}[(1, 2)])
nested = {"list": [1, 2], "dict": {"k": None}, "tuple": (True, False)}
print(nested)
try:
    print(d["missing"])
except KeyError as e:
    print("KeyError", e)
