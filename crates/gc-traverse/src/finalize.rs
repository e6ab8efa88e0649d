//! PEP 442 finalizers called from a `tp_dealloc`: the object is briefly
//! resurrected, its `tp_finalize` runs, and if the finalizer stored a new
//! reference somewhere the dealloc stops. Mirrors `PyObject_CallFinalizer`
//! and `PyObject_CallFinalizerFromDealloc`
//! ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
//!
//! A GC object is finalized at most once (the FINALIZED bit of its GC
//! header remembers); a non-GC object has nowhere to remember it, so it is
//! finalized again after each resurrection (FIN-01).

use type_object::dealloc::type_name;
use type_object::gc_head::{self, GcHead};
use type_object::Object;

use crate::collector::with_default;

/// Calls `op`'s `tp_finalize` unless there is none, or it is a GC object
/// already finalized; marks a GC object FINALIZED afterwards. Mirrors
/// `PyObject_CallFinalizer`.
///
/// # Safety
/// - `op` is a live object (count > 0, possibly a temporary resurrection).
pub unsafe fn call_finalizer(op: *mut Object) {
    // SAFETY: first bullet; T3.
    let ty = unsafe { &*(*op).ob_type };
    let Some(finalize) = ty.tp_finalize else {
        return;
    };
    let gc = ty.is_gc();
    // SAFETY: a GC instance has its header.
    if gc && unsafe { (*GcHead::of(op)).is_finalized() } {
        return;
    }
    // SAFETY: first bullet: `tp_finalize` takes a live object.
    unsafe { finalize(op) };
    if gc {
        // SAFETY: as above; the object is still live (count > 0).
        unsafe { (*GcHead::of(op)).set_finalized() };
    }
}

/// Runs the finalizer from inside `tp_dealloc`: resurrects the object to
/// count 1, finalizes it, and undoes the resurrection. Returns 0 when the
/// dealloc should go on, −1 when the finalizer resurrected the object (it
/// stored a new reference): the dealloc must then return at once, leaving
/// the object alive. Mirrors `PyObject_CallFinalizerFromDealloc`.
///
/// A GC object is tracked during the finalizer (objmodel's dealloc
/// untracked it), as CPython's `subtype_dealloc` re-tracks it, so a
/// resurrected object stays visible to the collector.
///
/// # Safety
/// - `op` is an object whose count just reached 0, inside its
///   `tp_dealloc`, before any teardown.
///
/// # Panics
/// When the count is not 0 on entry, or the finalizer left it below 1
/// ("refcount is too small"), naming the type and address.
pub unsafe fn call_finalizer_from_dealloc(op: *mut Object) -> i32 {
    // SAFETY: first bullet: the object is whole.
    let word = unsafe { &(*op).ob_refcnt };
    if word.refcnt() != 0 {
        // SAFETY: as above.
        let name = unsafe { type_name(op) };
        panic!(
            "PyObject_CallFinalizerFromDealloc called on `{name}` object at {op:p} with a \
             non-zero refcount ({})",
            word.refcnt()
        );
    }
    // SAFETY: as above; T3.
    let gc = unsafe { (*(*op).ob_type).is_gc() };
    // SAFETY: a GC instance has its header.
    if gc && !unsafe { (*GcHead::of(op)).is_tracked() } {
        // SAFETY: a whole GC object, untracked, owned by this thread.
        with_default(|c| unsafe { c.track(op) });
    }
    // _PyObject_ResurrectStart.
    word.set_refcnt(1)
        .expect("1 is a valid count for a mortal object");
    // SAFETY: count 1: the object is live for the finalizer.
    unsafe { call_finalizer(op) };
    let count = word.refcnt();
    if count < 1 {
        // SAFETY: the object is whole.
        let name = unsafe { type_name(op) };
        panic!("refcount is too small: `{name}` object at {op:p} has count {count} after its finalizer");
    }
    // _PyObject_ResurrectEnd: undo the temporary reference without a
    // recursive dealloc.
    word.set_refcnt(count - 1)
        .expect("a count above 0 stays valid when lowered by one");
    if count - 1 == 0 {
        if gc {
            // SAFETY: a tracked GC object in a well-formed list.
            unsafe { gc_head::untrack(op) };
        }
        0
    } else {
        -1
    }
}
