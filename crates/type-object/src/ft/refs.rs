//! Counting and dealloc dispatch for free-threaded objects: the raw layer,
//! as [`crate::refs`] is for the default flavour.

use core::ptr::NonNull;
use std::sync::Once;

use object_header::biased::{self, Decref, FtHeader};

use super::object::{header, FtObject};
use crate::error::ObjectError;
use crate::thread_state;

/// Adds a reference (owner: local count; others: shared count). Mirrors
/// the free-threaded `Py_INCREF`.
///
/// # Safety
/// - `op` points to a live free-threaded object.
#[inline]
pub unsafe fn incref(op: *mut FtObject) {
    // SAFETY: first bullet.
    unsafe { header(op) }.incref()
}

/// Gives up a reference and deallocates at zero. Mirrors the free-threaded
/// `Py_DECREF`.
///
/// # Safety
/// - The caller owns a reference to `op` and gives it up.
///
/// # Panics
/// On a decrement the count cannot take, naming type, address and counts
/// (CPython's debug build: `_Py_NegativeRefcount`); nothing is freed.
#[inline]
pub unsafe fn decref(op: *mut FtObject) {
    // SAFETY: first bullet.
    if let Err(err) = unsafe { try_decref(op) } {
        panic!("{err}");
    }
}

/// As [`decref`], returning the error instead of panicking.
///
/// # Safety
/// - As [`decref`].
///
/// # Errors
/// [`ObjectError::NegativeRefcount`]; the counts are unchanged.
#[inline]
pub unsafe fn try_decref(op: *mut FtObject) -> Result<(), ObjectError> {
    // SAFETY: first bullet.
    // The whole object's pointer, so a queued object keeps its type.
    match unsafe { FtHeader::decref_raw(NonNull::new_unchecked(op.cast())) } {
        Ok(Decref::Dead) => {
            // SAFETY: this decrement observed the count reach 0 (B3).
            unsafe { dealloc(op) };
            Ok(())
        }
        Ok(Decref::Live | Decref::Immortal) => Ok(()),
        Err(cause) => Err(ObjectError::NegativeRefcount {
            // SAFETY: the object is whole (the decrement was refused).
            type_name: unsafe { (*(*op).ob_type).tp_name },
            addr: op as usize,
            cause,
        }),
    }
}

/// Deallocates a free-threaded object whose count reached zero: calls its
/// type's `tp_dealloc` through this thread's trashcan. Mirrors
/// `_Py_Dealloc`.
///
/// # Safety
/// - `op` is a free-threaded object whose count reached 0; nothing else
///   will deallocate it.
#[inline(never)]
pub unsafe fn dealloc(op: *mut FtObject) {
    // The collector never sees an object at count 0, even one waiting in
    // the trashcan.
    // SAFETY: first bullet: the object and its static type are whole.
    if unsafe { (*(*op).ob_type).is_gc() } {
        // SAFETY: first bullet.
        unsafe { super::tracking::untrack(op) };
    }
    // SAFETY: first bullet; `dispatch` deallocates a free-threaded object
    // once.
    thread_state::with(|s| unsafe { s.trashcan.run(op.cast(), dispatch) })
}

/// The trashcan's dispatch for free-threaded objects.
///
/// # Safety
/// - As [`dealloc`], for the object at `op`.
unsafe fn dispatch(op: *mut u8) {
    let op = op.cast::<FtObject>();
    // SAFETY: first bullet: the object and its static type are whole.
    let ty = unsafe { &*(*op).ob_type };
    match ty.tp_dealloc {
        // SAFETY: first bullet is `tp_dealloc`'s precondition.
        Some(f) => unsafe { f(op) },
        None => panic!(
            "type `{}` has no tp_dealloc: object at {op:p} cannot be deallocated (count 0)",
            ty.tp_name
        ),
    }
}

/// Deallocates objects whose count reaches zero inside a merge-queue
/// operation (an owner's merge, a thread's exit, an abandoned object).
///
/// # Safety
/// - `header` is the header of a free-threaded object (its first field)
///   whose count reached 0 in that operation.
unsafe fn queue_dealloc(header: NonNull<FtHeader>) {
    // SAFETY: first bullet: the header is the object's first field.
    unsafe { dealloc(header.as_ptr().cast()) }
}

/// Installs the merge queues' dealloc hook; called before the first
/// free-threaded object is created.
pub(crate) fn install_queue_dealloc() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if let Err(other) = biased::set_dealloc_hook(queue_dealloc) {
            panic!(
                "another biased dealloc hook ({other:p}) is installed; free-threaded objects \
                 need type-object's"
            );
        }
    });
}

/// Merges the references other threads queued to this thread and
/// deallocates objects that reach zero; returns how many were merged. A VM
/// calls it at each thread's safepoints. Mirrors `_Py_brc_merge_refcounts`.
pub fn merge_refcounts() -> usize {
    biased::merge_refcounts()
}
