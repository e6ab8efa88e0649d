#!/usr/bin/env python3
"""CPython's side of the collector benchmark (benches/gc.rs).

Usage: python3 benches/cpython/gc_shapes.py MODE SHAPE N
  MODE   live     a heap of N tracked objects held by one holder list;
                  each timed step is one full gc.collect() that frees nothing
         garbage  N tracked objects in cycles, unreachable; each timed step
                  is one gc.collect() that frees all N (rebuilt untimed)
  SHAPE  none     no edges (live only: as garbage, such objects are freed
                  by refcounting and never reach the collector)
         selfloops each object references itself (the garbage form of
                  "no edges")
         2cycles  N/2 pairs a <-> b
         ring     one cycle through all N objects, edges in allocation order
  N      object count (even for 2cycles)

The tracked containers are lists; an object's edges are its elements. The
interpreter's own objects are moved to the permanent generation with
gc.freeze() first, so a collection examines only the shape (plus, in live
mode, the holder list, created before the objects so that the scan finds it
first, as the Rust side's holder).

Protocol: prints "ready <tracked> <version>" once the shape is built, where
<tracked> counts the tracked objects outside the permanent generation (live:
the holder, the N objects and the few the script holds; garbage: only the
latter, since the garbage is built per run). Then, per line on stdin:
  run K   perform K timed collections; print the total nanoseconds
          (time.perf_counter_ns) of the collections alone
  quit    exit (so does end of input)
"""
import gc
import sys
import time

from protocol import serve


def build(shape, n, keep):
    """Builds N lists of SHAPE; KEEP receives each in allocation order."""
    if shape == "none":
        for _ in range(n):
            keep([])
    elif shape == "selfloops":
        for _ in range(n):
            a = []
            a.append(a)
            keep(a)
    elif shape == "2cycles":
        for _ in range(n // 2):
            a = []
            b = [a]
            a.append(b)
            keep(a)
            keep(b)
    elif shape == "ring":
        first = prev = []
        for _ in range(n - 1):
            cur = []
            prev.append(cur)
            keep(prev)
            prev = cur
        prev.append(first)
        keep(prev)


def build_live(shape, n):
    holder = []  # tracked first: the collection scans it first
    build(shape, n, holder.append)
    return holder


def drop(_obj):
    pass


def build_garbage(shape, n):
    """Builds N unreachable tracked objects: nothing refers to them on
    return, and refcounting alone cannot free them."""
    build(shape, n, drop)


def run_live(k):
    found = 0
    start = time.perf_counter_ns()
    for _ in range(k):
        found += gc.collect()
    elapsed = time.perf_counter_ns() - start
    if found:
        raise SystemExit(f"live heap: gc.collect() found {found} unreachable objects")
    return elapsed


def run_garbage(shape, n, k):
    total = 0
    for _ in range(k):
        build_garbage(shape, n)
        start = time.perf_counter_ns()
        found = gc.collect()
        total += time.perf_counter_ns() - start
        if found != n:
            raise SystemExit(f"garbage: gc.collect() returned {found}, expected {n}")
    return total


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mode, shape, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if shape not in ("none", "selfloops", "2cycles", "ring"):
        sys.exit(f"unknown shape {shape!r}")
    if shape == "none" and mode == "garbage":
        sys.exit("shape none makes no garbage: use selfloops")
    if shape == "2cycles" and n % 2:
        sys.exit("2cycles needs an even N")
    gc.disable()
    gc.collect()
    gc.freeze()
    if mode == "live":
        holder = build_live(shape, n)
        gc.collect()  # moves the heap to the oldest generation, as later runs see it
        run = run_live
    elif mode == "garbage":
        holder = None
        run = lambda k: run_garbage(shape, n, k)  # noqa: E731
    else:
        sys.exit(f"unknown mode {mode!r}")
    tracked = len(gc.get_objects())
    version = "%d.%d.%d" % sys.version_info[:3]
    serve(f"{tracked} {version}", run)
    del holder


if __name__ == "__main__":
    main()
