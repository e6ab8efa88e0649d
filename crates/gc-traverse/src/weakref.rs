//! Weak references: the `weakref.ref` object, the per-referent list of
//! weak references, clearing at dealloc, and the collector's
//! `handle_weakrefs` phase. Mirrors
//! [Objects/weakrefobject.c](https://github.com/python/cpython/blob/v3.13.0/Objects/weakrefobject.c)
//! and `handle_weakrefs` of
//! [Python/gc.c](https://github.com/python/cpython/blob/v3.13.0/Python/gc.c)
//! (CPython 3.13).
//!
//! ```text
//!   referent                    weakref            weakref
//!  +-----------+               +-----------+      +-----------+
//!  | header    |<--wr_object---| wr_object |      | wr_object |--> referent
//!  | ...       |               | callback  |      | callback  |--> callable
//!  | weaklist -+-------------->| wr_next  -+----->| wr_next   |--> null
//!  +-----------+   (head at    | wr_prev   |<-----+-wr_prev   |
//!                tp_weaklist-  +-----------+      +-----------+
//!                   offset)
//! ```
//!
//! A weak reference does not own its referent: `wr_object` is a borrowed
//! pointer, valid because the referent clears every weak reference to it
//! before its memory goes: its `tp_dealloc` calls
//! [`PyObject_ClearWeakRefs`], and the collector clears them in its
//! weak-reference phase before it breaks a garbage cycle. A cleared weak reference has a null
//! `wr_object` (CPython stores `Py_None`).
//!
//! As in CPython, the callback-less reference (the "basic" ref) sits at the
//! head of the list and is shared: [`PyWeakref_NewRef`] with a null
//! callback returns it again instead of making a second one.
//!
//! # Examples
//! ```
//! use core::cell::Cell;
//! use core::mem::{offset_of, size_of};
//! use core::ptr::{addr_of, null_mut};
//! use std::rc::Rc;
//!
//! use gc_traverse::weakref::{self, PyObject_ClearWeakRefs, PyWeakref_GetRef, PyWeakref_NewRef};
//! use type_object::{create, refs, Object, TypeObject};
//!
//! #[repr(C)]
//! struct Node { ob_base: Object, weaklist: *mut Object }
//!
//! unsafe extern "C" fn node_dealloc(op: *mut Object) {
//!     // SAFETY: the count of `op` reached 0; weak references go first,
//!     // then the block.
//!     unsafe {
//!         PyObject_ClearWeakRefs(op);
//!         create::free_object(op);
//!     }
//! }
//!
//! static NODE: TypeObject = TypeObject {
//!     tp_name: "Node",
//!     tp_basicsize: size_of::<Node>() as isize,
//!     tp_dealloc: Some(node_dealloc),
//!     tp_weaklistoffset: offset_of!(Node, weaklist) as isize,
//!     ..TypeObject::DEFAULT
//! };
//!
//! let calls = Rc::new(Cell::new(0));
//! let seen = calls.clone();
//! let cb = weakref::callback(move |_wr| seen.set(seen.get() + 1));
//! // SAFETY: every pointer below is an object this example allocated and
//! // still owns a reference to.
//! unsafe {
//!     NODE.ready().unwrap();
//!     let node = create::alloc_object(addr_of!(NODE).cast_mut(), 0).unwrap().as_ptr();
//!     let wr = PyWeakref_NewRef(node, cb);
//!
//!     let mut out = null_mut();
//!     assert_eq!(PyWeakref_GetRef(wr, &mut out), 1);
//!     assert_eq!(out, node);
//!     refs::decref(out);
//!
//!     refs::decref(node); // the last reference: the callback runs
//!     assert_eq!(calls.get(), 1);
//!     assert_eq!(PyWeakref_GetRef(wr, &mut out), 0);
//!     assert!(out.is_null());
//! #   refs::decref(wr);
//! #   refs::decref(cb);
//! }
//! ```

use core::cell::RefCell;
use core::ffi::{c_int, c_void};
use core::mem::{offset_of, size_of};
use core::ptr::{self, addr_of, null_mut};

