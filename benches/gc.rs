//! The cycle collector against CPython's `gc.collect()`, measured in the
//! same run: one criterion group per (mode, shape, n), each with the member
//! `baseline/cpython-3.11` (the machine's `python3`, driven over a pipe) and
//! `objmodel/collect`.
//!
//! Modes:
//! - `live`: a heap of n tracked objects held by one holder object (a list
//!   in CPython, a variable-size `Holder` here), allocated before the
//!   objects so the scan meets it first. Each step is one full collection
//!   that finds nothing.
//! - `garbage`: n unreachable tracked objects, rebuilt untimed before each
//!   step; each step is one full collection, checked to return n.
//!
//! Shapes: `none` (no edges; live only), `selfloops` (each object refers to
//! itself: the garbage form of "no edges", since an object without edges is
//! freed by refcounting and never reaches the collector), `2cycles` (n/2
//! pairs a <-> b), `ring` (one cycle through all n, edges in allocation
//! order). In CPython the objects are lists whose elements are the edges;
//! here they are `Node`s of three slots (64-byte blocks with the GC
//! header).
//!
//! Each side starts fresh per group: CPython in its own long-lived process
//! (`benches/cpython/gc_shapes.py`, which freezes the interpreter's own
//! objects first, so only the shape is collected), objmodel on its own
//! thread (its heap and collector are per thread). Both report the time of
//! the collections alone; garbage rebuilds are untimed on both sides.
//!
//! Target (issue: gc-traverse): <= 0.5x CPython per object in both modes,
//! and linear growth from 10k to 1M objects.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]
// Each unsafe block below drives the C-API on objects this file allocated
// and owns: live `Node`/`Holder` instances of readied static GC types, with
// every stored pointer a counted reference. The invariant is the same for
// every block, so blocks carry no separate SAFETY comment.
#![allow(clippy::undocumented_unsafe_blocks)]

mod support;

use std::ffi::{c_int, c_void};
use std::mem::size_of;
use std::process::Command;
use std::ptr::addr_of_mut;
use std::sync::mpsc::{Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use objmodel::cpython::*;
use objmodel::Py_VISIT;

use support::cpython::{script, Python};
use support::objects::{ready, set_slot, type_ptr, NODE};
use support::quick::{group_times, quick};
use support::worker::Worker;

/// The live heap's holder: `len` owned references in a variable-size tail,
/// as a list's item array (allocated with `nitems` = capacity).
#[repr(C)]
struct Holder {
    ob_base: PyObject,
    len: usize,
    items: [*mut PyObject; 0],
}
const _: () = assert!(size_of::<Holder>() == 24);

/// The holder's items, `len` of them.
unsafe fn holder_items(op: *mut PyObject) -> *mut *mut PyObject {
    unsafe { addr_of_mut!((*op.cast::<Holder>()).items).cast() }
}

unsafe extern "C" fn holder_traverse(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        let items = holder_items(op);
        for i in 0..(*op.cast::<Holder>()).len {
            Py_VISIT!(*items.add(i), visit, arg);
        }
    }
    0
}

unsafe extern "C" fn holder_clear(op: *mut PyObject) -> c_int {
    unsafe {
        let items = holder_items(op);
        let len = std::mem::replace(&mut (*op.cast::<Holder>()).len, 0);
        for i in 0..len {
            Py_CLEAR(&mut *items.add(i));
        }
    }
    0
}

unsafe extern "C" fn holder_dealloc(op: *mut PyObject) {
    unsafe {
        PyObject_GC_UnTrack(op.cast());
        holder_clear(op);
        PyObject_GC_Del(op.cast());
    }
}

static HOLDER: PyTypeObject = PyTypeObject {
    tp_name: "Holder",
    tp_basicsize: size_of::<Holder>() as Py_ssize_t,
    tp_itemsize: size_of::<*mut PyObject>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(holder_dealloc),
    tp_traverse: Some(holder_traverse),
    tp_clear: Some(holder_clear),
    ..PyTypeObject::DEFAULT
};

fn ready_types() {
    for t in [&NODE, &HOLDER] {
        ready(t);
    }
}

