//! Type objects: the slots a decrement to zero dispatches through.

use core::ffi::{c_int, c_void};
use core::ptr::addr_of;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::error::ObjectError;
use crate::object::Object;

// The slot types take the object header type `O` of the flavour: the
// default build's [`Object`], or the free-threaded one
// ([`FtObject`](crate::ft::FtObject)).

/// `tp_dealloc`, `tp_finalize`, `tp_del`: takes an object whose count is 0
/// and tears it down. Mirrors `destructor`
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
pub type DeallocFn<O = Object> = unsafe extern "C" fn(*mut O);
/// `tp_free`: releases a block. Mirrors `freefunc`.
pub type FreeFn = unsafe extern "C" fn(*mut c_void);
/// `tp_alloc`: allocates an instance with `nitems` items. Mirrors
/// `allocfunc`.
pub type AllocFn<O = Object> = unsafe extern "C" fn(*mut TypeObject<O>, isize) -> *mut O;
/// What `tp_traverse` calls for each reference. Mirrors `visitproc`.
pub type VisitFn<O = Object> = unsafe extern "C" fn(*mut O, *mut c_void) -> c_int;
/// `tp_traverse`. Mirrors `traverseproc`.
pub type TraverseFn<O = Object> = unsafe extern "C" fn(*mut O, VisitFn<O>, *mut c_void) -> c_int;
/// `tp_clear`. Mirrors `inquiry`.
pub type InquiryFn<O = Object> = unsafe extern "C" fn(*mut O) -> c_int;
/// `tp_call`: calls an object as `callable(args, kwargs)`. Mirrors
/// `ternaryfunc`
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
///
/// objmodel has no tuple type, so a call passes its single argument object
/// directly as `args` (borrowed) and a null `kwargs`. The result is a new
/// reference, or null when the call failed (CPython would have set an
/// exception).
pub type CallFn<O = Object> = unsafe extern "C" fn(*mut O, *mut O, *mut O) -> *mut O;

/// The type is a heap type: counted, instances hold a reference to it.
/// Mirrors `Py_TPFLAGS_HEAPTYPE`.
pub const TPFLAGS_HEAPTYPE: u64 = 1 << 9;
/// `PyType_Ready` succeeded. Mirrors `Py_TPFLAGS_READY`.
pub const TPFLAGS_READY: u64 = 1 << 12;
/// Instances carry a GC header and are tracked by the collector. Mirrors
/// `Py_TPFLAGS_HAVE_GC`.
pub const TPFLAGS_HAVE_GC: u64 = 1 << 14;
/// The flags every type has. Mirrors `Py_TPFLAGS_DEFAULT` (0 since 3.10).
pub const TPFLAGS_DEFAULT: u64 = 0;