use type_object::create::{self, gc_del};
use type_object::gc_head::{self, GcHead, PREV_MASK_COLLECTING};
use type_object::handle::Instance;
use type_object::refs::{decref, incref, xdecref, xincref};
use type_object::type_object::{VisitFn, TPFLAGS_HAVE_GC, TPFLAGS_READY};
use type_object::{Object, TypeObject};

/// A weak reference object. Mirrors `PyWeakReference`
/// ([Include/cpython/weakrefobject.h](https://github.com/python/cpython/blob/v3.13.0/Include/cpython/weakrefobject.h))
/// without its `vectorcall` slot.
///
/// ```text
///  0          16          24            32     40        48        56
/// +----------+-----------+-------------+------+---------+---------+
/// | header   | wr_object | wr_callback | hash | wr_prev | wr_next |
/// +----------+-----------+-------------+------+---------+---------+
///              borrowed    strong        -1:    the referent's list
///              or null     or null       unset  (null at the ends)
/// ```
///
/// Instances are GC objects of [`WEAKREF_TYPE`]: the callback can close a
/// cycle through the weak reference.
#[repr(C)]
pub struct WeakReference {
    /// The header (T1: first).
    pub ob_base: Object,
    /// The referent, borrowed; null once cleared (CPython: `Py_None`).
    pub wr_object: *mut Object,
    /// The callback (a strong reference), or null.
    pub wr_callback: *mut Object,
    /// The cached hash of the referent, -1 while not computed. objmodel
    /// has no hashing yet; the field keeps CPython's layout.
    pub hash: isize,
    /// The previous weak reference to the same referent, or null at the
    /// head of its list.
    pub wr_prev: *mut WeakReference,
    /// The next weak reference to the same referent, or null.
    pub wr_next: *mut WeakReference,
}

// CPython's field order and offsets up to `wr_next`, so code written
// against `PyWeakReference` reads the same fields.
const _: () = assert!(offset_of!(WeakReference, wr_object) == 16);
const _: () = assert!(offset_of!(WeakReference, wr_callback) == 24);
const _: () = assert!(offset_of!(WeakReference, hash) == 32);
const _: () = assert!(offset_of!(WeakReference, wr_next) == 48);
const _: () = assert!(size_of::<WeakReference>() == 56);
// The dealloc frees the block without dropping anything in it.
const _: () = assert!(!core::mem::needs_drop::<WeakReference>());

/// The type of weak references. Mirrors `_PyWeakref_RefType`
/// (`weakref.ReferenceType`): a GC type whose `tp_traverse` visits the
/// callback, whose `tp_clear` clears the reference and drops the callback,
/// and whose `tp_dealloc` unlinks it from its referent's list.
pub static WEAKREF_TYPE: TypeObject = TypeObject {
    tp_name: "weakref.ReferenceType",
    tp_basicsize: size_of::<WeakReference>() as isize,
    tp_flags: TPFLAGS_HAVE_GC,
    tp_dealloc: Some(weakref_dealloc),
    tp_traverse: Some(weakref_traverse),
    tp_clear: Some(weakref_clear),
    ..TypeObject::DEFAULT
};

/// Readies a static type once (idempotent, so a race only repeats it).
fn ensure_ready(ty: &'static TypeObject) -> *mut TypeObject {
    if ty.flags() & TPFLAGS_READY == 0 {
        ty.ready()
            .expect("the weakref module's static types are valid");
    }
    ptr::from_ref(ty).cast_mut()
}

/// Whether `op` is a weak reference. Mirrors `PyWeakref_CheckRef` (objmodel
/// has no subtypes of it).
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub unsafe fn is_weakref(op: *mut Object) -> bool {
    // SAFETY: first bullet: the header is readable.
    ptr::eq(unsafe { (*op).ob_type }, &WEAKREF_TYPE)
}