/// A new node; [`ready_types`] has readied its type, so the builds skip
/// `PyType_Ready`.
fn new_node() -> *mut PyObject {
    let op = unsafe { PyType_GenericAlloc(type_ptr(&NODE), 0) };
    assert!(!op.is_null());
    op
}

/// `a.slots[0] = b` (empty before), taking a new reference to `b`.
fn link(a: *mut PyObject, b: *mut PyObject) {
    set_slot(a, 0, b);
}

#[derive(Clone, Copy)]
enum Mode {
    Live,
    Garbage,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Garbage => "garbage",
        }
    }
}

#[derive(Clone, Copy)]
enum Shape {
    None,
    SelfLoops,
    TwoCycles,
    Ring,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::None => "none",
            Shape::SelfLoops => "selfloops",
            Shape::TwoCycles => "2cycles",
            Shape::Ring => "ring",
        }
    }
}

/// Builds `n` nodes of `shape`; `keep` receives this function's reference
/// to each node in allocation order (into a holder, or dropped).
fn build(shape: Shape, n: usize, mut keep: impl FnMut(*mut PyObject)) {
    match shape {
        Shape::None => (0..n).for_each(|_| keep(new_node())),
        Shape::SelfLoops => {
            for _ in 0..n {
                let a = new_node();
                link(a, a);
                keep(a);
            }
        }
        Shape::TwoCycles => {
            assert!(n % 2 == 0, "2cycles needs an even n");
            for _ in 0..n / 2 {
                let (a, b) = (new_node(), new_node());
                link(a, b);
                link(b, a);
                keep(a);
                keep(b);
            }
        }
        Shape::Ring => {
            let first = new_node();
            // `keep` may release `first` before the ring closes: hold it.
            unsafe { Py_INCREF(first) };
            let mut prev = first;
            for _ in 1..n {
                let cur = new_node();
                link(prev, cur);
                keep(prev);
                prev = cur;
            }
            link(prev, first);
            keep(prev);
            unsafe { Py_DECREF(first) };
        }
    }
}

/// Unreachable garbage: every node's only references are internal.
fn build_garbage(shape: Shape, n: usize) {
    build(shape, n, |op| unsafe { Py_DECREF(op) });
}

/// A live heap: a holder (allocated first) owning every node.
fn build_live(shape: Shape, n: usize) -> *mut PyObject {
    let holder = unsafe { PyType_GenericAlloc(type_ptr(&HOLDER), n as Py_ssize_t) };
    assert!(!holder.is_null());
    build(shape, n, |op| unsafe {
        let h = holder.cast::<Holder>();
        assert!((*h).len < n);
        *holder_items(holder).add((*h).len) = op;
        (*h).len += 1;
    });
    holder
}

