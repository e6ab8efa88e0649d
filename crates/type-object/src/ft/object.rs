//! The free-threaded object header.

use core::mem::{align_of, offset_of, size_of};

use core::sync::atomic::{AtomicIsize, AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering};

use object_header::biased::{FtHeader, IMMORTAL_REFCNT_LOCAL, UNOWNED_TID};
use object_header::immortal::{_Py_STATICALLY_ALLOCATED_FLAG, _Py_STATIC_FLAG_BITS};

use crate::type_object::TypeObject;

/// A type object whose instances have the free-threaded header.
pub type FtTypeObject = TypeObject<FtObject>;

/// The header every free-threaded object starts with: the biased counting
/// fields under CPython's names, then the type pointer, 32 bytes. Mirrors
/// `PyObject` of CPython's free-threaded build
/// ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
///
/// The first six fields are laid out exactly as object-header's
/// [`FtHeader`] (const-asserted), which implements the counting; [`header`]
/// views an object as one.
///
/// # Examples
/// ```
/// use type_object::ft::FtObject;
///
/// #[repr(C)]
/// struct Shared { ob_base: FtObject, x: u64 }
/// assert_eq!(core::mem::size_of::<FtObject>(), 32);
/// assert_eq!(core::mem::size_of::<Shared>(), 40);
/// ```
#[repr(C)]
#[derive(Debug)]
pub struct FtObject {
    /// The owning thread's id, or `_Py_UNOWNED_TID` (0).
    pub ob_tid: AtomicUsize,
    /// Per-object flags (`_Py_STATICALLY_ALLOCATED_FLAG`, ...).
    pub ob_flags: AtomicU16,
    /// The per-object lock byte (`PyMutex`).
    pub ob_mutex: AtomicU8,
    /// The collector's bits (`_PyGC_BITS_*`).
    pub ob_gc_bits: AtomicU8,
    /// The owner's count; `u32::MAX` means immortal.
    pub ob_ref_local: AtomicU32,
    /// Other threads' count, shifted left by 2, with the state bits.
    pub ob_ref_shared: AtomicIsize,
    /// The object's type: a static type (never counted, never written).
    pub ob_type: *mut FtTypeObject,
}

const _: () = {
    assert!(size_of::<FtObject>() == 32);
    assert!(align_of::<FtObject>() == 8);
    assert!(offset_of!(FtObject, ob_tid) == offset_of!(FtHeader, ob_tid));
    assert!(offset_of!(FtObject, ob_flags) == offset_of!(FtHeader, ob_flags));
    assert!(offset_of!(FtObject, ob_mutex) == offset_of!(FtHeader, ob_mutex));
    assert!(offset_of!(FtObject, ob_gc_bits) == offset_of!(FtHeader, ob_gc_bits));
    assert!(offset_of!(FtObject, ob_ref_local) == offset_of!(FtHeader, ob_ref_local));
    assert!(offset_of!(FtObject, ob_ref_shared) == offset_of!(FtHeader, ob_ref_shared));
    assert!(offset_of!(FtObject, ob_type) == size_of::<FtHeader>());
    assert!(!core::mem::needs_drop::<FtObject>());
};

// SAFETY: every field a thread may write concurrently is an atomic (B1-B3
// of object-header's biased module); `ob_type` is written once, before the
// object is shared, and points to a `Sync` static type.
unsafe impl Send for FtObject {}
// SAFETY: as above.
unsafe impl Sync for FtObject {}

/// The object's counting fields as an [`FtHeader`], for its operations.
///
/// # Safety
/// - `op` points to a free-threaded object header (live, or dying but not
///   freed) for `'a`.
#[inline(always)]
pub unsafe fn header<'a>(op: *const FtObject) -> &'a FtHeader {
    // SAFETY: first bullet; the first 24 bytes of `FtObject` are laid out
    // as `FtHeader` (const-asserted above), both `repr(C)`.
    unsafe { &*op.cast::<FtHeader>() }
}

impl FtObject {
    /// A header for a statically allocated immortal object of type `ty`.
    /// Mirrors `PyObject_HEAD_INIT` of the free-threaded build.
    pub const fn new_static(ty: *const FtTypeObject) -> FtObject {
        FtObject {
            ob_tid: AtomicUsize::new(UNOWNED_TID),
            ob_flags: AtomicU16::new(_Py_STATIC_FLAG_BITS),
            ob_mutex: AtomicU8::new(0),
            ob_gc_bits: AtomicU8::new(0),
            ob_ref_local: AtomicU32::new(IMMORTAL_REFCNT_LOCAL),
            ob_ref_shared: AtomicIsize::new(0),
            ob_type: ty.cast_mut(),
        }
    }

    /// Whether the object was statically allocated (its flags carry
    /// `_Py_STATICALLY_ALLOCATED_FLAG`). Mirrors the free-threaded
    /// `_Py_IsStaticImmortal`.
    pub fn is_static_immortal(&self) -> bool {
        self.ob_flags.load(Ordering::Relaxed) & _Py_STATICALLY_ALLOCATED_FLAG != 0
    }
}