/// Whether [`handle_weakrefs`] has anything to do for `op`: it is a weak
/// reference, or weak references to it exist. The collector asks while it
/// walks the garbage anyway, and skips the weakref pass when no member
/// says yes.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
pub(crate) unsafe fn has_weakref_work(op: *mut Object) -> bool {
    // SAFETY: first bullet.
    if unsafe { is_weakref(op) } {
        return true;
    }
    // SAFETY: first bullet; a listed slot is a readable field of `op`.
    unsafe { weaklist(op) }.is_some_and(|list| !unsafe { list.read() }.is_null())
}

/// The head of `op`'s weak-reference list, or `None` when its type cannot
/// be weakly referenced (`tp_weaklistoffset` is not positive). Mirrors
/// `_PyObject_GET_WEAKREFS_LISTPTR`.
///
/// # Safety
/// - `op` points to a live object.
#[inline]
unsafe fn weaklist(op: *mut Object) -> Option<*mut *mut WeakReference> {
    // SAFETY: first bullet; T3: the type outlives its instance.
    let offset = unsafe { (*(*op).ob_type).tp_weaklistoffset };
    if offset <= 0 {
        return None;
    }
    // SAFETY: first bullet: a positive `tp_weaklistoffset` names a
    // pointer-sized field inside the instance.
    Some(unsafe { op.cast::<u8>().offset(offset).cast() })
}

/// Unlinks `wr` from its referent's list and nulls `wr_object`, leaving
/// the callback in place. Mirrors `_PyWeakref_ClearRef` /
/// `clear_weakref_lock_held(self, NULL)`.
///
/// # Safety
/// - `wr` is a live weak reference; if not yet cleared, its referent is
///   live (its memory at least: this runs from the referent's dealloc).
unsafe fn clear_ref(wr: *mut WeakReference) {
    // SAFETY: first bullet.
    let w = unsafe { &mut *wr };
    if w.wr_object.is_null() {
        return;
    }
    // SAFETY: first bullet: a referent that still lists `wr` supports weak
    // references.
    if let Some(list) = unsafe { weaklist(w.wr_object) } {
        // SAFETY: the list head of a live referent; its members are live
        // weak references (they unlink themselves before they go).
        unsafe {
            if *list == wr {
                *list = w.wr_next;
            }
            if !w.wr_prev.is_null() {
                (*w.wr_prev).wr_next = w.wr_next;
            }
            if !w.wr_next.is_null() {
                (*w.wr_next).wr_prev = w.wr_prev;
            }
        }
    }
    w.wr_object = null_mut();
    w.wr_prev = null_mut();
    w.wr_next = null_mut();
}

/// Clears `wr` and releases its callback. Mirrors `clear_weakref`.
///
/// # Safety
/// - As [`clear_ref`].
unsafe fn clear_weakref(wr: *mut WeakReference) {
    // SAFETY: first bullet.
    unsafe { clear_ref(wr) };
    // SAFETY: first bullet: `wr` is live; the callback slot is its own.
    let callback = unsafe { ptr::replace(&mut (*wr).wr_callback, null_mut()) };
    // SAFETY: the weak reference's strong reference to its callback.
    unsafe { xdecref(callback) };
}

/// `tp_dealloc` of [`WEAKREF_TYPE`]. Mirrors `weakref_dealloc`.
///
/// # Safety
/// - `op` is a weak reference whose count reached 0.
unsafe extern "C" fn weakref_dealloc(op: *mut Object) {
    // SAFETY: first bullet: a GC object with its pre-header; it was
    // reachable only through counted references, so no collection is
    // walking it in a singly linked phase.
    unsafe { gc_head::untrack(op) };
    // SAFETY: first bullet: live until freed below; a not-yet-cleared
    // referent is live (it clears its weak references before it goes).
    unsafe { clear_weakref(op.cast()) };
    // SAFETY: first bullet; the payload is torn down and untracked.
    unsafe { gc_del(op.cast::<c_void>()) };
}

