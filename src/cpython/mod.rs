//! The CPython-name table: every C-API function objmodel reproduces, under
//! its CPython name and with its pointer signature, so a reader of the C API
//! finds each one here. Thin `#[inline]` wrappers over the Rust-named
//! layers; each links back to the function it wraps.
//!
//! ```
//! use objmodel::cpython::*;
//!
//! #[repr(C)]
//! struct Counted { ob_base: PyObject, n: u64 }
//!
//! unsafe extern "C" fn counted_dealloc(op: *mut PyObject) {
//!     unsafe { PyObject_Free(op.cast()) }
//! }
//!
//! static COUNTED: PyTypeObject = PyTypeObject {
//!     tp_name: "Counted",
//!     tp_basicsize: core::mem::size_of::<Counted>() as Py_ssize_t,
//!     tp_dealloc: Some(counted_dealloc),
//!     ..PyTypeObject::DEFAULT
//! };
//!
//! unsafe {
//!     let ty = core::ptr::addr_of!(COUNTED).cast_mut();
//!     assert_eq!(PyType_Ready(ty), 0);
//!     let op = PyType_GenericAlloc(ty, 0);
//!     assert_eq!(Py_REFCNT(op), 1);
//!     Py_INCREF(op);
//!     Py_DECREF(op);
//!     Py_DECREF(op); // count 0: counted_dealloc runs
//! }
//! ```
#![allow(non_snake_case, non_camel_case_types, non_upper_case_globals)]

mod debug;
pub mod ft;
mod gc_api;
pub(crate) mod object;
mod refcount;

pub use debug::*;
pub use gc_api::*;
pub use object::*;
pub use refcount::*;

/// CPython's signed size type. Mirrors `Py_ssize_t`.
pub type Py_ssize_t = isize;
/// Mirrors `PyObject`: the 16-byte header, usable as the first field
/// `ob_base` of a `#[repr(C)]` object struct.
pub type PyObject = type_object::Object;
/// Mirrors `PyTypeObject`.
pub type PyTypeObject = type_object::TypeObject;
/// Mirrors `destructor`.
pub type destructor = type_object::type_object::DeallocFn;
/// Mirrors `freefunc`.
pub type freefunc = type_object::type_object::FreeFn;
/// Mirrors `allocfunc`.
pub type allocfunc = type_object::type_object::AllocFn;
/// Mirrors `visitproc`.
pub type visitproc = type_object::type_object::VisitFn;
/// Mirrors `traverseproc`.
pub type traverseproc = type_object::type_object::TraverseFn;
/// Mirrors `inquiry`.
pub type inquiry = type_object::type_object::InquiryFn;

/// Mirrors `Py_TPFLAGS_DEFAULT`.
pub const Py_TPFLAGS_DEFAULT: u64 = type_object::type_object::TPFLAGS_DEFAULT;
/// Mirrors `Py_TPFLAGS_HEAPTYPE`.
pub const Py_TPFLAGS_HEAPTYPE: u64 = type_object::type_object::TPFLAGS_HEAPTYPE;
/// Mirrors `Py_TPFLAGS_HAVE_GC`.
pub const Py_TPFLAGS_HAVE_GC: u64 = type_object::type_object::TPFLAGS_HAVE_GC;
/// Mirrors `Py_TPFLAGS_READY`.
pub const Py_TPFLAGS_READY: u64 = type_object::type_object::TPFLAGS_READY;

/// Mirrors `_Py_IMMORTAL_INITIAL_REFCNT` (`3 << 30`).
pub const _Py_IMMORTAL_INITIAL_REFCNT: Py_ssize_t =
    object_header::immortal::_Py_IMMORTAL_INITIAL_REFCNT as Py_ssize_t;
/// Mirrors `_Py_IMMORTAL_MINIMUM_REFCNT` (`1 << 31`).
pub const _Py_IMMORTAL_MINIMUM_REFCNT: Py_ssize_t =
    object_header::immortal::_Py_IMMORTAL_MINIMUM_REFCNT as Py_ssize_t;
/// Mirrors `_Py_STATIC_IMMORTAL_INITIAL_REFCNT` (`0x0005_0000_C000_0000`).
pub const _Py_STATIC_IMMORTAL_INITIAL_REFCNT: Py_ssize_t =
    object_header::immortal::_Py_STATIC_IMMORTAL_INITIAL_REFCNT as Py_ssize_t;

/// Mirrors `PyRefTracer`.
pub type PyRefTracer = type_object::tracer::RefTracer;
/// Mirrors `PyRefTracerEvent`.
pub type PyRefTracerEvent = type_object::tracer::RefTracerEvent;
/// Mirrors `PyRefTracer_CREATE`.
pub const PyRefTracer_CREATE: PyRefTracerEvent = type_object::tracer::RefTracerEvent::Create;
/// Mirrors `PyRefTracer_DESTROY`.
pub const PyRefTracer_DESTROY: PyRefTracerEvent = type_object::tracer::RefTracerEvent::Destroy;
