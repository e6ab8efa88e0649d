//! The counter strategy: what every object count word offers, whatever its
//! layout.
//!
//! objmodel keeps both of CPython's counters in one binary (see the
//! architecture notes): the default build's single word ([`CountWord`]) for
//! thread-confined objects, and the free-threaded build's biased pair for
//! shared ones. The type-object layer is generic over this trait, so its
//! dealloc dispatch, `Ref<T>` and CPython-name table serve both.
//!
//! [`CountWord`]: crate::CountWord

use crate::error::CountError;

/// What a decrement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "at `Released::Last` the caller must deallocate the object"]
pub enum Released {
    /// The count went down and is still above zero.
    Live,
    /// The count went from 1 to 0 in this call: the caller now owns the
    /// object exclusively and must deallocate it (`_Py_Dealloc`).
    Last,
    /// The object is immortal; nothing was written.
    Immortal,
}

impl Released {
    /// Whether this decrement released the last reference.
    #[inline]
    pub fn is_last(self) -> bool {
        matches!(self, Released::Last)
    }
}

/// A reference-count strategy: the operations `Include/refcount.h` defines
/// on an object header, without the dealloc that follows a decrement to
/// zero.
///
/// Implementations decide layout and thread safety; the semantics are
/// CPython's:
/// - a new object starts at 1 ([`new_reference`](RefCount::new_reference),
///   `_Py_NewReference`);
/// - an immortal object ignores [`incref`](RefCount::incref),
///   [`decref`](RefCount::decref) and [`set_refcnt`](RefCount::set_refcnt);
/// - a count never wraps: overflow ends in immortality, underflow is an
///   error that changes nothing.
pub trait RefCount {
    /// The count of a freshly created object: 1, owned by its creator.
    /// Mirrors `_Py_NewReference`
    /// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
    fn new_reference() -> Self
    where
        Self: Sized;

    /// Adds one reference. Mirrors `Py_INCREF`
    /// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
    fn incref(&self);

    /// Gives up one reference and says whether it was the last. Mirrors
    /// `Py_DECREF` up to, not including, `_Py_Dealloc`.
    ///
    /// # Errors
    /// [`CountError::BelowZero`] or [`CountError::Corrupted`] where CPython's
    /// debug build calls `_Py_NegativeRefcount`; the count is unchanged.
    fn decref(&self) -> Result<Released, CountError>;

    /// The current count. Mirrors `Py_REFCNT`.
    fn refcnt(&self) -> isize;

    /// Sets the count. Mirrors `Py_SET_REFCNT`: no effect on an immortal.
    ///
    /// # Errors
    /// [`CountError::NegativeRequest`] for `n < 0`; the count is unchanged.
    fn set_refcnt(&self, n: isize) -> Result<(), CountError>;

    /// Whether decrements are skipped. Mirrors `_Py_IsImmortal`.
    fn is_immortal(&self) -> bool;

    /// Makes the count immortal, unless it already is (a static immortal is
    /// never downgraded). Mirrors `_Py_SetImmortalUntracked`
    /// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
    fn make_immortal(&self);
}
