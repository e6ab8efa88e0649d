//! The collector under CPython's names: the `PyObject_GC_*` functions of
//! `Include/objimpl.h` (re-exported at [`crate::cpython`]'s root) and the
//! [`gc`] module of `Modules/gcmodule.c`. All of them act on this thread's
//! default [`Collector`](gc_traverse::collector::Collector).

use core::ffi::{c_int, c_void};

use super::{PyObject, PyTypeObject, Py_ssize_t};
use gc_traverse::collector::{self, with_default};

pub use gc_traverse::weakref::{PyObject_ClearWeakRefs, PyWeakref_GetRef, PyWeakref_NewRef};
use type_object::create;

/// Tracks a GC object: the collector will examine it. Mirrors
/// `PyObject_GC_Track`
/// ([Python/gc.c](https://github.com/python/cpython/blob/v3.13.0/Python/gc.c)).
///
/// # Safety
/// - `op` is a live instance of a `Py_TPFLAGS_HAVE_GC` type allocated by
///   the generic allocator (so it has its GC header), owned by this
///   thread.
///
/// # Panics
/// When `op` is already tracked: "object already tracked by the garbage
/// collector", naming the type (fatal in CPython).
pub unsafe fn PyObject_GC_Track(op: *mut c_void) {
    // SAFETY: first bullet.
    with_default(|gc| unsafe { gc.track(op.cast()) })
}

/// Untracks a GC object; does nothing when it is not tracked. Mirrors
/// `PyObject_GC_UnTrack`.
///
/// # Safety
/// - `op` is an instance of a `Py_TPFLAGS_HAVE_GC` type with its GC
///   header.
pub unsafe fn PyObject_GC_UnTrack(op: *mut c_void) {
    // SAFETY: first bullet.
    unsafe { type_object::gc_head::untrack(op.cast()) }
}

/// 1 when `op` is a tracked GC object, else 0. Mirrors
/// `PyObject_GC_IsTracked`.
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn PyObject_GC_IsTracked(op: *mut PyObject) -> c_int {
    // SAFETY: first bullet.
    c_int::from(unsafe { collector::is_tracked(op) })
}

/// 1 when `op`'s `tp_finalize` ran (PEP 442), else 0. Mirrors
/// `PyObject_GC_IsFinalized`.
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn PyObject_GC_IsFinalized(op: *mut PyObject) -> c_int {
    // SAFETY: first bullet.
    c_int::from(unsafe { collector::is_finalized(op) })
}

/// Allocates an untracked instance of a GC type (the caller tracks it once
/// its fields are set), counting it towards the youngest generation.
/// Mirrors `PyObject_GC_New`.
///
/// # Safety
/// - `ty` is a live, readied `Py_TPFLAGS_HAVE_GC` type using the generic
///   allocator.
pub unsafe fn PyObject_GC_New(ty: *mut PyTypeObject) -> *mut PyObject {
    with_default(|gc| gc.note_allocation());
    // SAFETY: first bullet.
    unsafe { create::generic_alloc(ty, 0) }
}

/// Frees a GC object's block, GC header included; the usual last line of
/// a GC type's `tp_dealloc`. Mirrors `PyObject_GC_Del`.
///
/// # Safety
/// - `op` is null or a GC object from the generic allocator whose count
///   reached 0 and whose payload was torn down.
pub unsafe extern "C" fn PyObject_GC_Del(op: *mut c_void) {
    if op.is_null() {
        return;
    }
    // SAFETY: first bullet.
    unsafe { create::gc_del(op) }
}

/// A full collection; returns the number of unreachable objects found.
/// Mirrors `PyGC_Collect`.
pub fn PyGC_Collect() -> Py_ssize_t {
    gc::collect(2)
}

/// The `gc` module (`Modules/gcmodule.c`), over this thread's default
/// collector.
///
/// ```
/// use objmodel::cpython::gc;
///
/// assert_eq!(gc::get_threshold(), (2000, 10, 10));
/// gc::disable();
/// assert!(!gc::isenabled());
/// gc::enable();
/// assert!(gc::collect(2) >= 0);
/// ```
pub mod gc {
    use super::*;
    pub use gc_traverse::collector::{
        CollectionInfo, GenStats, Phase, DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS,
        DEBUG_UNCOLLECTABLE,
    };

    /// Collects `generation` (2 = full); returns collected + uncollectable,
    /// or 0 when a collection is already running. Mirrors `gc.collect`.
    ///
    /// # Panics
    /// When `generation` is not 0, 1 or 2 ("invalid generation").
    pub fn collect(generation: i32) -> Py_ssize_t {
        with_default(|gc| gc.collect(generation))
    }

    /// Mirrors `gc.get_count()`.
    pub fn get_count() -> (usize, usize, usize) {
        with_default(|gc| gc.get_count())
    }

    /// Mirrors `gc.get_threshold()`.
    pub fn get_threshold() -> (u32, u32, u32) {
        with_default(|gc| gc.get_threshold())
    }

