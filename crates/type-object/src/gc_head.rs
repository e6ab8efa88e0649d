//! The GC header: two words in front of every instance of a
//! `Py_TPFLAGS_HAVE_GC` type, linking it into one of the collector's
//! doubly linked lists. Mirrors `PyGC_Head`
//! ([Include/internal/pycore_gc.h](https://github.com/python/cpython/blob/v3.14.0/Include/internal/pycore_gc.h)).
//!
//! ```text
//!   block:  | gc_next | gc_prev | ob_refcnt | ob_type | payload ... |
//!           ^ GcHead            ^ the object pointer (PyObject *)
//! ```
//!
//! The layout lives here, below the collector, because allocation reserves
//! it and dealloc unlinks it; the collector (gc-traverse) owns the lists.
//!
//! Bits, as CPython keeps them:
//! - `gc_next` null ⇔ untracked. During a collection bit 0 of `gc_next`
//!   marks an object moved to the unreachable list
//!   ([`NEXT_MASK_UNREACHABLE`]).
//! - `gc_prev` bit 0 is [`PREV_MASK_FINALIZED`] (PEP 442: finalized once),
//!   bit 1 [`PREV_MASK_COLLECTING`]; while collecting, the rest of the word
//!   holds `gc_refs << 2` instead of the pointer, and the list is singly
//!   linked until the collector restores it.
//!
//! Pointers keep their provenance (tags are set with `map_addr`); a
//! `gc_refs` word is made with `without_provenance` and never
//! dereferenced.

use core::cell::Cell;
use core::ptr;

use crate::object::Object;

/// `gc_prev` bit: the object's `tp_finalize` has run. Mirrors
/// `_PyGC_PREV_MASK_FINALIZED`.
pub const PREV_MASK_FINALIZED: usize = 1;
/// `gc_prev` bit: the object takes part in the running collection. Mirrors
/// `_PyGC_PREV_MASK_COLLECTING`.
pub const PREV_MASK_COLLECTING: usize = 2;
/// How far `gc_refs` (or the pointer) is shifted in `gc_prev`. Mirrors
/// `_PyGC_PREV_SHIFT`.
pub const PREV_SHIFT: u32 = 2;
/// `gc_next` bit during a collection: the object is on the unreachable
/// list. Mirrors `NEXT_MASK_UNREACHABLE` (3.13's value).
pub const NEXT_MASK_UNREACHABLE: usize = 1;

const PREV_FLAGS: usize = PREV_MASK_FINALIZED | PREV_MASK_COLLECTING;

/// The two-word GC header. Also the sentinel of a list: a list head is a
/// `GcHead` whose `gc_next`/`gc_prev` point to itself when empty.
#[repr(C)]
#[derive(Debug)]
pub struct GcHead {
    /// Next in the list; null when untracked.
    pub gc_next: Cell<*mut GcHead>,
    /// Previous in the list, plus the flag bits (see the module docs).
    pub gc_prev: Cell<*mut GcHead>,
}

const _: () = assert!(core::mem::size_of::<GcHead>() == 16);

/// The bytes reserved in front of a GC object.
pub const PRE_HEADER_SIZE: usize = core::mem::size_of::<GcHead>();

impl GcHead {
    /// An unlinked header (also an unlinked sentinel: call
    /// [`init_list`](Self::init_list) once it has its final address).
    pub const fn new() -> GcHead {
        GcHead {
            gc_next: Cell::new(ptr::null_mut()),
            gc_prev: Cell::new(ptr::null_mut()),
        }
    }

    /// The header of a GC object. Mirrors `_Py_AS_GC`.
    ///
    /// # Safety
    /// - `op` is an instance of a `Py_TPFLAGS_HAVE_GC` type allocated with
    ///   its pre-header (the generic allocator reserves it).
    #[inline]
    pub unsafe fn of(op: *mut Object) -> *mut GcHead {
        // SAFETY: first bullet: the header is the 16 bytes before the
        // object, in the same block.
        unsafe { op.cast::<GcHead>().sub(1) }
    }

    /// The object behind a header. Mirrors `_Py_FROM_GC`.
    ///
    /// # Safety
    /// - `g` is the header of a GC object (not a list sentinel).
    #[inline]
    pub unsafe fn object(g: *mut GcHead) -> *mut Object {
        // SAFETY: first bullet: the object follows its header in the block.
        unsafe { g.add(1).cast() }
    }

    /// Makes `self` an empty list: both links point to itself.
    pub fn init_list(&self) {
        let me = ptr::from_ref(self).cast_mut();
        self.gc_next.set(me);
        self.gc_prev.set(me);
    }

    /// Whether a list sentinel has no members.
    pub fn list_is_empty(&self) -> bool {
        ptr::eq(self.gc_next.get(), self)
    }

