//! Creating free-threaded objects: the system allocator, then the header.

use core::ptr;

use object_header::biased::FtHeader;

use super::object::{FtObject, FtTypeObject};
use super::refs::install_queue_dealloc;
use crate::alloc;

/// Initialises a fresh free-threaded header: owned by the calling thread,
/// local count 1, type `ty`. Mirrors the free-threaded `PyObject_Init` /
/// `_Py_NewReference`.
///
/// # Safety
/// - `op` points to writable memory of at least `ty.tp_basicsize` bytes.
/// - `ty` is a live, readied static type.
pub unsafe fn init_object(op: *mut FtObject, ty: *mut FtTypeObject) -> *mut FtObject {
    install_queue_dealloc();
    let h = FtHeader::new_owned();
    // SAFETY: first bullet.
    unsafe {
        op.write(FtObject {
            ob_tid: h.ob_tid,
            ob_flags: h.ob_flags,
            ob_mutex: h.ob_mutex,
            ob_gc_bits: h.ob_gc_bits,
            ob_ref_local: h.ob_ref_local,
            ob_ref_shared: h.ob_ref_shared,
            ob_type: ty,
        })
    };
    op
}

/// Allocates a zeroed instance of `ty` with `nitems` items from the system
/// allocator (any thread may free it), header initialised. Null when the
/// size overflows or memory runs out. Mirrors `PyType_GenericAlloc`.
///
/// # Safety
/// - `ty` is a live, readied static type whose `tp_free` is empty or
///   [`generic_free`].
pub unsafe extern "C" fn generic_alloc(ty: *mut FtTypeObject, nitems: isize) -> *mut FtObject {
    // SAFETY: first bullet.
    let (basic, item) = unsafe { ((*ty).tp_basicsize, (*ty).tp_itemsize) };
    let size = usize::try_from(nitems)
        .ok()
        .zip(usize::try_from(item).ok())
        .and_then(|(n, i)| n.checked_mul(i))
        .zip(usize::try_from(basic).ok())
        .and_then(|(items, b)| items.checked_add(b));
    let Some(block) = size.and_then(alloc::system_alloc) else {
        return ptr::null_mut();
    };
    // SAFETY: a zeroed block of `tp_basicsize` bytes or more; first bullet.
    unsafe { init_object(block.as_ptr().cast(), ty) }
}

/// Frees a block from [`generic_alloc`]. Mirrors `PyObject_Free`.
///
/// # Safety
/// - `p` is null or came from [`generic_alloc`] and was not freed since.
pub unsafe extern "C" fn generic_free(p: *mut core::ffi::c_void) {
    // SAFETY: first bullet: generic_alloc's blocks are system blocks.
    unsafe { alloc::system_free(p) }
}

/// Allocates through the type's `tp_alloc` (the generic one when empty).
///
/// # Safety
/// - `ty` is a live, readied static type.
pub unsafe fn alloc_object(ty: *mut FtTypeObject, nitems: isize) -> *mut FtObject {
    // SAFETY: first bullet.
    let alloc = unsafe { (*ty).tp_alloc }.unwrap_or(generic_alloc);
    // SAFETY: first bullet; `tp_alloc` pairs with the type's `tp_free`.
    unsafe { alloc(ty, nitems) }
}

/// Frees an instance through its type's `tp_free` (the generic free when
/// empty); the usual last line of a `tp_dealloc`.
///
/// # Safety
/// - `op`'s count reached 0 and its payload was torn down.
pub unsafe fn free_object(op: *mut FtObject) {
    // SAFETY: first bullet: the header is intact until freed.
    let free = unsafe { (*(*op).ob_type).tp_free }.unwrap_or(generic_free);
    // SAFETY: first bullet.
    unsafe { free(op.cast()) }
}
