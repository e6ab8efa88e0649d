//! The reference tracer: a callback told of every object's creation and
//! destruction. Mirrors `PyRefTracer_SetTracer` (CPython 3.13,
//! [Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).
//!
//! objmodel keeps one tracer per thread (CPython: one per runtime), so
//! parallel test threads do not see each other's events.

use core::ffi::{c_int, c_void};

use crate::object::Object;
use crate::thread_state;

/// What happened to the traced object. Mirrors `PyRefTracerEvent`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefTracerEvent {
    /// The object was just created (`_Py_NewReference`).
    Create = 0,
    /// The object is about to be deallocated (`_Py_Dealloc`, before
    /// `tp_dealloc`; trashcan-deferred objects included).
    Destroy = 1,
}

/// The tracer callback. Mirrors `PyRefTracer`. Its return value is ignored,
/// as CPython ignores it.
pub type RefTracer = unsafe extern "C" fn(*mut Object, RefTracerEvent, *mut c_void) -> c_int;

/// Installs (or with `None` removes) this thread's tracer.
pub fn set_tracer(tracer: Option<RefTracer>, data: *mut c_void) {
    thread_state::with(|s| {
        s.tracer.set(tracer.map(|f| (f, data)));
        s.refresh_hooks();
    });
}

/// This thread's tracer and its data pointer.
#[inline]
pub fn tracer() -> Option<(RefTracer, *mut c_void)> {
    thread_state::with(|s| s.tracer.get())
}

/// Reports `event` for `op` to this thread's tracer, if any.
///
/// # Safety
/// - `op` points to an object header (live, or at count 0 about to be
///   deallocated).
#[inline]
pub unsafe fn trace(op: *mut Object, event: RefTracerEvent) {
    if let Some((f, data)) = tracer() {
        // SAFETY: the tracer's contract is CPython's: it receives a valid
        // object and the data pointer it was installed with (first bullet).
        unsafe { f(op, event, data) };
    }
}
