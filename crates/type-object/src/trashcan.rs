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

/// A flavour's dispatch: deallocates the object at the pointer (a default
/// [`Object`](crate::Object) or a free-threaded
/// [`FtObject`](crate::ft::FtObject)).
pub(crate) type Dispatch = unsafe fn(*mut u8);

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
    /// The outermost dealloc's stack pointer less [`STACK_BUDGET`]: a
    /// nested dealloc below it defers. Stacks grow down on every target
    /// std supports; were one to grow up, only the depth limit would
    /// apply.
    limit_sp: Cell<usize>,
    /// How many objects wait on [`DELETE_LATER`]; read on every outermost
    /// dealloc, so it lives here rather than behind the list's
    /// thread-local.
    deferred: Cell<usize>,
}

thread_local! {
    /// Deposited objects with their flavour's dispatch, drained last in,
    /// first out. Only the cold paths touch it.
    static DELETE_LATER: UnsafeCell<Vec<(*mut u8, Dispatch)>> = const { UnsafeCell::new(Vec::new()) };
}

/// The approximate stack pointer: the address of a local.
#[inline(always)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    core::ptr::addr_of!(marker) as usize
}

/// The lowest stack address the deallocs nested in one starting here may
/// reach before deferring. Wraps: a stack pointer below the budget (never
/// seen on a real stack) would make every nested dealloc defer, which is
/// slower but still bounded.
#[inline(always)]
fn stack_limit() -> usize {
    stack_pointer().wrapping_sub(STACK_BUDGET)
}

impl Trashcan {
    pub(crate) const fn new() -> Trashcan {
        Trashcan {
            depth: Cell::new(0),
            limit_sp: Cell::new(0),
            deferred: Cell::new(0),
        }
    }

    /// Runs `dealloc(op)` with bounded nesting, or deposits `op` with its
    /// `dealloc` for the outermost call to run.
    ///
    /// # Safety
    /// - `op`'s count reached 0 and nothing else will deallocate it.
    /// - `dealloc` is sound to call exactly once on `op`.
    #[inline(always)]
    pub(crate) unsafe fn run(&self, op: *mut u8, dealloc: Dispatch) {
        let depth = self.depth.get();
        if depth == 0 {
            // The outermost dealloc: two copies of the nesting, so that
            // neither keeps the depth across the call.
            self.limit_sp.set(stack_limit());
            {
                let _nesting = Nesting::enter(&self.depth);
                // SAFETY: both bullets.
                unsafe { dealloc(op) };
            }
            if self.deferred.get() != 0 {
                // SAFETY: every deposited object reached 0 and is
                // deallocated exactly once by its own dispatch, popped
                // before it runs.
                unsafe { self.drain() };
            }
            return;
        }
        if depth >= UNWIND_LEVEL || (HEADROOM_MEASURABLE && stack_pointer() < self.limit_sp.get()) {
            self.deposit(op, dealloc);
            return;
        }
        let _nesting = Nesting::enter(&self.depth);
        // SAFETY: both bullets.
        unsafe { dealloc(op) };
    }

    #[cold]
    #[inline(never)]
    fn deposit(&self, op: *mut u8, dealloc: Dispatch) {
        // SAFETY: the list is only touched by this thread, and never while
        // a reference into it is held (push and pop are whole operations).
        DELETE_LATER.with(|l| unsafe { (*l.get()).push((op, dealloc)) });
        self.deferred.set(self.deferred.get() + 1);
    }

    /// # Safety
    /// - Every object on the list reached 0 and awaits its one dealloc,
    ///   which its dispatch performs soundly.
    #[cold]
    #[inline(never)]
    unsafe fn drain(&self) {
        // SAFETY: as in `deposit`: the pop is a whole operation.
        while let Some((op, dealloc)) = DELETE_LATER.with(|l| unsafe { (*l.get()).pop() }) {
            self.deferred.set(self.deferred.get() - 1);
            self.limit_sp.set(stack_limit());
            let _nesting = Nesting::enter(&self.depth);
            // SAFETY: popped first, so it runs once (first bullet).
            unsafe { dealloc(op) };
        }
    }
}

/// One level of dealloc nesting: raises the depth on entry and lowers it
/// on exit, also when a dealloc panics (checked mode's errors do), so the
/// trashcan keeps draining afterwards. Every level a dealloc enters it also
/// leaves, so lowering by one restores the depth it found, and nothing but
/// the cell needs keeping across the call.
struct Nesting<'a> {
    depth: &'a Cell<u32>,
}

impl<'a> Nesting<'a> {
    #[inline(always)]
    fn enter(depth: &'a Cell<u32>) -> Nesting<'a> {
        depth.set(depth.get() + 1);
        Nesting { depth }
    }
}

impl Drop for Nesting<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.depth.set(self.depth.get() - 1);
    }
}

/// How many deallocs are waiting on this thread's trashcan (for tests and
/// statistics).
pub fn deferred_len() -> usize {
    crate::thread_state::with(|s| s.trashcan.deferred.get())
}
