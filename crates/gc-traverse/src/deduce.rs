//! Finding the unreachable objects of one list: `update_refs`,
//! `subtract_refs` and `move_unreachable`, with their visitprocs. Mirrors
//! `deduce_unreachable` of
//! [Python/gc.c](https://github.com/python/cpython/blob/v3.13.0/Python/gc.c).
//!
//! ```text
//!  base: a -> b -> c -> d             (doubly linked, untagged)
//!   1. update_refs    gc_prev := FINALIZED? | COLLECTING | count << 2
//!                     (singly linked from here on; immortals leave)
//!   2. subtract_refs  tp_traverse(op, visit_decref): gc_refs -= 1 per
//!                     internal edge to a collecting object
//!   3. move_unreachable  gc_refs > 0: reachable, tp_traverse(op,
//!                     visit_reachable), gc_prev := pointer again;
//!                     gc_refs == 0: tentatively unreachable, moved to
//!                     `unreachable` with gc_next | NEXT_MASK_UNREACHABLE,
//!                     and moved back to base's tail if something reaches it
//! ```
//!
//! Each pass reads the list as it stands after the one before: the first
//! two never meet a tag (a well-formed list has none), and in the third
//! `base`'s members are never tagged, so the walks read `gc_next` without
//! masking it. The third pass also counts the survivors, so the caller
//! never walks them again to size the list.

use core::ffi::{c_int, c_void};
use core::ptr;

use type_object::dealloc::type_name;
use type_object::gc_head::{
    GcHead, NEXT_MASK_UNREACHABLE, PREV_MASK_COLLECTING, PREV_MASK_FINALIZED, PREV_SHIFT,
};
use type_object::Object;

use crate::collector::{gc_header, traverse, traverse_error, GcError};
use crate::weakref::has_weakref_work;

/// One unit of `gc_refs` in a collecting object's `gc_prev` word.
const REFS_ONE: usize = 1 << PREV_SHIFT;

/// The flag bits of `gc_prev`.
const PREV_FLAGS: usize = PREV_MASK_FINALIZED | PREV_MASK_COLLECTING;

// `move_unreachable` sets FINALIZED on a header pointer by adding it: the
// bit must lie below the pointer's alignment.
const _: () = assert!(core::mem::align_of::<GcHead>() > PREV_MASK_FINALIZED);

/// What [`deduce_unreachable`] found: counts of the two lists it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deduced {
    /// Objects left in `base` (reachable from outside).
    pub(crate) survivors: usize,
    /// Objects moved to `unreachable`.
    pub(crate) unreachable: usize,
    /// Whether an object moved to `unreachable` (perhaps to come back) has
    /// a legacy finalizer or a finalizer, is a weak reference, or is
    /// weakly referenced. When none has, the collection needs no walk of
    /// the garbage before clearing it: no object leaves for `finalizers`,
    /// and neither the finalizer nor the weakref phase finds work.
    pub(crate) needs_scan: bool,
}

/// Finds the unreachable objects of `base` and moves them to
/// `unreachable` (tagged, COLLECTING set); survivors stay in `base` with
/// COLLECTING cleared. Immortal members are untracked (3.14). Mirrors
/// `deduce_unreachable`.
///
/// On error both lists are doubly linked again and flags cleared, so the
/// caller can merge them back.
///
/// # Safety
/// - `base` is a well-formed list of live GC objects (no member tagged,
///   no member collecting); `unreachable` an empty list.
pub(crate) unsafe fn deduce_unreachable(
    base: &GcHead,
    unreachable: &GcHead,
) -> Result<Deduced, GcError> {
    // SAFETY: first bullet.
    let candidates = unsafe { update_refs(base) };
    // SAFETY: first bullet; `update_refs` set every member's gc_refs.
    if let Err(err) = unsafe { subtract_refs(base) } {
        restore_list(base);
        return Err(err);
    }
    // SAFETY: both bullets; gc_refs are final.
    match unsafe { move_unreachable(base, unreachable) } {
        Ok((survivors, needs_scan)) => Ok(Deduced {
            survivors,
            unreachable: candidates - survivors,
            needs_scan,
        }),
        Err(err) => {
            restore_list(base);
            restore_list(unreachable);
            Err(err)
        }
    }
}

