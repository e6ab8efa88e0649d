//! What happens at zero: dispatch to the type's `tp_dealloc`, through the
//! trashcan, with checked mode's extra tests.

use crate::alloc;
use crate::error::ObjectError;
use crate::gc_head::{self, GcHead};
use crate::object::Object;
use crate::thread_state::{self, ThreadState};
use crate::tracer::{trace, RefTracerEvent};

/// Deallocates an object whose count reached zero: reports DESTROY to the
/// tracer and calls its type's `tp_dealloc`, deferring through the trashcan
/// when deallocs nest deeply. Mirrors `_Py_Dealloc`
/// ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
///
/// A tracked GC object is untracked first, so the collector never sees an
/// object at count 0, even one waiting in the trashcan (CPython 3.14's
/// deposit untracks it too).
///
/// Out of line (every mortal object ends here) but not cold. One
/// thread-local access serves the trashcan, the tracer and the checked
/// flag.
///
/// # Safety
/// - `op` is a live object whose count just reached 0; nothing else will
///   deallocate it.
#[inline(never)]
pub unsafe fn dealloc(op: *mut Object) {
    // SAFETY: first bullet: the object and its type are whole (T3).
    if unsafe { (*(*op).ob_type).is_gc() } {
        // SAFETY: a GC instance carries its pre-header; the collector is
        // not in a singly linked phase while counts drop to 0.
        unsafe { gc_head::untrack(op) };
    }
    // SAFETY: first bullet; `dispatch_default` deallocates a default
    // object once.
    thread_state::with(|s| unsafe { s.trashcan.run(op.cast(), dispatch_default) })
}

/// The trashcan's dispatch for default objects.
///
/// # Safety
/// - As [`dealloc`], for the object at `op`.
unsafe fn dispatch_default(op: *mut u8) {
    // SAFETY: first bullet.
    thread_state::with(|s| unsafe { dispatch(s, op.cast()) })
}

/// One object's teardown: tracer, then `tp_dealloc` (checked mode's
/// variant when a checked heap exists on this thread). One test of the
/// thread's hook word covers both.
///
/// # Safety
/// - As [`dealloc`].
#[inline(always)]
unsafe fn dispatch(s: &ThreadState, op: *mut Object) {
    if s.hooks.get() & thread_state::HOOKS_EVENTS != 0 {
        // SAFETY: first bullet.
        unsafe { dispatch_hooked(s, op) };
        return;
    }
    // SAFETY: first bullet.
    unsafe { call_tp_dealloc(op) }
}

/// [`dispatch`] with a tracer installed or a checked heap on this thread.
///
/// # Safety
/// - As [`dealloc`].
#[cold]
#[inline(never)]
unsafe fn dispatch_hooked(s: &ThreadState, op: *mut Object) {
    if s.checked_heaps.get() != 0 {
        // SAFETY: first bullet.
        if let Err(err) = unsafe { dispatch_checked(op) } {
            panic!("{err}");
        }
        return;
    }
    if let Some((f, data)) = s.tracer.get() {
        // SAFETY: the tracer receives a whole object (first bullet) and
        // its own data pointer.
        unsafe { f(op, RefTracerEvent::Destroy, data) };
    }
    // SAFETY: first bullet.
    unsafe { call_tp_dealloc(op) }
}

/// Calls the type's `tp_dealloc`.
///
/// # Safety
/// - As [`dealloc`].
#[inline(always)]
unsafe fn call_tp_dealloc(op: *mut Object) {
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
    let (generic, gc) = unsafe { ((*(*op).ob_type).tp_free.is_none(), (*(*op).ob_type).is_gc()) };
    let block = if gc {
        // SAFETY: a GC instance carries its pre-header.
        unsafe { GcHead::of(op).cast::<u8>() }
    } else {
        op.cast::<u8>()
    };
    // SAFETY: first bullet: the object is still whole.
    unsafe { trace(op, RefTracerEvent::Destroy) };
    // SAFETY: first bullet.
    unsafe { call_tp_dealloc(op) };
    if generic {
        // Only blocks a checked heap registered are judged; a live block
        // whose count is above 0 again was resurrected by a finalizer
        // (PEP 442): legal, the dealloc returned early.
        if alloc::block_is_live(block) == Some(true)
            // SAFETY: the block is live, so the header is readable.
            && unsafe { (*op).ob_refcnt.refcnt() } == 0
        {
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
        // Only a checked heap writes the poison; its registry knows the
        // block, which for a GC object starts at the pre-header.
        let pre_header = op
            .cast::<u8>()
            .wrapping_sub(crate::gc_head::PRE_HEADER_SIZE);
        return alloc::freed_type_name(op.cast())
            .or_else(|| alloc::freed_type_name(pre_header))
            .unwrap_or("<freed>");
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
