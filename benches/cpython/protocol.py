"""The request loop every CPython benchmark script speaks (the Rust side is
benches/support/cpython.rs): one `ready ...` line once the heap is built,
then for each `run K` line the nanoseconds K timed steps took, until `quit`
or end of input."""

import sys


def serve(ready, run):
    """Prints `ready` (the words after `ready`), then answers each request
    with `run(K)`."""
    print(f"ready {ready}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] != "run" or len(words) != 2:
            sys.exit(f"bad request {line!r}")
        print(run(int(words[1])), flush=True)
