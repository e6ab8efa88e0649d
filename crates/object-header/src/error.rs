//! The errors of the counting core.
//!
//! Two enums, because they describe two different things: [`CountError`]
//! is about an object's count word (CPython's `_Py_NegativeRefcount` and
//! `Py_SET_REFCNT` cases), [`RefcountError`] about a standalone
//! [`Refcounter`](crate::Refcounter) (pyrefcount's `UnderflowException`).
//! This crate knows no types or addresses; the type-object layer wraps a
//! [`CountError`] with the object's type name and address.

use core::fmt;

/// A count word operation was refused. The word was left as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CountError {
    /// A decrement found the count already at 0: the object is (or should
    /// already have been) deallocated. CPython's debug build reports it as
    /// `_Py_NegativeRefcount` ("object has negative ref count").
    BelowZero {
        /// The whole 64-bit word as it was (and still is).
        raw: u64,
    },
    /// A decrement found a word that only freed or corrupted memory holds:
    /// negative as a 64-bit integer (CPython fills freed memory with `0xDD`)
    /// or a low count above `u32::MAX - 2^20` (a count that wrapped below
    /// zero). CPython's debug `Py_DECREF` reports it as
    /// `_Py_NegativeRefcount` too.
    Corrupted {
        /// The whole 64-bit word as it was (and still is).
        raw: u64,
    },
    /// `Py_SET_REFCNT` was asked for a negative count.
    NegativeRequest {
        /// The count that was asked for.
        requested: isize,
    },
    /// A biased (free-threaded) decrement the count cannot take: the
    /// owner's local count is already 0, or a merged count would go below
    /// zero. CPython's debug build reports it as `_Py_NegativeRefcount`.
    SharedBelowZero {
        /// `ob_ref_local` as it was (and still is).
        local: u32,
        /// `ob_ref_shared` as it was (and still is).
        shared: isize,
    },
    /// `_Py_SetMortal` was called on an object that is not immortal.
    NotImmortal {
        /// The whole 64-bit word as it was (and still is).
        raw: u64,
    },
    /// `_Py_SetMortal` was asked for a count that would be immortal.
    MortalOutOfRange {
        /// The count that was asked for.
        requested: u32,
    },
}

impl CountError {
    /// The count (low 32 bits of the word) the error was raised at, where
    /// there was one.
    pub fn count(&self) -> Option<u32> {
        match *self {
            CountError::BelowZero { raw }
            | CountError::Corrupted { raw }
            | CountError::NotImmortal { raw } => Some(raw as u32),
            CountError::SharedBelowZero { local, .. } => Some(local),
            CountError::NegativeRequest { .. } | CountError::MortalOutOfRange { .. } => None,
        }
    }
}

impl fmt::Display for CountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CountError::BelowZero { raw } => write!(
                f,
                "object has negative ref count: decref would take the count below zero \
                 (count {}, word {raw:#018x})",
                raw as u32
            ),
            CountError::Corrupted { raw } => write!(
                f,
                "object has negative ref count: word {raw:#018x} is only held by freed or \
                 corrupted memory (count {})",
                raw as u32
            ),
            CountError::NegativeRequest { requested } => {
                write!(f, "cannot set a negative ref count (requested {requested})")
            }
            CountError::SharedBelowZero { local, shared } => write!(
                f,
                "object has negative ref count: biased decref would take the count below zero \
                 (local {local}, shared {shared:#x}, count {})",
                local as isize + (shared >> 2)
            ),
            CountError::NotImmortal { raw } => write!(
                f,
                "cannot make mortal an object that is not immortal (count {})",
                raw as u32
            ),
            CountError::MortalOutOfRange { requested } => write!(
                f,
                "a mortal count must be below 2^31 (requested {requested})"
            ),
        }
    }
}

impl core::error::Error for CountError {}

/// A [`Refcounter`](crate::Refcounter) or
/// [`AtomicRefcounter`](crate::AtomicRefcounter) operation was refused; the
/// count was left unchanged and no callback fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefcountError {
    /// A decrement by `by` would have taken `count` below zero. pyrefcount
    /// raises `UnderflowException('refcount underflow')` here; Linux's
    /// `refcount_t` saturates and warns "underflow; use-after-free".
    Underflow {
        /// The count before (and after) the refused decrement.
        count: u32,
        /// The amount that was to be subtracted.
        by: u32,
    },
    /// A [`RefcountedValue`](crate::RefcountedValue) was read or written
    /// while its count was 0. pyrefcount raises
    /// `NameError('Value referenced with no reference count')` here.
    Unreferenced,
}

impl fmt::Display for RefcountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RefcountError::Underflow { count, by } => write!(
                f,
                "refcount underflow: cannot subtract {by} from a count of {count}"
            ),
            RefcountError::Unreferenced => {
                f.write_str("value referenced with no reference count (usecount 0)")
            }
        }
    }
}

impl core::error::Error for RefcountError {}
