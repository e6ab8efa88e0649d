//! objmodel: the object-model core of CPython for toy-language VMs.
//!
//! ```text
//!   object-header  <-  (type-object)  <-  (gc-traverse)  <-  objmodel
//!   counting:           types, dealloc,    cycles: traverse,   this facade:
//!   CountWord,          allocation, Ref    collector           re-exports,
//!   immortality,                                               prelude
//!   Refcounter
//! ```
//!
//! This facade re-exports the member crates so a VM author depends on one
//! package. Today it holds the counting core; the type-object and collector
//! layers join it as they land.
//!
//! # A first look
//! ```
//! use objmodel::prelude::*;
//!
//! // An object's count word, CPython 3.14 semantics.
//! let word = CountWord::new(1);
//! word.incref();
//! assert_eq!(word.decref(), Ok(Released::Live));
//! assert_eq!(word.decref(), Ok(Released::Last));
//!
//! // An immortal ignores decrements.
//! let none = CountWord::new_static_immortal();
//! for _ in 0..10_000 {
//!     assert_eq!(none.decref(), Ok(Released::Immortal));
//! }
//!
//! // A standalone counter for a resource, pyrefcount style.
//! let users = Refcounter::new(1);
//! assert_eq!(users.dec_and_test(), Ok(true));
//! assert!(matches!(users.dec(), Err(RefcountError::Underflow { count: 0, by: 1 })));
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cpython;
pub mod prelude;

/// The guide: one chapter per concept, each mapped to CPython. The examples
/// in each chapter run as doc tests.
pub mod guide {
    #[doc = include_str!("../README.md")]
    pub mod readme {}
    #[doc = include_str!("../docs/count-word.md")]
    pub mod count_word {}
    #[doc = include_str!("../docs/references.md")]
    pub mod references {}
    #[doc = include_str!("../docs/immortality.md")]
    pub mod immortality {}
    #[doc = include_str!("../docs/dealloc.md")]
    pub mod dealloc {}
    #[doc = include_str!("../docs/trashcan.md")]
    pub mod trashcan {}
    #[doc = include_str!("../docs/cycles.md")]
    pub mod cycles {}
    #[doc = include_str!("../docs/finalizers.md")]
    pub mod finalizers {}
    #[doc = include_str!("../docs/free-threading.md")]
    pub mod free_threading {}
    #[doc = include_str!("../docs/refcounter.md")]
    pub mod refcounter {}
    #[doc = include_str!("../docs/benchmarking.md")]
    pub mod benchmarking {}
    #[doc = include_str!("../docs/checked-mode.md")]
    pub mod checked_mode {}
}

/// The counting core: count words, immortality constants, the counter
/// strategy trait and the standalone refcounters.
pub use object_header as header;

/// The type layer: object headers, type objects, dealloc dispatch, the
/// trashcan, allocation and `Ref<T>`.
pub use type_object as types;

/// The cycle layer: the traverse protocol, the cycle collector, finalizers
/// and weak references.
pub use gc_traverse as cycles;

pub use gc_traverse::Py_VISIT;

pub use type_object::{Heap, HeapType, Object, ObjectError, Ref, RustType, TypeObject};

pub use object_header::{
    AtomicRefcounter, CountError, CountWord, RefCount, RefcountError, RefcountedValue, Refcounter,
    Released, REFCOUNT_MAX, REFCOUNT_SATURATED,
};
