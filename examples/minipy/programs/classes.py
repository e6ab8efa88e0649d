# Classes, methods, attributes, inheritance and __del__.
class Animal:
    kind = "animal"

    def __init__(self, name):
        self.name = name

    def speak(self):
        return self.name + " makes a sound"

    def __del__(self):
        print("goodbye", self.name)


class Dog(Animal):
    def speak(self):
        return self.name + " barks"


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __repr__(self):
        return "Point(" + str(self.x) + ", " + str(self.y) + ")"

    def __eq__(self, other):
        return self.x == other.x and self.y == other.y

    def __add__(self, other):
        return Point(self.x + other.x, self.y + other.y)


a = Animal("generic")
d = Dog("rex")
print(a.speak(), "|", d.speak(), "|", d.kind, Dog.kind)
print(isinstance(d, Animal), isinstance(a, Dog), type(d) is Dog)
d.age = 3
print(d.age, hasattr(d, "age"), hasattr(d, "color"), getattr(d, "color", "none"))
p = Point(1, 2) + Point(3, 4)
print(p, [p], p == Point(4, 6), p != Point(0, 0))
print("deleting a")
del a
print("a is gone")
pets = [Dog("fido"), Dog("spot")]
print(len(pets))
pets.pop()
print("popped")
pets = None
print("list dropped")


def scope():
    temp = Animal("temporary")
    print(temp.speak())

scope()
print("after scope")
Animal.kind = "beast"
print(d.kind)
d = None
print("end")