/// A type object. Mirrors `PyTypeObject`
/// ([Include/cpython/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/cpython/object.h)),
/// with the slots objmodel uses, under their CPython names.
///
/// A type is itself an object (its header comes first, T1). A `static` type
/// is static-immortal: counting never writes to it. A heap type
/// ([`TypeObject::new_heap`]) is counted; each instance holds a reference,
/// and the last instance's dealloc releases it (T3).
///
/// Declare a static type with struct-update syntax from
/// [`TypeObject::DEFAULT`]; every field is public for that reason. The
/// runtime's own state lives in [`tp_state`](Self::tp_state).
///
/// # Examples
/// ```
/// use type_object::{Object, TypeObject};
///
/// #[repr(C)]
/// struct Counted { ob_base: Object, n: u64 }
///
/// unsafe extern "C" fn counted_dealloc(op: *mut Object) {
///     // SAFETY: the count of `op` reached zero; its block came from the
///     // generic allocator.
///     unsafe { type_object::alloc::generic_free(op.cast()) }
/// }
///
/// static COUNTED: TypeObject = TypeObject {
///     tp_name: "Counted",
///     tp_basicsize: core::mem::size_of::<Counted>() as isize,
///     tp_dealloc: Some(counted_dealloc),
///     ..TypeObject::DEFAULT
/// };
/// assert!(COUNTED.ready().is_ok());
/// ```
#[repr(C)]
pub struct TypeObject<O = Object> {
    /// The type's own header: static-immortal for a `static` type.
    pub ob_base: Object,
    /// The name errors and traces print.
    pub tp_name: &'static str,
    /// The size of an instance without items, header included.
    pub tp_basicsize: isize,
    /// The size of each item of a variable-size instance.
    pub tp_itemsize: isize,
    /// The type's declared flags (`TPFLAGS_*`). `PyType_Ready` adds
    /// computed ones in [`tp_state`](Self::tp_state); read both with
    /// [`flags`](Self::flags).
    pub tp_flags: u64,
    /// Tears an instance down at count 0. Required.
    pub tp_dealloc: Option<DeallocFn<O>>,
    /// Allocates an instance; `None` means the generic allocator.
    pub tp_alloc: Option<AllocFn<O>>,
    /// Frees an instance's block; `None` means the generic free.
    pub tp_free: Option<FreeFn>,
    /// Calls an instance (see [`CallFn`] for the argument convention);
    /// `None` when instances are not callable. Mirrors `tp_call`.
    pub tp_call: Option<CallFn<O>>,
    /// Visits every strong reference an instance owns (collector).
    pub tp_traverse: Option<TraverseFn<O>>,
    /// Drops the references an instance owns, to break cycles (collector).
    pub tp_clear: Option<InquiryFn<O>>,
    /// PEP 442 finalizer (collector).
    pub tp_finalize: Option<DeallocFn<O>>,
    /// Legacy finalizer (collector).
    pub tp_del: Option<DeallocFn<O>>,
    /// Where an instance keeps the head of its weak-reference list (a
    /// `*mut Object` field), or 0 when instances cannot be weakly
    /// referenced. Mirrors `tp_weaklistoffset`.
    pub tp_weaklistoffset: isize,
    /// The runtime's own state; not for user code.
    pub tp_state: TypeState,
}

/// The part of a type object the runtime writes: interior-mutable so a
/// plain (non-`mut`) `static` type can be readied.
#[derive(Debug)]
pub struct TypeState {
    computed_flags: AtomicU64,
}

impl TypeState {
    /// The state of a type that was never readied.
    // A const, not a static: every type declaration copies a fresh state.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const NEW: TypeState = TypeState {
        computed_flags: AtomicU64::new(0),
    };
}

// SAFETY: T2 — every write the runtime makes to a type object goes through
// `tp_state` (atomics) or through the count word. A `static` type's word is
// static-immortal, which increments and decrements never write (H3); a
// heap type is handed out only as a raw pointer or a `!Send` handle, so its
// mortal word is touched by its creating thread only.
unsafe impl<O> Sync for TypeObject<O> {}

/// The metatype: the type of every type object. Mirrors `PyType_Type`.
pub static TYPE_TYPE: TypeObject = TypeObject {
    tp_name: "type",
    tp_basicsize: core::mem::size_of::<TypeObject>() as isize,
    tp_dealloc: Some(heap_type_dealloc),
    ..TypeObject::DEFAULT
};