/// Starts one long-lived `python3 benches/cpython/gc_shapes.py MODE SHAPE
/// N` process and waits until its shape is built; it serves `run K`
/// requests with the nanoseconds of K timed collections.
fn spawn_cpython(group: &str, mode: Mode, shape: Shape, n: usize) -> Python {
    let (script, n) = (script("gc_shapes.py"), n.to_string());
    let args = [
        script.as_os_str(),
        mode.name().as_ref(),
        shape.name().as_ref(),
        n.as_ref(),
    ];
    let (py, line) =
        Python::spawn(args).unwrap_or_else(|e| panic!("{group}: cannot start python3: {e}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let ["ready", tracked, version] = words[..] else {
        panic!("{group}: python3 did not get ready (said {line:?}; see its stderr)");
    };
    if !version.starts_with("3.11.") {
        println!("{group}: note: python3 is CPython {version}, not 3.11");
    }
    println!("{group}: CPython {version}, {tracked} tracked objects outside the frozen generation");
    py
}

/// The sizes of each case; the smoke run (`OBJMODEL_BENCH_QUICK=1`,
/// `scripts/bench --quick`) takes the 10k size only.
const SIZES: [(usize, &str); 3] = [(10_000, "10k"), (100_000, "100k"), (1_000_000, "1m")];

const CASES: [(Mode, Shape); 6] = [
    (Mode::Live, Shape::None),
    (Mode::Live, Shape::TwoCycles),
    (Mode::Live, Shape::Ring),
    (Mode::Garbage, Shape::SelfLoops),
    (Mode::Garbage, Shape::TwoCycles),
    (Mode::Garbage, Shape::Ring),
];

/// objmodel's side: a thread of its own per group, so each group starts
/// from a fresh heap and collector (both are per thread), as CPython's side
/// starts a fresh process. It builds the shape, then serves requests of K
/// timed collections with their total time.
fn spawn_objmodel(mode: Mode, shape: Shape, n: usize) -> Worker {
    Worker::spawn(thread::Builder::new(), move |requests, replies| {
        serve(mode, shape, n, requests, replies)
    })
}

/// The worker: builds, serves, then frees everything and checks it did.
fn serve(mode: Mode, shape: Shape, n: usize, requests: Receiver<u64>, replies: Sender<Duration>) {
    // Automatic collection stays off: only the timed collections run.
    gc::disable();
    let holder = match mode {
        Mode::Live => {
            let h = build_live(shape, n);
            // Moves the heap to the oldest generation, as later runs see it.
            assert_eq!(gc::collect(2), 0);
            Some(h)
        }
        Mode::Garbage => None,
    };
    for iters in requests {
        let elapsed = match mode {
            Mode::Live => {
                let mut found = 0;
                let start = Instant::now();
                for _ in 0..iters {
                    found += gc::collect(2);
                }
                let elapsed = start.elapsed();
                assert_eq!(found, 0, "a live heap has no garbage");
                elapsed
            }
            Mode::Garbage => {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    build_garbage(shape, n);
                    let start = Instant::now();
                    let found = gc::collect(2);
                    total += start.elapsed();
                    assert_eq!(found, n as Py_ssize_t, "the collection frees all n");
                }
                total
            }
        };
        if replies.send(elapsed).is_err() {
            break;
        }
    }
    if let Some(h) = holder {
        unsafe { Py_DECREF(h) };
        let cyclic = match shape {
            Shape::None => 0,
            _ => n as Py_ssize_t,
        };
        assert_eq!(gc::collect(2), cyclic);
    }
    assert!(gc::get_objects(None).is_empty(), "the group freed its heap");
}

/// Whether `python3` can be started; prints a note when it cannot.
fn python3_available() -> bool {
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(_) | Err(_) => {
            println!("gc: python3 is not available; skipping every baseline/cpython-3.11 member");
            false
        }
    }
}

fn collector(c: &mut Criterion) {
    ready_types();
    let have_python = python3_available();
    for (mode, shape) in CASES {
        for (n, label) in SIZES
            .into_iter()
            .take(if quick() { 1 } else { SIZES.len() })
        {
            let name = format!("gc/{}-{}-{label}", mode.name(), shape.name());
            let mut g = c.benchmark_group(&name);
            g.throughput(Throughput::Elements(n as u64));
            // One collection of 1M takes tens of milliseconds (CPython's
            // garbage rebuild, hundreds): flat sampling keeps the minimum
            // at 10 iterations instead of 55.
            g.sampling_mode(SamplingMode::Flat);
            g.sample_size(10);
            group_times(
                &mut g,
                Duration::from_secs(if n >= 1_000_000 { 3 } else { 2 }),
            );
            // Each side is started on its member's first call (so a filter
            // that excludes the group builds nothing) and ended with it.
            if have_python {
                let mut py = None;
                g.bench_function("baseline/cpython-3.11", |b| {
                    let py = py.get_or_insert_with(|| spawn_cpython(&name, mode, shape, n));
                    b.iter_custom(|iters| py.run(iters))
                });
                drop(py);
            }
            let mut om = None;
            g.bench_function("objmodel/collect", |b| {
                let om = om.get_or_insert_with(|| spawn_objmodel(mode, shape, n));
                b.iter_custom(|iters| om.run(iters))
            });
            drop(om);
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    // Plots would triple the run time (36 members); the ratios come from
    // estimates.json.
    config = Criterion::default().without_plots();
    targets = collector
}
criterion_main!(benches);