/// `update_refs`: `gc_refs := count` and COLLECTING set for every mortal
/// member; the list becomes singly linked behind the walk (`gc_prev` holds
/// `gc_refs`). Immortal members are never collected and leave the list
/// (3.14's `update_refs`; 3.13 moves them to the permanent generation).
/// Returns how many members stay (the candidates).
///
/// # Safety
/// - `base` is a well-formed list of live GC objects, none tagged.
unsafe fn update_refs(base: &GcHead) -> usize {
    let end = ptr::from_ref(base).cast_mut();
    let mut candidates = 0;
    let mut g = base.gc_next.get();
    while g != end {
        // SAFETY: first bullet: `g` is a live member whose `gc_next` is an
        // untagged pointer to the next member (or the sentinel).
        let next = unsafe { (*g).gc_next.get() };
        // SAFETY: first bullet: members are live GC objects.
        let word = unsafe { &(*GcHead::object(g)).ob_refcnt };
        if word.is_immortal() {
            // SAFETY: `g` is a live member whose `gc_prev` is still a
            // pointer (this walk has not reached it).
            unsafe { untrack_immortal(g) };
        } else {
            // Mortal: the count is below 2^31, so the shift keeps it whole.
            let refs = (word.refcnt() as usize) << PREV_SHIFT;
            // SAFETY: first bullet: a live header.
            let prev = unsafe { &(*g).gc_prev };
            let finalized = prev.get().addr() & PREV_MASK_FINALIZED;
            prev.set(ptr::without_provenance_mut(
                finalized | PREV_MASK_COLLECTING | refs,
            ));
            candidates += 1;
        }
        g = next;
    }
    candidates
}

/// Unlinks an immortal member during `update_refs`. Out of line: the walk
/// rarely meets one.
///
/// # Safety
/// - `g` is a live member of a list being walked by `update_refs`, not yet
///   reached: its `gc_prev` and its successor's still hold pointers, and
///   its predecessor's `gc_next` is all the unlink writes there.
#[cold]
#[inline(never)]
unsafe fn untrack_immortal(g: *mut GcHead) {
    // SAFETY: first bullet.
    unsafe { GcHead::unlink(g) };
}

/// `subtract_refs`: `tp_traverse(op, visit_decref)` for each member, so
/// that each `gc_refs` ends as the references from outside the list.
///
/// # Errors
/// [`GcError::Traverse`] when a traverse returns non-zero (the walk stops
/// there); [`GcError::RefcountTooSmall`] when a traverse visited a
/// collecting object more often than it is counted.
///
/// # Safety
/// - `base` is a list after `update_refs`: live GC members linked through
///   untagged `gc_next`, each with `gc_refs` set.
unsafe fn subtract_refs(base: &GcHead) -> Result<(), GcError> {
    let end = ptr::from_ref(base).cast_mut();
    let mut too_small: Option<*mut Object> = None;
    let arg = ptr::from_mut(&mut too_small).cast::<c_void>();
    let mut g = base.gc_next.get();
    while g != end {
        // SAFETY: first bullet: members are live GC objects.
        let op = unsafe { GcHead::object(g) };
        // SAFETY: first bullet; `visit_decref` only adjusts gc_refs of
        // collecting objects and writes `arg`, an `Option<*mut Object>`.
        let r = unsafe { traverse(op, visit_decref, arg) };
        if r != 0 {
            return Err(traverse_error(op, r));
        }
        // SAFETY: first bullet: a traverse neither links nor unlinks.
        g = unsafe { (*g).gc_next.get() };
    }
    match too_small {
        None => Ok(()),
        Some(op) => Err(GcError::RefcountTooSmall {
            // SAFETY: a live object visited by a traverse.
            type_name: unsafe { type_name(op) },
            addr: op as usize,
            // SAFETY: as above.
            refcnt: unsafe { (*op).ob_refcnt.refcnt() },
        }),
    }
}

