//! Counting on the free-threaded header, under `Include/refcount.h`'s
//! names. Each function behaves as its default-build namesake in
//! [`crate::cpython`] (whose docs have the examples), with the
//! free-threaded rules: the owner counts in `ob_ref_local`, others in
//! `ob_ref_shared`.

use super::{PyObject, Py_ssize_t};
use type_object::ft::{header, refs};
use type_object::refs as generic;

/// `ob_ref_local + (ob_ref_shared >> 2)`; `_Py_IMMORTAL_INITIAL_REFCNT`
/// for an immortal. Mirrors the free-threaded `Py_REFCNT`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_REFCNT(op: *mut PyObject) -> Py_ssize_t {
    // SAFETY: first bullet.
    unsafe { header(op) }.refcnt()
}

/// Sets the count: above `u32::MAX` the object becomes immortal; from the
/// owner the local count is set; from another thread the counts merge.
/// Mirrors the free-threaded `Py_SET_REFCNT`.
///
/// # Safety
/// - `op` points to a live object.
///
/// # Panics
/// When `n < 0`, naming the object; nothing changes.
#[inline]
pub unsafe fn Py_SET_REFCNT(op: *mut PyObject, n: Py_ssize_t) {
    // SAFETY: first bullet.
    if let Err(e) = unsafe { header(op) }.set_refcnt(n) {
        // SAFETY: first bullet.
        let name = unsafe { (*(*op).ob_type).tp_name };
        panic!("Py_SET_REFCNT on `{name}` object at {op:p}: {e}");
    }
}

/// Mirrors the free-threaded `Py_INCREF`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_INCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::incref(op) }
}

/// Mirrors the free-threaded `Py_DECREF`: deallocates when this decrement
/// observes the count reach zero.
///
/// # Safety
/// - The caller owns a reference to `op` and gives it up.
///
/// # Panics
/// On a decrement below zero, naming type, address and counts.
#[inline]
pub unsafe fn Py_DECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::decref(op) }
}

/// Mirrors `Py_XINCREF`.
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XINCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::xincref(op) }
}

/// Mirrors `Py_XDECREF`.
///
/// # Safety
/// - `op` is null, or the caller owns a reference and gives it up.
#[inline]
pub unsafe fn Py_XDECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::xdecref(op) }
}

/// Mirrors `Py_NewRef`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_NewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { generic::new_ref(op) }
}

/// Mirrors `Py_XNewRef`.
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XNewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { generic::xnew_ref(op) }
}

/// Mirrors `Py_IncRef` (accepts null).
///
/// # Safety
/// - As [`Py_XINCREF`].
pub unsafe fn Py_IncRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::xincref(op) }
}

/// Mirrors `Py_DecRef` (accepts null).
///
/// # Safety
/// - As [`Py_XDECREF`].
pub unsafe fn Py_DecRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::xdecref(op) }
}

/// Mirrors `Py_CLEAR`: the slot is null before the release.
///
/// # Safety
/// - `*slot` is null or a reference the slot owns.
#[inline]
pub unsafe fn Py_CLEAR(slot: &mut *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::clear(slot) }
}

/// Mirrors `Py_SETREF`: store, then release.
///
/// # Safety
/// - `*slot` is a reference the slot owns; `new` one the caller gives.
#[inline]
pub unsafe fn Py_SETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::setref(slot, new) }
}

/// Mirrors `Py_XSETREF`.
///
/// # Safety
/// - `*slot` is null or a reference the slot owns; `new` is null or one
///   the caller gives.
#[inline]
pub unsafe fn Py_XSETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { generic::xsetref(slot, new) }
}

/// Mirrors `Py_Is`.
///
/// # Safety
/// - None beyond the pointers being comparable; kept `unsafe` as the
///   table's other functions.
#[inline]
pub unsafe fn Py_Is(a: *mut PyObject, b: *mut PyObject) -> bool {
    core::ptr::eq(a, b)
}

/// `ob_ref_local == u32::MAX`. Mirrors the free-threaded `_Py_IsImmortal`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { header(op) }.is_immortal()
}

/// Mirrors `_Py_IsStaticImmortal`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsStaticImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { &*op }.is_static_immortal()
}

/// No owner, local `u32::MAX`, shared 0. Mirrors the free-threaded
/// `_Py_SetImmortal`.
///
/// # Safety
/// - `op` points to a live object.
pub unsafe fn _Py_SetImmortal(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { header(op) }.make_immortal()
}

/// Mirrors `_Py_Dealloc`.
///
/// # Safety
/// - `op`'s count reached 0 and nothing else will deallocate it.
pub unsafe fn _Py_Dealloc(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::dealloc(op) }
}
