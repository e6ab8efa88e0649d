//! The free-threaded CPython-name table (`objmodel::cpython::ft`) and
//! `Ref<T, FtObject>`: BRC and CAPI-08 cases through the public API, across
//! real threads.

// Each unsafe block drives the C-API on objects this file allocated, with
// references counted exactly as the comments say; blocks carry no
// separate SAFETY comment.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::mem::size_of;
use std::ptr::{addr_of, null_mut};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc;

use objmodel::cpython::ft::*;
use objmodel::types::ft::FtObject;
use objmodel::{Ref, RustType};

/// An object whose dealloc counts itself in the test's own counter (tests
/// run in parallel, so no counter is shared between them).
#[repr(C)]
struct Node {
    ob_base: PyObject,
    next: *mut PyObject,
    deallocs: *const AtomicUsize,
}

/// A try-incref attempted from inside the dealloc, and what it saw.
static TRY_IN_DEALLOC: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn node_dealloc(op: *mut PyObject) {
    unsafe {
        (*(*op.cast::<Node>()).deallocs).fetch_add(1, Relaxed);
        Py_CLEAR(&mut (*op.cast::<Node>()).next);
        PyObject_Free(op.cast());
    }
}

unsafe extern "C" fn probing_dealloc(op: *mut PyObject) {
    unsafe {
        // CAPI-08: a try-incref during dealloc must fail, count stays 0.
        let ok = _Py_TryIncref(op);
        TRY_IN_DEALLOC.store(if ok { 2 } else { 1 }, Relaxed);
        assert_eq!(Py_REFCNT(op), 0);
        node_dealloc(op);
    }
}

static NODE: PyTypeObject = PyTypeObject {
    tp_name: "FtNode",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_dealloc: Some(node_dealloc),
    ..PyTypeObject::DEFAULT
};

static PROBING: PyTypeObject = PyTypeObject {
    tp_name: "FtProbing",
    tp_basicsize: size_of::<Node>() as Py_ssize_t,
    tp_dealloc: Some(probing_dealloc),
    ..PyTypeObject::DEFAULT
};

fn new(t: &'static PyTypeObject, deallocs: &'static AtomicUsize) -> *mut PyObject {
    let ty = addr_of!(*t).cast_mut();
    unsafe {
        assert_eq!(PyType_Ready(ty), 0);
        let op = PyType_GenericAlloc(ty, 0);
        (*op.cast::<Node>()).deallocs = deallocs;
        op
    }
}

/// A raw object pointer sent to another thread (the object is `Sync`).
#[derive(Clone, Copy)]
struct Send_(*mut PyObject);
unsafe impl Send for Send_ {}

/// BRC-01 through the table: the owner's incref/decref touch only
/// `ob_ref_local`; the header is CPython's 32 bytes.
#[test]
fn owner_counts_locally() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    assert_eq!(size_of::<PyObject>(), 32);
    let op = new(&NODE, &DEALLOCS);
    unsafe {
        assert!(_Py_IsOwnedByCurrentThread(op));
        assert_eq!((*op).ob_tid.load(Relaxed), _Py_ThreadId());
        Py_INCREF(op);
        assert_eq!((*op).ob_ref_local.load(Relaxed), 2);
        assert_eq!((*op).ob_ref_shared.load(Relaxed), 0);
        Py_DECREF(op);
        assert_eq!(Py_REFCNT(op), 1);
        Py_DECREF(op);
    }
    assert_eq!(DEALLOCS.load(Relaxed), 1);
}

