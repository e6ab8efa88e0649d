//! Weak references: `PyWeakref_NewRef`, `PyWeakref_GetRef`,
//! `PyObject_ClearWeakRefs` and the collector's `handle_weakrefs`, ported
//! from CPython's `Lib/test/test_weakref.py` and the weakref cases of
//! `Lib/test/test_gc.py` (GC-11, GC-19 of the semantics notes).

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{addr_of, null_mut};
use std::rc::Rc;

use gc_traverse::collector;
use gc_traverse::weakref::{
    self, getweakrefcount, PyObject_ClearWeakRefs, PyWeakref_GetRef, PyWeakref_NewRef,
};
use gc_traverse::Py_VISIT;
use type_object::create;
use type_object::gc_head;
use type_object::refs::{clear, decref, incref};
use type_object::type_object::{VisitFn, TPFLAGS_HAVE_GC};
use type_object::{Object, TypeObject};

thread_local! {
    static DEALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn deallocs() -> usize {
    DEALLOCS.with(Cell::get)
}

/// A plain (non-GC) object that can be weakly referenced.
#[repr(C)]
struct Node {
    ob_base: Object,
    weaklist: *mut Object,
}

unsafe extern "C" fn node_dealloc(op: *mut Object) {
    DEALLOCS.with(|d| d.set(d.get() + 1));
    // SAFETY: the count of `op` reached 0: weak references first, then the
    // block.
    unsafe {
        PyObject_ClearWeakRefs(op);
        create::free_object(op);
    }
}

static NODE: TypeObject = TypeObject {
    tp_name: "Node",
    tp_basicsize: size_of::<Node>() as isize,
    tp_dealloc: Some(node_dealloc),
    tp_weaklistoffset: offset_of!(Node, weaklist) as isize,
    ..TypeObject::DEFAULT
};

/// An object whose type has no weak-reference list.
#[repr(C)]
struct Plain {
    ob_base: Object,
}

unsafe extern "C" fn plain_dealloc(op: *mut Object) {
    // SAFETY: the count of `op` reached 0.
    unsafe { create::free_object(op) };
}

static PLAIN: TypeObject = TypeObject {
    tp_name: "Plain",
    tp_basicsize: size_of::<Plain>() as isize,
    tp_dealloc: Some(plain_dealloc),
    ..TypeObject::DEFAULT
};

/// A GC container with two strong slots, weakly referenceable.
#[repr(C)]
struct Cyc {
    ob_base: Object,
    a: *mut Object,
    b: *mut Object,
    weaklist: *mut Object,
}

unsafe extern "C" fn cyc_traverse(op: *mut Object, visit: VisitFn, arg: *mut c_void) -> c_int {
    let c = op.cast::<Cyc>();
    // SAFETY: `op` is a live `Cyc`; its slots are strong references.
    unsafe {
        Py_VISIT!((*c).a, visit, arg);
        Py_VISIT!((*c).b, visit, arg);
    }
    0
}

unsafe extern "C" fn cyc_clear(op: *mut Object) -> c_int {
    let c = op.cast::<Cyc>();
    // SAFETY: `op` is a live `Cyc`; each slot holds its own reference.
    unsafe {
        clear(&mut (*c).a);
        clear(&mut (*c).b);
    }
    0
}

unsafe extern "C" fn cyc_dealloc(op: *mut Object) {
    DEALLOCS.with(|d| d.set(d.get() + 1));
    // SAFETY: the count of `op` reached 0: untrack, clear weak references,
    // drop the slots, free the block (with its GC header).
    unsafe {
        gc_head::untrack(op);
        PyObject_ClearWeakRefs(op);
        cyc_clear(op);
        create::free_object(op);
    }
}

static CYC: TypeObject = TypeObject {
    tp_name: "Cyc",
    tp_basicsize: size_of::<Cyc>() as isize,
    tp_flags: TPFLAGS_HAVE_GC,
    tp_dealloc: Some(cyc_dealloc),
    tp_traverse: Some(cyc_traverse),
    tp_clear: Some(cyc_clear),
    tp_weaklistoffset: offset_of!(Cyc, weaklist) as isize,
    ..TypeObject::DEFAULT
};

fn new_node() -> *mut Object {
    NODE.ready().unwrap();
    // SAFETY: a readied static type with the generic allocator.
    unsafe { create::alloc_object(addr_of!(NODE).cast_mut(), 0) }
        .unwrap()
        .as_ptr()
}

fn new_cyc() -> *mut Object {
    CYC.ready().unwrap();
    // SAFETY: a readied static GC type with the generic allocator.
    let op = collector::with_default(|gc| unsafe { gc.alloc(addr_of!(CYC).cast_mut(), 0) });
    assert!(!op.is_null());
    op
}

fn refcnt(op: *mut Object) -> isize {
    // SAFETY: every caller passes an object it holds a reference to.
    unsafe { (*op).ob_refcnt.refcnt() }
}

/// What a recording callback saw.
#[derive(Default)]
struct Seen {
    calls: Cell<usize>,
    arg: Cell<*mut Object>,
    get_ref: Cell<Option<(c_int, *mut Object)>>,
    dropped: Cell<bool>,
}

/// Sets `dropped` when the closure owning it goes.
struct DropFlag(Rc<Seen>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.set(true);
    }
}

