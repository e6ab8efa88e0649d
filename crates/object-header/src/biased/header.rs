//! The free-threaded header's counting part and its operations.

use core::ptr::NonNull;

use super::queue::{self, QueueOutcome};
use super::thread_id::{thread_id, UNOWNED_TID};
use super::{
    ref_shared, IMMORTAL_REFCNT_LOCAL, REF_MAYBE_WEAKREF, REF_MERGED, REF_QUEUED,
    REF_SHARED_FLAG_MASK, REF_SHARED_SHIFT,
};
use crate::counting::{RefCount, Released};
use crate::error::CountError;
use crate::sync::{AtomicIsize, AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering};

/// The counting part of CPython's free-threaded object header, field for
/// field (`ob_tid`, `ob_flags`, `ob_mutex`, `ob_gc_bits`, `ob_ref_local`,
/// `ob_ref_shared`); an object adds `ob_type` after it. Every field is an
/// atomic, so the header is `Sync`: owners use relaxed loads and stores,
/// others atomic read-modify-writes. See the [module docs](super).
#[repr(C)]
#[derive(Debug)]
pub struct FtHeader {
    /// The owning thread's id, or [`UNOWNED_TID`].
    pub ob_tid: AtomicUsize,
    /// Per-object flags (`_Py_IMMORTAL_FLAGS` and friends in CPython).
    pub ob_flags: AtomicU16,
    /// The per-object lock byte (`PyMutex`); unused by counting.
    pub ob_mutex: AtomicU8,
    /// The collector's bits (`_PyGC_BITS_*`).
    pub ob_gc_bits: AtomicU8,
    /// The owner's count; `u32::MAX` means immortal.
    pub ob_ref_local: AtomicU32,
    /// Other threads' count, shifted left by 2, with the state bits.
    pub ob_ref_shared: AtomicIsize,
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(size_of::<FtHeader>() == 24);
    assert!(align_of::<FtHeader>() == 8);
    assert!(offset_of!(FtHeader, ob_tid) == 0);
    assert!(offset_of!(FtHeader, ob_flags) == 8);
    assert!(offset_of!(FtHeader, ob_mutex) == 10);
    assert!(offset_of!(FtHeader, ob_gc_bits) == 11);
    assert!(offset_of!(FtHeader, ob_ref_local) == 12);
    assert!(offset_of!(FtHeader, ob_ref_shared) == 16);
};

/// What a biased decrement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decref {
    /// Still referenced (or the reference went to the owner's queue).
    Live,
    /// This call observed the count reach zero: deallocate now.
    Dead,
    /// Immortal: nothing written.
    Immortal,
}

impl FtHeader {
    /// A new object's header: owned by the calling thread, local count 1.
    /// Mirrors the free-threaded `_Py_NewReference`.
    pub fn new_owned() -> FtHeader {
        FtHeader::with_counts(thread_id(), 1, 0)
    }

    /// A static immortal header (no owner, local `u32::MAX`), for
    /// `static` objects.
    #[cfg(not(loom))]
    pub const fn new_static_immortal() -> FtHeader {
        FtHeader {
            ob_tid: AtomicUsize::new(UNOWNED_TID),
            ob_flags: AtomicU16::new(0),
            ob_mutex: AtomicU8::new(0),
            ob_gc_bits: AtomicU8::new(0),
            ob_ref_local: AtomicU32::new(IMMORTAL_REFCNT_LOCAL),
            ob_ref_shared: AtomicIsize::new(0),
        }
    }

    fn with_counts(tid: usize, local: u32, shared: isize) -> FtHeader {
        FtHeader {
            ob_tid: AtomicUsize::new(tid),
            ob_flags: AtomicU16::new(0),
            ob_mutex: AtomicU8::new(0),
            ob_gc_bits: AtomicU8::new(0),
            ob_ref_local: AtomicU32::new(local),
            ob_ref_shared: AtomicIsize::new(shared),
        }
    }

