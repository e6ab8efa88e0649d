//! `workloads/binary-trees`: rust-cc's binary-trees workload (after the
//! Benchmarks Game's). For each depth from 4 up to a maximum, many
//! complete binary trees are built, walked to count their nodes, and
//! dropped; there are no cycles, so this times allocation and plain
//! reference counting, plus one final collection where there is a
//! collector. The count is the checksum every contender must agree on.

use objmodel::cpython::*;

use crate::support::objects::{alloc, set_slot, slot, NODE};

/// Binary trees as the suite sizes them: for each depth from 4 up to
/// `max`, `2^(max - depth + 4)` trees built, checked and dropped; one
/// collection at the end.
pub fn tree_rounds(max: usize, mut one_tree: impl FnMut(usize) -> usize) -> usize {
    let mut total = 0;
    for depth in (4..max).step_by(2) {
        for _ in 0..1usize << (max - depth + 4) {
            total += one_tree(depth);
        }
    }
    total
}

pub mod om {
    //! objmodel: the C-API with the cycle collector. A tree node is a
    //! three-slot [`NODE`](crate::support::objects::NODE): children in
    //! slots 0 and 1.
    use super::*;

    fn tree(depth: usize) -> *mut PyObject {
        let n = alloc(&NODE);
        if depth > 0 {
            for i in 0..2 {
                let child = tree(depth - 1);
                set_slot(n, i, child);
                // SAFETY: `n` holds its own reference to `child` now.
                unsafe { Py_DECREF(child) };
            }
        }
        n
    }

    /// The node count of a tree of `NODE`s; shared with the parent-pointer
    /// workload, whose slot 2 it does not follow.
    pub fn check(n: *mut PyObject) -> usize {
        if slot(n, 0).is_null() {
            1
        } else {
            check(slot(n, 0)) + check(slot(n, 1)) + 1
        }
    }

    pub fn run(max: usize) -> usize {
        let total = tree_rounds(max, |d| {
            let t = tree(d);
            let c = check(t);
            // SAFETY: the tree's only reference, ours from `tree`.
            unsafe { Py_DECREF(t) };
            c
        });
        gc::collect(2);
        total
    }
}

// The workload on `Rc` or `Arc`: children strong, no back edges.
rc_and_arc! {
    use super::tree_rounds;


    enum Tree {
        Nested { left: Ptr<Tree>, right: Ptr<Tree> },
        End,
    }

    fn tree(depth: usize) -> Ptr<Tree> {
        Ptr::new(if depth == 0 {
            Tree::End
        } else {
            Tree::Nested {
                left: tree(depth - 1),
                right: tree(depth - 1),
            }
        })
    }

    fn check(t: &Tree) -> usize {
        match t {
            Tree::End => 1,
            Tree::Nested { left, right } => check(left) + check(right) + 1,
        }
    }

    pub fn run(max: usize) -> usize {
        tree_rounds(max, |d| check(&tree(d)))
    }
}

pub mod cc {
    //! rust-cc, as its own suite writes the workload.
    use rust_cc::{collect_cycles, Cc, Context, Finalize, Trace};

    use super::tree_rounds;

    enum Tree {
        Nested { left: Cc<Tree>, right: Cc<Tree> },
        End,
    }

    // SAFETY: `trace` visits every `Cc` the value owns, and nothing else.
    unsafe impl Trace for Tree {
        fn trace(&self, ctx: &mut Context<'_>) {
            if let Tree::Nested { left, right } = self {
                left.trace(ctx);
                right.trace(ctx);
            }
        }
    }
    impl Finalize for Tree {}

    fn tree(depth: usize) -> Cc<Tree> {
        Cc::new(if depth == 0 {
            Tree::End
        } else {
            Tree::Nested {
                left: tree(depth - 1),
                right: tree(depth - 1),
            }
        })
    }

    fn check(t: &Tree) -> usize {
        match t {
            Tree::End => 1,
            Tree::Nested { left, right } => check(left) + check(right) + 1,
        }
    }

    pub fn run(max: usize) -> usize {
        let total = tree_rounds(max, |d| check(&tree(d)));
        collect_cycles();
        total
    }
}
