//! The CPython-name table of the free-threaded build (`Py_GIL_DISABLED`):
//! the same names and signatures as [`crate::cpython`], over the
//! free-threaded object header ([`FtObject`]:
//! biased reference counting), plus the functions only that build has
//! (`_Py_ThreadId`, `_Py_ExplicitMergeRefcount`, `_Py_brc_merge_refcounts`,
//! `_Py_TryIncref`, ...).
//!
//! Objects of this table may be referenced from any thread. Each thread
//! that owns objects merges the references other threads queued to it at
//! its safepoints ([`_Py_brc_merge_refcounts`]); a thread that exits
//! merges its queue on the way out.
//!
//! ```
//! use objmodel::cpython::ft::*;
//! use std::sync::atomic::Ordering::Relaxed;
//!
//! #[repr(C)]
//! struct Shared { ob_base: PyObject, x: u64 }
//!
//! unsafe extern "C" fn shared_dealloc(op: *mut PyObject) {
//!     unsafe { PyObject_Free(op.cast()) }
//! }
//!
//! static SHARED: PyTypeObject = PyTypeObject {
//!     tp_name: "Shared",
//!     tp_basicsize: core::mem::size_of::<Shared>() as Py_ssize_t,
//!     tp_dealloc: Some(shared_dealloc),
//!     ..PyTypeObject::DEFAULT
//! };
//!
//! // SAFETY: a static type; the object is used while referenced.
//! unsafe {
//!     let ty = core::ptr::addr_of!(SHARED).cast_mut();
//!     assert_eq!(PyType_Ready(ty), 0);
//!     let op = PyType_GenericAlloc(ty, 0);
//!     assert!(_Py_IsOwnedByCurrentThread(op));
//!     Py_INCREF(op); // the owner counts locally
//!     assert_eq!((*op).ob_ref_local.load(Relaxed), 2);
//!     let addr = op as usize;
//!     std::thread::spawn(move || {
//!         let op = addr as *mut PyObject;
//!         Py_INCREF(op); // another thread counts in the shared word
//!         assert_eq!(Py_REFCNT(op), 3);
//!         Py_DECREF(op);
//!         Py_DECREF(op); // below zero for the shared word: queued to the owner
//!     })
//!     .join()
//!     .unwrap();
//!     assert_eq!(_Py_brc_merge_refcounts(), 1);
//!     assert_eq!(Py_REFCNT(op), 1);
//!     Py_DECREF(op); // count 0: shared_dealloc runs
//! }
//! ```
#![allow(non_snake_case, non_camel_case_types, non_upper_case_globals)]

mod biased;
mod counting;
mod gc_api;
mod object;

pub use biased::*;
pub use counting::*;
pub use gc_api::*;
pub use object::*;

pub use super::{
    _Py_IMMORTAL_INITIAL_REFCNT, _Py_IMMORTAL_MINIMUM_REFCNT, _Py_STATIC_IMMORTAL_INITIAL_REFCNT,
    Py_TPFLAGS_DEFAULT, Py_TPFLAGS_HAVE_GC, Py_TPFLAGS_HEAPTYPE, Py_TPFLAGS_READY, Py_ssize_t,
};

use type_object::ft::{FtObject, FtTypeObject};
use type_object::type_object as slots;

/// Mirrors the free-threaded `PyObject`: 32 bytes, usable as the first
/// field `ob_base` of a `#[repr(C)]` object struct; `ob_tid`,
/// `ob_ref_local`, `ob_ref_shared` and the other header fields are public
/// atomics.
pub type PyObject = FtObject;
/// Mirrors `PyTypeObject` (for free-threaded instances).
pub type PyTypeObject = FtTypeObject;
/// Mirrors `destructor`.
pub type destructor = slots::DeallocFn<FtObject>;
/// Mirrors `freefunc`.
pub type freefunc = slots::FreeFn;
/// Mirrors `allocfunc`.
pub type allocfunc = slots::AllocFn<FtObject>;
/// Mirrors `visitproc`.
pub type visitproc = slots::VisitFn<FtObject>;
/// Mirrors `traverseproc`.
pub type traverseproc = slots::TraverseFn<FtObject>;
/// Mirrors `inquiry`.
pub type inquiry = slots::InquiryFn<FtObject>;
