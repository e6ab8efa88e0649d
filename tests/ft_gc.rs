//! The collector over free-threaded objects (`objmodel::cpython::ft::gc`),
//! with stop-the-world pauses across real threads.
//!
//! The free-threaded collector is process-wide, so these tests take turns
//! (one mutex) and each counts only its own objects.

// Each unsafe block drives the C-API on objects this file allocated, with
// references counted as the comments say; blocks carry no separate
// SAFETY comment.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_int, c_void};
use std::mem::size_of;
use std::ptr::{addr_of, null_mut};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};
use std::sync::{Mutex, MutexGuard};

use objmodel::cpython::ft::*;
use objmodel::types::ft::world;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    gc::disable();
    gc::set_debug(0);
    gc::collect(2);
    guard
}

#[repr(C)]
struct Node {
    ob_base: PyObject,
    slots: [*mut PyObject; 2],
    deallocs: *const AtomicUsize,
    finalizes: *const AtomicUsize,
}

unsafe extern "C" fn node_traverse(op: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int {
    unsafe {
        for &s in &(*op.cast::<Node>()).slots {
            if !s.is_null() {
                let r = visit(s, arg);
                if r != 0 {
                    return r;
                }
            }
        }
    }
    0
}

unsafe extern "C" fn overcounting_traverse(
    op: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        let s = (*op.cast::<Node>()).slots[0];
        if !s.is_null() {
            visit(s, arg);
            visit(s, arg);
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
        (*(*op.cast::<Node>()).deallocs).fetch_add(1, Relaxed);
        node_clear(op);
        PyObject_GC_Del(op.cast());
    }
}

unsafe extern "C" fn node_finalize(op: *mut PyObject) {
    unsafe { (*(*op.cast::<Node>()).finalizes).fetch_add(1, Relaxed) };
}

/// Where a resurrecting finalizer stores its object (a new reference).
static RESURRECTED: AtomicPtr<PyObject> = AtomicPtr::new(null_mut());

unsafe extern "C" fn resurrecting_finalize(op: *mut PyObject) {
    unsafe {
        node_finalize(op);
        if RESURRECTED.load(SeqCst).is_null() {
            RESURRECTED.store(Py_NewRef(op), SeqCst);
        }
    }
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "FtGcNode",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(node_traverse),
    tp_clear: Some(node_clear),
    tp_finalize: Some(node_finalize),
    ..PyTypeObject::DEFAULT
};

static PHOENIX: PyTypeObject = PyTypeObject {
    tp_name: "FtPhoenix",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(node_traverse),
    tp_clear: Some(node_clear),
    tp_finalize: Some(resurrecting_finalize),
    ..PyTypeObject::DEFAULT
};

static BAD: PyTypeObject = PyTypeObject {
    tp_name: "FtBadTraverse",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    tp_dealloc: Some(node_dealloc),
    tp_traverse: Some(overcounting_traverse),
    tp_clear: Some(node_clear),
    ..PyTypeObject::DEFAULT
};

struct Counters {
    deallocs: AtomicUsize,
    finalizes: AtomicUsize,
}

impl Counters {
    const fn new() -> Counters {
        Counters {
            deallocs: AtomicUsize::new(0),
            finalizes: AtomicUsize::new(0),
        }
    }
    fn get(&self) -> (usize, usize) {
        (self.deallocs.load(Relaxed), self.finalizes.load(Relaxed))
    }
}

fn node(t: &'static PyTypeObject, c: &'static Counters) -> *mut PyObject {
    let ty = addr_of!(*t).cast_mut();
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        let op = PyType_GenericAlloc(ty, 0);
        (*op.cast::<Node>()).deallocs = &c.deallocs;
        (*op.cast::<Node>()).finalizes = &c.finalizes;
        op
    }
}

fn link(a: *mut PyObject, i: usize, b: *mut PyObject) {
    unsafe { Py_XSETREF(&mut (*a.cast::<Node>()).slots[i], Py_NewRef(b)) };
}

#[derive(Clone, Copy)]
struct Ptr(*mut PyObject);
unsafe impl Send for Ptr {}

/// A two-object cycle is found and freed; each finalizer runs once; an
/// externally held cycle survives with its counts intact.
#[test]
fn cycles_are_collected_and_held_ones_survive() {
    let _s = serial();
    static C: Counters = Counters::new();
    let a = node(&NODE, &C);
    let b = node(&NODE, &C);
    unsafe { assert_eq!(PyObject_GC_IsTracked(a), 1) };
    link(a, 0, b);
    link(b, 0, a);
    assert_eq!(gc::collect(2), 0);
    unsafe {
        assert_eq!(Py_REFCNT(a), 2);
        Py_DECREF(b);
    }
    assert_eq!(gc::collect(2), 0, "still held through a");
    unsafe { Py_DECREF(a) };
    assert_eq!(gc::collect(2), 2);
    assert_eq!(C.get(), (2, 2));
}

/// A cycle owned by another thread is collected while that thread is
/// parked at a safepoint: the pause merges the owner's counts and the
/// collecting thread frees the objects.
#[test]
fn cycle_owned_by_a_parked_thread_is_collected() {
    let _s = serial();
    static C: Counters = Counters::new();
    let ready = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _attached = world::attach();
            let a = node(&NODE, &C);
            let b = node(&NODE, &C);
            link(a, 0, b);
            link(b, 1, a);
            unsafe {
                Py_DECREF(a);
                Py_DECREF(b);
            }
            ready.store(true, SeqCst);
            while !done.load(SeqCst) {
                world::safepoint();
                std::hint::spin_loop();
            }
        });
        while !ready.load(SeqCst) {
            std::hint::spin_loop();
        }
        assert_eq!(gc::collect(2), 2);
        done.store(true, SeqCst);
    });
    assert_eq!(C.get(), (2, 2));
}

