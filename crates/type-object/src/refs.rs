//! Counting references to objects: the raw layer under `Ref<T>`, one
//! function per CPython macro.
//!
//! Every function takes a raw pointer to an object header and is `unsafe`:
//! the caller vouches that the object is live and that it owns (or gives up)
//! the references the function moves.

use core::ptr;

use object_header::Released;

use crate::dealloc::{dealloc, negative_refcount};
use crate::error::ObjectError;
use crate::flavour::Flavour;
use crate::object::Object;

/// Adds a reference. Mirrors `Py_INCREF`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn incref(op: *mut Object) {
    // SAFETY: first bullet; the count word is a `Cell` (T2: thread-confined).
    unsafe { (*op).ob_refcnt.incref() }
}

/// Gives up a reference; at zero, deallocates. Mirrors `Py_DECREF`.
///
/// # Safety
/// - `op` points to an object for which the caller owns one reference.
///
/// # Panics
/// When the count word refuses the decrement (count already 0, or freed
/// memory): CPython's `_Py_NegativeRefcount`, with the type name, address
/// and count. Nothing is freed then. Use [`try_decref`] for the error as a
/// value.
#[inline]
pub unsafe fn decref(op: *mut Object) {
    // SAFETY: first bullet.
    match unsafe { (*op).ob_refcnt.decref() } {
        Ok(Released::Last) => {
            // SAFETY: the count went 1 -> 0 in this call.
            unsafe { dealloc(op) }
        }
        Ok(_) => {}
        // SAFETY: first bullet: the header is readable.
        Err(cause) => unsafe { decref_failed(op, cause) },
    }
}

#[cold]
#[inline(never)]
unsafe fn decref_failed(op: *mut Object, cause: object_header::CountError) -> ! {
    // SAFETY: the caller's header is readable.
    panic!("{}", unsafe { negative_refcount(op, cause) })
}

/// As [`decref`], returning a refused decrement as an error instead of
/// panicking.
///
/// # Safety
/// - As [`decref`].
///
/// # Errors
/// [`ObjectError::NegativeRefcount`]; the count is unchanged and nothing is
/// freed.
#[inline]
pub unsafe fn try_decref(op: *mut Object) -> Result<(), ObjectError> {
    // SAFETY: first bullet.
    match unsafe { (*op).ob_refcnt.decref() } {
        Ok(Released::Last) => {
            // SAFETY: the count went 1 -> 0 in this call.
            unsafe { dealloc(op) };
            Ok(())
        }
        Ok(_) => Ok(()),
        // SAFETY: first bullet.
        Err(cause) => Err(unsafe { negative_refcount(op, cause) }),
    }
}

/// [`incref`] that ignores null. Mirrors `Py_XINCREF`.
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn xincref<O: Flavour>(op: *mut O) {
    if !op.is_null() {
        // SAFETY: first bullet.
        unsafe { O::incref(op) }
    }
}

/// [`decref`] that ignores null. Mirrors `Py_XDECREF`.
///
/// # Safety
/// - `op` is null or as [`decref`].
#[inline]
pub unsafe fn xdecref<O: Flavour>(op: *mut O) {
    if !op.is_null() {
        // SAFETY: first bullet.
        unsafe { O::decref(op) }
    }
}

/// Adds a reference and returns the object. Mirrors `Py_NewRef`.
///
/// # Safety
/// - As [`incref`].
#[inline]
pub unsafe fn new_ref<O: Flavour>(op: *mut O) -> *mut O {
    // SAFETY: first bullet.
    unsafe { O::incref(op) };
    op
}

/// [`new_ref`] that maps null to null. Mirrors `Py_XNewRef`.
///
/// # Safety
/// - As [`xincref`].
#[inline]
pub unsafe fn xnew_ref<O: Flavour>(op: *mut O) -> *mut O {
    // SAFETY: first bullet.
    unsafe { xincref(op) };
    op
}

/// Empties `slot` and then releases what it held. Mirrors `Py_CLEAR`: the
/// slot is null *before* the decref runs, so a dealloc that reads the slot
/// sees null.
///
/// # Safety
/// - `*slot` is null or a reference the slot owns.
#[inline]
pub unsafe fn clear<O: Flavour>(slot: &mut *mut O) {
    let old = core::mem::replace(slot, ptr::null_mut());
    // SAFETY: first bullet: the slot's reference moves to `old`.
    unsafe { xdecref(old) }
}

/// Stores `new` in `slot`, then releases the old value. Mirrors
/// `Py_SETREF`: store before release.
///
/// # Safety
/// - `*slot` is a reference the slot owns (not null).
/// - `new` is a reference the caller gives to the slot.
#[inline]
pub unsafe fn setref<O: Flavour>(slot: &mut *mut O, new: *mut O) {
    let old = core::mem::replace(slot, new);
    // SAFETY: first bullet.
    unsafe { O::decref(old) }
}

/// [`setref`] whose old value may be null. Mirrors `Py_XSETREF`.
///
/// # Safety
/// - `*slot` is null or a reference the slot owns.
/// - `new` is null or a reference the caller gives to the slot.
#[inline]
pub unsafe fn xsetref<O: Flavour>(slot: &mut *mut O, new: *mut O) {
    let old = core::mem::replace(slot, new);
    // SAFETY: first bullet.
    unsafe { xdecref(old) }
}
