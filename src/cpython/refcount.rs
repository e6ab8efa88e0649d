//! Counting: `Include/refcount.h` under its own names.

use super::{PyObject, Py_ssize_t};
use type_object::refs;

/// The count. Mirrors `Py_REFCNT`
/// ([Include/refcount.h](https://github.com/python/cpython/blob/v3.14.0/Include/refcount.h));
/// wraps [`CountWord::refcnt`](object_header::CountWord::refcnt).
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: `op` is a fresh object of a readied type, used while live.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     assert_eq!(Py_REFCNT(op), 1); // a new object starts at 1
///     Py_INCREF(op);
///     assert_eq!(Py_REFCNT(op), 2);
///     // An immortal reports 3 << 30.
///     assert_eq!(Py_REFCNT(Py_None()), 3 << 30);
/// #   Py_DECREF(op);
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_REFCNT(op: *mut PyObject) -> Py_ssize_t {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.refcnt() }
}

/// Sets the count; no effect on an immortal. Mirrors `Py_SET_REFCNT`; wraps
/// [`CountWord::set_refcnt`](object_header::CountWord::set_refcnt).
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: `op` is a fresh object, used while live.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_SET_REFCNT(op, 5);
///     assert_eq!(Py_REFCNT(op), 5);
///     // An immortal's count is left alone.
///     Py_SET_REFCNT(Py_None(), 1);
///     assert_eq!(Py_REFCNT(Py_None()), 3 << 30);
/// #   Py_SET_REFCNT(op, 1);
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
///
/// # Panics
/// When `n < 0` (CPython asserts), naming the object; nothing changes.
#[inline]
pub unsafe fn Py_SET_REFCNT(op: *mut PyObject, n: Py_ssize_t) {
    // SAFETY: first bullet.
    if let Err(e) = unsafe { (*op).ob_refcnt.set_refcnt(n) } {
        // SAFETY: first bullet.
        let name = unsafe { type_object::dealloc::type_name(op) };
        panic!("Py_SET_REFCNT on `{name}` object at {op:p}: {e}");
    }
}

/// Mirrors `Py_INCREF`; wraps [`refs::incref`].
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: `op` is a fresh object; every reference taken is given back.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_INCREF(op);
///     assert_eq!(Py_REFCNT(op), 2);
///     // Increments skip immortals.
///     Py_INCREF(Py_None());
///     assert_eq!(Py_REFCNT(Py_None()), 3 << 30);
///     Py_DECREF(op);
///     Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_INCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::incref(op) }
}

/// Mirrors `Py_DECREF`; wraps [`refs::decref`] (which panics, naming type,
/// address and count, where CPython's debug build calls
/// `_Py_NegativeRefcount`).
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// // SAFETY: the example owns both references it gives up.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_INCREF(op);
///     Py_DECREF(op);
///     assert_eq!(Py_REFCNT(op), 1);
///     assert_eq!(FREED.load(Relaxed), 0);
///     Py_DECREF(op); // count 0: the type's tp_dealloc runs
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - The caller owns a reference to `op` and gives it up.
#[inline]
pub unsafe fn Py_DECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::decref(op) }
}

/// Mirrors `Py_XINCREF`; wraps [`refs::xincref`].
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: null is allowed; `op` is a fresh object.
/// unsafe {
///     Py_XINCREF(null_mut()); // no-op
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_XINCREF(op);
///     assert_eq!(Py_REFCNT(op), 2);
/// #   Py_DECREF(op);
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XINCREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xincref(op) }
}

/// Mirrors `Py_XDECREF`; wraps [`refs::xdecref`].
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: null is allowed; the example owns the reference to `op`.
/// unsafe {
///     Py_XDECREF(null_mut()); // no-op
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_XDECREF(op);
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - `op` is null, or the caller owns a reference to it and gives it up.
#[inline]
pub unsafe fn Py_XDECREF(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xdecref(op) }
}

