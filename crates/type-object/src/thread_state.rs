//! Per-thread runtime state, kept in one place so the dealloc path reaches
//! all of it with a single thread-local access. A small counterpart of
//! CPython's `PyThreadState`
//! ([Include/cpython/pystate.h](https://github.com/python/cpython/blob/v3.14.0/Include/cpython/pystate.h)),
//! which likewise holds the trashcan's state per thread.
//!
//! The struct has no destructor and a `const` initialiser, so the compiler
//! accesses it as a plain `#[thread_local]` slot: no lazy-initialisation
//! test, no destructor registration on the hot path.

use core::cell::Cell;
use core::ffi::c_void;

use crate::alloc::Heap;
use crate::tracer::RefTracer;
use crate::trashcan::Trashcan;

pub(crate) struct ThreadState {
    /// The trashcan's nesting depth, stack mark and deferral count.
    pub(crate) trashcan: Trashcan,
    /// The installed ref tracer and its data pointer.
    pub(crate) tracer: Cell<Option<(RefTracer, *mut c_void)>>,
    /// How many checked heaps were created on this thread; dealloc takes
    /// the checked path only while it is non-zero.
    pub(crate) checked_heaps: Cell<u32>,
    /// GC objects freed by `gc_del` since the collector last looked: the
    /// collector lowers its youngest count by as many (CPython's
    /// `PyObject_GC_Del` decrements it directly).
    pub(crate) gc_frees: Cell<usize>,
    /// This thread's default heap once created (owned by a thread-local
    /// with a destructor, which clears this pointer when it runs).
    pub(crate) default_heap: Cell<*const Heap>,
    /// [`HOOK_TRACER`] | [`HOOK_CHECKED`] | [`HOOK_NO_DEFAULT_HEAP`]:
    /// whether allocation and dealloc must leave their fast paths. One
    /// word, so the hot paths test one flag for all; kept equal to what
    /// `tracer`, `checked_heaps` and `default_heap` say by
    /// [`ThreadState::refresh_hooks`].
    pub(crate) hooks: Cell<u32>,
}

/// [`ThreadState::hooks`] bit: a ref tracer is installed.
pub(crate) const HOOK_TRACER: u32 = 1;
/// [`ThreadState::hooks`] bit: a checked heap was created on this thread and
/// is alive or parked. A heap is `!Send`, so every checked heap a thread
/// allocates from or frees to sets this bit on that thread.
pub(crate) const HOOK_CHECKED: u32 = 2;
/// [`ThreadState::hooks`] bit: this thread's default heap does not exist
/// (yet, or any more). Only the default heap's allocation tests it.
pub(crate) const HOOK_NO_DEFAULT_HEAP: u32 = 4;
/// The [`ThreadState::hooks`] bits every allocation and dealloc tests.
pub(crate) const HOOKS_EVENTS: u32 = HOOK_TRACER | HOOK_CHECKED;

impl ThreadState {
    /// Recomputes [`hooks`](Self::hooks) after `tracer`, `checked_heaps`
    /// or `default_heap` changed.
    pub(crate) fn refresh_hooks(&self) {
        let tracer = if self.tracer.get().is_some() {
            HOOK_TRACER
        } else {
            0
        };
        let checked = if self.checked_heaps.get() != 0 {
            HOOK_CHECKED
        } else {
            0
        };
        let no_heap = if self.default_heap.get().is_null() {
            HOOK_NO_DEFAULT_HEAP
        } else {
            0
        };
        self.hooks.set(tracer | checked | no_heap);
    }
}

thread_local! {
    pub(crate) static STATE: ThreadState = const {
        ThreadState {
            trashcan: Trashcan::new(),
            tracer: Cell::new(None),
            checked_heaps: Cell::new(0),
            gc_frees: Cell::new(0),
            default_heap: Cell::new(core::ptr::null()),
            hooks: Cell::new(HOOK_NO_DEFAULT_HEAP),
        }
    };
}

/// Runs `f` with this thread's state.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> R {
    // Taking the address in a tiny closure lets `LocalKey::with` inline;
    // the dealloc path would otherwise pay a call and a frame per nesting
    // level inside it.
    let state: *const ThreadState = STATE.with(|s| s as *const ThreadState);
    // SAFETY: a thread-local without destructor stays valid for as long as
    // its thread runs, and this reference does not leave the thread.
    f(unsafe { &*state })
}

/// This thread's [`ThreadState::hooks`].
#[inline(always)]
pub(crate) fn hooks() -> u32 {
    with(|s| s.hooks.get())
}

const _: () = assert!(!core::mem::needs_drop::<ThreadState>());