/// A callback that counts its calls and records its argument and what
/// `PyWeakref_GetRef` on it returned.
fn recording_callback() -> (*mut Object, Rc<Seen>) {
    let seen = Rc::new(Seen::default());
    let flag = DropFlag(seen.clone());
    let cb = weakref::callback(move |wr| {
        let seen = &flag.0;
        seen.calls.set(seen.calls.get() + 1);
        seen.arg.set(wr);
        let mut out = null_mut();
        // SAFETY: the callback's argument is a live weak reference.
        let rc = unsafe { PyWeakref_GetRef(wr, &mut out) };
        seen.get_ref.set(Some((rc, out)));
        if !out.is_null() {
            // SAFETY: the new reference GetRef returned.
            unsafe { decref(out) };
        }
    });
    (cb, seen)
}

/// `test_weakref.py` `test_basic_ref`: a weak reference to a live object
/// moves no count of the referent; `PyWeakref_GetRef` returns 1 and a new
/// strong reference.
#[test]
fn get_ref_on_live_referent_returns_one_and_a_new_reference() {
    let node = new_node();
    // SAFETY: `node` and `wr` are live objects this test owns.
    unsafe {
        let wr = PyWeakref_NewRef(node, null_mut());
        assert_eq!(refcnt(node), 1);
        assert_eq!(refcnt(wr), 1);
        assert_eq!(getweakrefcount(node), 1);
        assert_eq!((*(*wr).ob_type).tp_name, "weakref.ReferenceType");

        let mut out = null_mut();
        assert_eq!(PyWeakref_GetRef(wr, &mut out), 1);
        assert_eq!(out, node);
        assert_eq!(refcnt(node), 2);
        decref(out);
        assert_eq!(refcnt(node), 1);

        decref(node);
        decref(wr);
    }
}

/// `test_weakref.py` `test_basic_ref` (after `del o`): once the referent
/// is freed, `PyWeakref_GetRef` returns 0 and stores null.
#[test]
fn get_ref_after_referent_dies_returns_zero_and_null() {
    let before = deallocs();
    let node = new_node();
    // SAFETY: `node` and `wr` are live objects this test owns.
    unsafe {
        let wr = PyWeakref_NewRef(node, null_mut());
        decref(node);
        assert_eq!(deallocs(), before + 1);
        let mut out = node;
        assert_eq!(PyWeakref_GetRef(wr, &mut out), 0);
        assert!(out.is_null());
        assert_eq!(refcnt(wr), 1);
        decref(wr);
    }
}

/// `test_weakref.py` `test_basic_callback`: freeing the referent by
/// refcount runs the callback exactly once, with the weak reference as its
/// argument, and the referent already reads as gone inside it.
#[test]
fn callback_runs_once_when_referent_is_freed_and_sees_it_cleared() {
    let (cb, seen) = recording_callback();
    let node = new_node();
    // SAFETY: `node`, `wr` and `cb` are live objects this test owns.
    unsafe {
        let wr = PyWeakref_NewRef(node, cb);
        assert_eq!(refcnt(cb), 2, "the weak reference holds its callback");
        decref(node);

        assert_eq!(seen.calls.get(), 1);
        assert_eq!(seen.arg.get(), wr);
        assert_eq!(seen.get_ref.get(), Some((0, null_mut())));
        // The weak reference gave up its callback and is back to our
        // reference only.
        assert_eq!(refcnt(cb), 1);
        assert_eq!(refcnt(wr), 1);

        decref(wr);
        assert_eq!(seen.calls.get(), 1);
        decref(cb);
    }
    assert!(seen.dropped.get());
}

