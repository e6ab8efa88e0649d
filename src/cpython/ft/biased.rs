//! What only the free-threaded build has: thread identity, explicit
//! merges, merge queues and try-incref
//! (`Include/refcount.h`, `Objects/object.c`, `Python/brc.c`,
//! `Include/internal/pycore_object.h`).

use super::{PyObject, Py_ssize_t};
use object_header::biased;
use type_object::ft::header;

/// How far `ob_ref_shared` is shifted. Mirrors `_Py_REF_SHARED_SHIFT`.
pub const _Py_REF_SHARED_SHIFT: isize = biased::REF_SHARED_SHIFT as isize;
/// Mirrors `_Py_REF_SHARED_FLAG_MASK`.
pub const _Py_REF_SHARED_FLAG_MASK: isize = biased::REF_SHARED_FLAG_MASK;
/// Mirrors `_Py_REF_SHARED_INIT`.
pub const _Py_REF_SHARED_INIT: isize = biased::REF_SHARED_INIT;
/// Mirrors `_Py_REF_MAYBE_WEAKREF`.
pub const _Py_REF_MAYBE_WEAKREF: isize = biased::REF_MAYBE_WEAKREF;
/// Mirrors `_Py_REF_QUEUED`.
pub const _Py_REF_QUEUED: isize = biased::REF_QUEUED;
/// Mirrors `_Py_REF_MERGED`.
pub const _Py_REF_MERGED: isize = biased::REF_MERGED;
/// Mirrors `_Py_UNOWNED_TID`.
pub const _Py_UNOWNED_TID: usize = biased::UNOWNED_TID;
/// Mirrors `_Py_IMMORTAL_REFCNT_LOCAL`.
pub const _Py_IMMORTAL_REFCNT_LOCAL: u32 = biased::IMMORTAL_REFCNT_LOCAL;
/// Mirrors `_Py_BRC_NUM_BUCKETS`.
pub const _Py_BRC_NUM_BUCKETS: usize = biased::NUM_BUCKETS;

/// This thread's id: unique for the process's life, never reused, never
/// 0. Mirrors `_Py_ThreadId`.
#[inline]
pub fn _Py_ThreadId() -> usize {
    biased::thread_id()
}

/// Whether the calling thread owns `op`. Mirrors
/// `_Py_IsOwnedByCurrentThread`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn _Py_IsOwnedByCurrentThread(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { header(op) }.is_owned_by_current_thread()
}

/// Moves the whole count into `ob_ref_shared` (local 0, no owner, MERGED),
/// adding `extra`, and returns the merged count; at 0 the caller
/// deallocates. Mirrors `_Py_ExplicitMergeRefcount`.
///
/// # Safety
/// - `op` points to a live, mortal object; the caller is its owner, or
///   its owner has exited.
pub unsafe fn _Py_ExplicitMergeRefcount(op: *mut PyObject, extra: Py_ssize_t) -> Py_ssize_t {
    // SAFETY: first bullet.
    unsafe { header(op) }.explicit_merge(extra)
}

/// Merges the references other threads queued to the calling thread;
/// objects that reach zero are deallocated. Returns how many objects were
/// merged. A VM calls it at each thread's safepoints, as CPython's eval
/// breaker does. Mirrors `_Py_brc_merge_refcounts`.
pub fn _Py_brc_merge_refcounts() -> usize {
    type_object::ft::refs::merge_refcounts()
}

/// Takes a new reference unless the count reached zero; never resurrects.
/// Lock-free readers call it on objects they found through a borrowed
/// pointer, after [`PyUnstable_EnableTryIncRef`]. Mirrors `_Py_TryIncref`.
///
/// # Safety
/// - `op` points to memory that stays allocated during the call (the
///   object may be dying, not freed).
pub unsafe fn _Py_TryIncref(op: *mut PyObject) -> bool {
    // SAFETY: first bullet.
    unsafe { header(op) }.try_incref()
}

/// Lets other threads try-incref `op` (state INIT → MAYBE_WEAKREF).
/// Mirrors `PyUnstable_EnableTryIncRef`.
///
/// # Safety
/// - `op` points to a live object.
pub unsafe fn PyUnstable_EnableTryIncRef(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { header(op) }.enable_try_incref()
}
