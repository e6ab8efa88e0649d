//! The free-threaded flavour: objects with CPython's free-threaded header
//! (biased reference counting, PEP 703) that any thread may reference.
//!
//! ```text
//!  0        8          10         11           12             16             24        32
//! +--------+----------+----------+------------+--------------+--------------+---------+------
//! | ob_tid | ob_flags | ob_mutex | ob_gc_bits | ob_ref_local | ob_ref_shared| ob_type | payload
//! +--------+----------+----------+------------+--------------+--------------+---------+------
//!   FtHeader (object-header::biased)                                          FtObject
//! ```
//!
//! Types are the same [`TypeObject`](crate::TypeObject) struct, over this
//! header ([`FtTypeObject`]); they must be `static` (immortal), since a
//! counted type object's word is thread-confined. Instances come from the
//! system allocator, which any thread may free into (the pool allocator's
//! free lists belong to one thread). A dealloc runs on whichever thread
//! released the last reference, through that thread's trashcan.
//!
//! Mirrors `Include/object.h` and `Include/refcount.h` of the
//! free-threaded build (`Py_GIL_DISABLED`), CPython 3.14.

pub mod create;
pub mod object;
pub mod refs;
pub mod tracking;
pub mod world;

pub use object::{header, FtObject, FtTypeObject};
