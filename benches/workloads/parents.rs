//! `workloads/binary-trees-parent`: the binary-trees workload with a
//! parent pointer in every inner node below the root. Each parent-child
//! pair is a cycle, so a tree no longer dies by reference counting alone:
//! objmodel and rust-cc must find it with their collectors, while `Rc` and
//! `Arc` make the back edge `Weak` (the workaround a Rust author would
//! write) and pay for the weak count instead.

use std::cell::RefCell;

use objmodel::cpython::*;

use crate::binary_trees::tree_rounds;
use crate::support::objects::{alloc, set_slot, slot, NODE};

pub mod om {
    //! objmodel: the C-API with the cycle collector; the parent sits in
    //! slot 2 of a [`NODE`](crate::support::objects::NODE).
    use super::*;
    use crate::binary_trees::om::check;

    /// A tree whose inner nodes below the root hold their parent in slot 2.
    fn tree_with_parent(depth: usize) -> *mut PyObject {
        let n = alloc(&NODE);
        if depth > 0 {
            for i in 0..2 {
                let child = tree_with_parent(depth - 1);
                if !slot(child, 0).is_null() {
                    set_slot(child, 2, n);
                }
                set_slot(n, i, child);
                unsafe { Py_DECREF(child) };
            }
        }
        n
    }

    pub fn run(max: usize) -> usize {
        let total = tree_rounds(max, |d| {
            let t = tree_with_parent(d);
            let c = check(t);
            unsafe { Py_DECREF(t) };
            c
        });
        gc::collect(2);
        total
    }
}

// The workload on `Rc` or `Arc`: children strong, the parent `Weak`.
rc_and_arc! {
    use super::{tree_rounds, RefCell};


    enum PTree {
        Nested {
            parent: RefCell<Weak<PTree>>,
            left: Ptr<PTree>,
            right: Ptr<PTree>,
        },
        End,
    }

    fn ptree(depth: usize) -> Ptr<PTree> {
        if depth == 0 {
            return Ptr::new(PTree::End);
        }
        let n = Ptr::new(PTree::Nested {
            parent: RefCell::new(Weak::new()),
            left: ptree(depth - 1),
            right: ptree(depth - 1),
        });
        if let PTree::Nested { left, right, .. } = &*n {
            for child in [left, right] {
                if let PTree::Nested { parent, .. } = &**child {
                    *parent.borrow_mut() = Ptr::downgrade(&n);
                }
            }
        }
        n
    }

    fn pcheck(t: &PTree) -> usize {
        match t {
            PTree::End => 1,
            PTree::Nested { left, right, .. } => pcheck(left) + pcheck(right) + 1,
        }
    }

    pub fn run(max: usize) -> usize {
        tree_rounds(max, |d| pcheck(&ptree(d)))
    }
}

pub mod cc {
    //! rust-cc, as its own suite writes the workload: the parent a strong
    //! `Cc`, found by its collector.
    use rust_cc::{collect_cycles, Cc, Context, Finalize, Trace};

    use super::{tree_rounds, RefCell};

    enum PTree {
        Nested {
            parent: RefCell<Option<Cc<PTree>>>,
            left: Cc<PTree>,
            right: Cc<PTree>,
        },
        End,
    }

    // SAFETY: `trace` visits every `Cc` the value owns, and nothing else.
    unsafe impl Trace for PTree {
        fn trace(&self, ctx: &mut Context<'_>) {
            if let PTree::Nested {
                parent,
                left,
                right,
            } = self
            {
                parent.trace(ctx);
                left.trace(ctx);
                right.trace(ctx);
            }
        }
    }
    impl Finalize for PTree {}

    fn ptree(depth: usize) -> Cc<PTree> {
        if depth == 0 {
            return Cc::new(PTree::End);
        }
        let n = Cc::new(PTree::Nested {
            parent: RefCell::new(None),
            left: ptree(depth - 1),
            right: ptree(depth - 1),
        });
        if let PTree::Nested { left, right, .. } = &*n {
            for child in [left, right] {
                if let PTree::Nested { parent, .. } = &**child {
                    *parent.borrow_mut() = Some(n.clone());
                }
            }
        }
        n
    }

    fn pcheck(t: &PTree) -> usize {
        match t {
            PTree::End => 1,
            PTree::Nested { left, right, .. } => pcheck(left) + pcheck(right) + 1,
        }
    }

    pub fn run(max: usize) -> usize {
        let total = tree_rounds(max, |d| pcheck(&ptree(d)));
        collect_cycles();
        total
    }
}