/// `visit_decref`: one internal reference less for a collecting object.
///
/// # Safety
/// - `op` is a live object; `arg` is the `Option<*mut Object>` of
///   `subtract_refs`.
unsafe extern "C" fn visit_decref(op: *mut Object, arg: *mut c_void) -> c_int {
    // SAFETY: first bullet.
    if let Some(g) = unsafe { gc_header(op) } {
        // SAFETY: the header of a live GC object.
        let prev = unsafe { &(*g).gc_prev };
        let word = prev.get().addr();
        if word & PREV_MASK_COLLECTING != 0 {
            if word < REFS_ONE {
                // SAFETY: both bullets.
                unsafe { note_too_small(op, arg) };
            } else {
                // gc_refs - 1, flags kept: gc_refs sits above them.
                prev.set(ptr::without_provenance_mut(word - REFS_ONE));
            }
        }
    }
    0
}

/// Records the first object whose `gc_refs` would go below zero (a
/// traverse visits a reference it does not own). CPython's debug build
/// asserts here.
///
/// # Safety
/// - `arg` is the `Option<*mut Object>` of `subtract_refs`.
#[cold]
#[inline(never)]
unsafe fn note_too_small(op: *mut Object, arg: *mut c_void) {
    // SAFETY: first bullet.
    let slot = unsafe { &mut *arg.cast::<Option<*mut Object>>() };
    slot.get_or_insert(op);
}

/// Mirrors `move_unreachable`: scans `young`; objects with gc_refs > 0
/// are reachable and make everything they reach reachable; the others move
/// (tagged) to `unreachable`, possibly to come back. Returns how many stay
/// in `young`, and [`Deduced::needs_scan`] for the objects it moved.
///
/// # Errors
/// [`GcError::Traverse`] when a traverse returns non-zero; both lists are
/// left walkable through `gc_next` for [`restore_list`].
///
/// # Safety
/// - `young` is a list after `subtract_refs`; `unreachable` an empty list.
unsafe fn move_unreachable(young: &GcHead, unreachable: &GcHead) -> Result<(usize, bool), GcError> {
    let young_ptr = ptr::from_ref(young).cast_mut();
    let unreachable_ptr = ptr::from_ref(unreachable).cast_mut();
    let mut prev = young_ptr;
    let mut survivors = 0;
    // Kept in memory, not in a register: the reachable path (the common
    // one) needs every callee-saved register across its traverse call.
    let mut needs_scan = false;
    let needs_scan_ref = core::hint::black_box(&mut needs_scan);
    // `young`'s members (and its sentinel) are never tagged: read
    // `gc_next` as is.
    let mut g = young.gc_next.get();
    while g != young_ptr {
        // SAFETY: first bullet: `g` is a live member of `young` (all
        // headers this loop touches are live members of the two lists).
        let word = unsafe { (*g).gc_prev.get().addr() };
        if word >= REFS_ONE {
            // SAFETY: a live GC object.
            let op = unsafe { GcHead::object(g) };
            // SAFETY: `visit_reachable` moves collecting objects back to
            // `young`'s tail; `young` keeps its true tail in gc_prev.
            let r = unsafe { traverse(op, visit_reachable, young_ptr.cast()) };
            if r != 0 {
                let err = traverse_error(op, r);
                // Leave the lists walkable: young's scanned prefix is
                // linked through gc_next already; finish the tag repair.
                unreachable.gc_next.set(unreachable.next());
                return Err(err);
            }
            // Relink its prev, drop COLLECTING. The traverse left `g`'s
            // word alone: `visit_reachable` writes only tagged objects and
            // objects at gc_refs 0. `prev` is aligned, so adding the bit
            // sets it (one `lea`, where `|` needs a mask first).
            let finalized = word & PREV_MASK_FINALIZED;
            // SAFETY: `g` is live.
            unsafe { (*g).gc_prev.set(prev.wrapping_byte_add(finalized)) };
            prev = g;
            survivors += 1;
        } else {
            // Move `g` to `unreachable` (singly linked in `young`).
            // SAFETY: `prev`, `g` and the unreachable tail are live.
            unsafe {
                (*prev).gc_next.set((*g).gc_next.get());
                let last = unreachable.prev();
                (*last)
                    .gc_next
                    .set(g.map_addr(|a| a | NEXT_MASK_UNREACHABLE));
                (*g).set_prev(last);
                (*g).gc_next
                    .set(unreachable_ptr.map_addr(|a| a | NEXT_MASK_UNREACHABLE));
            }
            unreachable.set_prev(g);
            // The header's line is in cache: note now what the garbage
            // phases would walk the list again to learn.
            // SAFETY: `g` is a live GC object.
            *needs_scan_ref |= unsafe { needs_scan_as_garbage(GcHead::object(g)) };
        }
        // SAFETY: `prev` is live (a member of `young`, or its sentinel).
        g = unsafe { (*prev).gc_next.get() };
    }
    young.set_prev(prev);
    unreachable.gc_next.set(unreachable.next());
    Ok((survivors, needs_scan))
}