/// `test_weakref.py` `test_callback_reachable_one_way` order: all weak
/// references are cleared before any callback runs, so every callback sees
/// each of them dead, and each runs once.
#[test]
fn every_callback_sees_all_weakrefs_cleared() {
    let node = new_node();
    let (cb1, seen1) = recording_callback();
    let (cb2, seen2) = recording_callback();
    // SAFETY: all objects are live and owned by this test.
    unsafe {
        let basic = PyWeakref_NewRef(node, null_mut());
        let wr1 = PyWeakref_NewRef(node, cb1);
        let wr2 = PyWeakref_NewRef(node, cb2);
        assert_eq!(getweakrefcount(node), 3);
        decref(node);
        for (seen, wr) in [(&seen1, wr1), (&seen2, wr2)] {
            assert_eq!(seen.calls.get(), 1);
            assert_eq!(seen.arg.get(), wr);
            assert_eq!(seen.get_ref.get(), Some((0, null_mut())));
        }
        let mut out = null_mut();
        assert_eq!(PyWeakref_GetRef(basic, &mut out), 0);
        for op in [basic, wr1, wr2, cb1, cb2] {
            decref(op);
        }
    }
}

/// `test_weakref.py` `test_basic_ref` (`TypeError` for unsupported types):
/// a type with `tp_weaklistoffset` 0 is refused with its name.
#[test]
fn new_ref_to_type_without_weaklist_panics_naming_the_type() {
    PLAIN.ready().unwrap();
    // SAFETY: a readied static type with the generic allocator.
    let op = unsafe { create::alloc_object(addr_of!(PLAIN).cast_mut(), 0) }
        .unwrap()
        .as_ptr();
    // SAFETY: `op` is live.
    let err = catch_unwind(AssertUnwindSafe(|| unsafe {
        PyWeakref_NewRef(op, null_mut())
    }))
    .expect_err("a weak reference to Plain must be refused");
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        msg.contains("cannot create weak reference to 'Plain' object"),
        "{msg}"
    );
    assert_eq!(refcnt(op), 1);
    // SAFETY: `op` is a live object the test owns.
    unsafe {
        assert_eq!(getweakrefcount(op), 0);
        decref(op);
    }
}

/// `test_weakref.py` `test_shared_ref_without_callback`: two callback-less
/// weak references to one object are the same object; one with a callback
/// is not.
#[test]
fn callback_less_new_refs_share_one_weakref() {
    let node = new_node();
    let (cb, _seen) = recording_callback();
    // SAFETY: all objects are live and owned by this test.
    unsafe {
        let r1 = PyWeakref_NewRef(node, null_mut());
        let r2 = PyWeakref_NewRef(node, null_mut());
        assert_eq!(r1, r2);
        assert_eq!(refcnt(r1), 2);
        let r3 = PyWeakref_NewRef(node, cb);
        assert_ne!(r3, r1);
        let r4 = PyWeakref_NewRef(node, null_mut());
        assert_eq!(r4, r1, "the callback-less ref stays at the head");
        assert_eq!(getweakrefcount(node), 2);
        for op in [r1, r2, r4, r3, cb, node] {
            decref(op);
        }
    }
}

/// `PyWeakref_GetRef` on a non-weakref: -1 and null (CPython's
/// `TypeError` "expected a weakref").
#[test]
fn get_ref_on_non_weakref_returns_minus_one_and_null() {
    let node = new_node();
    let mut out = node;
    // SAFETY: `node` is a live object this test owns.
    unsafe {
        assert_eq!(PyWeakref_GetRef(node, &mut out), -1);
        assert!(out.is_null());
        assert_eq!(PyWeakref_GetRef(null_mut(), &mut out), -1);
        assert_eq!(refcnt(node), 1);
        decref(node);
    }
}

