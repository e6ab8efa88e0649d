//! Merge queues: where a non-owner leaves a reference it could not
//! subtract, for the owner to merge. Mirrors `Python/brc.c`
//! ([source](https://github.com/python/cpython/blob/v3.14.0/Python/brc.c)).
//!
//! A table of [`NUM_BUCKETS`] buckets (a prime, so thread ids that share
//! low bits spread out), each a mutex over a map from thread id to that
//! thread's queue. A thread registers on its first count operation and
//! unregisters at exit; after that its id is found in no bucket, and
//! whoever queues one of its objects merges it directly.
//!
//! No destructor runs under a bucket lock: queues are taken out of the
//! lock and merged after it is released, as CPython does.

use core::ptr::NonNull;
use std::sync::OnceLock;

use hashbrown::HashMap;

use super::header::FtHeader;
use super::thread_id::thread_id;
use crate::sync::Mutex;

/// How many buckets the table has. Mirrors `_Py_BRC_NUM_BUCKETS`.
pub const NUM_BUCKETS: usize = 257;

/// Deallocates an object whose merged count reached zero inside a queue
/// operation (an owner's merge, a thread's exit, an abandoned object).
/// The type layer installs one that dispatches through the object's
/// type.
///
/// The hook receives the pointer the queuing decrement was given: from
/// [`FtHeader::decref_raw`], the caller's pointer to the whole object,
/// which the hook may cast back to it; from [`FtHeader::decref`], a
/// pointer valid for the header's 24 bytes only.
pub type DeallocHook = unsafe fn(NonNull<FtHeader>);

static DEALLOC_HOOK: OnceLock<DeallocHook> = OnceLock::new();

/// Installs the function that deallocates objects dying in a queue
/// operation. The first call wins; a later call with another function is
/// refused and returns the installed one.
///
/// Install it once (under a `std::sync::Once`, as the type layer does):
/// a later call with the *same* function is accepted only if its pointer
/// compares equal, which Rust does not promise (a function may have
/// several addresses, one per codegen unit; Miri gives each use its own).
///
/// # Errors
/// The installed hook, when another one (or the same one at another
/// address) was installed before.
pub fn set_dealloc_hook(hook: DeallocHook) -> Result<(), DeallocHook> {
    let installed = *DEALLOC_HOOK.get_or_init(|| hook);
    if installed as usize == hook as usize {
        Ok(())
    } else {
        Err(installed)
    }
}

/// Deallocates `op` through the installed hook.
///
/// # Safety
/// - `op`'s count reached 0 and this is its one dealloc.
///
/// # Panics
/// When no hook was installed: the object cannot be freed, and silently
/// leaking it would hide the bug.
pub(crate) unsafe fn dealloc(op: NonNull<FtHeader>) {
    let Some(hook) = DEALLOC_HOOK.get() else {
        panic!(
            "biased object at {op:p} reached count 0 in a merge queue, but no dealloc hook is \
             installed (object_header::biased::set_dealloc_hook)"
        );
    };
    // SAFETY: first bullet.
    unsafe { hook(op) }
}

/// A queued object: a pointer to a header whose atomics every thread may
/// use.
struct Queued(NonNull<FtHeader>);

// SAFETY: a queued header is made of atomics and is only used through
// them (B1-B3); the queue owns one reference to it.
unsafe impl Send for Queued {}

#[derive(Default)]
struct Bucket {
    threads: HashMap<usize, Vec<Queued>>,
}

struct Table {
    buckets: Vec<Mutex<Bucket>>,
}

impl Table {
    fn new() -> Table {
        Table {
            buckets: (0..NUM_BUCKETS)
                .map(|_| Mutex::new(Bucket::default()))
                .collect(),
        }
    }

    /// Locks `tid`'s bucket. The guard is returned as `impl DerefMut`
    /// because std's and loom's `MutexGuard` are different types.
    fn bucket(&self, tid: usize) -> impl core::ops::DerefMut<Target = Bucket> + '_ {
        self.buckets[tid % NUM_BUCKETS]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(not(loom))]
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::new)
}

#[cfg(loom)]
fn table() -> &'static Table {
    loom::lazy_static! {
        static ref TABLE: Table = Table::new();
    }
    &TABLE
}

/// Registers `tid`'s empty queue. Mirrors `_Py_brc_init_thread`.
pub(crate) fn register_thread(tid: usize) {
    table().bucket(tid).threads.insert(tid, Vec::new());
}

