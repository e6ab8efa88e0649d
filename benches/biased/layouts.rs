//! Two padded layouts of the free-threaded header: experiments, not
//! shipped types, measured in `biased/owner-pair-contended` and
//! `biased/two-threads-same-object` next to [`FtHeader`].
//!
//! Both answer one design question: can the owner's pair stay fast while
//! other threads hammer the object's shared count, if the header is laid
//! out differently? Their operations copy `FtHeader`'s, orderings
//! included, but have no merge queue (the benchmarks never need one).

use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicIsize, AtomicU16, AtomicU32, AtomicUsize, Ordering};

#[cfg(doc)]
use objmodel::header::biased::FtHeader;
use objmodel::header::biased::{
    thread_id, Decref, IMMORTAL_REFCNT_LOCAL, REF_MAYBE_WEAKREF, REF_MERGED, REF_SHARED_FLAG_MASK,
    REF_SHARED_SHIFT, UNOWNED_TID,
};
use objmodel::prelude::*;

/// The first experiment: `ob_ref_shared` moved off the owner's cache
/// line. The owner's fields (`ob_tid`, `ob_ref_local`) fill the first
/// 64-byte line, the shared count starts the second, and the whole is
/// 128-byte aligned so no other object shares either line. A non-owner
/// still *reads* the owner's line: the immortality check loads
/// `ob_ref_local`, the ownership check `ob_tid`.
#[repr(C, align(128))]
pub struct PaddedHeader {
    ob_tid: AtomicUsize,
    ob_ref_local: AtomicU32,
    _owner_line: [u8; 52],
    ob_ref_shared: AtomicIsize,
}

// The point of the experiment: the two counts on separate 64-byte lines.
const _: () = assert!(offset_of!(PaddedHeader, ob_ref_local) < 64);
const _: () = assert!(offset_of!(PaddedHeader, ob_ref_shared) == 64);
// Four times CPython's 32-byte header: the cost the experiment weighs.
const _: () = assert!(size_of::<PaddedHeader>() == 128);

impl PaddedHeader {
    pub fn new_owned() -> PaddedHeader {
        PaddedHeader {
            ob_tid: AtomicUsize::new(thread_id()),
            ob_ref_local: AtomicU32::new(1),
            _owner_line: [0; 52],
            ob_ref_shared: AtomicIsize::new(0),
        }
    }

    /// As [`FtHeader::incref`].
    #[inline]
    pub fn incref(&self) {
        // Relaxed load and store for the owner, as `FtHeader` (CPython's
        // `_Py_atomic_load_uint32_relaxed` / `_store_uint32_relaxed`).
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return;
        }
        if is_owner(&self.ob_tid) {
            self.ob_ref_local.store(local + 1, Ordering::Relaxed);
        } else {
            shared_incref(&self.ob_ref_shared);
        }
    }

    /// As [`FtHeader::decref`], without the queue.
    #[inline]
    pub fn decref(&self) -> Result<Decref, CountError> {
        // Relaxed, as in `incref`.
        let local = self.ob_ref_local.load(Ordering::Relaxed);
        if local == IMMORTAL_REFCNT_LOCAL {
            return Ok(Decref::Immortal);
        }
        if is_owner(&self.ob_tid) {
            return owner_decref(local, &self.ob_ref_local, &self.ob_tid, &self.ob_ref_shared);
        }
        shared_decref(&self.ob_ref_shared, &self.ob_ref_local)
    }
}

/// One 64-byte cache line.
#[repr(C, align(64))]
struct Line<T>(T);

/// What every thread reads and (almost) no thread writes.
#[repr(C)]
struct ReadMostly {
    ob_tid: AtomicUsize,
    /// Immortality as a flag (CPython 3.14 keeps `_Py_IMMORTAL_FLAGS` in
    /// `ob_flags` too), so non-owners need not read the local count.
    ob_flags: AtomicU16,
}

/// `ob_flags` bit of an immortal object. Mirrors `_Py_IMMORTAL_FLAGS`.
const IMMORTAL_FLAG: u16 = 1;

/// The second experiment: no line that one thread writes is read by the
/// other. Three lines: what both read (`ob_tid`, `ob_flags`), the owner's
/// count, the others' count. Each operation first asks who owns the
/// object; the owner then touches only its count's line, a non-owner
/// checks the immortal flag and touches only the shared count's line.
#[repr(C)]
pub struct SplitHeader {
    ids: Line<ReadMostly>,
    ob_ref_local: Line<AtomicU32>,
    ob_ref_shared: Line<AtomicIsize>,
}

// The point of the experiment: three separate 64-byte lines.
const _: () = assert!(offset_of!(SplitHeader, ob_ref_local) == 64);
const _: () = assert!(offset_of!(SplitHeader, ob_ref_shared) == 128);
// Six times CPython's 32-byte header.
const _: () = assert!(size_of::<SplitHeader>() == 192);

impl SplitHeader {
    pub fn new_owned() -> SplitHeader {
        SplitHeader {
            ids: Line(ReadMostly {
                ob_tid: AtomicUsize::new(thread_id()),
                ob_flags: AtomicU16::new(0),
            }),
            ob_ref_local: Line(AtomicU32::new(1)),
            ob_ref_shared: Line(AtomicIsize::new(0)),
        }
    }