/// Mirrors `Py_NewRef`; wraps [`refs::new_ref`].
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: `op` is a fresh object; both references are given back.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     // Store a strong reference in one expression.
///     let field = Py_NewRef(op);
///     assert!(Py_Is(field, op));
///     assert_eq!(Py_REFCNT(op), 2);
/// #   Py_DECREF(field);
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn Py_NewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { refs::new_ref(op) }
}

/// Mirrors `Py_XNewRef`; wraps [`refs::xnew_ref`].
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: null is allowed; `op` is a fresh object.
/// unsafe {
///     assert!(Py_XNewRef(null_mut()).is_null());
///     let op = PyType_GenericAlloc(ty, 0);
///     assert!(Py_Is(Py_XNewRef(op), op));
///     assert_eq!(Py_REFCNT(op), 2);
/// #   Py_DECREF(op);
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline]
pub unsafe fn Py_XNewRef(op: *mut PyObject) -> *mut PyObject {
    // SAFETY: first bullet.
    unsafe { refs::xnew_ref(op) }
}

/// The function form of `Py_XINCREF`: accepts null. Mirrors `Py_IncRef`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: null is allowed; `op` is a fresh object.
/// unsafe {
///     Py_IncRef(null_mut()); // accepted, unlike `_Py_IncRef`
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_IncRef(op);
///     assert_eq!(Py_REFCNT(op), 2);
/// #   Py_DecRef(op);
/// #   Py_DecRef(op);
/// }
/// ```
///
/// # Safety
/// - `op` is null or points to a live object.
#[inline(never)]
pub unsafe fn Py_IncRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xincref(op) }
}

/// The function form of `Py_XDECREF`: accepts null. Mirrors `Py_DecRef`.
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: null is allowed; the example owns the reference to `op`.
/// unsafe {
///     Py_DecRef(null_mut()); // accepted
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_DecRef(op);
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - `op` is null, or the caller owns a reference to it and gives it up.
#[inline(never)]
pub unsafe fn Py_DecRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xdecref(op) }
}

/// Nulls the slot, then releases what it held. Mirrors `Py_CLEAR`; wraps
/// [`refs::clear`].
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// // SAFETY: the slot owns the only reference to the new object.
/// unsafe {
///     let mut slot = PyType_GenericAlloc(ty, 0);
///     Py_CLEAR(&mut slot);
///     assert!(slot.is_null());
///     assert_eq!(FREED.load(Relaxed), 1);
///     Py_CLEAR(&mut slot); // a null slot: no-op
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - `*slot` is null or a reference the slot owns.
#[inline]
pub unsafe fn Py_CLEAR(slot: &mut *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::clear(slot) }
}

/// Stores `new`, then releases the old value. Mirrors `Py_SETREF`; wraps
/// [`refs::setref`].
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// // SAFETY: the slot owns its reference; `new` is handed to it.
/// unsafe {
///     let mut slot = PyType_GenericAlloc(ty, 0);
///     let new = PyType_GenericAlloc(ty, 0);
///     Py_SETREF(&mut slot, new);
///     assert!(Py_Is(slot, new));
///     assert_eq!(FREED.load(Relaxed), 1); // the old value was released
/// #   Py_DECREF(slot);
/// }
/// ```
///
/// # Safety
/// - `*slot` is a reference the slot owns; `new` is a reference given to it.
#[inline]
pub unsafe fn Py_SETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::setref(slot, new) }
}

/// [`Py_SETREF`] whose old value may be null. Mirrors `Py_XSETREF`; wraps
/// [`refs::xsetref`].
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// use std::ptr::null_mut;
///
/// // SAFETY: the slot owns what it holds; `new` is handed to it.
/// unsafe {
///     let mut slot = null_mut();
///     let new = PyType_GenericAlloc(ty, 0);
///     Py_XSETREF(&mut slot, new); // null old value: nothing released
///     assert!(Py_Is(slot, new));
///     Py_XSETREF(&mut slot, null_mut()); // null new value
///     assert!(slot.is_null());
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - `*slot` is null or a reference the slot owns; `new` is null or a
///   reference given to it.
#[inline]
pub unsafe fn Py_XSETREF(slot: &mut *mut PyObject, new: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { refs::xsetref(slot, new) }
}