/// BRC-02/03/04 across threads: another thread's increments go to the
/// shared word; its decrement below zero queues the object; the owner's
/// merge leaves it MERGED and unowned, and the last decrement, from any
/// thread, deallocates exactly once.
#[test]
fn cross_thread_references_merge_and_dealloc_once() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    let op = new(&NODE, &DEALLOCS);
    unsafe { Py_INCREF(op) }; // the reference handed to the other thread
    let p = Send_(op);
    std::thread::spawn(move || unsafe {
        let p = p;
        let op = p.0;
        assert!(!_Py_IsOwnedByCurrentThread(op));
        Py_INCREF(op);
        assert_eq!((*op).ob_ref_shared.load(Relaxed), 1 << _Py_REF_SHARED_SHIFT);
        assert_eq!(Py_REFCNT(op), 3);
        Py_DECREF(op);
        Py_DECREF(op); // the handed reference: shared would go negative
        assert_eq!(
            (*op).ob_ref_shared.load(Relaxed) & _Py_REF_SHARED_FLAG_MASK,
            _Py_REF_QUEUED
        );
    })
    .join()
    .unwrap();
    assert_eq!(_Py_brc_merge_refcounts(), 1);
    unsafe {
        assert_eq!(Py_REFCNT(op), 1);
        assert_eq!((*op).ob_tid.load(Relaxed), _Py_UNOWNED_TID);
        assert_eq!(
            (*op).ob_ref_shared.load(Relaxed) & _Py_REF_SHARED_FLAG_MASK,
            _Py_REF_MERGED
        );
    }
    assert_eq!(DEALLOCS.load(Relaxed), 0);
    let p = Send_(op);
    std::thread::spawn(move || unsafe {
        let p = p;
        Py_DECREF(p.0);
    })
    .join()
    .unwrap();
    assert_eq!(DEALLOCS.load(Relaxed), 1);
}

/// BRC-05 `_Py_ExplicitMergeRefcount` returns local + shared + extra and
/// leaves the object merged and unowned.
#[test]
fn explicit_merge_returns_the_whole_count() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    let op = new(&NODE, &DEALLOCS);
    unsafe {
        Py_INCREF(op);
        assert_eq!(_Py_ExplicitMergeRefcount(op, 1), 3);
        assert_eq!((*op).ob_tid.load(Relaxed), _Py_UNOWNED_TID);
        assert_eq!((*op).ob_ref_local.load(Relaxed), 0);
        assert_eq!(Py_REFCNT(op), 3);
        Py_DECREF(op);
        Py_DECREF(op);
        assert_eq!(DEALLOCS.load(Relaxed), 0);
        Py_DECREF(op);
    }
    assert_eq!(DEALLOCS.load(Relaxed), 1);
}

/// BRC-07: `Py_SET_REFCNT` above `u32::MAX` from the owner makes the
/// object immortal; from another thread it merges.
#[test]
fn set_refcnt_follows_the_free_threaded_rules() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    let op = new(&NODE, &DEALLOCS);
    unsafe {
        Py_SET_REFCNT(op, u32::MAX as Py_ssize_t + 1);
        assert!(_Py_IsImmortal(op));
        assert_eq!((*op).ob_ref_local.load(Relaxed), u32::MAX);
        assert_eq!((*op).ob_tid.load(Relaxed), _Py_UNOWNED_TID);
        assert_eq!(Py_REFCNT(op), _Py_IMMORTAL_INITIAL_REFCNT);
    }
    // Immortal: never freed, as CPython's immortals; its block is released
    // by hand at the end.
    let op2 = new(&NODE, &DEALLOCS);
    let p = Send_(op2);
    std::thread::spawn(move || unsafe {
        let p = p;
        Py_SET_REFCNT(p.0, 2);
        assert_eq!((*p.0).ob_ref_local.load(Relaxed), 0);
        assert_eq!(
            (*p.0).ob_ref_shared.load(Relaxed),
            (2 << _Py_REF_SHARED_SHIFT) | _Py_REF_MERGED
        );
    })
    .join()
    .unwrap();
    unsafe {
        assert_eq!(Py_REFCNT(op2), 2);
        Py_DECREF(op2);
        Py_DECREF(op2);
        assert_eq!(DEALLOCS.load(Relaxed), 1, "only the mortal one");
        PyObject_Free(op.cast());
    }
}

/// CAPI-08 / BRC-08 `test_py_try_inc_ref`: after `EnableTryIncRef` the
/// state is at least MAYBE_WEAKREF and `_Py_TryIncref` succeeds from
/// another thread; inside `tp_dealloc` it fails, the count stays 0, and
/// `tp_dealloc` runs once.
#[test]
fn try_incref_succeeds_on_live_objects_and_never_resurrects() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    let op = new(&PROBING, &DEALLOCS);
    unsafe {
        PyUnstable_EnableTryIncRef(op);
        assert!(
            (*op).ob_ref_shared.load(Relaxed) & _Py_REF_SHARED_FLAG_MASK >= _Py_REF_MAYBE_WEAKREF
        );
    }
    let p = Send_(op);
    std::thread::spawn(move || unsafe {
        let p = p;
        assert!(_Py_TryIncref(p.0));
        Py_DECREF(p.0);
    })
    .join()
    .unwrap();
    unsafe { Py_DECREF(op) };
    assert_eq!(
        TRY_IN_DEALLOC.load(Relaxed),
        1,
        "try-incref failed in dealloc"
    );
    assert_eq!(DEALLOCS.load(Relaxed), 1);
}

