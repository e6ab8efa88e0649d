//! Workloads other projects publish, each group with its baselines in the
//! same run:
//!
//! - `workloads/*`: the four workloads of rust-cc's benchmark suite
//!   (binary trees; binary trees with parent pointers; a large doubly
//!   linked list; the stress test, a random graph de-rooted a few nodes at
//!   a time), on `rust-cc` (the crate they were written for, with its
//!   default features), on `Rc` and `Arc` with `Weak` back edges, and on
//!   objmodel's C-API with its cycle collector. Sizes as in that suite.
//! - `dealloc/container-drop-1M`: dropping a container of 1M small objects.
//! - `dealloc/heap-teardown-1M`: freeing 1M blocks one by one, then the
//!   heap, against dropping a bumpalo arena of 1M allocations.
//! - `dealloc/free-list`: allocate+free pairs that hit the free list,
//!   against allocations that miss it (fresh blocks).
//! - `cpython/chain-drop-1M` and `cpython/node-alloc+free`: CPython 3.11
//!   (`benches/cpython/dealloc_shapes.py`) on the same shapes.
//!
//! `OBJMODEL_BENCH_QUICK=1` (`scripts/bench --quick`) shrinks every size.
//!
//! Targets (benchmark issue): faster than rust-cc on all four workloads;
//! chain drop >= 3x faster than CPython.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]
// Each unsafe block drives the C-API on objects this file allocated and
// owns: instances of readied static types, every stored pointer a counted
// reference. The invariant is the same for every block.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::mem::size_of;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::ptr::{addr_of, addr_of_mut, null_mut};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use objmodel::cpython::*;
use objmodel::types::alloc::Heap;
use objmodel::Py_VISIT;

