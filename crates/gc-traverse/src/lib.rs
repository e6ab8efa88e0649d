//! The cycle layer of objmodel: the traverse protocol, CPython's
//! generational cycle collector, PEP 442 finalizers and weak references.
//!
//! Reference counting frees an object when its last reference goes; it
//! cannot free a group of objects that reference each other. Types that can
//! hold references set `Py_TPFLAGS_HAVE_GC` and provide `tp_traverse` (visit
//! each owned strong reference) and `tp_clear` (drop them). Their instances
//! carry a GC header in front of the object and are tracked in generation
//! lists; the [`Collector`](collector::Collector) finds groups unreachable
//! from outside by subtracting internal references from the counts, as
//! `Python/gc.c` does.
//!
//! # Mirrors
//! `Python/gc.c`, `Modules/gcmodule.c`, `Objects/weakrefobject.c` and the
//! `Py_VISIT` macro of `Include/objimpl.h`, CPython 3.13 (whose generational
//! collector 3.14.5+ restores).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod collector;
mod deduce;
pub mod finalize;
pub mod ft_collector;
pub mod traverse;
pub mod weakref;

/// Visits one reference from inside a `tp_traverse`: a non-null `op` is
/// passed to `visit(op, arg)`, and a non-zero result returns from the
/// enclosing function at once. Mirrors `Py_VISIT`
/// ([Include/objimpl.h](https://github.com/python/cpython/blob/v3.14.0/Include/objimpl.h)).
///
/// Must be used inside an `unsafe` context of a function returning
/// `c_int`.
#[macro_export]
macro_rules! Py_VISIT {
    ($op:expr, $visit:expr, $arg:expr) => {{
        let op: *mut $crate::__private::Object = ($op).cast();
        if !op.is_null() {
            let r: ::core::ffi::c_int = $visit(op, $arg);
            if r != 0 {
                return r;
            }
        }
    }};
}

#[doc(hidden)]
pub mod __private {
    pub use type_object::Object;
}
