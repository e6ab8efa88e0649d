//! A heap value whose address other structures keep: pool headers point to
//! their heap's state, list members to their list head.
//!
//! A `Box` would do, except that moving a `Box` asserts unique access to
//! its contents, which (under the Stacked Borrows model Miri checks)
//! invalidates every pointer handed out before the move. `Pinned` owns the
//! value through a raw pointer and only ever lends shared references, so
//! the pointers stay valid for as long as the value lives.

use core::ops::Deref;
use core::ptr::NonNull;

/// An owned heap value with a stable address (see the module docs).
pub struct Pinned<T>(NonNull<T>);

impl<T> Pinned<T> {
    /// Moves `value` to the heap.
    pub fn new(value: T) -> Pinned<T> {
        Pinned(NonNull::from(Box::leak(Box::new(value))))
    }

    /// The value's address, valid until the `Pinned` is dropped.
    pub fn as_ptr(&self) -> *const T {
        self.0.as_ptr()
    }
}

impl<T> Deref for Pinned<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the pointer came from `Box::leak` and is freed only in
        // `drop`; only shared references are ever made from it.
        unsafe { self.0.as_ref() }
    }
}

impl<T> Drop for Pinned<T> {
    fn drop(&mut self) {
        // SAFETY: leaked in `new`, freed once here.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
