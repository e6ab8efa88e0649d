//! The collector over free-threaded objects, under CPython's names: the
//! `PyObject_GC_*` functions and the [`gc`] module, as in
//! [`crate::cpython`]. Collections stop the world (see
//! [`world`](type_object::ft::world)): threads that use free-threaded
//! objects attach and reach safepoints.

use core::ffi::{c_int, c_void};

use super::{PyObject, PyTypeObject, Py_ssize_t};
use gc_traverse::ft_collector as collector;
use type_object::ft::{create, tracking};

/// Tracks a GC object. Mirrors `PyObject_GC_Track`.
///
/// # Safety
/// - `op` is a live instance of a `Py_TPFLAGS_HAVE_GC` type.
///
/// # Panics
/// When `op` is already tracked, naming the type.
pub unsafe fn PyObject_GC_Track(op: *mut c_void) {
    // SAFETY: first bullet.
    unsafe { tracking::track(op.cast()) }
}

/// Untracks a GC object; nothing when untracked. Mirrors
/// `PyObject_GC_UnTrack`.
///
/// # Safety
/// - `op` points to a free-threaded object header.
pub unsafe fn PyObject_GC_UnTrack(op: *mut c_void) {
    // SAFETY: first bullet.
    unsafe { tracking::untrack(op.cast()) }
}

/// Mirrors `PyObject_GC_IsTracked`.
///
/// # Safety
/// - `op` points to a live object.
pub unsafe fn PyObject_GC_IsTracked(op: *mut PyObject) -> c_int {
    // SAFETY: first bullet.
    c_int::from(unsafe { tracking::is_tracked(op) })
}

/// Mirrors `PyObject_GC_IsFinalized`.
///
/// # Safety
/// - `op` points to a live object.
pub unsafe fn PyObject_GC_IsFinalized(op: *mut PyObject) -> c_int {
    // SAFETY: first bullet.
    c_int::from(unsafe { collector::is_finalized(op) })
}

/// Allocates an untracked instance of a GC type, counting it towards the
/// next collection. Mirrors `PyObject_GC_New`.
///
/// # Safety
/// - `ty` is a live, readied `Py_TPFLAGS_HAVE_GC` type.
pub unsafe fn PyObject_GC_New(ty: *mut PyTypeObject) -> *mut PyObject {
    collector::note_allocation();
    // SAFETY: first bullet.
    unsafe { create::generic_alloc(ty, 0) }
}

/// Frees a GC object's block, untracking it first if needed. Mirrors
/// `PyObject_GC_Del`.
///
/// # Safety
/// - `op` is null or an object from the generic allocator whose count
///   reached 0 and whose payload was torn down.
pub unsafe extern "C" fn PyObject_GC_Del(op: *mut c_void) {
    if op.is_null() {
        return;
    }
    // SAFETY: first bullet.
    unsafe {
        tracking::untrack(op.cast());
        create::generic_free(op);
    }
}

/// A full collection. Mirrors `PyGC_Collect`.
pub fn PyGC_Collect() -> Py_ssize_t {
    gc::collect(2)
}

/// The `gc` module over free-threaded objects. As CPython's free-threaded
/// collector, it has no generations: every collection is full, and counts
/// and thresholds beyond the first are reported as 0 and ignored.
pub mod gc {
    use super::*;
    pub use gc_traverse::collector::{
        DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS, DEBUG_UNCOLLECTABLE,
    };

    /// Collects every free-threaded GC object (the generation is checked
    /// and otherwise ignored); returns how many were unreachable.
    ///
    /// # Panics
    /// When `generation` is not 0, 1 or 2.
    pub fn collect(generation: i32) -> Py_ssize_t {
        assert!(
            (0..=2).contains(&generation),
            "invalid generation: {generation} (expected 0, 1 or 2)"
        );
        collector::collect()
    }

    /// Mirrors `gc.get_count()`.
    pub fn get_count() -> (usize, usize, usize) {
        (collector::get_count(), 0, 0)
    }

    /// Mirrors `gc.get_threshold()`.
    pub fn get_threshold() -> (u32, u32, u32) {
        (collector::get_threshold(), 0, 0)
    }

    /// Mirrors `gc.set_threshold(t0, ...)`; `t0 == 0` disables automatic
    /// collection.
    pub fn set_threshold(t0: u32, _t1: u32, _t2: u32) {
        collector::set_threshold(t0)
    }

    /// Mirrors `gc.enable()`.
    pub fn enable() {
        collector::enable()
    }

    /// Mirrors `gc.disable()`.
    pub fn disable() {
        collector::disable()
    }

    /// Mirrors `gc.isenabled()`.
    pub fn isenabled() -> bool {
        collector::isenabled()
    }

    /// Mirrors `gc.freeze()`.
    pub fn freeze() {
        collector::freeze()
    }

    /// Mirrors `gc.unfreeze()`.
    pub fn unfreeze() {
        collector::unfreeze()
    }

    /// Mirrors `gc.get_freeze_count()`.
    pub fn get_freeze_count() -> usize {
        collector::get_freeze_count()
    }

    /// Mirrors `gc.is_tracked(op)`.
    ///
    /// # Safety
    /// - `op` points to a live object.
    pub unsafe fn is_tracked(op: *mut PyObject) -> bool {
        // SAFETY: first bullet.
        unsafe { tracking::is_tracked(op) }
    }

    /// Mirrors `gc.is_finalized(op)`.
    ///
    /// # Safety
    /// - `op` points to a live object.
    pub unsafe fn is_finalized(op: *mut PyObject) -> bool {
        // SAFETY: first bullet.
        unsafe { collector::is_finalized(op) }
    }

    /// Mirrors `gc.get_referents(op)`.
    ///
    /// # Safety
    /// - `op` points to a live object not mutated meanwhile.
    pub unsafe fn get_referents(op: *mut PyObject) -> Vec<*mut PyObject> {
        // SAFETY: first bullet.
        unsafe { collector::get_referents(op) }
    }

    /// Mirrors `gc.get_referrers(op)`.
    ///
    /// # Safety
    /// - No other thread mutates tracked objects meanwhile.
    pub unsafe fn get_referrers(op: *mut PyObject) -> Vec<*mut PyObject> {
        // SAFETY: first bullet.
        unsafe { collector::get_referrers(op) }
    }

    /// Every tracked object for `None`, `Some(-1)` and `Some(0)` (there is
    /// one generation); none for 1 and 2. Mirrors `gc.get_objects`.
    ///
    /// # Panics
    /// When `generation` is outside `-1..3`.
    pub fn get_objects(generation: Option<i32>) -> Vec<*mut PyObject> {
        match generation {
            None | Some(-1) | Some(0) => collector::get_objects(),
            Some(1 | 2) => Vec::new(),
            Some(g) => panic!("generation parameter must be less than 3 and at least -1, got {g}"),
        }
    }

    /// Borrowed view of `gc.garbage`.
    pub fn garbage() -> Vec<*mut PyObject> {
        collector::garbage()
    }

    /// Empties `gc.garbage`, releasing its references.
    pub fn clear_garbage() {
        collector::clear_garbage()
    }

    /// Mirrors `gc.set_debug(flags)`.
    pub fn set_debug(flags: u32) {
        collector::set_debug(flags)
    }

    /// Mirrors `gc.get_debug()`.
    pub fn get_debug() -> u32 {
        collector::get_debug()
    }
}