/// `tp_traverse` of [`WEAKREF_TYPE`]: the callback is the only strong
/// reference. Mirrors `gc_traverse`.
///
/// # Safety
/// - `op` is a live weak reference; `visit` accepts `arg`.
unsafe extern "C" fn weakref_traverse(op: *mut Object, visit: VisitFn, arg: *mut c_void) -> c_int {
    // SAFETY: first bullet.
    unsafe {
        crate::Py_VISIT!((*op.cast::<WeakReference>()).wr_callback, visit, arg);
    }
    0
}

/// `tp_clear` of [`WEAKREF_TYPE`]: clears the reference and drops the
/// callback. Mirrors `gc_clear`.
///
/// # Safety
/// - `op` is a live weak reference whose referent, if not yet cleared, is
///   live.
unsafe extern "C" fn weakref_clear(op: *mut Object) -> c_int {
    // SAFETY: first bullet.
    unsafe { clear_weakref(op.cast()) };
    0
}

/// The shared callback-less weak reference to the owner of `head`, if any:
/// it is always at the head. Mirrors `get_basic_refs` (objmodel has no
/// proxies).
///
/// # Safety
/// - `head` is null or a live weak reference.
unsafe fn basic_ref(head: *mut WeakReference) -> *mut WeakReference {
    // SAFETY: first bullet.
    if !head.is_null() && unsafe { (*head).wr_callback.is_null() } {
        head
    } else {
        null_mut()
    }
}

/// Makes a new weak reference to `op` (or returns the shared callback-less
/// one) and returns a new reference to it. Mirrors `PyWeakref_NewRef`
/// ([Objects/weakrefobject.c](https://github.com/python/cpython/blob/v3.13.0/Objects/weakrefobject.c)).
///
/// A null `callback` means none (CPython also accepts `None`); then an
/// existing callback-less reference is reused. Otherwise the new reference
/// holds a strong reference to `callback`, which is called with the weak
/// reference as its argument when `op` goes.
///
/// See the [module example](self).
///
/// # Safety
/// - `op` points to a live object whose `tp_dealloc` calls
///   [`PyObject_ClearWeakRefs`] before freeing it.
/// - `callback` is null or a live object.
///
/// # Panics
/// When the type of `op` cannot be weakly referenced (`tp_weaklistoffset`
/// is 0): "cannot create weak reference to 'X' object", CPython's
/// `TypeError`. Also when memory runs out.
#[allow(non_snake_case)]
pub unsafe fn PyWeakref_NewRef(op: *mut Object, callback: *mut Object) -> *mut Object {
    // SAFETY: first bullet.
    let Some(list) = (unsafe { weaklist(op) }) else {
        // SAFETY: first bullet.
        unsafe { cannot_weakref(op) }
    };
    if callback.is_null() {
        // SAFETY: first bullet: the list head of a live object.
        let basic = unsafe { basic_ref(*list) };
        if !basic.is_null() {
            // SAFETY: a live member of the list.
            unsafe { incref(basic.cast()) };
            return basic.cast();
        }
    }
    let wr = alloc_weakref();
    // SAFETY: `wr` is a fresh, zeroed weak reference; second bullet.
    unsafe {
        (*wr).wr_object = op;
        (*wr).wr_callback = callback;
        (*wr).hash = -1;
        xincref(callback);
    }
    // Allocation may have run a collection (and callbacks): read the list
    // again before linking, as CPython does.
    // SAFETY: first bullet: `op` is still live (the caller's reference).
    let basic = unsafe { basic_ref(*list) };
    if callback.is_null() || basic.is_null() {
        // SAFETY: `list` is the live head; its members are live.
        unsafe { insert_head(wr, list) };
    } else {
        // SAFETY: `basic` is a live member of the list.
        unsafe { insert_after(wr, basic) };
    }
    wr.cast()
}

/// Allocates a zeroed weak reference (count 1), tracked by this thread's
/// collector. Mirrors `PyObject_GC_New` + `PyObject_GC_Track` in
/// `new_weakref`.
fn alloc_weakref() -> *mut WeakReference {
    let ty = ensure_ready(&WEAKREF_TYPE);
    // SAFETY: a readied static GC type with the generic allocator; the
    // zeroed payload is a valid, cleared weak reference.
    let op = crate::collector::with_default(|gc| unsafe { gc.alloc(ty, 0) });
    assert!(!op.is_null(), "out of memory allocating a weak reference");
    op.cast()
}