/// IMM-02 for the free-threaded singletons: static immortals whose counts
/// never move, from any thread; True and False share `bool`.
#[test]
fn singletons_are_static_immortals() {
    for f in [Py_None, Py_True, Py_False, Py_Ellipsis, Py_NotImplemented] {
        let op = f();
        unsafe {
            assert!(_Py_IsImmortal(op) && _Py_IsStaticImmortal(op));
            for _ in 0..10_000 {
                Py_DECREF(op);
            }
            assert_eq!(Py_REFCNT(op), _Py_IMMORTAL_INITIAL_REFCNT);
        }
    }
    unsafe { assert_eq!(Py_TYPE(Py_True()), Py_TYPE(Py_False())) };
    std::thread::spawn(|| unsafe {
        Py_INCREF(Py_None());
        assert_eq!((*Py_None()).ob_ref_shared.load(Relaxed), 0);
    })
    .join()
    .unwrap();
}

/// DEA-01 for free-threaded objects: a long chain drops through the
/// trashcan without overflowing the stack, each node once.
#[test]
fn long_chain_drops_through_the_trashcan() {
    static DEALLOCS: AtomicUsize = AtomicUsize::new(0);
    let n = if cfg!(miri) { 300 } else { 200_000 };
    let mut head: *mut PyObject = null_mut();
    for _ in 0..n {
        let op = new(&NODE, &DEALLOCS);
        unsafe { (*op.cast::<Node>()).next = head };
        head = op;
    }
    unsafe { Py_DECREF(head) };
    assert_eq!(DEALLOCS.load(Relaxed), n);
}

struct Payload {
    drops: &'static AtomicUsize,
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Relaxed);
    }
}

static PAYLOAD: RustType<Payload, FtObject> = RustType::new("Payload");

/// BRC-10 with the safe layer: `Ref<T, FtObject>` is `Send + Sync`; four
/// threads pass clones of shared objects through channels, calling the
/// merge at safepoints; every payload is dropped exactly once, at the end.
#[test]
fn refs_cross_threads_through_channels() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    const OBJECTS: usize = 8;
    let rounds = if cfg!(miri) { 20 } else { 20_000 };
    let objects: Vec<Ref<Payload, FtObject>> = (0..OBJECTS)
        .map(|_| Ref::new(&PAYLOAD, Payload { drops: &DROPS }))
        .collect();
    let (tx, rx) = mpsc::channel::<Ref<Payload, FtObject>>();
    let shared_rx = std::sync::Mutex::new(rx);
    std::thread::scope(|s| {
        for t in 0..3 {
            let tx = tx.clone();
            let objects = objects.clone();
            s.spawn(move || {
                for i in 0..rounds {
                    tx.send(objects[(i + t) % OBJECTS].clone()).unwrap();
                    if i % 64 == 0 {
                        _Py_brc_merge_refcounts();
                    }
                }
                drop(objects);
                _Py_brc_merge_refcounts();
            });
        }
        drop(tx);
        s.spawn(|| {
            let rx = shared_rx.lock().unwrap();
            let mut got = 0;
            while let Ok(r) = rx.recv() {
                assert!(r.refcnt() >= 1);
                drop(r);
                got += 1;
                if got % 64 == 0 {
                    _Py_brc_merge_refcounts();
                }
            }
            assert_eq!(got, 3 * rounds);
        });
    });
    assert_eq!(
        DROPS.load(Relaxed),
        0,
        "the main thread still holds each object"
    );
    _Py_brc_merge_refcounts();
    for r in &objects {
        assert_eq!(r.refcnt(), 1, "counts are exact after the exchange");
    }
    drop(objects);
    _Py_brc_merge_refcounts();
    assert_eq!(DROPS.load(Relaxed), OBJECTS);
}
