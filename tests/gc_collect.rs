//! The cycle collector through `objmodel::cpython`: the GC-* and FIN-*
//! cases of the semantics page that apply without a Python interpreter,
//! and a graph fuzzer checked against a reachability oracle.
//!
//! Every test runs on its own thread's default collector and heap, so the
//! counts it asserts are its own.

// Each unsafe block below drives the C-API on objects this test file
// allocated and owns; the invariant is the same everywhere (live objects
// of the `NODE` types, references owned as counted), so blocks carry no
// separate SAFETY comment.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;
use objmodel::Py_VISIT;
use proptest::prelude::*;

const SLOTS: usize = 3;

#[repr(C)]
struct Node {
    ob_base: PyObject,
    slots: [*mut PyObject; SLOTS],
    id: usize,
}

thread_local! {
    /// Ids of deallocated nodes, in order.
    static FREED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// Ids of finalized nodes, in order.
    static FINALIZED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// Where a resurrecting finalizer stores its object (a new reference).
    static RESURRECTED: Cell<*mut PyObject> = const { Cell::new(null_mut()) };
}

fn freed() -> Vec<usize> {
    FREED.with(|f| f.borrow().clone())
}

fn finalized() -> Vec<usize> {
    FINALIZED.with(|f| f.borrow().clone())
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
        FREED.with(|f| f.borrow_mut().push((*op.cast::<Node>()).id));
        node_clear(op);
        PyObject_GC_Del(op.cast());
    }
}

unsafe extern "C" fn node_finalize(op: *mut PyObject) {
    unsafe { FINALIZED.with(|f| f.borrow_mut().push((*op.cast::<Node>()).id)) };
}

unsafe extern "C" fn resurrecting_finalize(op: *mut PyObject) {
    unsafe {
        node_finalize(op);
        if RESURRECTED.with(Cell::get).is_null() {
            RESURRECTED.with(|r| r.set(Py_NewRef(op)));
        }
    }
}

/// Visits its first slot twice: a traverse that reports a borrowed
/// reference.
unsafe extern "C" fn overcounting_traverse(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        let s = (*op.cast::<Node>()).slots[0];
        Py_VISIT!(s, visit, arg);
        Py_VISIT!(s, visit, arg);
    }
    0
}

unsafe extern "C" fn legacy_del(_op: *mut PyObject) {}

// A template each static type copies with struct update; every copy gets
// its own fresh runtime state, which is the point of a const here.
#[allow(clippy::declare_interior_mutable_const)]
const NODE_TEMPLATE: PyTypeObject = PyTypeObject {
    tp_name: "Node",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(node_traverse),
    tp_clear: Some(node_clear),
    ..PyTypeObject::DEFAULT
};

static NODE: PyTypeObject = NODE_TEMPLATE;
static FINAL_NODE: PyTypeObject = PyTypeObject {
    tp_name: "FinalNode",
    tp_finalize: Some(node_finalize),
    ..NODE_TEMPLATE
};
static PHOENIX: PyTypeObject = PyTypeObject {
    tp_name: "Phoenix",
    tp_finalize: Some(resurrecting_finalize),
    ..NODE_TEMPLATE
};
static LEGACY: PyTypeObject = PyTypeObject {
    tp_name: "Legacy",
    tp_del: Some(legacy_del),
    ..NODE_TEMPLATE
};
static BAD_TRAVERSE: PyTypeObject = PyTypeObject {
    tp_name: "BadTraverse",
    tp_traverse: Some(overcounting_traverse),
    ..NODE_TEMPLATE
};

const _: () = assert!(offset_of!(Node, slots) == size_of::<PyObject>());

fn ty(t: &'static PyTypeObject) -> *mut PyTypeObject {
    let p = addr_of!(*t).cast_mut();
    assert_eq!(unsafe { PyType_Ready(p) }, 0);
    p
}

fn node(t: &'static PyTypeObject, id: usize) -> *mut PyObject {
    let op = unsafe { PyType_GenericAlloc(ty(t), 0) };
    assert!(!op.is_null());
    unsafe { (*op.cast::<Node>()).id = id };
    op
}

/// `a.slots[i] = b`, taking a new reference to `b`.
fn link(a: *mut PyObject, i: usize, b: *mut PyObject) {
    unsafe { Py_XSETREF(&mut (*a.cast::<Node>()).slots[i], Py_NewRef(b)) };
}

