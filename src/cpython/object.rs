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
///
/// # Examples
/// ```
/// use objmodel::cpython::*;
///
/// static BROKEN: PyTypeObject = PyTypeObject {
///     tp_name: "Broken",
///     tp_basicsize: 16,
///     ..PyTypeObject::DEFAULT // no tp_dealloc
/// };
/// // SAFETY: a static type object.
/// let status = unsafe { PyType_Ready(std::ptr::addr_of!(BROKEN).cast_mut()) };
/// assert_eq!(status, -1);
/// let err = take_error().unwrap().to_string();
/// assert!(err.contains("Broken") && err.contains("tp_dealloc"), "{err}");
/// assert!(take_error().is_none()); // taken
/// ```
pub fn take_error() -> Option<ObjectError> {
    LAST_ERROR.with(|e| e.borrow_mut().take())
}

/// Keeps `e` for [`take_error`]; returns CPython's −1.
pub(crate) fn set_error(e: ObjectError) -> c_int {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(e));
    -1
}

/// The object's type. Mirrors `Py_TYPE`.
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
///     assert_eq!((*Py_TYPE(Py_None())).tp_name, "NoneType");
///     let op = PyType_GenericAlloc(ty, 0);
///     assert_eq!(Py_TYPE(op), ty);
/// #   Py_DECREF(op);
/// }
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
///
/// unsafe extern "C" fn dealloc(op: *mut PyObject) {
///     // SAFETY: the count reached 0; the block came from the generic
///     // allocator.
///     unsafe { PyObject_Free(op.cast()) }
/// }
/// static POINT: PyTypeObject = PyTypeObject {
///     tp_name: "Point",
///     tp_basicsize: 32,
///     tp_dealloc: Some(dealloc),
///     ..PyTypeObject::DEFAULT
/// };
/// let ty = std::ptr::addr_of!(POINT).cast_mut();
/// // SAFETY: a static type object.
/// assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// assert!(POINT.flags() & Py_TPFLAGS_READY != 0);
/// ```
///
/// # Safety
/// - `ty` points to a live type object.
pub unsafe fn PyType_Ready(ty: *mut PyTypeObject) -> c_int {
    // SAFETY: first bullet.
    match unsafe { (*ty).ready() } {
        Ok(()) => 0,
        Err(e) => set_error(e),
    }
}

/// Allocates a zeroed instance with count 1 from this thread's default heap
/// (a heap type is increfed). Mirrors `PyType_GenericAlloc`; wraps
/// [`create::generic_alloc`].
///
/// # Examples
/// ```
/// use objmodel::cpython::*;
///
/// #[repr(C)]
/// struct Pair {
///     ob_base: PyObject,
///     first: *mut PyObject,
///     second: *mut PyObject,
/// }
/// # unsafe extern "C" fn pair_dealloc(op: *mut PyObject) {
/// #     unsafe { PyObject_Free(op.cast()) }
/// # }
/// static PAIR: PyTypeObject = PyTypeObject {
///     tp_name: "Pair",
///     tp_basicsize: std::mem::size_of::<Pair>() as Py_ssize_t,
///     tp_dealloc: Some(pair_dealloc),
///     ..PyTypeObject::DEFAULT
/// };
/// let ty = std::ptr::addr_of!(PAIR).cast_mut();
/// // SAFETY: a readied static type that uses the generic allocator.
/// unsafe {
///     assert_eq!(PyType_Ready(ty), 0);
///     let op = PyType_GenericAlloc(ty, 0);
///     assert_eq!(Py_REFCNT(op), 1);
///     assert_eq!(Py_TYPE(op), ty);
///     let pair = op.cast::<Pair>();
///     assert!((*pair).first.is_null() && (*pair).second.is_null()); // zeroed
/// #   Py_DECREF(op);
/// }
/// ```
///
/// An instance of a `Py_TPFLAGS_HAVE_GC` type gets its GC header, is
/// counted towards the youngest generation (which may run a collection
/// first) and is tracked, as CPython's is.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is empty or
///   [`PyObject_Free`] (for a GC type: empty or [`PyObject_GC_Del`](super::PyObject_GC_Del)).
#[inline]
pub unsafe fn PyType_GenericAlloc(ty: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: first bullet.
    gc_traverse::collector::with_default(|gc| unsafe { gc.alloc(ty, nitems) })
}