/// Links `wr` at the head of `list`. Mirrors `insert_head`.
///
/// # Safety
/// - `wr` is an unlinked weak reference; `list` a live list head.
unsafe fn insert_head(wr: *mut WeakReference, list: *mut *mut WeakReference) {
    // SAFETY: first bullet; the old head is null or a live member.
    unsafe {
        let next = *list;
        (*wr).wr_prev = null_mut();
        (*wr).wr_next = next;
        if !next.is_null() {
            (*next).wr_prev = wr;
        }
        *list = wr;
    }
}

/// Links `wr` right after `prev`. Mirrors `insert_after`.
///
/// # Safety
/// - `wr` is an unlinked weak reference; `prev` a live list member.
unsafe fn insert_after(wr: *mut WeakReference, prev: *mut WeakReference) {
    // SAFETY: first bullet; `prev`'s successor is null or a live member.
    unsafe {
        (*wr).wr_prev = prev;
        (*wr).wr_next = (*prev).wr_next;
        if !(*prev).wr_next.is_null() {
            (*(*prev).wr_next).wr_prev = wr;
        }
        (*prev).wr_next = wr;
    }
}

/// The panic of [`PyWeakref_NewRef`] on a type without a weak-reference
/// list.
///
/// # Safety
/// - `op` points to a live object.
#[cold]
#[inline(never)]
unsafe fn cannot_weakref(op: *mut Object) -> ! {
    // SAFETY: first bullet; T3.
    let name = unsafe { (*(*op).ob_type).tp_name };
    panic!("cannot create weak reference to '{name}' object (at {op:p}: its type has tp_weaklistoffset 0)")
}

/// Reads a weak reference: stores a new strong reference to the referent
/// in `*out` and returns 1 while it is alive; stores null and returns 0
/// once it is gone; stores null and returns -1 when `wr` is not a weak
/// reference (CPython's `TypeError`, "expected a weakref"). Mirrors
/// `PyWeakref_GetRef` of CPython 3.13
/// ([Objects/weakrefobject.c](https://github.com/python/cpython/blob/v3.13.0/Objects/weakrefobject.c)).
///
/// A referent whose count already reached 0 reads as gone, even if the
/// trashcan delayed its dealloc (gh-60806).
///
/// See the [module example](self).
///
/// # Safety
/// - `wr` is null or points to a live object; `out` is valid for a write.
#[allow(non_snake_case)]
pub unsafe fn PyWeakref_GetRef(wr: *mut Object, out: *mut *mut Object) -> c_int {
    // SAFETY: first bullet.
    if wr.is_null() || !unsafe { is_weakref(wr) } {
        // SAFETY: first bullet.
        unsafe { out.write(null_mut()) };
        return -1;
    }
    // SAFETY: first bullet: a live weak reference.
    let obj = unsafe { (*wr.cast::<WeakReference>()).wr_object };
    // SAFETY: a listed referent is live memory (it clears its weak
    // references before it is freed).
    let alive = !obj.is_null() && unsafe { (*obj).ob_refcnt.refcnt() } > 0;
    let result = if alive {
        // SAFETY: a live referent; this is the caller's new reference.
        unsafe { incref(obj) };
        obj
    } else {
        null_mut()
    };
    // SAFETY: first bullet.
    unsafe { out.write(result) };
    c_int::from(alive)
}

/// The number of weak references to `op` (0 when its type cannot be weakly
/// referenced). Mirrors `_PyWeakref_GetWeakrefCount` /
/// `weakref.getweakrefcount`.
///
/// # Examples
/// See the [module example](self) for a referent type;
/// `getweakrefcount(node)` there is 1 after `PyWeakref_NewRef`.
///
/// # Safety
/// - `op` points to a live object.
pub unsafe fn getweakrefcount(op: *mut Object) -> usize {
    // SAFETY: first bullet.
    let Some(list) = (unsafe { weaklist(op) }) else {
        return 0;
    };
    let mut n = 0;
    // SAFETY: the list head of a live object; members are live.
    let mut wr = unsafe { *list };
    while !wr.is_null() {
        n += 1;
        // SAFETY: a live member.
        wr = unsafe { (*wr).wr_next };
    }
    n
}