/// Starts from a clean collector: automatic collection off, nothing
/// pending from earlier work on this thread.
fn fresh() {
    gc::disable();
    gc::collect(2);
    FREED.with(|f| f.borrow_mut().clear());
    FINALIZED.with(|f| f.borrow_mut().clear());
}

/// GC-01 `test_list`: a self-referencing container, dropped, is found by
/// one full collection: `gc.collect()` returns exactly 1.
#[test]
fn self_cycle_collects_one() {
    fresh();
    let a = node(&NODE, 1);
    link(a, 0, a);
    assert_eq!(unsafe { Py_REFCNT(a) }, 2);
    assert!(unsafe { gc::is_tracked(a) });
    unsafe { Py_DECREF(a) };
    assert!(freed().is_empty(), "refcounting alone cannot free a cycle");
    assert_eq!(gc::collect(2), 1);
    assert_eq!(freed(), vec![1]);
}

/// GC-01 `test_tuple`: a two-object cycle returns 2; a cycle still held
/// from outside survives untouched (counts unchanged).
#[test]
fn two_cycle_collects_two_and_held_cycle_survives() {
    fresh();
    let a = node(&NODE, 1);
    let b = node(&NODE, 2);
    link(a, 0, b);
    link(b, 0, a);
    unsafe { Py_DECREF(b) };
    assert_eq!(gc::collect(2), 0, "a is still referenced from outside");
    assert_eq!(unsafe { Py_REFCNT(a) }, 2);
    assert!(freed().is_empty());
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::collect(2), 2);
    let mut f = freed();
    f.sort_unstable();
    assert_eq!(f, vec![1, 2]);
}

/// GC-05 `test_collect_generations`: counts `(_, 1, 0)` after
/// `collect(0)`, `(_, 0, 1)` after `collect(1)`, `(_, 0, 0)` after
/// `collect(2)`.
#[test]
fn generation_counts_follow_collections() {
    fresh();
    gc::collect(0);
    let (_, c1, c2) = gc::get_count();
    assert_eq!((c1, c2), (1, 0));
    gc::collect(1);
    let (_, c1, c2) = gc::get_count();
    assert_eq!((c1, c2), (0, 1));
    gc::collect(2);
    let (_, c1, c2) = gc::get_count();
    assert_eq!((c1, c2), (0, 0));
    // New GC objects count towards generation 0.
    let before = gc::get_count().0;
    let a = node(&NODE, 1);
    assert_eq!(gc::get_count().0, before + 1);
    // ... and freeing one takes it back (PyObject_GC_Del's decrement).
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::get_count().0, before);
}

/// Survivors of a young collection move to the next generation.
#[test]
fn survivors_are_promoted() {
    fresh();
    let a = node(&NODE, 1);
    assert_eq!(gc::get_objects(Some(0)), vec![a]);
    gc::collect(0);
    assert!(gc::get_objects(Some(0)).is_empty());
    assert_eq!(gc::get_objects(Some(1)), vec![a]);
    gc::collect(1);
    assert_eq!(gc::get_objects(Some(2)), vec![a]);
    unsafe { Py_DECREF(a) };
    assert!(gc::get_objects(None).is_empty());
}

/// GC-03 `test_saveall`: under `DEBUG_SAVEALL` the unreachable object is
/// kept in `gc.garbage` (and counted), not freed; clearing garbage frees it
/// once its cycle is broken.
#[test]
fn saveall_keeps_garbage() {
    fresh();
    let a = node(&NODE, 7);
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    gc::set_debug(gc::DEBUG_SAVEALL);
    assert_eq!(gc::collect(2), 1);
    gc::set_debug(0);
    assert_eq!(gc::garbage(), vec![a]);
    assert!(freed().is_empty());
    gc::clear_garbage();
    assert_eq!(gc::collect(2), 1);
    assert_eq!(freed(), vec![7]);
}

/// GC-02 `test_legacy_finalizer`: a cycle through an object with `tp_del`
/// is uncollectable: counted by `collect`, appended to `gc.garbage`, not
/// freed.
#[test]
fn legacy_finalizer_cycle_goes_to_garbage() {
    fresh();
    let a = node(&LEGACY, 1);
    let b = node(&NODE, 2);
    link(a, 0, b);
    link(b, 0, a);
    unsafe {
        Py_DECREF(a);
        Py_DECREF(b);
    }
    assert_eq!(gc::collect(2), 2);
    assert_eq!(gc::garbage(), vec![a]);
    assert!(freed().is_empty());
    // Break the cycle by hand, as a Python program would.
    unsafe { node_clear(a) };
    gc::clear_garbage();
    let mut f = freed();
    f.sort_unstable();
    assert_eq!(f, vec![1, 2]);
}