/// At thread exit: merges what was queued to `tid` until the queue is
/// empty, then removes it, so later queuers find the thread gone and
/// merge themselves. Mirrors `_Py_brc_remove_thread`.
pub(crate) fn unregister_thread(tid: usize) {
    loop {
        let taken = {
            let mut bucket = table().bucket(tid);
            match bucket.threads.get_mut(&tid) {
                Some(q) if !q.is_empty() => core::mem::take(q),
                _ => {
                    bucket.threads.remove(&tid);
                    return;
                }
            }
        };
        merge_each(taken);
    }
}

/// Hands one reference to `op` to its owner's queue (the caller already
/// moved `op` to QUEUED) and says what became of it: when the owner had
/// exited, the caller merges it away itself and, at count 0
/// ([`QueueOutcome::Dead`]), must deallocate. Mirrors
/// `_Py_brc_queue_object`.
///
/// # Safety
/// - `op` points to `header`, a live biased header; the caller owns one
///   reference to it and gives it up. `op` is what the queue keeps and the
///   dealloc hook receives, so it carries the caller's provenance.
pub(crate) unsafe fn queue_object(header: &FtHeader, op: NonNull<FtHeader>) -> QueueOutcome {
    let tid = header.ob_tid.load(crate::sync::Ordering::Acquire);
    if tid == super::UNOWNED_TID {
        // The owner merged meanwhile: decrement the merged count instead.
        return QueueOutcome::OwnerMerged;
    }
    {
        let mut bucket = table().bucket(tid);
        if let Some(q) = bucket.threads.get_mut(&tid) {
            q.push(Queued(op));
            return QueueOutcome::Queued;
        }
    }
    // The owner exited: merge our reference away ourselves.
    if header.explicit_merge(-1) == 0 {
        QueueOutcome::Dead
    } else {
        QueueOutcome::Queued
    }
}

/// What became of a queued reference.
pub(crate) enum QueueOutcome {
    /// In the owner's queue, or merged away with the count still above 0.
    Queued,
    /// The owner had merged the object: decrement the merged count.
    OwnerMerged,
    /// Merged away by the caller to count 0: the caller deallocates.
    Dead,
}

/// Merges every object queued to the calling thread, subtracting each
/// queued reference, and deallocates those whose count reaches zero (after
/// the bucket lock is released). Returns how many objects were merged. A
/// VM calls it at safepoints of each thread, as CPython's eval breaker
/// does. Mirrors `_Py_brc_merge_refcounts`.
pub fn merge_refcounts() -> usize {
    let tid = thread_id();
    let taken = {
        let mut bucket = table().bucket(tid);
        match bucket.threads.get_mut(&tid) {
            Some(q) => core::mem::take(q),
            None => return 0,
        }
    };
    let n = taken.len();
    merge_each(taken);
    n
}

/// Merges every thread's queue and returns the objects whose count reached
/// zero, for the caller to deallocate once the other threads run again.
/// For a stop-the-world pause (a cycle collection): the owners are parked,
/// so merging their objects (which writes `ob_ref_local`) races nobody.
/// Mirrors `merge_queued_objects` of `Python/gc_free_threading.c`.
///
/// # Safety
/// - Every thread that owns queued objects is stopped at a safepoint (or
///   has exited) for the duration of the call.
pub unsafe fn merge_all_queues() -> Vec<NonNull<FtHeader>> {
    let mut dead = Vec::new();
    for bucket in &table().buckets {
        let taken: Vec<Queued> = {
            let mut bucket = bucket
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            bucket
                .threads
                .values_mut()
                .flat_map(core::mem::take)
                .collect()
        };
        for Queued(op) in taken {
            // SAFETY: the queue owned one reference to a live header (B3);
            // its owner is stopped (first bullet).
            if unsafe { op.as_ref() }.explicit_merge(-1) == 0 {
                dead.push(op);
            }
        }
    }
    dead
}

fn merge_each(objects: Vec<Queued>) {
    for Queued(op) in objects {
        // SAFETY: the queue owned one reference to a live header (B3).
        let count = unsafe { op.as_ref() }.explicit_merge(-1);
        if count == 0 {
            // SAFETY: this merge took the count to 0: one dealloc.
            unsafe { dealloc(op) };
        }
    }
}