/// Clears every weak reference to `op`, then calls each callback that was
/// set with its weak reference as the argument (holding a reference to the
/// weak reference during the call), in list order. Mirrors
/// `PyObject_ClearWeakRefs`
/// ([Objects/weakrefobject.c](https://github.com/python/cpython/blob/v3.13.0/Objects/weakrefobject.c)).
///
/// Called by the `tp_dealloc` of a type with a `tp_weaklistoffset`, at
/// count 0, before anything is torn down. A callback that fails (returns
/// null) is ignored, where CPython prints "Exception ignored". A weak
/// reference whose own count is already 0 is cleared but its callback
/// dropped uncalled, as CPython's `_Py_TryIncref` does.
///
/// See the [module example](self).
///
/// # Safety
/// - `op` is a live object whose count is 0, inside its `tp_dealloc`.
///
/// # Panics
/// When the type of `op` cannot be weakly referenced, or its count is not
/// 0 (CPython's `PyErr_BadInternalCall`).
#[allow(non_snake_case)]
pub unsafe fn PyObject_ClearWeakRefs(op: *mut Object) {
    // SAFETY: first bullet.
    let Some(list) = (unsafe { weaklist(op) }) else {
        // SAFETY: first bullet.
        unsafe { cannot_weakref(op) }
    };
    // SAFETY: first bullet.
    let count = unsafe { (*op).ob_refcnt.refcnt() };
    assert_eq!(
        count, 0,
        "PyObject_ClearWeakRefs on a live object at {op:p}"
    );
    // SAFETY: the list head of a live object.
    if unsafe { (*list).is_null() } {
        return;
    }
    // Clear everything first, so no callback can reach `op` through
    // another weak reference; keep (weakref, callback) pairs to call.
    let mut to_call: Vec<(*mut WeakReference, *mut Object)> = Vec::new();
    // SAFETY: as above; each `clear_ref` unlinks the head, so the loop
    // advances.
    while let Some(wr) = unsafe { nonnull_head(list) } {
        // SAFETY: a live member of the list of a referent at count 0.
        unsafe { clear_ref(wr) };
        // SAFETY: as above; the callback's reference moves out of `wr`.
        let callback = unsafe { ptr::replace(&mut (*wr).wr_callback, null_mut()) };
        if callback.is_null() {
            continue;
        }
        // SAFETY: `wr` is live.
        if unsafe { (*wr).ob_base.ob_refcnt.refcnt() } > 0 {
            // SAFETY: a live weak reference; held across its callback.
            unsafe { incref(wr.cast()) };
            to_call.push((wr, callback));
        } else {
            // SAFETY: the callback reference taken out of `wr`.
            unsafe { decref(callback) };
        }
    }
    for (wr, callback) in to_call {
        // SAFETY: both are live: we hold a reference to each.
        unsafe {
            call_callback(callback, wr);
            decref(callback);
            decref(wr.cast());
        }
    }
}

/// Calls `callback(wr)` and drops the result; a failure is ignored.
/// Mirrors `handle_callback`.
///
/// # Safety
/// - `callback` and `wr` are live objects.
unsafe fn call_callback(callback: *mut Object, wr: *mut WeakReference) {
    // SAFETY: first bullet.
    let result = unsafe { call_one(callback, wr.cast()) };
    // SAFETY: a non-null result is a new reference (`CallFn` contract).
    unsafe { xdecref(result) };
}

/// Calls `callable(arg)` through its `tp_call`; null when it fails or the
/// type has no `tp_call` (CPython: "object is not callable"). Mirrors
/// `PyObject_CallOneArg`.
///
/// # Safety
/// - `callable` and `arg` are live objects.
unsafe fn call_one(callable: *mut Object, arg: *mut Object) -> *mut Object {
    // SAFETY: first bullet; T3.
    match unsafe { (*(*callable).ob_type).tp_call } {
        // SAFETY: first bullet; `CallFn`'s convention: one borrowed
        // argument, null kwargs.
        Some(call) => unsafe { call(callable, arg, null_mut()) },
        None => null_mut(),
    }
}

