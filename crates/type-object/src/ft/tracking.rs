//! Which free-threaded GC objects the collector examines.
//!
//! CPython's free-threaded collector has no generation lists: it walks the
//! allocator's heaps and keeps per-object state in `ob_gc_bits`. objmodel's
//! free-threaded objects come from the system allocator, which cannot be
//! walked, so tracked objects are also kept in one process-wide set (under
//! a mutex: tracking is rare next to counting). `ob_gc_bits` carries the
//! same bits as CPython's.

use core::ptr::NonNull;
use core::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hashbrown::HashMap;

use super::object::FtObject;

/// `ob_gc_bits`: the object is tracked. Mirrors `_PyGC_BITS_TRACKED`.
pub const GC_BITS_TRACKED: u8 = 1 << 0;
/// `ob_gc_bits`: `tp_finalize` ran. Mirrors `_PyGC_BITS_FINALIZED`.
pub const GC_BITS_FINALIZED: u8 = 1 << 1;
/// `ob_gc_bits`: found unreachable by the running collection. Mirrors
/// `_PyGC_BITS_UNREACHABLE`.
pub const GC_BITS_UNREACHABLE: u8 = 1 << 2;
/// `ob_gc_bits`: frozen (`gc.freeze()`). Mirrors `_PyGC_BITS_FROZEN`.
pub const GC_BITS_FROZEN: u8 = 1 << 3;

/// A tracked object's pointer (objects are `Sync`; the set only stores
/// them).
struct Tracked(NonNull<FtObject>);

// SAFETY: free-threaded objects are Send + Sync; the set never dereferences
// the pointers itself.
unsafe impl Send for Tracked {}

static TRACKED: Mutex<Option<HashMap<usize, Tracked>>> = Mutex::new(None);

fn set() -> MutexGuard<'static, Option<HashMap<usize, Tracked>>> {
    TRACKED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Tracks `op`. Mirrors the free-threaded `PyObject_GC_Track`.
///
/// # Safety
/// - `op` is a live free-threaded instance of a `Py_TPFLAGS_HAVE_GC` type.
///
/// # Panics
/// When `op` is already tracked, naming the type.
pub unsafe fn track(op: *mut FtObject) {
    // SAFETY: first bullet.
    let bits = unsafe { &(*op).ob_gc_bits };
    if bits.fetch_or(GC_BITS_TRACKED, Ordering::AcqRel) & GC_BITS_TRACKED != 0 {
        // SAFETY: first bullet.
        let name = unsafe { (*(*op).ob_type).tp_name };
        panic!("object already tracked by the garbage collector: `{name}` object at {op:p}");
    }
    // SAFETY: first bullet: a live object is not null.
    let ptr = unsafe { NonNull::new_unchecked(op) };
    set()
        .get_or_insert_with(HashMap::new)
        .insert(op as usize, Tracked(ptr));
}

/// Untracks `op` if it is tracked. Mirrors the free-threaded
/// `PyObject_GC_UnTrack`.
///
/// # Safety
/// - `op` points to a free-threaded object header (live or at count 0).
pub unsafe fn untrack(op: *mut FtObject) {
    // SAFETY: first bullet.
    let bits = unsafe { &(*op).ob_gc_bits };
    if bits.fetch_and(!GC_BITS_TRACKED, Ordering::AcqRel) & GC_BITS_TRACKED != 0 {
        if let Some(map) = set().as_mut() {
            map.remove(&(op as usize));
        }
    }
}

/// Whether `op` is tracked. Mirrors `PyObject_GC_IsTracked`.
///
/// # Safety
/// - `op` points to a live free-threaded object.
pub unsafe fn is_tracked(op: *mut FtObject) -> bool {
    // SAFETY: first bullet.
    unsafe { (*op).ob_gc_bits.load(Ordering::Acquire) & GC_BITS_TRACKED != 0 }
}

/// Every tracked object, for a collector holding the world stopped (the
/// set may change as soon as other threads run).
pub fn tracked_objects() -> Vec<*mut FtObject> {
    set()
        .as_ref()
        .map(|m| m.values().map(|t| t.0.as_ptr()).collect())
        .unwrap_or_default()
}
