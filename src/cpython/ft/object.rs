//! Types, allocation and the singletons for free-threaded objects, under
//! `Objects/object.c` and `Objects/typeobject.c`'s names.

use core::ffi::{c_int, c_void};
use core::ptr::addr_of;

use super::{PyObject, PyTypeObject, Py_ssize_t};
use type_object::ft::{create, FtObject};
use type_object::TypeObject;

pub use crate::cpython::take_error;

/// The object's type. Mirrors `Py_TYPE`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_TYPE(op: *mut PyObject) -> *mut PyTypeObject {
    // SAFETY: first bullet.
    unsafe { (*op).ob_type }
}

/// Checks a type and marks it ready: 0, or −1 with the reason kept for
/// [`take_error`]. Mirrors `PyType_Ready`. Free-threaded types are
/// `static` (immortal) types.
///
/// # Safety
/// - `ty` points to a live type object.
pub unsafe fn PyType_Ready(ty: *mut PyTypeObject) -> c_int {
    // SAFETY: first bullet.
    match unsafe { (*ty).ready() } {
        Ok(()) => 0,
        Err(e) => crate::cpython::object::set_error(e),
    }
}

/// Allocates a zeroed instance from the system allocator (any thread may
/// free it): owned by the calling thread, local count 1, `ob_type` set; a
/// `Py_TPFLAGS_HAVE_GC` instance is counted towards the next collection
/// and tracked. Mirrors `PyType_GenericAlloc`.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is empty or
///   [`PyObject_Free`].
pub unsafe fn PyType_GenericAlloc(ty: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: first bullet.
    let gc = unsafe { (*ty).is_gc() };
    if gc {
        gc_traverse::ft_collector::note_allocation();
    }
    // SAFETY: first bullet.
    let op = unsafe { create::generic_alloc(ty, nitems) };
    if gc && !op.is_null() {
        // SAFETY: a fresh GC instance, untracked.
        unsafe { type_object::ft::tracking::track(op) };
    }
    op
}

/// Allocates through the type's `tp_alloc`. Mirrors `PyObject_New`.
///
/// # Safety
/// - `ty` is a live, readied type.
pub unsafe fn PyObject_New(ty: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { create::alloc_object(ty, 0) }
}

/// Initialises a header in memory the caller allocated. Mirrors
/// `PyObject_Init`.
///
/// # Safety
/// - `op` points to writable memory of `tp_basicsize` bytes; `ty` is a
///   live, readied type.
pub unsafe fn PyObject_Init(op: *mut PyObject, ty: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: both bullets.
    unsafe { create::init_object(op, ty) }
}

/// Resets a header to a new reference owned by the calling thread (local
/// 1, shared 0, flags cleared). Mirrors the free-threaded
/// `_Py_NewReference`.
///
/// # Safety
/// - `op` points to an object header nobody else references.
pub unsafe fn _Py_NewReference(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { create::init_object(op, (*op).ob_type) };
}

/// Frees a block from [`PyType_GenericAlloc`]. Mirrors `PyObject_Free`.
///
/// # Safety
/// - `p` is null or came from [`PyType_GenericAlloc`] and was not freed.
pub unsafe extern "C" fn PyObject_Free(p: *mut c_void) {
    // SAFETY: first bullet.
    unsafe { create::generic_free(p) }
}

/// The dealloc of a singleton's type: reaching it means an immortal count
/// was corrupted.
unsafe extern "C" fn singleton_dealloc(op: *mut PyObject) {
    // SAFETY: `op` is one of the singletons, whose type is static.
    let name = unsafe { (*(*op).ob_type).tp_name };
    panic!("deallocating the `{name}` singleton at {op:p}: it is immortal (count 0)")
}

macro_rules! ft_static_type {
    ($ty:ident, $name:literal) => {
        static $ty: PyTypeObject = PyTypeObject {
            tp_name: $name,
            tp_dealloc: Some(singleton_dealloc),
            ..TypeObject::DEFAULT
        };
    };
}

macro_rules! ft_singleton {
    ($(#[$doc:meta])* $func:ident, $obj:ident, $ty:ident) => {
        static $obj: FtObject = FtObject::new_static(addr_of!($ty));
        $(#[$doc])*
        #[inline]
        pub fn $func() -> *mut PyObject {
            addr_of!($obj).cast_mut()
        }
    };
}

ft_static_type!(NONE_TYPE, "NoneType");
ft_static_type!(BOOL_TYPE, "bool");
ft_static_type!(ELLIPSIS_TYPE, "ellipsis");
ft_static_type!(NOT_IMPLEMENTED_TYPE, "NotImplementedType");

ft_singleton!(
    /// `None` as a static immortal free-threaded object. Mirrors `Py_None`.
    Py_None, NONE, NONE_TYPE
);
ft_singleton!(
    /// `True`, of type `bool`. Mirrors `Py_True`.
    Py_True, TRUE, BOOL_TYPE
);
ft_singleton!(
    /// `False`, of type `bool` (the same type as `True`). Mirrors `Py_False`.
    Py_False, FALSE, BOOL_TYPE
);
ft_singleton!(
    /// Mirrors `Py_Ellipsis`.
    Py_Ellipsis, ELLIPSIS, ELLIPSIS_TYPE
);
ft_singleton!(
    /// Mirrors `Py_NotImplemented`.
    Py_NotImplemented, NOT_IMPLEMENTED, NOT_IMPLEMENTED_TYPE
);