/// The weak-reference phase of a collection: clears every weak reference
/// to an object in `unreachable`, then calls the callbacks of those that
/// are not trash themselves. Mirrors `handle_weakrefs` of CPython ≤ 3.13
/// ([Python/gc.c](https://github.com/python/cpython/blob/v3.13.0/Python/gc.c)).
///
/// - All weak references to trash are cleared before any callback runs, so
///   no callback can resurrect trash through a still-active weak reference.
/// - A weak reference that is trash itself (tracked, with
///   `PREV_MASK_COLLECTING` in `gc_prev`) is cleared and its callback not
///   called: it might see objects whose `tp_clear` already ran (GC-11).
/// - A weak reference in `unreachable` is cleared even when its referent is
///   not trash (bpo-38006, GC-19).
/// - Weak references outside this relation are left alone.
///
/// CPython moves the weak references it kept alive into `old` through
/// their GC headers; here they are held in a local list instead and stay
/// in whichever generation they were, so `old` is unused.
///
/// Returns how many callbacks it called (the collector re-checks for
/// resurrection only when a callback or a finalizer ran).
///
/// # Safety
/// - `unreachable` is a doubly linked list sentinel whose members are live
///   GC objects of this thread with `PREV_MASK_COLLECTING` set; no other
///   code restructures it while this runs (callbacks see it unchanged:
///   its members are kept alive by their cycles).
pub(crate) unsafe fn handle_weakrefs(unreachable: &GcHead, old: &GcHead) -> usize {
    let _ = old;
    let sentinel = ptr::from_ref(unreachable).cast_mut();
    let mut to_call: Vec<*mut WeakReference> = Vec::new();
    let mut g = unreachable.next();
    while g != sentinel {
        // SAFETY: first bullet: `g` is a member, a live GC object.
        let op = unsafe { GcHead::object(g) };
        // SAFETY: as above.
        let next = unsafe { (*g).next() };
        // SAFETY: `op` is live.
        if unsafe { is_weakref(op) } {
            // bpo-38006: a weak reference that is trash must not keep a
            // pointer its referent's tp_clear or dealloc could invalidate.
            // SAFETY: a live weak reference; a listed referent is live.
            unsafe { clear_ref(op.cast()) };
        }
        // SAFETY: `op` is live.
        if let Some(list) = unsafe { weaklist(op) } {
            // SAFETY: the list head of a live object; `clear_ref` unlinks
            // the head each turn.
            while let Some(wr) = unsafe { nonnull_head(list) } {
                // SAFETY: a live member; its referent `op` is live.
                unsafe { clear_ref(wr) };
                // SAFETY: `wr` is live.
                if unsafe { (*wr).wr_callback.is_null() || is_trash(wr.cast()) } {
                    continue;
                }
                // SAFETY: a live weak reference, held until its callback ran.
                unsafe { incref(wr.cast()) };
                to_call.push(wr);
            }
        }
        g = next;
    }
    let called = to_call.len();
    for wr in to_call {
        // SAFETY: we hold a reference to `wr`; its callback is non-null
        // unless a callback run before it cleared it, and is held across
        // the call in case the call clears `wr`.
        unsafe {
            let callback = (*wr).wr_callback;
            if !callback.is_null() {
                incref(callback);
                call_callback(callback, wr);
                decref(callback);
            }
            decref(wr.cast());
        }
    }
    called
}

/// The first weak reference of a referent's list, keeping the stored
/// pointer's provenance (which covers the GC pre-header; a pointer made
/// from a reference would cover the object only).
///
/// # Safety
/// - `list` is the weak-list slot of a live object.
unsafe fn nonnull_head(list: *mut *mut WeakReference) -> Option<*mut WeakReference> {
    // SAFETY: first bullet.
    let wr = unsafe { list.read() };
    (!wr.is_null()).then_some(wr)
}

