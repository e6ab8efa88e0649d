//! PEP 442 finalizers run from `tp_dealloc` (`PyObject_CallFinalizerFromDealloc`):
//! FIN-01 and GC-06 of the semantics page.

// Each unsafe block drives the C-API on objects this file allocated and
// owns (live objects of the types below, references counted exactly), so
// blocks carry no separate SAFETY comment.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::mem::size_of;
use std::ptr::{addr_of, null_mut};

use objmodel::cpython::*;
use objmodel::Py_VISIT;

#[repr(C)]
struct Obj {
    ob_base: PyObject,
    next: *mut PyObject,
}

thread_local! {
    static FINALIZE_CALLS: Cell<usize> = const { Cell::new(0) };
    static FREES: Cell<usize> = const { Cell::new(0) };
    static RESURRECT: Cell<bool> = const { Cell::new(false) };
    static SAVED: RefCell<Vec<*mut PyObject>> = const { RefCell::new(Vec::new()) };
    static COLLECT_RESULTS: RefCell<Vec<isize>> = const { RefCell::new(Vec::new()) };
}

fn reset() {
    FINALIZE_CALLS.with(|c| c.set(0));
    FREES.with(|c| c.set(0));
    RESURRECT.with(|c| c.set(false));
    gc::disable();
    gc::collect(2);
}

/// Records the call; resurrects (stores a new reference) when asked.
unsafe extern "C" fn finalize(op: *mut PyObject) {
    FINALIZE_CALLS.with(|c| c.set(c.get() + 1));
    if RESURRECT.with(Cell::get) {
        SAVED.with(|s| s.borrow_mut().push(unsafe { Py_NewRef(op) }));
    }
}

/// A `__del__` that calls `gc.collect()`, as GC-06's does.
unsafe extern "C" fn finalize_and_collect(op: *mut PyObject) {
    unsafe { finalize(op) };
    let n = gc::collect(2);
    COLLECT_RESULTS.with(|r| r.borrow_mut().push(n));
}

unsafe extern "C" fn plain_dealloc(op: *mut PyObject) {
    unsafe {
        if PyObject_CallFinalizerFromDealloc(op) < 0 {
            return; // resurrected
        }
        FREES.with(|c| c.set(c.get() + 1));
        Py_CLEAR(&mut (*op.cast::<Obj>()).next);
        PyObject_Free(op.cast());
    }
}

unsafe extern "C" fn gc_dealloc(op: *mut PyObject) {
    unsafe {
        if PyObject_CallFinalizerFromDealloc(op) < 0 {
            return; // resurrected
        }
        PyObject_GC_UnTrack(op.cast());
        FREES.with(|c| c.set(c.get() + 1));
        Py_CLEAR(&mut (*op.cast::<Obj>()).next);
        PyObject_GC_Del(op.cast());
    }
}

unsafe extern "C" fn obj_traverse(op: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int {
    unsafe { Py_VISIT!((*op.cast::<Obj>()).next, visit, arg) };
    0
}

unsafe extern "C" fn obj_clear(op: *mut PyObject) -> c_int {
    unsafe { Py_CLEAR(&mut (*op.cast::<Obj>()).next) };
    0
}

static NON_GC: PyTypeObject = PyTypeObject {
    tp_name: "NonGcDel",
    tp_basicsize: size_of::<Obj>() as Py_ssize_t,
    tp_dealloc: Some(plain_dealloc),
    tp_finalize: Some(finalize),
    ..PyTypeObject::DEFAULT
};

static WITH_GC: PyTypeObject = PyTypeObject {
    tp_name: "GcDel",
    tp_basicsize: size_of::<Obj>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(gc_dealloc),
    tp_traverse: Some(obj_traverse),
    tp_clear: Some(obj_clear),
    tp_finalize: Some(finalize),
    ..PyTypeObject::DEFAULT
};

static COLLECTING_DEL: PyTypeObject = PyTypeObject {
    tp_name: "CollectingDel",
    tp_finalize: Some(finalize_and_collect),
    ..WITH_GC_TEMPLATE
};

#[allow(clippy::declare_interior_mutable_const)]
const WITH_GC_TEMPLATE: PyTypeObject = PyTypeObject {
    tp_name: "GcDel",
    tp_basicsize: size_of::<Obj>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(gc_dealloc),
    tp_traverse: Some(obj_traverse),
    tp_clear: Some(obj_clear),
    ..PyTypeObject::DEFAULT
};

fn new(t: &'static PyTypeObject) -> *mut PyObject {
    let ty = addr_of!(*t).cast_mut();
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        PyType_GenericAlloc(ty, 0)
    }
}