/// Identity. Mirrors `Py_Is`.
///
/// # Examples
/// ```
/// use objmodel::cpython::*;
///
/// // SAFETY: `Py_Is` only compares addresses.
/// unsafe {
///     assert!(Py_Is(Py_None(), Py_None()));
///     assert!(!Py_Is(Py_True(), Py_False()));
/// }
/// ```
///
/// # Safety
/// Always safe to call; `unsafe` to match the table's other functions.
#[inline]
pub unsafe fn Py_Is(a: *mut PyObject, b: *mut PyObject) -> bool {
    core::ptr::eq(a, b)
}

/// Mirrors `_Py_IsImmortal`; wraps
/// [`CountWord::is_immortal`](object_header::CountWord::is_immortal).
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: the singleton is static; `op` is a fresh object.
/// unsafe {
///     assert!(_Py_IsImmortal(Py_None()));
///     let op = PyType_GenericAlloc(ty, 0);
///     assert!(!_Py_IsImmortal(op));
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.is_immortal() }
}

/// Mirrors `_Py_IsStaticImmortal`; wraps
/// [`CountWord::is_static_immortal`](object_header::CountWord::is_static_immortal).
///
/// # Examples
/// ```
/// # use objmodel::{cpython::*, RustType};
/// # static THING: RustType<()> = RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
///
/// // SAFETY: the singleton is static; `op` is a fresh object.
/// unsafe {
///     assert!(_Py_IsStaticImmortal(Py_None()));
///     let op = PyType_GenericAlloc(ty, 0);
///     _Py_SetImmortal(op);
///     // Immortal, but not statically allocated.
///     assert!(_Py_IsImmortal(op) && !_Py_IsStaticImmortal(op));
/// #   (*op).ob_refcnt.set_mortal(1).unwrap();
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsStaticImmortal(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.is_static_immortal() }
}

/// Makes `op` immortal (never downgrading a static immortal). Mirrors
/// `_Py_SetImmortal`; wraps
/// [`CountWord::make_immortal`](object_header::CountWord::make_immortal).
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// // SAFETY: `op` is a fresh object of this thread.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     _Py_SetImmortal(op);
///     assert_eq!(Py_REFCNT(op), 3_221_225_472);
///     for _ in 0..10 {
///         Py_DECREF(op); // ignored
///     }
///     assert_eq!(FREED.load(Relaxed), 0);
/// #   (*op).ob_refcnt.set_mortal(1).unwrap();
/// #   Py_DECREF(op);
/// }
/// ```
///
/// # Safety
/// - `op` points to a live object owned by this thread.
#[inline]
pub unsafe fn _Py_SetImmortal(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { (*op).ob_refcnt.make_immortal() }
}

/// Deallocates an object at count 0 through its type (and the trashcan).
/// Mirrors `_Py_Dealloc`; wraps [`type_object::dealloc::dealloc`].
///
/// # Examples
/// ```
/// # use objmodel::cpython::*;
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// # static FREED: AtomicUsize = AtomicUsize::new(0);
/// # unsafe extern "C" fn thing_dealloc(op: *mut PyObject) {
/// #     FREED.fetch_add(1, Relaxed);
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// # static THING: PyTypeObject = PyTypeObject {
/// #     tp_name: "Thing",
/// #     tp_basicsize: 16,
/// #     tp_dealloc: Some(thing_dealloc),
/// #     ..PyTypeObject::DEFAULT
/// # };
/// # let ty = std::ptr::addr_of!(THING).cast_mut();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type whose tp_dealloc counts its calls in
/// // `FREED`, then frees the block.
///
/// // SAFETY: the example drives the count of its own object to 0 and
/// // deallocates it once.
/// unsafe {
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_SET_REFCNT(op, 0);
///     _Py_Dealloc(op); // what Py_DECREF calls at zero
///     assert_eq!(FREED.load(Relaxed), 1);
/// }
/// ```
///
/// # Safety
/// - `op`'s count is 0 and nothing else will deallocate it.
#[inline]
pub unsafe fn _Py_Dealloc(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { type_object::dealloc::dealloc(op) }
}
