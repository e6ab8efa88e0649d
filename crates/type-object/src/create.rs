//! Creating objects: allocation through the type, then the header.

use core::ptr::{self, NonNull};

use object_header::CountWord;

use crate::alloc::{self, with_default_heap, Heap};
use crate::gc_head::{self, GcHead, PRE_HEADER_SIZE};
use crate::object::Object;
use crate::refs::incref;
use crate::tracer::{trace, RefTracerEvent};
use crate::type_object::TypeObject;

/// Initialises a fresh object's header: count 1, type `ty` (increfed when
/// it is a heap type, T3), then CREATE to the tracer. Mirrors
/// `PyObject_Init` / `_Py_NewReference`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// # Safety
/// - `op` points to writable memory of at least `ty.tp_basicsize` bytes.
/// - `ty` is a live, readied type.
pub unsafe fn init_object(op: *mut Object, ty: *mut TypeObject) -> *mut Object {
    // SAFETY: second bullet.
    if unsafe { (*ty).is_heap_type() } {
        // SAFETY: second bullet: a live heap type; this is the instance's
        // reference to it.
        unsafe { incref(ty.cast()) };
    }
    // SAFETY: first bullet.
    unsafe {
        op.write(Object {
            ob_refcnt: CountWord::new(1),
            ob_type: ty,
        });
        trace(op, RefTracerEvent::Create);
    }
    op
}

/// The instance size of `ty` with `nitems` items, or `None` on overflow or
/// a negative count.
///
/// # Safety
/// - `ty` is a live type.
unsafe fn instance_size(ty: *mut TypeObject, nitems: isize) -> Option<usize> {
    // SAFETY: first bullet.
    let (basic, item) = unsafe { ((*ty).tp_basicsize, (*ty).tp_itemsize) };
    let items = usize::try_from(nitems)
        .ok()?
        .checked_mul(usize::try_from(item).ok()?)?;
    usize::try_from(basic).ok()?.checked_add(items)
}

/// Allocates a zeroed instance of `ty` with `nitems` items from `heap`,
/// header initialised. An instance of a `Py_TPFLAGS_HAVE_GC` type gets its
/// GC header in front ([`GcHead`], untracked), as `_PyType_AllocNoTrack`
/// does; tracking is the collector's business. Null when the size
/// overflows or memory runs out.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is empty or
///   [`alloc::generic_free`] (for a GC type: empty).
pub unsafe fn alloc_in(heap: &Heap, ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    let Some(size) = (unsafe { instance_size(ty, nitems) }) else {
        return ptr::null_mut();
    };
    // SAFETY: first bullet.
    let pre = if unsafe { (*ty).is_gc() } {
        PRE_HEADER_SIZE
    } else {
        0
    };
    let Some(size) = size.checked_add(pre) else {
        return ptr::null_mut();
    };
    let Some(block) = heap.alloc(size) else {
        return ptr::null_mut();
    };
    // SAFETY: a fresh heap block of `size` bytes rounded up to its class.
    unsafe { zero(block.as_ptr(), size) };
    // SAFETY: the object follows the pre-header inside the block, which
    // holds at least `tp_basicsize` bytes after it; first bullet.
    let op = unsafe { init_object(block.as_ptr().add(pre).cast(), ty) };
    // SAFETY: the header is written; it stays so until the block is freed.
    unsafe { heap.register(block, NonNull::new_unchecked(op), (*ty).tp_name) };
    op
}

/// Zeroes `size` bytes at `p`. The common object sizes get inline stores
/// instead of a call to `memset`, which costs more than the stores.
///
/// # Safety
/// - `p` is 16-byte aligned and valid for writes of `size` rounded up to
///   a multiple of 16 (a heap block: blocks come in 16-byte classes).
#[inline(always)]
unsafe fn zero(p: *mut u8, size: usize) {
    type Chunk = [u64; 2];
    // SAFETY: (every arm) first bullet; each arm writes at most `size`
    // rounded up to 16 bytes, in aligned 16-byte chunks.
    unsafe {
        match size {
            0..=16 => ptr::write_bytes(p, 0, size),
            17..=32 => p.cast::<[Chunk; 2]>().write([[0; 2]; 2]),
            33..=48 => p.cast::<[Chunk; 3]>().write([[0; 2]; 3]),
            49..=64 => p.cast::<[Chunk; 4]>().write([[0; 2]; 4]),
            _ => ptr::write_bytes(p, 0, size),
        }
    }
}

