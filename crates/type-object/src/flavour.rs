//! The two header flavours behind one safe layer.
//!
//! objmodel keeps both of CPython's builds in one binary (architecture:
//! "the counter is a type parameter"): [`Object`] counts in one
//! thread-confined word, [`FtObject`] in the biased pair any thread may
//! use. [`Ref`](crate::Ref), [`RustType`](crate::RustType) and
//! [`Instance`](crate::Instance) take the flavour as a parameter that
//! defaults to [`Object`].

use crate::create;
use crate::ft::{self, FtObject};
use crate::object::Object;
use crate::refs;
use crate::type_object::TypeObject;

/// An object-header flavour: how its objects are counted, allocated and
/// freed.
///
/// # Safety
/// Implementors guarantee that the functions keep CPython's counting
/// contract for their header: `alloc` returns a zeroed instance with count
/// 1 and `ob_type` set (or null), `decref` deallocates exactly once when
/// the count reaches zero, and `free` releases what `alloc` returned.
pub unsafe trait Flavour: Sized + 'static {
    /// Adds a reference.
    ///
    /// # Safety
    /// - `op` is a live object of this flavour.
    unsafe fn incref(op: *mut Self);

    /// Gives up a reference, deallocating at zero.
    ///
    /// # Safety
    /// - The caller owns a reference to `op` and gives it up.
    unsafe fn decref(op: *mut Self);

    /// The count (`Py_REFCNT`).
    ///
    /// # Safety
    /// - `op` is a live object of this flavour.
    unsafe fn refcnt(op: *mut Self) -> isize;

    /// Makes the object immortal (`_Py_SetImmortal`).
    ///
    /// # Safety
    /// - `op` is a live object of this flavour.
    unsafe fn make_immortal(op: *mut Self);

    /// Allocates an instance of `ty` through its `tp_alloc` (the flavour's
    /// generic allocator when empty): zeroed, count 1. Null when memory
    /// runs out.
    ///
    /// # Safety
    /// - `ty` is a live, readied type of this flavour.
    unsafe fn alloc(ty: *mut TypeObject<Self>) -> *mut Self;

    /// Frees an instance whose count reached 0 and whose payload was torn
    /// down (the usual last line of a `tp_dealloc`).
    ///
    /// # Safety
    /// - As stated; `op` is not used again.
    unsafe fn free(op: *mut Self);
}

// SAFETY: wraps the default flavour's raw layer, which keeps the contract.
unsafe impl Flavour for Object {
    #[inline]
    unsafe fn incref(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { refs::incref(op) }
    }
    #[inline]
    unsafe fn decref(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { refs::decref(op) }
    }
    #[inline]
    unsafe fn refcnt(op: *mut Self) -> isize {
        // SAFETY: as the trait's.
        unsafe { (*op).ob_refcnt.refcnt() }
    }
    unsafe fn make_immortal(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { (*op).ob_refcnt.make_immortal() }
    }
    unsafe fn alloc(ty: *mut TypeObject<Self>) -> *mut Self {
        // SAFETY: as the trait's.
        unsafe { create::alloc_object(ty, 0) }.map_or(core::ptr::null_mut(), |p| p.as_ptr())
    }
    unsafe fn free(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { create::free_object(op) }
    }
}

// SAFETY: wraps the free-threaded raw layer, which keeps the contract.
unsafe impl Flavour for FtObject {
    #[inline]
    unsafe fn incref(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { ft::refs::incref(op) }
    }
    #[inline]
    unsafe fn decref(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { ft::refs::decref(op) }
    }
    #[inline]
    unsafe fn refcnt(op: *mut Self) -> isize {
        // SAFETY: as the trait's.
        unsafe { ft::header(op) }.refcnt()
    }
    unsafe fn make_immortal(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { ft::header(op) }.make_immortal()
    }
    unsafe fn alloc(ty: *mut TypeObject<Self>) -> *mut Self {
        // SAFETY: as the trait's.
        unsafe { ft::create::alloc_object(ty, 0) }
    }
    unsafe fn free(op: *mut Self) {
        // SAFETY: as the trait's.
        unsafe { ft::create::free_object(op) }
    }
}
