//! The `workloads/*` groups: rust-cc's four published workloads
//! ([`binary_trees`](crate::binary_trees), [`parents`](crate::parents),
//! [`linked_list`](crate::linked_list), [`stress`](crate::stress)), sized
//! as in that suite, one group each with four members:
//!
//! - `baseline/rust-cc`: the crate they were written for, default
//!   features, as its own suite writes them;
//! - `baseline/Rc-weak` and `baseline/Arc-weak`: `std`'s counted pointers,
//!   back edges `Weak`;
//! - `objmodel/collect`: objmodel's C-API with its cycle collector.
//!
//! Every member returns the same checksum, checked before timing.
//! Target (benchmark issue): `objmodel/collect` faster than rust-cc on all
//! four.

use std::hint::black_box;

use criterion::Criterion;
use objmodel::cpython::gc;

use crate::support::quick::size;
use crate::{binary_trees, linked_list, parents, stress};

pub fn workloads(c: &mut Criterion) {
    let max = size(11, 7);
    let list = size(4096, 64);
    let (nodes, edges, shrink) = (
        size(1 << 15, 1 << 9),
        size(1 << 15, 1 << 9),
        size(1 << 10, 1 << 5),
    );
    type Run = Box<dyn Fn() -> usize>;
    let groups: [(&str, [Run; 4]); 4] = [
        (
            "binary-trees",
            [
                Box::new(move || binary_trees::cc::run(max)),
                Box::new(move || binary_trees::rc::run(max)),
                Box::new(move || binary_trees::sync::run(max)),
                Box::new(move || binary_trees::om::run(max)),
            ],
        ),
        (
            "binary-trees-parent",
            [
                Box::new(move || parents::cc::run(max)),
                Box::new(move || parents::rc::run(max)),
                Box::new(move || parents::sync::run(max)),
                Box::new(move || parents::om::run(max)),
            ],
        ),
        (
            "large-linked-list",
            [
                Box::new(move || linked_list::cc::run(list)),
                Box::new(move || linked_list::rc::run(list)),
                Box::new(move || linked_list::sync::run(list)),
                Box::new(move || linked_list::om::run(list)),
            ],
        ),
        (
            "stress-test",
            [
                Box::new(move || stress::cc::run(nodes, edges, shrink)),
                Box::new(move || stress::rc::run(nodes, edges, shrink)),
                Box::new(move || stress::sync::run(nodes, edges, shrink)),
                Box::new(move || stress::om::run(nodes, edges, shrink)),
            ],
        ),
    ];
    let members = [
        "baseline/rust-cc",
        "baseline/Rc-weak",
        "baseline/Arc-weak",
        "objmodel/collect",
    ];
    for (name, runs) in groups {
        // Every contender computes the same checksum.
        let expected = runs[1]();
        let mut g = c.benchmark_group(format!("workloads/{name}"));
        g.sample_size(10);
        for (member, run) in members.iter().zip(&runs) {
            assert_eq!(run(), expected, "{name}: {member} disagrees");
            g.bench_function(*member, |b| b.iter(|| black_box(run())));
        }
        g.finish();
    }
    assert_eq!(gc::collect(2), 0, "the workloads left no garbage behind");
}
