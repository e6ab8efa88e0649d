//! Types, allocation, singletons and the tracer under CPython's names.

use core::cell::RefCell;
use core::ffi::{c_int, c_void};
use core::ptr::addr_of;

use super::{PyObject, PyRefTracer, PyTypeObject, Py_ssize_t};
use type_object::{alloc, create, tracer, Object, ObjectError, TypeObject};

thread_local! {
    static LAST_ERROR: RefCell<Option<ObjectError>> = const { RefCell::new(None) };
}

/// Takes the error the last failing call of this table on this thread left
/// (`PyType_Ready` returning −1), as `PyErr_Fetch` would.
pub fn take_error() -> Option<ObjectError> {
    LAST_ERROR.with(|e| e.borrow_mut().take())
}

/// The object's type. Mirrors `Py_TYPE`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_TYPE(op: *mut PyObject) -> *mut PyTypeObject {
    // SAFETY: first bullet.
    unsafe { (*op).ob_type }
}

/// Checks a type and marks it ready: 0 on success, −1 with the reason in
/// [`take_error`]. Mirrors `PyType_Ready`
/// ([Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c));
/// wraps [`TypeObject::ready`].
///
/// # Safety
/// - `ty` points to a live type object.
pub unsafe fn PyType_Ready(ty: *mut PyTypeObject) -> c_int {
    // SAFETY: first bullet.
    match unsafe { (*ty).ready() } {
        Ok(()) => 0,
        Err(e) => {
            LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(e));
            -1
        }
    }
}

/// Allocates a zeroed instance with count 1 from this thread's default heap
/// (a heap type is increfed). Mirrors `PyType_GenericAlloc`; wraps
/// [`create::generic_alloc`].
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is empty or
///   [`PyObject_Free`].
#[inline]
pub unsafe fn PyType_GenericAlloc(ty: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { create::generic_alloc(ty, nitems) }
}

/// Allocates an instance through the type's `tp_alloc`. Mirrors
/// `PyObject_New` (which, in CPython, leaves the payload uninitialised;
/// here it is zeroed by the generic allocator).
///
/// # Safety
/// - `ty` is a live, readied type.
#[inline]
pub unsafe fn PyObject_New(ty: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { create::alloc_object(ty, 0) }.map_or(core::ptr::null_mut(), |p| p.as_ptr())
}

/// Initialises a header in memory the caller allocated: count 1, type
/// `ty`. Mirrors `PyObject_Init`; wraps [`create::init_object`].
///
/// # Safety
/// - `op` points to writable memory of at least `tp_basicsize` bytes.
/// - `ty` is a live, readied type.
#[inline]
pub unsafe fn PyObject_Init(op: *mut PyObject, ty: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: both bullets.
    unsafe { create::init_object(op, ty) }
}

/// Gives a header count 1 and reports CREATE. Mirrors `_Py_NewReference`.
///
/// # Safety
/// - `op` points to an object header whose type is set.
#[inline]
pub unsafe fn _Py_NewReference(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe {
        (*op).ob_refcnt = object_header::CountWord::new(1);
        tracer::trace(op, tracer::RefTracerEvent::Create);
    }
}

/// Frees a block from [`PyType_GenericAlloc`]. Mirrors `PyObject_Free`;
/// wraps [`alloc::generic_free`].
///
/// # Safety
/// - `p` is null or came from the generic allocator and was not freed.
#[inline]
pub unsafe extern "C" fn PyObject_Free(p: *mut c_void) {
    // SAFETY: first bullet.
    unsafe { alloc::generic_free(p) }
}

/// Installs this thread's reference tracer (`None` removes it); returns 0.
/// Mirrors `PyRefTracer_SetTracer`; wraps [`tracer::set_tracer`].
///
/// # Safety
/// - `t`, if set, must accept every object this thread creates or
///   destroys, with `data`.
pub unsafe fn PyRefTracer_SetTracer(t: Option<PyRefTracer>, data: *mut c_void) -> c_int {
    tracer::set_tracer(t, data);
    0
}

/// This thread's tracer; stores its data pointer in `*data`. Mirrors
/// `PyRefTracer_GetTracer`.
///
/// # Safety
/// - `data` is null or writable.
pub unsafe fn PyRefTracer_GetTracer(data: *mut *mut c_void) -> Option<PyRefTracer> {
    let (f, d) = match tracer::tracer() {
        Some((f, d)) => (Some(f), d),
        None => (None, core::ptr::null_mut()),
    };
    if !data.is_null() {
        // SAFETY: first bullet.
        unsafe { *data = d };
    }
    f
}

/// A statically allocated singleton: its count word is static-immortal, so
/// it is never written and may be shared by every thread.
#[repr(transparent)]
struct Singleton(Object);

// SAFETY: T2: a static-immortal word is never written by counting, and the
// type pointer is never changed; all the table's writes skip immortals.
unsafe impl Sync for Singleton {}

/// The dealloc of a singleton's type: reaching it means an immortal count
/// was corrupted. CPython's `none_dealloc` aborts likewise.
unsafe extern "C" fn singleton_dealloc(op: *mut PyObject) {
    // SAFETY: `op` is one of the singletons, whose type is static.
    let name = unsafe { (*(*op).ob_type).tp_name };
    panic!("deallocating the `{name}` singleton at {op:p}: it is immortal (count 0)")
}

macro_rules! static_type {
    ($ty:ident, $name:literal) => {
        static $ty: PyTypeObject = PyTypeObject {
            tp_name: $name,
            tp_dealloc: Some(singleton_dealloc),
            ..TypeObject::DEFAULT
        };
    };
}

macro_rules! singleton {
    ($(#[$doc:meta])* $func:ident, $obj:ident, $ty:ident) => {
        static $obj: Singleton = Singleton(Object::new_static(addr_of!($ty)));
        $(#[$doc])*
        #[inline]
        pub fn $func() -> *mut PyObject {
            addr_of!($obj.0).cast_mut()
        }
    };
}

static_type!(NONE_TYPE, "NoneType");
static_type!(BOOL_TYPE, "bool");
static_type!(ELLIPSIS_TYPE, "ellipsis");
static_type!(NOT_IMPLEMENTED_TYPE, "NotImplementedType");

singleton!(
    /// `None`: a static immortal of type `NoneType`. Mirrors `Py_None`.
    Py_None, NONE, NONE_TYPE
);
singleton!(
    /// `True`: a static immortal of type `bool`. Mirrors `Py_True`.
    Py_True, TRUE, BOOL_TYPE
);
singleton!(
    /// `False`: a static immortal of type `bool`. Mirrors `Py_False`.
    Py_False, FALSE, BOOL_TYPE
);
singleton!(
    /// `...`: a static immortal of type `ellipsis`. Mirrors `Py_Ellipsis`.
    Py_Ellipsis, ELLIPSIS, ELLIPSIS_TYPE
);
singleton!(
    /// `NotImplemented`: a static immortal of type `NotImplementedType`.
    /// Mirrors `Py_NotImplemented`.
    Py_NotImplemented, NOT_IMPLEMENTED, NOT_IMPLEMENTED_TYPE
);