/// Allocates an instance of `ty` from this thread's default heap. Mirrors
/// `PyType_GenericAlloc`
/// ([Objects/typeobject.c](https://github.com/python/cpython/blob/v3.14.0/Objects/typeobject.c)):
/// zeroed payload, count 1, `ob_type` set, a heap type increfed.
///
/// # Safety
/// - As [`alloc_in`].
pub unsafe extern "C" fn generic_alloc(ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    with_default_heap(|heap| unsafe { alloc_in(heap, ty, nitems) })
}

/// Allocates an instance of `ty` from the system allocator (pair it with
/// `tp_free: Some(system_free)`); for benchmarks comparing allocators.
///
/// # Safety
/// - `ty` is a live, readied type whose `tp_free` is
///   [`alloc::system_free`].
pub unsafe extern "C" fn system_type_alloc(ty: *mut TypeObject, nitems: isize) -> *mut Object {
    // SAFETY: first bullet.
    let Some(size) = (unsafe { instance_size(ty, nitems) }) else {
        return ptr::null_mut();
    };
    match alloc::system_alloc(size) {
        // SAFETY: a zeroed block of `size` bytes; first bullet.
        Some(block) => unsafe { init_object(block.as_ptr().cast(), ty) },
        None => ptr::null_mut(),
    }
}

/// Allocates an instance through the type's `tp_alloc` (the generic
/// allocator when it is empty).
///
/// # Safety
/// - `ty` is a live, readied type.
pub unsafe fn alloc_object(ty: *mut TypeObject, nitems: isize) -> Option<NonNull<Object>> {
    // SAFETY: first bullet.
    let alloc = unsafe { (*ty).tp_alloc }.unwrap_or(generic_alloc);
    // SAFETY: first bullet; `tp_alloc` pairs with the type's `tp_free`.
    NonNull::new(unsafe { alloc(ty, nitems) })
}

/// Frees an instance's block through its type's `tp_free` (the generic free
/// when empty, [`gc_del`] for a GC type); the usual last line of a
/// `tp_dealloc`. For a heap type, then releases the instance's reference to
/// its type (T3).
///
/// # Safety
/// - `op`'s count reached 0 and its payload was torn down; `op` is not used
///   again.
pub unsafe fn free_object(op: *mut Object) {
    // SAFETY: first bullet: the header is intact until freed.
    let ty = unsafe { (*op).ob_type };
    // SAFETY: T3: the type outlives its instance.
    let (free, gc) = unsafe { ((*ty).tp_free, (*ty).is_gc()) };
    match free {
        // SAFETY: first bullet; the type's own free takes the object.
        Some(free) => unsafe { free(op.cast()) },
        // SAFETY: first bullet; a GC instance of the generic allocator.
        None if gc => unsafe { gc_del(op.cast()) },
        // SAFETY: first bullet; a block of the generic allocator.
        None => unsafe { alloc::generic_free(op.cast()) },
    }
    // SAFETY: T3: the instance held a reference to its heap type, released
    // only now that the instance is gone (CPython >= 3.8).
    if unsafe { (*ty).is_heap_type() } {
        // SAFETY: the instance's own reference to the type.
        unsafe { crate::refs::decref(ty.cast()) };
    }
}

/// Frees a GC object's block, pre-header included, untracking it first if
/// its `tp_dealloc` did not. Mirrors `PyObject_GC_Del`
/// ([Python/gc.c](https://github.com/python/cpython/blob/v3.14.0/Python/gc.c)).
///
/// # Safety
/// - `op` is null, or a GC object from the generic allocator whose count
///   reached 0 and whose payload was torn down; it is not used again.
pub unsafe extern "C" fn gc_del(op: *mut core::ffi::c_void) {
    if op.is_null() {
        return;
    }
    let op = op.cast::<Object>();
    // SAFETY: first bullet.
    unsafe {
        gc_head::untrack(op);
        alloc::generic_free(GcHead::of(op).cast());
    }
    crate::thread_state::with(|s| s.gc_frees.set(s.gc_frees.get() + 1));
}

/// How many GC objects this thread freed since the last call (the
/// collector's youngest count goes down by as many).
pub fn take_gc_frees() -> usize {
    crate::thread_state::with(|s| s.gc_frees.replace(0))
}
