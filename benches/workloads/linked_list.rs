//! `workloads/large-linked-list`: rust-cc's large-linked-list workload.
//! Thirty times, a doubly linked list of `size` nodes is built from the
//! head, walked, and dropped. Each next/previous pair is a cycle: objmodel
//! and rust-cc collect the list, `Rc` and `Arc` make `previous` `Weak` and
//! drop the list iteratively (the derived drop would recurse once per
//! node).

use std::cell::RefCell;

use objmodel::cpython::*;

use crate::support::objects::{alloc, set_slot, slot, NODE};

pub mod om {
    //! objmodel: the C-API with the cycle collector. A list node is a
    //! [`NODE`](crate::support::objects::NODE): slot 0 next, slot 1
    //! previous.
    use super::*;

    pub fn run(size: usize) -> usize {
        let mut total = 0;
        for _ in 0..30 {
            // Slot 0: next; slot 1: previous. The end is a node with no next.
            let mut head = alloc(&NODE);
            let mut len = 0;
            for _ in 0..size {
                let cons = alloc(&NODE);
                set_slot(cons, 0, head);
                if !slot(head, 0).is_null() {
                    set_slot(head, 1, cons);
                }
                unsafe { Py_DECREF(head) };
                head = cons;
                len += 1;
            }
            let mut n = head;
            let mut counted = 0;
            while !slot(n, 0).is_null() {
                counted += 1;
                n = slot(n, 0);
            }
            assert_eq!(counted, len);
            total += counted;
            unsafe { Py_DECREF(head) };
        }
        gc::collect(2);
        total
    }
}

// The workload on `Rc` or `Arc`: `next` strong, `previous` `Weak`.
rc_and_arc! {
    use super::RefCell;


    enum List {
        Cons {
            next: Ptr<List>,
            previous: RefCell<Weak<List>>,
        },
        Nil,
    }

    pub fn run(size: usize) -> usize {
        let mut total = 0;
        for _ in 0..30 {
            let mut head = Ptr::new(List::Nil);
            for _ in 0..size {
                let cons = Ptr::new(List::Cons {
                    next: head.clone(),
                    previous: RefCell::new(Weak::new()),
                });
                if let List::Cons { previous, .. } = &*head {
                    *previous.borrow_mut() = Ptr::downgrade(&cons);
                }
                head = cons;
            }
            let mut n = &head;
            let mut len = 0;
            while let List::Cons { next, .. } = &**n {
                len += 1;
                n = next;
            }
            total += len;
            // Dropped iteratively: the derived drop would recurse.
            let mut cur = Some(head);
            while let Some(node) = cur {
                cur = match Ptr::try_unwrap(node) {
                    Ok(List::Cons { next, .. }) => Some(next),
                    _ => None,
                };
            }
        }
        total
    }
}

pub mod cc {
    //! rust-cc, as its own suite writes the workload: both links strong
    //! `Cc`s, found by its collector.
    use rust_cc::{collect_cycles, Cc, Context, Finalize, Trace};

    use super::RefCell;

    enum List {
        Cons {
            next: Cc<List>,
            previous: RefCell<Option<Cc<List>>>,
        },
        Nil,
    }

    // SAFETY: `trace` visits every `Cc` the value owns, and nothing else.
    unsafe impl Trace for List {
        fn trace(&self, ctx: &mut Context<'_>) {
            if let List::Cons { next, previous } = self {
                next.trace(ctx);
                previous.trace(ctx);
            }
        }
    }
    impl Finalize for List {}

    pub fn run(size: usize) -> usize {
        let mut total = 0;
        for _ in 0..30 {
            let mut head = Cc::new(List::Nil);
            for _ in 0..size {
                let cons = Cc::new(List::Cons {
                    next: head.clone(),
                    previous: RefCell::new(None),
                });
                if let List::Cons { previous, .. } = &*head {
                    *previous.borrow_mut() = Some(cons.clone());
                }
                head = cons;
            }
            let mut n = &head;
            let mut len = 0;
            while let List::Cons { next, .. } = &**n {
                len += 1;
                n = next;
            }
            total += len;
        }
        collect_cycles();
        total
    }
}
