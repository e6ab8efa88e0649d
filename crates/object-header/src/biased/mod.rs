//! Biased reference counting: the free-threaded build's split count
//! (PEP 703).
//!
//! ```text
//!   FtHeader (24 bytes; the object adds ob_type to make CPython's 32)
//!   +---------+----------+----------+------------+--------------+---------------+
//!   | ob_tid  | ob_flags | ob_mutex | ob_gc_bits | ob_ref_local | ob_ref_shared |
//!   | owner   |  u16     |  u8      |  u8        | u32, owner's | isize, others'|
//!   +---------+----------+----------+------------+--------------+---------------+
//!   0         8          10         11           12             16
//!
//!   count = ob_ref_local + (ob_ref_shared >> 2)      low 2 bits of shared:
//!                                                     0 INIT  1 MAYBE_WEAKREF
//!                                                     2 QUEUED 3 MERGED
//! ```
//!
//! The thread that created an object owns it: its increments and
//! decrements are a relaxed load and store of `ob_ref_local`, no atomic
//! read-modify-write. Every other thread adds to or subtracts from
//! `ob_ref_shared` atomically. When the owner's local count reaches zero
//! the two merge (`_Py_MergeZeroLocalRefcount`); when a non-owner would
//! take the shared count below zero it hands its reference to the owner's
//! merge queue instead (`_Py_brc_queue_object`), and the owner merges at
//! its next safepoint ([`merge_refcounts`]). Objects queued to a thread
//! that has exited are merged by the thread that queues them; a reference
//! that dies in a queue operation is deallocated through the hook
//! installed with [`set_dealloc_hook`].
//!
//! # Mirrors
//! `Include/refcount.h` and `Include/object.h` (free-threaded build),
//! `Objects/object.c` (`_Py_DecRefShared`, `_Py_MergeZeroLocalRefcount`,
//! `_Py_ExplicitMergeRefcount`), `Python/brc.c` (merge queues) and
//! `Include/internal/pycore_object.h` (try-incref), CPython 3.14.
//!
//! # Invariants
//! - **B1** Only the owner (the thread whose id is in `ob_tid`) writes
//!   `ob_ref_local`, except when the owner has exited or is the one
//!   merging (`ob_tid` is then set to [`UNOWNED_TID`] first).
//! - **B2** `ob_ref_local == u32::MAX` means immortal; nothing counts it
//!   any more.
//! - **B3** An object in the QUEUED state holds one reference that was
//!   never subtracted: its merge subtracts it. Exactly one thread ever
//!   observes the count reaching zero (the owner's zero-merge, a
//!   non-owner's CAS to `MERGED` with count 0, or a queue merge) and
//!   deallocates.

mod header;
mod queue;
mod thread_id;

pub use header::{Decref, FtHeader};
pub use queue::{merge_all_queues, merge_refcounts, set_dealloc_hook, DeallocHook, NUM_BUCKETS};
pub use thread_id::{thread_id, UNOWNED_TID};

/// How far the shared count is shifted; the low bits hold the state.
/// Mirrors `_Py_REF_SHARED_SHIFT`.
pub const REF_SHARED_SHIFT: u32 = 2;
/// The state bits of `ob_ref_shared`. Mirrors `_Py_REF_SHARED_FLAG_MASK`.
pub const REF_SHARED_FLAG_MASK: isize = 0x3;
/// Normal state: nobody try-increfs. Mirrors `_Py_REF_SHARED_INIT`.
pub const REF_SHARED_INIT: isize = 0x0;
/// Other threads may try-incref lock-free, so the owner must merge by CAS.
/// Mirrors `_Py_REF_MAYBE_WEAKREF`.
pub const REF_MAYBE_WEAKREF: isize = 0x1;
/// In the owner's merge queue, which holds one unsubtracted reference.
/// Mirrors `_Py_REF_QUEUED`.
pub const REF_QUEUED: isize = 0x2;
/// The whole count lives in `ob_ref_shared`; `ob_tid` is 0. Mirrors
/// `_Py_REF_MERGED`.
pub const REF_MERGED: isize = 0x3;
/// `ob_ref_local` of an immortal object. Mirrors
/// `_Py_IMMORTAL_REFCNT_LOCAL`.
pub const IMMORTAL_REFCNT_LOCAL: u32 = u32::MAX;

/// `ob_ref_shared` for `count` references in state `flags`. Mirrors
/// `_Py_REF_SHARED`.
#[inline]
pub const fn ref_shared(count: isize, flags: isize) -> isize {
    (count << REF_SHARED_SHIFT) + flags
}
