//! The counting core of objmodel: CPython 3.14's reference-count word, its
//! immortality rules, and a standalone `refcount_t`-style counter.
//!
//! ```text
//!            an object header (type-object crate)
//!   +--------------------------------+----------------+
//!   | CountWord (this crate, 8 bytes)| type pointer   |
//!   +--------------------------------+----------------+
//!     incref / decref -> Released::{Live, Last, Immortal}
//!                                   |
//!                 Last: the caller (type-object) deallocates
//!
//!   Refcounter / AtomicRefcounter: the same counting rules for resources
//!   that are not objects, with acquire/release callbacks (pyrefcount)
//!   and sticky saturation (Linux refcount_t).
//! ```
//!
//! Nothing here knows about types. A decrement answers "did the count reach
//! zero?" and the caller decides what happens next, exactly as
//! [`Py_DECREF`](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h)
//! hands the object to `_Py_Dealloc`.
//!
//! # Mirrors
//! - `Include/object.h` and `Include/refcount.h` of CPython 3.14 (64-bit,
//!   default build): [`CountWord`], the constants in [`immortal`].
//! - The `pyrefcount` package (`refcount/__init__.py`) and Linux
//!   `include/linux/refcount.h`: [`Refcounter`], [`AtomicRefcounter`],
//!   [`RefcountedValue`].
//!
//! # Invariants
//! - **H1** A [`CountWord`] is touched by one thread only (it is `!Sync`):
//!   every read-modify-write is a plain load and store.
//! - **H2** The low 32 bits of a count word never wrap: an increment stops at
//!   `3 << 30`, a decrement stops at `1 << 31`, and a decrement at 0 is
//!   refused with an error and leaves the word unchanged.
//! - **H3** A static immortal's word is never rewritten by counting, by
//!   [`CountWord::set_refcnt`] or by [`CountWord::make_immortal`].
//! - **H4** A refcounter's value is either a valid count (`0..=REFCOUNT_MAX`)
//!   or saturated (`>= 1 << 31`); once saturated it stays saturated.
//! - **H5** A refcounter operation that reports an error changed nothing and
//!   fired no callback; each 0 -> n transition fires `acquire` once, each
//!   n -> 0 transition fires `release` once.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod biased;
pub mod counting;
pub mod error;
pub mod immortal;
pub mod refcounter;
mod sync;
pub mod word;

pub use counting::{RefCount, Released};
pub use error::{CountError, RefcountError};
pub use refcounter::{
    AtomicRefcounter, RefcountedValue, Refcounter, REFCOUNT_MAX, REFCOUNT_SATURATED,
};
pub use word::CountWord;
