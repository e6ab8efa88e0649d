# Strings: literals, methods, indexing, slicing, formatting.
s = "Hello, World"
print(s, len(s), s[0], s[-1], s[7:], s[:5], s[::-1], s[1:8:2])
print(s.upper(), s.lower(), s.replace("World", "minipy"), s.find("World"), s.find("x"))
print(s.split(", "), "a b  c".split(), "-".join(["x", "y", "z"]), "  pad  ".strip() + "|")
print(s.startswith("Hell"), s.endswith("x"), "World" in s, "z" not in s, s.count("l"))
print(repr("it's"), repr('say "hi"'), repr("tab\there"), "multi\nline")
print("ab" * 3, "abc" < "abd", "Z" < "a", str(3.0), str([1, "two"]), str(None))
words = ["banana", "Apple", "cherry"]
print(sorted(words), sorted(words, key=len), sorted(words, reverse=True))
print("{} + {} = {}".format(1, 2, 3), "{0}{1}{0}".format("a", "b"), "{x:>4}".format(x=7))
total = ""
for ch in "abc":
    total = ch + total
print(total, ord("A"), chr(97), "42".isdigit(), "abc".isalpha())
t = """triple
quoted"""
print(t)
print(f"{s!r} has {len(s)} chars; {s[:5].upper()}")
print("x=%s y=%r" % ("a", "b"), "%5d|%-5d|" % (42, 42))