/// Allocates an instance through the type's `tp_alloc`. Mirrors
/// `PyObject_New` (which, in CPython, leaves the payload uninitialised;
/// here it is zeroed by the generic allocator).
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
/// // SAFETY: a readied type; `op` is given back.
/// unsafe {
///     let op = PyObject_New(ty);
///     assert!(!op.is_null());
///     assert_eq!(Py_REFCNT(op), 1);
///     assert_eq!(Py_TYPE(op), ty);
///     Py_DECREF(op);
/// }
/// assert_eq!(FREED.load(Relaxed), 1);
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
/// use std::mem::MaybeUninit;
///
/// # unsafe extern "C" fn forget(_op: *mut PyObject) {}
/// static ON_STACK: PyTypeObject = PyTypeObject {
///     tp_name: "OnStack",
///     tp_dealloc: Some(forget),
///     ..PyTypeObject::DEFAULT
/// };
/// let ty = std::ptr::addr_of!(ON_STACK).cast_mut();
/// // Memory the caller provides (and keeps: no reference outlives it).
/// let mut storage = MaybeUninit::<PyObject>::uninit();
/// // SAFETY: `storage` holds a header's 16 bytes; the type is readied.
/// unsafe {
///     assert_eq!(PyType_Ready(ty), 0);
///     let op = PyObject_Init(storage.as_mut_ptr(), ty);
///     assert_eq!(Py_REFCNT(op), 1);
///     assert_eq!(Py_TYPE(op), ty);
/// }
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
/// use objmodel::CountWord;
///
/// unsafe extern "C" fn forget(_op: *mut PyObject) {}
/// static REUSED: PyTypeObject = PyTypeObject {
///     tp_name: "Reused",
///     tp_dealloc: Some(forget),
///     ..PyTypeObject::DEFAULT
/// };
/// // A header whose type is set but whose count is not yet live.
/// let mut header = PyObject {
///     ob_refcnt: CountWord::new(0),
///     ob_type: std::ptr::addr_of!(REUSED).cast_mut(),
/// };
/// // SAFETY: `header` is an object header whose type is set.
/// unsafe {
///     _Py_NewReference(&mut header);
///     assert_eq!(Py_REFCNT(&mut header), 1);
/// }
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
/// use std::ptr::null_mut;
///
/// // The usual last line of a tp_dealloc.
/// unsafe extern "C" fn dealloc(op: *mut PyObject) {
///     // SAFETY: the count reached 0; the block came from the generic
///     // allocator and is freed once.
///     unsafe { PyObject_Free(op.cast()) }
/// }
/// static THING: PyTypeObject = PyTypeObject {
///     tp_name: "Thing",
///     tp_basicsize: 16,
///     tp_dealloc: Some(dealloc),
///     ..PyTypeObject::DEFAULT
/// };
/// let ty = std::ptr::addr_of!(THING).cast_mut();
/// // SAFETY: a readied type; null is accepted by `PyObject_Free`.
/// unsafe {
///     assert_eq!(PyType_Ready(ty), 0);
///     let op = PyType_GenericAlloc(ty, 0);
///     Py_DECREF(op); // dealloc -> PyObject_Free
///     PyObject_Free(null_mut()); // no-op
/// }
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
/// use std::ffi::{c_int, c_void};
/// use std::ptr::null_mut;
/// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
///
/// static CREATED: AtomicUsize = AtomicUsize::new(0);
/// static DESTROYED: AtomicUsize = AtomicUsize::new(0);
///
/// unsafe extern "C" fn trace(
///     _op: *mut PyObject,
///     ev: PyRefTracerEvent,
///     _data: *mut c_void,
/// ) -> c_int {
///     let n = if ev == PyRefTracer_CREATE { &CREATED } else { &DESTROYED };
///     n.fetch_add(1, Relaxed);
///     0
/// }
/// # static THING: objmodel::RustType<()> = objmodel::RustType::new("Thing");
/// # let ty = THING.as_ptr();
/// # assert_eq!(unsafe { PyType_Ready(ty) }, 0);
/// // `ty` is a readied static type.
/// // SAFETY: `trace` accepts any object and ignores its data pointer.
/// unsafe {
///     assert_eq!(PyRefTracer_SetTracer(Some(trace), null_mut()), 0);
///     let op = PyType_GenericAlloc(ty, 0); // CREATE
///     Py_DECREF(op); // DESTROY, just before tp_dealloc
///     PyRefTracer_SetTracer(None, null_mut());
/// }
/// assert_eq!((CREATED.load(Relaxed), DESTROYED.load(Relaxed)), (1, 1));
/// ```
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
/// # Examples
/// ```
/// use objmodel::cpython::*;
/// use std::ffi::{c_int, c_void};
/// use std::ptr::{null_mut, without_provenance_mut};
///
/// unsafe extern "C" fn trace(_: *mut PyObject, _: PyRefTracerEvent, _: *mut c_void) -> c_int {
///     0
/// }
/// let mut data = null_mut();
/// // SAFETY: `trace` ignores its arguments; `data` is writable.
/// unsafe {
///     PyRefTracer_SetTracer(Some(trace), without_provenance_mut(42));
///     assert!(PyRefTracer_GetTracer(&mut data).is_some());
///     assert_eq!(data.addr(), 42);
///     PyRefTracer_SetTracer(None, null_mut());
///     assert!(PyRefTracer_GetTracer(&mut data).is_none());
///     assert!(data.is_null());
/// }
/// ```
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
    ///
    /// # Examples
    /// ```
    /// use objmodel::cpython::*;
    ///
    /// let obj = Py_None();
    /// // SAFETY: the singletons are static objects, live for the whole program.
    /// unsafe {
    ///     assert!(_Py_IsStaticImmortal(obj));
    ///     assert_eq!((*Py_TYPE(obj)).tp_name, "NoneType");
    ///     assert!(Py_Is(Py_None(), Py_None()));
    ///     // Decrements never free it.
    ///     Py_DECREF(obj);
    ///     assert_eq!(Py_REFCNT(obj), _Py_IMMORTAL_INITIAL_REFCNT);
    /// }
    /// ```
    Py_None, NONE, NONE_TYPE
);
singleton!(
    /// `True`: a static immortal of type `bool`. Mirrors `Py_True`.
    ///
    /// # Examples
    /// ```
    /// use objmodel::cpython::*;
    ///
    /// let obj = Py_True();
    /// // SAFETY: the singletons are static objects, live for the whole program.
    /// unsafe {
    ///     assert!(_Py_IsStaticImmortal(obj));
    ///     assert_eq!((*Py_TYPE(obj)).tp_name, "bool");
    ///     assert!(!Py_Is(Py_True(), Py_False()));
    ///     assert_eq!(Py_TYPE(Py_True()), Py_TYPE(Py_False()));
    /// }
    /// ```
    Py_True, TRUE, BOOL_TYPE
);
singleton!(
    /// `False`: a static immortal of type `bool`. Mirrors `Py_False`.
    ///
    /// # Examples
    /// ```
    /// use objmodel::cpython::*;
    ///
    /// let obj = Py_False();
    /// // SAFETY: the singletons are static objects, live for the whole program.
    /// unsafe {
    ///     assert!(_Py_IsStaticImmortal(obj));
    ///     assert_eq!((*Py_TYPE(obj)).tp_name, "bool");
    ///     assert!(!Py_Is(Py_False(), Py_True()));
    /// }
    /// ```
    Py_False, FALSE, BOOL_TYPE
);
singleton!(
    /// `...`: a static immortal of type `ellipsis`. Mirrors `Py_Ellipsis`.
    ///
    /// # Examples
    /// ```
    /// use objmodel::cpython::*;
    ///
    /// let obj = Py_Ellipsis();
    /// // SAFETY: the singletons are static objects, live for the whole program.
    /// unsafe {
    ///     assert!(_Py_IsStaticImmortal(obj));
    ///     assert_eq!((*Py_TYPE(obj)).tp_name, "ellipsis");
    /// }
    /// ```
    Py_Ellipsis, ELLIPSIS, ELLIPSIS_TYPE
);
singleton!(
    /// `NotImplemented`: a static immortal of type `NotImplementedType`.
    /// Mirrors `Py_NotImplemented`.
    ///
    /// # Examples
    /// ```
    /// use objmodel::cpython::*;
    ///
    /// let obj = Py_NotImplemented();
    /// // SAFETY: the singletons are static objects, live for the whole program.
    /// unsafe {
    ///     assert!(_Py_IsStaticImmortal(obj));
    ///     assert_eq!((*Py_TYPE(obj)).tp_name, "NotImplementedType");
    /// }
    /// ```
    Py_NotImplemented, NOT_IMPLEMENTED, NOT_IMPLEMENTED_TYPE
);