/// Whether `wr` is part of the garbage being collected: a tracked GC
/// object whose `gc_prev` carries `PREV_MASK_COLLECTING`. Mirrors
/// `gc_is_collecting(AS_GC(wr))`.
///
/// # Safety
/// - `wr` is a live weak reference (a GC object with its pre-header).
unsafe fn is_trash(wr: *mut Object) -> bool {
    // SAFETY: first bullet: weak references are GC objects.
    let g = unsafe { &*GcHead::of(wr) };
    g.is_tracked() && g.gc_prev.get().addr() & PREV_MASK_COLLECTING != 0
}

/// The payload of a [`callback`] object.
type Closure = RefCell<Box<dyn FnMut(*mut Object)>>;

/// The type of [`callback`] objects: a Rust closure with a `tp_call`.
/// Mirrors `builtin_function_or_method` for the one thing objmodel calls.
static CALLBACK_TYPE: TypeObject = TypeObject {
    tp_call: Some(closure_call),
    ..TypeObject::of::<Closure>("weakref.callback")
};

/// What a [`callback`] returns: a static immortal object, standing in for
/// `None`.
struct CallResult(Object);

// SAFETY: T2: the header is static-immortal, so counting never writes it.
unsafe impl Sync for CallResult {}

static CALL_RESULT_TYPE: TypeObject = TypeObject {
    tp_name: "weakref.CallResult",
    tp_dealloc: Some(call_result_dealloc),
    ..TypeObject::DEFAULT
};

static CALL_RESULT: CallResult = CallResult(Object::new_static(addr_of!(CALL_RESULT_TYPE)));

/// Never runs: the only instance is static-immortal.
///
/// # Safety
/// - None needed; it only panics.
unsafe extern "C" fn call_result_dealloc(op: *mut Object) {
    panic!("deallocating the static callback result at {op:p}: it is immortal");
}

/// `tp_call` of [`callback`] objects: runs the closure with `args` (the one
/// argument) and returns a new reference to the static result; null when
/// the closure is already running (a re-entrant call).
///
/// # Safety
/// - `op` is a live `callback` object; `args` a live object.
unsafe extern "C" fn closure_call(
    op: *mut Object,
    args: *mut Object,
    _kwargs: *mut Object,
) -> *mut Object {
    // SAFETY: first bullet: an `Instance<Closure>` with its payload set.
    let closure = unsafe { &(*op.cast::<Instance<Closure>>()).value };
    let Ok(mut f) = closure.try_borrow_mut() else {
        return null_mut();
    };
    f(args);
    let result = addr_of!(CALL_RESULT.0).cast_mut();
    // SAFETY: a static object; the caller's new reference (a no-op on a
    // static-immortal count).
    unsafe { incref(result) };
    result
}

/// Makes a callable object that runs `f` with its argument (for a weak
/// reference callback: the weak reference, borrowed) and returns a new
/// reference to it. Drop the reference with
/// [`decref`]; the closure is dropped with the
/// object.
///
/// References the closure owns are invisible to the collector (the object
/// is not a GC object). A panic inside `f` aborts: it would unwind through
/// an `extern "C"` call. A re-entrant call returns null (ignored as a
/// failed callback).
///
/// See the [module example](self).
///
/// # Panics
/// When memory runs out.
pub fn callback<F: FnMut(*mut Object) + 'static>(f: F) -> *mut Object {
    let ty = ensure_ready(&CALLBACK_TYPE);
    // SAFETY: a readied static type whose instances are `Instance<Closure>`.
    let op = unsafe { create::alloc_object(ty, 0) }
        .expect("out of memory allocating a callback")
        .as_ptr();
    let value: Closure = RefCell::new(Box::new(f));
    // SAFETY: a fresh instance whose payload is not initialised yet; its
    // dealloc drops it.
    unsafe { ptr::addr_of_mut!((*op.cast::<Instance<Closure>>()).value).write(value) };
    op
}