/// A pause merges every merge queue: an object queued to a parked owner
/// whose count reaches 0 in the merge is deallocated after the restart,
/// and the owner finds nothing left to merge.
#[test]
fn queued_objects_are_merged_during_the_pause() {
    let _s = serial();
    static C: Counters = Counters::new();
    let handed = Mutex::new(None::<Ptr>);
    let ready = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let merged_after = AtomicUsize::new(usize::MAX);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _attached = world::attach();
            let a = node(&NODE, &C);
            // The owner hands its only reference over (counted locally).
            *handed.lock().unwrap() = Some(Ptr(a));
            ready.store(true, SeqCst);
            while !done.load(SeqCst) {
                world::safepoint();
                std::hint::spin_loop();
            }
            merged_after.store(_Py_brc_merge_refcounts(), SeqCst);
        });
        while !ready.load(SeqCst) {
            std::hint::spin_loop();
        }
        let Ptr(a) = handed.lock().unwrap().take().unwrap();
        unsafe {
            Py_DECREF(a); // non-owner, shared 0: queued to the owner
            assert_eq!(
                (*a).ob_ref_shared.load(Relaxed) & _Py_REF_SHARED_FLAG_MASK,
                _Py_REF_QUEUED
            );
        }
        assert_eq!(C.get().0, 0);
        gc::collect(2);
        assert_eq!(C.get().0, 1, "freed by the pause's merge");
        done.store(true, SeqCst);
    });
    assert_eq!(merged_after.load(SeqCst), 0);
}

/// A detached thread (blocked outside object code) does not hold up a
/// pause.
#[test]
fn detached_threads_do_not_block_a_pause() {
    let _s = serial();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let entered = &AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(move || {
            let _attached = world::attach();
            world::detached(|| {
                entered.store(true, SeqCst);
                rx.recv().unwrap();
            });
        });
        while !entered.load(SeqCst) {
            std::hint::spin_loop();
        }
        assert_eq!(gc::collect(2), 0);
        tx.send(()).unwrap();
    });
}

/// FIN-02 and GC-18 for free-threaded objects: a finalizer that resurrects
/// its object keeps it (and what it reaches) alive and uncounted; it is
/// finalized once; released, the cycle is collected.
#[test]
fn resurrection_keeps_the_object_and_finalizes_once() {
    let _s = serial();
    static C: Counters = Counters::new();
    RESURRECTED.store(null_mut(), SeqCst);
    let p = node(&PHOENIX, &C);
    let child = node(&NODE, &C);
    link(p, 0, child);
    link(child, 0, p);
    unsafe {
        Py_DECREF(p);
        Py_DECREF(child);
    }
    assert_eq!(gc::collect(2), 0);
    let saved = RESURRECTED.load(SeqCst);
    assert_eq!(saved, p);
    unsafe { assert!(gc::is_finalized(p)) };
    assert_eq!(C.get(), (0, 2));
    unsafe { Py_DECREF(saved) };
    assert_eq!(gc::collect(2), 2);
    assert_eq!(C.get(), (2, 2), "no second finalizer call");
    RESURRECTED.store(null_mut(), SeqCst);
}

/// `DEBUG_SAVEALL` keeps the garbage in `gc.garbage`; freeze hides objects
/// from collections until unfrozen.
#[test]
fn saveall_and_freeze() {
    let _s = serial();
    static C: Counters = Counters::new();
    let a = node(&NODE, &C);
    link(a, 0, a);
    unsafe { Py_DECREF(a) };
    gc::set_debug(gc::DEBUG_SAVEALL);
    assert_eq!(gc::collect(2), 1);
    gc::set_debug(0);
    assert_eq!(gc::garbage(), vec![a]);
    unsafe { node_clear(a) };
    gc::clear_garbage();
    assert_eq!(C.get().0, 1);

    let b = node(&NODE, &C);
    link(b, 0, b);
    gc::freeze();
    assert!(gc::get_freeze_count() >= 1);
    unsafe { Py_DECREF(b) };
    assert_eq!(gc::collect(2), 0);
    gc::unfreeze();
    assert_eq!(gc::collect(2), 1);
    assert_eq!(C.get().0, 2);
}

/// A traverse that visits a borrowed reference is reported ("refcount is
/// too small", naming the type) and nothing is freed.
#[test]
fn overcounting_traverse_abandons_the_collection() {
    let _s = serial();
    static C: Counters = Counters::new();
    let bad = node(&BAD, &C);
    let target = node(&NODE, &C);
    link(bad, 0, target);
    unsafe { Py_DECREF(target) };
    assert_eq!(gc::collect(2), 0);
    let err = objmodel::cycles::ft_collector::take_error()
        .expect("an error")
        .to_string();
    assert!(
        err.contains("refcount is too small") && err.contains("FtGcNode"),
        "{err}"
    );
    assert_eq!(C.get().0, 0);
    unsafe {
        assert_eq!(Py_REFCNT(target), 1);
        Py_DECREF(bad);
    }
    assert_eq!(C.get().0, 2);
}