fn calls() -> usize {
    FINALIZE_CALLS.with(Cell::get)
}

fn frees() -> usize {
    FREES.with(Cell::get)
}

fn take_saved() -> Vec<*mut PyObject> {
    SAVED.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// FIN-01 `test_simple` / `test_non_gc`: the last decref runs the
/// finalizer once, then frees the object.
#[test]
fn finalizer_runs_before_free() {
    for t in [&NON_GC, &WITH_GC] {
        reset();
        let op = new(t);
        unsafe { Py_DECREF(op) };
        assert_eq!((calls(), frees()), (1, 1), "{}", t.tp_name);
    }
}

/// FIN-01 `test_non_gc_resurrect`: a non-GC object resurrected by its
/// finalizer is finalized AGAIN when its count next reaches zero
/// (`del_calls == ids * 2`): there is no header bit to remember it.
#[test]
fn non_gc_finalizer_runs_again_after_resurrection() {
    reset();
    RESURRECT.with(|r| r.set(true));
    let op = new(&NON_GC);
    unsafe { Py_DECREF(op) };
    assert_eq!((calls(), frees()), (1, 0));
    let saved = take_saved();
    assert_eq!(saved, vec![op]);
    assert_eq!(unsafe { Py_REFCNT(op) }, 1, "the finalizer's reference");
    RESURRECT.with(|r| r.set(false));
    unsafe { Py_DECREF(op) };
    assert_eq!((calls(), frees()), (2, 1));
}

/// FIN-01 `test_simple_resurrect` (GC flavour): a GC object is finalized
/// at most once; resurrected, it stays tracked, and its next death frees
/// it without a second finalizer call.
#[test]
fn gc_finalizer_runs_once_even_after_resurrection() {
    reset();
    RESURRECT.with(|r| r.set(true));
    let op = new(&WITH_GC);
    unsafe { Py_DECREF(op) };
    assert_eq!((calls(), frees()), (1, 0));
    let saved = take_saved();
    assert_eq!(saved, vec![op]);
    unsafe {
        assert_eq!(PyObject_GC_IsFinalized(op), 1);
        assert_eq!(
            PyObject_GC_IsTracked(op),
            1,
            "a resurrected GC object stays tracked"
        );
    }
    unsafe { Py_DECREF(op) };
    assert_eq!((calls(), frees()), (1, 1));
    RESURRECT.with(|r| r.set(false));
}

/// GC-06 `test_trashcan`: a 150-deep chain whose every finalizer calls
/// `gc.collect()` while the trashcan is unwinding; every object is
/// finalized and freed exactly once, and a collect inside a collect
/// returns 0.
#[test]
fn trashcan_with_finalizers_calling_collect() {
    reset();
    COLLECT_RESULTS.with(|r| r.borrow_mut().clear());
    let n = 150;
    let mut head: *mut PyObject = null_mut();
    for _ in 0..n {
        let op = new(&COLLECTING_DEL);
        unsafe { (*op.cast::<Obj>()).next = head };
        head = op;
    }
    unsafe { Py_DECREF(head) };
    assert_eq!((calls(), frees()), (n, n));
    let results = COLLECT_RESULTS.with(|r| r.borrow().clone());
    assert_eq!(results.len(), n);
    assert!(gc::get_objects(None).is_empty());
}

/// A cycle of objects with finalizers found by the collector: each is
/// finalized once by the collector, then freed by `tp_clear`; the
/// dealloc-time finalizer call sees FINALIZED and does not run it again.
#[test]
fn collector_finalizes_once_and_dealloc_does_not_repeat() {
    reset();
    let a = new(&WITH_GC);
    let b = new(&WITH_GC);
    unsafe {
        (*a.cast::<Obj>()).next = Py_NewRef(b);
        (*b.cast::<Obj>()).next = Py_NewRef(a);
        Py_DECREF(a);
        Py_DECREF(b);
    }
    assert_eq!(gc::collect(2), 2);
    assert_eq!((calls(), frees()), (2, 2));
}