/// FIN-02 `SelfCycleFinalizationTest.test_simple`: the finalizer of a
/// cyclic object runs once, then the object is freed; `is_finalized` was
/// not set before.
#[test]
fn finalizer_runs_once_then_object_is_freed() {
    fresh();
    let a = node(&FINAL_NODE, 3);
    link(a, 0, a);
    assert!(!unsafe { gc::is_finalized(a) });
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::collect(2), 1);
    assert_eq!(finalized(), vec![3]);
    assert_eq!(freed(), vec![3]);
}

/// FIN-02 `test_simple_resurrect` and GC-18: an object whose finalizer
/// resurrects it survives and is not counted (collect returns 0); its
/// finalizer never runs again; once released it is collected normally.
#[test]
fn resurrected_object_survives_and_is_not_finalized_twice() {
    fresh();
    RESURRECTED.with(|r| r.set(null_mut()));
    let a = node(&PHOENIX, 9);
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::collect(2), 0);
    assert_eq!(finalized(), vec![9]);
    assert!(freed().is_empty());
    let saved = RESURRECTED.with(Cell::get);
    assert_eq!(saved, a);
    assert!(unsafe { gc::is_finalized(a) });
    assert_eq!(unsafe { PyObject_GC_IsFinalized(a) }, 1);
    // Release the resurrecting reference; keep the resurrection slot
    // non-null so the finalizer would not resurrect again anyway.
    unsafe { Py_DECREF(saved) };
    assert_eq!(gc::collect(2), 1);
    assert_eq!(finalized(), vec![9], "finalized at most once (PEP 442)");
    assert_eq!(freed(), vec![9]);
    RESURRECTED.with(|r| r.set(null_mut()));
}

/// GC-17 `test_resurrection_is_transitive` and GC-18: what a resurrected
/// object reaches survives with it, while unrelated garbage in the same
/// collection is still freed.
#[test]
fn resurrection_is_transitive_and_does_not_block_others() {
    fresh();
    RESURRECTED.with(|r| r.set(null_mut()));
    let phoenix = node(&PHOENIX, 1);
    let child = node(&NODE, 2);
    link(phoenix, 0, child);
    link(child, 0, phoenix);
    let other = node(&NODE, 3);
    link(other, 0, other);
    unsafe {
        Py_DECREF(phoenix);
        Py_DECREF(child);
        Py_DECREF(other);
    }
    assert_eq!(gc::collect(2), 1, "only the unrelated cycle is collected");
    assert_eq!(freed(), vec![3]);
    let saved = RESURRECTED.with(Cell::get);
    unsafe { Py_DECREF(saved) };
    assert_eq!(gc::collect(2), 2);
    let mut f = freed();
    f.sort_unstable();
    assert_eq!(f, vec![1, 2, 3]);
    RESURRECTED.with(|r| r.set(null_mut()));
}

/// GC-16 `test_freeze`: frozen objects are ignored by collections until
/// unfrozen.
#[test]
fn frozen_garbage_waits_for_unfreeze() {
    fresh();
    let a = node(&NODE, 5);
    link(a, 0, a);
    gc::freeze();
    assert_eq!(gc::get_freeze_count(), 1);
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::collect(2), 0);
    gc::unfreeze();
    assert_eq!(gc::get_freeze_count(), 0);
    assert_eq!(gc::collect(2), 1);
    assert_eq!(freed(), vec![5]);
}

/// GC-08 and `gc.get_referrers`: referents are what `tp_traverse` visits;
/// referrers are the tracked objects that visit the target.
#[test]
fn referents_and_referrers() {
    fresh();
    let a = node(&NODE, 1);
    let b = node(&NODE, 2);
    link(a, 1, b);
    assert_eq!(unsafe { gc::get_referents(a) }, vec![b]);
    assert!(unsafe { gc::get_referents(b) }.is_empty());
    assert_eq!(unsafe { gc::get_referrers(b) }, vec![a]);
    assert!(unsafe { gc::get_referents(Py_None()) }.is_empty());
    assert!(!unsafe { gc::is_tracked(Py_None()) });
    unsafe {
        Py_DECREF(a);
        Py_DECREF(b);
    }
}

