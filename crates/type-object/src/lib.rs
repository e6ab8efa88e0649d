//! The type layer of objmodel: what happens when a count reaches zero.
//!
//! ```text
//!   Ref<T> / decref(op)
//!        | count 1 -> 0 (object-header)
//!        v
//!   dealloc(op) --trashcan--> op.ob_type.tp_dealloc(op)
//!                                  | drop payload, decref children
//!                                  v
//!                             tp_free(op) --> Heap (size-class pools)
//!                                  | heap type? decref the type
//! ```
//!
//! An object is a `#[repr(C)]` struct whose first field is an [`Object`]
//! header (count word, type pointer); its [`TypeObject`] holds the function
//! pointers a decrement to zero dispatches through.
//!
//! # Mirrors
//! `Include/object.h`, `Include/refcount.h`, `Objects/object.c`
//! (`_Py_Dealloc`, the trashcan, the ref tracer), `Objects/typeobject.c`
//! (`PyType_Ready`, `PyType_GenericAlloc`), `Objects/obmalloc.c` (pools)
//! of CPython 3.14.
//!
//! # Invariants
//! - **T1** Every object starts with its [`Object`] header, so an object
//!   pointer is a header pointer.
//! - **T2** An object's count word is touched only by the thread that owns
//!   the object (handles are `!Send`); a static object's word is
//!   static-immortal and never written.
//! - **T3** A type outlives its instances: static types forever; a heap
//!   type holds one reference per instance, released after the instance's
//!   block is freed.
//! - **T4** Every readied type has a `tp_dealloc`; dispatch calls it exactly
//!   once per object, at count 0, through the trashcan.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod alloc;
pub mod create;
pub mod dealloc;
pub mod error;
pub mod flavour;
pub mod ft;
pub mod gc_head;
pub mod handle;
pub mod object;
pub mod pinned;
pub mod refs;
mod thread_state;
pub mod tracer;
pub mod trashcan;
pub mod type_object;

pub use alloc::Heap;
pub use error::ObjectError;
pub use handle::{HeapType, Instance, Ref, RustType};
pub use object::Object;
pub use type_object::TypeObject;
