a = [1]
b = [a]
a.append(b)
del a, b
print("cycle made")
