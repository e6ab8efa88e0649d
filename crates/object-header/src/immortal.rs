//! CPython 3.14's immortality constants (64-bit), under their CPython names.
//!
//! An immortal object is one whose count is never decremented: `None`, the
//! small ints, interned strings, static types. PEP 683 introduced it in 3.12;
//! 3.14 reshaped it into the two thresholds below.
//!
//! ```text
//!  low 32 bits of the count word
//!  0 ........ 2^31-1 | 2^31 ........... 3*2^30 .......... 2^32-1
//!  mortal: counted   | immortal: decref skipped
//!                    |                 | incref skipped too
//!                    ^ _Py_IMMORTAL_MINIMUM_REFCNT
//!                                      ^ _Py_IMMORTAL_INITIAL_REFCNT
//! ```
//!
//! Why two thresholds: an extension built for Python 3.11 or older increments
//! and decrements the count blindly. Setting immortals to the middle of
//! `[2^31, 2^32)` leaves about 2^30 of drift either way before the object
//! would look mortal; and since increments stop higher (`3 << 30`) than
//! decrements (`1 << 31`), a count that crosses `2^31` only ever drifts up to
//! `3 << 30` and stays there. Linux's `REFCOUNT_SATURATED` is the same value
//! for the same reason.
//!
//! Mirrors `Include/refcount.h` and `Include/object.h`
//! ([v3.14.0](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
#![allow(non_upper_case_globals)]

/// The count an object gets when it is made immortal, and the value
/// `_Py_RefcntAdd` saturates to: `3 << 30` = 3 221 225 472. Increments
/// stop here.
///
/// Mirrors `_Py_IMMORTAL_INITIAL_REFCNT`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
pub const _Py_IMMORTAL_INITIAL_REFCNT: u64 = 3 << 30;

/// The smallest count that is immortal: `1 << 31`. Decrements stop here;
/// this is also the immortality test (the sign bit of the low 32 bits).
///
/// Mirrors `_Py_IMMORTAL_MINIMUM_REFCNT`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
pub const _Py_IMMORTAL_MINIMUM_REFCNT: u64 = 1 << 31;

/// The `ob_flags` bit that marks an object made immortal at run time.
///
/// Mirrors `_Py_IMMORTAL_FLAGS`
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
pub const _Py_IMMORTAL_FLAGS: u16 = 1 << 0;

/// The `ob_flags` bit that marks a statically allocated object (a `static`
/// in Rust): its memory is never freed, so it is never made mortal for
/// teardown.
///
/// Mirrors `_Py_STATICALLY_ALLOCATED_FLAG`
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
pub const _Py_STATICALLY_ALLOCATED_FLAG: u16 = 1 << 2;

/// Both flags of a static immortal: `_Py_STATICALLY_ALLOCATED_FLAG |
/// _Py_IMMORTAL_FLAGS` = 5.
///
/// Mirrors `_Py_STATIC_FLAG_BITS`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
pub const _Py_STATIC_FLAG_BITS: u16 = _Py_STATICALLY_ALLOCATED_FLAG | _Py_IMMORTAL_FLAGS;

/// The whole 64-bit count word of a statically allocated immortal:
/// `_Py_IMMORTAL_INITIAL_REFCNT | (_Py_STATIC_FLAG_BITS << 48)` =
/// `0x0005_0000_C000_0000`.
///
/// Mirrors `_Py_STATIC_IMMORTAL_INITIAL_REFCNT`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
pub const _Py_STATIC_IMMORTAL_INITIAL_REFCNT: u64 =
    _Py_IMMORTAL_INITIAL_REFCNT | ((_Py_STATIC_FLAG_BITS as u64) << 48);

/// The free-threaded build's immortality marker: an owner-local count of
/// `u32::MAX`.
///
/// Mirrors `_Py_IMMORTAL_REFCNT_LOCAL`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)).
pub const _Py_IMMORTAL_REFCNT_LOCAL: u32 = u32::MAX;

// The static word is the value CPython's header documents.
const _: () = assert!(_Py_STATIC_IMMORTAL_INITIAL_REFCNT == 0x0005_0000_C000_0000);
// The initial immortal value sits strictly inside the immortal range.
const _: () = assert!(_Py_IMMORTAL_INITIAL_REFCNT > _Py_IMMORTAL_MINIMUM_REFCNT);
const _: () = assert!(_Py_IMMORTAL_INITIAL_REFCNT < 1 << 32);
