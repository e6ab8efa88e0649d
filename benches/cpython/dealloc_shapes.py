#!/usr/bin/env python3
"""CPython's side of the dealloc workloads (benches/workloads.rs).

Usage: python3 benches/cpython/dealloc_shapes.py MODE N
  MODE  chain-drop  build a chain of N Node objects (each holding the
                    previous one in its `next` slot), untimed; each timed
                    step drops the head, freeing all N (CPython's trashcan
                    keeps the recursion bounded)
        node-pairs  each timed step is N `Node()` calls whose result is
                    dropped at once: N allocate+free pairs
  N     object count per step

Node is a class with __slots__ = ("next",): a small tracked object, the
closest CPython analogue of the Rust side's one-slot object.

Protocol: prints "ready <version>" once set up, then per line on stdin:
  run K   perform K timed steps; print the total nanoseconds
          (time.perf_counter_ns) of the timed parts
  quit    exit (so does end of input)
"""
import gc
import sys
import time

from protocol import serve


class Node:
    __slots__ = ("next",)

    def __init__(self, nxt=None):
        self.next = nxt


def build_chain(n):
    head = None
    for _ in range(n):
        head = Node(head)
    return head


def run_chain_drop(n, k):
    total = 0
    for _ in range(k):
        head = build_chain(n)
        start = time.perf_counter_ns()
        del head
        total += time.perf_counter_ns() - start
    return total


def run_node_pairs(n, k):
    start = time.perf_counter_ns()
    for _ in range(k):
        for _ in range(n):
            Node()
    return time.perf_counter_ns() - start


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    mode, n = sys.argv[1], int(sys.argv[2])
    runs = {"chain-drop": run_chain_drop, "node-pairs": run_node_pairs}
    if mode not in runs:
        sys.exit(f"unknown mode {mode!r}")
    # The automatic collector would run during the builds; the Rust side
    # has none running either.
    gc.disable()
    version = "%d.%d.%d" % sys.version_info[:3]
    serve(version, lambda k: runs[mode](n, k))


if __name__ == "__main__":
    main()