/// GC-04: with threshold 1 the collector runs automatically on
/// allocation and frees an unreachable cycle without an explicit collect.
#[test]
fn automatic_collection_on_allocation() {
    fresh();
    gc::set_threshold(1, 10, 10);
    gc::enable();
    let a = node(&FINAL_NODE, 1);
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    for i in 0..4 {
        let t = node(&NODE, 100 + i);
        unsafe { Py_DECREF(t) };
    }
    gc::disable();
    gc::set_threshold(2000, 10, 10);
    assert!(freed().contains(&1), "{:?}", freed());
}

/// `gc.callbacks` (GC-20 `test_collect`): start and stop phases with the
/// generation and the counts.
#[test]
fn callbacks_see_start_and_stop() {
    fresh();
    let seen = std::rc::Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    gc::add_callback(move |phase, info| s.borrow_mut().push((phase, *info)));
    let a = node(&NODE, 1);
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    gc::collect(1);
    gc::clear_callbacks();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, gc::Phase::Start);
    assert_eq!(seen[1].0, gc::Phase::Stop);
    assert_eq!(seen[1].1.generation, 1);
    assert_eq!(seen[1].1.collected, 1);
    assert_eq!(seen[1].1.uncollectable, 0);
}

/// GC-20 `test_refcount_errors`, checked: a traverse that visits a
/// borrowed reference drives gc_refs below zero; the collection is
/// abandoned, nothing is freed, the real counts are untouched, and the
/// error names the type and says "refcount is too small".
#[test]
fn overcounting_traverse_is_reported_not_freed() {
    fresh();
    let bad = node(&BAD_TRAVERSE, 1);
    let target = node(&NODE, 2);
    link(bad, 0, target);
    unsafe { Py_DECREF(target) };
    // `target` has count 1 (from `bad`) but is visited twice.
    assert_eq!(gc::collect(2), 0);
    let err = gc_traverse_error().expect("the collection reports an error");
    assert!(err.contains("refcount is too small"), "{err}");
    assert!(err.contains("Node"), "{err}");
    assert!(freed().is_empty());
    assert_eq!(unsafe { Py_REFCNT(target) }, 1);
    assert_eq!(unsafe { Py_REFCNT(bad) }, 1);
    // The collector stays usable.
    let c = node(&NODE, 3);
    link(c, 0, c);
    unsafe { Py_DECREF(c) };
    unsafe { Py_CLEAR(&mut (*bad.cast::<Node>()).slots[0]) };
    assert_eq!(gc::collect(2), 1);
    unsafe { Py_DECREF(bad) };
}

fn gc_traverse_error() -> Option<String> {
    objmodel::cycles::collector::with_default(|c| c.take_error()).map(|e| e.to_string())
}

/// Tracking an already tracked object is refused, naming the type.
#[test]
#[should_panic(expected = "object already tracked by the garbage collector: `Node`")]
fn double_track_is_refused() {
    let a = node(&NODE, 1);
    unsafe { PyObject_GC_Track(a.cast()) };
}

/// Untracking is idempotent; an untracked cycle is invisible to the
/// collector.
#[test]
fn untrack_is_idempotent() {
    fresh();
    let a = node(&NODE, 1);
    unsafe {
        PyObject_GC_UnTrack(a.cast());
        PyObject_GC_UnTrack(a.cast());
        assert_eq!(PyObject_GC_IsTracked(a), 0);
        PyObject_GC_Track(a.cast());
        assert_eq!(PyObject_GC_IsTracked(a), 1);
        Py_DECREF(a);
    }
    assert_eq!(freed(), vec![1]);
}

/// A dealloc'd GC object leaves its generation list (untracked first).
#[test]
fn dealloc_untracks() {
    fresh();
    let a = node(&NODE, 1);
    let b = node(&NODE, 2);
    assert_eq!(gc::get_objects(Some(0)).len(), 2);
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::get_objects(Some(0)), vec![b]);
    unsafe { Py_DECREF(b) };
    assert!(gc::get_objects(None).is_empty());
}

