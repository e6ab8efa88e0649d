//! The trashcan: deallocation of arbitrarily deep structures without stack
//! overflow.
//!
//! A dealloc that decrefs its children nests: freeing a 10-million-long
//! chain would recurse 10 million frames. The trashcan bounds the nesting:
//! past a depth of [`UNWIND_LEVEL`] (CPython's `_PyTrash_UNWIND_LEVEL`), or
//! when the nested deallocs have used more than [`STACK_BUDGET`] bytes of
//! stack (CPython 3.14's headroom test), an object whose count reached 0 is
//! deposited on a per-thread list instead, and the outermost dealloc drains
//! that list iteratively.
//!
//! CPython 3.14 only defers GC objects, because it links them through the
//! GC header. objmodel keeps a side stack instead, so every type is
//! protected without opting in.
//!
//! Mirrors `_PyTrash_thread_deposit_object` and
//! `_PyTrash_thread_destroy_chain`
//! ([Objects/object.c](https://github.com/python/cpython/blob/v3.14.0/Objects/object.c)).

use core::cell::{Cell, UnsafeCell};

use crate::object::Object;

/// The nesting depth at which deallocs are deferred.
pub const UNWIND_LEVEL: u32 = 50;

/// Stack bytes the nested deallocs of one outermost dealloc may use before
/// deferring: CPython defers below two 16 KiB units of headroom; objmodel
/// measures use since the outermost dealloc instead of the distance to the
/// stack's end, which needs no platform query.
pub const STACK_BUDGET: usize = 64 * 1024;

/// Under Miri each local is its own allocation, so the address of a local
/// says nothing about stack depth; only the depth counter applies there.
const HEADROOM_MEASURABLE: bool = !cfg!(miri);

pub(crate) struct Trashcan {
    depth: Cell<u32>,
    outer_sp: Cell<usize>,
    /// How many objects wait on [`DELETE_LATER`]; read on every outermost
    /// dealloc, so it lives here rather than behind the list's
    /// thread-local.
    deferred: Cell<usize>,
}

thread_local! {
    /// Deposited objects, drained last in, first out. Only the cold paths
    /// touch it.
    static DELETE_LATER: UnsafeCell<Vec<*mut Object>> = const { UnsafeCell::new(Vec::new()) };
}

/// The approximate stack pointer: the address of a local.
#[inline(always)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    core::ptr::addr_of!(marker) as usize
}

impl Trashcan {
    pub(crate) const fn new() -> Trashcan {
        Trashcan {
            depth: Cell::new(0),
            outer_sp: Cell::new(0),
            deferred: Cell::new(0),
        }
    }

    /// Runs `dealloc(op)` with bounded nesting; `dealloc` may run later, for
    /// this or for deposited objects, from an outer call.
    ///
    /// # Safety
    /// - `op`'s count reached 0 and nothing else will deallocate it.
    /// - `dealloc` is sound to call exactly once on each object whose count
    ///   reached 0 (this one and every one deposited earlier).
    #[inline(always)]
    pub(crate) unsafe fn run(&self, op: *mut Object, dealloc: impl Fn(*mut Object)) {
        let depth = self.depth.get();
        if depth == 0 {
            self.outer_sp.set(stack_pointer());
        } else if depth >= UNWIND_LEVEL
            || (HEADROOM_MEASURABLE && self.outer_sp.get().abs_diff(stack_pointer()) > STACK_BUDGET)
        {
            self.deposit(op);
            return;
        }
        self.depth.set(depth + 1);
        dealloc(op);
        self.depth.set(depth);
        if depth == 0 && self.deferred.get() != 0 {
            // SAFETY: every deposited object reached 0 and is deallocated
            // exactly once, popped before its dealloc runs.
            unsafe { self.drain(&dealloc) };
        }
    }

    #[cold]
    #[inline(never)]
    fn deposit(&self, op: *mut Object) {
        // SAFETY: the list is only touched by this thread, and never while
        // a reference into it is held (push and pop are whole operations).
        DELETE_LATER.with(|l| unsafe { (*l.get()).push(op) });
        self.deferred.set(self.deferred.get() + 1);
    }

    /// # Safety
    /// - Every object on the list reached 0 and awaits its one dealloc,
    ///   which `dealloc` performs soundly.
    #[cold]
    #[inline(never)]
    unsafe fn drain(&self, dealloc: &dyn Fn(*mut Object)) {
        // SAFETY: as in `deposit`: the pop is a whole operation.
        while let Some(op) = DELETE_LATER.with(|l| unsafe { (*l.get()).pop() }) {
            self.deferred.set(self.deferred.get() - 1);
            self.outer_sp.set(stack_pointer());
            self.depth.set(1);
            // Popped first, so it runs once (second bullet of `run`).
            dealloc(op);
            self.depth.set(0);
        }
    }
}

/// How many deallocs are waiting on this thread's trashcan (for tests and
/// statistics).
pub fn deferred_len() -> usize {
    crate::thread_state::with(|s| s.trashcan.deferred.get())
}
