//! Thread identity for `ob_tid`. Mirrors `_Py_ThreadId`
//! ([Include/object.h](https://github.com/python/cpython/blob/v3.14.0/Include/object.h)).
//!
//! CPython reads the TLS base register, an address the OS may reuse after
//! the thread exits. objmodel takes ids from a process-wide counter
//! instead, so an id is never reused and an object whose owner has exited
//! is always recognised as such (its id is in no merge-queue bucket). Ids
//! carry the top bit: they are never 0 ([`UNOWNED_TID`]), never a pointer
//! of the lower address half nor a small count, the values a collector
//! stores in `ob_tid` while it works.

use core::cell::Cell;

use super::queue;

/// `ob_tid` of an object no thread owns: immortal or merged. Mirrors
/// `_Py_UNOWNED_TID`.
pub const UNOWNED_TID: usize = 0;

const TID_TAG: usize = 1 << (usize::BITS - 1);

/// The next id to hand out (not modelled by loom: ids only need to be
/// unique).
static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// Unregisters the thread's merge queue when the thread exits, merging
/// whatever was queued to it.
struct Registration {
    tid: usize,
}

impl Drop for Registration {
    fn drop(&mut self) {
        queue::unregister_thread(self.tid);
    }
}

#[cfg(not(loom))]
thread_local! {
    /// The id, read on every count operation: a destructor-free slot.
    static FAST_ID: Cell<usize> = const { Cell::new(0) };
    static REGISTRATION: Cell<Option<Registration>> = const { Cell::new(None) };
}

#[cfg(loom)]
loom::thread_local! {
    static FAST_ID: Cell<usize> = Cell::new(0);
    static REGISTRATION: Cell<Option<Registration>> = Cell::new(None);
}

/// This thread's id: unique for the life of the process, non-zero.
/// Mirrors `_Py_ThreadId`.
#[inline]
pub fn thread_id() -> usize {
    let id = FAST_ID.with(Cell::get);
    if id != 0 {
        return id;
    }
    register()
}

#[cold]
#[inline(never)]
fn register() -> usize {
    let tid = TID_TAG | NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    queue::register_thread(tid);
    REGISTRATION.with(|r| r.set(Some(Registration { tid })));
    FAST_ID.with(|f| f.set(tid));
    tid
}