/// GC-11 (`test_gc.py` `test_bug1055820b/c/d`): a cycle holding a weak
/// reference with a callback to a member of the cycle is collected
/// without calling the callback, because the weak reference is trash too.
#[test]
fn weakref_inside_collected_cycle_does_not_call_its_callback() {
    let before = deallocs();
    let (cb, seen) = recording_callback();
    let c = new_cyc();
    // SAFETY: all objects are live; the slots take the references given.
    unsafe {
        let wr = PyWeakref_NewRef(c, cb);
        decref(cb); // the weak reference keeps it
        (*c.cast::<Cyc>()).a = wr; // c -> wr -(weak)-> c, c -> c
        incref(c);
        (*c.cast::<Cyc>()).b = c;
        decref(c);
    }
    assert_eq!(deallocs(), before);
    let collected = collector::with_default(|gc| gc.collect(2));
    assert_eq!(collected, 2, "the Cyc and its weak reference");
    assert_eq!(deallocs(), before + 1);
    assert_eq!(seen.calls.get(), 0);
    assert!(
        seen.dropped.get(),
        "the weak reference released its callback"
    );
}

/// GC-11 (`test_gc.py` `test_bug1055820d`, `test_weakref.py`
/// `test_callback_in_cycle`): a weak reference from outside to a collected
/// cycle has its callback called once, after the referent is cleared.
#[test]
fn outside_weakref_to_collected_cycle_calls_callback_once_with_referent_gone() {
    let before = deallocs();
    let (cb, seen) = recording_callback();
    let c = new_cyc();
    // SAFETY: all objects are live and owned by this test.
    let wr = unsafe {
        incref(c);
        (*c.cast::<Cyc>()).a = c;
        let wr = PyWeakref_NewRef(c, cb);
        decref(c);
        wr
    };
    let collected = collector::with_default(|gc| gc.collect(2));
    assert_eq!(collected, 1);
    assert_eq!(deallocs(), before + 1);
    assert_eq!(seen.calls.get(), 1);
    assert_eq!(seen.arg.get(), wr);
    assert_eq!(seen.get_ref.get(), Some((0, null_mut())));
    // SAFETY: `wr` and `cb` are live objects this test owns.
    unsafe {
        let mut out = null_mut();
        assert_eq!(PyWeakref_GetRef(wr, &mut out), 0);
        assert_eq!(refcnt(wr), 1);
        decref(wr);
        decref(cb);
    }
    assert_eq!(seen.calls.get(), 1);
}

/// GC-19 (`test_gc.py` `test_trash_weakref_clear`, bpo-38006): a weak
/// reference that is trash is cleared even though its referent lives on,
/// and its callback never runs, not even when the referent dies later.
#[test]
fn trash_weakref_to_live_object_is_cleared_without_callback() {
    let (cb, seen) = recording_callback();
    let node = new_node();
    let c = new_cyc();
    // SAFETY: all objects are live; the slots take the references given.
    unsafe {
        let wr = PyWeakref_NewRef(node, cb);
        decref(cb);
        (*c.cast::<Cyc>()).a = wr;
        incref(c);
        (*c.cast::<Cyc>()).b = c;
        decref(c);
        assert_eq!(getweakrefcount(node), 1);
    }
    let collected = collector::with_default(|gc| gc.collect(2));
    assert_eq!(collected, 2, "the Cyc and the weak reference it held");
    // SAFETY: `node` is live and owned by this test.
    unsafe {
        assert_eq!(getweakrefcount(node), 0);
        decref(node);
    }
    assert_eq!(seen.calls.get(), 0);
    assert!(seen.dropped.get());
}

/// A weak reference kept alive outside a collection, to an object that
/// survives it, is left untouched.
#[test]
fn weakref_to_surviving_object_is_untouched_by_collection() {
    let (cb, seen) = recording_callback();
    let c = new_cyc();
    // SAFETY: all objects are live and owned by this test.
    unsafe {
        let wr = PyWeakref_NewRef(c, cb);
        collector::with_default(|gc| gc.collect(2));
        let mut out = null_mut();
        assert_eq!(PyWeakref_GetRef(wr, &mut out), 1);
        assert_eq!(out, c);
        decref(out);
        assert_eq!(seen.calls.get(), 0);
        decref(c);
        assert_eq!(seen.calls.get(), 1);
        decref(wr);
        decref(cb);
    }
}