/// DEA-01 with GC containers: a long chain of GC objects dropped by one
/// decref is freed without stack overflow, each exactly once.
#[test]
fn long_gc_chain_drops_through_the_trashcan() {
    fresh();
    let n = if cfg!(miri) { 200 } else { 200_000 };
    let mut head: *mut PyObject = null_mut();
    for i in 0..n {
        let op = node(&NODE, i);
        unsafe { (*op.cast::<Node>()).slots[0] = head };
        head = op;
    }
    unsafe { Py_DECREF(head) };
    assert_eq!(freed().len(), n);
    assert!(gc::get_objects(None).is_empty());
}

/// 128 graphs normally, 4 under Miri, which also has no file system for
/// proptest's failure persistence.
fn fuzz_config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 128 },
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    /// The graph fuzzer: random graphs of GC objects with random external
    /// roots; drop the roots and collect. Exactly the objects unreachable
    /// from the roots are freed, each once, and the collect result counts
    /// them; the reachable ones keep counts equal to their in-degree plus
    /// their root references.
    #[test]
    fn collector_frees_exactly_the_unreachable(
        n in 1usize..if cfg!(miri) { 12 } else { 120 },
        edges in proptest::collection::vec((0usize..1000, 0usize..SLOTS, 0usize..1000), 0..300),
        roots in proptest::collection::vec(0usize..1000, 0..8),
    ) {
        fresh();
        let objs: Vec<*mut PyObject> = (0..n).map(|i| node(&NODE, i)).collect();
        let mut slot: Vec<[Option<usize>; SLOTS]> = vec![[None; SLOTS]; n];
        for &(a, s, b) in &edges {
            let (a, b) = (a % n, b % n);
            link(objs[a], s, objs[b]);
            slot[a][s] = Some(b);
        }
        let roots: Vec<usize> = roots.into_iter().map(|r| r % n).collect();
        for &r in &roots {
            unsafe { Py_INCREF(objs[r]) };
        }
        // Drop the creation references: what remains is slots and roots.
        for &op in &objs {
            unsafe { Py_DECREF(op) };
        }
        // Oracle: reachable from the roots through slots.
        let mut reachable = vec![false; n];
        let mut stack = roots.clone();
        while let Some(i) = stack.pop() {
            if !reachable[i] {
                reachable[i] = true;
                stack.extend(slot[i].iter().flatten().copied());
            }
        }
        // Objects not reachable and not in any cycle were already freed by
        // refcounting; the collector must free the rest of the unreachable.
        let by_refcount = freed().len();
        let found = gc::collect(2);
        let mut f = freed();
        f.sort_unstable();
        let expected: Vec<usize> = (0..n).filter(|&i| !reachable[i]).collect();
        prop_assert_eq!(&f, &expected, "freed each once, exactly the unreachable");
        prop_assert_eq!(found as usize, expected.len() - by_refcount);
        // Survivors keep exact counts: in-degree from live nodes + roots.
        for i in (0..n).filter(|&i| reachable[i]) {
            let indeg = (0..n)
                .filter(|&j| reachable[j])
                .map(|j| slot[j].iter().filter(|&&s| s == Some(i)).count())
                .sum::<usize>()
                + roots.iter().filter(|&&r| r == i).count();
            prop_assert_eq!(unsafe { Py_REFCNT(objs[i]) } as usize, indeg);
        }
        for &r in &roots {
            unsafe { Py_DECREF(objs[r]) };
        }
        gc::collect(2);
        prop_assert_eq!(freed().len(), n);
    }
}

/// GC-13 `test_garbage_at_shutdown`: uncollectable objects left in
/// `garbage` are reported at shutdown with CPython's wording, listed under
/// `DEBUG_UNCOLLECTABLE`.
#[test]
fn uncollectable_garbage_is_reported_at_shutdown() {
    use objmodel::cycles::collector::Collector;

    let c = Collector::new();
    c.disable();
    let ty = ty(&LEGACY);
    gc::disable();
    let a = unsafe { c.alloc(ty, 0) };
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    assert_eq!(c.collect(2), 1);
    let report = c.shutdown_report().expect("one uncollectable object");
    assert_eq!(
        report,
        "ResourceWarning: gc: 1 uncollectable objects at shutdown; \
         use gc.set_debug(gc.DEBUG_UNCOLLECTABLE) to list them"
    );
    c.set_debug(gc::DEBUG_UNCOLLECTABLE);
    let listed = c.shutdown_report().unwrap();
    assert!(listed.contains("<Legacy 0x"), "{listed}");
    // Break the cycle so the object is freed when the garbage goes.
    unsafe { node_clear(a) };
    c.clear_garbage();
    assert!(c.shutdown_report().is_none());
}
