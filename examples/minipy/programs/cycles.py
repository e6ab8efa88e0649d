# A reference cycle survives reference counting and falls to the collector.
import gc
import sys
import weakref

gc.collect()


class Node:
    def __init__(self, name):
        self.name = name
        self.other = None

    def __del__(self):
        print("collecting", self.name)


a = Node("a")
b = Node("b")
a.other = b
b.other = a
probe = weakref.ref(a)
print("refcounts:", sys.getrefcount(a), sys.getrefcount(b))
print("tracked:", gc.is_tracked(a), gc.is_tracked(42))
del a
del b
print("after del: still alive?", probe() is not None)
found = gc.collect()
print("gc.collect() found", found)
print("after collect: still alive?", probe() is not None)

l = []
l.append(l)
del l
print("self-referencing list collected:", gc.collect())

# No cycle: reference counting alone frees it.
c = Node("c")
c = None
print("no cycle needed no collector:", gc.collect())
