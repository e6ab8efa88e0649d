//! Counting: `Include/refcount.h` under its own names.

use super::{PyObject, Py_ssize_t};
use type_object::refs;

/// The count. Mirrors `Py_REFCNT`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h));
/// wraps [`CountWord::refcnt`](object_header::CountWord::refcnt).
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_REFCNT(op: *mut PyObject) -> Py_ssize_t {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.refcnt() }
}

/// Sets the count; no effect on an immortal. Mirrors `Py_SET_REFCNT`; wraps
/// [`CountWord::set_refcnt`](object_header::CountWord::set_refcnt).
///
/// # Safety
/// - `op` points to a live object.
///
/// # Panics
/// When `n < 0` (CPython asserts), naming the object; nothing changes.
#[inline]
pub unsafe fn Py_SET_REFCNT(op: *mut PyObject, n: Py_ssize_t) {
    // SAFETY: first bullet.
    if let Err(e) = unsafe { (*op).ob_refcnt.set_refcnt(n) } {
        // SAFETY: first bullet.
        let name = unsafe { type_object::dealloc::type_name(op) };
        panic!("Py_SET_REFCNT on `{name}` object at {op:p}: {e}");
    }
}

/// Mirrors `Py_INCREF`; wraps [`refs::incref`].
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_INCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::incref(op) }
}

/// Mirrors `Py_DECREF`; wraps [`refs::decref`] (which panics, naming type,
/// address and count, where CPython's debug build calls
/// `_Py_NegativeRefcount`).
///
/// # Safety
/// - The caller owns a reference to `op` and gives it up.
#[inline]
pub unsafe fn Py_DECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::decref(op) }
}

/// Mirrors `Py_XINCREF`; wraps [`refs::xincref`].
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XINCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xincref(op) }
}

/// Mirrors `Py_XDECREF`; wraps [`refs::xdecref`].
///
/// # Safety
/// - `op` is null, or the caller owns a reference to it and gives it up.
#[inline]
pub unsafe fn Py_XDECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xdecref(op) }
}

/// Mirrors `Py_NewRef`; wraps [`refs::new_ref`].
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_NewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { refs::new_ref(op) }
}

/// Mirrors `Py_XNewRef`; wraps [`refs::xnew_ref`].
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XNewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { refs::xnew_ref(op) }
}

/// The function form of `Py_XINCREF`: accepts null. Mirrors `Py_IncRef`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline(never)]
pub unsafe fn Py_IncRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xincref(op) }
}

/// The function form of `Py_XDECREF`: accepts null. Mirrors `Py_DecRef`.
///
/// # Safety
/// - `op` is null, or the caller owns a reference to it and gives it up.
#[inline(never)]
pub unsafe fn Py_DecRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xdecref(op) }
}

/// Nulls the slot, then releases what it held. Mirrors `Py_CLEAR`; wraps
/// [`refs::clear`].
///
/// # Safety
/// - `*slot` is null or a reference the slot owns.
#[inline]
pub unsafe fn Py_CLEAR(slot: &mut *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::clear(slot) }
}

/// Stores `new`, then releases the old value. Mirrors `Py_SETREF`; wraps
/// [`refs::setref`].
///
/// # Safety
/// - `*slot` is a reference the slot owns; `new` is a reference given to it.
#[inline]
pub unsafe fn Py_SETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::setref(slot, new) }
}

/// [`Py_SETREF`] whose old value may be null. Mirrors `Py_XSETREF`; wraps
/// [`refs::xsetref`].
///
/// # Safety
/// - `*slot` is null or a reference the slot owns; `new` is null or a
///   reference given to it.
#[inline]
pub unsafe fn Py_XSETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xsetref(slot, new) }
}

/// Identity. Mirrors `Py_Is`.
///
/// # Safety
/// Always safe to call; `unsafe` to match the table's other functions.
#[inline]
pub unsafe fn Py_Is(a: *mut PyObject, b: *mut PyObject) -> bool {
    core::ptr::eq(a, b)
}

/// Mirrors `_Py_IsImmortal`; wraps
/// [`CountWord::is_immortal`](object_header::CountWord::is_immortal).
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.is_immortal() }
}

/// Mirrors `_Py_IsStaticImmortal`; wraps
/// [`CountWord::is_static_immortal`](object_header::CountWord::is_static_immortal).
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsStaticImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.is_static_immortal() }
}

/// Makes `op` immortal (never downgrading a static immortal). Mirrors
/// `_Py_SetImmortal`; wraps
/// [`CountWord::make_immortal`](object_header::CountWord::make_immortal).
///
/// # Safety
/// - `op` points to a live object owned by this thread.
#[inline]
pub unsafe fn _Py_SetImmortal(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.make_immortal() }
}

/// Deallocates an object at count 0 through its type (and the trashcan).
/// Mirrors `_Py_Dealloc`; wraps [`type_object::dealloc::dealloc`].
///
/// # Safety
/// - `op`'s count is 0 and nothing else will deallocate it.
#[inline]
pub unsafe fn _Py_Dealloc(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { type_object::dealloc::dealloc(op) }
}