    /// Whether the object is in one of the collector's lists. Mirrors
    /// `_PyObject_GC_IS_TRACKED`.
    #[inline]
    pub fn is_tracked(&self) -> bool {
        !self.gc_next.get().is_null()
    }

    /// The `gc_prev` pointer without flag bits.
    #[inline]
    pub fn prev(&self) -> *mut GcHead {
        self.gc_prev.get().map_addr(|a| a & !PREV_FLAGS)
    }

    /// The `gc_next` pointer without the unreachable tag.
    #[inline]
    pub fn next(&self) -> *mut GcHead {
        self.gc_next.get().map_addr(|a| a & !NEXT_MASK_UNREACHABLE)
    }

    /// Sets `gc_prev`, keeping the flag bits.
    #[inline]
    pub fn set_prev(&self, prev: *mut GcHead) {
        let flags = self.gc_prev.get().addr() & PREV_FLAGS;
        self.gc_prev.set(prev.map_addr(|a| a | flags));
    }

    /// Whether `tp_finalize` already ran. Mirrors `_PyGC_FINALIZED`.
    #[inline]
    pub fn is_finalized(&self) -> bool {
        self.gc_prev.get().addr() & PREV_MASK_FINALIZED != 0
    }

    /// Records that `tp_finalize` ran. Mirrors `_PyGC_SET_FINALIZED`.
    #[inline]
    pub fn set_finalized(&self) {
        self.gc_prev
            .set(self.gc_prev.get().map_addr(|a| a | PREV_MASK_FINALIZED));
    }

    /// Appends `g` at the tail of the list `head`. Mirrors
    /// `gc_list_append`.
    ///
    /// # Safety
    /// - `head` is an initialised list sentinel and `g` an unlinked header,
    ///   both live, and no collection restructures `head` concurrently.
    #[inline]
    pub unsafe fn append(head: &GcHead, g: *mut GcHead) {
        let head_ptr = ptr::from_ref(head).cast_mut();
        let last = head.prev();
        // SAFETY: first bullet: `last` is a member (or the sentinel) of a
        // well-formed list; `g` is live.
        unsafe {
            (*last).gc_next.set(g);
            (*g).set_prev(last);
            (*g).gc_next.set(head_ptr);
        }
        head.set_prev(g);
    }

    /// Unlinks a tracked header from its list, keeping only the FINALIZED
    /// bit, so it reads as untracked. Mirrors `_PyObject_GC_UNTRACK`.
    ///
    /// # Safety
    /// - `g` is tracked, in a well-formed list (not during a collection's
    ///   singly linked phase).
    #[inline]
    pub unsafe fn unlink(g: *mut GcHead) {
        // SAFETY: first bullet: both neighbours are live list members.
        unsafe {
            let prev = (*g).prev();
            let next = (*g).next();
            (*prev).gc_next.set(next);
            (*next).set_prev(prev);
            (*g).gc_next.set(ptr::null_mut());
            let finalized = (*g).gc_prev.get().addr() & PREV_MASK_FINALIZED;
            (*g).gc_prev.set(ptr::without_provenance_mut(finalized));
        }
    }

    /// Moves every member of `from` to the tail of `to`, leaving `from`
    /// empty. Mirrors `gc_list_merge`.
    ///
    /// # Safety
    /// - Both are initialised, well-formed lists.
    pub unsafe fn merge(from: &GcHead, to: &GcHead) {
        if from.list_is_empty() {
            return;
        }
        let to_ptr = ptr::from_ref(to).cast_mut();
        let to_tail = to.prev();
        let first = from.next();
        let last = from.prev();
        // SAFETY: first bullet: all four are live members or sentinels.
        unsafe {
            (*to_tail).gc_next.set(first);
            (*first).set_prev(to_tail);
            (*last).gc_next.set(to_ptr);
        }
        to.set_prev(last);
        from.init_list();
    }
}

impl Default for GcHead {
    fn default() -> Self {
        GcHead::new()
    }
}

/// Untracks a GC object if it is tracked. Mirrors `PyObject_GC_UnTrack`
/// (idempotent, unlike `_PyObject_GC_UNTRACK`).
///
/// # Safety
/// - `op` is an instance of a `Py_TPFLAGS_HAVE_GC` type with its
///   pre-header, and no collection is in its singly linked phase.
#[inline]
pub unsafe fn untrack(op: *mut Object) {
    // SAFETY: first bullet.
    let g = unsafe { GcHead::of(op) };
    // SAFETY: first bullet: the header is live.
    if unsafe { (*g).is_tracked() } {
        // SAFETY: tracked, in a well-formed list (first bullet).
        unsafe { GcHead::unlink(g) };
    }
}