fn quick() -> bool {
    std::env::var_os("OBJMODEL_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// `full`, or `small` under `OBJMODEL_BENCH_QUICK=1`.
fn size(full: usize, small: usize) -> usize {
    if quick() {
        small
    } else {
        full
    }
}

// ---------------------------------------------------------------- types

/// A tracked object with three owned slots, null or counted: tree children
/// and parent, list next and previous.
#[repr(C)]
struct Node {
    ob_base: PyObject,
    slots: [*mut PyObject; 3],
}

unsafe extern "C" fn node_traverse(op: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int {
    unsafe {
        for &s in &(*op.cast::<Node>()).slots {
            Py_VISIT!(s, visit, arg);
        }
    }
    0
}

unsafe extern "C" fn node_clear(op: *mut PyObject) -> c_int {
    unsafe {
        for s in &mut (*op.cast::<Node>()).slots {
            Py_CLEAR(s);
        }
    }
    0
}

unsafe extern "C" fn node_dealloc(op: *mut PyObject) {
    unsafe {
        PyObject_GC_UnTrack(op.cast());
        node_clear(op);
        PyObject_GC_Del(op.cast());
    }
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "Node",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(node_traverse),
    tp_clear: Some(node_clear),
    ..PyTypeObject::DEFAULT
};

/// The stress test's graph node: a label and a growing edge list.
#[repr(C)]
struct GraphNode {
    ob_base: PyObject,
    label: String,
    edges: Vec<*mut PyObject>,
}

unsafe extern "C" fn graph_traverse(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        for &e in &(*op.cast::<GraphNode>()).edges {
            Py_VISIT!(e, visit, arg);
        }
    }
    0
}

unsafe extern "C" fn graph_clear(op: *mut PyObject) -> c_int {
    let edges = unsafe { std::mem::take(&mut (*op.cast::<GraphNode>()).edges) };
    for e in edges {
        unsafe { Py_DECREF(e) };
    }
    0
}

unsafe extern "C" fn graph_dealloc(op: *mut PyObject) {
    unsafe {
        PyObject_GC_UnTrack(op.cast());
        graph_clear(op);
        std::ptr::drop_in_place(addr_of_mut!((*op.cast::<GraphNode>()).label));
        std::ptr::drop_in_place(addr_of_mut!((*op.cast::<GraphNode>()).edges));
        PyObject_GC_Del(op.cast());
    }
}

static GRAPH_NODE: PyTypeObject = PyTypeObject {
    tp_name: "GraphNode",
    tp_basicsize: size_of::<GraphNode>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(graph_dealloc),
    tp_traverse: Some(graph_traverse),
    tp_clear: Some(graph_clear),
    ..PyTypeObject::DEFAULT
};

/// An untracked 32-byte object: header, a successor slot, a value.
#[repr(C)]
struct Small {
    ob_base: PyObject,
    next: *mut PyObject,
    value: u64,
}
const _: () = assert!(size_of::<Small>() == 32);

unsafe extern "C" fn small_dealloc(op: *mut PyObject) {
    unsafe {
        Py_CLEAR(&mut (*op.cast::<Small>()).next);
        PyObject_Free(op.cast());
    }
}

static SMALL: PyTypeObject = PyTypeObject {
    tp_name: "Small",
    tp_basicsize: size_of::<Small>() as Py_ssize_t,
    tp_dealloc: Some(small_dealloc),
    ..PyTypeObject::DEFAULT
};

/// An untracked list: `len` owned references in a variable-size tail.
#[repr(C)]
struct List {
    ob_base: PyObject,
    len: usize,
    items: [*mut PyObject; 0],
}

unsafe extern "C" fn list_dealloc(op: *mut PyObject) {
    unsafe {
        let items = addr_of_mut!((*op.cast::<List>()).items).cast::<*mut PyObject>();
        for i in 0..(*op.cast::<List>()).len {
            Py_DECREF(*items.add(i));
        }
        PyObject_Free(op.cast());
    }
}

static LIST: PyTypeObject = PyTypeObject {
    tp_name: "List",
    tp_basicsize: size_of::<List>() as Py_ssize_t,
    tp_itemsize: size_of::<*mut PyObject>() as Py_ssize_t,
    tp_dealloc: Some(list_dealloc),
    ..PyTypeObject::DEFAULT
};

fn ty(t: &'static PyTypeObject) -> *mut PyTypeObject {
    let p = addr_of!(*t).cast_mut();
    assert_eq!(unsafe { PyType_Ready(p) }, 0);
    p
}

fn alloc(t: &'static PyTypeObject) -> *mut PyObject {
    let op = unsafe { PyType_GenericAlloc(ty(t), 0) };
    assert!(!op.is_null());
    op
}

fn slot(op: *mut PyObject, i: usize) -> *mut PyObject {
    unsafe { (*op.cast::<Node>()).slots[i] }
}

/// Stores a new reference to `value` in the empty slot `i` of `op`.
fn set_slot(op: *mut PyObject, i: usize, value: *mut PyObject) {
    unsafe {
        debug_assert!((*op.cast::<Node>()).slots[i].is_null());
        (*op.cast::<Node>()).slots[i] = Py_NewRef(value);
    }
}

/// The stress test's random numbers: xorshift64, seeded as the suite seeds
/// its generator (0xCAFE), so every contender sees the same graph.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const SEED: u64 = 0xCAFE;

// ------------------------------------------------- rust-cc's four workloads

/// Binary trees as the suite sizes them: for each depth from 4 up to
/// `max`, `2^(max - depth + 4)` trees built, checked and dropped; one
/// collection at the end.
fn tree_rounds(max: usize, mut one_tree: impl FnMut(usize) -> usize) -> usize {
    let mut total = 0;
    for depth in (4..max).step_by(2) {
        for _ in 0..1usize << (max - depth + 4) {
            total += one_tree(depth);
        }
    }
    total
}

mod om {
    //! objmodel: the C-API with the cycle collector.
    use super::*;

    fn tree(depth: usize) -> *mut PyObject {
        let n = alloc(&NODE);
        if depth > 0 {
            for i in 0..2 {
                let child = tree(depth - 1);
                set_slot(n, i, child);
                unsafe { Py_DECREF(child) };
            }
        }
        n
    }

    fn check(n: *mut PyObject) -> usize {
        if slot(n, 0).is_null() {
            1
        } else {
            check(slot(n, 0)) + check(slot(n, 1)) + 1
        }
    }

    pub fn binary_trees(max: usize) -> usize {
        let total = tree_rounds(max, |d| {
            let t = tree(d);
            let c = check(t);
            unsafe { Py_DECREF(t) };
            c
        });
        gc::collect(2);
        total
    }

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

    pub fn binary_trees_parent(max: usize) -> usize {
        let total = tree_rounds(max, |d| {
            let t = tree_with_parent(d);
            let c = check(t);
            unsafe { Py_DECREF(t) };
            c
        });
        gc::collect(2);
        total
    }

    pub fn large_linked_list(size: usize) -> usize {
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

    pub fn stress_test(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
        let mut rng = XorShift(SEED);
        let mut nodes: Vec<*mut PyObject> = (0..=nodes_n)
            .map(|i| {
                let op = alloc(&GRAPH_NODE);
                unsafe {
                    let g = op.cast::<GraphNode>();
                    addr_of_mut!((*g).label).write(format!("Node {i}"));
                    addr_of_mut!((*g).edges).write(Vec::new());
                }
                op
            })
            .collect();
        for _ in 0..=edges_n {
            let a = nodes[rng.below(nodes.len())];
            let b = nodes[rng.below(nodes.len())];
            unsafe { (*a.cast::<GraphNode>()).edges.push(Py_NewRef(b)) };
        }
        let mut total = 0;
        for i in 0..nodes_n {
            if i % shrink == 0 {
                for op in nodes.drain(nodes_n - i..) {
                    unsafe { Py_DECREF(op) };
                }
                gc::collect(2);
                total += nodes.len();
            }
        }
        for op in nodes.drain(..) {
            unsafe { Py_DECREF(op) };
        }
        gc::collect(2);
        total
    }
}

/// The suite on `Rc` or `Arc`: children strong, parent and previous
/// pointers `Weak`; the stress test's graph owned by its node list, every
/// edge `Weak`.
macro_rules! counted_workloads {
    ($module:ident, $ptr:ident) => {
        // Single-threaded on purpose: this measures the atomic counts of
        // `Arc` on the same workload, not sharing.
        #[allow(clippy::arc_with_non_send_sync)]
        mod $module {
            use super::{tree_rounds, XorShift, SEED};
            use std::cell::RefCell;

            type Ptr<T> = std::$module::$ptr<T>;
            type Weak<T> = std::$module::Weak<T>;

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

            pub fn binary_trees(max: usize) -> usize {
                tree_rounds(max, |d| check(&tree(d)))
            }

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

            pub fn binary_trees_parent(max: usize) -> usize {
                tree_rounds(max, |d| pcheck(&ptree(d)))
            }

            enum List {
                Cons {
                    next: Ptr<List>,
                    previous: RefCell<Weak<List>>,
                },
                Nil,
            }

            pub fn large_linked_list(size: usize) -> usize {
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

            struct GraphNode {
                _label: String,
                edges: Vec<Weak<RefCell<GraphNode>>>,
            }

            pub fn stress_test(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
                let mut rng = XorShift(SEED);
                let mut nodes: Vec<Ptr<RefCell<GraphNode>>> = (0..=nodes_n)
                    .map(|i| {
                        Ptr::new(RefCell::new(GraphNode {
                            _label: format!("Node {i}"),
                            edges: Vec::new(),
                        }))
                    })
                    .collect();
                for _ in 0..=edges_n {
                    let a = rng.below(nodes.len());
                    let b = rng.below(nodes.len());
                    let weak = Ptr::downgrade(&nodes[b]);
                    nodes[a].borrow_mut().edges.push(weak);
                }
                let mut total = 0;
                for i in 0..nodes_n {
                    if i % shrink == 0 {
                        nodes.truncate(nodes_n - i);
                        total += nodes.len();
                    }
                }
                total
            }
        }
    };
}

counted_workloads!(rc, Rc);
counted_workloads!(sync, Arc);

mod cc {
    //! rust-cc, as its own suite writes the workloads.
    use std::cell::RefCell;

    use rust_cc::{collect_cycles, Cc, Context, Finalize, Trace};

    use super::{tree_rounds, XorShift, SEED};

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

    pub fn binary_trees(max: usize) -> usize {
        let total = tree_rounds(max, |d| check(&tree(d)));
        collect_cycles();
        total
    }

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

    pub fn binary_trees_parent(max: usize) -> usize {
        let total = tree_rounds(max, |d| pcheck(&ptree(d)));
        collect_cycles();
        total
    }

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

    pub fn large_linked_list(size: usize) -> usize {
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

    struct GraphNode {
        _label: String,
        edges: Vec<Cc<RefCell<GraphNode>>>,
    }

    // SAFETY: `trace` visits every `Cc` the value owns, and nothing else.
    unsafe impl Trace for GraphNode {
        fn trace(&self, ctx: &mut Context<'_>) {
            self.edges.iter().for_each(|e| e.trace(ctx));
        }
    }
    impl Finalize for GraphNode {}

    pub fn stress_test(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
        let mut rng = XorShift(SEED);
        let mut total = 0;
        {
            let mut nodes: Vec<Cc<RefCell<GraphNode>>> = (0..=nodes_n)
                .map(|i| {
                    Cc::new(RefCell::new(GraphNode {
                        _label: format!("Node {i}"),
                        edges: Vec::new(),
                    }))
                })
                .collect();
            for _ in 0..=edges_n {
                let a = rng.below(nodes.len());
                let b = rng.below(nodes.len());
                let edge = nodes[b].clone();
                nodes[a].borrow_mut().edges.push(edge);
            }
            for i in 0..nodes_n {
                if i % shrink == 0 {
                    nodes.truncate(nodes_n - i);
                    collect_cycles();
                    total += nodes.len();
                }
            }
        }
        collect_cycles();
        total
    }
}

fn workloads(c: &mut Criterion) {
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
                Box::new(move || cc::binary_trees(max)),
                Box::new(move || rc::binary_trees(max)),
                Box::new(move || sync::binary_trees(max)),
                Box::new(move || om::binary_trees(max)),
            ],
        ),
        (
            "binary-trees-parent",
            [
                Box::new(move || cc::binary_trees_parent(max)),
                Box::new(move || rc::binary_trees_parent(max)),
                Box::new(move || sync::binary_trees_parent(max)),
                Box::new(move || om::binary_trees_parent(max)),
            ],
        ),
        (
            "large-linked-list",
            [
                Box::new(move || cc::large_linked_list(list)),
                Box::new(move || rc::large_linked_list(list)),
                Box::new(move || sync::large_linked_list(list)),
                Box::new(move || om::large_linked_list(list)),
            ],
        ),
        (
            "stress-test",
            [
                Box::new(move || cc::stress_test(nodes, edges, shrink)),
                Box::new(move || rc::stress_test(nodes, edges, shrink)),
                Box::new(move || sync::stress_test(nodes, edges, shrink)),
                Box::new(move || om::stress_test(nodes, edges, shrink)),
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

// ------------------------------------------------------- dealloc workloads

fn container_drop(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("dealloc/container-drop-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("baseline/Vec<Box>", |b| {
        b.iter_batched(
            || (0..n).map(|i| Box::new([i as u64; 2])).collect::<Vec<_>>(),
            drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("baseline/Vec<Rc>", |b| {
        b.iter_batched(
            || {
                (0..n)
                    .map(|i| std::rc::Rc::new([i as u64; 2]))
                    .collect::<Vec<_>>()
            },
            drop,
            BatchSize::PerIteration,
        )
    });
    let list_ty = ty(&LIST);
    g.bench_function("objmodel/list-Py_DECREF", |b| {
        b.iter_batched(
            || {
                let list = unsafe { PyType_GenericAlloc(list_ty, n as Py_ssize_t) };
                assert!(!list.is_null());
                unsafe {
                    let items = addr_of_mut!((*list.cast::<List>()).items).cast::<*mut PyObject>();
                    for i in 0..n {
                        *items.add(i) = alloc(&SMALL);
                    }
                    (*list.cast::<List>()).len = n;
                }
                list
            },
            |list| unsafe { Py_DECREF(list) },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// A heap with `n` live 32-byte blocks, freed block by block on drop (a
/// heap dropped with live blocks keeps their memory, by design).
struct FilledHeap {
    heap: Option<Heap>,
    blocks: Vec<*mut u8>,
}

impl FilledHeap {
    fn new(n: usize) -> FilledHeap {
        let heap = Heap::new();
        let blocks = (0..n).map(|_| heap.alloc(32).unwrap().as_ptr()).collect();
        FilledHeap {
            heap: Some(heap),
            blocks,
        }
    }

    fn free_each_then_drop(mut self) {
        for p in self.blocks.drain(..) {
            unsafe { Heap::free(p) };
        }
        drop(self.heap.take());
    }
}

impl Drop for FilledHeap {
    fn drop(&mut self) {
        for p in self.blocks.drain(..) {
            unsafe { Heap::free(p) };
        }
    }
}

fn heap_teardown(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("dealloc/heap-teardown-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("baseline/bumpalo-drop", |b| {
        b.iter_batched(
            || {
                let bump = bumpalo::Bump::new();
                for i in 0..n {
                    black_box(bump.alloc([i as u64; 4]));
                }
                bump
            },
            drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("objmodel/Heap-free-each+drop", |b| {
        b.iter_batched(
            || FilledHeap::new(n),
            FilledHeap::free_each_then_drop,
            BatchSize::PerIteration,
        )
    });
    g.bench_function("objmodel/Heap-drop-emptied", |b| {
        b.iter_batched(
            || {
                let mut f = FilledHeap::new(n);
                for p in f.blocks.drain(..) {
                    unsafe { Heap::free(p) };
                }
                f
            },
            FilledHeap::free_each_then_drop,
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn free_list(c: &mut Criterion) {
    const K: usize = 1000;
    let mut g = c.benchmark_group("dealloc/free-list");
    g.throughput(Throughput::Elements(K as u64));
    g.bench_function("baseline/Box", |b| {
        b.iter(|| {
            for i in 0..K {
                drop(black_box(Box::new([i as u64; 4])));
            }
        })
    });
    let heap = Heap::new();
    g.bench_function("objmodel/hit", |b| {
        b.iter(|| {
            for _ in 0..K {
                let p = black_box(heap.alloc(32).unwrap());
                unsafe { Heap::free(p.as_ptr()) };
            }
        })
    });
    g.bench_function("objmodel/miss", |b| {
        b.iter_batched(
            || FilledHeap::new(0),
            |mut f| {
                let heap = f.heap.as_ref().unwrap();
                for _ in 0..K {
                    f.blocks.push(black_box(heap.alloc(32).unwrap()).as_ptr());
                }
                f
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// --------------------------------------------------- CPython, same shapes

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/cpython/dealloc_shapes.py"
);

/// One long-lived `python3 benches/cpython/dealloc_shapes.py MODE N`.
struct CPython {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CPython {
    fn spawn(mode: &str, n: usize) -> Option<CPython> {
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .args([mode, &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut line = String::new();
        stdout.read_line(&mut line).ok()?;
        let version = line.strip_prefix("ready ")?.trim().to_owned();
        println!("cpython/{mode}: CPython {version}");
        Some(CPython {
            child,
            stdin,
            stdout,
        })
    }

    fn run(&mut self, iters: u64) -> Duration {
        writeln!(self.stdin, "run {iters}").expect("write to python3");
        self.stdin.flush().expect("write to python3");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from python3");
        Duration::from_nanos(line.trim().parse().expect("python3 answers nanoseconds"))
    }
}

impl Drop for CPython {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

fn cpython(c: &mut Criterion) {
    let n = size(1_000_000, 10_000);
    let mut g = c.benchmark_group("cpython/chain-drop-1M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    if let Some(mut py) = CPython::spawn("chain-drop", n) {
        g.bench_function("baseline/cpython-3.11", |b| b.iter_custom(|k| py.run(k)));
    } else {
        println!("cpython/chain-drop-1M: python3 is not available; baseline skipped");
    }
    let small = ty(&SMALL);
    g.bench_function("objmodel/Py_DECREF-trashcan", |b| {
        b.iter_batched(
            || {
                let mut head: *mut PyObject = null_mut();
                for _ in 0..n {
                    let op = unsafe { PyType_GenericAlloc(small, 0) };
                    unsafe { (*op.cast::<Small>()).next = head };
                    head = op;
                }
                head
            },
            |head| unsafe { Py_DECREF(head) },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("cpython/node-alloc+free");
    g.throughput(Throughput::Elements(1));
    if let Some(mut py) = CPython::spawn("node-pairs", 1) {
        g.bench_function("baseline/cpython-3.11", |b| b.iter_custom(|k| py.run(k)));
    }
    let node = ty(&NODE);
    g.bench_function("objmodel/PyType_GenericAlloc+Py_DECREF", |b| {
        b.iter(|| unsafe {
            let op = PyType_GenericAlloc(node, 0);
            Py_DECREF(black_box(op));
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    workloads,
    container_drop,
    heap_teardown,
    free_list,
    cpython
);
criterion_main!(benches);