    /// Whether a non-owner may skip counting. An immortal object has no
    /// owner, so the owner's path need not ask.
    #[inline]
    fn is_immortal_flagged(&self) -> bool {
        // Relaxed: set once, before the object is shared.
        self.ids.0.ob_flags.load(Ordering::Relaxed) & IMMORTAL_FLAG != 0
    }

    /// As [`FtHeader::incref`], ownership checked first.
    #[inline]
    pub fn incref(&self) {
        if is_owner(&self.ids.0.ob_tid) {
            // Relaxed load and store, as `FtHeader`.
            let local = self.ob_ref_local.0.load(Ordering::Relaxed);
            if local != IMMORTAL_REFCNT_LOCAL {
                self.ob_ref_local.0.store(local + 1, Ordering::Relaxed);
            }
        } else if !self.is_immortal_flagged() {
            shared_incref(&self.ob_ref_shared.0);
        }
    }

    /// As [`FtHeader::decref`], ownership checked first, without the
    /// queue.
    #[inline]
    pub fn decref(&self) -> Result<Decref, CountError> {
        let (tid, local, shared) = (
            &self.ids.0.ob_tid,
            &self.ob_ref_local.0,
            &self.ob_ref_shared.0,
        );
        if is_owner(tid) {
            // Relaxed, as `FtHeader`.
            let n = local.load(Ordering::Relaxed);
            if n == IMMORTAL_REFCNT_LOCAL {
                return Ok(Decref::Immortal);
            }
            return owner_decref(n, local, tid, shared);
        }
        if self.is_immortal_flagged() {
            return Ok(Decref::Immortal);
        }
        shared_decref(shared, local)
    }
}

/// Whether the calling thread owns the object whose `ob_tid` this is.
#[inline]
fn is_owner(tid: &AtomicUsize) -> bool {
    // Relaxed, as `FtHeader`: only this thread ever stores its own id.
    tid.load(Ordering::Relaxed) == thread_id()
}

/// A non-owner's increment, as `FtHeader`'s.
#[inline]
fn shared_incref(shared: &AtomicIsize) {
    // Relaxed, as `FtHeader` and `Arc::clone`: the caller holds a reference
    // already.
    shared.fetch_add(1 << REF_SHARED_SHIFT, Ordering::Relaxed);
}

/// The owner's decrement of a mortal object whose local count was
/// `n`, as `FtHeader`'s.
#[inline]
fn owner_decref(
    n: u32,
    local: &AtomicU32,
    tid: &AtomicUsize,
    shared: &AtomicIsize,
) -> Result<Decref, CountError> {
    if n == 0 {
        return Err(below_zero(local, shared));
    }
    // Relaxed, as `FtHeader`: the owner alone writes the local count.
    local.store(n - 1, Ordering::Relaxed);
    if n == 1 {
        return Ok(merge_zero_local(tid, shared));
    }
    Ok(Decref::Live)
}

#[cold]
fn below_zero(local: &AtomicU32, shared: &AtomicIsize) -> CountError {
    CountError::SharedBelowZero {
        local: local.load(Ordering::Relaxed),
        shared: shared.load(Ordering::Relaxed),
    }
}

/// As `FtHeader`'s `_Py_MergeZeroLocalRefcount`.
#[cold]
#[inline(never)]
fn merge_zero_local(tid: &AtomicUsize, shared: &AtomicIsize) -> Decref {
    // Acquire pairs with the AcqRel CAS of other threads' decrements.
    let mut old = shared.load(Ordering::Acquire);
    if old == 0 {
        return Decref::Dead;
    }
    tid.store(UNOWNED_TID, Ordering::Relaxed);
    loop {
        let new = (old & !REF_SHARED_FLAG_MASK) | REF_MERGED;
        // AcqRel/Acquire, as `FtHeader`.
        match shared.compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) if new == REF_MERGED => return Decref::Dead,
            Ok(_) => return Decref::Live,
            Err(actual) => old = actual,
        }
    }
}

/// As `FtHeader`'s `_Py_DecRefSharedIsDead`, minus the queue.
#[cold]
#[inline(never)]
fn shared_decref(shared: &AtomicIsize, local: &AtomicU32) -> Result<Decref, CountError> {
    // Relaxed: the CAS below re-reads.
    let mut old = shared.load(Ordering::Relaxed);
    loop {
        if old == 0 || old == REF_MAYBE_WEAKREF {
            panic!("the padded experiments have no merge queue");
        }
        let new = old - (1 << REF_SHARED_SHIFT);
        if new < 0 && old & REF_SHARED_FLAG_MASK == REF_MERGED {
            return Err(below_zero(local, shared));
        }
        // AcqRel/Relaxed, as `FtHeader`: release our writes to the object,
        // acquire the others' before a dealloc.
        match shared.compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) if new == REF_MERGED => return Ok(Decref::Dead),
            Ok(_) => return Ok(Decref::Live),
            Err(actual) => old = actual,
        }
    }
}
