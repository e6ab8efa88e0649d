//! Workloads other projects publish, each group with its baselines in the
//! same run:
//!
//! - `workloads/*` ([`rust_cc`]): the four workloads of rust-cc's
//!   benchmark suite (binary trees, [`binary_trees`]; binary trees with
//!   parent pointers, [`parents`]; a large doubly linked list,
//!   [`linked_list`]; the stress test, a random graph de-rooted a few
//!   nodes at a time, [`stress`]), on `rust-cc` (the crate they were
//!   written for, with its default features), on `Rc` and `Arc` with
//!   `Weak` back edges, and on objmodel's C-API with its cycle collector.
//!   Sizes as in that suite.
//! - `dealloc/container-drop-1M` ([`containers`]): dropping a container of
//!   1M small objects.
//! - `dealloc/heap-teardown-1M` and `dealloc/free-list` ([`heap`]): freeing
//!   1M blocks one by one, then the heap, against dropping a bumpalo arena
//!   of 1M allocations; allocate+free pairs that hit the free list,
//!   against allocations that miss it (fresh blocks).
//! - `cpython/chain-drop-1M` and `cpython/node-alloc+free` ([`cpython`]):
//!   CPython 3.11 (`benches/cpython/dealloc_shapes.py`) on the same shapes.
//!
//! `OBJMODEL_BENCH_QUICK=1` (`scripts/bench --quick`) shrinks every size.
//!
//! Targets (benchmark issue): faster than rust-cc on all four workloads;
//! chain drop >= 3x faster than CPython.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]
// Each unsafe block drives the C-API on objects this bench allocated and
// owns: instances of readied static types, every stored pointer a counted
// reference. The invariant is the same for every block.
#![allow(clippy::undocumented_unsafe_blocks)]

#[path = "../support/mod.rs"]
mod support;

/// Declares a workload written once over `Ptr` and `Weak` twice, as the
/// modules `rc` (`std::rc::{Rc, Weak}`) and `sync` (`std::sync::{Arc,
/// Weak}`), so both run the same code on their own counts.
macro_rules! rc_and_arc {
    ($($body:tt)*) => {
        /// The workload on `Rc`.
        pub mod rc {
            type Ptr<T> = std::rc::Rc<T>;
            #[allow(dead_code)]
            type Weak<T> = std::rc::Weak<T>;

            $($body)*
        }

        /// The workload on `Arc`. Single-threaded on purpose: this
        /// measures the atomic counts of `Arc` on the same workload, not
        /// sharing.
        #[allow(clippy::arc_with_non_send_sync)]
        pub mod sync {
            type Ptr<T> = std::sync::Arc<T>;
            #[allow(dead_code)]
            type Weak<T> = std::sync::Weak<T>;

            $($body)*
        }
    };
}

mod binary_trees;
mod containers;
mod cpython;
mod heap;
mod linked_list;
mod parents;
mod rust_cc;
mod stress;

use criterion::{criterion_group, criterion_main};

criterion_group!(
    benches,
    rust_cc::workloads,
    containers::container_drop,
    heap::heap_teardown,
    heap::free_list,
    cpython::cpython
);
criterion_main!(benches);