/// Whether an unreachable `op` gives the garbage phases work: a legacy
/// finalizer (`tp_del`), a finalizer (`tp_finalize`, run or not), or weak
/// references.
///
/// # Safety
/// - `op` is a live object.
#[inline]
unsafe fn needs_scan_as_garbage(op: *mut Object) -> bool {
    // SAFETY: first bullet; T3: the type outlives its instance.
    let ty = unsafe { &*(*op).ob_type };
    // SAFETY: first bullet.
    ty.tp_del.is_some() || ty.tp_finalize.is_some() || unsafe { has_weakref_work(op) }
}

/// `visit_reachable`: makes a collecting object reachable.
///
/// # Safety
/// - `op` is a live object; `arg` is the `young` sentinel of a running
///   `move_unreachable`.
unsafe extern "C" fn visit_reachable(op: *mut Object, arg: *mut c_void) -> c_int {
    let young = arg.cast::<GcHead>();
    // SAFETY: first bullet.
    let Some(g) = (unsafe { gc_header(op) }) else {
        return 0;
    };
    // SAFETY: the header of a live GC object.
    let prev = unsafe { &(*g).gc_prev };
    let prev_word = prev.get();
    if prev_word.addr() & PREV_MASK_COLLECTING == 0 {
        return 0;
    }
    // SAFETY: `g` is a live header in `young` or `unreachable`.
    let next_word = unsafe { (*g).gc_next.get() };
    if next_word.addr() & NEXT_MASK_UNREACHABLE != 0 {
        // Back from `unreachable` to the tail of `young`. In `unreachable`
        // `gc_prev` is a pointer (with the flags).
        let flags = prev_word.addr() & PREV_FLAGS;
        let before = prev_word.map_addr(|a| a & !PREV_FLAGS);
        // SAFETY: `g`'s neighbours in `unreachable` are live (its list is
        // doubly linked), and `young`'s gc_prev is its true tail (second
        // bullet).
        unsafe {
            let after = (*g).next();
            (*before).gc_next.set(next_word); // keeps the tag
            (*after).set_prev(before);
            let last = (*young).prev();
            (*last).gc_next.set(g);
            (*g).gc_next.set(young);
            (*young).set_prev(g);
        }
        prev.set(ptr::without_provenance_mut(flags | REFS_ONE));
    } else if prev_word.addr() < REFS_ONE {
        // gc_refs 0 -> 1: the scan of `young` will reach it.
        prev.set(ptr::without_provenance_mut(prev_word.addr() | REFS_ONE));
    }
    0
}

/// Rebuilds `gc_prev` pointers of a list walked through `gc_next`, and
/// clears the collecting bit and unreachable tags. Used to undo an
/// abandoned collection.
fn restore_list(head: &GcHead) {
    let mut prev = ptr::from_ref(head).cast_mut();
    let end = prev;
    let mut g = head.next();
    while g != end {
        // SAFETY: members are live headers reachable through `gc_next`.
        unsafe {
            let finalized = (*g).gc_prev.get().addr() & PREV_MASK_FINALIZED;
            (*g).gc_prev.set(prev.map_addr(|a| a | finalized));
            let next = (*g).next();
            (*g).gc_next.set(next);
            prev = g;
            g = next;
        }
    }
    head.set_prev(prev);
    head.gc_next.set(head.next());
}