    /// Mirrors `gc.set_threshold(t0, t1, t2)`.
    pub fn set_threshold(t0: u32, t1: u32, t2: u32) {
        with_default(|gc| gc.set_threshold(t0, t1, t2))
    }

    /// Mirrors `gc.enable()`.
    pub fn enable() {
        with_default(|gc| gc.enable())
    }

    /// Mirrors `gc.disable()`.
    pub fn disable() {
        with_default(|gc| gc.disable())
    }

    /// Mirrors `gc.isenabled()`.
    pub fn isenabled() -> bool {
        with_default(|gc| gc.isenabled())
    }

    /// Mirrors `gc.freeze()`.
    pub fn freeze() {
        with_default(|gc| gc.freeze())
    }

    /// Mirrors `gc.unfreeze()`.
    pub fn unfreeze() {
        with_default(|gc| gc.unfreeze())
    }

    /// Mirrors `gc.get_freeze_count()`.
    pub fn get_freeze_count() -> usize {
        with_default(|gc| gc.get_freeze_count())
    }

    /// Mirrors `gc.is_tracked(op)`.
    ///
    /// # Safety
    /// - `op` is a live object.
    pub unsafe fn is_tracked(op: *mut PyObject) -> bool {
        // SAFETY: first bullet.
        unsafe { collector::is_tracked(op) }
    }

    /// Mirrors `gc.is_finalized(op)`.
    ///
    /// # Safety
    /// - `op` is a live object.
    pub unsafe fn is_finalized(op: *mut PyObject) -> bool {
        // SAFETY: first bullet.
        unsafe { collector::is_finalized(op) }
    }

    /// What `op`'s `tp_traverse` visits (borrowed); empty for non-GC
    /// objects. Mirrors `gc.get_referents(op)`.
    ///
    /// # Safety
    /// - `op` is a live object.
    pub unsafe fn get_referents(op: *mut PyObject) -> Vec<*mut PyObject> {
        // SAFETY: first bullet.
        unsafe { collector::get_referents(op) }
    }

    /// The tracked objects that refer to `op` (borrowed). Mirrors
    /// `gc.get_referrers(op)`.
    ///
    /// # Safety
    /// - `op` is a live object, and every tracked object's `tp_traverse`
    ///   is sound.
    pub unsafe fn get_referrers(op: *mut PyObject) -> Vec<*mut PyObject> {
        // SAFETY: both bullets.
        with_default(|gc| unsafe { gc.get_referrers(&[op]) })
    }

    /// The tracked objects of a generation, or of all for `None`
    /// (borrowed). Mirrors `gc.get_objects(generation)`.
    ///
    /// # Panics
    /// When `generation` is outside `-1..3` (`ValueError`).
    pub fn get_objects(generation: Option<i32>) -> Vec<*mut PyObject> {
        with_default(|gc| gc.get_objects(generation))
    }

    /// Borrowed view of `gc.garbage`.
    pub fn garbage() -> Vec<*mut PyObject> {
        with_default(|gc| gc.garbage())
    }

    /// Empties `gc.garbage`, releasing its references.
    pub fn clear_garbage() {
        with_default(|gc| gc.clear_garbage())
    }

    /// Mirrors `gc.set_debug(flags)`.
    pub fn set_debug(flags: u32) {
        with_default(|gc| gc.set_debug(flags))
    }

    /// Mirrors `gc.get_debug()`.
    pub fn get_debug() -> u32 {
        with_default(|gc| gc.get_debug())
    }

    /// Mirrors `gc.get_stats()`.
    pub fn get_stats() -> [GenStats; 3] {
        with_default(|gc| gc.get_stats())
    }

    /// Appends to `gc.callbacks`.
    pub fn add_callback(callback: impl FnMut(Phase, &CollectionInfo) + 'static) {
        with_default(|gc| gc.add_callback(Box::new(callback)))
    }

    /// Empties `gc.callbacks`.
    pub fn clear_callbacks() {
        with_default(|gc| gc.clear_callbacks())
    }
}

/// Calls `op`'s `tp_finalize` unless there is none or a GC object was
/// already finalized. Mirrors `PyObject_CallFinalizer`; wraps
/// [`gc_traverse::finalize::call_finalizer`].
///
/// # Safety
/// - `op` is a live object.
pub unsafe fn PyObject_CallFinalizer(op: *mut PyObject) {
    // SAFETY: first bullet.
    unsafe { gc_traverse::finalize::call_finalizer(op) }
}

/// Runs the finalizer from inside `tp_dealloc` with a temporary
/// resurrection; −1 means the finalizer resurrected the object and the
/// dealloc must return at once. Mirrors
/// `PyObject_CallFinalizerFromDealloc`; wraps
/// [`gc_traverse::finalize::call_finalizer_from_dealloc`].
///
/// # Safety
/// - `op`'s count just reached 0 and its `tp_dealloc` has not torn
///   anything down yet.
pub unsafe fn PyObject_CallFinalizerFromDealloc(op: *mut PyObject) -> c_int {
    // SAFETY: first bullet.
    unsafe { gc_traverse::finalize::call_finalizer_from_dealloc(op) }
}