impl<O> TypeObject<O> {
    /// A static type with every slot empty and the name `"object"`: the
    /// base of struct-update declarations (`..TypeObject::DEFAULT`).
    // A const by contract: `..TypeObject::DEFAULT` copies a fresh runtime
    // state into each declared type; nothing ever borrows the const itself.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const DEFAULT: TypeObject<O> = TypeObject {
        ob_base: Object::new_static(addr_of!(TYPE_TYPE)),
        tp_name: "object",
        tp_basicsize: core::mem::size_of::<O>() as isize,
        tp_itemsize: 0,
        tp_flags: TPFLAGS_DEFAULT,
        tp_dealloc: None,
        tp_alloc: None,
        tp_free: None,
        tp_call: None,
        tp_traverse: None,
        tp_clear: None,
        tp_finalize: None,
        tp_del: None,
        tp_weaklistoffset: 0,
        tp_state: TypeState::NEW,
    };

    /// The declared flags plus those `ready` computed.
    #[inline]
    pub fn flags(&self) -> u64 {
        // Relaxed: the computed flags are written once by `ready`, before
        // the type is used to allocate (same thread, or published by the
        // caller's own synchronisation).
        self.tp_flags | self.tp_state.computed_flags.load(Ordering::Relaxed)
    }

    /// Whether instances carry a GC header.
    #[inline]
    pub fn is_gc(&self) -> bool {
        self.flags() & TPFLAGS_HAVE_GC != 0
    }

    /// Whether this is a heap type.
    #[inline]
    pub fn is_heap_type(&self) -> bool {
        self.flags() & TPFLAGS_HEAPTYPE != 0
    }

    /// Checks the type and marks it ready. Mirrors `PyType_Ready`
    /// ([Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c)):
    /// empty `tp_alloc`/`tp_free` mean the generic allocator (inherited from
    /// `object`), so nothing else needs filling.
    ///
    /// # Errors
    /// [`ObjectError::BadType`] when `tp_dealloc` is missing, the basic size
    /// is smaller than a header or the item size is negative, or a GC type
    /// has no `tp_traverse`.
    pub fn ready(&self) -> Result<(), ObjectError> {
        let bad = |reason| ObjectError::BadType {
            type_name: self.tp_name,
            reason,
        };
        if self.tp_dealloc.is_none() {
            return Err(bad("tp_dealloc is missing (every type needs one)"));
        }
        if self.tp_basicsize < core::mem::size_of::<O>() as isize {
            return Err(bad("tp_basicsize is smaller than the object header"));
        }
        if self.tp_itemsize < 0 {
            return Err(bad("tp_itemsize is negative"));
        }
        if self.tp_flags & TPFLAGS_HAVE_GC != 0 && self.tp_traverse.is_none() {
            return Err(bad("Py_TPFLAGS_HAVE_GC is set but tp_traverse is missing"));
        }
        // Relaxed: see `flags`.
        self.tp_state
            .computed_flags
            .fetch_or(TPFLAGS_READY, Ordering::Relaxed);
        Ok(())
    }
}

impl TypeObject {
    /// Creates a heap type from `template`: counted (its creator holds the
    /// one reference), flagged `TPFLAGS_HEAPTYPE`, readied. Instances made
    /// by the generic allocator hold a reference each, and the type is freed
    /// when the last of them and its creator's reference are gone. Mirrors
    /// `PyType_FromSpec` for the slots objmodel has.
    ///
    /// As in CPython >= 3.8, releasing the instance's reference is the job
    /// of the type's `tp_dealloc`: end it with
    /// [`free_object`](crate::create::free_object), which frees the block
    /// and then decrefs a heap type (or free the block and `decref` the
    /// type yourself).
    ///
    /// # Errors
    /// As [`ready`](Self::ready); nothing is allocated then.
    pub fn new_heap(template: TypeObject) -> Result<*mut TypeObject, ObjectError> {
        let ty = TypeObject {
            ob_base: Object {
                ob_refcnt: object_header::CountWord::new(1),
                ob_type: addr_of!(TYPE_TYPE).cast_mut(),
            },
            tp_flags: template.tp_flags | TPFLAGS_HEAPTYPE,
            ..template
        };
        ty.ready()?;
        Ok(Box::into_raw(Box::new(ty)))
    }
}

/// `TYPE_TYPE`'s dealloc: frees a heap type whose last reference is gone.
///
/// # Safety
/// - `op` is a heap type made by [`TypeObject::new_heap`] whose count just
///   reached 0.
unsafe extern "C" fn heap_type_dealloc(op: *mut Object) {
    // SAFETY: first bullet: `op` came from `Box::into_raw` in `new_heap`,
    // and nothing references it any more.
    drop(unsafe { Box::from_raw(op.cast::<TypeObject>()) });
}