    /// Whether the calling thread owns the object. Mirrors
    /// `_Py_IsOwnedByCurrentThread`.
    #[inline]
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.ob_tid.load(Ordering::Relaxed) == thread_id()
    }

    /// Whether the object is immortal (local count `u32::MAX`). Mirrors
    /// the free-threaded `_Py_IsImmortal`.
    #[inline]
    pub fn is_immortal(&self) -> bool {
        self.ob_ref_local.load(Ordering::Relaxed) == IMMORTAL_REFCNT_LOCAL
    }

    /// The count: local plus shared (arithmetic shift; the shared part may
    /// be negative while the sum is not). Mirrors the free-threaded
    /// `Py_REFCNT`, which answers `_Py_IMMORTAL_INITIAL_REFCNT` for an
    /// immortal.
    #[inline]
    pub fn refcnt(&self) -> isize {
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return crate::immortal::_Py_IMMORTAL_INITIAL_REFCNT as isize;
        }
        let shared = self.ob_ref_shared.load(Ordering::Relaxed);
        local as isize + (shared >> REF_SHARED_SHIFT)
    }

    /// Adds a reference: the owner's is a relaxed load and store of the
    /// local count (an increment from `u32::MAX - 1` makes the object
    /// immortal); another thread's is an atomic add to the shared count.
    /// Mirrors the free-threaded `Py_INCREF`.
    #[inline]
    pub fn incref(&self) {
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return;
        }
        if self.is_owned_by_current_thread() {
            self.ob_ref_local.store(local + 1, Ordering::Relaxed);
        } else {
            // Relaxed as `Arc::clone`: the caller already holds a
            // reference, so the object cannot be freed meanwhile.
            self.ob_ref_shared
                .fetch_add(1 << REF_SHARED_SHIFT, Ordering::Relaxed);
        }
    }

    /// Gives up a reference. The owner decrements its local count and
    /// merges at zero; another thread subtracts from the shared count, or
    /// queues the object to its owner when that would go below zero.
    /// Mirrors the free-threaded `Py_DECREF`.
    ///
    /// A reference queued from here reaches the [dealloc
    /// hook](super::DeallocHook) as a pointer to this header only (a
    /// `&FtHeader` borrows nothing past it). When the hook casts back to
    /// the enclosing object, decrement through [`FtHeader::decref_raw`].
    ///
    /// # Errors
    /// [`CountError::SharedBelowZero`] for a decrement the count cannot
    /// take (the owner's local count is 0, or a merged count is 0); nothing
    /// changes.
    #[inline]
    pub fn decref(&self) -> Result<Decref, CountError> {
        self.decref_via(NonNull::from(self))
    }

    /// As [`decref`](FtHeader::decref), through a pointer to the whole
    /// object: should the reference go to the owner's merge queue, `op`
    /// itself is queued, so the [dealloc hook](super::DeallocHook) may cast
    /// it back to the enclosing object and reach its other fields
    /// (`ob_type`): a type layer whose hook does so decrements through
    /// this one. Mirrors the free-threaded `Py_DECREF`, which takes the
    /// object pointer.
    ///
    /// # Safety
    /// - `op` points to a live header, derived from a pointer to the whole
    ///   object (the header is its first field) when the installed dealloc
    ///   hook reaches past the header.
    /// - The caller owns one reference to the object and gives it up.
    ///
    /// # Errors
    /// As [`decref`](FtHeader::decref).
    #[inline]
    pub unsafe fn decref_raw(op: NonNull<FtHeader>) -> Result<Decref, CountError> {
        // SAFETY: first bullet: the header is live.
        unsafe { op.as_ref() }.decref_via(op)
    }

    /// [`decref`](FtHeader::decref)'s body; `op` is `self` with the
    /// provenance the queue should keep.
    #[inline]
    fn decref_via(&self, op: NonNull<FtHeader>) -> Result<Decref, CountError> {
        debug_assert!(core::ptr::eq(op.as_ptr(), self));
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return Ok(Decref::Immortal);
        }
        if self.is_owned_by_current_thread() {
            if local == 0 {
                return Err(self.below_zero());
            }
            self.ob_ref_local.store(local - 1, Ordering::Relaxed);
            if local == 1 {
                return Ok(self.merge_zero_local());
            }
            return Ok(Decref::Live);
        }
        self.decref_shared(op)
    }

    #[cold]
    fn below_zero(&self) -> CountError {
        CountError::SharedBelowZero {
            local: self.ob_ref_local.load(Ordering::Relaxed),
            shared: self.ob_ref_shared.load(Ordering::Relaxed),
        }
    }

    /// The owner's local count reached zero. Mirrors
    /// `_Py_MergeZeroLocalRefcount`.
    #[cold]
    #[inline(never)]
    fn merge_zero_local(&self) -> Decref {
        let mut shared = self.ob_ref_shared.load(Ordering::Acquire);
        if shared == 0 {
            // Nobody else holds or can take a reference: with the flags at
            // INIT no try-incref succeeds.
            return Decref::Dead;
        }
        // Give up ownership before publishing MERGED (gh-119999): once the
        // CAS lands, other threads may free the object.
        self.ob_tid.store(UNOWNED_TID, Ordering::Relaxed);
        loop {
            let new = (shared & !REF_SHARED_FLAG_MASK) | REF_MERGED;
            match self.ob_ref_shared.compare_exchange_weak(
                shared,
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return if new == REF_MERGED {
                        Decref::Dead
                    } else {
                        Decref::Live
                    }
                }
                Err(actual) => shared = actual,
            }
        }
    }

    /// A non-owner's decrement. Mirrors `_Py_DecRefSharedIsDead`.
    #[cold]
    #[inline(never)]
    fn decref_shared(&self, op: NonNull<FtHeader>) -> Result<Decref, CountError> {
        let mut shared = self.ob_ref_shared.load(Ordering::Relaxed);
        loop {
            let queue = shared == 0 || shared == REF_MAYBE_WEAKREF;
            let new = if queue {
                REF_QUEUED
            } else {
                shared - (1 << REF_SHARED_SHIFT)
            };
            if new < 0 && shared & REF_SHARED_FLAG_MASK == REF_MERGED {
                return Err(self.below_zero());
            }
            match self.ob_ref_shared.compare_exchange_weak(
                shared,
                new,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if queue {
                        // SAFETY: the caller's reference goes to the queue;
                        // `op` is `self` (`decref_via`).
                        return match unsafe { queue::queue_object(self, op) } {
                            QueueOutcome::Queued => Ok(Decref::Live),
                            QueueOutcome::Dead => Ok(Decref::Dead),
                            QueueOutcome::OwnerMerged => self.decref_shared(op),
                        };
                    }
                    return Ok(if new == REF_MERGED {
                        Decref::Dead
                    } else {
                        Decref::Live
                    });
                }
                Err(actual) => shared = actual,
            }
        }
    }

    /// Moves the whole count to the shared word (local 0, owner none,
    /// state MERGED), adding `extra`, and returns the merged count; at 0
    /// the caller deallocates. Mirrors `_Py_ExplicitMergeRefcount`.
    ///
    /// Called by the owner (at a safepoint or exit) or for an object whose
    /// owner has exited (B1).
    pub fn explicit_merge(&self, extra: isize) -> isize {
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        self.ob_ref_local.store(0, Ordering::Relaxed);
        self.ob_tid.store(UNOWNED_TID, Ordering::Relaxed);
        let mut shared = self.ob_ref_shared.load(Ordering::Relaxed);
        loop {
            let count = (shared >> REF_SHARED_SHIFT) + local as isize + extra;
            let new = ref_shared(count, REF_MERGED);
            match self.ob_ref_shared.compare_exchange_weak(
                shared,
                new,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return count,
                Err(actual) => shared = actual,
            }
        }
    }

    /// Lets other threads try-incref this object lock-free (weak
    /// references, lock-free readers): moves the state from INIT to
    /// MAYBE_WEAKREF, so the owner's zero-merge goes through a CAS that a
    /// try-incref can race fairly. Mirrors `PyUnstable_EnableTryIncRef`
    /// (`_PyObject_SetMaybeWeakref`).
    pub fn enable_try_incref(&self) {
        if self.is_immortal() {
            return;
        }
        let mut shared = self.ob_ref_shared.load(Ordering::Relaxed);
        loop {
            if shared & REF_SHARED_FLAG_MASK != 0 {
                return; // MAYBE_WEAKREF, QUEUED or MERGED already
            }
            match self.ob_ref_shared.compare_exchange_weak(
                shared,
                shared | REF_MAYBE_WEAKREF,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => shared = actual,
            }
        }
    }

    /// Takes a new reference unless the count already reached zero; never
    /// resurrects. Succeeds at once for an immortal or for the owner; other
    /// threads succeed only while the shared word shows the object alive
    /// (not 0, not MERGED with count 0). Mirrors `_Py_TryIncref`
    /// (`_Py_TryIncrefFast` + `_Py_TryIncRefShared`).
    pub fn try_incref(&self) -> bool {
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return true;
        }
        if self.is_owned_by_current_thread() {
            if local == 0 {
                return false; // being deallocated by this very thread
            }
            self.ob_ref_local.store(local + 1, Ordering::Relaxed);
            return true;
        }
        let mut shared = self.ob_ref_shared.load(Ordering::Relaxed);
        loop {
            if shared == 0 || shared == REF_MERGED {
                return false;
            }
            match self.ob_ref_shared.compare_exchange_weak(
                shared,
                shared + (1 << REF_SHARED_SHIFT),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => shared = actual,
            }
        }
    }

    /// Sets the count. From the owner, the local count is set and the
    /// shared count cleared (flags kept), and above `u32::MAX` the object
    /// becomes immortal instead; from another thread the counts merge
    /// (local 0, owner none, shared `n << 2 | MERGED`), whatever `n`. No
    /// effect on an immortal. Mirrors the free-threaded `Py_SET_REFCNT`
    /// (`_Py_SetRefcnt`), which checks for overflow only in the owner's
    /// branch.
    ///
    /// # Errors
    /// [`CountError::NegativeRequest`] for `n < 0`; nothing changes.
    pub fn set_refcnt(&self, n: isize) -> Result<(), CountError> {
        if n < 0 {
            return Err(CountError::NegativeRequest { requested: n });
        }
        if self.is_immortal() {
            return Ok(());
        }
        if self.is_owned_by_current_thread() {
            if n as usize > u32::MAX as usize {
                // The local count cannot hold it.
                self.make_immortal();
                return Ok(());
            }
            self.ob_ref_local.store(n as u32, Ordering::Relaxed);
            self.ob_ref_shared
                .fetch_and(REF_SHARED_FLAG_MASK, Ordering::AcqRel);
        } else {
            self.ob_tid.store(UNOWNED_TID, Ordering::Relaxed);
            self.ob_ref_local.store(0, Ordering::Relaxed);
            self.ob_ref_shared
                .store(ref_shared(n, REF_MERGED), Ordering::Release);
        }
        Ok(())
    }

    /// Makes the object immortal: no owner, local `u32::MAX`, shared 0.
    /// Mirrors the free-threaded `_Py_SetImmortalUntracked`.
    pub fn make_immortal(&self) {
        if self.is_immortal() {
            return;
        }
        self.ob_tid.store(UNOWNED_TID, Ordering::Relaxed);
        self.ob_ref_local
            .store(IMMORTAL_REFCNT_LOCAL, Ordering::Relaxed);
        self.ob_ref_shared.store(0, Ordering::Release);
    }

    /// The state bits of the shared word (`REF_*`).
    pub fn shared_state(&self) -> isize {
        self.ob_ref_shared.load(Ordering::Relaxed) & REF_SHARED_FLAG_MASK
    }
}

impl RefCount for FtHeader {
    fn new_reference() -> Self {
        FtHeader::new_owned()
    }

    fn incref(&self) {
        FtHeader::incref(self)
    }

    /// [`Decref::Live`] (also when the reference went to the owner's queue)
    /// maps to [`Released::Live`], [`Decref::Dead`] to [`Released::Last`].
    fn decref(&self) -> Result<Released, CountError> {
        Ok(match FtHeader::decref(self)? {
            Decref::Live => Released::Live,
            Decref::Dead => Released::Last,
            Decref::Immortal => Released::Immortal,
        })
    }

    fn refcnt(&self) -> isize {
        FtHeader::refcnt(self)
    }

    fn set_refcnt(&self, n: isize) -> Result<(), CountError> {
        FtHeader::set_refcnt(self, n)
    }

    fn is_immortal(&self) -> bool {
        FtHeader::is_immortal(self)
    }

    fn make_immortal(&self) {
        FtHeader::make_immortal(self)
    }
}
