//! What happens at zero: dispatch to the type's `tp_dealloc`, through the
//! trashcan, with checked mode's extra tests.

use core::cell::Cell;

use crate::alloc;
use crate::error::ObjectError;
use crate::object::Object;
use crate::tracer::{trace, RefTracerEvent};
use crate::trashcan::TRASHCAN;

thread_local! {
    /// How many checked heaps exist on this thread; dealloc takes the
    /// checked path only while it is non-zero.
    static CHECKED_HEAPS: Cell<usize> = const { Cell::new(0) };
}

pub(crate) fn checked_heap_created() {
    CHECKED_HEAPS.with(|c| c.set(c.get() + 1));
}

#[inline]
fn checked_active() -> bool {
    CHECKED_HEAPS.with(Cell::get) != 0
}

/// Deallocates an object whose count reached zero: reports DESTROY to the
/// tracer and calls its type's `tp_dealloc`, deferring through the trashcan
/// when deallocs nest deeply. Mirrors `_Py_Dealloc`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// Out of line (every mortal object ends here) but not cold.
///
/// # Safety
/// - `op` is a live object whose count just reached 0; nothing else will
///   deallocate it.
#[inline(never)]
pub unsafe fn dealloc(op: *mut Object) {
    // SAFETY: first bullet; the trashcan calls `dispatch` once per object.
    TRASHCAN.with(|t| unsafe { t.run(op, dispatch) })
}

/// One object's teardown: tracer, then `tp_dealloc`.
///
/// # Safety
/// - As [`dealloc`].
unsafe fn dispatch(op: *mut Object) {
    if checked_active() {
        // SAFETY: first bullet.
        if let Err(err) = unsafe { dispatch_checked(op) } {
            panic!("{err}");
        }
        return;
    }
    // SAFETY: first bullet.
    unsafe { destroy(op) }
}

/// Reports DESTROY to the tracer, then calls the type's `tp_dealloc`.
///
/// # Safety
/// - As [`dealloc`].
#[inline]
unsafe fn destroy(op: *mut Object) {
    // SAFETY: first bullet: the object is still whole.
    unsafe { trace(op, RefTracerEvent::Destroy) };
    // SAFETY: T3: the type outlives its instances; T4: a readied type has a
    // `tp_dealloc` (its absence is reported by `ready`, and here).
    match unsafe { (*(*op).ob_type).tp_dealloc } {
        // SAFETY: first bullet is `tp_dealloc`'s precondition.
        Some(f) => unsafe { f(op) },
        // SAFETY: first bullet.
        None => unsafe { missing_dealloc(op) },
    }
}

#[cold]
#[inline(never)]
unsafe fn missing_dealloc(op: *mut Object) -> ! {
    // SAFETY: the caller's object is whole (first bullet of `dealloc`).
    let name = unsafe { type_name(op) };
    panic!("type `{name}` has no tp_dealloc: object at {op:p} cannot be deallocated (count 0)")
}

/// Checked mode's dealloc: refuses an immortal, and checks that
/// `tp_dealloc` freed the object.
///
/// # Safety
/// - As [`dealloc`].
#[cold]
#[inline(never)]
unsafe fn dispatch_checked(op: *mut Object) -> Result<(), ObjectError> {
    // SAFETY: first bullet: the object is whole.
    let (type_name, count, immortal) = unsafe {
        (
            type_name(op),
            (*op).ob_refcnt.refcnt(),
            (*op).ob_refcnt.is_immortal(),
        )
    };
    let addr = op as usize;
    if immortal {
        return Err(ObjectError::DeallocOfImmortal {
            type_name,
            addr,
            count,
        });
    }
    // SAFETY: first bullet.
    let generic = unsafe { (*(*op).ob_type).tp_free.is_none() };
    // SAFETY: first bullet.
    unsafe { destroy(op) };
    if generic {
        // SAFETY: a generic block's pool header outlives the block
        // (quarantine keeps freed blocks of a checked heap allocated).
        if unsafe { alloc::block_is_live(op.cast()) } == Some(true) {
            return Err(ObjectError::DeallocLeftAllocated { type_name, addr });
        }
    }
    Ok(())
}

/// The type name to print for `op`, or `"<freed>"` when its type pointer
/// holds checked mode's poison.
///
/// # Safety
/// - `op` points to an object header, live or freed by a checked heap.
pub unsafe fn type_name(op: *mut Object) -> &'static str {
    // SAFETY: first bullet.
    let ty = unsafe { (*op).ob_type };
    if ty as usize == usize::from_ne_bytes([alloc::DEAD_BYTE; 8]) {
        // SAFETY: only a checked heap writes the poison, and it keeps the
        // block (and its pool header) allocated.
        return unsafe { alloc::freed_type_name(op.cast()) }.unwrap_or("<freed>");
    }
    // SAFETY: first bullet: a live object's type is valid (T3).
    unsafe { (*ty).tp_name }
}

/// Builds the error for a refused decrement of `op`.
///
/// # Safety
/// - As [`type_name`].
#[cold]
#[inline(never)]
pub(crate) unsafe fn negative_refcount(
    op: *mut Object,
    cause: object_header::CountError,
) -> ObjectError {
    ObjectError::NegativeRefcount {
        // SAFETY: first bullet.
        type_name: unsafe { type_name(op) },
        addr: op as usize,
        cause,
    }
}
